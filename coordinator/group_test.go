package coordinator

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// stableGroup runs n dynamic members through join and sync and returns their member ids
// (leader first) and the generation.
func (h *harness) stableGroup(groupID string, n int) ([]string, int32) {
	h.t.Helper()
	ids := make([]string, n)
	chans := make([]<-chan *kmsg.JoinGroupResponse, n)
	for i := range ids {
		ids[i] = h.memberID(groupID, fmt.Sprintf("c%d", i))
		chans[i] = h.join(fmt.Sprintf("c%d", i), joinReq(groupID, ids[i], nil, "t"))
		h.waitFor("member parked", func() bool { return h.awaitingJoin(groupID) == i+1 })
	}
	// The initial delay restarts while members keep arriving (bounded by the rebalance timeout).
	for i := 0; i < n && h.state(groupID) != "CompletingRebalance"; i++ {
		h.clock.Advance(h.c.cfg.InitialRebalanceDelay)
	}
	resps := make([]*kmsg.JoinGroupResponse, n)
	for i := range chans {
		resps[i] = recv(h.t, chans[i])
		if resps[i].ErrorCode != 0 {
			h.t.Fatalf("join %d: error %d", i, resps[i].ErrorCode)
		}
	}
	gen := resps[0].Generation
	leader := resps[0].LeaderID
	assign := map[string][]byte{}
	for i, id := range ids {
		assign[id] = assignment("t", int32(i))
	}
	var syncs []<-chan *kmsg.SyncGroupResponse
	for _, id := range ids {
		if id != leader {
			syncs = append(syncs, h.sync(syncReq(groupID, id, gen, nil)))
		}
	}
	h.waitFor("followers parked in SyncGroup", func() bool { return h.awaitingSync(groupID) == n-1 })
	lresp := recv(h.t, h.sync(syncReq(groupID, leader, gen, assign)))
	if lresp.ErrorCode != 0 {
		h.t.Fatalf("leader sync: %d", lresp.ErrorCode)
	}
	for _, s := range syncs {
		if r := recv(h.t, s); r.ErrorCode != 0 {
			h.t.Fatalf("follower sync: %d", r.ErrorCode)
		}
	}
	out := []string{leader}
	for _, id := range ids {
		if id != leader {
			out = append(out, id)
		}
	}
	return out, gen
}

func TestJoinSyncSingleMember(t *testing.T) {
	h := newHarness(t)
	id := h.memberID("g", "c")
	if got := h.state("g"); got != "Empty" {
		t.Fatalf("state after MEMBER_ID_REQUIRED = %s", got)
	}
	ch := h.join("c", joinReq("g", id, nil, "t"))
	h.waitFor("join parked", func() bool { return h.awaitingJoin("g") == 1 })
	if got := h.state("g"); got != "PreparingRebalance" {
		t.Fatalf("state = %s", got)
	}
	h.clock.Advance(2999 * time.Millisecond)
	pending(t, ch)
	h.clock.Advance(time.Millisecond)
	resp := recv(t, ch)
	if resp.ErrorCode != 0 || resp.Generation != 1 || resp.LeaderID != id || resp.MemberID != id ||
		resp.Protocol == nil || *resp.Protocol != "range" || resp.ProtocolType == nil || *resp.ProtocolType != "consumer" {
		t.Fatalf("join response %+v", resp)
	}
	if len(resp.Members) != 1 || resp.Members[0].MemberID != id || !bytes.Equal(resp.Members[0].ProtocolMetadata, subscription("t")) {
		t.Fatalf("leader members %+v", resp.Members)
	}
	if got := h.state("g"); got != "CompletingRebalance" {
		t.Fatalf("state = %s", got)
	}
	// Heartbeats during CompletingRebalance are fine.
	if code := h.heartbeat("g", id, 1, nil); code != 0 {
		t.Fatalf("heartbeat = %d", code)
	}
	sresp := recv(t, h.sync(syncReq("g", id, 1, map[string][]byte{id: assignment("t", 0)})))
	if sresp.ErrorCode != 0 || !bytes.Equal(sresp.MemberAssignment, assignment("t", 0)) || *sresp.Protocol != "range" {
		t.Fatalf("sync response %+v", sresp)
	}
	if got := h.state("g"); got != "Stable" {
		t.Fatalf("state = %s", got)
	}
	recs := h.store.describe(0)
	want := fmt.Sprintf(`key: group_metadata::group=g payload: {"protocolType":"consumer","protocol":"range","generationId":1,"assignment":"{%s=[t-0]}"}`, id)
	if len(recs) != 1 || recs[0] != want {
		t.Fatalf("log = %q\nwant %q", recs, want)
	}
	v, _, _ := DecodeGroupValue(h.store.records(0)[0].Value)
	if v.Members[0].ClientHost != "/10.0.0.1" || v.Members[0].ClientID != "c" || v.Members[0].SessionTimeout != 10000 ||
		v.Members[0].RebalanceTimeout != 30000 || v.CurrentStateTimestamp != h.clock.Now().UnixMilli() {
		t.Fatalf("stored member %+v ts %d", v.Members[0], v.CurrentStateTimestamp)
	}
	logs := h.logs.String()
	for _, line := range []string{
		"[GroupCoordinator 0]: Preparing to rebalance group g in state PreparingRebalance with old generation 0 (__consumer_offsets-0) (reason: Adding new member " + id + " with group instance id None)",
		"[GroupCoordinator 0]: Stabilized group g generation 1 (__consumer_offsets-0)",
		"[GroupCoordinator 0]: Assignment received from leader for group g for generation 1. The group has 1 members, 0 of which are static.",
	} {
		if !strings.Contains(logs, line) {
			t.Errorf("log lacks %q", line)
		}
	}
	// Rejoining in Stable as a follower with the same metadata would return the generation; the
	// leader rejoining starts a rebalance, which completes at once since it is the only member.
	ch = h.join("c", joinReq("g", id, nil, "t"))
	resp = recv(t, ch)
	if resp.ErrorCode != 0 || resp.Generation != 2 {
		t.Fatalf("leader rejoin %+v", resp)
	}
}

