package coordinator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestCommitRecordBytes(t *testing.T) {
	h := newHarness(t)
	if code := h.commit("g", "", -1, "t", 0, 5, "m"); code != 0 {
		t.Fatalf("commit = %d", code)
	}
	recs := h.store.records(0)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	ts := h.clock.Now().UnixMilli() // 1600000000000 = 0x00000174876e8000
	if ts != 0x174876e8000 {
		t.Fatalf("clock %d", ts)
	}
	wantKey := unhex(t, "0001 0001 67 0001 74 00000000")
	wantValue := unhex(t, "0003 0000000000000005 00000003 0001 6d 00000174876e8000")
	if !bytes.Equal(recs[0].Key, wantKey) || !bytes.Equal(recs[0].Value, wantValue) {
		t.Fatalf("record key %x value %x", recs[0].Key, recs[0].Value)
	}

	// OffsetCommit v2 with an explicit retention writes the v1 value with an expire timestamp.
	r := kmsg.NewPtrOffsetCommitRequest()
	r.Version = 2
	r.Group, r.Generation, r.RetentionTimeMillis = "g", -1, 1000
	p := kmsg.NewOffsetCommitRequestTopicPartition()
	p.Partition, p.Offset = 1, 7
	r.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{p}}}
	if resp := h.c.OffsetCommit(context.Background(), r); resp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("v2 commit %+v", resp)
	}
	recs = h.store.records(0)
	wantValue = unhex(t, "0001 0000000000000007 0000 00000174876e8000 00000174876e83e8")
	if !bytes.Equal(recs[1].Value, wantValue) {
		t.Fatalf("v1 value %x", recs[1].Value)
	}
}

