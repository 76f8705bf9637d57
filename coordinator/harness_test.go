package coordinator

import (
	"bytes"
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fakeClock runs timer callbacks synchronously from Advance, in deadline order.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	seq     int
	f       func()
	stopped bool
	fired   bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.UnixMilli(1_600_000_000_000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), seq: len(c.timers), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.stopped || t.fired {
		return false
	}
	t.stopped = true
	return true
}

// Advance moves time forward by d, firing every timer that falls due on the way.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var next *fakeTimer
		live := c.timers[:0]
		for _, t := range c.timers {
			if t.stopped || t.fired {
				continue
			}
			live = append(live, t)
			if !t.at.After(target) && (next == nil || t.at.Before(next.at) || (t.at.Equal(next.at) && t.seq < next.seq)) {
				next = t
			}
		}
		c.timers = live
		if next == nil {
			c.now = target
			c.mu.Unlock()
			return
		}
		if next.at.After(c.now) {
			c.now = next.at
		}
		next.fired = true
		c.mu.Unlock()
		next.f()
	}
}

// memStore is an in-memory __consumer_offsets.
type memStore struct {
	mu       sync.Mutex
	logs     map[int32][]Record
	appendFn func(partition int32, records []Record) error // optional failure injection
	loadGate chan struct{}                                 // when set, Load waits for it to close
}

func newMemStore() *memStore { return &memStore{logs: map[int32][]Record{}} }

func (s *memStore) Append(ctx context.Context, partition int32, records []Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.appendFn != nil {
		if err := s.appendFn(partition, records); err != nil {
			return err
		}
	}
	for _, r := range records {
		s.logs[partition] = append(s.logs[partition], Record{Key: append([]byte(nil), r.Key...), Value: cloneOrNil(r.Value)})
	}
	return nil
}

func cloneOrNil(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func (s *memStore) Load(ctx context.Context, partition int32, fn func(key, value []byte) error) error {
	s.mu.Lock()
	gate := s.loadGate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	recs := append([]Record(nil), s.logs[partition]...)
	s.mu.Unlock()
	for _, r := range recs {
		if err := fn(r.Key, r.Value); err != nil {
			return err
		}
	}
	return nil
}

func (s *memStore) records(partition int32) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Record(nil), s.logs[partition]...)
}

// describe renders the partition's log the way the dump-log decoder does, one record per line.
func (s *memStore) describe(partition int32) []string {
	var out []string
	for _, r := range s.records(partition) {
		out = append(out, DescribeRecord(r.Key, r.Value))
	}
	return out
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type harness struct {
	t     *testing.T
	c     *Coordinator
	clock *fakeClock
	store *memStore
	logs  *logBuf
}

func testConfig(clock Clock) Config {
	cfg := DefaultConfig()
	cfg.NumPartitions = 1
	cfg.Clock = clock
	cfg.OffsetsRetention = time.Hour
	cfg.OffsetsRetentionCheckInterval = 10 * time.Minute
	return cfg
}

func newHarness(t *testing.T) *harness {
	return newHarnessWith(t, newFakeClock(), newMemStore(), nil)
}

func newHarnessWith(t *testing.T, clock *fakeClock, store *memStore, tweak func(*Config)) *harness {
	t.Helper()
	cfg := testConfig(clock)
	if tweak != nil {
		tweak(&cfg)
	}
	logs := &logBuf{}
	h := &harness{t: t, clock: clock, store: store, logs: logs}
	h.c = New(cfg, store, zerolog.New(logs))
	t.Cleanup(h.c.Close)
	h.c.OnElection(0)
	h.waitFor("partition 0 loaded", func() bool { return h.loaded(0) })
	return h
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) group(id string) *group {
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	return h.c.groups[id]
}

func (h *harness) state(id string) string {
	g := h.group(id)
	if g == nil {
		return "<none>"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state.String()
}

func (h *harness) awaitingJoin(id string) int {
	g := h.group(id)
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.numAwaitingJoin()
}

func (h *harness) awaitingSync(id string) int {
	g := h.group(id)
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, m := range g.members {
		if m.awaitingSync != nil {
			n++
		}
	}
	return n
}

func ptr(s string) *string { return &s }

func subscription(topics ...string) []byte {
	b := kbin.AppendInt16(nil, 0)
	b = kbin.AppendArrayLen(b, len(topics))
	for _, t := range topics {
		b = kbin.AppendString(b, t)
	}
	return kbin.AppendNullableBytes(b, nil)
}

func assignment(topic string, partitions ...int32) []byte {
	b := kbin.AppendInt16(nil, 0)
	b = kbin.AppendArrayLen(b, 1)
	b = kbin.AppendString(b, topic)
	b = kbin.AppendArrayLen(b, len(partitions))
	for _, p := range partitions {
		b = kbin.AppendInt32(b, p)
	}
	return kbin.AppendNullableBytes(b, nil)
}

func joinReq(groupID, memberID string, instance *string, topics ...string) *kmsg.JoinGroupRequest {
	r := kmsg.NewPtrJoinGroupRequest()
	r.Version = 7
	r.Group = groupID
	r.MemberID = memberID
	r.InstanceID = instance
	r.SessionTimeoutMillis = 10000
	r.RebalanceTimeoutMillis = 30000
	r.ProtocolType = "consumer"
	r.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: subscription(topics...)}}
	return r
}