func TestJoinSyncThreeMembers(t *testing.T) {
	h := newHarness(t)
	ids := make([]string, 3)
	chans := make([]<-chan *kmsg.JoinGroupResponse, 3)
	for i := range ids {
		ids[i] = h.memberID("g", fmt.Sprintf("c%d", i))
		chans[i] = h.join(fmt.Sprintf("c%d", i), joinReq("g", ids[i], nil, "t"))
		h.waitFor("parked", func() bool { return h.awaitingJoin("g") == i+1 })
	}
	// Members 2 and 3 arrived during the first delay, so it is extended once.
	h.clock.Advance(3 * time.Second)
	for _, ch := range chans {
		pending(t, ch)
	}
	h.clock.Advance(3 * time.Second)
	var leaderResp *kmsg.JoinGroupResponse
	for i, ch := range chans {
		r := recv(t, ch)
		if r.ErrorCode != 0 || r.Generation != 1 || r.LeaderID != ids[0] || r.MemberID != ids[i] {
			t.Fatalf("member %d: %+v", i, r)
		}
		if r.MemberID == r.LeaderID {
			leaderResp = r
		} else if len(r.Members) != 0 {
			t.Fatalf("follower got members %+v", r.Members)
		}
	}
	if leaderResp == nil || len(leaderResp.Members) != 3 {
		t.Fatalf("leader response %+v", leaderResp)
	}
	for i, m := range leaderResp.Members {
		if m.MemberID != ids[i] {
			t.Fatalf("member %d = %s, want %s", i, m.MemberID, ids[i])
		}
	}

	// Followers wait for the leader; a member left out of the assignment gets an empty one.
	f1 := h.sync(syncReq("g", ids[1], 1, nil))
	f2 := h.sync(syncReq("g", ids[2], 1, nil))
	h.waitFor("followers parked", func() bool { return h.awaitingSync("g") == 2 })
	pending(t, f1)
	if code := h.heartbeat("g", ids[1], 0, nil); code != 22 {
		t.Fatalf("heartbeat with old generation = %d, want ILLEGAL_GENERATION", code)
	}
	l := recv(t, h.sync(syncReq("g", ids[0], 1, map[string][]byte{ids[0]: assignment("t", 0), ids[1]: assignment("t", 1, 2)})))
	if l.ErrorCode != 0 || !bytes.Equal(l.MemberAssignment, assignment("t", 0)) {
		t.Fatalf("leader sync %+v", l)
	}
	if r := recv(t, f1); r.ErrorCode != 0 || !bytes.Equal(r.MemberAssignment, assignment("t", 1, 2)) {
		t.Fatalf("follower 1 sync %+v", r)
	}
	if r := recv(t, f2); r.ErrorCode != 0 || len(r.MemberAssignment) != 0 {
		t.Fatalf("follower 2 sync %+v", r)
	}
	if !strings.Contains(h.logs.String(), "Setting empty assignments for members Set("+ids[2]+") of g for generation 1") {
		t.Error("missing empty-assignment warning")
	}

	// DescribeGroups shows the members with metadata and assignments once Stable.
	d := h.c.DescribeGroups(context.Background(), &kmsg.DescribeGroupsRequest{Version: 5, Groups: []string{"g", "nope"}})
	g := d.Groups[0]
	if g.State != "Stable" || g.Protocol != "range" || g.ProtocolType != "consumer" || len(g.Members) != 3 ||
		g.Members[1].ClientID != "c1" || g.Members[1].ClientHost != "/10.0.0.1" || !bytes.Equal(g.Members[1].MemberAssignment, assignment("t", 1, 2)) {
		t.Fatalf("describe %+v", g)
	}
	if d.Groups[1].State != "Dead" || d.Groups[1].ErrorCode != 0 {
		t.Fatalf("describe unknown %+v", d.Groups[1])
	}

	// A follower rejoining with unchanged metadata in Stable just gets the current generation.
	r := recv(t, h.join("c1", joinReq("g", ids[1], nil, "t")))
	if r.ErrorCode != 0 || r.Generation != 1 || r.LeaderID != ids[0] || len(r.Members) != 0 || h.state("g") != "Stable" {
		t.Fatalf("follower rejoin %+v state %s", r, h.state("g"))
	}
	// Changed metadata forces a rebalance; everyone must rejoin.
	ch := h.join("c2", joinReq("g", ids[2], nil, "t", "u"))
	h.waitFor("rebalance", func() bool { return h.state("g") == "PreparingRebalance" })
	if code := h.heartbeat("g", ids[0], 1, nil); code != 27 {
		t.Fatalf("heartbeat during rebalance = %d, want REBALANCE_IN_PROGRESS", code)
	}
	c0 := h.join("c0", joinReq("g", ids[0], nil, "t"))
	pending(t, ch)
	c1 := h.join("c1", joinReq("g", ids[1], nil, "t"))
	for _, ch := range []<-chan *kmsg.JoinGroupResponse{ch, c0, c1} {
		if r := recv(t, ch); r.ErrorCode != 0 || r.Generation != 2 {
			t.Fatalf("rejoin %+v", r)
		}
	}
	h.c.mu.Lock()
	g2 := h.c.groups["g"]
	h.c.mu.Unlock()
	g2.mu.Lock()
	topics := sortedTopics(g2.subscribed)
	g2.mu.Unlock()
	if fmt.Sprint(topics) != "[t u]" {
		t.Fatalf("subscribed topics %v", topics)
	}
}

