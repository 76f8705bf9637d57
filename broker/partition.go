package broker

import (
	"sync"
	"time"

	"github.com/kafka-classic/kafka-classic/logstore"
)

// Partition is one hosted replica (Kafka's cluster.Partition). Leadership fields change only
// under mu's write lock (LeaderAndIsr, ISR maintenance); produce and fetch take the read lock.
// Lock order: Partition.mu before anything inside logstore.
type Partition struct {
	tp      logstore.TopicPartition
	localID int32

	mu              sync.RWMutex
	log             *logstore.Log
	leader          int32
	leaderEpoch     int32
	controllerEpoch int32
	isr             []int32
	replicas        []int32
	zkVersion       int32
	followers       map[int32]*followerState

	waitMu  sync.Mutex
	waiters map[*waiter]struct{}
}

// followerState is the leader's view of one follower replica.
type followerState struct {
	logEndOffset     int64
	lastCaughtUpTime time.Time
	// The leader's log end offset and the time of this follower's previous fetch: a follower
	// that has since reached that offset was caught up at that time (Replica.updateFetchState).
	lastFetchLeaderLEO int64
	lastFetchTime      time.Time
}

// waiter is a parked fetch or acks=all produce; a partition pokes it when its log end offset or
// high watermark moves so it re-checks its condition (Kafka's DelayedOperation purgatory).
type waiter struct{ ch chan struct{} }

func newWaiter() *waiter { return &waiter{ch: make(chan struct{}, 1)} }

func (p *Partition) addWaiter(w *waiter) {
	p.waitMu.Lock()
	if p.waiters == nil {
		p.waiters = map[*waiter]struct{}{}
	}
	p.waiters[w] = struct{}{}
	p.waitMu.Unlock()
}

func (p *Partition) removeWaiter(w *waiter) {
	p.waitMu.Lock()
	delete(p.waiters, w)
	p.waitMu.Unlock()
}

func (p *Partition) wake() {
	p.waitMu.Lock()
	for w := range p.waiters {
		select {
		case w.ch <- struct{}{}:
		default:
		}
	}
	p.waitMu.Unlock()
}

// isLeaderLocked reports leadership; mu must be held.
func (p *Partition) isLeaderLocked() bool { return p.leader == p.localID && p.log != nil }

// maybeIncrementHighWatermark advances the high watermark to the smallest log end offset among
// the ISR members (the leader's own included). mu must be held (read lock is enough: the HW is
// published by the log atomically).
func (p *Partition) maybeIncrementHighWatermarkLocked() bool {
	if p.log == nil {
		return false
	}
	hw := p.log.LogEndOffset()
	for _, id := range p.isr {
		if id == p.localID {
			continue
		}
		f, ok := p.followers[id]
		if !ok {
			return false
		}
		if f.logEndOffset < hw {
			hw = f.logEndOffset
		}
	}
	if hw > p.log.HighWatermark() {
		p.log.SetHighWatermark(hw)
		return true
	}
	return false
}

func containsID(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
