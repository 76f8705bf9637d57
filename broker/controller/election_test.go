package controller

import (
	"reflect"
	"testing"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

func liveSet(ids ...int32) func(int32) bool {
	return func(r int32) bool { return contains(ids, r) }
}

func TestOfflinePartitionLeaderElection(t *testing.T) {
	tests := []struct {
		assignment, isr, live []int32
		unclean               bool
		leader                int32
		ok, isUnclean         bool
	}{
		{[]int32{0, 1, 2}, []int32{0, 1, 2}, []int32{0, 1, 2}, false, 0, true, false},
		{[]int32{0, 1, 2}, []int32{0, 1, 2}, []int32{1, 2}, false, 1, true, false},
		// assignment order wins over ISR order
		{[]int32{2, 0, 1}, []int32{0, 1, 2}, []int32{0, 1, 2}, false, 2, true, false},
		{[]int32{0, 1, 2}, []int32{0}, []int32{1, 2}, false, -1, false, false},
		{[]int32{0, 1, 2}, []int32{0}, []int32{1, 2}, true, 1, true, true},
		{[]int32{0, 1}, []int32{0, 1}, nil, true, -1, false, false},
		{[]int32{0, 1, 2}, []int32{2}, []int32{1, 2}, true, 2, true, false},
	}
	for i, tt := range tests {
		leader, ok, unclean := offlinePartitionLeaderElection(tt.assignment, tt.isr, liveSet(tt.live...), tt.unclean)
		if leader != tt.leader || ok != tt.ok || unclean != tt.isUnclean {
			t.Errorf("#%d: got (%d,%v,%v), want (%d,%v,%v)", i, leader, ok, unclean, tt.leader, tt.ok, tt.isUnclean)
		}
	}
}

func TestReassignAndPreferredElection(t *testing.T) {
	tests := []struct {
		replicas, isr, live []int32
		reassign, preferred int32
	}{
		{[]int32{3, 4, 5}, []int32{1, 4, 5}, []int32{3, 4, 5}, 4, -1},
		{[]int32{3, 4, 5}, []int32{3, 4, 5}, []int32{3, 4, 5}, 3, 3},
		{[]int32{3, 4, 5}, []int32{3, 4, 5}, []int32{4, 5}, 4, -1},
		{[]int32{3, 4}, []int32{1}, []int32{1, 3, 4}, -1, -1},
		{nil, []int32{1}, []int32{1}, -1, -1},
	}
	for i, tt := range tests {
		got, ok := reassignPartitionLeaderElection(tt.replicas, tt.isr, liveSet(tt.live...))
		if (tt.reassign >= 0) != ok || (ok && got != tt.reassign) {
			t.Errorf("#%d reassign: got (%d,%v), want %d", i, got, ok, tt.reassign)
		}
		got, ok = preferredReplicaPartitionLeaderElection(tt.replicas, tt.isr, liveSet(tt.live...))
		if (tt.preferred >= 0) != ok || (ok && got != tt.preferred) {
			t.Errorf("#%d preferred: got (%d,%v), want %d", i, got, ok, tt.preferred)
		}
	}
}

func TestControlledShutdownElection(t *testing.T) {
	tests := []struct {
		assignment, isr, live, shutting []int32
		leader                          int32
	}{
		{[]int32{0, 1, 2}, []int32{0, 1, 2}, []int32{0, 1, 2}, []int32{0}, 1},
		{[]int32{0, 1, 2}, []int32{0, 2}, []int32{0, 1, 2}, []int32{0}, 2},
		{[]int32{0, 1}, []int32{0}, []int32{0, 1}, []int32{0}, -1},
		{[]int32{0, 1, 2}, []int32{0, 1, 2}, []int32{0, 2}, []int32{0}, 2},
	}
	for i, tt := range tests {
		got, ok := controlledShutdownPartitionLeaderElection(tt.assignment, tt.isr, liveSet(tt.live...), liveSet(tt.shutting...))
		if (tt.leader >= 0) != ok || (ok && got != tt.leader) {
			t.Errorf("#%d: got (%d,%v), want %d", i, got, ok, tt.leader)
		}
	}
}

// electLeader computes Kafka's ElectionResult: new ISR, leader_epoch+1 and recipients.
func TestElectLeaderResults(t *testing.T) {
	tp := zkmeta.TP{Topic: "t", Partition: 0}
	cur := zkmeta.LeaderIsr{Leader: 0, LeaderEpoch: 4, ISR: []int32{0, 1, 2}, ControllerEpoch: 1, ZkVersion: 7}
	tests := []struct {
		name       string
		strategy   electionStrategy
		assignment replicaAssignment
		current    zkmeta.LeaderIsr
		live       []int32
		shutting   []int32
		unclean    bool
		wantLeader int32 // -1: no election
		wantISR    []int32
		recipients []int32
	}{
		{"offline drops dead from ISR", offlineElection, replicaAssignment{replicas: []int32{0, 1, 2}}, cur, []int32{1, 2}, nil, false, 1, []int32{1, 2}, []int32{1, 2}},
		{"offline no ISR member alive", offlineElection, replicaAssignment{replicas: []int32{0, 1, 2}},
			zkmeta.LeaderIsr{Leader: 0, LeaderEpoch: 4, ISR: []int32{0}, ZkVersion: 7}, []int32{1, 2}, nil, false, -1, nil, []int32{1, 2}},
		{"offline unclean from topic config", offlineElection, replicaAssignment{replicas: []int32{0, 1, 2}},
			zkmeta.LeaderIsr{Leader: 0, LeaderEpoch: 4, ISR: []int32{0}, ZkVersion: 7}, []int32{2, 1}, nil, true, 1, []int32{1}, []int32{1, 2}},
		{"offline unclean allowed by API", offlineUncleanAllowedElection, replicaAssignment{replicas: []int32{0, 1, 2}},
			zkmeta.LeaderIsr{Leader: -1, LeaderEpoch: 4, ISR: []int32{0}, ZkVersion: 7}, []int32{2}, nil, false, 2, []int32{2}, []int32{2}},
		{"preferred keeps ISR", preferredElection, replicaAssignment{replicas: []int32{2, 0, 1}}, cur, []int32{0, 1, 2}, nil, false, 2, []int32{0, 1, 2}, []int32{2, 0, 1}},
		{"preferred not in ISR", preferredElection, replicaAssignment{replicas: []int32{3, 0}}, cur, []int32{0, 3}, nil, false, -1, nil, []int32{3, 0}},
		{"reassign picks target", reassignElection, replicaAssignment{replicas: []int32{2, 1, 0}, removing: []int32{0}}, cur, []int32{0, 1, 2}, nil, false, 2, []int32{0, 1, 2}, []int32{2, 1}},
		{"controlled shutdown", controlledShutdownElection, replicaAssignment{replicas: []int32{0, 1, 2}}, cur, []int32{1, 2}, []int32{0}, false, 1, []int32{1, 2}, []int32{0, 1, 2}},
	}
	for _, tt := range tests {
		in := electionInput{
			assignment:     tt.assignment,
			current:        tt.current,
			live:           liveSet(tt.live...),
			liveOrShutting: liveSet(append(append([]int32{}, tt.live...), tt.shutting...)...),
			shuttingDown:   liveSet(tt.shutting...),
			uncleanEnabled: tt.unclean,
		}
		res := electLeader(tp, tt.strategy, in)
		if !reflect.DeepEqual(res.recipients, tt.recipients) {
			t.Errorf("%s: recipients %v, want %v", tt.name, res.recipients, tt.recipients)
		}
		if tt.wantLeader < 0 {
			if res.newState != nil {
				t.Errorf("%s: elected %+v, want none", tt.name, *res.newState)
			}
			continue
		}
		if res.newState == nil {
			t.Errorf("%s: no leader, want %d", tt.name, tt.wantLeader)
			continue
		}
		ns := *res.newState
		if ns.Leader != tt.wantLeader || !reflect.DeepEqual(ns.ISR, tt.wantISR) || ns.LeaderEpoch != tt.current.LeaderEpoch+1 || ns.ZkVersion != tt.current.ZkVersion {
			t.Errorf("%s: got %+v, want leader %d isr %v epoch %d zkVersion %d", tt.name, ns, tt.wantLeader, tt.wantISR, tt.current.LeaderEpoch+1, tt.current.ZkVersion)
		}
	}
}

func TestPartitionStateTransitions(t *testing.T) {
	all := []PartitionState{NewPartition, OnlinePartition, OfflinePartition, NonExistentPartition}
	valid := map[[2]PartitionState]bool{
		{NonExistentPartition, NewPartition}: true,
		{NewPartition, OnlinePartition}:      true, {OnlinePartition, OnlinePartition}: true, {OfflinePartition, OnlinePartition}: true,
		{NewPartition, OfflinePartition}: true, {OnlinePartition, OfflinePartition}: true, {OfflinePartition, OfflinePartition}: true,
		{OfflinePartition, NonExistentPartition}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := isValidPartitionTransition(from, to); got != valid[[2]PartitionState{from, to}] {
				t.Errorf("%s -> %s: valid=%v", from, to, got)
			}
		}
	}
}

