package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kafka-classic/kafka-classic/zkmeta"
	"github.com/twmb/franz-go/pkg/kadm"
)

func strp(s string) *string { return &s }
func i32p(v int32) *int32   { return &v }

func TestOffsetsTableLayout(t *testing.T) {
	rows := []partitionRow{
		{group: "my-group", topic: strp("orders"), partition: i32p(0), offset: i64(5), logEnd: i64(8), lag: i64(3),
			consumerID: "consumer-my-group-1-0b3f2c1e-5b9a-4b59-9d7e-0a6f1f0f5a21", host: "/127.0.0.1", clientID: "consumer-my-group-1"},
		{group: "my-group", topic: strp("orders"), partition: i32p(1), logEnd: i64(2),
			consumerID: "-", host: "-", clientID: "-"},
	}
	got := formatOffsetsTable(rows)
	want := "\n" +
		"GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID                                              HOST            CLIENT-ID\n" +
		"my-group        orders          0          5               8               3               consumer-my-group-1-0b3f2c1e-5b9a-4b59-9d7e-0a6f1f0f5a21 /127.0.0.1      consumer-my-group-1\n" +
		"my-group        orders          1          -               2               -               -                                                        -               -\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestMembersAndStateTables(t *testing.T) {
	g := describedGroup{id: "g", state: "Stable", assignor: "range",
		coordinator: kadm.BrokerDetail{NodeID: 0, Host: "localhost", Port: 9092},
		members: []describedMember{
			{consumerID: "c1", clientID: "cl", host: "/10.0.0.1", assignment: []tpKey{{"b", 2}, {"a", 1}, {"a", 0}}},
			{consumerID: "c2", clientID: "cl", host: "/10.0.0.2"},
		}}
	got := formatMembersTable(g, true)
	want := "\n" +
		"GROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     ASSIGNMENT\n" +
		"g               c1              /10.0.0.1       cl              3               a(0,1), b(2)\n" +
		"g               c2              /10.0.0.2       cl              0               -\n"
	if got != want {
		t.Errorf("members verbose:\n%q\nwant\n%q", got, want)
	}
	if got := formatMembersTable(g, false); !strings.Contains(got, "#PARTITIONS     \ng               c1              /10.0.0.1       cl              3               \n") {
		t.Errorf("members: %q", got)
	}
	g.members[1].instanceID = "static-1"
	if got := formatMembersTable(g, false); !strings.HasPrefix(got, "\nGROUP           CONSUMER-ID     GROUP-INSTANCE-ID HOST            CLIENT-ID       #PARTITIONS     \n") {
		t.Errorf("static members: %q", got)
	}
	got = formatStateTable(g)
	want = "\n" +
		"GROUP                     COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE           #MEMBERS\n" +
		"g                         localhost:9092 (0)        range                Stable          2\n"
	if got != want {
		t.Errorf("state:\n%q\nwant\n%q", got, want)
	}
}

func TestGroupArgChecks(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		first string
	}{
		{nil, `Missing required argument "[bootstrap-server]"`},
		{[]string{"--bootstrap-server", "b:9092"}, "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets"},
		{[]string{"--bootstrap-server", "b:9092", "--describe"}, "Option [describe] takes one of these options: [group], [all-groups]"},
		{[]string{"--bootstrap-server", "b:9092", "--describe", "--group", "g", "--members", "--state"}, "Option [describe] takes at most one of these options: [members], [offsets], [state]"},
		{[]string{"--bootstrap-server", "b:9092", "--describe", "--group", "g", "--state", "x"}, "Option [describe] does not take a value for [state]"},
		{[]string{"--bootstrap-server", "b:9092", "--delete", "--group", "g", "--topic", "t"}, "The consumer does not support topic-specific offset deletion from a consumer group."},
		{[]string{"--bootstrap-server", "b:9092", "--delete-offsets", "--group", "g"}, "Option [delete-offsets] takes the following options: [group], [topic]"},
		{[]string{"--bootstrap-server", "b:9092", "--reset-offsets", "--group", "g", "--dry-run", "--execute"}, "Option [reset-offsets] only accepts one of [execute] and [dry-run]"},
		{[]string{"--bootstrap-server", "b:9092", "--reset-offsets", "--group", "g", "--dry-run", "--to-earliest", "--to-latest"}, `Option "[to-earliest]" can't be used with option "[to-latest]"`},
		{[]string{"--bootstrap-server", "b:9092", "--list", "--group", "g"}, `Option "[group]" can't be used with option "[list]"`},
		{[]string{"--bootstrap-server", "b:9092", "--describe", "--group", "g", "--all-groups"}, `Option "[group]" can't be used with option "[all-groups]"`},
		{[]string{"--bootstrap-server", "b:9092", "--list", "--members"}, `Exception in thread "main" joptsimple.UnavailableOptionException: Option(s) [members] are unavailable given other options on the command line`},
		{[]string{"--bootstrap-server", "b:9092", "--frob"}, `Exception in thread "main" joptsimple.UnrecognizedOptionException: frob is not a recognized option`},
	} {
		out, errOut, code := runIn(t, "kafka-consumer-groups", "", tc.args...)
		if code != 1 || out != "" || firstLine(errOut) != tc.first {
			t.Errorf("%v: exit %d out %q first stderr line %q, want %q", tc.args, code, out, firstLine(errOut), tc.first)
		}
	}
	// Without --execute Kafka warns first, then still validates.
	_, errOut, _ := runIn(t, "kafka-consumer-groups", "", "--bootstrap-server", "b:9092", "--reset-offsets")
	if !strings.HasPrefix(errOut, "WARN: No action will be performed as the --execute option is missing.In a future major release") ||
		!strings.Contains(errOut, "\nOption [reset-offsets] takes one of these options: [group], [all-groups]\n") {
		t.Errorf("reset warning: %q", errOut)
	}
}

