package integration

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicsZK runs `kafka-topics.sh --zookeeper <zk> args...`.
func topicsZK(t testing.TB, z ZooKeeper, args ...string) (string, string, int) {
	t.Helper()
	return RunTool(t, "kafka-topics.sh", append([]string{"--zookeeper", z.ConnectString()}, args...)...)
}

// mustTool returns a checker that fails the test unless a tool exited 0 and yields its
// stdout; it is curried so a tool call's three results can be passed straight in:
// mustTool(t)(RunTool(...)).
func mustTool(t testing.TB) func(stdout, stderr string, code int) string {
	return func(stdout, stderr string, code int) string {
		t.Helper()
		if code != 0 {
			t.Fatalf("tool exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		return stdout
	}
}

// hasLine reports whether output has exactly this line.
func hasLine(output, line string) bool {
	for _, l := range Lines(output) {
		if l == line {
			return true
		}
	}
	return false
}

// topicAssignment is /brokers/topics/<t> as Kafka writes it (§1.6).
type topicAssignment struct {
	Version    int                `json:"version"`
	Partitions map[string][]int32 `json:"partitions"`
	Adding     map[string][]int32 `json:"adding_replicas"`
	Removing   map[string][]int32 `json:"removing_replicas"`
	TopicID    *string            `json:"topic_id"`
}

// partitionState is .../partitions/<p>/state (§1.7).
type partitionState struct {
	ControllerEpoch int     `json:"controller_epoch"`
	Leader          int32   `json:"leader"`
	Version         int     `json:"version"`
	LeaderEpoch     int     `json:"leader_epoch"`
	ISR             []int32 `json:"isr"`
}

func readAssignment(t testing.TB, z ZooKeeper, topic string) topicAssignment {
	t.Helper()
	var a topicAssignment
	data := ZKGet(t, z, "/brokers/topics/"+topic)
	if err := jsonStrict(data, &a); err != nil {
		t.Fatalf("/brokers/topics/%s: %v: %s", topic, err, data)
	}
	return a
}

// waitPartitionStates waits until the controller has written every partition's state with
// broker 0 leading and alone in the ISR.
func waitPartitionStates(t testing.TB, z ZooKeeper, topic string, partitions int) {
	t.Helper()
	for p := 0; p < partitions; p++ {
		path := fmt.Sprintf("/brokers/topics/%s/partitions/%d/state", topic, p)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			_, ok := ZKGetOK(t, z, path)
			return ok, path + " not written"
		})
		var st partitionState
		data := ZKGet(t, z, path)
		if err := jsonStrict(data, &st); err != nil {
			t.Fatalf("%s: %v: %s", path, err, data)
		}
		want := partitionState{ControllerEpoch: 1, Leader: 0, Version: 1, LeaderEpoch: 0, ISR: []int32{0}}
		if !reflect.DeepEqual(st, want) {
			t.Errorf("%s = %+v, want %+v", path, st, want)
		}
	}
}

// waitPartitionDirs waits until the broker has opened every partition's log on disk.
func waitPartitionDirs(t testing.TB, b *Broker, topic string, partitions int) {
	t.Helper()
	// A segment's three files are created one after another, so wait for all of them.
	for p := int32(0); p < int32(partitions); p++ {
		for _, ext := range []string{".log", ".index", ".timeindex"} {
			f := filepath.Join(b.PartitionDir(topic, p), SegmentName(0, ext))
			WaitFor(t, 30*time.Second, func() (bool, string) {
				_, err := os.Stat(f)
				return err == nil, f + " missing"
			})
		}
	}
}

// waitTopicGone waits until every trace of a deleted topic is gone: znodes and directories.
func waitTopicGone(t testing.TB, z ZooKeeper, b *Broker, topic string) {
	t.Helper()
	for _, p := range []string{"/brokers/topics/" + topic, "/config/topics/" + topic, "/admin/delete_topics/" + topic} {
		p := p
		WaitFor(t, 60*time.Second, func() (bool, string) { return !ZKExists(t, z, p), p + " still exists" })
	}
	WaitFor(t, 60*time.Second, func() (bool, string) {
		var left []string
		for _, n := range dirNames(t, b.LogDir, topic+"-") {
			rest := strings.TrimPrefix(n, topic+"-")
			if i := strings.IndexByte(rest, '.'); i >= 0 {
				rest = rest[:i]
			}
			if _, err := strconv.Atoi(rest); err == nil {
				left = append(left, n)
			}
		}
		return len(left) == 0, fmt.Sprintf("partition dirs still on disk: %v", left)
	})
}

