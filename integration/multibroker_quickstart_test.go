package integration

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TestMultiBrokerQuickstart is "Setting up a multi-broker cluster" from the Kafka quickstart,
// typed as the quickstart has it through the repository's bin/ scripts: config/server.properties
// copied to server-1.properties and server-2.properties with broker.id, listeners and log.dirs
// edited, three brokers started with bin/kafka-server-start.sh, a topic with replication factor
// 3, two messages produced and consumed, the leader killed with kill -9, --describe showing the
// new leader and the shrunken ISR, and the messages still all there. The departures a test
// needs: free ports instead of 9092-9094 and 2181, temp directories instead of /tmp/kafka-logs*
// and /tmp/zookeeper, zookeeper.connect pointing at that ZooKeeper, and a LOG_DIR per process.
// Everything else (zookeeper.session.timeout.ms=18000 included) is the shipped configuration,
// so the failover takes as long as the quickstart's reader waits.
func TestMultiBrokerQuickstart(t *testing.T) {
	requireZooKeeper(t)
	if testing.Short() {
		t.Skip("a ZooKeeper JVM, three brokers and an 18 s session expiry; skipped with -short")
	}
	qs := &quickstart{tutorial: newTutorial(t)}

	// The scripts rebuild bin/.kafka when any Go file is newer than it; do that now, so that a
	// rebuild cannot eat into the servers' start-up deadlines.
	if out, errOut, code := qs.tool("", "kafka-topics", "--version"); code != 0 {
		t.Fatalf("bin/kafka-topics.sh --version: exit %d\n%s%s", code, out, errOut)
	}
	qs.startZooKeeper()

	// > cp config/server.properties config/server-1.properties
	// > cp config/server.properties config/server-2.properties
	// and edit broker.id, listeners and log.dirs in each.
	ports := FreePorts(t, 3)
	var wg sync.WaitGroup
	for id := 0; id < 3; id++ {
		name := "server.properties"
		if id > 0 {
			name = fmt.Sprintf("server-%d.properties", id)
		}
		logDirs := filepath.Join(qs.dir, "kafka-logs")
		if id > 0 {
			logDirs += fmt.Sprintf("-%d", id)
		}
		cfg := qs.copyConfig("server.properties", name, [][2]string{
			{"broker.id", strconv.Itoa(id)},
			{"listeners", fmt.Sprintf("PLAINTEXT://:%d", ports[id])},
			{"log.dirs", logDirs},
			{"zookeeper.connect", qs.zk.Addr},
		})
		if id > 0 {
			qs.checkEdited(cfg, id, ports[id], logDirs)
		}
		b := qs.launchBroker(id, cfg, ports[id])
		wg.Add(1)
		go func() { defer wg.Done(); b.ready = qs.waitBroker(b) }()
	}
	wg.Wait()
	for _, b := range qs.brokers {
		if b.ready != "" {
			t.Fatal(b.ready)
		}
	}
	bs := qs.brokers[0].bootstrap

	// > bin/kafka-topics.sh --create --bootstrap-server localhost:9092 --replication-factor 3 --partitions 1 --topic my-replicated-topic
	qs.expect(t, "", []string{"kafka-topics", "--create", "--bootstrap-server", bs, "--replication-factor", "3", "--partitions", "1", "--topic", "my-replicated-topic"},
		0, "Created topic my-replicated-topic.\n", "")

	// > bin/kafka-topics.sh --describe --bootstrap-server localhost:9092 --topic my-replicated-topic
	var topicID string
	WaitFor(t, 30*time.Second, func() (bool, string) {
		data, ok := ZKGetOK(t, qs.zk, "/brokers/topics/my-replicated-topic")
		var assign struct {
			TopicID string `json:"topic_id"`
		}
		if ok {
			if err := json.Unmarshal([]byte(data), &assign); err != nil {
				t.Fatalf("/brokers/topics/my-replicated-topic: %v in %q", err, data)
			}
			topicID = assign.TopicID
		}
		return len(topicID) == 22, "no topic id in /brokers/topics/my-replicated-topic: " + data
	})
	before := qs.waitDescribe(bs, topicID, 30*time.Second, func(d describedPartition) (bool, string) {
		return len(d.isr) == 3, "ISR not full yet"
	})
	if fmt.Sprint(before.isr) != fmt.Sprint(before.replicas) || before.leader != before.replicas[0] || !sameIDs(before.replicas, []int32{0, 1, 2}) {
		t.Fatalf("new topic: %s, want the first replica leading and the ISR in assignment order", before.line)
	}
	t.Logf("before the kill:\n%s", before.out)

	// > bin/kafka-console-producer.sh --broker-list localhost:9092 --topic my-replicated-topic
	qs.expect(t, "my test message 1\nmy test message 2\n", []string{"kafka-console-producer", "--broker-list", bs, "--topic", "my-replicated-topic"}, 0, "", "")
	// > bin/kafka-console-consumer.sh --bootstrap-server localhost:9092 --from-beginning --topic my-replicated-topic
	messages := "my test message 1\nmy test message 2\n"
	qs.expect(t, "", []string{"kafka-console-consumer", "--bootstrap-server", bs, "--from-beginning", "--topic", "my-replicated-topic", "--max-messages", "2"},
		0, messages, "Processed a total of 2 messages\n")

	// > ps aux | grep server-1.properties
	// > kill -9 <pid>          (the leader's)
	victim := qs.brokers[before.leader]
	var survivor *qsBroker
	for _, b := range qs.brokers {
		if b != victim {
			survivor = b
			break
		}
	}
	pids := pidsWithArg(t, victim.config)
	if len(pids) != 1 || pids[0] != victim.p.pid() || !ProcessAlive(pids[0]) {
		t.Fatalf("ps aux | grep %s: pids %v, want the running broker %d's pid %d", filepath.Base(victim.config), pids, victim.id, victim.p.pid())
	}
	start := time.Now()
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pids[0], err)
	}
	if !victim.p.wait(10 * time.Second) {
		t.Fatalf("broker %d (pid %d) still running 10 s after kill -9", victim.id, pids[0])
	}
	if code := victim.p.exitCode(); code != -1 {
		t.Fatalf("broker %d after kill -9: exit code %d, want death by signal", victim.id, code)
	}

	// > bin/kafka-topics.sh --describe --bootstrap-server <a surviving broker> --topic my-replicated-topic
	// The dead broker leaves the ISR and the next in-sync replica in assignment order leads.
	wantISR := []int32{}
	for _, r := range before.isr {
		if r != victim.id {
			wantISR = append(wantISR, r)
		}
	}
	after := qs.waitDescribe(survivor.bootstrap, topicID, 60*time.Second, func(d describedPartition) (bool, string) {
		return d.leader != victim.id && !containsID(d.isr, victim.id), fmt.Sprintf("broker %d still leads or is in the ISR", victim.id)
	})
	failover := time.Since(start)
	t.Logf("QUICKSTART FAILOVER kill-9: %s (leader %d killed; --describe on broker %d shows leader %d, isr %v; zookeeper.session.timeout.ms=18000, the shipped default)",
		secs(failover), victim.id, survivor.id, after.leader, after.isr)
	t.Logf("after the kill:\n%s", after.out)
	if fmt.Sprint(after.replicas) != fmt.Sprint(before.replicas) || fmt.Sprint(after.isr) != fmt.Sprint(wantISR) || after.leader != wantISR[0] {
		t.Errorf("after the kill: %s; want leader %d, replicas %v, isr %v", after.line, wantISR[0], before.replicas, wantISR)
	}
	if failover < 10*time.Second {
		// A kill -9 leaves the broker's ephemeral znode until its 18 s session expires; a
		// faster failover would mean someone is not waiting for ZooKeeper.
		t.Errorf("failover after %s, faster than the ZooKeeper session timeout allows", secs(failover))
	}
	if st, ok := ZKGetOK(t, qs.zk, fmt.Sprintf("/brokers/ids/%d", victim.id)); ok {
		t.Errorf("/brokers/ids/%d still registered after the failover: %s", victim.id, st)
	}

	// The shipped offsets.topic.replication.factor=1 put a third of __consumer_offsets on the
	// dead broker alone, and without unclean leader election those partitions stay offline,
	// as in Kafka.
	offline := qs.offlineOffsetsPartitions(victim.id)
	if len(offline) == 0 {
		t.Errorf("no __consumer_offsets partition lived on broker %d alone", victim.id)
	}

	// > bin/kafka-console-consumer.sh --bootstrap-server <a surviving broker> --from-beginning --topic my-replicated-topic
	// The quickstart's consumer gets a random group id (console-consumer-NNNNN); one whose
	// offsets partition went down with the broker finds no coordinator and waits forever, in
	// Kafka as here (FindCoordinator answers COORDINATOR_NOT_AVAILABLE for it). The group is
	// named instead, one whose coordinator is alive; a new group each time, so that
	// --from-beginning applies.
	for _, b := range qs.brokers {
		if b == victim {
			continue
		}
		var stranded string
		for n := 0; stranded == ""; n++ {
			if g := fmt.Sprintf("console-consumer-%d", n); offline[offsetsPartitionOf(g)] {
				stranded = g
			}
		}
		if node, err := findCoordinator(b.bootstrap, stranded); !errors.Is(err, kerr.CoordinatorNotAvailable) {
			t.Errorf("FindCoordinator(%s) on broker %d: node %d, %v; want COORDINATOR_NOT_AVAILABLE (its offsets partition %d is offline)",
				stranded, b.id, node, err, offsetsPartitionOf(stranded))
		}
		group := qs.groupWithLiveCoordinator(fmt.Sprintf("quickstart-reader-%d", b.id), offline)
		qs.expect(t, "", []string{"kafka-console-consumer", "--bootstrap-server", b.bootstrap, "--from-beginning", "--topic", "my-replicated-topic", "--max-messages", "2", "--group", group},
			0, messages, "Processed a total of 2 messages\n")
	}
}