func TestCommitAndFetch(t *testing.T) {
	h := newHarness(t)
	// Standalone commits (generation -1) create an Empty group without a protocol type.
	if code := h.commit("solo", "", -1, "t", 0, 10, ""); code != 0 {
		t.Fatalf("commit = %d", code)
	}
	if code := h.commit("solo", "", -1, "t", 2, 12, ""); code != 0 {
		t.Fatalf("commit = %d", code)
	}
	if code := h.commit("solo", "", -1, "a", 0, 1, ""); code != 0 {
		t.Fatalf("commit = %d", code)
	}
	code, got := h.fetch("solo", map[string][]int32{"t": {0, 1, 2}})
	if code != 0 || fmt.Sprint(got) != "[t-0=10 t-1=-1 t-2=12]" {
		t.Fatalf("fetch = %d %v", code, got)
	}
	code, got = h.fetch("solo", nil)
	if code != 0 || fmt.Sprint(got) != "[a-0=1 t-0=10 t-2=12]" {
		t.Fatalf("fetch all = %d %v", code, got)
	}
	code, got = h.fetch("nobody", map[string][]int32{"t": {0}})
	if code != 0 || fmt.Sprint(got) != "[t-0=-1]" {
		t.Fatalf("fetch unknown group = %d %v", code, got)
	}
	// Metadata, leader epoch come back.
	r := kmsg.NewPtrOffsetFetchRequest()
	r.Version = 7
	r.Group = "solo"
	r.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "t", Partitions: []int32{0}}}
	resp := h.c.OffsetFetch(context.Background(), r)
	if p := resp.Topics[0].Partitions[0]; p.LeaderEpoch != 3 || p.Metadata == nil || *p.Metadata != "" {
		t.Fatalf("fetched %+v", p)
	}
	// v8 multi-group form.
	r8 := kmsg.NewPtrOffsetFetchRequest()
	r8.Version = 8
	r8.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "solo"}, {Group: "nobody", Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: "t", Partitions: []int32{0}}}}}
	resp8 := h.c.OffsetFetch(context.Background(), r8)
	if len(resp8.Groups) != 2 || len(resp8.Groups[0].Topics) != 2 || resp8.Groups[1].Topics[0].Partitions[0].Offset != -1 {
		t.Fatalf("v8 fetch %+v", resp8)
	}

	// Oversized metadata is refused per partition.
	if code := h.commit("solo", "", -1, "t", 0, 11, strings.Repeat("x", 4097)); code != 12 {
		t.Fatalf("big metadata = %d, want OFFSET_METADATA_TOO_LARGE", code)
	}

	// Group members must present a valid member id and generation.
	ids, gen := h.stableGroup("g", 1)
	if code := h.commit("g", ids[0], gen, "t", 0, 100, ""); code != 0 {
		t.Fatalf("member commit = %d", code)
	}
	if code := h.commit("g", ids[0], gen+1, "t", 0, 100, ""); code != 22 {
		t.Fatalf("wrong generation = %d, want ILLEGAL_GENERATION", code)
	}
	if code := h.commit("g", "stranger", gen, "t", 0, 100, ""); code != 25 {
		t.Fatalf("unknown member = %d, want UNKNOWN_MEMBER_ID", code)
	}
	if code := h.commit("g", "", -1, "t", 0, 100, ""); code != 25 {
		t.Fatalf("standalone commit to active group = %d, want UNKNOWN_MEMBER_ID", code)
	}
	if code := h.commit("gone", "m", 3, "t", 0, 1, ""); code != 22 {
		t.Fatalf("commit with generation to unknown group = %d, want ILLEGAL_GENERATION", code)
	}
	// During CompletingRebalance commits are refused with REBALANCE_IN_PROGRESS.
	ch := h.join("c0", joinReq("g", ids[0], nil, "t"))
	r2 := recv(t, ch)
	if code := h.commit("g", ids[0], r2.Generation, "t", 0, 101, ""); code != 27 {
		t.Fatalf("commit in CompletingRebalance = %d", code)
	}

	// Storage failures map to Kafka's codes.
	h.store.mu.Lock()
	h.store.appendFn = func(int32, []Record) error { return fmt.Errorf("append: %w", kerr.NotLeaderForPartition) }
	h.store.mu.Unlock()
	if code := h.commit("solo", "", -1, "t", 0, 99, ""); code != 16 {
		t.Fatalf("commit with lost leadership = %d, want NOT_COORDINATOR", code)
	}
	h.store.mu.Lock()
	h.store.appendFn = func(int32, []Record) error { return errors.New("disk on fire") }
	h.store.mu.Unlock()
	if code := h.commit("solo", "", -1, "t", 0, 99, ""); code != 15 {
		t.Fatalf("commit with failing storage = %d, want COORDINATOR_NOT_AVAILABLE", code)
	}
	if _, got := h.fetch("solo", map[string][]int32{"t": {0}}); fmt.Sprint(got) != "[t-0=10]" {
		t.Fatalf("failed commits must not change the cache: %v", got)
	}
}

