package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// cluster is a 3-node ZooKeeper ensemble with one broker process per id 0..n-1.
type cluster struct {
	zk      *Ensemble
	brokers []*Broker // index == broker id
}

// clusterOverrides tunes brokers for test speed without changing what is being tested:
// a dead broker's session expires in 6 s (Kafka's failure detector), a follower that stops
// fetching leaves the ISR after 10 s, and no background rebalance moves leaders behind
// the test's back.
func clusterOverrides() map[string]string {
	return map[string]string{
		"zookeeper.session.timeout.ms":         "6000",
		"replica.lag.time.max.ms":              "10000",
		"auto.leader.rebalance.enable":         "false",
		"controlled.shutdown.retry.backoff.ms": "1000",
		"default.replication.factor":           "3",
	}
}

func startCluster(t *testing.T, n int, extra map[string]string) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("three ZooKeeper JVMs and several brokers; skipped with -short")
	}
	c := &cluster{zk: StartEnsemble(t, 3)}
	props := clusterOverrides()
	for k, v := range extra {
		props[k] = v
	}
	for id := 0; id < n; id++ {
		c.brokers = append(c.brokers, LaunchBroker(t, c.zk, int32(id), props))
	}
	for _, b := range c.brokers {
		if err := b.WaitReady(brokerStartTimeout); err != nil {
			t.Fatalf("broker %d not ready: %v\n%s", b.ID, err, tailFile(b.LogPath(), 40))
		}
	}
	// Every broker must know every other one before topics are created, or the assignment
	// would be computed from a partial view.
	WaitFor(t, 30*time.Second, func() (bool, string) {
		return len(ZKChildren(t, c.zk, "/brokers/ids")) == n && c.controller(t) >= 0, "brokers registered / controller elected"
	})
	return c
}

func (c *cluster) b(id int32) *Broker { return c.brokers[id] }

func (c *cluster) seeds() []string { return Seeds(c.brokers...) }

func (c *cluster) ids() []int32 {
	out := make([]int32, len(c.brokers))
	for i := range c.brokers {
		out[i] = int32(i)
	}
	return out
}

// controller returns the id in /controller, -1 when there is none.
func (c *cluster) controller(t testing.TB) int32 {
	t.Helper()
	data, ok := ZKGetOK(t, c.zk, "/controller")
	if !ok {
		return -1
	}
	var v struct {
		BrokerID int32 `json:"brokerid"`
	}
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		t.Fatalf("/controller %q: %v", data, err)
	}
	return v.BrokerID
}

// partState is the JSON of /brokers/topics/<t>/partitions/<p>/state.
type partState struct {
	ControllerEpoch int32   `json:"controller_epoch"`
	Leader          int32   `json:"leader"`
	Version         int     `json:"version"`
	LeaderEpoch     int32   `json:"leader_epoch"`
	ISR             []int32 `json:"isr"`
}

func (c *cluster) state(t testing.TB, topic string, p int32) (partState, bool) {
	t.Helper()
	data, ok := ZKGetOK(t, c.zk, fmt.Sprintf("/brokers/topics/%s/partitions/%d/state", topic, p))
	if !ok {
		return partState{}, false
	}
	var st partState
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		t.Fatalf("state znode of %s-%d: %q: %v", topic, p, data, err)
	}
	return st, true
}

