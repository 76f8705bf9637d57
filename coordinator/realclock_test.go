package coordinator

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestRealClockConcurrentMembers drives the coordinator on the system clock with many concurrent
// members, to exercise the timer goroutines under the race detector.
func TestRealClockConcurrentMembers(t *testing.T) {
	store := newMemStore()
	cfg := DefaultConfig()
	cfg.NumPartitions = 1
	cfg.InitialRebalanceDelay = 50 * time.Millisecond
	cfg.MinSessionTimeout = 10 * time.Millisecond
	c := New(cfg, store, zerolog.Nop())
	defer c.Close()
	c.OnElection(0)
	h := &harness{t: t, c: c, store: store, logs: &logBuf{}}
	h.waitFor("loaded", func() bool { return h.loaded(0) })

	const n = 8
	results := make([]*kmsg.JoinGroupResponse, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			client := fmt.Sprintf("c%d", i)
			req := joinReq("g", "", nil, "t")
			req.SessionTimeoutMillis = 2000
			req.RebalanceTimeoutMillis = 3000
			r := c.JoinGroup(ctx, client, "h", req)
			req.MemberID = r.MemberID
			for {
				r = c.JoinGroup(ctx, client, "h", req)
				if r.ErrorCode != 27 && r.ErrorCode != 79 {
					break
				}
				req.MemberID = r.MemberID
			}
			results[i] = r
		}(i)
	}
	wg.Wait()
	gen := results[0].Generation
	leader := results[0].LeaderID
	members := 0
	for i, r := range results {
		if r.ErrorCode != 0 || r.Generation != gen || r.LeaderID != leader {
			t.Fatalf("member %d: %+v (leader %s gen %d)", i, r, leader, gen)
		}
		members += len(r.Members)
	}
	if members != n {
		t.Fatalf("leader saw %d members", members)
	}

	var syncWG sync.WaitGroup
	for _, r := range results {
		r := r
		syncWG.Add(1)
		go func() {
			defer syncWG.Done()
			var assign map[string][]byte
			if r.MemberID == leader {
				assign = map[string][]byte{}
				for _, m := range r.Members {
					assign[m.MemberID] = []byte(m.MemberID)
				}
			}
			s := c.SyncGroup(context.Background(), syncReq("g", r.MemberID, gen, assign))
			if s.ErrorCode != 0 || string(s.MemberAssignment) != r.MemberID {
				t.Errorf("sync %s: %+v", r.MemberID, s)
			}
		}()
	}
	syncWG.Wait()

	// Concurrent commits, heartbeats and fetches.
	var work sync.WaitGroup
	for i, r := range results {
		i, r := i, r
		work.Add(1)
		go func() {
			defer work.Done()
			for k := 0; k < 20; k++ {
				if code := h.commit("g", r.MemberID, gen, "t", int32(i), int64(k), ""); code != 0 {
					t.Errorf("commit %d", code)
					return
				}
				if code := h.heartbeat("g", r.MemberID, gen, nil); code != 0 {
					t.Errorf("heartbeat %d", code)
					return
				}
				h.fetch("g", nil)
			}
		}()
	}
	work.Wait()
	_, got := h.fetch("g", nil)
	if len(got) != n {
		t.Fatalf("offsets %v", got)
	}
	// Everyone stops heartbeating: the group empties by session expiry.
	h.waitFor("group empties", func() bool { return h.state("g") == "Empty" })
}