func TestReloadAfterElection(t *testing.T) {
	clock := newFakeClock()
	store := newMemStore()
	h := newHarnessWith(t, clock, store, nil)
	ids, gen := h.stableGroup("g", 2)
	if code := h.commit("g", ids[0], gen, "t", 0, 42, "meta"); code != 0 {
		t.Fatalf("commit %d", code)
	}
	h.commit("solo", "", -1, "u", 1, 7, "")
	h.commit("dropped", "", -1, "u", 1, 7, "")
	store.Append(context.Background(), 0, []Record{{Key: EncodeOffsetKey("dropped", "u", 1)}})
	h.c.OnResignation(0)
	if ok, code := h.c.Owns("g"); ok || code != 16 {
		t.Fatalf("after resignation Owns = %v %d", ok, code)
	}
	if code := h.heartbeat("g", ids[0], gen, nil); code != 16 {
		t.Fatalf("heartbeat after resignation %d", code)
	}
	h.c.Close()

	// A new coordinator (another broker, or this one after restart) loads the partition.
	store.mu.Lock()
	store.loadGate = make(chan struct{})
	gate := store.loadGate
	store.mu.Unlock()
	h2 := &harness{t: t, clock: clock, store: store, logs: &logBuf{}}
	h2.c = New(testConfig(clock), store, newTestLogger(h2.logs))
	defer h2.c.Close()
	h2.c.OnElection(0)
	if ok, code := h2.c.Owns("g"); ok || code != 14 {
		t.Fatalf("while loading Owns = %v %d", ok, code)
	}
	if code := h2.commit("g", ids[0], gen, "t", 0, 1, ""); code != 14 {
		t.Fatalf("commit while loading = %d, want COORDINATOR_LOAD_IN_PROGRESS", code)
	}
	if s := recv(t, h2.sync(syncReq("g", ids[0], gen, nil))); s.ErrorCode != 27 {
		t.Fatalf("sync while loading = %d, want REBALANCE_IN_PROGRESS", s.ErrorCode)
	}
	if code := h2.heartbeat("g", ids[0], gen, nil); code != 0 {
		t.Fatalf("heartbeat while loading = %d, want NONE", code)
	}
	close(gate)
	h2.waitFor("loaded", func() bool { return h2.loaded(0) })

	d := h2.c.DescribeGroups(context.Background(), &kmsg.DescribeGroupsRequest{Version: 5, Groups: []string{"g", "solo", "dropped"}})
	g := d.Groups[0]
	if g.State != "Stable" || g.Protocol != "range" || len(g.Members) != 2 || g.Members[0].MemberID != ids[0] ||
		!bytes.Equal(g.Members[0].ProtocolMetadata, subscription("t")) || !bytes.Equal(g.Members[1].MemberAssignment, assignment("t", 1)) {
		t.Fatalf("reloaded group %+v", g)
	}
	if d.Groups[1].State != "Empty" || d.Groups[2].State != "Dead" {
		t.Fatalf("reloaded solo %s dropped %s", d.Groups[1].State, d.Groups[2].State)
	}
	if code, got := h2.fetch("g", nil); code != 0 || fmt.Sprint(got) != "[t-0=42]" {
		t.Fatalf("reloaded offsets %d %v", code, got)
	}
	// Members carry on with their generation, and the leader is remembered.
	if code := h2.heartbeat("g", ids[1], gen, nil); code != 0 {
		t.Fatalf("heartbeat after reload = %d", code)
	}
	ch := h2.join("c0", joinReq("g", ids[0], nil, "t"))
	h2.waitFor("rebalance after leader rejoin", func() bool { return h2.state("g") == "PreparingRebalance" })
	// Reloaded members that stop heartbeating expire after their session timeout, which lets
	// the rebalance complete without them.
	clock.Advance(11 * time.Second)
	if r := recv(t, ch); r.ErrorCode != 0 || r.Generation != gen+1 || len(r.Members) != 1 {
		t.Fatalf("rejoin after reload %+v", r)
	}
	if !strings.Contains(h2.logs.String(), "Member "+ids[1]+" in group g has failed") {
		t.Fatal("reloaded follower did not expire")
	}

	lg := h2.c.ListGroups(context.Background(), &kmsg.ListGroupsRequest{Version: 4, StatesFilter: []string{"Empty"}})
	if len(lg.Groups) != 1 || lg.Groups[0].Group != "solo" || lg.Groups[0].ProtocolType != "" {
		t.Fatalf("list Empty %+v", lg.Groups)
	}
	lg = h2.c.ListGroups(context.Background(), &kmsg.ListGroupsRequest{Version: 3})
	if len(lg.Groups) != 2 || lg.Groups[0].Group != "g" || lg.Groups[0].ProtocolType != "consumer" {
		t.Fatalf("list all %+v", lg.Groups)
	}
}

func TestResignationReleasesParkedJoins(t *testing.T) {
	h := newHarness(t)
	id := h.memberID("g", "c")
	ch := h.join("c", joinReq("g", id, nil, "t"))
	h.waitFor("parked", func() bool { return h.awaitingJoin("g") == 1 })
	h.c.OnResignation(0)
	if r := recv(t, ch); r.ErrorCode != 16 {
		t.Fatalf("parked join after resignation = %d, want NOT_COORDINATOR", r.ErrorCode)
	}
}

