package integration

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestClusterBasics: a replicated topic on three brokers gets its leaders spread over the
// brokers and a full ISR in ZooKeeper, every broker's Metadata (and kcat's) agrees, records
// written with acks=all are readable, and every replica holds the same batches byte for byte.
func TestClusterBasics(t *testing.T) {
	c := startCluster(t, 3, nil)
	const topic, parts = "basics", int32(3)
	states := c.createReplicatedTopic(t, topic, parts, 3, nil)

	var topicZnode struct {
		Partitions map[string][]int32 `json:"partitions"`
	}
	if err := json.Unmarshal([]byte(ZKGet(t, c.zk, "/brokers/topics/"+topic)), &topicZnode); err != nil {
		t.Fatal(err)
	}
	leaders := map[int32]bool{}
	for p := int32(0); p < parts; p++ {
		st := states[p]
		replicas := topicZnode.Partitions[strconv.Itoa(int(p))]
		if len(replicas) != 3 || !sameIDs(replicas, c.ids()) {
			t.Fatalf("%s-%d assignment %v, want the three brokers", topic, p, replicas)
		}
		// New -> Online: the first live replica leads and the ISR is the live replicas in
		// assignment order.
		if st.Leader != replicas[0] || fmt.Sprint(st.ISR) != fmt.Sprint(replicas) || st.LeaderEpoch != 0 || st.Version != 1 {
			t.Errorf("%s-%d state %+v, want leader %d, leader_epoch 0, isr %v", topic, p, st, replicas[0], replicas)
		}
		leaders[st.Leader] = true
	}
	if len(leaders) != 3 {
		t.Errorf("leaders %v: three partitions on three brokers should have three different leaders", leaders)
	}

	// Metadata from each broker, from its own cache.
	for _, b := range c.brokers {
		m, err := metadataOf(t, b, topic)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Brokers) != 3 {
			t.Errorf("broker %d metadata lists %d brokers", b.ID, len(m.Brokers))
		}
		if m.ControllerID != c.controller(t) {
			t.Errorf("broker %d metadata says controller %d, /controller says %d", b.ID, m.ControllerID, c.controller(t))
		}
		for _, mp := range m.Topics[0].Partitions {
			want := states[mp.Partition]
			if mp.Leader != want.Leader || fmt.Sprint(mp.ISR) != fmt.Sprint(want.ISR) ||
				fmt.Sprint(mp.Replicas) != fmt.Sprint(topicZnode.Partitions[strconv.Itoa(int(mp.Partition))]) || mp.LeaderEpoch != want.LeaderEpoch {
				t.Errorf("broker %d metadata %s-%d leader %d epoch %d replicas %v isr %v; ZooKeeper says %+v", b.ID, topic, mp.Partition, mp.Leader, mp.LeaderEpoch, mp.Replicas, mp.ISR, want)
			}
		}
	}

	// kcat -L sees the same.
	out, stderr, code := Kcat(t, "-b", c.b(0).Addr, "-L", "-t", topic)
	if code != 0 {
		t.Fatalf("kcat -L: exit %d: %s", code, stderr)
	}
	re := regexp.MustCompile(`partition (\d+), leader (-?\d+), replicas: ([\d,]+), isrs: ([\d,]+)`)
	found := 0
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		p, _ := strconv.Atoi(m[1])
		st := states[int32(p)]
		if m[2] != strconv.Itoa(int(st.Leader)) || m[3] != joinInts(topicZnode.Partitions[m[1]]) || m[4] != joinInts(st.ISR) {
			t.Errorf("kcat -L: %q; ZooKeeper says %+v", m[0], st)
		}
		found++
	}
	if found != int(parts) || !strings.Contains(out, " 3 brokers:") {
		t.Errorf("kcat -L output:\n%s", out)
	}

	// acks=all writes, read back from the leaders.
	cl := NewClient(t, c.seeds(), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	const n = 300
	var recs []*kgo.Record
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i) % parts, Value: []byte(fmt.Sprintf("v%04d", i))})
		if len(recs)%50 == 0 { // several batches per partition
			ProduceSync(t, cl, recs[len(recs)-50:]...)
		}
	}
	got := ConsumeN(t, c.seeds(), topic, n, 60*time.Second)
	next := map[int32]int{}
	for _, r := range got {
		i := int(r.Partition) + 3*next[r.Partition]
		if want := fmt.Sprintf("v%04d", i); string(r.Value) != want || r.Offset != int64(next[r.Partition]) {
			t.Fatalf("%s-%d offset %d: %q, want %q at offset %d", topic, r.Partition, r.Offset, r.Value, want, next[r.Partition])
		}
		next[r.Partition]++
	}

	// Followers append the leader's batches unchanged: every replica's segments are identical.
	for p := int32(0); p < parts; p++ {
		lead := c.waitReplicasIdentical(t, topic, p, states[p].Leader, c.ids())
		records := 0
		for _, b := range lead {
			if !b.CRCValid() || b.LeaderEpoch != 0 {
				t.Errorf("%s-%d batch at %d: crc valid %v, leader epoch %d", topic, p, b.BaseOffset, b.CRCValid(), b.LeaderEpoch)
			}
			records += int(b.NumRecords)
		}
		if records != n/int(parts) {
			t.Errorf("%s-%d: %d records on disk, want %d", topic, p, records, n/int(parts))
		}
	}
}