func sortedIDs(ids []int32) []int32 {
	out := append([]int32(nil), ids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func sameIDs(a, b []int32) bool {
	a, b = sortedIDs(a), sortedIDs(b)
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

// waitISR polls the state znodes until every partition has a leader and exactly the ISR want.
func (c *cluster) waitISR(t testing.TB, topic string, parts int32, want []int32, timeout time.Duration) map[int32]partState {
	t.Helper()
	out := map[int32]partState{}
	WaitFor(t, timeout, func() (bool, string) {
		for p := int32(0); p < parts; p++ {
			st, ok := c.state(t, topic, p)
			if !ok {
				return false, fmt.Sprintf("%s-%d has no state znode", topic, p)
			}
			if st.Leader < 0 || !sameIDs(st.ISR, want) {
				return false, fmt.Sprintf("%s-%d state leader %d isr %v, want isr %v", topic, p, st.Leader, st.ISR, want)
			}
			out[p] = st
		}
		return true, ""
	})
	return out
}

// createReplicatedTopic creates a topic through the CreateTopics API and waits until every
// partition has a leader and a full ISR in ZooKeeper and in every live broker's Metadata.
func (c *cluster) createReplicatedTopic(t testing.TB, topic string, parts int32, rf int16, configs map[string]*string) map[int32]partState {
	t.Helper()
	adm := kadm.NewClient(NewClient(t, c.seeds()))
	resp, err := adm.CreateTopics(Ctx(t, time.Minute), parts, rf, configs, topic)
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	if r := resp[topic]; r.Err != nil {
		t.Fatalf("create topic %s: %v (%s)", topic, r.Err, r.ErrMessage)
	}
	states := c.waitISR(t, topic, parts, c.ids(), 60*time.Second)
	for _, b := range c.brokers {
		c.waitMetadataLeaders(t, b, topic, parts, func(p int32, leader int32) bool { return leader == states[p].Leader })
	}
	return states
}

// metadataOf asks one broker (and only it) for a topic's metadata.
func metadataOf(t testing.TB, b *Broker, topic string) (*kmsg.MetadataResponse, error) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.DialTimeout(2*time.Second), kgo.RequestRetries(0))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Through the seed broker handle the request goes to b and nowhere else.
	resp, err := cl.SeedBrokers()[0].Request(ctx, req)
	if err != nil {
		return nil, err
	}
	return resp.(*kmsg.MetadataResponse), nil
}

// waitMetadataLeaders polls b's Metadata until ok holds for every partition's leader.
func (c *cluster) waitMetadataLeaders(t testing.TB, b *Broker, topic string, parts int32, ok func(p, leader int32) bool) {
	t.Helper()
	WaitFor(t, 60*time.Second, func() (bool, string) {
		m, err := metadataOf(t, b, topic)
		if err != nil {
			return false, fmt.Sprintf("metadata from broker %d: %v", b.ID, err)
		}
		if len(m.Topics) != 1 || len(m.Topics[0].Partitions) != int(parts) {
			return false, fmt.Sprintf("broker %d metadata: %d topics", b.ID, len(m.Topics))
		}
		for _, p := range m.Topics[0].Partitions {
			if !ok(p.Partition, p.Leader) {
				return false, fmt.Sprintf("broker %d metadata: %s-%d leader %d isr %v", b.ID, topic, p.Partition, p.Leader, p.ISR)
			}
		}
		return true, ""
	})
}

// ---------------------------------------------------------------------------------------
// A producer under load

type ackedRec struct {
	seq    int64
	offset int64
	at     time.Time
}

// loadProducer writes numbered records (value = sequence number, partition = seq % parts)
// with acks=all and idempotence, remembering every acknowledgement.
type loadProducer struct {
	t     testing.TB
	cl    *kgo.Client
	topic string
	parts int32

	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	acked map[int32][]ackedRec
	errs  map[string]int // producer callback errors by message
}

func startLoad(t testing.TB, seeds []string, topic string, parts int32, interval time.Duration) *loadProducer {
	t.Helper()
	cl := NewClient(t, seeds,
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0),
		kgo.MetadataMinAge(200*time.Millisecond),
		kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }),
		// A frozen broker keeps its connections open; without a short request timeout the
		// client would wait ~20 s for answers that cannot come (kgo's defaults).
		kgo.ProduceRequestTimeout(5*time.Second),
		kgo.RequestTimeoutOverhead(2*time.Second),
		kgo.RetryTimeout(0), // never give up on a record: the test wants each one acked or an explicit error
	)
	lp := &loadProducer{t: t, cl: cl, topic: topic, parts: parts, stop: make(chan struct{}), done: make(chan struct{}),
		acked: map[int32][]ackedRec{}, errs: map[string]int{}}
	go lp.run(interval)
	return lp
}