func topicIDFromZK(t testing.TB, z ZooKeeper, topic string) string {
	t.Helper()
	var id string
	WaitFor(t, 30*time.Second, func() (bool, string) {
		a := readAssignment(t, z, topic)
		if a.TopicID == nil {
			return false, "no topic_id in /brokers/topics/" + topic
		}
		id = *a.TopicID
		return true, ""
	})
	if raw, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(raw) != 16 {
		t.Fatalf("topic_id %q is not a base64url UUID", id)
	}
	return id
}

// TestTopicsViaZooKeeperTool: `kafka-topics.sh --zookeeper` writes Kafka's znodes, the
// controller creates partition states, the broker opens the logs, and the tool's create,
// list, describe and error outputs are Kafka's.
func TestTopicsViaZooKeeperTool(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, nil)

	out := mustTool(t)(topicsZK(t, z, "--create", "--topic", "t", "--partitions", "3", "--replication-factor", "1"))
	if !hasLine(out, "Created topic t.") {
		t.Errorf("create output %q lacks `Created topic t.`", out)
	}

	a := readAssignment(t, z, "t")
	wantParts := map[string][]int32{"0": {0}, "1": {0}, "2": {0}}
	if a.Version != 3 || !reflect.DeepEqual(a.Partitions, wantParts) || len(a.Adding) != 0 || len(a.Removing) != 0 || a.Adding == nil || a.Removing == nil {
		t.Errorf("/brokers/topics/t = %+v", a)
	}
	if got := ZKGet(t, z, "/config/topics/t"); got != `{"version":1,"config":{}}` {
		t.Errorf(`/config/topics/t = %s, want {"version":1,"config":{}}`, got)
	}
	waitPartitionStates(t, z, "t", 3)
	waitPartitionDirs(t, b, "t", 3)
	topicID := topicIDFromZK(t, z, "t") // the controller adds it to a tool-created topic

	t.Run("metadata", func(t *testing.T) {
		adm := Admin(t, b)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			md, err := adm.Metadata(Ctx(t, 10*time.Second), "t")
			if err != nil {
				return false, err.Error()
			}
			td := md.Topics["t"]
			if td.Err != nil || len(td.Partitions) != 3 {
				return false, fmt.Sprintf("topic t: err %v, %d partitions", td.Err, len(td.Partitions))
			}
			for _, p := range td.Partitions {
				if p.Leader != 0 || !reflect.DeepEqual(p.Replicas, []int32{0}) || !reflect.DeepEqual(p.ISR, []int32{0}) {
					return false, fmt.Sprintf("partition %+v", p)
				}
			}
			return true, ""
		})
	})

	t.Run("list", func(t *testing.T) {
		out := mustTool(t)(topicsZK(t, z, "--list"))
		if out != "t\n" {
			t.Errorf("--zookeeper --list = %q, want %q", out, "t\n")
		}
		out = mustTool(t)(RunTool(t, "kafka-topics.sh", "--bootstrap-server", b.Addr, "--list"))
		if !hasLine(out, "t") {
			t.Errorf("--bootstrap-server --list = %q lacks t", out)
		}
	})

	t.Run("describe", func(t *testing.T) {
		out := mustTool(t)(topicsZK(t, z, "--describe", "--topic", "t"))
		want := []string{
			"Topic: t\tTopicId: " + topicID + "\tPartitionCount: 3\tReplicationFactor: 1\tConfigs:",
			"\tTopic: t\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0",
			"\tTopic: t\tPartition: 1\tLeader: 0\tReplicas: 0\tIsr: 0",
			"\tTopic: t\tPartition: 2\tLeader: 0\tReplicas: 0\tIsr: 0",
		}
		got := Lines(out)
		for i := range got {
			got[i] = strings.TrimRight(got[i], " ")
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("describe output:\n%q\nwant:\n%q", got, want)
		}
	})

	t.Run("create with config", func(t *testing.T) {
		mustTool(t)(topicsZK(t, z, "--create", "--topic", "compacted", "--partitions", "1", "--replication-factor", "1", "--config", "cleanup.policy=compact"))
		if got := ZKGet(t, z, "/config/topics/compacted"); got != `{"version":1,"config":{"cleanup.policy":"compact"}}` {
			t.Errorf("/config/topics/compacted = %s", got)
		}
		waitPartitionStates(t, z, "compacted", 1)
		out := mustTool(t)(topicsZK(t, z, "--describe", "--topic", "compacted"))
		if l := Lines(out); len(l) == 0 || !strings.HasSuffix(l[0], "\tConfigs: cleanup.policy=compact") {
			t.Errorf("describe topic line %q lacks Configs: cleanup.policy=compact", out)
		}
	})

	t.Run("errors", func(t *testing.T) {
		cases := []struct {
			args []string
			msg  string
		}{
			{[]string{"--create", "--topic", "t", "--partitions", "1", "--replication-factor", "1"},
				"Error while executing topic command : Topic 't' already exists."},
			{[]string{"--create", "--topic", "a b", "--partitions", "1", "--replication-factor", "1"},
				`Topic name "a b" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`},
			{[]string{"--create", "--topic", "rf3", "--partitions", "1", "--replication-factor", "3"},
				"Replication factor: 3 larger than available brokers: 1."},
			{[]string{"--create", "--topic", "..", "--partitions", "1", "--replication-factor", "1"},
				`Topic name cannot be "." or ".."`},
			{[]string{"--create", "--topic", strings.Repeat("x", 250), "--partitions", "1", "--replication-factor", "1"},
				"can't be longer than 249 characters"},
		}
		for _, c := range cases {
			stdout, stderr, code := topicsZK(t, z, c.args...)
			if code != 1 {
				t.Errorf("%v: exit code %d, want 1", c.args, code)
			}
			if !strings.Contains(stdout+stderr, c.msg) {
				t.Errorf("%v: output lacks %q:\n%s%s", c.args, c.msg, stdout, stderr)
			}
		}
		if ZKExists(t, z, "/brokers/topics/rf3") {
			t.Errorf("rejected topic rf3 was written")
		}

		// '.' and '_' collide in metric names: a warning for the first, a refusal for the second.
		out := mustTool(t)(topicsZK(t, z, "--create", "--topic", "my.topic", "--partitions", "1", "--replication-factor", "1"))
		if !strings.Contains(out, "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide.") ||
			!hasLine(out, "Created topic my.topic.") {
			t.Errorf("create my.topic output = %q", out)
		}
		stdout, stderr, code := topicsZK(t, z, "--create", "--topic", "my_topic", "--partitions", "1", "--replication-factor", "1")
		if code != 1 || !strings.Contains(stdout+stderr, "Topic 'my_topic' collides with existing topics: my.topic") {
			t.Errorf("create my_topic: exit %d output %q", code, stdout+stderr)
		}
	})

	t.Run("controlled shutdown", func(t *testing.T) {
		// Single-replica partitions cannot move, so Kafka's controller does not count them as
		// remaining: the first controlled-shutdown attempt succeeds.
		b.Stop()
		if lines := b.LogLines("Retrying controlled shutdown"); len(lines) > 0 {
			t.Errorf("controlled shutdown retried with only single-replica partitions: %q", lines)
		}
		if !b.LogContains("[KafkaServer id=0] shut down completed") {
			t.Errorf("no `shut down completed` line")
		}
	})
}

