package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

func stateOf(t *testing.T, zc *zkmeta.Client, tp zkmeta.TP) zkmeta.LeaderIsr {
	t.Helper()
	li, err := zc.GetPartitionState(tp.Topic, tp.Partition)
	if err != nil {
		t.Fatalf("state of %v: %v", tp, err)
	}
	return li
}

func sameIDs(a []int32, b ...int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Two brokers, controller on broker 0; broker 1 dies: partitions it led move to 0, ISRs shrink
// in ZooKeeper with leader_epoch+1, and broker 0 hears about it.
func TestBrokerFailureAndRestart(t *testing.T) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	registerBroker(t, zc, 0)
	zc1 := connectZK(t, addr)
	registerBroker(t, zc1, 1)
	fs := &fakeSender{}
	c := newTestController(t, zc, 0, fs, nil)
	waitActive(t, c)

	if err := zc.CreateTopic("events", map[int32][]int32{0: {0, 1}, 1: {1, 0}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	tp0, tp1 := zkmeta.TP{Topic: "events", Partition: 0}, zkmeta.TP{Topic: "events", Partition: 1}
	waitFor(t, "partitions online", func() bool {
		s, err := zc.GetPartitionStates([]zkmeta.TP{tp0, tp1})
		return err == nil && len(s) == 2
	})
	if li := stateOf(t, zc, tp1); li.Leader != 1 || !sameIDs(li.ISR, 1, 0) {
		t.Fatalf("events-1 initial state %+v", li)
	}
	waitFor(t, "follower LeaderAndIsr to broker 0 for events-1", func() bool {
		_, p := findLeaderAndIsr(fs.requests(), 0, tp1, func(p kmsg.LeaderAndISRRequestTopicPartition) bool { return p.Leader == 1 && p.IsNew })
		return p != nil
	})

	zc1.Close() // broker 1's session ends: its registration disappears
	waitFor(t, "events-1 led by 0", func() bool {
		li, err := zc.GetPartitionState("events", 1)
		return err == nil && li.Leader == 0
	})
	waitFor(t, "events-0 ISR shrunk", func() bool {
		li, err := zc.GetPartitionState("events", 0)
		return err == nil && sameIDs(li.ISR, 0)
	})
	li1 := stateOf(t, zc, tp1)
	if !sameIDs(li1.ISR, 0) || li1.LeaderEpoch != 1 || li1.ControllerEpoch != 1 {
		t.Fatalf("events-1 after failure %+v", li1)
	}
	li0 := stateOf(t, zc, tp0)
	if li0.Leader != 0 || li0.LeaderEpoch != 1 {
		t.Fatalf("events-0 after failure %+v", li0)
	}
	waitFor(t, "UpdateMetadata without broker 1", func() bool {
		return findUpdateMetadata(fs.requests(), 0, func(r *kmsg.UpdateMetadataRequest) bool {
			if len(r.LiveBrokers) != 1 {
				return false
			}
			for _, ts := range r.TopicStates {
				for _, p := range ts.PartitionStates {
					if p.Partition == 1 && p.Leader == 0 && sameIDs(p.OfflineReplicas, 1) {
						return true
					}
				}
			}
			return false
		}) != nil
	})

	// Broker 1 comes back: it gets the full metadata and LeaderAndIsr for its replicas.
	zc1b := connectZK(t, addr)
	epoch1 := registerBroker(t, zc1b, 1)
	waitFor(t, "LeaderAndIsr to returning broker 1", func() bool {
		r, p := findLeaderAndIsr(fs.requests(), 1, tp1, func(p kmsg.LeaderAndISRRequestTopicPartition) bool { return p.Leader == 0 && p.LeaderEpoch == 1 })
		return p != nil && r.BrokerEpoch == epoch1
	})
	waitFor(t, "full UpdateMetadata to broker 1", func() bool {
		return findUpdateMetadata(fs.requests(), 1, func(r *kmsg.UpdateMetadataRequest) bool {
			return len(r.LiveBrokers) == 2 && len(r.TopicStates) == 1 && len(r.TopicStates[0].PartitionStates) == 2
		}) != nil
	})
}

func TestControlledShutdown(t *testing.T) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	registerBroker(t, zc, 0)
	zc1 := connectZK(t, addr)
	epoch1 := registerBroker(t, zc1, 1)
	fs := &fakeSender{}
	c := newTestController(t, zc, 0, fs, nil)
	waitActive(t, c)
	if err := zc.CreateTopic("cs", map[int32][]int32{0: {1, 0}, 1: {0, 1}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := zc.CreateTopic("single", map[int32][]int32{0: {1}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "partitions online", func() bool {
		s, err := zc.GetPartitionStates([]zkmeta.TP{{Topic: "cs", Partition: 0}, {Topic: "cs", Partition: 1}, {Topic: "single", Partition: 0}})
		return err == nil && len(s) == 3
	})

	if _, err := c.ControlledShutdown(context.Background(), 1, epoch1-1); !errors.Is(err, kerr.StaleBrokerEpoch) {
		t.Fatalf("stale epoch: err = %v", err)
	}
	if _, err := c.ControlledShutdown(context.Background(), 7, -1); !errors.Is(err, kerr.BrokerNotAvailable) {
		t.Fatalf("unknown broker: err = %v", err)
	}
	remaining, err := c.ControlledShutdown(context.Background(), 1, epoch1)
	if err != nil {
		t.Fatal(err)
	}
	// single-0 has one replica: it stays led by broker 1 but does not count as remaining.
	if len(remaining) != 0 {
		t.Fatalf("remaining = %v, want none (single-replica partitions are not waited for)", remaining)
	}
	if li := stateOf(t, zc, zkmeta.TP{Topic: "single", Partition: 0}); li.Leader != 1 {
		t.Fatalf("single-0 leader %d after controlled shutdown, want 1 (nowhere to move)", li.Leader)
	}
	li0 := stateOf(t, zc, zkmeta.TP{Topic: "cs", Partition: 0})
	if li0.Leader != 0 || !sameIDs(li0.ISR, 0) || li0.LeaderEpoch != 1 {
		t.Fatalf("cs-0 after controlled shutdown %+v", li0)
	}
	li1 := stateOf(t, zc, zkmeta.TP{Topic: "cs", Partition: 1})
	if li1.Leader != 0 || !sameIDs(li1.ISR, 0) || li1.LeaderEpoch != 1 {
		t.Fatalf("cs-1 after controlled shutdown %+v", li1)
	}
	waitFor(t, "StopReplica(delete=false) for followed partition", func() bool {
		return findStopReplica(fs.requests(), 1, zkmeta.TP{Topic: "cs", Partition: 1}, false) != nil
	})

	// A non-controller refuses.
	other := New(Config{BrokerID: 1}, zc1, fs, testLogger(t))
	if _, err := other.ControlledShutdown(context.Background(), 1, epoch1); !errors.Is(err, kerr.NotController) {
		t.Fatalf("non-controller: err = %v", err)
	}
}

// The controller's session ends: the other broker's controller takes over with epoch 2 and
// rebuilds its state from ZooKeeper.
func TestControllerFailover(t *testing.T) {
	addr := startZooKeeper(t)
	zc0 := connectZK(t, addr)
	registerBroker(t, zc0, 0)
	zc1 := connectZK(t, addr)
	registerBroker(t, zc1, 1)
	fs0, fs1 := &fakeSender{}, &fakeSender{}
	c0 := newTestController(t, zc0, 0, fs0, nil)
	waitFor(t, "c0 active", c0.IsActive)
	c1 := newTestController(t, zc1, 1, fs1, nil)
	waitFor(t, "c1 sees controller 0", func() bool { return c1.ActiveControllerID() == 0 })
	if c1.IsActive() {
		t.Fatal("c1 active too")
	}
	if err := zc0.CreateTopic("f", map[int32][]int32{0: {0, 1}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "f-0 online", func() bool {
		_, err := zc0.GetPartitionState("f", 0)
		return err == nil
	})
	c0.Shutdown()
	zc0.Close()
	waitFor(t, "c1 active", c1.IsActive)
	if c1.Epoch() != 2 {
		t.Fatalf("epoch %d, want 2", c1.Epoch())
	}
	waitFor(t, "f-0 led by 1", func() bool {
		li, err := zc1.GetPartitionState("f", 0)
		return err == nil && li.Leader == 1 && li.ControllerEpoch == 2
	})
	li := stateOf(t, zc1, zkmeta.TP{Topic: "f", Partition: 0})
	if !sameIDs(li.ISR, 1) || li.LeaderEpoch < 1 {
		t.Fatalf("f-0 after failover %+v", li)
	}
	waitFor(t, "LeaderAndIsr from epoch 2", func() bool {
		r, _ := findLeaderAndIsr(fs1.requests(), 1, zkmeta.TP{Topic: "f", Partition: 0}, func(p kmsg.LeaderAndISRRequestTopicPartition) bool { return p.Leader == 1 })
		return r != nil && r.ControllerEpoch == 2
	})
}

func TestDeleteTopicDisabled(t *testing.T) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	registerBroker(t, zc, 0)
	fs := &fakeSender{}
	c := newTestController(t, zc, 0, fs, func(cfg *Config) { cfg.DeleteTopicEnable = false })
	waitActive(t, c)
	if err := zc.CreateTopic("keep", map[int32][]int32{0: {0}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "keep-0 online", func() bool {
		_, err := zc.GetPartitionState("keep", 0)
		return err == nil
	})
	if err := zc.MarkTopicForDeletion("keep"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "marker removed", func() bool {
		ok, _, err := zc.Exists("/admin/delete_topics/keep")
		return err == nil && !ok
	})
	if ok, _, _ := zc.Exists("/brokers/topics/keep"); !ok {
		t.Fatal("topic deleted although delete.topic.enable=false")
	}
	if findStopReplica(fs.requests(), 0, zkmeta.TP{Topic: "keep", Partition: 0}, true) != nil {
		t.Fatal("StopReplica(delete) sent although deletion is disabled")
	}
}

// A leader changed the ISR itself and left a notification: the controller refreshes its cache,
// broadcasts UpdateMetadata and removes the notification.
func TestIsrChangeNotification(t *testing.T) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	registerBroker(t, zc, 0)
	zc1 := connectZK(t, addr)
	registerBroker(t, zc1, 1)
	fs := &fakeSender{}
	c := newTestController(t, zc, 0, fs, nil)
	waitActive(t, c)
	if err := zc.CreateTopic("isr", map[int32][]int32{0: {0, 1}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	tp := zkmeta.TP{Topic: "isr", Partition: 0}
	waitFor(t, "isr-0 online", func() bool {
		_, err := zc.GetPartitionState("isr", 0)
		return err == nil
	})
	li := stateOf(t, zc, tp)
	li.ISR = []int32{0}
	if _, err := zc.UpdatePartitionState(-1, tp, li); err != nil {
		t.Fatal(err)
	}
	if err := zc.WriteIsrChangeNotification([]zkmeta.TP{tp}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "UpdateMetadata with shrunk ISR", func() bool {
		return findUpdateMetadata(fs.requests(), 1, func(r *kmsg.UpdateMetadataRequest) bool {
			return len(r.TopicStates) == 1 && sameIDs(r.TopicStates[0].PartitionStates[0].ISR, 0) && r.TopicStates[0].PartitionStates[0].ZKVersion == 1
		}) != nil
	})
	waitFor(t, "notification deleted", func() bool {
		kids, err := zc.Children("/isr_change_notification")
		return err == nil && len(kids) == 0
	})
}

func TestPreferredReplicaElection(t *testing.T) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	registerBroker(t, zc, 0)
	fs := &fakeSender{}
	c := newTestController(t, zc, 0, fs, nil)
	waitActive(t, c)
	// Broker 1 is not up yet, so broker 0 leads a partition that prefers 1.
	if err := zc.CreateTopic("pref", map[int32][]int32{0: {1, 0}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	tp := zkmeta.TP{Topic: "pref", Partition: 0}
	waitFor(t, "pref-0 online", func() bool {
		li, err := zc.GetPartitionState("pref", 0)
		return err == nil && li.Leader == 0
	})
	zc1 := connectZK(t, addr)
	registerBroker(t, zc1, 1)
	// Broker 1 caught up and the leader put it back in the ISR.
	li := stateOf(t, zc, tp)
	li.ISR = []int32{0, 1}
	if _, err := zc.UpdatePartitionState(-1, tp, li); err != nil {
		t.Fatal(err)
	}
	if err := zc.WriteIsrChangeNotification([]zkmeta.TP{tp}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "controller sees broker 1 and ISR", func() bool {
		return findUpdateMetadata(fs.requests(), 1, func(r *kmsg.UpdateMetadataRequest) bool {
			return len(r.TopicStates) == 1 && sameIDs(r.TopicStates[0].PartitionStates[0].ISR, 0, 1)
		}) != nil
	})
	if err := zc.CreatePreferredReplicaElection([]zkmeta.TP{tp}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "preferred leader elected", func() bool {
		li, err := zc.GetPartitionState("pref", 0)
		return err == nil && li.Leader == 1
	})
	waitFor(t, "election node deleted", func() bool {
		ok, _, err := zc.Exists("/admin/preferred_replica_election")
		return err == nil && !ok
	})
	li = stateOf(t, zc, tp)
	if !sameIDs(li.ISR, 0, 1) {
		t.Fatalf("preferred election changed the ISR: %+v", li)
	}
	waitFor(t, "become-leader to broker 1", func() bool {
		_, p := findLeaderAndIsr(fs.requests(), 1, tp, func(p kmsg.LeaderAndISRRequestTopicPartition) bool { return p.Leader == 1 })
		return p != nil
	})
}

// Auto rebalance moves leadership back to the preferred replica once it is in the ISR.
func TestAutoLeaderRebalance(t *testing.T) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	registerBroker(t, zc, 0)
	fs := &fakeSender{}
	cfg := Config{BrokerID: 0, DeleteTopicEnable: true, AutoLeaderRebalanceEnable: true, LeaderImbalanceCheckInterval: 200 * time.Millisecond}
	c := New(cfg, zc, fs, testLogger(t))
	c.firstRebalanceDelay = 200 * time.Millisecond
	c.Start()
	t.Cleanup(c.Shutdown)
	waitActive(t, c)
	if err := zc.CreateTopic("ab", map[int32][]int32{0: {1, 0}, 1: {0, 1}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	tp := zkmeta.TP{Topic: "ab", Partition: 0}
	waitFor(t, "ab-0 led by 0", func() bool {
		li, err := zc.GetPartitionState("ab", 0)
		return err == nil && li.Leader == 0
	})
	waitFor(t, "imbalance visible", func() bool { return c.Metrics().PreferredReplicaImbalanceCount == 1 })
	registerBroker(t, connectZK(t, addr), 1)
	expandIsr(t, zc, tp, 0, 1)
	waitFor(t, "leader back on preferred replica 1", func() bool {
		li, err := zc.GetPartitionState("ab", 0)
		return err == nil && li.Leader == 1 && sameIDs(li.ISR, 0, 1)
	})
	waitFor(t, "imbalance gone", func() bool { return c.Metrics().PreferredReplicaImbalanceCount == 0 })
}

// The last ISR member dies: with the topic-level unclean.leader.election.enable=true the
// controller elects an out-of-sync replica; without it the partition stays offline.
func TestUncleanLeaderElectionFromTopicConfig(t *testing.T) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	registerBroker(t, zc, 0)
	zc1 := connectZK(t, addr)
	registerBroker(t, zc1, 1)
	registerBroker(t, connectZK(t, addr), 2)
	fs := &fakeSender{}
	c := newTestController(t, zc, 0, fs, nil)
	waitActive(t, c)
	if err := zc.CreateTopic("dirty", map[int32][]int32{0: {1, 2}}, map[string]string{"unclean.leader.election.enable": "true"}, ""); err != nil {
		t.Fatal(err)
	}
	if err := zc.CreateTopic("clean", map[int32][]int32{0: {1, 2}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	dirty, clean := zkmeta.TP{Topic: "dirty", Partition: 0}, zkmeta.TP{Topic: "clean", Partition: 0}
	waitFor(t, "online", func() bool {
		s, err := zc.GetPartitionStates([]zkmeta.TP{dirty, clean})
		return err == nil && len(s) == 2
	})
	expandIsr(t, zc, dirty, 1) // broker 2 fell out of sync
	expandIsr(t, zc, clean, 1)
	zc1.Close()
	waitFor(t, "dirty-0 led by 2", func() bool {
		li, err := zc.GetPartitionState("dirty", 0)
		return err == nil && li.Leader == 2 && sameIDs(li.ISR, 2)
	})
	waitFor(t, "clean-0 offline", func() bool {
		li, err := zc.GetPartitionState("clean", 0)
		return err == nil && li.Leader == -1 && sameIDs(li.ISR, 1)
	})
	waitFor(t, "offline partition counted", func() bool { return c.Metrics().OfflinePartitionsCount == 1 })
}

func TestAlterIsr(t *testing.T) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	registerBroker(t, zc, 0)
	epoch1 := registerBroker(t, connectZK(t, addr), 1)
	fs := &fakeSender{}
	c := newTestController(t, zc, 0, fs, nil)
	waitActive(t, c)
	if err := zc.CreateTopic("ai", map[int32][]int32{0: {1, 0}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ai-0 online", func() bool { _, err := zc.GetPartitionState("ai", 0); return err == nil })
	build := func(brokerEpoch int64, leaderEpoch, zkVersion int32, isr ...int32) *kmsg.AlterPartitionRequest {
		req := kmsg.NewPtrAlterPartitionRequest()
		req.BrokerID, req.BrokerEpoch = 1, brokerEpoch
		rt := kmsg.NewAlterPartitionRequestTopic()
		rt.Topic = "ai"
		rp := kmsg.NewAlterPartitionRequestTopicPartition()
		rp.Partition, rp.LeaderEpoch, rp.NewISR, rp.PartitionEpoch = 0, leaderEpoch, isr, zkVersion
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		return req
	}
	ctx := context.Background()
	resp, err := c.AlterIsr(ctx, build(epoch1-1, 0, 0, 1))
	if err != nil || resp.ErrorCode != kerr.StaleBrokerEpoch.Code {
		t.Fatalf("stale epoch: %+v %v", resp, err)
	}
	resp, err = c.AlterIsr(ctx, build(epoch1, 0, 0, 1))
	if err != nil || resp.ErrorCode != 0 {
		t.Fatalf("shrink: %+v %v", resp, err)
	}
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 || p.LeaderID != 1 || p.LeaderEpoch != 0 || !sameIDs(p.ISR, 1) || p.PartitionEpoch != 1 {
		t.Fatalf("shrink result %+v", p)
	}
	if li := stateOf(t, zc, zkmeta.TP{Topic: "ai", Partition: 0}); !sameIDs(li.ISR, 1) || li.LeaderEpoch != 0 || li.ZkVersion != 1 {
		t.Fatalf("state after AlterIsr %+v", li)
	}
	resp, _ = c.AlterIsr(ctx, build(epoch1, 0, 0, 1, 0))
	if resp.Topics[0].Partitions[0].ErrorCode != kerr.InvalidUpdateVersion.Code {
		t.Fatalf("stale zkVersion: %+v", resp.Topics[0].Partitions[0])
	}
	waitFor(t, "UpdateMetadata with ISR [1]", func() bool {
		return findUpdateMetadata(fs.requests(), 0, func(r *kmsg.UpdateMetadataRequest) bool {
			return len(r.TopicStates) == 1 && sameIDs(r.TopicStates[0].PartitionStates[0].ISR, 1)
		}) != nil
	})
}