func TestOffsetRetention(t *testing.T) {
	h := newHarness(t)
	// Standalone offsets expire retention (1h here) after their commit.
	h.commit("solo", "", -1, "t", 0, 1, "")
	h.clock.Advance(30 * time.Minute)
	h.commit("solo", "", -1, "t", 1, 2, "")
	h.clock.Advance(35 * time.Minute) // t+65m: partition 0 expired, partition 1 not
	if _, got := h.fetch("solo", nil); fmt.Sprint(got) != "[t-1=2]" {
		t.Fatalf("after first expiry %v", got)
	}
	h.clock.Advance(30 * time.Minute)
	if h.group("solo") != nil {
		t.Fatal("group without offsets should be gone")
	}
	got := h.store.describe(0)
	want := []string{
		"key: offset_commit::group=solo,partition=t-0 payload: offset=1",
		"key: offset_commit::group=solo,partition=t-1 payload: offset=2",
		"key: offset_commit::group=solo,partition=t-0 payload: <DELETE>",
		// generation 0: no group tombstone, as Kafka skips it for offset-only groups
		"key: offset_commit::group=solo,partition=t-1 payload: <DELETE>",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("log\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(h.logs.String(), "[GroupMetadataManager brokerId=0] Removed 1 expired offsets in 0 milliseconds.") {
		t.Error("missing expiry log line")
	}
}

func TestConsumerGroupOffsetsExpireAfterGroupEmpties(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 1)
	h.commit("g", ids[0], gen, "t", 0, 5, "")
	// A subscribed topic's offsets do not expire while the group is active...
	for i := 0; i < 20; i++ {
		h.clock.Advance(4 * time.Second)
		h.heartbeat("g", ids[0], gen, nil)
	}
	h.c.ExpireOffsets()
	if _, got := h.fetch("g", nil); fmt.Sprint(got) != "[t-0=5]" {
		t.Fatalf("active group lost offsets: %v", got)
	}
	// ...but once the member is gone the clock starts at the moment the group became Empty.
	lr := kmsg.NewPtrLeaveGroupRequest()
	lr.Group, lr.MemberID = "g", ids[0]
	h.c.LeaveGroup(context.Background(), lr)
	h.waitFor("empty", func() bool { return h.state("g") == "Empty" })
	h.clock.Advance(59 * time.Minute)
	h.c.ExpireOffsets()
	if _, got := h.fetch("g", nil); fmt.Sprint(got) != "[t-0=5]" {
		t.Fatalf("expired too early: %v", got)
	}
	h.clock.Advance(time.Minute)
	h.c.ExpireOffsets()
	if h.group("g") != nil {
		t.Fatal("expired group still cached")
	}
	recs := h.store.describe(0)
	tail := recs[len(recs)-2:]
	want := "[key: offset_commit::group=g,partition=t-0 payload: <DELETE> key: group_metadata::group=g payload: <DELETE>]"
	if fmt.Sprint(tail) != want {
		t.Fatalf("tombstones %v", tail)
	}
	if !strings.Contains(h.logs.String(), "Group g transitioned to Dead in generation 2") {
		t.Error("missing Dead transition log")
	}
}

func TestDeleteGroups(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("busy", 1)
	h.commit("busy", ids[0], gen, "t", 0, 1, "")
	h.commit("idle", "", -1, "t", 0, 1, "")
	h.commit("idle", "", -1, "t", 1, 1, "")
	resp := h.c.DeleteGroups(context.Background(), &kmsg.DeleteGroupsRequest{Version: 2, Groups: []string{"busy", "idle", "missing", "idle"}})
	codes := map[string]int16{}
	for _, g := range resp.Groups {
		codes[g.Group] = g.ErrorCode
	}
	if len(resp.Groups) != 3 || codes["busy"] != 68 || codes["idle"] != 0 || codes["missing"] != 69 {
		t.Fatalf("delete %+v", resp.Groups)
	}
	recs := h.store.describe(0)
	tail := fmt.Sprint(recs[len(recs)-2:])
	if tail != "[key: offset_commit::group=idle,partition=t-0 payload: <DELETE> key: offset_commit::group=idle,partition=t-1 payload: <DELETE>]" {
		t.Fatalf("tombstones %s", tail)
	}
	if _, got := h.fetch("idle", map[string][]int32{"t": {0}}); fmt.Sprint(got) != "[t-0=-1]" {
		t.Fatalf("deleted group offsets %v", got)
	}
	if !strings.Contains(h.logs.String(), "The following groups were deleted: idle. A total of 2 offsets were removed.") {
		t.Error("missing delete log")
	}
}