// TestTopicsViaAdminAPI: CreateTopics lands in the same znodes (with a topic id the response
// also carries) and rejects what Kafka rejects with Kafka's error codes.
func TestTopicsViaAdminAPI(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, nil)
	adm := Admin(t, b)
	ctx := Ctx(t, 2*time.Minute)

	resp, err := adm.CreateTopic(ctx, 2, 1, map[string]*string{"segment.bytes": kadm.StringPtr("1048576")}, "api")
	if err != nil || resp.Err != nil {
		t.Fatalf("CreateTopics: %v / %v", err, resp.Err)
	}
	a := readAssignment(t, z, "api")
	if a.Version != 3 || !reflect.DeepEqual(a.Partitions, map[string][]int32{"0": {0}, "1": {0}}) {
		t.Errorf("/brokers/topics/api = %+v", a)
	}
	if a.TopicID == nil {
		t.Errorf("/brokers/topics/api has no topic_id")
	} else if raw, _ := base64.RawURLEncoding.DecodeString(*a.TopicID); !reflect.DeepEqual(raw, resp.ID[:]) {
		t.Errorf("topic_id %s != CreateTopics response id %x", *a.TopicID, resp.ID)
	}
	if got := ZKGet(t, z, "/config/topics/api"); got != `{"version":1,"config":{"segment.bytes":"1048576"}}` {
		t.Errorf("/config/topics/api = %s", got)
	}
	waitPartitionStates(t, z, "api", 2)
	waitPartitionDirs(t, b, "api", 2)

	rejects := []struct {
		name  string
		parts int32
		rf    int16
		want  error
	}{
		{"api", 1, 1, kerr.TopicAlreadyExists},
		{"bad name", 1, 1, kerr.InvalidTopicException},
		{"rf3", 1, 3, kerr.InvalidReplicationFactor},
		{"zero", 0, 1, kerr.InvalidPartitions},
	}
	for _, r := range rejects {
		resp, err := adm.CreateTopic(ctx, r.parts, r.rf, nil, r.name)
		if err == nil {
			err = resp.Err
		}
		if !errors.Is(err, r.want) {
			t.Errorf("CreateTopics(%q, %d, %d) = %v, want %v", r.name, r.parts, r.rf, err, r.want)
		}
	}
	if ZKExists(t, z, "/brokers/topics/rf3") || ZKExists(t, z, "/brokers/topics/zero") {
		t.Errorf("a rejected topic was written to ZooKeeper")
	}
}