// offlineOffsetsPartitions returns the __consumer_offsets partitions whose only replica is on
// the dead broker, after checking that each has no leader in ZooKeeper.
func (qs *quickstart) offlineOffsetsPartitions(dead int32) map[int32]bool {
	t := qs.t
	t.Helper()
	var assign struct {
		Partitions map[string][]int32 `json:"partitions"`
	}
	data := ZKGet(t, qs.zk, "/brokers/topics/__consumer_offsets")
	if err := json.Unmarshal([]byte(data), &assign); err != nil {
		t.Fatalf("/brokers/topics/__consumer_offsets: %v in %q", err, data)
	}
	out := map[int32]bool{}
	for ps, rs := range assign.Partitions {
		p, _ := strconv.Atoi(ps)
		if len(rs) != 1 {
			t.Fatalf("__consumer_offsets-%d replicas %v: the shipped offsets.topic.replication.factor is 1", p, rs)
		}
		if rs[0] != dead {
			continue
		}
		out[int32(p)] = true
		path := fmt.Sprintf("/brokers/topics/__consumer_offsets/partitions/%d/state", p)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			var st partState
			data := ZKGet(t, qs.zk, path)
			if err := json.Unmarshal([]byte(data), &st); err != nil {
				t.Fatalf("%s: %v in %q", path, err, data)
			}
			return st.Leader == -1 && fmt.Sprint(st.ISR) == fmt.Sprint([]int32{dead}), fmt.Sprintf("%s = %s, want leader -1 and the dead broker as the last ISR", path, data)
		})
	}
	return out
}

