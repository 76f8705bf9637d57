package controller

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

func TestElectionAndTopicLifecycle(t *testing.T) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	epoch0 := registerBroker(t, zc, 0)
	fs := &fakeSender{}
	c := newTestController(t, zc, 0, fs, nil)

	waitActive(t, c)
	if c.Epoch() != 1 || c.ActiveControllerID() != 0 {
		t.Fatalf("epoch=%d active=%d, want 1 and 0", c.Epoch(), c.ActiveControllerID())
	}
	if e, v, err := zc.GetControllerEpoch(); err != nil || e != 1 || v != 1 {
		t.Fatalf("/controller_epoch = %d (zkVersion %d) err %v, want 1 (1)", e, v, err)
	}
	// Failover UpdateMetadata: live brokers only.
	waitFor(t, "failover UpdateMetadata", func() bool {
		return findUpdateMetadata(fs.requests(), 0, func(r *kmsg.UpdateMetadataRequest) bool {
			return len(r.LiveBrokers) == 1 && r.LiveBrokers[0].ID == 0 && len(r.TopicStates) == 0
		}) != nil
	})
	umr := findUpdateMetadata(fs.requests(), 0, func(*kmsg.UpdateMetadataRequest) bool { return true })
	if umr.Version != 7 || umr.ControllerEpoch != 1 || umr.ControllerID != 0 || umr.BrokerEpoch != epoch0 {
		t.Fatalf("UpdateMetadata header %+v", umr)
	}
	ep := umr.LiveBrokers[0].Endpoints
	if len(ep) != 1 || ep[0].Host != "127.0.0.1" || ep[0].Port != 9092 || ep[0].ListenerName != "PLAINTEXT" || ep[0].SecurityProtocol != 0 {
		t.Fatalf("endpoints %+v", ep)
	}

	// Topic creation.
	if err := zc.CreateTopic("orders", map[int32][]int32{0: {0}, 1: {0}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	tp0, tp1 := zkmeta.TP{Topic: "orders", Partition: 0}, zkmeta.TP{Topic: "orders", Partition: 1}
	waitFor(t, "state znodes", func() bool {
		s, err := zc.GetPartitionStates([]zkmeta.TP{tp0, tp1})
		return err == nil && len(s) == 2
	})
	for _, tp := range []zkmeta.TP{tp0, tp1} {
		li, err := zc.GetPartitionState(tp.Topic, tp.Partition)
		if err != nil {
			t.Fatal(err)
		}
		if li.Leader != 0 || li.LeaderEpoch != 0 || len(li.ISR) != 1 || li.ISR[0] != 0 || li.ControllerEpoch != 1 || li.ZkVersion != 0 {
			t.Fatalf("%v state = %+v", tp, li)
		}
	}
	a, err := zc.GetTopicAssignment("orders")
	if err != nil || a.TopicID == "" {
		t.Fatalf("topic id not assigned: %+v %v", a, err)
	}
	waitFor(t, "LeaderAndIsr isNew", func() bool {
		_, p := findLeaderAndIsr(fs.requests(), 0, tp1, func(p kmsg.LeaderAndISRRequestTopicPartition) bool { return p.IsNew })
		return p != nil
	})
	lr, p := findLeaderAndIsr(fs.requests(), 0, tp0, nil)
	if lr.Version != 5 || lr.ControllerEpoch != 1 || lr.BrokerEpoch != epoch0 {
		t.Fatalf("LeaderAndIsr header %+v", lr)
	}
	if p.Leader != 0 || p.LeaderEpoch != 0 || !p.IsNew || p.ZKVersion != 0 || len(p.Replicas) != 1 || p.ControllerEpoch != 1 {
		t.Fatalf("LeaderAndIsr partition %+v", p)
	}
	if lr.TopicStates[0].TopicID != topicIDBytes(a.TopicID) || lr.TopicStates[0].TopicID == ([16]byte{}) {
		t.Fatalf("topic id %x, want %s", lr.TopicStates[0].TopicID, a.TopicID)
	}
	if len(lr.LiveLeaders) != 1 || lr.LiveLeaders[0].BrokerID != 0 || lr.LiveLeaders[0].Port != 9092 {
		t.Fatalf("live leaders %+v", lr.LiveLeaders)
	}
	waitFor(t, "UpdateMetadata with orders", func() bool {
		return findUpdateMetadata(fs.requests(), 0, func(r *kmsg.UpdateMetadataRequest) bool {
			return len(r.TopicStates) == 1 && r.TopicStates[0].Topic == "orders" && len(r.TopicStates[0].PartitionStates) == 2
		}) != nil
	})

	// Partition addition.
	if err := zc.AddPartitions("orders", a, map[int32][]int32{2: {0}}); err != nil {
		t.Fatal(err)
	}
	tp2 := zkmeta.TP{Topic: "orders", Partition: 2}
	waitFor(t, "added partition online", func() bool {
		_, p := findLeaderAndIsr(fs.requests(), 0, tp2, func(p kmsg.LeaderAndISRRequestTopicPartition) bool { return p.IsNew })
		return p != nil
	})

	// Deletion.
	if err := zc.MarkTopicForDeletion("orders"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "topic znodes removed", func() bool {
		ok, _, err := zc.Exists("/brokers/topics/orders")
		ok2, _, err2 := zc.Exists("/admin/delete_topics/orders")
		return err == nil && err2 == nil && !ok && !ok2
	})
	reqs := fs.requests()
	for _, tp := range []zkmeta.TP{tp0, tp1, tp2} {
		s := findStopReplica(reqs, 0, tp, true)
		if s == nil || s.LeaderEpoch != -2 {
			t.Fatalf("StopReplica(delete=true) for %v: %+v", tp, s)
		}
	}
	if findUpdateMetadata(reqs, 0, func(r *kmsg.UpdateMetadataRequest) bool {
		return len(r.TopicStates) == 1 && r.TopicStates[0].Topic == "orders" && r.TopicStates[0].PartitionStates[0].Leader == -2
	}) == nil {
		t.Fatal("no UpdateMetadata with LeaderDuringDelete")
	}
	if ok, _, _ := zc.Exists("/config/topics/orders"); ok {
		t.Fatal("/config/topics/orders still exists")
	}
}

// A new ZooKeeper session: the controller resigns, forgets its watches and wins a new election
// (here /controller still names it, so it clears the node and elects again with epoch 2).
func TestSessionReestablishedReelects(t *testing.T) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	registerBroker(t, zc, 0)
	fs := &fakeSender{}
	c := newTestController(t, zc, 0, fs, nil)
	waitActive(t, c)
	if err := zc.CreateTopic("s", map[int32][]int32{0: {0}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "s-0 online", func() bool { _, err := zc.GetPartitionState("s", 0); return err == nil })
	c.OnSessionExpired()
	c.OnSessionReestablished()
	waitFor(t, "re-elected with epoch 2", func() bool { return c.IsActive() && c.Epoch() == 2 })
	defer func() {
		if t.Failed() {
			t.Logf("metrics at failure %+v", c.Metrics())
		}
	}()
	waitFor(t, "metrics of the new term", func() bool {
		m := c.Metrics()
		return m.ActiveControllerCount == 1 && m.GlobalTopicCount == 1 && m.GlobalPartitionCount == 1 && m.OfflinePartitionsCount == 0 &&
			m.Events["ControllerChange"].Count >= 3
	})
	waitFor(t, "LeaderAndIsr from epoch 2", func() bool {
		r, _ := findLeaderAndIsr(fs.requests(), 0, zkmeta.TP{Topic: "s", Partition: 0}, nil)
		for _, s := range fs.requests() {
			if l, ok := s.req.(*kmsg.LeaderAndISRRequest); ok && l.ControllerEpoch == 2 {
				return r != nil
			}
		}
		return false
	})
	// Watches were re-armed: a new topic is still noticed.
	if err := zc.CreateTopic("s2", map[int32][]int32{0: {0}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "s2-0 online", func() bool {
		li, err := zc.GetPartitionState("s2", 0)
		return err == nil && li.ControllerEpoch == 2
	})
}

// Deletion halts while a replica's broker is down and resumes when it returns.
func TestTopicDeletionWaitsForOfflineReplica(t *testing.T) {
	addr := startZooKeeper(t)
	zc := connectZK(t, addr)
	registerBroker(t, zc, 0)
	zc1 := connectZK(t, addr)
	registerBroker(t, zc1, 1)
	fs := &fakeSender{}
	c := newTestController(t, zc, 0, fs, nil)
	waitActive(t, c)
	if err := zc.CreateTopic("gone", map[int32][]int32{0: {0, 1}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	tp := zkmeta.TP{Topic: "gone", Partition: 0}
	waitFor(t, "gone-0 online", func() bool { _, err := zc.GetPartitionState("gone", 0); return err == nil })
	zc1.Close()
	waitFor(t, "broker 1 seen dead", func() bool {
		li, err := zc.GetPartitionState("gone", 0)
		return err == nil && sameIDs(li.ISR, 0)
	})
	if err := zc.MarkTopicForDeletion("gone"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "StopReplica(delete) to live replica", func() bool { return findStopReplica(fs.requests(), 0, tp, true) != nil })
	waitFor(t, "deletion halted", func() bool { return c.Metrics().TopicsIneligibleToDeleteCount == 1 })
	if ok, _, _ := zc.Exists("/brokers/topics/gone"); !ok {
		t.Fatal("topic deleted while a replica was offline")
	}
	registerBroker(t, connectZK(t, addr), 1)
	waitFor(t, "topic deleted after broker 1 returned", func() bool {
		ok, _, err := zc.Exists("/brokers/topics/gone")
		return err == nil && !ok
	})
	if findStopReplica(fs.requests(), 1, tp, true) == nil {
		t.Fatal("no StopReplica(delete) to the returning replica")
	}
}