// join sends a JoinGroup in the background; the response arrives on the channel.
func (h *harness) join(clientID string, req *kmsg.JoinGroupRequest) <-chan *kmsg.JoinGroupResponse {
	ch := make(chan *kmsg.JoinGroupResponse, 1)
	go func() { ch <- h.c.JoinGroup(context.Background(), clientID, "10.0.0.1", req) }()
	return ch
}

func (h *harness) sync(req *kmsg.SyncGroupRequest) <-chan *kmsg.SyncGroupResponse {
	ch := make(chan *kmsg.SyncGroupResponse, 1)
	go func() { ch <- h.c.SyncGroup(context.Background(), req) }()
	return ch
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a response")
	}
	var zero T
	return zero
}

func pending[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected early response %+v", v)
	case <-time.After(20 * time.Millisecond):
	}
}

// memberID obtains a member id through the v4+ MEMBER_ID_REQUIRED round trip.
func (h *harness) memberID(groupID, clientID string) string {
	h.t.Helper()
	resp := recv(h.t, h.join(clientID, joinReq(groupID, "", nil, "t")))
	if resp.ErrorCode != 79 || !strings.HasPrefix(resp.MemberID, clientID+"-") {
		h.t.Fatalf("first join: error %d member %q, want MEMBER_ID_REQUIRED with %s-<uuid>", resp.ErrorCode, resp.MemberID, clientID)
	}
	return resp.MemberID
}

func syncReq(groupID, memberID string, generation int32, assignments map[string][]byte) *kmsg.SyncGroupRequest {
	r := kmsg.NewPtrSyncGroupRequest()
	r.Version = 5
	r.Group = groupID
	r.MemberID = memberID
	r.Generation = generation
	r.ProtocolType = ptr("consumer")
	r.Protocol = ptr("range")
	ids := make([]string, 0, len(assignments))
	for id := range assignments {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r.GroupAssignment = append(r.GroupAssignment, kmsg.SyncGroupRequestGroupAssignment{MemberID: id, MemberAssignment: assignments[id]})
	}
	return r
}

func (h *harness) heartbeat(groupID, memberID string, generation int32, instance *string) int16 {
	r := kmsg.NewPtrHeartbeatRequest()
	r.Version = 4
	r.Group, r.MemberID, r.Generation, r.InstanceID = groupID, memberID, generation, instance
	return h.c.Heartbeat(context.Background(), r).ErrorCode
}

func (h *harness) commit(groupID, memberID string, generation int32, topic string, partition int32, offset int64, metadata string) int16 {
	r := kmsg.NewPtrOffsetCommitRequest()
	r.Version = 8
	r.Group, r.MemberID, r.Generation = groupID, memberID, generation
	p := kmsg.NewOffsetCommitRequestTopicPartition()
	p.Partition, p.Offset, p.LeaderEpoch, p.Metadata = partition, offset, 3, &metadata
	r.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: topic, Partitions: []kmsg.OffsetCommitRequestTopicPartition{p}}}
	resp := h.c.OffsetCommit(context.Background(), r)
	return resp.Topics[0].Partitions[0].ErrorCode
}

// fetch returns "topic-partition=offset" for every partition in the answer, in answer order.
func (h *harness) fetch(groupID string, topics map[string][]int32) (int16, []string) {
	r := kmsg.NewPtrOffsetFetchRequest()
	r.Version = 7
	r.Group = groupID
	if topics != nil {
		r.Topics = []kmsg.OffsetFetchRequestTopic{}
		names := make([]string, 0, len(topics))
		for t := range topics {
			names = append(names, t)
		}
		sort.Strings(names)
		for _, t := range names {
			r.Topics = append(r.Topics, kmsg.OffsetFetchRequestTopic{Topic: t, Partitions: topics[t]})
		}
	}
	resp := h.c.OffsetFetch(context.Background(), r)
	var out []string
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out = append(out, t.Topic+"-"+itoa(p.Partition)+"="+strconv.FormatInt(p.Offset, 10))
		}
	}
	return resp.ErrorCode, out
}

func newTestLogger(l *logBuf) zerolog.Logger { return zerolog.New(l) }

func (h *harness) loaded(partition int32) bool {
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	ps := h.c.partitions[partition]
	return ps != nil && !ps.loading
}
