package logstore

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// File names inside a log dir and a partition dir.
const (
	recoveryPointCheckpointFile = "recovery-point-offset-checkpoint"
	replicationCheckpointFile   = "replication-offset-checkpoint"
	logStartCheckpointFile      = "log-start-offset-checkpoint"
	cleanShutdownFile           = ".kafka_cleanshutdown"
	lockFile                    = ".lock"
	metaPropertiesFile          = "meta.properties"
	leaderEpochCheckpointFile   = "leader-epoch-checkpoint"
	partitionMetadataFile       = "partition.metadata"
)

// writeFileAtomic is how Kafka writes every checkpoint: <file>.tmp, fsync, rename, fsync dir.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync() // some filesystems refuse fsync on directories; the rename is still atomic
	return nil
}

// formatOffsetCheckpoint renders the OffsetCheckpointFile text: version 0, count, "topic partition offset" lines.
func formatOffsetCheckpoint(m map[TopicPartition]int64) []byte {
	tps := make([]TopicPartition, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
	var b bytes.Buffer
	fmt.Fprintf(&b, "0\n%d\n", len(tps))
	for _, tp := range tps {
		fmt.Fprintf(&b, "%s %d %d\n", tp.Topic, tp.Partition, m[tp])
	}
	return b.Bytes()
}

func writeOffsetCheckpoint(path string, m map[TopicPartition]int64) error {
	return writeFileAtomic(path, formatOffsetCheckpoint(m))
}

// readCheckpointLines parses the shared header and returns the entry lines split on whitespace.
func readCheckpointLines(path string, fieldsPerLine int) ([][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		return sc.Text(), true
	}
	v, ok := next()
	if !ok {
		return nil, fmt.Errorf("logstore: malformed line in checkpoint file (%s): empty file", path)
	}
	if strings.TrimSpace(v) != "0" {
		return nil, fmt.Errorf("logstore: unrecognized version of the checkpoint file (%s): %s", path, v)
	}
	c, ok := next()
	if !ok {
		return nil, fmt.Errorf("logstore: malformed line in checkpoint file (%s): missing count", path)
	}
	n, err := strconv.Atoi(strings.TrimSpace(c))
	if err != nil || n < 0 {
		return nil, fmt.Errorf("logstore: malformed line in checkpoint file (%s): %q", path, c)
	}
	out := make([][]string, 0, n)
	for i := 0; i < n; i++ {
		line, ok := next()
		if !ok {
			return nil, fmt.Errorf("logstore: expected %d entries in checkpoint file (%s), but found only %d", n, path, i)
		}
		f := strings.Fields(line)
		if len(f) != fieldsPerLine {
			return nil, fmt.Errorf("logstore: malformed line in checkpoint file (%s): %q", path, line)
		}
		out = append(out, f)
	}
	return out, nil
}

// readOffsetCheckpoint returns an empty map when the file does not exist.
func readOffsetCheckpoint(path string) (map[TopicPartition]int64, error) {
	m := make(map[TopicPartition]int64)
	lines, err := readCheckpointLines(path, 3)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	for _, f := range lines {
		p, err1 := strconv.ParseInt(f[1], 10, 32)
		o, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("logstore: malformed line in checkpoint file (%s): %q", path, strings.Join(f, " "))
		}
		m[TopicPartition{Topic: f[0], Partition: int32(p)}] = o
	}
	return m, nil
}

// formatPartitionMetadata renders partition.metadata (KIP-516).
func formatPartitionMetadata(id [16]byte) []byte {
	return []byte("version: 0\ntopic_id: " + base64.RawURLEncoding.EncodeToString(id[:]) + "\n")
}

func readPartitionMetadata(path string) ([16]byte, bool, error) {
	var id [16]byte
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return id, false, nil
	}
	if err != nil {
		return id, false, err
	}
	var version, topicID string
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "version":
			version = strings.TrimSpace(v)
		case "topic_id":
			topicID = strings.TrimSpace(v)
		}
	}
	if version != "0" {
		return id, false, fmt.Errorf("logstore: unrecognized version of partition metadata file (%s): %q", path, version)
	}
	raw, err := base64.RawURLEncoding.DecodeString(topicID)
	if err != nil || len(raw) != 16 {
		return id, false, fmt.Errorf("logstore: malformed topic id in partition metadata file (%s): %q", path, topicID)
	}
	copy(id[:], raw)
	return id, true, nil
}

// MetaProperties is the ZooKeeper-mode meta.properties (version 0).
type MetaProperties struct {
	Version   int
	BrokerID  int32
	ClusterID string
}

// formatMetaProperties mimics java.util.Properties.store(out, ""): an empty comment, a date comment, then keys.
func formatMetaProperties(m MetaProperties, now time.Time) []byte {
	var b bytes.Buffer
	b.WriteString("#\n#")
	b.WriteString(now.UTC().Format("Mon Jan 02 15:04:05 MST 2006"))
	b.WriteString("\n")
	if m.ClusterID != "" {
		fmt.Fprintf(&b, "cluster.id=%s\n", m.ClusterID)
	}
	fmt.Fprintf(&b, "version=%d\nbroker.id=%d\n", m.Version, m.BrokerID)
	return b.Bytes()
}

func parseMetaProperties(path string, data []byte) (MetaProperties, error) {
	var m MetaProperties
	props := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			props[line] = ""
			continue
		}
		props[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i+1:])
	}
	v, err := strconv.Atoi(props["version"])
	if err != nil {
		return m, fmt.Errorf("logstore: %s: bad version %q", path, props["version"])
	}
	if v != 0 {
		return m, fmt.Errorf("logstore: %s: unsupported meta.properties version %d (ZooKeeper mode needs 0)", path, v)
	}
	m.Version = v
	if s, ok := props["broker.id"]; ok {
		id, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return m, fmt.Errorf("logstore: %s: bad broker.id %q", path, s)
		}
		m.BrokerID = int32(id)
	} else {
		m.BrokerID = -1
	}
	m.ClusterID = props["cluster.id"]
	return m, nil
}