func TestSessionExpiryRemovesMemberAndRebalances(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 2)
	leader, follower := ids[0], ids[1]
	// Only the leader keeps heartbeating.
	for i := 0; i < 2; i++ {
		h.clock.Advance(4 * time.Second)
		if code := h.heartbeat("g", leader, gen, nil); code != 0 {
			t.Fatalf("heartbeat %d = %d", i, code)
		}
	}
	if h.state("g") != "Stable" {
		t.Fatalf("state %s", h.state("g"))
	}
	h.clock.Advance(4 * time.Second) // 12s since the follower's last sign of life
	if h.state("g") != "PreparingRebalance" {
		t.Fatalf("state after expiry %s", h.state("g"))
	}
	if !strings.Contains(h.logs.String(), "Member "+follower+" in group g has failed, removing it from the group") {
		t.Fatal("missing failure log line")
	}
	if code := h.heartbeat("g", follower, gen, nil); code != 25 {
		t.Fatalf("expired member heartbeat = %d, want UNKNOWN_MEMBER_ID", code)
	}
	if code := h.heartbeat("g", leader, gen, nil); code != 27 {
		t.Fatalf("leader heartbeat = %d, want REBALANCE_IN_PROGRESS", code)
	}
	r := recv(t, h.join("c0", joinReq("g", leader, nil, "t")))
	if r.ErrorCode != 0 || r.Generation != gen+1 || len(r.Members) != 1 {
		t.Fatalf("rejoin %+v", r)
	}
}

