package logstore

import (
	"errors"
	"os"
	"sync"
)

// AbortedTxn is one entry of FetchResponse.AbortedTransactions.
type AbortedTxn struct {
	ProducerID  int64
	FirstOffset int64
}

type abortedTxn struct {
	pid, first, last, lso int64
}

const txnEntrySize = 34

// txnIndex is TransactionIndex (.txnindex): one 34-byte entry per aborted transaction whose ABORT
// marker lives in the segment. The file is created only when the first entry is written.
type txnIndex struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	loaded  bool
	entries []abortedTxn
}

func (t *txnIndex) loadLocked() error {
	if t.loaded {
		return nil
	}
	t.loaded = true
	data, err := os.ReadFile(t.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for p := data; len(p) >= txnEntrySize; p = p[txnEntrySize:] {
		t.entries = append(t.entries, abortedTxn{
			pid: int64(be.Uint64(p[2:])), first: int64(be.Uint64(p[10:])),
			last: int64(be.Uint64(p[18:])), lso: int64(be.Uint64(p[26:])),
		})
	}
	return nil
}

func (t *txnIndex) append(e abortedTxn) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.loadLocked(); err != nil {
		return err
	}
	if t.f == nil {
		f, err := os.OpenFile(t.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		t.f = f
	}
	var b [txnEntrySize]byte
	be.PutUint64(b[2:], uint64(e.pid))
	be.PutUint64(b[10:], uint64(e.first))
	be.PutUint64(b[18:], uint64(e.last))
	be.PutUint64(b[26:], uint64(e.lso))
	if _, err := t.f.Write(b[:]); err != nil {
		return err
	}
	t.entries = append(t.entries, e)
	return nil
}

// truncateTo drops entries whose marker is at or after offset.
func (t *txnIndex) truncateTo(offset int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.loadLocked(); err != nil {
		return err
	}
	n := len(t.entries)
	for n > 0 && t.entries[n-1].last >= offset {
		n--
	}
	if n == len(t.entries) {
		return nil
	}
	t.entries = t.entries[:n]
	if err := os.Truncate(t.path, int64(n*txnEntrySize)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// collect appends aborted transactions overlapping [start, upper); complete reports that no later
// segment can hold more (an entry's LSO reached upper).
func (t *txnIndex) collect(dst []AbortedTxn, start, upper int64) ([]AbortedTxn, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.loadLocked() != nil {
		return dst, false
	}
	for _, e := range t.entries {
		if e.last >= start && e.first < upper {
			dst = append(dst, AbortedTxn{ProducerID: e.pid, FirstOffset: e.first})
		}
		if e.lso >= upper {
			return dst, true
		}
	}
	return dst, false
}

func (t *txnIndex) flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		return nil
	}
	return t.f.Sync()
}

func (t *txnIndex) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
}
