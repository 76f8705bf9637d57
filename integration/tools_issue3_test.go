package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Issue 3's admin tools against one real ZooKeeper and broker: kafka-configs (both modes),
// kafka-consumer-groups (including the seed's --zookeeper), zookeeper-shell, kafka-dump-log,
// kafka-broker-api-versions, kafka-log-dirs, kafka-delete-records and the perf tools. Each
// subtest asserts the exact lines printed and the state left behind.
func TestAdminToolsIssue3(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, nil)
	adm := Admin(t, b)

	mustTool(t)(RunTool(t, "kafka-topics.sh", "--bootstrap-server", b.Addr, "--create", "--topic", "tools", "--partitions", "2", "--replication-factor", "1"))
	cl := NewClient(t, Seeds(b), kgo.DefaultProduceTopic("tools"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for i := 0; i < 10; i++ {
		r := &kgo.Record{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i)), Partition: int32(i % 2)}
		if err := cl.ProduceSync(Ctx(t, 10*time.Second), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("configs", func(t *testing.T) {
		out := mustTool(t)(RunTool(t, "kafka-configs.sh", "--zookeeper", z.ConnectString(), "--alter", "--entity-type", "topics",
			"--entity-name", "tools", "--add-config", "retention.ms=1000,cleanup.policy=[delete]"))
		want := "Warning: --zookeeper is deprecated and will be removed in a future version of Kafka.\n" +
			"Use --bootstrap-server instead to specify a broker to connect to.\n" +
			"Completed updating config for entity: topic 'tools'.\n"
		if out != want {
			t.Errorf("zk alter:\n%s", out)
		}
		var node struct {
			Version int               `json:"version"`
			Config  map[string]string `json:"config"`
		}
		if err := json.Unmarshal([]byte(ZKGet(t, z, "/config/topics/tools")), &node); err != nil ||
			node.Version != 1 || node.Config["retention.ms"] != "1000" || node.Config["cleanup.policy"] != "delete" {
			t.Errorf("znode: %+v %v", node, err)
		}
		out = mustTool(t)(RunTool(t, "kafka-configs.sh", "--zookeeper", z.ConnectString(), "--describe", "--entity-type", "topics", "--entity-name", "tools"))
		if !hasLine(out, "Configs for topic 'tools' are cleanup.policy=delete,retention.ms=1000") {
			t.Errorf("zk describe:\n%s", out)
		}
		// The broker picks the change up through the config_change notification.
		WaitFor(t, 15*time.Second, func() (bool, string) {
			out, _, _ := RunTool(t, "kafka-configs.sh", "--bootstrap-server", b.Addr, "--describe", "--entity-type", "topics", "--entity-name", "tools")
			return hasLine(out, "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}") &&
				hasLine(out, "Dynamic configs for topic tools are:"), out
		})
		out = mustTool(t)(RunTool(t, "kafka-configs.sh", "--bootstrap-server", b.Addr, "--alter", "--topic", "tools", "--delete-config", "retention.ms,cleanup.policy"))
		if out != "Completed updating config for topic tools.\n" {
			t.Errorf("bootstrap alter: %q", out)
		}
		_, errOut, code := RunTool(t, "kafka-configs.sh", "--bootstrap-server", b.Addr, "--alter", "--topic", "tools", "--delete-config", "nosuch")
		if code != 1 || errOut != "Invalid config(s): nosuch\n" {
			t.Errorf("delete missing key: %d %q", code, errOut)
		}
	})

	t.Run("consumer-groups", func(t *testing.T) {
		g := NewClient(t, Seeds(b), kgo.ConsumerGroup("tools-g"), kgo.ConsumeTopics("tools"), kgo.DisableAutoCommit(),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.ClientID("tools-client"))
		seen := 0
		for seen < 10 {
			fs := g.PollFetches(Ctx(t, 10*time.Second))
			if err := fs.Err0(); err != nil {
				t.Fatal(err)
			}
			seen += fs.NumRecords()
		}
		if err := g.CommitUncommittedOffsets(Ctx(t, 10*time.Second)); err != nil {
			t.Fatal(err)
		}
		out := mustTool(t)(RunTool(t, "kafka-consumer-groups.sh", "--bootstrap-server", b.Addr, "--describe", "--group", "tools-g"))
		lines := Lines(out)
		header := regexp.MustCompile(`^GROUP {11}TOPIC {11}PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG {13}CONSUMER-ID +HOST {12}CLIENT-ID$`)
		row := regexp.MustCompile(`^tools-g {9}tools {11}([01]) {10}5 {15}5 {15}0 {15}tools-client-\S+ /127\.0\.0\.1 {6}tools-client$`)
		if len(lines) != 4 || lines[0] != "" || !header.MatchString(lines[1]) || !row.MatchString(lines[2]) || !row.MatchString(lines[3]) {
			t.Errorf("describe:\n%s", out)
		}
		g.Close()

		// The seed tutorial's --zookeeper form finds the broker through ZooKeeper.
		out, errOut, code := RunTool(t, "kafka-consumer-groups.sh", "--zookeeper", z.ConnectString(), "--describe", "--group", "tools-g")
		if code != 0 || !strings.HasPrefix(errOut, "Note: --zookeeper is not supported for consumer groups since Kafka 2.x; using broker(s) found in ZooKeeper: "+b.Addr+"\n") ||
			!hasLine(out, "tools-g         tools           0          5               5               0               -               -               -") {
			t.Errorf("--zookeeper: %d\n%s\n%s", code, out, errOut)
		}
		if !strings.Contains(errOut, "\nConsumer group 'tools-g' has no active members.\n") {
			t.Errorf("empty-group note missing: %q", errOut)
		}

		out = mustTool(t)(RunTool(t, "kafka-consumer-groups.sh", "--bootstrap-server", b.Addr, "--list", "--state"))
		if !hasLine(out, "GROUP           STATE") || !hasLine(out, "tools-g         Empty") {
			t.Errorf("list --state:\n%s", out)
		}

		out = mustTool(t)(RunTool(t, "kafka-consumer-groups.sh", "--bootstrap-server", b.Addr, "--reset-offsets", "--group", "tools-g",
			"--topic", "tools:1", "--shift-by", "-3", "--execute"))
		want := "\nGROUP                          TOPIC                          PARTITION  NEW-OFFSET     \n" +
			"tools-g                        tools                          1          2              \n"
		if out != want {
			t.Errorf("reset:\n%q", out)
		}
		offs, err := adm.FetchOffsets(Ctx(t, 10*time.Second), "tools-g")
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := offs.Lookup("tools", 1); o.At != 2 {
			t.Errorf("committed after reset: %+v", o)
		}
		if o, _ := offs.Lookup("tools", 0); o.At != 5 {
			t.Errorf("untouched partition: %+v", o)
		}
		out = mustTool(t)(RunTool(t, "kafka-consumer-groups.sh", "--bootstrap-server", b.Addr, "--reset-offsets", "--group", "tools-g",
			"--all-topics", "--to-earliest", "--dry-run", "--export"))
		if out != "tools,0,0\ntools,1,0\n\n" {
			t.Errorf("export: %q", out)
		}

		out = mustTool(t)(RunTool(t, "kafka-consumer-groups.sh", "--bootstrap-server", b.Addr, "--delete", "--group", "tools-g"))
		if out != "Deletion of requested consumer groups ('tools-g') was successful.\n" {
			t.Errorf("delete: %q", out)
		}
		out = mustTool(t)(RunTool(t, "kafka-consumer-groups.sh", "--bootstrap-server", b.Addr, "--describe", "--group", "tools-g"))
		if out != "\nError: Consumer group 'tools-g' does not exist.\n" {
			t.Errorf("describe deleted: %q", out)
		}
	})

	t.Run("zookeeper-shell", func(t *testing.T) {
		out := mustTool(t)(RunTool(t, "zookeeper-shell.sh", z.ConnectString(), "ls", "/brokers/ids"))
		want := "Connecting to " + z.ConnectString() + "\n\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n[0]\n"
		if out != want {
			t.Errorf("ls:\n%q", out)
		}
		out = mustTool(t)(RunToolInput(t, "get /controller_epoch\nstat /controller\nquit\n", "zookeeper-shell.sh", z.ConnectString()))
		if !hasLine(out, "Welcome to ZooKeeper!") || !hasLine(out, "JLine support is disabled") || !hasLine(out, ZKGet(t, z, "/controller_epoch")) ||
			!regexp.MustCompile(`(?m)^ephemeralOwner = 0x[0-9a-f]+$`).MatchString(out) {
			t.Errorf("interactive:\n%s", out)
		}
		_, errOut, code := RunTool(t, "zookeeper-shell.sh", z.ConnectString(), "get", "/nosuch")
		if code != 1 || errOut != "Node does not exist: /nosuch\n" {
			t.Errorf("missing node: %d %q", code, errOut)
		}
	})

	t.Run("dump-log", func(t *testing.T) {
		seg := filepath.Join(b.PartitionDir("tools", 0), "00000000000000000000.log")
		out := mustTool(t)(RunTool(t, "kafka-dump-log.sh", "--files", seg, "--print-data-log"))
		lines := Lines(out)
		batch := regexp.MustCompile(`^baseOffset: 0 lastOffset: 0 count: 1 baseSequence: -?\d+ lastSequence: -?\d+ producerId: -?\d+ producerEpoch: -?\d+ partitionLeaderEpoch: 0 isTransactional: false isControl: false position: 0 CreateTime: \d+ size: \d+ magic: 2 compresscodec: NONE crc: \d+ isvalid: true$`)
		rec := regexp.MustCompile(`^\| offset: 0 isValid: true crc: null keySize: 2 valueSize: 2 CreateTime: \d+ baseOffset: 0 lastOffset: 0 .* headerKeys: \[\] key: k0 payload: v0$`)
		if len(lines) < 4 || lines[0] != "Dumping "+seg || lines[1] != "Starting offset: 0" || !batch.MatchString(lines[2]) || !rec.MatchString(lines[3]) {
			t.Errorf("dump:\n%s", out)
		}
	})

	t.Run("broker-api-versions", func(t *testing.T) {
		out := mustTool(t)(RunTool(t, "kafka-broker-api-versions.sh", "--bootstrap-server", b.Addr))
		if !hasLine(out, b.Addr+" (id: 0 rack: null) -> (") || !hasLine(out, "\tProduce(0): 0 to 9 [usable: 9],") || !hasLine(out, ")") {
			t.Errorf("api versions:\n%s", out)
		}
	})

	t.Run("log-dirs", func(t *testing.T) {
		out := mustTool(t)(RunTool(t, "kafka-log-dirs.sh", "--bootstrap-server", b.Addr, "--describe", "--topic-list", "tools"))
		lines := Lines(out)
		js := regexp.MustCompile(`^\{"version":1,"brokers":\[\{"broker":0,"logDirs":\[\{"logDir":"` + regexp.QuoteMeta(b.LogDir) +
			`","error":null,"partitions":\[\{"partition":"tools-0","size":\d+,"offsetLag":0,"isFuture":false\},\{"partition":"tools-1","size":\d+,"offsetLag":0,"isFuture":false\}\]\}\]\}\]\}$`)
		if len(lines) != 3 || lines[0] != "Querying brokers for log directories information" ||
			lines[1] != "Received log directory information from brokers 0" || !js.MatchString(lines[2]) {
			t.Errorf("log dirs:\n%s", out)
		}
	})

	t.Run("delete-records", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "offsets.json")
		if err := os.WriteFile(f, []byte(`{"partitions":[{"topic":"tools","partition":0,"offset":3}],"version":1}`), 0o644); err != nil {
			t.Fatal(err)
		}
		out := mustTool(t)(RunTool(t, "kafka-delete-records.sh", "--bootstrap-server", b.Addr, "--offset-json-file", f))
		if out != "Executing records delete operation\nRecords delete operation completed:\npartition: tools-0\tlow_watermark: 3\n" {
			t.Errorf("delete records: %q", out)
		}
		starts, err := adm.ListStartOffsets(Ctx(t, 10*time.Second), "tools")
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := starts.Lookup("tools", 0); o.Offset != 3 {
			t.Errorf("log start offset %+v", o)
		}
	})

	t.Run("perf", func(t *testing.T) {
		out := mustTool(t)(RunTool(t, "kafka-producer-perf-test.sh", "--topic", "perf", "--num-records", "2000", "--record-size", "100",
			"--throughput", "-1", "--producer-props", "bootstrap.servers="+b.Addr, "acks=all"))
		final := regexp.MustCompile(`^2000 records sent, \d+\.\d{6} records/sec \(\d+\.\d{2} MB/sec\), \d+\.\d{2} ms avg latency, \d+\.\d{2} ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$`)
		if lines := Lines(out); len(lines) == 0 || !final.MatchString(lines[len(lines)-1]) {
			t.Errorf("producer perf:\n%s", out)
		}
		out = mustTool(t)(RunTool(t, "kafka-consumer-perf-test.sh", "--bootstrap-server", b.Addr, "--topic", "perf", "--messages", "2000"))
		lines := Lines(out)
		values := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, 0\.1907, (?:[0-9.]+|Infinity), 2000, (?:[0-9.]+|Infinity), \d+, -?\d+, .*$`)
		if len(lines) != 2 || lines[0] != "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec" ||
			!values.MatchString(lines[1]) {
			t.Errorf("consumer perf:\n%s", out)
		}
	})
}
