package coordinator

import "time"

// Clock is the coordinator's source of time and timers. Tests substitute a manual clock so that
// session, rebalance and retention deadlines can be crossed deterministically.
type Clock interface {
	Now() time.Time
	// AfterFunc runs f in its own goroutine (or, for manual clocks, from the goroutine advancing time)
	// once d has elapsed. f must be safe to call after Stop returned false.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	Stop() bool
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

func stopTimer(t Timer) {
	if t != nil {
		t.Stop()
	}
}