func TestParseGroupStates(t *testing.T) {
	got, err := parseGroupStates("stable, EMPTY,Stable")
	if err != nil || !reflect.DeepEqual(got, []string{"Stable", "Empty"}) {
		t.Errorf("%v %v", got, err)
	}
	if _, err := parseGroupStates("bogus"); err == nil || err.Error() != "Invalid state list 'bogus'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty" {
		t.Errorf("%v", err)
	}
}

func TestResetHelpers(t *testing.T) {
	ms, err := parseDateTime("2021-03-04T05:06:07.089")
	if err != nil || ms != time.Date(2021, 3, 4, 5, 6, 7, 89e6, time.UTC).UnixMilli() {
		t.Errorf("utc datetime: %d %v", ms, err)
	}
	ms, err = parseDateTime("2021-03-04T05:06:07.089+02:00")
	if err != nil || ms != time.Date(2021, 3, 4, 3, 6, 7, 89e6, time.UTC).UnixMilli() {
		t.Errorf("zoned datetime: %d %v", ms, err)
	}
	if _, err := parseDateTime("2021-03-04"); err == nil {
		t.Error("date without T accepted")
	}
	for in, want := range map[string]time.Duration{
		"PT1H": time.Hour, "P1DT2H3M4S": 26*time.Hour + 3*time.Minute + 4*time.Second, "PT0.5S": 500 * time.Millisecond, "-PT10M": -10 * time.Minute,
	} {
		if d, err := parseJavaDuration(in); err != nil || d != want {
			t.Errorf("%s: %v %v", in, d, err)
		}
	}
	for _, bad := range []string{"1H", "P", "PT", "PTS"} {
		if _, err := parseJavaDuration(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	plan, err := parseResetPlan("t,0,5\nt,1,7\n", []string{"g"})
	if err != nil || !reflect.DeepEqual(plan, map[string]map[tpKey]int64{"g": {{"t", 0}: 5, {"t", 1}: 7}}) {
		t.Errorf("single-group plan: %v %v", plan, err)
	}
	plan, err = parseResetPlan("g1,t,0,5\ng2,u,1,7\n", []string{"g1", "g2"})
	if err != nil || !reflect.DeepEqual(plan, map[string]map[tpKey]int64{"g1": {{"t", 0}: 5}, "g2": {{"u", 1}: 7}}) {
		t.Errorf("multi-group plan: %v %v", plan, err)
	}
	topic, parts, err := parseTopicArg("orders:0,2")
	if err != nil || topic != "orders" || !reflect.DeepEqual(parts, []int32{0, 2}) {
		t.Errorf("topic arg: %s %v %v", topic, parts, err)
	}
}

func TestResetOutput(t *testing.T) {
	var out strings.Builder
	e := &env{Stdout: &out}
	printOffsetsToReset(e, []groupResetPlan{{"g", map[tpKey]int64{{"t", 1}: 9, {"t", 0}: 4}}})
	want := "\nGROUP                          TOPIC                          PARTITION  NEW-OFFSET     \n" +
		"g                              t                              0          4              \n" +
		"g                              t                              1          9              \n"
	if out.String() != want {
		t.Errorf("got %q", out.String())
	}
	o := newGroupOptions(nil)
	o.s, _ = o.Parse([]string{"--group", "g"})
	svc := &groupService{o: o}
	if got := svc.exportCSV([]groupResetPlan{{"g", map[tpKey]int64{{"t", 1}: 9, {"t", 0}: 4}}}); got != "t,0,4\nt,1,9\n" {
		t.Errorf("csv: %q", got)
	}
	o.s, _ = o.Parse([]string{"--group", "g", "--group", "h"})
	if got := svc.exportCSV([]groupResetPlan{{"g", map[tpKey]int64{{"t", 0}: 4}}, {"h", map[tpKey]int64{{"u", 2}: 1}}}); got != "g,t,0,4\nh,u,2,1\n" {
		t.Errorf("csv with groups: %q", got)
	}
}

func TestZookeeperFallbackPassThrough(t *testing.T) {
	// Without --zookeeper, or with --bootstrap-server too, the arguments are untouched.
	args := []string{"--bootstrap-server", "b:1", "--list"}
	got, err := zookeeperFallback(&env{}, args)
	if err != nil || !reflect.DeepEqual(got, args) {
		t.Errorf("%v %v", got, err)
	}
	got, err = zookeeperFallback(&env{}, []string{"--zookeeper", "z:1", "--bootstrap-server", "b:1", "--list"})
	if err != nil || !reflect.DeepEqual(got, args) {
		t.Errorf("%v %v", got, err)
	}
	ep, ok := pickEndpoint([]zkmeta.Endpoint{{Listener: "SSL", Host: "h", Port: 1}, {Listener: "PLAINTEXT", Host: "", Port: 9092}})
	if !ok || ep != "localhost:9092" {
		t.Errorf("endpoint %s", ep)
	}
}