func (lp *loadProducer) run(interval time.Duration) {
	defer close(lp.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-lp.stop
		cancel()
	}()
	for seq := int64(0); ; seq++ {
		select {
		case <-lp.stop:
			return
		case <-tick.C:
		}
		p := int32(seq % int64(lp.parts))
		r := &kgo.Record{Topic: lp.topic, Partition: p, Value: []byte(strconv.FormatInt(seq, 10))}
		s := seq
		lp.cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			lp.mu.Lock()
			defer lp.mu.Unlock()
			if err != nil {
				lp.errs[err.Error()]++
				return
			}
			lp.acked[p] = append(lp.acked[p], ackedRec{seq: s, offset: r.Offset, at: time.Now()})
		})
	}
}

// finish stops producing and waits until every buffered record is acknowledged or failed.
func (lp *loadProducer) finish() {
	close(lp.stop)
	<-lp.done
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := lp.cl.Flush(ctx); err != nil {
		lp.t.Errorf("flushing the load producer: %v", err)
	}
}

// waitProgress waits until n more records than now are acknowledged on every partition.
func (lp *loadProducer) waitProgress(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	lp.mu.Lock()
	base := map[int32]int{}
	for p := int32(0); p < lp.parts; p++ {
		base[p] = len(lp.acked[p])
	}
	lp.mu.Unlock()
	WaitFor(t, timeout, func() (bool, string) {
		lp.mu.Lock()
		defer lp.mu.Unlock()
		for p := int32(0); p < lp.parts; p++ {
			if len(lp.acked[p]) < base[p]+n {
				return false, fmt.Sprintf("partition %d: %d acks since the wait began, want %d (errors so far: %v)", p, len(lp.acked[p])-base[p], n, lp.errs)
			}
		}
		return true, ""
	})
}

// firstAckAfter returns when partition p was first acknowledged after since.
func (lp *loadProducer) firstAckAfter(p int32, since time.Time) (time.Time, bool) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	for _, a := range lp.acked[p] {
		if a.at.After(since) {
			return a.at, true
		}
	}
	return time.Time{}, false
}

// longestAckGap is the longest time partition p went without an acknowledgement between
// from and to: what a producer experienced as unavailability.
func (lp *loadProducer) longestAckGap(p int32, from, to time.Time) time.Duration {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	prev, gap := from, time.Duration(0)
	for _, a := range lp.acked[p] {
		if a.at.Before(from) {
			continue
		}
		if a.at.After(to) {
			break
		}
		if d := a.at.Sub(prev); d > gap {
			gap = d
		}
		prev = a.at
	}
	if d := to.Sub(prev); d > gap {
		gap = d
	}
	return gap
}

func (lp *loadProducer) snapshot() (map[int32][]ackedRec, map[string]int) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	out := map[int32][]ackedRec{}
	for p, as := range lp.acked {
		out[p] = append([]ackedRec(nil), as...)
	}
	errs := map[string]int{}
	for k, v := range lp.errs {
		errs[k] = v
	}
	return out, errs
}