func TestRebalanceTimeoutDropsMembersThatDidNotRejoin(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 2)
	// The leader asks for a rebalance; the follower never rejoins (it keeps heartbeating, which
	// tells it REBALANCE_IN_PROGRESS, but ignores that).
	ch := h.join("c0", joinReq("g", ids[0], nil, "t"))
	h.waitFor("rebalance", func() bool { return h.state("g") == "PreparingRebalance" })
	for i := 0; i < 7; i++ {
		h.clock.Advance(4 * time.Second)
		h.heartbeat("g", ids[1], gen, nil)
	}
	pending(t, ch)
	h.clock.Advance(2 * time.Second) // 30s rebalance timeout
	r := recv(t, ch)
	if r.ErrorCode != 0 || r.Generation != gen+1 || len(r.Members) != 1 {
		t.Fatalf("join after timeout %+v", r)
	}
	if !strings.Contains(h.logs.String(), "Group g removed dynamic members who haven't joined: Set("+ids[1]+")") {
		t.Fatal("missing removal log")
	}
}

func TestLeaveGroupBatch(t *testing.T) {
	h := newHarness(t)
	ids, _ := h.stableGroup("g", 2)
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Version = 4
	req.Group = "g"
	req.Members = []kmsg.LeaveGroupRequestMember{{MemberID: ids[1]}, {MemberID: "ghost"}}
	resp := h.c.LeaveGroup(context.Background(), req)
	if resp.ErrorCode != 0 || len(resp.Members) != 2 || resp.Members[0].ErrorCode != 0 || resp.Members[1].ErrorCode != 25 {
		t.Fatalf("leave %+v", resp)
	}
	if h.state("g") != "PreparingRebalance" {
		t.Fatalf("state %s", h.state("g"))
	}
	// The last member leaving (v0 form) empties the group once the rebalance completes.
	old := kmsg.NewPtrLeaveGroupRequest()
	old.Group, old.MemberID = "g", ids[0]
	if r := h.c.LeaveGroup(context.Background(), old); r.ErrorCode != 0 {
		t.Fatalf("v0 leave %d", r.ErrorCode)
	}
	h.waitFor("empty", func() bool { return h.state("g") == "Empty" })
	if !strings.Contains(h.logs.String(), "Group g with generation 2 is now empty (__consumer_offsets-0)") {
		t.Fatal("missing empty log line")
	}
	last := h.store.describe(0)
	if got := last[len(last)-1]; got != `key: group_metadata::group=g payload: {"protocolType":"consumer","protocol":null,"generationId":2,"assignment":"{}"}` {
		t.Fatalf("last record %s", got)
	}
	if r := h.c.LeaveGroup(context.Background(), old); r.ErrorCode != 25 {
		t.Fatalf("second leave %d", r.ErrorCode)
	}
}

func TestJoinValidation(t *testing.T) {
	h := newHarness(t)
	r := joinReq("g", "", nil, "t")
	r.SessionTimeoutMillis = 1000
	if resp := recv(t, h.join("c", r)); resp.ErrorCode != 26 {
		t.Fatalf("short session: %d", resp.ErrorCode)
	}
	if resp := recv(t, h.join("c", joinReq("", "", nil))); resp.ErrorCode != 24 {
		t.Fatalf("empty group id: %d", resp.ErrorCode)
	}
	if resp := recv(t, h.join("c", joinReq("other", "c-unknown", nil))); resp.ErrorCode != 25 {
		t.Fatalf("unknown member of unknown group: %d", resp.ErrorCode)
	}
	ids, _ := h.stableGroup("g", 1)
	bad := joinReq("g", "", nil, "t")
	bad.Protocols[0].Name = "roundrobin"
	if resp := recv(t, h.join("c", bad)); resp.ErrorCode != 23 {
		t.Fatalf("inconsistent protocol: %d", resp.ErrorCode)
	}
	// v3 and older add the member immediately (no MEMBER_ID_REQUIRED round trip).
	old := joinReq("g", "", nil, "t")
	old.Version = 3
	ch := h.join("old", old)
	h.waitFor("rebalance", func() bool { return h.state("g") == "PreparingRebalance" })
	recv(t, h.join("c0", joinReq("g", ids[0], nil, "t")))
	resp := recv(t, ch)
	if resp.ErrorCode != 0 || !strings.HasPrefix(resp.MemberID, "old-") || resp.Generation != 2 {
		t.Fatalf("v3 join %+v", resp)
	}
}