// groupWithLiveCoordinator returns prefix-N for the smallest N whose __consumer_offsets
// partition is not offline.
func (qs *quickstart) groupWithLiveCoordinator(prefix string, offline map[int32]bool) string {
	for n := 0; ; n++ {
		g := fmt.Sprintf("%s-%d", prefix, n)
		if !offline[offsetsPartitionOf(g)] {
			return g
		}
	}
}

// quickstart is the seed tutorial's harness (ZooKeeper and tools through bin/) with several
// brokers, each with its own LOG_DIR.
type quickstart struct {
	*tutorial
	brokers []*qsBroker
}

type qsBroker struct {
	id        int32
	p         *proc
	config    string // its properties file
	console   string // the process's stdout and stderr
	bootstrap string // localhost:<port>
	ready     string // why it did not start; "" once it did
}

// copyConfig copies config/<src> to <dir>/<dst> and edits it: a key already set (not commented
// out) gets the new value in place, any other is added at the end, as one edits the file. (The
// tutorial's shippedConfig keeps the file's name; the quickstart's copies have new ones.)
func (qs *quickstart) copyConfig(src, dst string, set [][2]string) string {
	t := qs.t
	data, err := os.ReadFile(filepath.Join(moduleRoot, "config", src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, kv := range set {
		want[kv[0]] = kv[1]
	}
	done := map[string]bool{}
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '='); i > 0 && !strings.HasPrefix(line, "#") {
			if v, ok := want[line[:i]]; ok {
				done[line[:i]] = true
				line = line[:i] + "=" + v
			}
		}
		b.WriteString(line + "\n")
	}
	for _, kv := range set {
		if !done[kv[0]] {
			fmt.Fprintf(&b, "%s=%s\n", kv[0], kv[1])
		}
	}
	path := filepath.Join(qs.dir, dst)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkEdited: apart from the edited keys, server-N.properties is config/server.properties.
func (qs *quickstart) checkEdited(path string, id, port int, logDirs string) {
	t := qs.t
	got, want := ReadProperties(t, path), ReadProperties(t, filepath.Join(moduleRoot, "config", "server.properties"))
	want["broker.id"], want["listeners"], want["log.dirs"], want["zookeeper.connect"] = strconv.Itoa(id), fmt.Sprintf("PLAINTEXT://:%d", port), logDirs, qs.zk.Addr
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s:\n%v\nwant:\n%v", path, got, want)
	}
}

