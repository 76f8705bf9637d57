package controller

import (
	"reflect"
	"testing"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// A controller with a hand-built context and a fake sender, no ZooKeeper.
func batchTestController(t *testing.T) (*Controller, *fakeSender) {
	fs := &fakeSender{}
	c := New(Config{BrokerID: 1}, nil, fs, zerolog.Nop())
	cc := c.ctx
	cc.epoch, cc.epochZkVersion = 3, 2
	for id, epoch := range map[int32]int64{1: 100, 2: 200} {
		cc.liveBrokers[id] = zkmeta.BrokerInfo{ID: id, Epoch: epoch, Rack: map[int32]string{1: "r1"}[id], Endpoints: []zkmeta.Endpoint{
			{Listener: "PLAINTEXT", Host: "h" + itoa(id), Port: 9090 + int(id), SecurityProtocol: "PLAINTEXT"},
			{Listener: "SSL", Host: "h" + itoa(id), Port: 9190 + int(id), SecurityProtocol: "SSL"},
		}}
	}
	cc.topicIDs["t"] = "AAECAwQFBgcICQoLDA0ODw"
	cc.setAssignment(zkmeta.TP{Topic: "t", Partition: 0}, replicaAssignment{replicas: []int32{1, 2, 3}})
	cc.setAssignment(zkmeta.TP{Topic: "t", Partition: 1}, replicaAssignment{replicas: []int32{2, 1}})
	cc.leadership[zkmeta.TP{Topic: "t", Partition: 0}] = zkmeta.LeaderIsr{Leader: 1, LeaderEpoch: 5, ISR: []int32{1, 2}, ControllerEpoch: 3, ZkVersion: 9}
	cc.leadership[zkmeta.TP{Topic: "t", Partition: 1}] = zkmeta.LeaderIsr{Leader: 2, LeaderEpoch: 1, ISR: []int32{2, 1}, ControllerEpoch: 2, ZkVersion: 4}
	c.batch = newRequestBatch(c)
	c.channels = newChannelManager(c)
	c.channels.addBroker(cc.liveBrokers[1])
	c.channels.addBroker(cc.liveBrokers[2])
	t.Cleanup(c.channels.shutdown)
	return c, fs
}

func TestRequestBatchLeaderAndIsrAndUpdateMetadata(t *testing.T) {
	c, fs := batchTestController(t)
	tp0, tp1 := zkmeta.TP{Topic: "t", Partition: 0}, zkmeta.TP{Topic: "t", Partition: 1}
	a0, _ := c.ctx.assignment(tp0)
	a1, _ := c.ctx.assignment(tp1)
	c.batch.addLeaderAndIsr([]int32{1, 2}, tp0, c.ctx.leadership[tp0], a0, true)
	c.batch.addLeaderAndIsr([]int32{2}, tp1, c.ctx.leadership[tp1], a1, false)
	c.batch.addLeaderAndIsr([]int32{2}, tp1, c.ctx.leadership[tp1], a1, false)
	c.batch.sendRequestsToBrokers()
	if !c.batch.empty() {
		t.Fatal("batch not reset after send")
	}
	// broker 1: 1 LeaderAndIsr + 1 UpdateMetadata; broker 2: the same.
	waitFor(t, "4 requests", func() bool { return len(fs.requests()) == 4 })
	reqs := fs.requests()

	r, p := findLeaderAndIsr(reqs, 2, tp0, nil)
	if r == nil {
		t.Fatal("no LeaderAndIsr for t-0 to broker 2")
	}
	if r.Version != 5 || r.ControllerID != 1 || r.ControllerEpoch != 3 || r.BrokerEpoch != 200 || r.Type != 0 {
		t.Fatalf("header %+v", r)
	}
	want := kmsg.LeaderAndISRRequestTopicPartition{Topic: "t", Partition: 0, ControllerEpoch: 3, Leader: 1, LeaderEpoch: 5,
		ISR: []int32{1, 2}, ZKVersion: 9, Replicas: []int32{1, 2, 3}, AddingReplicas: []int32{}, RemovingReplicas: []int32{}, IsNew: true}
	if !reflect.DeepEqual(*p, want) {
		t.Fatalf("partition state\n got %+v\nwant %+v", *p, want)
	}
	if len(r.TopicStates) != 1 || len(r.TopicStates[0].PartitionStates) != 2 {
		t.Fatalf("topic states %+v", r.TopicStates)
	}
	if r.TopicStates[0].TopicID != [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15} {
		t.Fatalf("topic id %x", r.TopicStates[0].TopicID)
	}
	wantLeaders := []kmsg.LeaderAndISRRequestLiveLeader{{BrokerID: 1, Host: "h1", Port: 9091}, {BrokerID: 2, Host: "h2", Port: 9092}}
	if !reflect.DeepEqual(r.LiveLeaders, wantLeaders) {
		t.Fatalf("live leaders %+v", r.LiveLeaders)
	}
	r1, _ := findLeaderAndIsr(reqs, 1, tp0, nil)
	if r1 == nil || r1.BrokerEpoch != 100 || len(r1.TopicStates[0].PartitionStates) != 1 || len(r1.LiveLeaders) != 1 {
		t.Fatalf("broker 1 LeaderAndIsr %+v", r1)
	}

	u := findUpdateMetadata(reqs, 1, func(*kmsg.UpdateMetadataRequest) bool { return true })
	if u == nil || u.Version != 7 || u.BrokerEpoch != 100 || u.ControllerEpoch != 3 {
		t.Fatalf("UpdateMetadata %+v", u)
	}
	if len(u.LiveBrokers) != 2 || *u.LiveBrokers[0].Rack != "r1" || u.LiveBrokers[1].Rack != nil ||
		len(u.LiveBrokers[0].Endpoints) != 2 || u.LiveBrokers[0].Endpoints[1].SecurityProtocol != 1 || u.LiveBrokers[0].Endpoints[1].ListenerName != "SSL" {
		t.Fatalf("live brokers %+v", u.LiveBrokers)
	}
	ps := u.TopicStates[0].PartitionStates
	if len(ps) != 2 || !reflect.DeepEqual(ps[0].OfflineReplicas, []int32{3}) || ps[1].Leader != 2 || ps[1].ZKVersion != 4 || ps[1].ControllerEpoch != 2 {
		t.Fatalf("UpdateMetadata partitions %+v", ps)
	}
}

func TestRequestBatchDuringDeletion(t *testing.T) {
	c, fs := batchTestController(t)
	c.ctx.topicsToBeDeleted["t"] = true
	tp0 := zkmeta.TP{Topic: "t", Partition: 0}
	c.batch.addUpdateMetadata([]int32{2}, []zkmeta.TP{tp0})
	c.batch.addStopReplica([]int32{2}, tp0, false)
	c.batch.addStopReplica([]int32{2}, tp0, true)
	c.batch.sendRequestsToBrokers()
	waitFor(t, "2 requests", func() bool { return len(fs.requests()) == 2 })
	reqs := fs.requests()
	u := findUpdateMetadata(reqs, 2, func(*kmsg.UpdateMetadataRequest) bool { return true })
	p := u.TopicStates[0].PartitionStates[0]
	if p.Leader != -2 || p.LeaderEpoch != 0 || p.ZKVersion != 0 || !reflect.DeepEqual(p.ISR, []int32{1, 2}) {
		t.Fatalf("LeaderDuringDelete state %+v", p)
	}
	s := findStopReplica(reqs, 2, tp0, true)
	if s == nil || s.LeaderEpoch != -2 {
		t.Fatalf("StopReplica %+v", s)
	}
	for _, sr := range reqs {
		if r, ok := sr.req.(*kmsg.StopReplicaRequest); ok && (r.Version != 3 || r.BrokerEpoch != 200 || len(r.Topics[0].PartitionStates) != 1) {
			t.Fatalf("StopReplica request %+v", r)
		}
	}
}

func TestEventQueueClearAndPutPreempts(t *testing.T) {
	q := newEventQueue()
	ev := &controlledShutdownEvent{brokerID: 1, done: make(chan controlledShutdownResult, 1)}
	q.put(&topicChangeEvent{})
	q.put(ev)
	q.clearAndPut(&expireEvent{})
	if q.size() != 1 {
		t.Fatalf("size %d after clearAndPut", q.size())
	}
	if got, _ := q.take(); reflect.TypeOf(got.ev) != reflect.TypeOf(&expireEvent{}) {
		t.Fatalf("first event %T", got.ev)
	}
	select {
	case r := <-ev.done:
		if r.err != ErrNotController {
			t.Fatalf("preempted with %v", r.err)
		}
	default:
		t.Fatal("dropped controlled shutdown was not answered")
	}
}