// TestClusterFailover writes numbered records with an idempotent acks=all producer while the
// cluster suffers, one after the other: kill -9 of a leader, a leader frozen past its
// ZooKeeper session, kill -9 of the controller, SIGTERM of a leader (controlled shutdown), the
// ZooKeeper leader's death, and a rolling restart. After each, every acknowledged record is
// read back exactly once and in order and the ISR is full again.
func TestClusterFailover(t *testing.T) {
	c := startCluster(t, 3, nil)
	const topic, parts = "failover", int32(3)
	c.createReplicatedTopic(t, topic, parts, 3, map[string]*string{"min.insync.replicas": kadm.StringPtr("2")})
	lp := startLoad(t, c.seeds(), topic, parts, 5*time.Millisecond)
	lp.waitProgress(t, 50, 60*time.Second)

	settle := func(t *testing.T, label string) {
		t.Helper()
		c.waitISR(t, topic, parts, c.ids(), 90*time.Second)
		lp.waitProgress(t, 30, 60*time.Second)
		verifyAcked(t, c.seeds(), lp, label)
		c.waitReplicasConsistent(t, topic, parts)
	}
	leaderOf := func(t *testing.T, p int32) partState {
		st, ok := c.state(t, topic, p)
		if !ok || st.Leader < 0 {
			t.Fatalf("%s-%d has no leader: %+v", topic, p, st)
		}
		return st
	}
	// failover waits until ZooKeeper and a surviving broker's Metadata name a new leader for
	// p and the producer has an acknowledgement from it, and reports how long each took.
	failover := func(t *testing.T, p int32, old partState, start time.Time) (zkAt, mdAt, ackAt, gap time.Duration) {
		t.Helper()
		WaitFor(t, 60*time.Second, func() (bool, string) {
			st, _ := c.state(t, topic, p)
			if st.Leader >= 0 && st.Leader != old.Leader && st.LeaderEpoch > old.LeaderEpoch {
				zkAt = time.Since(start)
				return true, ""
			}
			return false, fmt.Sprintf("%s-%d state %+v", topic, p, st)
		})
		survivor := c.b((old.Leader + 1) % 3)
		c.waitMetadataLeaders(t, survivor, topic, parts, func(pp, leader int32) bool {
			return pp != p || (leader >= 0 && leader != old.Leader)
		})
		mdAt = time.Since(start)
		// The first acknowledgement after the new leader was recorded necessarily came from
		// it (acks=all needs a leader the ISR follows).
		elected := start.Add(zkAt)
		var acked time.Time
		WaitFor(t, 60*time.Second, func() (bool, string) {
			var ok bool
			acked, ok = lp.firstAckAfter(p, elected)
			return ok, fmt.Sprintf("no acknowledgement on %s-%d since the new leader was elected", topic, p)
		})
		ackAt = acked.Sub(start)
		return zkAt, mdAt, ackAt, lp.longestAckGap(p, start, acked)
	}

	steps := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"kill-9-leader", func(t *testing.T) {
			old := leaderOf(t, 0)
			victim := c.b(old.Leader)
			start := time.Now()
			victim.Kill()
			zkAt, mdAt, ackAt, gap := failover(t, 0, old, start)
			t.Logf("FAILOVER kill-9: %s (leader %d of %s-0 killed; new leader in ZooKeeper after %s, in Metadata after %s, first acks=all produce to it after %s, longest gap between acks %s; zookeeper.session.timeout.ms=6000)",
				secs(mdAt), old.Leader, topic, secs(zkAt), secs(mdAt), secs(ackAt), secs(gap))
			victim.Restart(t)
			settle(t, "after kill -9 of a leader")
		}},
		{"pause-leader-past-session", func(t *testing.T) {
			old := leaderOf(t, 0)
			victim := c.b(old.Leader)
			start := time.Now()
			victim.Pause()
			resumed := false
			defer func() {
				if !resumed {
					victim.Resume()
				}
			}()
			path := fmt.Sprintf("/brokers/ids/%d", old.Leader)
			WaitFor(t, 60*time.Second, func() (bool, string) {
				return !ZKExists(t, c.zk, path), path + " still registered: session not expired"
			})
			zkAt, _, ackAt, gap := failover(t, 0, old, start)
			t.Logf("paused leader %d: new leader in ZooKeeper %s after SIGSTOP, first acks=all produce to it after %s, longest gap between acks %s", old.Leader, secs(zkAt), secs(ackAt), secs(gap))
			victim.Resume()
			resumed = true
			// The zombie's ZooKeeper session is gone: it must register again (new broker epoch),
			// become a follower and truncate whatever it appended while it was cut off.
			WaitFor(t, 60*time.Second, func() (bool, string) {
				return ZKExists(t, c.zk, path), path + " not registered again after SIGCONT"
			})
			settle(t, "after the leader was frozen past its session timeout")
		}},
		{"kill-9-controller", func(t *testing.T) {
			ctl := c.controller(t)
			if ctl < 0 {
				t.Fatal("no controller")
			}
			epochBefore := ZKGet(t, c.zk, "/controller_epoch")
			victim := c.b(ctl)
			start := time.Now()
			victim.Kill()
			var newCtl int32
			WaitFor(t, 60*time.Second, func() (bool, string) {
				newCtl = c.controller(t)
				return newCtl >= 0 && newCtl != ctl, fmt.Sprintf("/controller names %d", newCtl)
			})
			t.Logf("controller %d killed; broker %d became controller after %s", ctl, newCtl, secs(time.Since(start)))
			before, _ := strconv.Atoi(epochBefore)
			if after, err := strconv.Atoi(ZKGet(t, c.zk, "/controller_epoch")); err != nil || after <= before {
				t.Errorf("/controller_epoch %d after the election (%v), want more than %d", after, err, before)
			}
			// The partitions it led need new leaders from the new controller.
			WaitFor(t, 60*time.Second, func() (bool, string) {
				for p := int32(0); p < parts; p++ {
					st, _ := c.state(t, topic, p)
					if st.Leader == ctl || st.Leader < 0 {
						return false, fmt.Sprintf("%s-%d still led by %d", topic, p, st.Leader)
					}
				}
				return true, ""
			})
			lp.waitProgress(t, 30, 60*time.Second)
			victim.Restart(t)
			settle(t, "after kill -9 of the controller")
		}},
		{"sigterm-leader", func(t *testing.T) {
			old := leaderOf(t, 0)
			victim := c.b(old.Leader)
			start := time.Now()
			stopped := make(chan int, 1)
			go func() { stopped <- victim.Stop() }()
			zkAt, mdAt, ackAt, gap := failover(t, 0, old, start)
			code := <-stopped
			t.Logf("FAILOVER SIGTERM: %s (leader %d of %s-0 stopped; new leader in ZooKeeper after %s, in Metadata after %s, first acks=all produce to it after %s, longest gap between acks %s; process exited %s after SIGTERM with code %d)",
				secs(mdAt), old.Leader, topic, secs(zkAt), secs(mdAt), secs(ackAt), secs(gap), secs(time.Since(start)), code)
			if !victim.LogContains("Controlled shutdown request returned successfully") {
				t.Errorf("broker %d did not complete a controlled shutdown:\n%s", victim.ID, tailFile(victim.LogPath(), 30))
			}
			if code != 0 && code != 143 {
				t.Errorf("broker %d exit code %d after SIGTERM", victim.ID, code)
			}
			victim.Restart(t)
			settle(t, "after SIGTERM of a leader")
		}},
		{"kill-zookeeper-leader", func(t *testing.T) {
			zl := zkLeader(t, c.zk)
			start := time.Now()
			zl.Kill()
			nl := zkLeader(t, c.zk)
			t.Logf("ZooKeeper leader %d killed; node %d leads after %s", zl.MyID, nl.MyID, secs(time.Since(start)))
			lp.waitProgress(t, 30, 60*time.Second)
			WaitFor(t, 60*time.Second, func() (bool, string) {
				return c.controller(t) >= 0 && len(ZKChildren(t, c.zk, "/brokers/ids")) == 3, "controller and three registered brokers"
			})
			settle(t, "after the ZooKeeper leader died")
			zl.Restart(t)
			settle(t, "after the old ZooKeeper leader rejoined")
		}},
		{"rolling-restart", func(t *testing.T) {
			for _, b := range c.brokers {
				b.Restart(t)
				// Restarting the next broker before this one is back in every ISR would leave
				// partitions below min.insync.replicas.
				c.waitISR(t, topic, parts, c.ids(), 90*time.Second)
			}
			settle(t, "after restarting every broker")
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.fn) {
			break
		}
	}
	lp.finish()
	verifyAcked(t, c.seeds(), lp, "at the end")
	c.waitISR(t, topic, parts, c.ids(), 60*time.Second)
	for p := int32(0); p < parts; p++ {
		st, _ := c.state(t, topic, p)
		c.waitReplicasIdentical(t, topic, p, st.Leader, c.ids())
	}
	// ISR expansions reach the brokers' metadata caches through /isr_change_notification and
	// the controller's UpdateMetadata: every broker must end up agreeing with ZooKeeper.
	for _, b := range c.brokers {
		WaitFor(t, 30*time.Second, func() (bool, string) {
			m, err := metadataOf(t, b, topic)
			if err != nil || len(m.Topics) != 1 {
				return false, fmt.Sprintf("metadata from broker %d: %v", b.ID, err)
			}
			for _, mp := range m.Topics[0].Partitions {
				st, _ := c.state(t, topic, mp.Partition)
				if mp.Leader != st.Leader || !sameIDs(mp.ISR, c.ids()) || mp.LeaderEpoch != st.LeaderEpoch {
					return false, fmt.Sprintf("broker %d metadata %s-%d leader %d epoch %d isr %v; ZooKeeper %+v", b.ID, topic, mp.Partition, mp.Leader, mp.LeaderEpoch, mp.ISR, st)
				}
			}
			return true, ""
		})
	}
}