// verifyAcked reads every partition from offset 0 (consumers read from leaders, up to the
// high watermark) past the last acknowledged offset and checks that each acknowledged record
// sits at the offset it was acknowledged with, that no sequence number appears twice, and that
// sequence numbers only grow within a partition.
func verifyAcked(t testing.TB, seeds []string, lp *loadProducer, label string) {
	t.Helper()
	acked, errs := lp.snapshot()
	want := map[int32]int64{} // partition -> offset that must have been read
	total := 0
	for p, as := range acked {
		total += len(as)
		for _, a := range as {
			if a.offset+1 > want[p] {
				want[p] = a.offset + 1
			}
		}
	}
	got := readPartitions(t, seeds, lp.topic, want, 90*time.Second)
	seen := map[int64]string{}
	for p := int32(0); p < lp.parts; p++ {
		byOffset := map[int64]int64{}
		last := int64(-1)
		for _, r := range got[p] {
			seq, err := strconv.ParseInt(string(r.Value), 10, 64)
			if err != nil {
				t.Fatalf("%s: %s-%d offset %d: value %q is not a sequence number", label, lp.topic, p, r.Offset, r.Value)
			}
			if prev, dup := seen[seq]; dup {
				t.Fatalf("%s: sequence %d read twice: at %s and at %d-%d", label, seq, prev, p, r.Offset)
			}
			seen[seq] = fmt.Sprintf("%d-%d", p, r.Offset)
			if seq <= last {
				t.Fatalf("%s: %s-%d out of order: sequence %d at offset %d after %d", label, lp.topic, p, seq, r.Offset, last)
			}
			if seq%int64(lp.parts) != int64(p) {
				t.Fatalf("%s: sequence %d in partition %d", label, seq, p)
			}
			last = seq
			byOffset[r.Offset] = seq
		}
		for _, a := range acked[p] {
			seq, ok := byOffset[a.offset]
			if !ok {
				t.Fatalf("%s: acknowledged sequence %d (%s-%d offset %d) was not read back", label, a.seq, lp.topic, p, a.offset)
			}
			if seq != a.seq {
				t.Fatalf("%s: %s-%d offset %d holds sequence %d, but %d was acknowledged there", label, lp.topic, p, a.offset, seq, a.seq)
			}
		}
	}
	t.Logf("%s: %d acknowledged records all read back once and in order (%d records read; producer errors so far: %v)", label, total, len(seen), errs)
}

// readPartitions consumes each partition from offset 0 until it has read every offset below
// until[p] (nothing is read for partitions absent from until).
func readPartitions(t testing.TB, seeds []string, topic string, until map[int32]int64, timeout time.Duration) map[int32][]*kgo.Record {
	t.Helper()
	offs := map[int32]kgo.Offset{}
	for p, u := range until {
		if u > 0 {
			offs[p] = kgo.NewOffset().At(0)
		}
	}
	out := map[int32][]*kgo.Record{}
	if len(offs) == 0 {
		return out
	}
	cl := NewClient(t, seeds, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offs}),
		kgo.FetchMaxWait(500*time.Millisecond), kgo.MetadataMinAge(200*time.Millisecond))
	defer cl.Close()
	next := map[int32]int64{}
	done := func() bool {
		for p, u := range until {
			if next[p] < u {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("reading %s: reached %v within %v, want %v", topic, next, timeout, until)
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			out[r.Partition] = append(out[r.Partition], r)
			if r.Offset+1 > next[r.Partition] {
				next[r.Partition] = r.Offset + 1
			}
		})
	}
	return out
}

// ---------------------------------------------------------------------------------------
// On-disk comparison

// partitionBatches concatenates the batches of every segment of a partition directory.
func partitionBatches(t testing.TB, dir string) []Batch {
	t.Helper()
	var out []Batch
	for _, seg := range SegmentFiles(t, dir) {
		out = append(out, ReadSegmentBatches(t, seg)...)
	}
	return out
}

// sameBatches reports how two replicas' batch lists differ ("" when byte-identical).
func sameBatches(a, b []Batch) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d batches vs %d", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].Raw, b[i].Raw) {
			return fmt.Sprintf("batch %d (base offset %d / %d, epoch %d / %d) differs", i, a[i].BaseOffset, b[i].BaseOffset, a[i].LeaderEpoch, b[i].LeaderEpoch)
		}
	}
	return ""
}

// waitReplicasIdentical waits until every replica's log of topic-p holds the same batches,
// byte for byte, as the leader's, and returns the leader's.
func (c *cluster) waitReplicasIdentical(t testing.TB, topic string, p int32, leader int32, replicas []int32) []Batch {
	t.Helper()
	var lead []Batch
	WaitFor(t, 60*time.Second, func() (bool, string) {
		lead = partitionBatches(t, c.b(leader).PartitionDir(topic, p))
		for _, r := range replicas {
			if r == leader {
				continue
			}
			if d := sameBatches(lead, partitionBatches(t, c.b(r).PartitionDir(topic, p))); d != "" {
				return false, fmt.Sprintf("%s-%d on broker %d vs leader %d: %s", topic, p, r, leader, d)
			}
		}
		return true, ""
	})
	return lead
}

