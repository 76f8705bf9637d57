package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

func TestReassignmentJSONFormat(t *testing.T) {
	got := formatReassignmentJSON(map[tpKey][]int32{
		{"t", 1}: {2, 0},
		{"t", 0}: {1, 2},
		{"a", 3}: {0},
	}, map[string]string{"t-1-0": "/data/k1"})
	want := `{"version":1,"partitions":[` +
		`{"topic":"a","partition":3,"replicas":[0],"log_dirs":["any"]},` +
		`{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any","any"]},` +
		`{"topic":"t","partition":1,"replicas":[2,0],"log_dirs":["any","/data/k1"]}]}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := formatReassignmentJSON(nil, nil); got != `{"version":1,"partitions":[]}` {
		t.Errorf("empty: %s", got)
	}

	text := currentAssignmentText(map[tpKey][]int32{{"t", 0}: {1}}, map[tpKey][]int32{{"t", 0}: {0}, {"t", 1}: {0}})
	wantText := "Current partition replica assignment\n\n" +
		`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[0],"log_dirs":["any"]}]}` +
		"\n\nSave this to use as the --reassignment-json-file option during rollback"
	if text != wantText {
		t.Errorf("current assignment text:\n%s", text)
	}
}

func TestParseReassignmentJSON(t *testing.T) {
	entries, moves, err := parseReassignmentJSON([]byte(`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]},{"topic":"t","partition":1,"replicas":[2],"log_dirs":["/d"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []reassignEntry{{tpKey{"t", 0}, []int32{1, 2}, []string{"any", "any"}}, {tpKey{"t", 1}, []int32{2}, []string{"/d"}}}
	if !reflect.DeepEqual(entries, want) || !reflect.DeepEqual(moves, map[string]string{"t-1-2": "/d"}) {
		t.Errorf("%+v %v", entries, moves)
	}
	for in, msg := range map[string]string{
		`x`:                             "The input string is not a valid JSON",
		`{"version":2,"partitions":[]}`: "Not supported version field value 2",
		`{"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any"]}]}`: "Size of replicas list List(1, 2) is different from size of log dirs list List(any) for partition t-0",
	} {
		if _, _, err := parseReassignmentJSON([]byte(in)); err == nil || err.Error() != msg {
			t.Errorf("%s: %v", in, err)
		}
	}
	for in, msg := range map[string]string{
		`{"version":1,"partitions":[]}`:                                                                                "Partition reassignment list cannot be empty",
		`{"partitions":[{"topic":"t","partition":0,"replicas":[]}]}`:                                                   "Partition replica list cannot be empty",
		`{"partitions":[{"topic":"t","partition":0,"replicas":[1]},{"topic":"t","partition":0,"replicas":[2]}]}`:       "Partition reassignment contains duplicate topic partitions: t-0",
		`{"partitions":[{"topic":"t","partition":0,"replicas":[1,1]},{"topic":"u","partition":2,"replicas":[3,2,3]}]}`: "Partition replica lists may not contain duplicate entries: t-0 contains multiple entries for 1. u-2 contains multiple entries for 3",
	} {
		if _, _, err := parseExecuteArgs([]byte(in)); err == nil || err.Error() != msg {
			t.Errorf("%s: %v", in, err)
		}
	}
}

func TestParseGenerateArgs(t *testing.T) {
	brokers, topics, err := parseGenerateArgs([]byte(`{"topics":[{"topic":"foo"},{"topic":"bar"}],"version":1}`), "5,6")
	if err != nil || !reflect.DeepEqual(brokers, []int32{5, 6}) || !reflect.DeepEqual(topics, []string{"foo", "bar"}) {
		t.Errorf("%v %v %v", brokers, topics, err)
	}
	for _, c := range []struct{ json, brokers, msg string }{
		{`{"topics":[{"topic":"foo"}]}`, "1,x", `For input string: "x"`},
		{`{"topics":[{"topic":"foo"}]}`, "1,2,1", "Broker list contains duplicate entries: 1"},
		{`{"topics":[{"topic":"foo"},{"topic":"foo"}]}`, "1", "List of topics to reassign contains duplicate entries: foo"},
		{`{"topics":[],"version":3}`, "1", "Not supported version field value 3"},
	} {
		if _, _, err := parseGenerateArgs([]byte(c.json), c.brokers); err == nil || err.Error() != c.msg {
			t.Errorf("%s %s: %v", c.json, c.brokers, err)
		}
	}
}

func TestCalculateAssignmentUsesEveryGivenBroker(t *testing.T) {
	current := map[tpKey][]int32{{"foo", 0}: {0, 1}, {"foo", 1}: {1, 0}, {"foo", 2}: {0, 1}}
	got, err := calculateAssignment(current, []zkmeta.BrokerMeta{{ID: 5}, {ID: 6}, {ID: 7}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%v", got)
	}
	leaders := map[int32]bool{}
	for tp, rs := range got {
		if len(rs) != 2 || rs[0] == rs[1] || rs[0] < 5 || rs[1] < 5 {
			t.Errorf("%s: %v", tp, rs)
		}
		leaders[rs[0]] = true
	}
	if len(leaders) != 3 {
		t.Errorf("leaders not spread over the brokers: %v", got)
	}
	if _, err := calculateAssignment(current, []zkmeta.BrokerMeta{{ID: 5}}); err == nil || err.Error() != "Replication factor: 2 larger than available brokers: 1." {
		t.Errorf("too few brokers: %v", err)
	}
}

func TestReassignmentTexts(t *testing.T) {
	got := reassignmentStatesText(map[tpKey]partitionState{
		{"t", 1}: {current: []int32{1, 2}, target: []int32{2, 3}, done: true},
		{"t", 0}: {current: []int32{1}, target: []int32{1}, done: true},
		{"a", 0}: {current: []int32{0, 1}, target: []int32{1}},
	})
	want := "Status of partition reassignment:\n" +
		"Reassignment of partition a-0 is still in progress.\n" +
		"Reassignment of partition t-0 is complete.\n" +
		"There is no active reassignment of partition t-1, but replica set is 1,2 rather than 2,3."
	if got != want {
		t.Errorf("got:\n%s", got)
	}
	if got := currentReassignmentsText(nil); got != "No partition reassignments found." {
		t.Error(got)
	}
	got = currentReassignmentsText(map[tpKey]reassignmentInfo{{"t", 0}: {replicas: []int32{1, 0}, adding: []int32{1}, removing: []int32{0}}, {"t", 1}: {replicas: []int32{2}}})
	if got != "Current partition reassignments:\nt-0: replicas: 1,0. adding: 1. removing: 0.\nt-1: replicas: 2." {
		t.Error(got)
	}
}

func TestThrottleValues(t *testing.T) {
	mm := proposedMoveMap(nil, map[tpKey][]int32{{"t", 0}: {2, 3}, {"t", 1}: {1, 2}}, map[tpKey][]int32{{"t", 0}: {1, 2}, {"t", 1}: {1, 2}})
	if got := mm.throttleValues(true)["t"]; got != "0:1,0:2,1:1,1:2" {
		t.Errorf("leader throttles %q", got)
	}
	if got := mm.throttleValues(false)["t"]; got != "0:3" {
		t.Errorf("follower throttles %q", got)
	}
	if got := mm.brokers(); !reflect.DeepEqual(got, []int32{1, 2, 3}) {
		t.Errorf("brokers %v", got)
	}
}

func TestReassignPartitionsArgumentErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "r.json")
	if err := os.WriteFile(file, []byte(`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args    []string
		code    int
		stdout  string // first line
		stderr  string // first line
		wantUse bool
	}{
		{args: nil, code: 1, stderr: "This tool helps to move topic partitions between replicas.", wantUse: true},
		{args: []string{"--bootstrap-server", "b:1"}, code: 1, stderr: "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list", wantUse: true},
		{args: []string{"--execute", "--verify", "--bootstrap-server", "b:1"}, code: 1, stderr: "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list", wantUse: true},
		{args: []string{"--list"}, code: 1, stderr: "Please specify --bootstrap-server", wantUse: true},
		{args: []string{"--execute", "--bootstrap-server", "b:1"}, code: 1, stderr: `Missing required argument "[reassignment-json-file]"`, wantUse: true},
		{args: []string{"--generate", "--zookeeper", "z:1", "--broker-list", "1"}, code: 1, stderr: `Missing required argument "[topics-to-move-json-file]"`, wantUse: true},
		{args: []string{"--verify", "--bootstrap-server", "b:1", "--reassignment-json-file", file, "--throttle", "5"}, code: 1, stderr: `Option "[throttle]" can't be used with action "[verify]"`, wantUse: true},
		{args: []string{"--list", "--zookeeper", "z:1"}, code: 1, stderr: `Option "[zookeeper]" can't be used with action "[list]"`, wantUse: true},
		{args: []string{"--execute", "--zookeeper", "z:1", "--reassignment-json-file", file, "--additional"}, code: 1, stderr: `Exception in thread "main" java.lang.RuntimeException: You must specify --bootstrap-server when using "[additional]"`},
		{args: []string{"--list", "--bootstrap-server", "b:1", "--bogus"}, code: 1, stderr: `Exception in thread "main" joptsimple.UnrecognizedOptionException: bogus is not a recognized option`},
		{args: []string{"--verify", "--bootstrap-server", "b:1", "--reassignment-json-file", filepath.Join(dir, "missing.json")}, code: 1, stdout: "Error: " + filepath.Join(dir, "missing.json")},
	} {
		out, errOut, code := runIn(t, "kafka-reassign-partitions", "", c.args...)
		if code != c.code || firstLine(out) != c.stdout || firstLine(errOut) != c.stderr {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q", c.args, code, out, errOut)
			continue
		}
		if c.wantUse != strings.Contains(errOut, "--reassignment-json-file") {
			t.Errorf("%v: usage shown = %v", c.args, !c.wantUse)
		}
	}
}
