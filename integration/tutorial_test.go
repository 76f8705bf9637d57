package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSeedTutorial is the golden run of the seed tutorial as a newcomer types it: ZooKeeper
// and a broker started with bin/zookeeper-server-start.sh and bin/kafka-server-start.sh from
// the shipped config files, then every step through the bin/ scripts with the exact lines
// and exit codes Kafka 2.8's tools give. The only departures from config/*.properties are
// the ones a test needs: private ports and directories, a one-second retention check so the
// seed's retention.ms=1000 visibly deletes a segment, and a one-second file delete delay so
// a deleted topic leaves the disk within the test's patience. The seed's retention.ms=1000
// change comes after the consumer steps, so that the segment it expires is the one they read.
func TestSeedTutorial(t *testing.T) {
	requireZooKeeper(t)
	tu := newTutorial(t)

	// The scripts rebuild bin/.kafka when any Go file is newer than it; do that once, outside
	// the timed steps, so that a rebuild cannot eat into the servers' start-up deadlines.
	if out, errOut, code := tu.tool("", "kafka-topics", "--version"); code != 0 {
		t.Fatalf("bin/kafka-topics.sh --version: exit %d\n%s%s", code, out, errOut)
	}

	tu.startZooKeeper()
	tu.startBroker()
	zkc, bs := tu.zk.Addr, tu.brokerAddr
	start := time.Now()
	// Each step builds on the one before: stop at the first that fails.
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("broker log", func(t *testing.T) {
		for _, want := range []string{
			"INFO Registered broker 0 at path /brokers/ids/0 with addresses: PLAINTEXT://" + bs + ", czxid (broker epoch): ",
			"INFO 0 successfully elected as the controller. Epoch incremented to 1 and epoch zk version is now 1 (kafka.controller.KafkaController)",
			"INFO [KafkaServer id=0] started (kafka.server.KafkaServer)",
		} {
			WaitFor(t, 20*time.Second, func() (bool, string) {
				return strings.Contains(tu.brokerLog(), want), "broker log lacks " + want
			})
		}
	})

	step("create", func(t *testing.T) {
		tu.expect(t, "", []string{"kafka-topics", "--zookeeper", zkc, "--create", "--topic", "topic1", "--partitions", "1", "--replication-factor", "1"},
			0, "Created topic topic1.\n", "")
		// Kafka prints the message on stdout and logs the exception through log4j on stderr.
		out, errOut, code := tu.tool("", "kafka-topics", "--zookeeper", zkc, "--create", "--topic", "topic1", "--partitions", "1", "--replication-factor", "1")
		if code != 1 || out != "Error while executing topic command : Topic 'topic1' already exists.\n" ||
			!regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] ERROR org\.apache\.kafka\.common\.errors\.TopicExistsException: Topic 'topic1' already exists\. \(kafka\.admin\.TopicCommand\$\)\n`).MatchString(errOut) {
			t.Errorf("create again: exit %d\n%q\n%q", code, out, errOut)
		}
	})

	var topicID string
	step("list and describe", func(t *testing.T) {
		tu.expect(t, "", []string{"kafka-topics", "--zookeeper", zkc, "--list"}, 0, "topic1\n", "")
		// The controller writes the partition's state znode and adds the topic id; until then
		// the broker's metadata has no leader to describe.
		WaitFor(t, 20*time.Second, func() (bool, string) {
			s, ok := ZKGetOK(t, tu.zk, "/brokers/topics/topic1/partitions/0/state")
			return ok, "no partition state yet: " + s
		})
		var assign topicAssignment
		mustJSON(t, ZKGet(t, tu.zk, "/brokers/topics/topic1"), &assign)
		if assign.Version != 3 || fmt.Sprint(assign.Partitions) != "map[0:[0]]" || assign.TopicID == nil || len(*assign.TopicID) != 22 {
			t.Fatalf("/brokers/topics/topic1: %+v", assign)
		}
		topicID = *assign.TopicID
		var st partitionState
		mustJSON(t, ZKGet(t, tu.zk, "/brokers/topics/topic1/partitions/0/state"), &st)
		if st.Leader != 0 || st.LeaderEpoch != 0 || st.ControllerEpoch != 1 || fmt.Sprint(st.ISR) != "[0]" {
			t.Errorf("partition state: %+v", st)
		}
		if got := ZKGet(t, tu.zk, "/config/topics/topic1"); got != `{"version":1,"config":{}}` {
			t.Errorf("/config/topics/topic1 = %s", got)
		}

		partLine := "\tTopic: topic1\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\n"
		// Through the Admin API the broker's static log.* settings count as non-default topic
		// configs (segment.bytes as in Kafka's own quickstart output; file.delete.delay.ms is
		// this test's log.segment.delete.delay.ms).
		want := "Topic: topic1\tTopicId: " + topicID + "\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: file.delete.delay.ms=1000,segment.bytes=1073741824\n" + partLine
		WaitFor(t, 20*time.Second, func() (bool, string) {
			out, errOut, code := tu.tool("", "kafka-topics", "--bootstrap-server", bs, "--describe", "--topic", "topic1")
			return code == 0 && out == want, fmt.Sprintf("exit %d\n%q\n%s", code, out, errOut)
		})
		tu.expect(t, "", []string{"kafka-topics", "--bootstrap-server", bs, "--list"}, 0, "topic1\n", "")
		// Through ZooKeeper only the topic's overrides show: none yet.
		tu.expect(t, "", []string{"kafka-topics", "--zookeeper", zkc, "--describe", "--topic", "topic1"}, 0,
			"Topic: topic1\tTopicId: "+topicID+"\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: \n"+partLine, "")
	})

	values := "hello\nworld\nagain\nbye\n"
	keyed := "user1\thello\nuser2\tworld\nuser1\tagain\nuser3\tbye\n"
	step("produce with keys", func(t *testing.T) {
		tu.expect(t, "user1:hello\nuser2:world\nuser1:again\nuser3:bye\n",
			[]string{"kafka-console-producer", "--bootstrap-server", bs, "--topic", "topic1", "--property", "parse.key=true", "--property", "key.separator=:"},
			0, "", "")
	})

	step("consume from the beginning", func(t *testing.T) {
		tu.expect(t, "", []string{"kafka-console-consumer", "--bootstrap-server", bs, "--topic", "topic1", "--from-beginning", "--max-messages", "4"},
			0, values, "Processed a total of 4 messages\n")
		tu.expect(t, "", []string{"kafka-console-consumer", "--bootstrap-server", bs, "--topic", "topic1", "--from-beginning", "--max-messages", "4",
			"--property", "print.key=true"}, 0, keyed, "Processed a total of 4 messages\n")
	})

	step("consume in a group", func(t *testing.T) {
		tu.expect(t, "", []string{"kafka-console-consumer", "--bootstrap-server", bs, "--topic", "topic1", "--from-beginning", "--max-messages", "4",
			"--consumer-property", "group.id=my-group", "--property", "print.key=true"}, 0, keyed, "Processed a total of 4 messages\n")
		tu.expectGroupOffsets(t, []string{"--bootstrap-server", bs}, "", 4, 4)
	})

	step("reset to earliest and consume again", func(t *testing.T) {
		tu.expect(t, "", []string{"kafka-consumer-groups", "--bootstrap-server", bs, "--reset-offsets", "--group", "my-group", "--topic", "topic1", "--to-earliest", "--execute"},
			0, "\nGROUP                          TOPIC                          PARTITION  NEW-OFFSET     \n"+
				"my-group                       topic1                         0          0              \n", "")
		tu.expectGroupOffsets(t, []string{"--bootstrap-server", bs}, "", 0, 4)
		// No --from-beginning: the group's committed offset (now 0) decides where to start.
		tu.expect(t, "", []string{"kafka-console-consumer", "--bootstrap-server", bs, "--topic", "topic1", "--max-messages", "4",
			"--consumer-property", "group.id=my-group"}, 0, values, "Processed a total of 4 messages\n")
		tu.expectGroupOffsets(t, []string{"--bootstrap-server", bs}, "", 4, 4)
	})

	step("consumer-groups --zookeeper", func(t *testing.T) {
		// Kafka 2.x removed the flag; the tool finds the broker through ZooKeeper and says so.
		tu.expectGroupOffsets(t, []string{"--zookeeper", zkc},
			"Note: --zookeeper is not supported for consumer groups since Kafka 2.x; using broker(s) found in ZooKeeper: "+bs+"\n", 4, 4)
	})

	step("delete group", func(t *testing.T) {
		tu.expect(t, "", []string{"kafka-consumer-groups", "--bootstrap-server", bs, "--delete", "--group", "my-group"},
			0, "Deletion of requested consumer groups ('my-group') was successful.\n", "")
		tu.expect(t, "", []string{"kafka-consumer-groups", "--bootstrap-server", bs, "--describe", "--group", "my-group"},
			0, "\nError: Consumer group 'my-group' does not exist.\n", "")
		out := tu.mustRun(t, "", "kafka-consumer-groups", "--bootstrap-server", bs, "--list")
		if hasLine(out, "my-group") {
			t.Errorf("my-group still listed:\n%s", out)
		}
	})

	step("alter retention.ms (the seed line)", func(t *testing.T) {
		tu.expect(t, "", []string{"kafka-topics", "--zookeeper", zkc, "--alter", "--topic", "topic1", "--config", "retention.ms=1000"}, 0,
			"WARNING: Altering topic configuration from this script has been deprecated and may be removed in future releases.\n"+
				"         Going forward, please use kafka-configs.sh for this functionality\n"+
				"Updated config for topic topic1.\n", "")
		var cfg struct {
			Version int               `json:"version"`
			Config  map[string]string `json:"config"`
		}
		mustJSON(t, ZKGet(t, tu.zk, "/config/topics/topic1"), &cfg)
		if cfg.Version != 1 || fmt.Sprint(cfg.Config) != "map[retention.ms:1000]" {
			t.Errorf("/config/topics/topic1: %+v", cfg)
		}
		changes := ZKChildren(t, tu.zk, "/config/changes")
		if len(changes) != 1 || changes[0] != "config_change_0000000000" {
			t.Fatalf("/config/changes: %v", changes)
		}
		var change struct {
			Version    int    `json:"version"`
			EntityPath string `json:"entity_path"`
		}
		mustJSON(t, ZKGet(t, tu.zk, "/config/changes/"+changes[0]), &change)
		if change.Version != 2 || change.EntityPath != "topics/topic1" {
			t.Errorf("notification: %+v", change)
		}
		// The running broker applies it: the segment holding the four records is older than a
		// second, so the next retention check rolls a new segment and deletes the old one.
		tu.waitBrokerLog(t, "Processing override for entityPath: topics/topic1 with config: HashMap(retention.ms -> 1000)")
		tu.waitBrokerLog(t, "[Log partition=topic1-0, dir="+tu.logDirs+"] Incremented log start offset to 4 due to segment deletion")
		seg := filepath.Join(tu.logDirs, "topic1-0", "00000000000000000004.log")
		if _, err := os.Stat(seg); err != nil {
			t.Errorf("no new active segment: %v", err)
		}
		tu.expect(t, "", []string{"kafka-topics", "--zookeeper", zkc, "--describe", "--topic", "topic1"}, 0,
			"Topic: topic1\tTopicId: "+topicID+"\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: retention.ms=1000\n"+
				"\tTopic: topic1\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\n", "")
	})

	step("delete topic", func(t *testing.T) {
		tu.expect(t, "", []string{"kafka-topics", "--zookeeper", zkc, "--delete", "--topic", "topic1"}, 0,
			"Topic topic1 is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n", "")
		WaitFor(t, 30*time.Second, func() (bool, string) {
			out, errOut, code := tu.tool("", "kafka-topics", "--zookeeper", zkc, "--list")
			return code == 0 && out == "__consumer_offsets\n", fmt.Sprintf("--list: exit %d %q %s", code, out, errOut)
		})
		tu.expect(t, "", []string{"kafka-topics", "--bootstrap-server", bs, "--list"}, 0, "__consumer_offsets\n", "")
		for _, p := range []string{"/brokers/topics/topic1", "/config/topics/topic1", "/admin/delete_topics/topic1"} {
			if ZKExists(t, tu.zk, p) {
				t.Errorf("%s still exists", p)
			}
		}
		WaitFor(t, 30*time.Second, func() (bool, string) {
			left, _ := filepath.Glob(filepath.Join(tu.logDirs, "topic1-*"))
			return len(left) == 0, fmt.Sprintf("still on disk: %v", left)
		})
	})

	step("zookeeper-shell", func(t *testing.T) {
		banner := "Connecting to " + zkc + "\n\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n"
		tu.expect(t, "", []string{"zookeeper-shell", zkc, "ls", "/brokers/ids"}, 0, banner+"[0]\n", "")
		out := tu.mustRun(t, "", "zookeeper-shell", zkc, "get", "/controller")
		if !strings.HasPrefix(out, banner) {
			t.Fatalf("get /controller:\n%s", out)
		}
		var ctl struct {
			Version   int    `json:"version"`
			BrokerID  int    `json:"brokerid"`
			Timestamp string `json:"timestamp"`
		}
		mustJSON(t, strings.TrimSuffix(strings.TrimPrefix(out, banner), "\n"), &ctl)
		if ctl.Version != 1 || ctl.BrokerID != 0 || !regexp.MustCompile(`^\d{13}$`).MatchString(ctl.Timestamp) {
			t.Errorf("/controller: %+v", ctl)
		}
		tu.expect(t, "", []string{"zookeeper-shell", zkc, "get", "/controller_epoch"}, 0, banner+"1\n", "")
	})

	t.Logf("tutorial steps took %v", time.Since(start).Round(time.Millisecond))
}

// tutorial holds the servers started through the scripts and runs tools the same way.
type tutorial struct {
	t          *testing.T
	dir        string
	env        []string // LOG_DIR and a smaller ZooKeeper heap for the scripts
	zk         *ZK      // Addr and the harness's ZooKeeper reader for assertions
	broker     *proc
	brokerAddr string
	logDirs    string
}

func newTutorial(t *testing.T) *tutorial {
	dir := t.TempDir()
	return &tutorial{t: t, dir: dir,
		env: []string{"LOG_DIR=" + filepath.Join(dir, "logs"), "KAFKA_HEAP_OPTS=-Xmx256M -Xms32M"}}
}

func (tu *tutorial) script(name string) string {
	return filepath.Join(moduleRoot, "bin", name+".sh")
}

// shippedConfig returns config/<name> with keys replaced in place and missing ones appended,
// so everything else stays what the repository ships.
func (tu *tutorial) shippedConfig(name string, set map[string]string, order []string) string {
	t := tu.t
	data, err := os.ReadFile(filepath.Join(moduleRoot, "config", name))
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]bool{}
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '='); i > 0 && !strings.HasPrefix(line, "#") {
			if v, ok := set[line[:i]]; ok {
				line = line[:i] + "=" + v
				done[line[:i]] = true
			}
		}
		b.WriteString(line + "\n")
	}
	for _, k := range order {
		if !done[k] {
			fmt.Fprintf(&b, "%s=%s\n", k, set[k])
		}
	}
	path := filepath.Join(tu.dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (tu *tutorial) startZooKeeper() {
	t := tu.t
	port := FreePort(t)
	cfg := tu.shippedConfig("zookeeper.properties", map[string]string{
		"dataDir":    filepath.Join(tu.dir, "zookeeper"),
		"clientPort": fmt.Sprint(port),
	}, []string{"dataDir", "clientPort"})
	tu.zk = &ZK{Port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: tu.dir}
	tu.zk.client.servers = []string{tu.zk.Addr}
	p, err := startProc(tu.script("zookeeper-server-start"), []string{tu.script("zookeeper-server-start"), cfg},
		tu.dir, filepath.Join(tu.dir, "zookeeper.console"), tu.env, nil)
	if err != nil {
		t.Fatalf("bin/zookeeper-server-start.sh: %v", err)
	}
	tu.zk.p = p
	t.Cleanup(func() {
		tu.zk.client.close()
		p.stop(20 * time.Second)
		if t.Failed() {
			t.Logf("---- zookeeper output ----\n%s", tailFile(filepath.Join(tu.dir, "zookeeper.console"), 30))
		}
	})
	deadline := time.Now().Add(zkStartTimeout)
	for {
		if p.exited() {
			t.Fatalf("zookeeper-server-start.sh exited with code %d:\n%s", p.exitCode(), tailFile(filepath.Join(tu.dir, "zookeeper.console"), 40))
		}
		// The shipped zookeeper.properties whitelists no four-letter words, and ZooKeeper
		// then answers only srvr, which names a Mode once the server serves requests.
		out, err := FourLetter(tu.zk.Addr, "srvr")
		if err == nil && strings.Contains(out, "Mode: standalone") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("zookeeper not serving after %v: srvr -> %q, %v", zkStartTimeout, out, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (tu *tutorial) startBroker() {
	t := tu.t
	port := FreePort(t)
	tu.brokerAddr = fmt.Sprintf("127.0.0.1:%d", port)
	tu.logDirs = filepath.Join(tu.dir, "kafka-logs")
	cfg := tu.shippedConfig("server.properties", map[string]string{
		"listeners":                       "PLAINTEXT://" + tu.brokerAddr,
		"log.dirs":                        tu.logDirs,
		"zookeeper.connect":               tu.zk.Addr,
		"log.retention.check.interval.ms": "1000",
		"log.segment.delete.delay.ms":     "1000",
	}, []string{"listeners", "log.dirs", "zookeeper.connect", "log.retention.check.interval.ms", "log.segment.delete.delay.ms"})
	p, err := startProc(tu.script("kafka-server-start"), []string{tu.script("kafka-server-start"), cfg},
		tu.dir, filepath.Join(tu.dir, "server.console"), tu.env, nil)
	if err != nil {
		t.Fatalf("bin/kafka-server-start.sh: %v", err)
	}
	tu.broker = p
	t.Cleanup(func() {
		p.stop(stopGrace)
		if t.Failed() {
			t.Logf("---- broker output ----\n%s", tailFile(filepath.Join(tu.dir, "server.console"), 60))
		}
	})
	deadline := time.Now().Add(brokerStartTimeout)
	for {
		if p.exited() {
			t.Fatalf("kafka-server-start.sh exited with code %d:\n%s", p.exitCode(), tailFile(filepath.Join(tu.dir, "server.console"), 40))
		}
		if ZKExists(t, tu.zk, "/brokers/ids/0") && strings.Contains(tu.brokerLog(), "[KafkaServer id=0] started") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker not registered after %v:\n%s", brokerStartTimeout, tailFile(filepath.Join(tu.dir, "server.console"), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (tu *tutorial) brokerLog() string {
	b, _ := os.ReadFile(filepath.Join(tu.dir, "server.console"))
	return string(b)
}

func (tu *tutorial) waitBrokerLog(t *testing.T, substr string) {
	t.Helper()
	WaitFor(t, 20*time.Second, func() (bool, string) {
		return strings.Contains(tu.brokerLog(), substr), "broker log never printed " + substr
	})
}

// tool runs bin/<name>.sh as a user would, from a scratch directory.
func (tu *tutorial) tool(stdin, name string, args ...string) (string, string, int) {
	tu.t.Helper()
	cmd := exec.Command(tu.script(name), args...)
	cmd.Dir = tu.dir
	cmd.Env = append(os.Environ(), tu.env...)
	return runCmd(tu.t, cmd, stdin)
}

func (tu *tutorial) mustRun(t *testing.T, stdin, name string, args ...string) string {
	t.Helper()
	out, errOut, code := tu.tool(stdin, name, args...)
	if code != 0 {
		t.Fatalf("bin/%s.sh %s: exit %d\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// expect runs argv (tool name first) and requires the exact exit code, stdout and stderr.
func (tu *tutorial) expect(t *testing.T, stdin string, argv []string, code int, stdout, stderr string) {
	t.Helper()
	out, errOut, got := tu.tool(stdin, argv[0], argv[1:]...)
	if got != code || out != stdout || errOut != stderr {
		t.Fatalf("bin/%s.sh %s\nexit %d (want %d)\nstdout:\n%q\nwant:\n%q\nstderr:\n%q\nwant:\n%q",
			argv[0], strings.Join(argv[1:], " "), got, code, out, stdout, errOut, stderr)
	}
}

// expectGroupOffsets describes my-group (no member is active between tool runs) and checks
// the one topic1 row by column name.
func (tu *tutorial) expectGroupOffsets(t *testing.T, conn []string, stderrPrefix string, current, end int) {
	t.Helper()
	args := append(append([]string{}, conn...), "--describe", "--group", "my-group")
	out, errOut, code := tu.tool("", "kafka-consumer-groups", args...)
	wantErr := stderrPrefix + "\nConsumer group 'my-group' has no active members.\n"
	lines := Lines(out)
	if code != 0 || errOut != wantErr || len(lines) != 3 || lines[0] != "" {
		t.Fatalf("describe %v: exit %d\nstdout:\n%s\nstderr:\n%q\nwant stderr %q", conn, code, out, errOut, wantErr)
	}
	if want := "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID"; lines[1] != want {
		t.Errorf("header:\n%q\nwant:\n%q", lines[1], want)
	}
	header, row := strings.Fields(lines[1]), strings.Fields(lines[2])
	if len(row) != len(header) {
		t.Fatalf("row %q does not match header %q", lines[2], lines[1])
	}
	col := map[string]string{}
	for i, h := range header {
		col[h] = row[i]
	}
	want := map[string]string{"GROUP": "my-group", "TOPIC": "topic1", "PARTITION": "0",
		"CURRENT-OFFSET": fmt.Sprint(current), "LOG-END-OFFSET": fmt.Sprint(end), "LAG": fmt.Sprint(end - current),
		"CONSUMER-ID": "-", "HOST": "-", "CLIENT-ID": "-"}
	if fmt.Sprint(col) != fmt.Sprint(want) {
		t.Errorf("describe row:\n%v\nwant:\n%v", col, want)
	}
}

func mustJSON(t *testing.T, s string, v interface{}) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%v in %q", err, s)
	}
}