func TestReplicaStateTransitions(t *testing.T) {
	all := []ReplicaState{NewReplica, OnlineReplica, OfflineReplica, ReplicaDeletionStarted, ReplicaDeletionSuccessful, ReplicaDeletionIneligible, NonExistentReplica}
	valid := map[[2]ReplicaState]bool{
		{NonExistentReplica, NewReplica}:                    true,
		{NewReplica, OnlineReplica}:                         true,
		{OnlineReplica, OnlineReplica}:                      true,
		{OfflineReplica, OnlineReplica}:                     true,
		{ReplicaDeletionIneligible, OnlineReplica}:          true,
		{NewReplica, OfflineReplica}:                        true,
		{OnlineReplica, OfflineReplica}:                     true,
		{OfflineReplica, OfflineReplica}:                    true,
		{ReplicaDeletionIneligible, OfflineReplica}:         true,
		{OfflineReplica, ReplicaDeletionStarted}:            true,
		{ReplicaDeletionStarted, ReplicaDeletionSuccessful}: true,
		{OfflineReplica, ReplicaDeletionIneligible}:         true,
		{ReplicaDeletionStarted, ReplicaDeletionIneligible}: true,
		{ReplicaDeletionSuccessful, NonExistentReplica}:     true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := isValidReplicaTransition(from, to); got != valid[[2]ReplicaState{from, to}] {
				t.Errorf("%s -> %s: valid=%v", from, to, got)
			}
		}
	}
}

func TestStateChangeWording(t *testing.T) {
	li := zkmeta.LeaderIsr{Leader: 0, LeaderEpoch: 0, ISR: []int32{0, 1}, ControllerEpoch: 1, ZkVersion: 0}
	if got, want := leaderAndIsrString(li), "LeaderAndIsr(leader=0, leaderEpoch=0, isr=List(0, 1), zkVersion=0)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := leaderIsrAndEpochString(li), "(Leader:0,ISR:0,1,LeaderEpoch:0,ControllerEpoch:1)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
