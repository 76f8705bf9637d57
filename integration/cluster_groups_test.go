package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/coordinator"
)

// TestClusterGroupCoordinatorFailover: with offsets.topic.replication.factor=3 the group
// coordinator is only as mortal as a partition leader. __consumer_offsets gets 50 partitions
// on all three brokers; a franz-go group member commits, the broker leading the group's
// offsets partition is killed -9, and the controller's new leader for that partition becomes
// the coordinator: it loads the group from its replica of the log, answers OffsetFetch with
// exactly what was committed, keeps the live member in the group and takes its next commit,
// and a new member of the group starts where the commits say. The killed broker comes back
// into the ISR of every offsets partition.
func TestClusterGroupCoordinatorFailover(t *testing.T) {
	c := startCluster(t, 3, map[string]string{"offsets.topic.replication.factor": "3"})
	const topic, group, parts = "grp-failover", "failover-group", int32(3)
	c.createReplicatedTopic(t, topic, parts, 3, nil)
	offsetsPart := offsetsPartitionOf(group)
	if got := coordinator.PartitionFor(group, 50); got != offsetsPart {
		t.Fatalf("coordinator.PartitionFor(%q, 50) = %d, Java's hash says %d", group, got, offsetsPart)
	}
	// The harness shows each broker's last lines on failure; the story of one partition and
	// one group is spread over all of them.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, b := range c.brokers {
			for run := 1; run <= b.runs; run++ {
				data, _ := os.ReadFile(b.runLogPath(run))
				var keep []string
				for _, line := range strings.Split(string(data), "\n") {
					if strings.Contains(line, fmt.Sprintf("%s-%d ", coordinator.OffsetsTopic, offsetsPart)) ||
						strings.Contains(line, fmt.Sprintf("for partition %d in epoch", offsetsPart)) ||
						strings.Contains(line, group) || strings.Contains(line, "kafka.controller") {
						keep = append(keep, line)
					}
				}
				t.Logf("---- broker %d run %d: lines about %s-%d, %s and the controller ----\n%s", b.ID, run, coordinator.OffsetsTopic, offsetsPart, group, strings.Join(keep, "\n"))
			}
		}
	})
	per := func(n int64) map[int32]int64 { return map[int32]int64{0: n, 1: n, 2: n} }
	offsetsOpt := kgo.DisableAutoCommit()

	// The first member: it reads phase a and commits explicitly, so the test knows what the
	// coordinator holds.
	sinkA := newConsumedSet()
	a := startGroupMember(t, c.b(0), group, topic, "member-a", sinkA, offsetsOpt)
	adm := kadm.NewClient(NewClient(t, c.seeds()))
	waitBalanced(t, adm, group, topic, parts, a)

	// FindCoordinator created __consumer_offsets: 50 partitions, three distinct replicas each,
	// and every partition's ISR is all three brokers.
	assign := offsetsAssignment(t, c)
	if len(assign) != 50 {
		t.Fatalf("%s has %d partitions, want 50", coordinator.OffsetsTopic, len(assign))
	}
	for p, rs := range assign {
		if len(rs) != 3 || !sameIDs(rs, c.ids()) {
			t.Errorf("%s-%s replicas %v, want three distinct brokers", coordinator.OffsetsTopic, p, rs)
		}
	}
	c.waitISR(t, coordinator.OffsetsTopic, 50, c.ids(), 60*time.Second)

	phaseA := produceSpread(t, c.b(0), topic, parts, "a", 0, 30)
	sinkA.waitExactlyOnce(t, phaseA, 60*time.Second)
	if err := a.cl.CommitUncommittedOffsets(Ctx(t, 20*time.Second)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	wantExactCommitted(t, adm, group, topic, per(10))

	// The coordinator is the leader of the group's offsets partition.
	before, _ := c.state(t, coordinator.OffsetsTopic, offsetsPart)
	dg, err := describeGroup(t, adm, group)
	if err != nil {
		t.Fatalf("DescribeGroups: %v", err)
	}
	if dg.Coordinator.NodeID != before.Leader {
		t.Fatalf("DescribeGroups names coordinator %d, but %s-%d is led by %d", dg.Coordinator.NodeID, coordinator.OffsetsTopic, offsetsPart, before.Leader)
	}
	for _, b := range c.brokers {
		if fc, err := findCoordinator(b.Addr, group); err != nil || fc != before.Leader {
			t.Fatalf("FindCoordinator from broker %d says %d (%v), the partition leader is %d", b.ID, fc, err, before.Leader)
		}
	}
	old := c.b(before.Leader)
	electedLine := func(epoch int32) string {
		return fmt.Sprintf("[GroupCoordinator %%d]: Elected as the group coordinator for partition %d in epoch %d", offsetsPart, epoch)
	}
	if want := fmt.Sprintf(electedLine(before.LeaderEpoch), old.ID); !old.LogContains(want) {
		t.Errorf("broker %d never logged %q", old.ID, want)
	}
	_, gen := a.cl.GroupMetadata()
	t.Logf("group %s: %s-%d led by broker %d (epoch %d, isr %v); member-a in generation %d; controller %d",
		group, coordinator.OffsetsTopic, offsetsPart, before.Leader, before.LeaderEpoch, before.ISR, gen, c.controller(t))

	// kill -9 the coordinator.
	start := time.Now()
	old.Kill()
	var after partState
	WaitFor(t, 60*time.Second, func() (bool, string) {
		st, _ := c.state(t, coordinator.OffsetsTopic, offsetsPart)
		after = st
		ok := st.Leader >= 0 && st.Leader != old.ID && st.LeaderEpoch > before.LeaderEpoch && !containsID(st.ISR, old.ID)
		return ok, fmt.Sprintf("%s-%d state %+v", coordinator.OffsetsTopic, offsetsPart, st)
	})
	elected := time.Since(start)
	nb := c.b(after.Leader)
	loaded := fmt.Sprintf("Loading group metadata for %s with generation %d", group, gen)
	nb.WaitForLog(t, fmt.Sprintf(electedLine(after.LeaderEpoch), nb.ID), 30*time.Second)
	nb.WaitForLog(t, loaded, 30*time.Second)
	survivors := []*Broker{}
	for _, b := range c.brokers {
		if b != old {
			survivors = append(survivors, b)
		}
	}
	// Every survivor points clients at the new coordinator once the controller's
	// UpdateMetadata reached it. (A client asking a survivor in the instant before would be
	// sent to the dead broker, and franz-go keeps a coordinator it cannot dial until its
	// metadata drops that broker: the new admin client starts only after this.)
	WaitFor(t, 30*time.Second, func() (bool, string) {
		for _, b := range survivors {
			if fc, err := findCoordinator(b.Addr, group); err != nil || fc != nb.ID {
				return false, fmt.Sprintf("FindCoordinator from broker %d says %d (%v), want %d", b.ID, fc, err, nb.ID)
			}
		}
		return true, ""
	})
	adm = kadm.NewClient(NewClient(t, Seeds(survivors...)))
	WaitFor(t, 30*time.Second, func() (bool, string) {
		dg, err := describeGroup(t, adm, group)
		if err != nil {
			return false, "DescribeGroups: " + err.Error()
		}
		return dg.Coordinator.NodeID == nb.ID, fmt.Sprintf("DescribeGroups names coordinator %d, want %d", dg.Coordinator.NodeID, nb.ID)
	})
	t.Logf("COORDINATOR FAILOVER kill-9: %s (broker %d killed; %s-%d led by broker %d in epoch %d after %s, group loaded and described by it after %s; zookeeper.session.timeout.ms=6000)",
		secs(time.Since(start)), old.ID, coordinator.OffsetsTopic, offsetsPart, nb.ID, after.LeaderEpoch, secs(elected), secs(time.Since(start)))
	if lines := nb.LogLines(loaded); len(lines) != 1 {
		t.Errorf("broker %d loaded %s %d times: %q", nb.ID, group, len(lines), lines)
	}

	// The new coordinator answers with exactly the commit made to the old one, through kadm
	// and when asked directly.
	wantExactCommitted(t, adm, group, topic, per(10))
	of := kmsg.NewPtrOffsetFetchRequest()
	of.Group = group
	ofr := directRequest(t, nb.Addr, of).(*kmsg.OffsetFetchResponse)
	if got := offsetFetchString(ofr); got != "grp-failover-0=10 grp-failover-1=10 grp-failover-2=10 error=0" {
		t.Errorf("OffsetFetch from broker %d: %s", nb.ID, got)
	}

	// The live member carries on under the new coordinator: it reads what comes next, nothing
	// twice, and its commit lands there.
	phaseB := produceSpread(t, survivors[0], topic, parts, "b", 30, 30)
	sinkA.waitExactlyOnce(t, append(append([]string(nil), phaseA...), phaseB...), 60*time.Second)
	WaitFor(t, 60*time.Second, func() (bool, string) {
		err := a.cl.CommitUncommittedOffsets(Ctx(t, 20*time.Second))
		return err == nil, fmt.Sprintf("commit through the new coordinator: %v", err)
	})
	wantExactCommitted(t, adm, group, topic, per(20))
	dg, err = describeGroup(t, adm, group)
	if err != nil || dg.State != "Stable" || len(dg.Members) != 1 || dg.Members[0].ClientID != "member-a" || dg.Coordinator.NodeID != nb.ID {
		t.Errorf("DescribeGroups after the failover: %+v, %v", dg, err)
	}
	_, genAfter := a.cl.GroupMetadata()
	t.Logf("member-a generation %d before the kill, %d after", gen, genAfter)
	a.stop(t)
	wantExactCommitted(t, adm, group, topic, per(20))

	// A new member of the group starts at the committed offsets: nothing before them again,
	// everything after them.
	phaseC := produceSpread(t, survivors[0], topic, parts, "c", 60, 30)
	sinkB := newConsumedSet()
	b := startGroupMember(t, survivors[1], group, topic, "member-b", sinkB, offsetsOpt)
	sinkB.waitExactlyOnce(t, phaseC, 60*time.Second)
	for _, r := range b.records() {
		if r.Offset < 20 {
			t.Errorf("member-b read %s-%d@%d, before the committed offset 20", topic, r.Partition, r.Offset)
		}
	}
	if err := b.cl.CommitUncommittedOffsets(Ctx(t, 20*time.Second)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	wantExactCommitted(t, adm, group, topic, per(30))
	waitBalanced(t, adm, group, topic, parts, b)

	// The killed broker comes back and catches up on every offsets partition.
	restart := time.Now()
	old.Restart(t)
	c.waitISR(t, coordinator.OffsetsTopic, 50, c.ids(), 90*time.Second)
	rejoined := time.Since(restart)
	c.waitISR(t, topic, parts, c.ids(), 60*time.Second)
	if st, _ := c.state(t, coordinator.OffsetsTopic, offsetsPart); st.Leader != nb.ID || st.LeaderEpoch != after.LeaderEpoch {
		t.Errorf("%s-%d state %+v on the old coordinator's return, want leader %d epoch %d still (auto.leader.rebalance.enable=false)",
			coordinator.OffsetsTopic, offsetsPart, st, nb.ID, after.LeaderEpoch)
	}
	old.WaitForLog(t, fmt.Sprintf("Follower %s-%d starts at leader epoch %d ", coordinator.OffsetsTopic, offsetsPart, after.LeaderEpoch), 10*time.Second)
	if lines := old.LogLines(fmt.Sprintf("Elected as the group coordinator for partition %d in", offsetsPart)); len(lines) != 0 {
		t.Errorf("the restarted follower claims the group's partition: %q", lines)
	}
	b.stop(t)
	wantExactCommitted(t, kadm.NewClient(NewClient(t, c.seeds())), group, topic, per(30))
	t.Logf("killed broker %d back in the ISR of all 50 %s partitions %s after its restart began", old.ID, coordinator.OffsetsTopic, secs(rejoined))
}

// offsetsAssignment reads /brokers/topics/__consumer_offsets: partition -> replicas.
func offsetsAssignment(t testing.TB, c *cluster) map[string][]int32 {
	t.Helper()
	var topicZnode struct {
		Partitions map[string][]int32 `json:"partitions"`
	}
	var data string
	WaitFor(t, 30*time.Second, func() (bool, string) {
		var ok bool
		data, ok = ZKGetOK(t, c.zk, "/brokers/topics/"+coordinator.OffsetsTopic)
		return ok, "/brokers/topics/" + coordinator.OffsetsTopic + " absent"
	})
	if err := json.Unmarshal([]byte(data), &topicZnode); err != nil {
		t.Fatalf("/brokers/topics/%s: %v in %q", coordinator.OffsetsTopic, err, data)
	}
	return topicZnode.Partitions
}

// wantExactCommitted is wantCommitted that also refuses offsets the group should not have:
// a partition of another topic, or one beyond the topic's partitions.
func wantExactCommitted(t testing.TB, adm *kadm.Client, group, topic string, want map[int32]int64) {
	t.Helper()
	wantCommitted(t, adm, group, topic, want)
	resps, err := adm.FetchOffsets(Ctx(t, 20*time.Second), group)
	if err != nil {
		t.Fatalf("FetchOffsets: %v", err)
	}
	var extra []string
	resps.Each(func(r kadm.OffsetResponse) {
		if _, ok := want[r.Partition]; r.Topic != topic || !ok {
			extra = append(extra, fmt.Sprintf("%s-%d=%d", r.Topic, r.Partition, r.At))
		}
	})
	if len(extra) > 0 {
		t.Errorf("group %s has offsets nobody committed: %v", group, extra)
	}
}

// findCoordinator asks one broker, and only it, for a group's coordinator.
func findCoordinator(addr, group string) (int32, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DialTimeout(2*time.Second), kgo.RequestRetries(0))
	if err != nil {
		return -1, err
	}
	defer cl.Close()
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKey = group
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cl.SeedBrokers()[0].Request(ctx, req)
	if err != nil {
		return -1, err
	}
	fc := resp.(*kmsg.FindCoordinatorResponse)
	if fc.ErrorCode != 0 {
		return fc.NodeID, kerr.ErrorForCode(fc.ErrorCode)
	}
	return fc.NodeID, nil
}

// offsetFetchString renders an OffsetFetch answer as "topic-p=offset ... error=code", sorted.
func offsetFetchString(r *kmsg.OffsetFetchResponse) string {
	var parts []string
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			s := fmt.Sprintf("%s-%d=%d", t.Topic, p.Partition, p.Offset)
			if p.ErrorCode != 0 {
				s += fmt.Sprintf("(error %d)", p.ErrorCode)
			}
			parts = append(parts, s)
		}
	}
	sort.Strings(parts)
	return strings.Join(append(parts, fmt.Sprintf("error=%d", r.ErrorCode)), " ")
}

func containsID(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