// TestClusterNotEnoughReplicas: min.insync.replicas=2 on three replicas. A produce that was
// appended while the followers were in the ISR, but whose high watermark only passed because
// they died and left the ISR, fails with NOT_ENOUGH_REPLICAS_AFTER_APPEND. With the ISR down to
// the leader alone, acks=all fails with NOT_ENOUGH_REPLICAS without appending (for a raw
// request and for a real producer) while acks=1 still works; once the brokers are back acks=all
// succeeds again.
func TestClusterNotEnoughReplicas(t *testing.T) {
	c := startCluster(t, 3, nil)
	const topic = "minisr"
	states := c.createReplicatedTopic(t, topic, 1, 3, map[string]*string{"min.insync.replicas": kadm.StringPtr("2")})
	leader := states[0].Leader
	var others []*Broker
	for _, b := range c.brokers {
		if b.ID != leader {
			others = append(others, b)
		}
	}
	addr := c.b(leader).Addr
	// kgo stamps its own acks setting on every ProduceRequest it sends, raw ones included.
	ackOpts := map[int16][]kgo.Opt{
		-1: {kgo.RequiredAcks(kgo.AllISRAcks())},
		1:  {kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()},
	}
	produce := func(acks int16, timeout time.Duration, value string) kmsg.ProduceResponseTopicPartition {
		req := kmsg.NewPtrProduceRequest()
		req.Acks, req.TimeoutMillis = acks, int32(timeout/time.Millisecond)
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Records = BuildBatch(-1, -1, -1, time.Now().UnixMilli(), RawRecord{Value: []byte(value)})
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		return directRequest(t, addr, req, ackOpts[acks]...).(*kmsg.ProduceResponse).Topics[0].Partitions[0]
	}

	// Freeze both followers (still in the ISR), append with acks=all, then let them die: the
	// controller drops them from the ISR once their sessions expire, the high watermark passes
	// the batch with the leader alone, and the producer must hear that it is under-replicated.
	for _, b := range others {
		b.Pause()
	}
	afterAppend := make(chan kmsg.ProduceResponseTopicPartition, 1)
	go func() { afterAppend <- produce(-1, 40*time.Second, "after-append") }()
	WaitFor(t, 10*time.Second, func() (bool, string) {
		e := leaderEndOffset(t, c.b(leader), topic, 0)
		return e == 1, fmt.Sprintf("leader log end %d, want the acks=all batch appended", e)
	})
	for _, b := range others {
		b.Kill()
	}
	select {
	case rp := <-afterAppend:
		if rp.ErrorCode != kerr.NotEnoughReplicasAfterAppend.Code || rp.BaseOffset != 0 {
			t.Errorf("acks=all produce whose ISR shrank to [%d] while waiting: %v at offset %d, want NOT_ENOUGH_REPLICAS_AFTER_APPEND",
				leader, kerr.ErrorForCode(rp.ErrorCode), rp.BaseOffset)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("acks=all produce did not complete within 60s")
	}
	c.waitISR(t, topic, 1, []int32{leader}, 60*time.Second)

	// The leader learns the shrunken ISR from the controller's LeaderAndIsr, right after the
	// znode changed.
	before := leaderEndOffset(t, c.b(leader), topic, 0)
	WaitFor(t, 30*time.Second, func() (bool, string) {
		rp := produce(-1, 5*time.Second, "refused")
		return rp.ErrorCode == kerr.NotEnoughReplicas.Code, fmt.Sprintf("acks=all produce: %v", kerr.ErrorForCode(rp.ErrorCode))
	})
	if e := leaderEndOffset(t, c.b(leader), topic, 0); e != before {
		t.Errorf("log end offset moved from %d to %d: NOT_ENOUGH_REPLICAS must refuse before appending", before, e)
	}

	// A real producer sees the same error (kgo retries it, so allow no retries).
	pcl := NewClient(t, Seeds(c.b(leader)), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.DisableIdempotentWrite(),
		kgo.RecordRetries(0), kgo.DefaultProduceTopic(topic))
	err := pcl.ProduceSync(Ctx(t, 30*time.Second), &kgo.Record{Value: []byte("refused too")}).FirstErr()
	if !errors.Is(err, kerr.NotEnoughReplicas) {
		t.Errorf("acks=all producer with ISR [%d]: %v, want NOT_ENOUGH_REPLICAS", leader, err)
	}

	// acks=1 only needs the leader.
	if rp := produce(1, 5*time.Second, "one"); rp.ErrorCode != 0 {
		t.Fatalf("acks=1 produce with ISR [%d]: %v", leader, kerr.ErrorForCode(rp.ErrorCode))
	}

	// kafka-topics' describe filters see the same picture through the broker and ZooKeeper:
	// the partition is under-replicated (ISR [leader] of three replicas) but not unavailable.
	var assign struct {
		Partitions map[string][]int32 `json:"partitions"`
	}
	if err := json.Unmarshal([]byte(ZKGet(t, c.zk, "/brokers/topics/"+topic)), &assign); err != nil {
		t.Fatal(err)
	}
	var reps []string
	for _, r := range assign.Partitions["0"] {
		reps = append(reps, strconv.Itoa(int(r)))
	}
	wantLine := fmt.Sprintf("\tTopic: %s\tPartition: 0\tLeader: %d\tReplicas: %s\tIsr: %d", topic, leader, strings.Join(reps, ","), leader)
	for _, conn := range [][]string{{"--bootstrap-server", addr}, {"--zookeeper", c.zk.ConnectString()}} {
		under, _, code := RunTool(t, "kafka-topics.sh", append(conn, "--describe", "--topic", topic, "--under-replicated-partitions")...)
		if code != 0 || !containsLine(under, wantLine) {
			t.Errorf("%s --under-replicated-partitions (exit %d):\n%s\nwant the line %q", conn[0], code, under, wantLine)
		}
		unavail, _, code := RunTool(t, "kafka-topics.sh", append(conn, "--describe", "--topic", topic, "--unavailable-partitions")...)
		if code != 0 || strings.Contains(unavail, "Partition: 0") {
			t.Errorf("%s --unavailable-partitions (exit %d) lists a partition whose leader is alive:\n%s", conn[0], code, unavail)
		}
	}

	for _, b := range others {
		b.Restart(t)
	}
	c.waitISR(t, topic, 1, c.ids(), 60*time.Second)
	WaitFor(t, 30*time.Second, func() (bool, string) {
		rp := produce(-1, 5*time.Second, "accepted")
		return rp.ErrorCode == 0, fmt.Sprintf("acks=all produce with full ISR: %v", kerr.ErrorForCode(rp.ErrorCode))
	})
	want := []string{"after-append", "one", "accepted"}
	got := ConsumeN(t, c.seeds(), topic, len(want), 30*time.Second)
	if strings.Join(recordValues(got), ",") != strings.Join(want, ",") {
		t.Errorf("log holds %v, want %v", recordValues(got), want)
	}
	c.waitReplicasIdentical(t, topic, 0, leader, c.ids())
}

// TestClusterTruncation: records a leader appended with acks=1 while its followers were frozen
// sit above the high watermark, so no consumer sees them; when that leader dies the new
// leader continues without them, and the old leader, on its return, truncates the divergent
// suffix (OffsetsForLeaderEpoch) until its log is byte-identical to the new leader's.
func TestClusterTruncation(t *testing.T) {
	c := startCluster(t, 3, nil)
	const topic = "diverge"
	states := c.createReplicatedTopic(t, topic, 1, 3, nil)
	old := states[0]
	L := old.Leader

	cl := NewClient(t, c.seeds(), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.DefaultProduceTopic(topic))
	for i := 0; i < 10; i++ {
		ProduceSync(t, cl, &kgo.Record{Value: []byte(fmt.Sprintf("committed-%d", i))})
	}
	c.waitReplicasIdentical(t, topic, 0, L, c.ids())

	var followers []*Broker
	for _, b := range c.brokers {
		if b.ID != L {
			followers = append(followers, b)
		}
	}
	for _, f := range followers {
		f.Pause()
	}
	resumed := false
	resume := func() {
		if !resumed {
			for _, f := range followers {
				f.Resume()
			}
			resumed = true
		}
	}
	defer resume()

	acks1 := func(values ...string) int64 {
		req := kmsg.NewPtrProduceRequest()
		req.Acks, req.TimeoutMillis = 1, 5000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewProduceRequestTopicPartition()
		var recs []RawRecord
		for _, v := range values {
			recs = append(recs, RawRecord{Value: []byte(v)})
		}
		rp.Records = BuildBatch(-1, -1, -1, time.Now().UnixMilli(), recs...)
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp := directRequest(t, c.b(L).Addr, req, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()).(*kmsg.ProduceResponse)
		p := resp.Topics[0].Partitions[0]
		if p.ErrorCode != 0 {
			t.Fatalf("acks=1 produce to leader %d: %v", L, kerr.ErrorForCode(p.ErrorCode))
		}
		return p.BaseOffset
	}
	// A frozen follower may still have a fetch parked in the leader (replica.fetch.wait.max.ms);
	// the first append completes it into the follower's socket buffer, so that record may or
	// may not survive. Whatever is appended after it can reach no follower.
	if off := acks1("flush"); off != 10 {
		t.Fatalf("acks=1 produce at offset %d, want 10", off)
	}
	var lost []string
	for i := 0; i < 5; i++ {
		lost = append(lost, fmt.Sprintf("uncommitted-%d", i))
	}
	if off := acks1(lost...); off != 11 {
		t.Fatalf("acks=1 produce at offset %d, want 11", off)
	}

	// A consumer fetch stops at the high watermark (10), not at the log end (16).
	freq := kmsg.NewPtrFetchRequest()
	freq.ReplicaID, freq.MaxWaitMillis, freq.MinBytes, freq.MaxBytes = -1, 0, 1, 1<<20
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = topic
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.FetchOffset, fp.PartitionMaxBytes, fp.CurrentLeaderEpoch = 0, 1<<20, -1
	ft.Partitions = append(ft.Partitions, fp)
	freq.Topics = append(freq.Topics, ft)
	fresp := directRequest(t, c.b(L).Addr, freq).(*kmsg.FetchResponse)
	fpart := fresp.Topics[0].Partitions[0]
	if fpart.ErrorCode != 0 || fpart.HighWatermark != 10 {
		t.Fatalf("consumer fetch from leader %d: %v, high watermark %d, want 10", L, kerr.ErrorForCode(fpart.ErrorCode), fpart.HighWatermark)
	}
	bs, _, err := ParseBatches(fpart.RecordBatches)
	if err != nil || len(bs) == 0 {
		t.Fatalf("consumer fetch: %d batches, %v", len(bs), err)
	}
	if last := bs[len(bs)-1].LastOffset(); last != 9 {
		t.Errorf("consumer fetch returned records up to offset %d, above the high watermark 10", last)
	}
	// Fetching at the high watermark is not out of range; it just has nothing yet.
	freq.Topics[0].Partitions[0].FetchOffset = 10
	fpart = directRequest(t, c.b(L).Addr, freq).(*kmsg.FetchResponse).Topics[0].Partitions[0]
	if fpart.ErrorCode != 0 || len(fpart.RecordBatches) != 0 {
		t.Errorf("consumer fetch at the high watermark: %v, %d bytes of records", kerr.ErrorForCode(fpart.ErrorCode), len(fpart.RecordBatches))
	}
	lo := kmsg.NewPtrListOffsetsRequest()
	lo.ReplicaID = -1
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = topic
	lpp := kmsg.NewListOffsetsRequestTopicPartition()
	lpp.Timestamp, lpp.CurrentLeaderEpoch = -1, -1
	lt.Partitions = append(lt.Partitions, lpp)
	lo.Topics = append(lo.Topics, lt)
	lresp := directRequest(t, c.b(L).Addr, lo).(*kmsg.ListOffsetsResponse)
	if o := lresp.Topics[0].Partitions[0]; o.ErrorCode != 0 || o.Offset != 10 {
		t.Errorf("ListOffsets latest for a consumer: %v %d, want the high watermark 10", kerr.ErrorForCode(o.ErrorCode), o.Offset)
	}

	// The leader dies with the uncommitted suffix; the followers come back (well within their
	// session timeout) and one of them takes over in a new leader epoch.
	c.b(L).Kill()
	resume()
	var st partState
	WaitFor(t, 60*time.Second, func() (bool, string) {
		st, _ = c.state(t, topic, 0)
		return st.Leader >= 0 && st.Leader != L, fmt.Sprintf("state %+v", st)
	})
	for i := 0; i < 3; i++ {
		ProduceSync(t, cl, &kgo.Record{Value: []byte(fmt.Sprintf("new-leader-%d", i))})
	}

	c.b(L).Restart(t)
	st = c.waitISR(t, topic, 1, c.ids(), 90*time.Second)[0]
	lead := c.waitReplicasIdentical(t, topic, 0, st.Leader, c.ids())
	var values []string
	for _, b := range lead {
		recs, err := DecodeRecords(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			values = append(values, string(r.Value))
		}
	}
	var want []string
	for i := 0; i < 10; i++ {
		want = append(want, fmt.Sprintf("committed-%d", i))
	}
	if len(values) > 10 && values[10] == "flush" {
		want = append(want, "flush")
	}
	for i := 0; i < 3; i++ {
		want = append(want, fmt.Sprintf("new-leader-%d", i))
	}
	if strings.Join(values, ",") != strings.Join(want, ",") {
		t.Errorf("replicated log %v, want %v", values, want)
	}
	if !strings.Contains(c.b(L).Log(), "Truncating partition "+topic+"-0") {
		t.Errorf("old leader %d did not log a truncation", L)
	}
	got := ConsumeN(t, c.seeds(), topic, len(want), 30*time.Second)
	if strings.Join(recordValues(got), ",") != strings.Join(want, ",") {
		t.Errorf("consumer read %v, want %v", recordValues(got), want)
	}
}

func recordValues(rs []*kgo.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r.Value)
	}
	return out
}

func joinInts(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

// containsLine reports whether out has want as one whole line.
func containsLine(out, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if l == want {
			return true
		}
	}
	return false
}