// launchBroker: > bin/kafka-server-start.sh config/server-N.properties &
func (qs *quickstart) launchBroker(id int, cfg string, port int) *qsBroker {
	t := qs.t
	name := fmt.Sprintf("server-%d", id)
	b := &qsBroker{id: int32(id), config: cfg, console: filepath.Join(qs.dir, name+".console"), bootstrap: fmt.Sprintf("localhost:%d", port)}
	env := []string{"LOG_DIR=" + filepath.Join(qs.dir, "logs-"+name), "KAFKA_HEAP_OPTS=-Xmx256M -Xms32M"}
	p, err := startProc(qs.script("kafka-server-start"), []string{qs.script("kafka-server-start"), cfg}, qs.dir, b.console, env, nil)
	if err != nil {
		t.Fatalf("bin/kafka-server-start.sh %s: %v", cfg, err)
	}
	b.p = p
	if len(qs.brokers) == 0 {
		// One cleanup stops every broker at once: one at a time, each controlled shutdown
		// would wait on the next.
		t.Cleanup(func() {
			var wg sync.WaitGroup
			for _, b := range qs.brokers {
				wg.Add(1)
				go func(b *qsBroker) { defer wg.Done(); b.p.stop(stopGrace) }(b)
			}
			wg.Wait()
			if t.Failed() {
				for _, b := range qs.brokers {
					data, _ := os.ReadFile(b.console)
					var topicLines []string
					for _, line := range strings.Split(string(data), "\n") {
						if strings.Contains(line, "my-replicated-topic") {
							topicLines = append(topicLines, line)
						}
					}
					t.Logf("---- broker %d: lines about my-replicated-topic ----\n%s\n---- broker %d output tail ----\n%s",
						b.id, strings.Join(topicLines, "\n"), b.id, tailFile(b.console, 30))
				}
			}
		})
	}
	qs.brokers = append(qs.brokers, b)
	return b
}

// waitBroker returns "" once the broker registered and logged that it started.
func (qs *quickstart) waitBroker(b *qsBroker) string {
	started := fmt.Sprintf("[KafkaServer id=%d] started", b.id)
	deadline := time.Now().Add(brokerStartTimeout)
	for time.Now().Before(deadline) {
		if b.p.exited() {
			return fmt.Sprintf("kafka-server-start.sh (broker %d) exited with code %d:\n%s", b.id, b.p.exitCode(), tailFile(b.console, 40))
		}
		out, _ := os.ReadFile(b.console)
		if strings.Contains(string(out), started) && ZKExists(qs.t, qs.zk, fmt.Sprintf("/brokers/ids/%d", b.id)) {
			return ""
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Sprintf("broker %d not started after %v:\n%s", b.id, brokerStartTimeout, tailFile(b.console, 40))
}

type describedPartition struct {
	out      string // the whole --describe output
	line     string // the partition line
	leader   int32
	replicas []int32
	isr      []int32
}

var describePartitionLine = regexp.MustCompile(`^\tTopic: my-replicated-topic\tPartition: 0\tLeader: (-?\d+)\tReplicas: ([\d,]+)\tIsr: ([\d,]*)$`)

// waitDescribe runs kafka-topics --describe against bootstrap until its output has the
// quickstart's shape (the topic line exactly, one partition line) and ok holds.
func (qs *quickstart) waitDescribe(bootstrap, topicID string, timeout time.Duration, ok func(describedPartition) (bool, string)) describedPartition {
	t := qs.t
	t.Helper()
	header := "Topic: my-replicated-topic\tTopicId: " + topicID + "\tPartitionCount: 1\tReplicationFactor: 3\tConfigs: segment.bytes=1073741824"
	var d describedPartition
	WaitFor(t, timeout, func() (bool, string) {
		out, errOut, code := qs.tool("", "kafka-topics", "--describe", "--bootstrap-server", bootstrap, "--topic", "my-replicated-topic")
		lines := Lines(out)
		if code != 0 || errOut != "" || len(lines) != 2 || lines[0] != header {
			return false, fmt.Sprintf("--describe: exit %d\nstdout:\n%q\nstderr:\n%q\nwant first line %q", code, out, errOut, header)
		}
		m := describePartitionLine.FindStringSubmatch(lines[1])
		if m == nil {
			return false, fmt.Sprintf("partition line %q", lines[1])
		}
		leader, _ := strconv.Atoi(m[1])
		d = describedPartition{out: out, line: lines[1], leader: int32(leader), replicas: parseIDList(m[2]), isr: parseIDList(m[3])}
		if good, why := ok(d); !good {
			return false, fmt.Sprintf("%s: %q", why, lines[1])
		}
		return true, ""
	})
	return d
}

// pidsWithArg is `ps aux | grep <arg>`: the processes with an argument equal to arg.
func pidsWithArg(t testing.TB, arg string) []int {
	t.Helper()
	cmdlines, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, path := range cmdlines {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // gone meanwhile
		}
		for _, a := range strings.Split(string(data), "\x00") {
			if a == arg {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
				out = append(out, pid)
				break
			}
		}
	}
	sort.Ints(out)
	return out
}

func parseIDList(s string) []int32 {
	var out []int32
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, int32(n))
		}
	}
	return out
}
