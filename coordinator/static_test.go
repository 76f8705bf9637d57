package coordinator

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestStaticMemberRejoinWithoutRebalance(t *testing.T) {
	h := newHarness(t)
	// Static members skip MEMBER_ID_REQUIRED and get "<instance>-<uuid>" ids.
	c1 := h.join("app", joinReq("g", "", ptr("i1"), "t"))
	h.waitFor("i1 parked", func() bool { return h.awaitingJoin("g") == 1 })
	c2 := h.join("app", joinReq("g", "", ptr("i2"), "t"))
	h.waitFor("i2 parked", func() bool { return h.awaitingJoin("g") == 2 })
	h.clock.Advance(6 * time.Second)
	r1, r2 := recv(t, c1), recv(t, c2)
	if r1.ErrorCode != 0 || !strings.HasPrefix(r1.MemberID, "i1-") || !strings.HasPrefix(r2.MemberID, "i2-") || r1.LeaderID != r1.MemberID {
		t.Fatalf("joins %+v %+v", r1, r2)
	}
	if len(r1.Members) != 2 || r1.Members[0].InstanceID == nil || *r1.Members[0].InstanceID != "i1" {
		t.Fatalf("leader members %+v", r1.Members)
	}
	leader, oldFollower := r1.MemberID, r2.MemberID
	f := h.sync(syncReq("g", oldFollower, 1, nil))
	h.waitFor("follower parked", func() bool { return h.awaitingSync("g") == 1 })
	recv(t, h.sync(syncReq("g", leader, 1, map[string][]byte{leader: assignment("t", 0), oldFollower: assignment("t", 1)})))
	recv(t, f)
	before := len(h.store.records(0))

	// The follower restarts: same instance id, no member id.
	r := recv(t, h.join("app", joinReq("g", "", ptr("i2"), "t")))
	if r.ErrorCode != 0 || r.Generation != 1 || r.MemberID == oldFollower || !strings.HasPrefix(r.MemberID, "i2-") || r.LeaderID != leader {
		t.Fatalf("static rejoin %+v", r)
	}
	if h.state("g") != "Stable" {
		t.Fatalf("static rejoin rebalanced: %s", h.state("g"))
	}
	newFollower := r.MemberID
	// The replacement was persisted with the member's old assignment.
	recs := h.store.records(0)
	if len(recs) != before+1 {
		t.Fatalf("records %d -> %d", before, len(recs))
	}
	v, _, err := DecodeGroupValue(recs[len(recs)-1].Value)
	if err != nil || v.Members[1].MemberID != newFollower || !bytes.Equal(v.Members[1].Assignment, assignment("t", 1)) {
		t.Fatalf("stored %+v %v", v, err)
	}
	s := recv(t, h.sync(syncReq("g", newFollower, 1, nil)))
	if s.ErrorCode != 0 || !bytes.Equal(s.MemberAssignment, assignment("t", 1)) {
		t.Fatalf("sync after static rejoin %+v", s)
	}
	// The old incarnation is fenced everywhere.
	if code := h.heartbeat("g", oldFollower, 1, ptr("i2")); code != 82 {
		t.Fatalf("old member heartbeat = %d, want FENCED_INSTANCE_ID", code)
	}
	if s := recv(t, h.sync(func() *kmsg.SyncGroupRequest {
		r := syncReq("g", oldFollower, 1, nil)
		r.InstanceID = ptr("i2")
		return r
	}())); s.ErrorCode != 82 {
		t.Fatalf("old member sync = %d", s.ErrorCode)
	}
	if resp := recv(t, h.join("app", joinReq("g", oldFollower, ptr("i2"), "t"))); resp.ErrorCode != 82 {
		t.Fatalf("old member join = %d", resp.ErrorCode)
	}
	if code := h.heartbeat("g", newFollower, 1, ptr("i2")); code != 0 {
		t.Fatalf("new member heartbeat = %d", code)
	}
	if !strings.Contains(h.logs.String(), "Static member which joins during Stable stage and doesn't affect selectProtocol will not trigger rebalance.") {
		t.Error("missing static-rejoin log line")
	}

	// An unknown instance id with a member id is UNKNOWN_MEMBER_ID.
	if resp := recv(t, h.join("app", joinReq("g", "i9-x", ptr("i9"), "t"))); resp.ErrorCode != 25 {
		t.Fatalf("unknown instance = %d", resp.ErrorCode)
	}

	// LeaveGroup by instance id removes the static member.
	lr := kmsg.NewPtrLeaveGroupRequest()
	lr.Version = 3
	lr.Group = "g"
	lr.Members = []kmsg.LeaveGroupRequestMember{{InstanceID: ptr("i2")}}
	if resp := h.c.LeaveGroup(context.Background(), lr); resp.ErrorCode != 0 || resp.Members[0].ErrorCode != 0 {
		t.Fatalf("leave by instance %+v", resp)
	}
	if h.state("g") != "PreparingRebalance" {
		t.Fatalf("state after static leave %s", h.state("g"))
	}
}

func TestStaticMemberKeptWhenRebalanceTimesOut(t *testing.T) {
	h := newHarness(t)
	c1 := h.join("app", joinReq("g", "", ptr("i1"), "t"))
	h.waitFor("i1", func() bool { return h.awaitingJoin("g") == 1 })
	c2 := h.join("app", joinReq("g", "", ptr("i2"), "t"))
	h.waitFor("i2", func() bool { return h.awaitingJoin("g") == 2 })
	h.clock.Advance(6 * time.Second)
	r1, r2 := recv(t, c1), recv(t, c2)
	f := h.sync(syncReq("g", r2.MemberID, 1, nil))
	h.waitFor("parked", func() bool { return h.awaitingSync("g") == 1 })
	recv(t, h.sync(syncReq("g", r1.MemberID, 1, map[string][]byte{r1.MemberID: {1}, r2.MemberID: {2}})))
	recv(t, f)
	// Leader forces a rebalance; the static follower does not rejoin but heartbeats.
	ch := h.join("app", joinReq("g", r1.MemberID, ptr("i1"), "t"))
	h.waitFor("rebalance", func() bool { return h.state("g") == "PreparingRebalance" })
	for i := 0; i < 8; i++ {
		h.clock.Advance(4 * time.Second)
		h.heartbeat("g", r2.MemberID, 1, ptr("i2"))
	}
	r := recv(t, ch)
	if r.ErrorCode != 0 || len(r.Members) != 2 {
		t.Fatalf("static member should stay in the group: %+v", r)
	}
}