func TestOffsetDelete(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 1)
	h.commit("g", ids[0], gen, "t", 0, 1, "")
	h.commit("g", ids[0], gen, "old", 0, 1, "")
	req := kmsg.NewPtrOffsetDeleteRequest()
	req.Group = "g"
	req.Topics = []kmsg.OffsetDeleteRequestTopic{
		{Topic: "t", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}},
		{Topic: "old", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}},
	}
	resp := h.c.OffsetDelete(context.Background(), req)
	if resp.ErrorCode != 0 || resp.Topics[0].Partitions[0].ErrorCode != 86 || resp.Topics[1].Partitions[0].ErrorCode != 0 {
		t.Fatalf("offset delete %+v", resp)
	}
	if _, got := h.fetch("g", nil); fmt.Sprint(got) != "[t-0=1]" {
		t.Fatalf("after delete %v", got)
	}
	req.Group = "missing"
	if resp := h.c.OffsetDelete(context.Background(), req); resp.ErrorCode != 69 {
		t.Fatalf("unknown group %d", resp.ErrorCode)
	}
}

func TestNotCoordinator(t *testing.T) {
	h := newHarnessWith(t, newFakeClock(), newMemStore(), func(c *Config) { c.NumPartitions = 50 })
	// Only partition 0 is owned; "hello" lives on partition 22.
	if code := h.commit("hello", "", -1, "t", 0, 1, ""); code != 16 {
		t.Fatalf("commit to foreign group = %d", code)
	}
	if r := recv(t, h.join("c", joinReq("hello", "", nil, "t"))); r.ErrorCode != 16 {
		t.Fatalf("join foreign group = %d", r.ErrorCode)
	}
	code, _ := h.fetch("hello", nil)
	if code != 16 {
		t.Fatalf("fetch foreign group = %d", code)
	}
	h.c.Close()
	if ok, code := h.c.Owns("x"); ok || code != 15 {
		t.Fatalf("after close %v %d", ok, code)
	}
}

func TestResignationDuringLoadDiscardsIt(t *testing.T) {
	clock := newFakeClock()
	store := newMemStore()
	store.Append(context.Background(), 0, []Record{{
		Key:   EncodeOffsetKey("g", "t", 0),
		Value: EncodeOffsetValue(OffsetValue{Offset: 9, LeaderEpoch: -1, CommitTimestamp: clock.Now().UnixMilli(), ExpireTimestamp: -1}),
	}})
	gate := make(chan struct{})
	store.loadGate = gate
	logs := &logBuf{}
	c := New(testConfig(clock), store, newTestLogger(logs))
	defer c.Close()
	h := &harness{t: t, c: c, clock: clock, store: store, logs: logs}
	c.OnElection(0)
	c.OnResignation(0)
	c.OnElection(0) // a new load, still gated
	close(gate)
	h.waitFor("reloaded", func() bool { return h.loaded(0) })
	if _, got := h.fetch("g", nil); fmt.Sprint(got) != "[t-0=9]" {
		t.Fatalf("offsets %v", got)
	}
	// Only the second load may install; the first one finds its partition state replaced.
	h.waitFor("both loads done", func() bool {
		return strings.Count(logs.String(), "Scheduling loading of offsets and group metadata from __consumer_offsets-0") == 2
	})
	c.Close()
	if n := strings.Count(logs.String(), "Finished loading offsets and group metadata from __consumer_offsets-0"); n != 1 {
		t.Fatalf("%d loads installed", n)
	}
}