// TestTopicAutoCreate: producing to an unknown topic creates it with num.partitions when
// auto.create.topics.enable is on.
func TestTopicAutoCreate(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, map[string]string{"num.partitions": "3"})

	cl := NewClient(t, Seeds(b), kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic("auto"))
	ProduceSync(t, cl, &kgo.Record{Value: []byte("first")})

	a := readAssignment(t, z, "auto")
	if len(a.Partitions) != 3 {
		t.Errorf("auto-created topic has %d partitions, want num.partitions=3: %+v", len(a.Partitions), a)
	}
	if got := ZKGet(t, z, "/config/topics/auto"); got != `{"version":1,"config":{}}` {
		t.Errorf("/config/topics/auto = %s", got)
	}
	waitPartitionStates(t, z, "auto", 3)
	recs := ConsumeN(t, Seeds(b), "auto", 1, 30*time.Second)
	if string(recs[0].Value) != "first" || recs[0].Offset != 0 {
		t.Errorf("consumed %q at %d", recs[0].Value, recs[0].Offset)
	}

	t.Run("disabled", func(t *testing.T) {
		z2 := StartZooKeeper(t)
		b2 := StartBroker(t, z2, 0, map[string]string{"auto.create.topics.enable": "false"})
		cl := NewClient(t, Seeds(b2), kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic("noauto"),
			kgo.RecordDeliveryTimeout(5*time.Second), kgo.UnknownTopicRetries(2))
		err := cl.ProduceSync(Ctx(t, 30*time.Second), &kgo.Record{Value: []byte("x")}).FirstErr()
		if err == nil {
			t.Errorf("produce to an unknown topic succeeded with auto-creation off")
		}
		if ZKExists(t, z2, "/brokers/topics/noauto") {
			t.Errorf("topic auto-created with auto.create.topics.enable=false")
		}
	})
}

