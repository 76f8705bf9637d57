package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// reassignState is /brokers/topics/<t>/partitions/<p>/state as this test reads it.
type reassignState struct {
	Leader int32   `json:"leader"`
	ISR    []int32 `json:"isr"`
}

func reassignPartitionState(t *testing.T, z ZooKeeper, topic string, p int32) (reassignState, bool) {
	t.Helper()
	data, ok := ZKGetOK(t, z, fmt.Sprintf("/brokers/topics/%s/partitions/%d/state", topic, p))
	if !ok {
		return reassignState{}, false
	}
	var st reassignState
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		t.Fatalf("state of %s-%d %q: %v", topic, p, data, err)
	}
	return st, true
}

func writeJSONFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReassignPartitionsAndLeaderElection drives the 2.8 tools against three brokers:
// kafka-reassign-partitions moves an RF-1 partition between brokers (Admin API, then the
// deprecated ZooKeeper path), and after a restart moved leadership away from the preferred
// replica, kafka-preferred-replica-election --zookeeper and kafka-leader-election bring it
// back.
func TestReassignPartitionsAndLeaderElection(t *testing.T) {
	if testing.Short() {
		t.Skip("ZooKeeper and three brokers; skipped with -short")
	}
	z := StartZooKeeper(t)
	props := map[string]string{
		"zookeeper.session.timeout.ms": "6000",
		"auto.leader.rebalance.enable": "false",
		"replica.lag.time.max.ms":      "10000",
	}
	bs := StartBrokers(t, z, 3, props)
	seeds := strings.Join(Seeds(bs...), ",")
	WaitFor(t, 30*time.Second, func() (bool, string) {
		return len(ZKChildren(t, z, "/brokers/ids")) == 3 && ZKExists(t, z, "/controller"), "three brokers registered and a controller elected"
	})

	// --- Reassignment of an RF-1 partition from broker 0 to broker 1 (Admin API).
	const moved = "moveme"
	if out, errOut, code := RunTool(t, "kafka-topics.sh", "--bootstrap-server", seeds, "--create", "--topic", moved, "--replica-assignment", "0"); code != 0 {
		t.Fatalf("create %s: %d\n%s%s", moved, code, out, errOut)
	}
	WaitFor(t, 30*time.Second, func() (bool, string) {
		st, ok := reassignPartitionState(t, z, moved, 0)
		return ok && st.Leader == 0, fmt.Sprintf("%s-0 state %+v", moved, st)
	})
	cl := NewClient(t, Seeds(bs...), kgo.DefaultProduceTopic(moved), kgo.RequiredAcks(kgo.AllISRAcks()))
	var recs []*kgo.Record
	for i := 0; i < 20; i++ {
		recs = append(recs, &kgo.Record{Value: []byte(fmt.Sprintf("record-%02d", i))})
	}
	ProduceSync(t, cl, recs...)

	plan := writeJSONFile(t, "move.json", `{"version":1,"partitions":[{"topic":"moveme","partition":0,"replicas":[1]}]}`)
	out, errOut, code := RunTool(t, "kafka-reassign-partitions.sh", "--bootstrap-server", seeds, "--execute", "--reassignment-json-file", plan)
	wantOut := "Current partition replica assignment\n\n" +
		`{"version":1,"partitions":[{"topic":"moveme","partition":0,"replicas":[0],"log_dirs":["any"]}]}` + "\n\n" +
		"Save this to use as the --reassignment-json-file option during rollback\n" +
		"Successfully started partition reassignment for moveme-0\n"
	if code != 0 || out != wantOut {
		t.Fatalf("--execute: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var verifyOut string
	WaitFor(t, 30*time.Second, func() (bool, string) {
		out, errOut, code := RunTool(t, "kafka-reassign-partitions.sh", "--bootstrap-server", seeds, "--verify", "--reassignment-json-file", plan)
		verifyOut = out
		return code == 0 && strings.Contains(out, "Reassignment of partition moveme-0 is complete."), out + errOut
	})
	// Once nothing is in progress, --verify clears the throttles of every broker and topic.
	if want := "Status of partition reassignment:\nReassignment of partition moveme-0 is complete.\n\n" +
		"Clearing broker-level throttles on brokers 0,1,2\nClearing topic-level throttles on topic moveme\n"; verifyOut != want {
		t.Errorf("--verify output:\n%s", verifyOut)
	}
	var topicZnode struct {
		Partitions map[string][]int32 `json:"partitions"`
		Adding     map[string][]int32 `json:"adding_replicas"`
		Removing   map[string][]int32 `json:"removing_replicas"`
	}
	if err := json.Unmarshal([]byte(ZKGet(t, z, "/brokers/topics/"+moved)), &topicZnode); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(topicZnode.Partitions) != "map[0:[1]]" || len(topicZnode.Adding) != 0 || len(topicZnode.Removing) != 0 {
		t.Errorf("topic znode after the reassignment: %+v", topicZnode)
	}
	WaitFor(t, 30*time.Second, func() (bool, string) {
		_, err0 := os.Stat(bs[0].PartitionDir(moved, 0))
		_, err1 := os.Stat(filepath.Join(bs[1].PartitionDir(moved, 0), "00000000000000000000.log"))
		return os.IsNotExist(err0) && err1 == nil, fmt.Sprintf("broker 0 dir: %v, broker 1 segment: %v", err0, err1)
	})
	if st, _ := reassignPartitionState(t, z, moved, 0); st.Leader != 1 {
		t.Errorf("%s-0 leader %d after moving to broker 1", moved, st.Leader)
	}
	got := ConsumeN(t, Seeds(bs...), moved, len(recs), 30*time.Second)
	for i, r := range got {
		if string(r.Value) != fmt.Sprintf("record-%02d", i) || r.Offset != int64(i) {
			t.Fatalf("after the move, record %d is %q at offset %d", i, r.Value, r.Offset)
		}
	}
	out, _, _ = RunTool(t, "kafka-reassign-partitions.sh", "--bootstrap-server", seeds, "--list")
	if out != "No partition reassignments found.\n" {
		t.Errorf("--list after completion: %q", out)
	}

	// --generate proposes an assignment over the given brokers only.
	topicsFile := writeJSONFile(t, "topics.json", `{"topics":[{"topic":"moveme"}],"version":1}`)
	out, errOut, code = RunTool(t, "kafka-reassign-partitions.sh", "--bootstrap-server", seeds, "--generate", "--topics-to-move-json-file", topicsFile, "--broker-list", "2")
	wantOut = "Current partition replica assignment\n" +
		`{"version":1,"partitions":[{"topic":"moveme","partition":0,"replicas":[1],"log_dirs":["any"]}]}` + "\n\n" +
		"Proposed partition reassignment configuration\n" +
		`{"version":1,"partitions":[{"topic":"moveme","partition":0,"replicas":[2],"log_dirs":["any"]}]}` + "\n"
	if code != 0 || out != wantOut {
		t.Errorf("--generate: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// Brokers other than the controller answer NOT_CONTROLLER, as Kafka's do: per partition
	// for ElectLeaders, at the top level for the reassignment APIs.
	var ctrl struct {
		BrokerID int32 `json:"brokerid"`
	}
	if err := json.Unmarshal([]byte(ZKGet(t, z, "/controller")), &ctrl); err != nil {
		t.Fatal(err)
	}
	other := (ctrl.BrokerID + 1) % 3
	raw := NewClient(t, Seeds(bs...))
	er := kmsg.NewPtrElectLeadersRequest()
	et := kmsg.NewElectLeadersRequestTopic()
	et.Topic, et.Partitions = moved, []int32{0}
	er.Topics = append(er.Topics, et)
	if r := BrokerRequest(t, raw, other, er).(*kmsg.ElectLeadersResponse); len(r.Topics) != 1 ||
		r.Topics[0].Partitions[0].ErrorCode != kerr.NotController.Code {
		t.Errorf("ElectLeaders to broker %d (controller %d): %+v", other, ctrl.BrokerID, r)
	}
	lr := kmsg.NewPtrListPartitionReassignmentsRequest()
	if r := BrokerRequest(t, raw, other, lr).(*kmsg.ListPartitionReassignmentsResponse); r.ErrorCode != kerr.NotController.Code {
		t.Errorf("ListPartitionReassignments to broker %d: %+v", other, r)
	}
	ar := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	if r := BrokerRequest(t, raw, other, ar).(*kmsg.AlterPartitionAssignmentsResponse); r.ErrorCode != kerr.NotController.Code {
		t.Errorf("AlterPartitionReassignments to broker %d: %+v", other, r)
	}

	// --- The same through ZooKeeper: /admin/reassign_partitions, moving it on to broker 2.
	plan2 := writeJSONFile(t, "move2.json", `{"version":1,"partitions":[{"topic":"moveme","partition":0,"replicas":[2]}]}`)
	out, errOut, code = RunTool(t, "kafka-reassign-partitions.sh", "--zookeeper", z.ConnectString(), "--execute", "--reassignment-json-file", plan2)
	if code != 0 || !strings.HasPrefix(out, "Warning: --zookeeper is deprecated, and will be removed in a future version of Kafka.\n") ||
		!strings.Contains(out, `{"version":1,"partitions":[{"topic":"moveme","partition":0,"replicas":[1],"log_dirs":["any"]}]}`) ||
		!strings.HasSuffix(out, "Successfully started partition reassignment for moveme-0\n") {
		t.Fatalf("--zookeeper --execute: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	WaitFor(t, 30*time.Second, func() (bool, string) {
		return !ZKExists(t, z, "/admin/reassign_partitions"), "/admin/reassign_partitions still present"
	})
	out, _, code = RunTool(t, "kafka-reassign-partitions.sh", "--zookeeper", z.ConnectString(), "--verify", "--reassignment-json-file", plan2)
	if code != 0 || !strings.Contains(out, "Status of partition reassignment:\nReassignment of partition moveme-0 is complete.\n") ||
		!strings.Contains(out, "Clearing topic-level throttles on topic moveme\n") {
		t.Errorf("--zookeeper --verify: %d\n%s", code, out)
	}
	WaitFor(t, 30*time.Second, func() (bool, string) {
		st, _ := reassignPartitionState(t, z, moved, 0)
		return st.Leader == 2, fmt.Sprintf("%s-0 state %+v", moved, st)
	})
	if n := len(ConsumeN(t, Seeds(bs...), moved, len(recs), 30*time.Second)); n != len(recs) {
		t.Errorf("read %d records after the second move", n)
	}

	// --- Preferred leader election after a restart moved leadership away from broker 0.
	const pref = "pref"
	if out, errOut, code := RunTool(t, "kafka-topics.sh", "--bootstrap-server", seeds, "--create", "--topic", pref, "--replica-assignment", "0:1,0:2"); code != 0 {
		t.Fatalf("create %s: %d\n%s%s", pref, code, out, errOut)
	}
	fullISR := func(p int32, want int) func() (bool, string) {
		return func() (bool, string) {
			st, ok := reassignPartitionState(t, z, pref, p)
			return ok && len(st.ISR) == want, fmt.Sprintf("%s-%d state %+v", pref, p, st)
		}
	}
	WaitFor(t, 30*time.Second, fullISR(0, 2))
	WaitFor(t, 30*time.Second, fullISR(1, 2))
	bs[0].Stop() // controlled shutdown hands both leaderships to the followers
	for p, follower := range []int32{1, 2} {
		st, _ := reassignPartitionState(t, z, pref, int32(p))
		if st.Leader != follower {
			t.Fatalf("%s-%d leader %d after broker 0 stopped, want %d", pref, p, st.Leader, follower)
		}
	}
	bs[0].Restart(t)
	WaitFor(t, 60*time.Second, fullISR(0, 2))
	WaitFor(t, 60*time.Second, fullISR(1, 2))
	for p := int32(0); p < 2; p++ {
		if st, _ := reassignPartitionState(t, z, pref, p); st.Leader == 0 {
			t.Fatalf("%s-%d already led by broker 0 again without an election (auto rebalance is off)", pref, p)
		}
	}

	// The deprecated ZooKeeper trigger for pref-1 (plus one partition that does not exist).
	electFile := writeJSONFile(t, "elect.json", `{"partitions":[{"topic":"pref","partition":1},{"topic":"pref","partition":7}]}`)
	out, errOut, code = RunTool(t, "kafka-preferred-replica-election.sh", "--zookeeper", z.ConnectString(), "--path-to-json-file", electFile)
	wantOut = "This tool is deprecated. Please use kafka-leader-election tool. Tracking issue: KAFKA-8405\n" +
		"Warning: --zookeeper is deprecated and will be removed in a future version of Kafka.\n" +
		"Use --bootstrap-server instead to specify a broker to connect to.\n" +
		"Created preferred replica election path with pref-1\n" +
		"Successfully started preferred replica election for partitions Set(pref-1)\n" +
		"Skipping preferred replica leader election for partition pref-7 since it doesn't exist.\n"
	if code != 0 || out != wantOut {
		t.Fatalf("kafka-preferred-replica-election: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	WaitFor(t, 30*time.Second, func() (bool, string) {
		st, _ := reassignPartitionState(t, z, pref, 1)
		return st.Leader == 0 && !ZKExists(t, z, "/admin/preferred_replica_election"),
			fmt.Sprintf("%s-1 state %+v, election znode present: %v", pref, st, ZKExists(t, z, "/admin/preferred_replica_election"))
	})
	if st, _ := reassignPartitionState(t, z, pref, 0); st.Leader == 0 {
		t.Fatalf("%s-0 was elected too; only %s-1 was asked for", pref, pref)
	}

	// kafka-leader-election over every partition: only pref-0 still needs an election, and
	// partitions that need none are not reported.
	out, errOut, code = RunTool(t, "kafka-leader-election.sh", "--bootstrap-server", seeds, "--election-type", "PREFERRED", "--all-topic-partitions")
	if code != 0 || out != "Successfully completed leader election (PREFERRED) for partitions pref-0\n" {
		t.Fatalf("kafka-leader-election: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if st, _ := reassignPartitionState(t, z, pref, 0); st.Leader != 0 {
		t.Errorf("%s-0 leader %d after the preferred election, want 0", pref, st.Leader)
	}
	// Asking again for a partition already led by its preferred replica is a no-op.
	out, errOut, code = RunTool(t, "kafka-leader-election.sh", "--bootstrap-server", seeds, "--election-type", "preferred", "--topic", pref, "--partition", "0")
	if code != 0 || out != "Valid replica already elected for partitions \n" {
		t.Errorf("repeated election: exit %d\nstdout: %q\nstderr: %s", code, out, errOut)
	}
}
