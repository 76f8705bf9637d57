package controller

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

func TestReassignTo(t *testing.T) {
	tests := []struct {
		cur                        replicaAssignment
		target                     []int32
		replicas, adding, removing []int32
	}{
		{replicaAssignment{replicas: []int32{0, 1}}, []int32{1, 2}, []int32{1, 2, 0}, []int32{2}, []int32{0}},
		{replicaAssignment{replicas: []int32{0, 1, 2}}, []int32{3, 4, 5}, []int32{3, 4, 5, 0, 1, 2}, []int32{3, 4, 5}, []int32{0, 1, 2}},
		// replacing a running reassignment starts from the original replicas
		{replicaAssignment{replicas: []int32{1, 2, 0}, adding: []int32{2}, removing: []int32{0}}, []int32{0, 3}, []int32{0, 3, 1}, []int32{3}, []int32{1}},
		{replicaAssignment{replicas: []int32{0, 1}}, []int32{1, 0}, []int32{1, 0}, []int32{}, []int32{}},
	}
	for i, tt := range tests {
		got := tt.cur.reassignTo(tt.target)
		if !reflect.DeepEqual(got.replicas, tt.replicas) || !reflect.DeepEqual(got.adding, tt.adding) || !reflect.DeepEqual(got.removing, tt.removing) {
			t.Errorf("#%d: got %s, want RS=%v AR=%v RR=%v", i, got, tt.replicas, tt.adding, tt.removing)
		}
	}
}

func threeBrokers(t *testing.T) (*zkmeta.Client, *fakeSender, *Controller, string) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	registerBroker(t, zc, 0)
	for _, id := range []int32{1, 2} {
		registerBroker(t, connectZK(t, addr), id)
	}
	fs := &fakeSender{}
	c := newTestController(t, zc, 0, fs, nil)
	waitActive(t, c)
	return zc, fs, c, addr
}

// The follower catching up is simulated the classic way: the leader rewrites the state znode
// and leaves an ISR change notification.
func expandIsr(t *testing.T, zc *zkmeta.Client, tp zkmeta.TP, isr ...int32) {
	t.Helper()
	li := stateOf(t, zc, tp)
	li.ISR = isr
	if _, err := zc.UpdatePartitionState(-1, tp, li); err != nil {
		t.Fatal(err)
	}
	if err := zc.WriteIsrChangeNotification([]zkmeta.TP{tp}); err != nil {
		t.Fatal(err)
	}
}

func TestZkPartitionReassignment(t *testing.T) {
	zc, fs, _, _ := threeBrokers(t)
	tp := zkmeta.TP{Topic: "r", Partition: 0}
	if err := zc.CreateTopic("r", map[int32][]int32{0: {0, 1}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "r-0 online", func() bool { _, err := zc.GetPartitionState("r", 0); return err == nil })
	if err := zc.CreateReassignment(map[zkmeta.TP][]int32{tp: {1, 2}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reassignment started in topic znode", func() bool {
		a, err := zc.GetTopicAssignment("r")
		return err == nil && reflect.DeepEqual(a.Partitions[0], []int32{1, 2, 0}) && reflect.DeepEqual(a.Adding[0], []int32{2}) && reflect.DeepEqual(a.Removing[0], []int32{0})
	})
	waitFor(t, "LeaderAndIsr isNew to adding replica 2", func() bool {
		_, p := findLeaderAndIsr(fs.requests(), 2, tp, func(p kmsg.LeaderAndISRRequestTopicPartition) bool {
			return p.IsNew && reflect.DeepEqual(p.AddingReplicas, []int32{2}) && reflect.DeepEqual(p.RemovingReplicas, []int32{0})
		})
		return p != nil
	})
	if li := stateOf(t, zc, tp); li.LeaderEpoch < 1 || li.Leader != 0 {
		t.Fatalf("after A1: %+v", li)
	}

	expandIsr(t, zc, tp, 0, 1, 2)
	waitFor(t, "reassignment node removed", func() bool {
		ok, _, err := zc.Exists("/admin/reassign_partitions")
		return err == nil && !ok
	})
	waitFor(t, "topic znode final", func() bool {
		a, err := zc.GetTopicAssignment("r")
		return err == nil && reflect.DeepEqual(a.Partitions[0], []int32{1, 2}) && len(a.Adding[0]) == 0 && len(a.Removing[0]) == 0
	})
	li := stateOf(t, zc, tp)
	if li.Leader != 1 || !sameIDs(li.ISR, 1, 2) {
		t.Fatalf("final state %+v, want leader 1 ISR [1 2]", li)
	}
	waitFor(t, "StopReplica(delete) to removed replica 0", func() bool {
		return findStopReplica(fs.requests(), 0, tp, true) != nil
	})
}

func TestApiReassignmentAndElectLeaders(t *testing.T) {
	zc, fs, c, _ := threeBrokers(t)
	ctx := context.Background()
	tp := zkmeta.TP{Topic: "a", Partition: 0}
	if err := zc.CreateTopic("a", map[int32][]int32{0: {0, 1}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a-0 online", func() bool { _, err := zc.GetPartitionState("a", 0); return err == nil })

	res, err := c.AlterPartitionReassignments(ctx, map[zkmeta.TP][]int32{
		tp:                                {0, 2},
		{Topic: "a", Partition: 9}:        {0},
		{Topic: "missing", Partition: 0}:  nil,
		{Topic: "a", Partition: 0 + 1000}: {1, 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[tp] != nil {
		t.Fatalf("a-0: %v", res[tp])
	}
	if !errors.Is(res[zkmeta.TP{Topic: "a", Partition: 9}], kerr.UnknownTopicOrPartition) ||
		!errors.Is(res[zkmeta.TP{Topic: "missing", Partition: 0}], kerr.NoReassignmentInProgress) ||
		!errors.Is(res[zkmeta.TP{Topic: "a", Partition: 1000}], kerr.InvalidReplicaAssignment) {
		t.Fatalf("results %v", res)
	}
	list, err := c.ListPartitionReassignments(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := list[tp]; !reflect.DeepEqual(r.Replicas, []int32{0, 2, 1}) || !reflect.DeepEqual(r.Adding, []int32{2}) || !reflect.DeepEqual(r.Removing, []int32{1}) {
		t.Fatalf("list %+v", list)
	}
	// Cancel: back to the original replicas.
	res, err = c.AlterPartitionReassignments(ctx, map[zkmeta.TP][]int32{tp: nil})
	if err != nil || res[tp] != nil {
		t.Fatalf("cancel: %v %v", res, err)
	}
	waitFor(t, "cancelled in topic znode", func() bool {
		a, err := zc.GetTopicAssignment("a")
		return err == nil && reflect.DeepEqual(a.Partitions[0], []int32{0, 1}) && len(a.Adding[0]) == 0
	})
	if list, _ := c.ListPartitionReassignments(ctx, nil); len(list) != 0 {
		t.Fatalf("still listed after cancel: %v", list)
	}
	waitFor(t, "StopReplica(delete) to cancelled adding replica 2", func() bool {
		return findStopReplica(fs.requests(), 2, tp, true) != nil
	})

	// Preferred election through the API.
	out, err := c.ElectLeaders(ctx, ElectionPreferred, []zkmeta.TP{tp, {Topic: "nope", Partition: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(out[tp], kerr.ElectionNotNeeded) || !errors.Is(out[zkmeta.TP{Topic: "nope", Partition: 0}], kerr.UnknownTopicOrPartition) {
		t.Fatalf("ElectLeaders %v", out)
	}
}