// TestTopicDelete: deletion through the tool and through DeleteTopics removes the znodes and
// the partition directories, and the name can be reused.
func TestTopicDelete(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, nil)
	adm := Admin(t, b)
	ctx := Ctx(t, 3*time.Minute)

	mustTool(t)(topicsZK(t, z, "--create", "--topic", "gone", "--partitions", "2", "--replication-factor", "1"))
	waitPartitionDirs(t, b, "gone", 2)
	ProduceSync(t, Client(t, b), &kgo.Record{Topic: "gone", Value: []byte("x")})

	out := mustTool(t)(topicsZK(t, z, "--delete", "--topic", "gone"))
	if !hasLine(out, "Topic gone is marked for deletion.") ||
		!hasLine(out, "Note: This will have no impact if delete.topic.enable is not set to true.") {
		t.Errorf("delete output = %q", out)
	}
	waitTopicGone(t, z, b, "gone")
	WaitFor(t, 30*time.Second, func() (bool, string) {
		topics, err := adm.ListTopics(ctx)
		return err == nil && !topics.Has("gone"), fmt.Sprintf("metadata still lists gone (%v)", err)
	})

	t.Run("unknown", func(t *testing.T) {
		stdout, stderr, code := topicsZK(t, z, "--delete", "--topic", "never")
		if code != 1 || !strings.Contains(stdout+stderr, "does not exist") {
			t.Errorf("delete of an unknown topic: exit %d, output %q", code, stdout+stderr)
		}
		resp, err := adm.DeleteTopic(ctx, "never")
		if err == nil {
			err = resp.Err
		}
		if !errors.Is(err, kerr.UnknownTopicOrPartition) {
			t.Errorf("DeleteTopics(never) = %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
		}
	})

	t.Run("admin api", func(t *testing.T) {
		if r, err := adm.CreateTopic(ctx, 1, 1, nil, "gone2"); err != nil || r.Err != nil {
			t.Fatalf("create: %v %v", err, r.Err)
		}
		waitPartitionDirs(t, b, "gone2", 1)
		r, err := adm.DeleteTopic(ctx, "gone2")
		if err != nil || r.Err != nil {
			t.Fatalf("DeleteTopics: %v %v", err, r.Err)
		}
		waitTopicGone(t, z, b, "gone2")
	})

	t.Run("recreate", func(t *testing.T) {
		mustTool(t)(topicsZK(t, z, "--create", "--topic", "gone", "--partitions", "1", "--replication-factor", "1"))
		waitPartitionStates(t, z, "gone", 1)
		recs := ProduceSync(t, Client(t, b), &kgo.Record{Topic: "gone", Value: []byte("again")})
		if recs[0].Offset != 0 {
			t.Errorf("first record of the re-created topic at offset %d, want 0", recs[0].Offset)
		}
	})
}

// TestAddPartitions: `--alter --partitions` and CreatePartitions add partitions, keep the old
// assignment, and refuse to shrink.
func TestAddPartitions(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, nil)
	adm := Admin(t, b)
	ctx := Ctx(t, 2*time.Minute)

	mustTool(t)(topicsZK(t, z, "--create", "--topic", "grow", "--partitions", "1", "--replication-factor", "1"))
	waitPartitionStates(t, z, "grow", 1)

	out := mustTool(t)(topicsZK(t, z, "--alter", "--topic", "grow", "--partitions", "3"))
	if !hasLine(out, "Adding partitions succeeded!") {
		t.Errorf("alter output = %q", out)
	}
	a := readAssignment(t, z, "grow")
	if !reflect.DeepEqual(a.Partitions, map[string][]int32{"0": {0}, "1": {0}, "2": {0}}) {
		t.Errorf("after --alter --partitions 3: %+v", a.Partitions)
	}
	waitPartitionStates(t, z, "grow", 3)
	waitPartitionDirs(t, b, "grow", 3)

	rs, err := adm.CreatePartitions(ctx, 2, "grow")
	if err != nil || rs["grow"].Err != nil {
		t.Fatalf("CreatePartitions(+2): %v %v", err, rs["grow"].Err)
	}
	waitPartitionStates(t, z, "grow", 5)
	WaitFor(t, 30*time.Second, func() (bool, string) {
		md, err := adm.Metadata(ctx, "grow")
		if err != nil {
			return false, err.Error()
		}
		return len(md.Topics["grow"].Partitions) == 5, fmt.Sprintf("%d partitions in metadata", len(md.Topics["grow"].Partitions))
	})

	rs, err = adm.UpdatePartitions(ctx, 2, "grow")
	if err == nil {
		err = rs["grow"].Err
	}
	if !errors.Is(err, kerr.InvalidPartitions) {
		t.Errorf("shrinking to 2 partitions: %v, want INVALID_PARTITIONS", err)
	}
	if n := len(readAssignment(t, z, "grow").Partitions); n != 5 {
		t.Errorf("%d partitions after a refused shrink", n)
	}
}