func TestGroupMaxSize(t *testing.T) {
	h := newHarnessWith(t, newFakeClock(), newMemStore(), func(c *Config) { c.MaxGroupSize = 1 })
	h.stableGroup("g", 1)
	// Kafka refuses the newcomer before it even gets a member id.
	if resp := recv(t, h.join("c9", joinReq("g", "", nil, "t"))); resp.ErrorCode != 81 || resp.MemberID != "" {
		t.Fatalf("join beyond max size: %+v", resp)
	}
}

func TestPendingMemberExpires(t *testing.T) {
	h := newHarness(t)
	h.memberID("g", "c")
	h.clock.Advance(10 * time.Second)
	if !strings.Contains(h.logs.String(), "has been removed after session timeout expiration") {
		t.Fatal("pending member did not expire")
	}
}

func TestMemberThatNeverSyncsIsRemoved(t *testing.T) {
	h := newHarness(t)
	ids := []string{h.memberID("g", "c0"), h.memberID("g", "c1")}
	c0 := h.join("c0", joinReq("g", ids[0], nil, "t"))
	h.waitFor("c0", func() bool { return h.awaitingJoin("g") == 1 })
	c1 := h.join("c1", joinReq("g", ids[1], nil, "t"))
	h.waitFor("c1", func() bool { return h.awaitingJoin("g") == 2 })
	h.clock.Advance(6 * time.Second)
	r0, _ := recv(t, c0), recv(t, c1)
	// Only the leader syncs; the follower keeps heartbeating but never sends SyncGroup.
	l := h.sync(syncReq("g", r0.MemberID, 1, map[string][]byte{ids[0]: {1}, ids[1]: {2}}))
	if r := recv(t, l); r.ErrorCode != 0 {
		t.Fatalf("leader sync %+v", r)
	}
	for i := 0; i < 7; i++ {
		h.clock.Advance(4 * time.Second)
		h.heartbeat("g", ids[0], 1, nil)
		h.heartbeat("g", ids[1], 1, nil)
	}
	h.clock.Advance(2 * time.Second) // 30s rebalance timeout after the join completed
	if h.state("g") != "PreparingRebalance" {
		t.Fatalf("state %s", h.state("g"))
	}
	if code := h.heartbeat("g", ids[1], 1, nil); code != 25 {
		t.Fatalf("removed follower heartbeat %d", code)
	}
	if !strings.Contains(h.logs.String(), "(reason: Removing Set("+ids[1]+") on pending sync request expiration)") {
		t.Fatal("missing pending-sync log")
	}
}

func TestSyncStoreFailureRestartsRebalance(t *testing.T) {
	h := newHarness(t)
	id := h.memberID("g", "c")
	ch := h.join("c", joinReq("g", id, nil, "t"))
	h.waitFor("parked", func() bool { return h.awaitingJoin("g") == 1 })
	h.clock.Advance(3 * time.Second)
	recv(t, ch)
	h.store.mu.Lock()
	h.store.appendFn = func(int32, []Record) error { return context.DeadlineExceeded }
	h.store.mu.Unlock()
	r := recv(t, h.sync(syncReq("g", id, 1, map[string][]byte{id: {1}})))
	if r.ErrorCode != 27 {
		t.Fatalf("sync with failing store = %d, want REBALANCE_IN_PROGRESS", r.ErrorCode)
	}
	if h.state("g") != "PreparingRebalance" {
		t.Fatalf("state %s", h.state("g"))
	}
}

func TestRetriedJoinReleasesTheParkedOne(t *testing.T) {
	h := newHarness(t)
	ids, _ := h.stableGroup("g", 2)
	first := h.join("c1", joinReq("g", ids[1], nil, "t", "x"))
	h.waitFor("rebalance", func() bool { return h.state("g") == "PreparingRebalance" })
	second := h.join("c1", joinReq("g", ids[1], nil, "t", "x"))
	if r := recv(t, first); r.ErrorCode != 27 {
		t.Fatalf("superseded join = %d", r.ErrorCode)
	}
	recv(t, h.join("c0", joinReq("g", ids[0], nil, "t")))
	if r := recv(t, second); r.ErrorCode != 0 || r.Generation != 2 {
		t.Fatalf("retried join %+v", r)
	}
}