// zkLeader returns the ensemble node that says "Mode: leader".
func zkLeader(t testing.TB, e *Ensemble) *ZK {
	t.Helper()
	var leader *ZK
	WaitFor(t, 60*time.Second, func() (bool, string) {
		var modes []string
		for _, n := range e.Nodes {
			if n.Exited() {
				continue
			}
			out, err := FourLetter(n.Addr, "srvr")
			if err != nil {
				modes = append(modes, fmt.Sprintf("%d: %v", n.MyID, err))
				continue
			}
			if strings.Contains(out, "Mode: leader") {
				leader = n
				return true, ""
			}
			modes = append(modes, fmt.Sprintf("%d: %q", n.MyID, out))
		}
		return false, "no ZooKeeper leader: " + strings.Join(modes, "; ")
	})
	return leader
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// directRequest sends one request to the broker at addr through a client that knows no other
// broker: BrokerRequest first loads metadata from any broker, which hangs on a frozen one.
// kgo stamps its acks setting on ProduceRequests, so pass kgo.RequiredAcks to choose.
func directRequest(t testing.TB, addr string, req kmsg.Request, opts ...kgo.Opt) kmsg.Response {
	t.Helper()
	base := []kgo.Opt{kgo.SeedBrokers(addr), kgo.DialTimeout(5 * time.Second), kgo.RequestRetries(0)}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := cl.SeedBrokers()[0].Request(ctx, req)
	if err != nil {
		t.Fatalf("%s request to %s: %v", kmsg.NameForKey(req.Key()), addr, err)
	}
	return resp
}

// leaderEndOffset is a partition's log end offset as ListOffsets (latest) reports it.
func leaderEndOffset(t testing.TB, b *Broker, topic string, p int32) int64 {
	t.Helper()
	var off int64
	WaitFor(t, 30*time.Second, func() (bool, string) {
		ends, err := kadm.NewClient(NewClient(t, Seeds(b))).ListEndOffsets(Ctx(t, 10*time.Second), topic)
		if err != nil {
			return false, err.Error()
		}
		o, ok := ends.Lookup(topic, p)
		if !ok || o.Err != nil {
			return false, fmt.Sprintf("end offset %s-%d: %v", topic, p, o.Err)
		}
		off = o.Offset
		return true, ""
	})
	return off
}

// liveBatches reads a partition directory that may be written to meanwhile: a trailing
// partial batch is left out, and a segment vanishing under a roll or truncation is retried
// by the caller.
func liveBatches(dir string) ([]Batch, error) {
	segs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		return nil, err
	}
	sort.Strings(segs)
	var out []Batch
	for _, seg := range segs {
		data, err := os.ReadFile(seg)
		if err != nil {
			return nil, err
		}
		bs, _, err := ParseBatches(data)
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	}
	return out, nil
}

// waitReplicasConsistent waits until, for every partition, each replica's log is a byte-for-byte
// prefix of the longest one: followers may trail under load, but no replica may hold history
// that another does not share.
func (c *cluster) waitReplicasConsistent(t testing.TB, topic string, parts int32) {
	t.Helper()
	WaitFor(t, 60*time.Second, func() (bool, string) {
		for p := int32(0); p < parts; p++ {
			logs := map[int32][]Batch{}
			var longest int32 = -1
			for _, b := range c.brokers {
				bs, err := liveBatches(b.PartitionDir(topic, p))
				if err != nil {
					return false, fmt.Sprintf("broker %d %s-%d: %v", b.ID, topic, p, err)
				}
				logs[b.ID] = bs
				if longest < 0 || len(bs) > len(logs[longest]) {
					longest = b.ID
				}
			}
			for id, bs := range logs {
				if d := sameBatches(bs, logs[longest][:len(bs)]); d != "" {
					return false, fmt.Sprintf("%s-%d: broker %d's log is not a prefix of broker %d's: %s", topic, p, id, longest, d)
				}
			}
		}
		return true, ""
	})
}