// describeTopicConfig returns one topic's DescribeConfigs entries by name.
func describeTopicConfig(t testing.TB, adm *kadm.Client, topic string) map[string]kadm.Config {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(Ctx(t, 30*time.Second), topic)
	if err != nil {
		t.Fatalf("DescribeConfigs: %v", err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("DescribeConfigs %s: %v %v", topic, err, rc.Err)
	}
	m := map[string]kadm.Config{}
	for _, c := range rc.Configs {
		m[c.Key] = c
	}
	return m
}

func configValue(c kadm.Config) string {
	if c.Value == nil {
		return "<nil>"
	}
	return *c.Value
}

// TestTopicConfigLive: an override written by `kafka-topics --alter --config` (ZooKeeper plus
// a config_change_ notification) and by IncrementalAlterConfigs reaches the running broker:
// DescribeConfigs reports it as DYNAMIC_TOPIC_CONFIG, retention deletes old segments, and
// max.message.bytes rejects a large record.
func TestTopicConfigLive(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, map[string]string{"log.retention.check.interval.ms": "500"})
	adm := Admin(t, b)

	mustTool(t)(topicsZK(t, z, "--create", "--topic", "ret", "--partitions", "1", "--replication-factor", "1", "--config", "segment.bytes=1024"))
	waitPartitionDirs(t, b, "ret", 1)

	cl := NewClient(t, Seeds(b), kgo.DefaultProduceTopic("ret"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	value := strings.Repeat("r", 300)
	for i := 0; i < 12; i++ { // one batch per call, so segments of 1 KiB roll every few batches
		ProduceSync(t, cl, &kgo.Record{Value: []byte(value)})
	}
	if n := len(SegmentFiles(t, b.PartitionDir("ret", 0))); n < 3 {
		t.Fatalf("%d segments with segment.bytes=1024 after 12 batches of 300 bytes", n)
	}

	cfgs := describeTopicConfig(t, adm, "ret")
	if c := cfgs["segment.bytes"]; configValue(c) != "1024" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("segment.bytes = %s source %v, want 1024 DYNAMIC_TOPIC_CONFIG", configValue(c), c.Source)
	}
	if c := cfgs["cleanup.policy"]; configValue(c) != "delete" || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Errorf("cleanup.policy = %s source %v, want delete DEFAULT_CONFIG", configValue(c), c.Source)
	}

	changesBefore := len(ZKChildren(t, z, "/config/changes"))
	stdout, stderr, code := topicsZK(t, z, "--alter", "--topic", "ret", "--config", "retention.ms=1000")
	mustTool(t)(stdout, stderr, code)
	if !hasLine(stdout, "Updated config for topic ret.") {
		t.Errorf("alter --config output = %q", stdout)
	}
	var cfg struct {
		Version int               `json:"version"`
		Config  map[string]string `json:"config"`
	}
	if err := jsonStrict(ZKGet(t, z, "/config/topics/ret"), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Version != 1 || !reflect.DeepEqual(cfg.Config, map[string]string{"segment.bytes": "1024", "retention.ms": "1000"}) {
		t.Errorf("/config/topics/ret = %+v", cfg)
	}
	changes := ZKChildren(t, z, "/config/changes")
	if len(changes) <= changesBefore {
		t.Fatalf("no new config_change_ notification: %v", changes)
	}
	last := changes[len(changes)-1]
	if !strings.HasPrefix(last, "config_change_") || len(last) != len("config_change_")+10 {
		t.Errorf("notification name %q, want config_change_ + 10 digits", last)
	}
	if got := ZKGet(t, z, "/config/changes/"+last); got != `{"version":2,"entity_path":"topics/ret"}` {
		t.Errorf("notification = %s", got)
	}

	WaitFor(t, 30*time.Second, func() (bool, string) {
		c := describeTopicConfig(t, adm, "ret")["retention.ms"]
		return configValue(c) == "1000" && c.Source == kmsg.ConfigSourceDynamicTopicConfig,
			fmt.Sprintf("retention.ms = %s source %v", configValue(c), c.Source)
	})

	// Retention: the old segments go, the log start offset moves past them.
	WaitFor(t, 60*time.Second, func() (bool, string) {
		starts, err := adm.ListStartOffsets(Ctx(t, 10*time.Second), "ret")
		if err != nil {
			return false, err.Error()
		}
		o, _ := starts.Lookup("ret", 0)
		_, err = os.Stat(filepath.Join(b.PartitionDir("ret", 0), SegmentName(0, ".log")))
		return o.Offset > 0 && os.IsNotExist(err), fmt.Sprintf("log start offset %d, first segment stat: %v", o.Offset, err)
	})
	for _, f := range SegmentFiles(t, b.PartitionDir("ret", 0)) {
		base, _ := strconv.ParseInt(strings.TrimSuffix(filepath.Base(f), ".log"), 10, 64)
		if base == 0 {
			t.Errorf("segment 0 still present: %s", f)
		}
	}

	t.Run("incremental alter max.message.bytes", func(t *testing.T) {
		rs, err := adm.AlterTopicConfigs(Ctx(t, 30*time.Second), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "max.message.bytes", Value: kadm.StringPtr("500")}}, "ret")
		if err == nil {
			for _, r := range rs {
				err = errors.Join(err, r.Err)
			}
		}
		if err != nil {
			t.Fatalf("IncrementalAlterConfigs: %v", err)
		}
		if got := ZKGet(t, z, "/config/topics/ret"); !strings.Contains(got, `"max.message.bytes":"500"`) {
			t.Errorf("/config/topics/ret = %s", got)
		}
		WaitFor(t, 30*time.Second, func() (bool, string) {
			c := describeTopicConfig(t, adm, "ret")["max.message.bytes"]
			return configValue(c) == "500" && c.Source == kmsg.ConfigSourceDynamicTopicConfig, "max.message.bytes not applied"
		})
		small := NewClient(t, Seeds(b), kgo.DefaultProduceTopic("ret"), kgo.RecordRetries(0), kgo.ProducerBatchCompression(kgo.NoCompression()))
		// 800 bytes: over max.message.bytes, under segment.bytes (1024), so only one limit applies.
		err = small.ProduceSync(Ctx(t, 30*time.Second), &kgo.Record{Value: []byte(strings.Repeat("m", 800))}).FirstErr()
		if !errors.Is(err, kerr.MessageTooLarge) {
			t.Errorf("800-byte record with max.message.bytes=500: %v, want MESSAGE_TOO_LARGE", err)
		}
		// Over both limits: Kafka's Log.append checks max.message.bytes (while analysing the
		// batches) before segment.bytes, so the answer is still MESSAGE_TOO_LARGE.
		err = small.ProduceSync(Ctx(t, 30*time.Second), &kgo.Record{Value: []byte(strings.Repeat("m", 3000))}).FirstErr()
		if !errors.Is(err, kerr.MessageTooLarge) {
			t.Errorf("3000-byte record with max.message.bytes=500, segment.bytes=1024: %v, want MESSAGE_TOO_LARGE", err)
		}
	})

	t.Run("legacy alter configs replaces the set", func(t *testing.T) {
		rs, err := adm.AlterTopicConfigsState(Ctx(t, 30*time.Second), []kadm.AlterConfig{{Name: "retention.bytes", Value: kadm.StringPtr("123456")}}, "ret")
		if err == nil {
			for _, r := range rs {
				err = errors.Join(err, r.Err)
			}
		}
		if err != nil {
			t.Fatalf("AlterConfigs: %v", err)
		}
		// AlterConfigs (unlike the incremental API) states the whole override set.
		if got := ZKGet(t, z, "/config/topics/ret"); got != `{"version":1,"config":{"retention.bytes":"123456"}}` {
			t.Errorf("/config/topics/ret after AlterConfigs = %s", got)
		}
		WaitFor(t, 30*time.Second, func() (bool, string) {
			cfgs := describeTopicConfig(t, adm, "ret")
			rb, sb := cfgs["retention.bytes"], cfgs["segment.bytes"]
			return configValue(rb) == "123456" && rb.Source == kmsg.ConfigSourceDynamicTopicConfig && sb.Source != kmsg.ConfigSourceDynamicTopicConfig,
				fmt.Sprintf("retention.bytes %s (%v), segment.bytes %s (%v)", configValue(rb), rb.Source, configValue(sb), sb.Source)
		})
	})

	t.Run("invalid value", func(t *testing.T) {
		stdout, stderr, code := topicsZK(t, z, "--alter", "--topic", "ret", "--config", "retention.ms=abc")
		if code == 0 {
			t.Errorf("retention.ms=abc accepted: %s%s", stdout, stderr)
		}
		if strings.Contains(ZKGet(t, z, "/config/topics/ret"), "abc") {
			t.Errorf("invalid value written to ZooKeeper")
		}
	})
}
