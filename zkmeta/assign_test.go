package zkmeta

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func metas(ids ...int32) []BrokerMeta {
	out := make([]BrokerMeta, len(ids))
	for i, id := range ids {
		out[i] = BrokerMeta{ID: id}
	}
	return out
}

func TestAssignReplicasRackUnaware(t *testing.T) {
	// AdminUtilsTest.testReplicaAssignment: the shift grows after every 5
	// partitions, so partition 5's followers skip a broker.
	got, err := AssignReplicas(metas(0, 1, 2, 3, 4), 10, 3, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32][]int32{
		0: {0, 1, 2}, 1: {1, 2, 3}, 2: {2, 3, 4}, 3: {3, 4, 0}, 4: {4, 0, 1},
		5: {0, 2, 3}, 6: {1, 3, 4}, 7: {2, 4, 0}, 8: {3, 0, 1}, 9: {4, 1, 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}

	// Start index 2 moves both the leader and the initial shift; ids need not be dense.
	got, err = AssignReplicas(metas(10, 20, 30), 4, 2, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	// n=3: p0 first=2 shift=2 -> follower at 1+(2%2)=1 -> idx 0; p1 first=0 -> idx1;
	// p2 first=1 -> idx2; p3: shift 3, first=2 -> 1+(3%2)=2 -> idx 1.
	want = map[int32][]int32{0: {30, 10}, 1: {10, 20}, 2: {20, 30}, 3: {30, 20}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}

	// Adding partitions continues from startPartitionID.
	got, err = AssignReplicas(metas(0, 1, 2, 3, 4), 3, 3, 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	want = map[int32][]int32{4: {4, 0, 1}, 5: {0, 2, 3}, 6: {1, 3, 4}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}

	// RF 1 on one broker.
	got, err = AssignReplicas(metas(7), 2, 1, -1, -1)
	if err != nil || !reflect.DeepEqual(got, map[int32][]int32{0: {7}, 1: {7}}) {
		t.Fatalf("single broker: %v %v", got, err)
	}
}

func TestAssignReplicasRandomStart(t *testing.T) {
	leaders := map[int32]bool{}
	for i := 0; i < 200; i++ {
		got, err := AssignReplicas(metas(0, 1, 2, 3), 4, 3, -1, -1)
		if err != nil {
			t.Fatal(err)
		}
		// Every broker leads exactly one partition and replicas are distinct.
		seen := map[int32]bool{}
		for p := int32(0); p < 4; p++ {
			reps := got[p]
			if len(reps) != 3 || hasDuplicates(reps) || seen[reps[0]] {
				t.Fatalf("bad assignment %v", got)
			}
			seen[reps[0]] = true
		}
		leaders[got[0][0]] = true
	}
	if len(leaders) < 2 {
		t.Fatalf("random start index never varied: %v", leaders)
	}
}

func TestAssignReplicasRackAware(t *testing.T) {
	racks := map[int32]string{0: "rack1", 1: "rack3", 2: "rack3", 3: "rack2", 4: "rack2", 5: "rack1"}
	var bs []BrokerMeta
	for id := int32(0); id < 6; id++ {
		bs = append(bs, BrokerMeta{ID: id, Rack: racks[id]})
	}
	if got := RackAlternatedBrokers(bs); !reflect.DeepEqual(got, []int32{0, 3, 1, 5, 4, 2}) {
		t.Fatalf("alternated %v", got)
	}
	if got := RackAlternatedBrokers(bs[:5]); !reflect.DeepEqual(got, []int32{0, 3, 1, 4, 2}) {
		t.Fatalf("alternated without 5: %v", got)
	}
	// AdminRackAwareTest.testGetRackAlternatedBrokerListAndAssignReplicasToBrokers.
	got, err := AssignReplicas(bs, 7, 3, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32][]int32{
		0: {0, 3, 1}, 1: {3, 1, 5}, 2: {1, 5, 4}, 3: {5, 4, 2}, 4: {4, 2, 0}, 5: {2, 0, 3}, 6: {0, 4, 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	// With RF = #racks every partition spans all racks.
	got, err = AssignReplicas(bs, 12, 3, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	for p, reps := range got {
		rs := map[string]bool{}
		for _, r := range reps {
			rs[racks[r]] = true
		}
		if len(rs) != 3 {
			t.Fatalf("partition %d %v not spread over racks", p, reps)
		}
	}
	// RF above the rack count reuses racks but never brokers.
	got, err = AssignReplicas(bs, 6, 5, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for p, reps := range got {
		if len(reps) != 5 || hasDuplicates(reps) {
			t.Fatalf("partition %d: %v", p, reps)
		}
	}
}

func TestAssignReplicasErrors(t *testing.T) {
	for _, tc := range []struct {
		brokers  []BrokerMeta
		n        int32
		rf       int16
		sentinel error
		msg      string
	}{
		{metas(0, 1), 0, 1, ErrInvalidPartitions, "Number of partitions must be larger than 0."},
		{metas(0, 1), 1, 0, ErrInvalidReplicationFactor, "Replication factor must be larger than 0."},
		{metas(0, 1, 2), 1, 4, ErrInvalidReplicationFactor, "Replication factor: 4 larger than available brokers: 3."},
		{[]BrokerMeta{{0, "a"}, {1, ""}}, 1, 1, ErrAdminOperation, "Not all brokers have rack information for replica rack aware assignment."},
	} {
		_, err := AssignReplicas(tc.brokers, tc.n, tc.rf, 0, 0)
		if !errors.Is(err, tc.sentinel) || Message(err) != tc.msg {
			t.Errorf("got %v (%q), want %v %q", err, Message(err), tc.sentinel, tc.msg)
		}
	}
}

func TestBrokerMetas(t *testing.T) {
	bs := []BrokerInfo{{ID: 2, Rack: "a"}, {ID: 1}}
	if _, err := BrokerMetas(bs, RackAwareEnforced); !errors.Is(err, ErrAdminOperation) ||
		!strings.Contains(Message(err), "--disable-rack-aware") {
		t.Fatalf("enforced: %v", err)
	}
	got, err := BrokerMetas(bs, RackAwareSafe)
	if err != nil || !reflect.DeepEqual(got, []BrokerMeta{{1, ""}, {2, ""}}) {
		t.Fatalf("safe: %v %v", got, err)
	}
	got, err = BrokerMetas([]BrokerInfo{{ID: 2, Rack: "a"}, {ID: 1, Rack: "b"}}, RackAwareEnforced)
	if err != nil || !reflect.DeepEqual(got, []BrokerMeta{{1, "b"}, {2, "a"}}) {
		t.Fatalf("full racks: %v %v", got, err)
	}
}

func TestPlanAddPartitions(t *testing.T) {
	cur := TopicAssignment{Topic: "t", Partitions: map[int32][]int32{0: {2, 0}, 1: {0, 1}}}
	bs := metas(0, 1, 2)
	// Start index = position of broker 2 (partition 0's leader), start id 2.
	got, err := PlanAddPartitions(cur, bs, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := AssignReplicas(bs, 2, 2, 2, 2)
	if !reflect.DeepEqual(got, want) || len(got) != 2 || got[2] == nil || got[3] == nil {
		t.Fatalf("got %v want %v", got, want)
	}
	if _, err := PlanAddPartitions(cur, bs, 2, nil); !errors.Is(err, ErrInvalidPartitions) ||
		Message(err) != "The number of partitions for a topic can only be increased. Topic t currently has 2 partitions, 2 would not be an increase." {
		t.Fatalf("no increase: %v", err)
	}
	if _, err := PlanAddPartitions(cur, bs, 3, map[int32][]int32{2: {1, 9}}); !errors.Is(err, ErrBrokerNotAvailable) {
		t.Fatalf("unknown broker: %v", err)
	}
	if _, err := PlanAddPartitions(cur, bs, 3, map[int32][]int32{2: {1}}); !errors.Is(err, ErrInvalidReplicaAssignment) {
		t.Fatalf("wrong rf: %v", err)
	}
	if _, err := PlanAddPartitions(cur, bs, 3, map[int32][]int32{3: {1, 2}}); !errors.Is(err, ErrInvalidReplicaAssignment) {
		t.Fatalf("gap: %v", err)
	}
	m, err := PlanAddPartitions(cur, bs, 3, map[int32][]int32{2: {1, 2}})
	if err != nil || !reflect.DeepEqual(m, map[int32][]int32{2: {1, 2}}) {
		t.Fatalf("manual: %v %v", m, err)
	}
}

func TestValidateTopicName(t *testing.T) {
	long := strings.Repeat("a", 250)
	for _, tc := range []struct{ name, msg string }{
		{"", "Topic name is illegal, it can't be empty"},
		{".", `Topic name cannot be "." or ".."`},
		{"..", `Topic name cannot be "." or ".."`},
		{"a b", `Topic name "a b" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`},
		{"é", `Topic name "é" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`},
		{long, "Topic name is illegal, it can't be longer than 249 characters, topic name: " + long},
	} {
		err := ValidateTopicName(tc.name)
		if !errors.Is(err, ErrInvalidTopic) || err.Error() != tc.msg {
			t.Errorf("%q: got %v", tc.name, err)
		}
	}
	for _, ok := range []string{"a", "A-b_c.d", strings.Repeat("x", 249), "..."} {
		if err := ValidateTopicName(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	if !TopicHasCollisionChars("a.b") || !TopicHasCollisionChars("a_b") || TopicHasCollisionChars("ab-c") {
		t.Error("collision chars")
	}
	if !TopicsCollide("a.b", "a_b") || TopicsCollide("a.b", "a-b") {
		t.Error("collide")
	}
}

func TestValidateAssignmentShape(t *testing.T) {
	for _, tc := range []struct {
		a   map[int32][]int32
		msg string
	}{
		{map[int32][]int32{0: {1, 2}, 1: {1}}, "All partitions should have the same number of replicas"},
		{map[int32][]int32{0: {1, 1}}, "Duplicate replica assignment found: Map(0 -> List(1, 1))"},
		{map[int32][]int32{0: {1}, 2: {2}}, "partitions should be a consecutive 0-based integer sequence"},
	} {
		err := ValidateAssignmentShape(tc.a)
		if !errors.Is(err, ErrInvalidReplicaAssignment) || Message(err) != tc.msg {
			t.Errorf("%v: got %v", tc.a, err)
		}
	}
	if err := ValidateAssignmentShape(map[int32][]int32{0: {1, 2}, 1: {2, 1}}); err != nil {
		t.Fatal(err)
	}
}
