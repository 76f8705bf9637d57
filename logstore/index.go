package logstore

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// mmapIndex is AbstractIndex: a memory-mapped file of fixed-size entries. The writer fills
// entries past the published count and then publishes it, so lookups from readers need no lock;
// remapping (resize/trim/close) happens only under the log's segment-list write lock.
type mmapIndex struct {
	path      string
	f         *os.File
	entrySize int
	data      []byte
	entries   atomic.Int32
	maxEnt    int
	// lifeMu orders remaps and closes against the asynchronous msync of a flush.
	lifeMu  sync.Mutex
	fileLen int64 // length found at open, for the sanity check
}

// openIndex opens or creates an index file. When active, the file is grown (sparsely) to maxBytes
// rounded down to a whole number of entries so appends never need to remap.
func (idx *mmapIndex) open(path string, entrySize int, maxBytes int, active bool) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	idx.path, idx.f, idx.entrySize = path, f, entrySize
	idx.fileLen = st.Size()
	n := int(st.Size()) / entrySize
	idx.entries.Store(int32(n))
	size := n * entrySize
	if active {
		size = roundDown(maxBytes, entrySize)
		if size < n*entrySize {
			size = n * entrySize
		}
	}
	if err := idx.remap(size); err != nil {
		f.Close()
		return err
	}
	return nil
}

func roundDown(n, m int) int { return n / m * m }

func (x *mmapIndex) remap(size int) error {
	x.lifeMu.Lock()
	defer x.lifeMu.Unlock()
	if x.data != nil {
		if err := unix.Munmap(x.data); err != nil {
			return fmt.Errorf("logstore: munmap %s: %w", x.path, err)
		}
		x.data = nil
	}
	if err := x.f.Truncate(int64(size)); err != nil {
		return err
	}
	x.maxEnt = size / x.entrySize
	if size == 0 {
		return nil
	}
	d, err := unix.Mmap(int(x.f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("logstore: mmap %s: %w", x.path, err)
	}
	x.data = d
	return nil
}

func (x *mmapIndex) count() int   { return int(x.entries.Load()) }
func (x *mmapIndex) isFull() bool { return x.count() >= x.maxEnt }

// trim shrinks the file to the entries actually written (Kafka's trimToValidSize).
func (x *mmapIndex) trim() error { return x.remap(x.count() * x.entrySize) }

// resize grows the file back for an active segment.
func (x *mmapIndex) resize(maxBytes int) error {
	size := roundDown(maxBytes, x.entrySize)
	if size < x.count()*x.entrySize {
		size = x.count() * x.entrySize
	}
	return x.remap(size)
}

func (x *mmapIndex) truncateEntries(n int) {
	if n < x.count() {
		x.entries.Store(int32(n))
	}
}

func (x *mmapIndex) flush() error {
	x.lifeMu.Lock()
	defer x.lifeMu.Unlock()
	if x.data == nil {
		return nil
	}
	return unix.Msync(x.data, unix.MS_SYNC)
}

func (x *mmapIndex) close() error {
	x.lifeMu.Lock()
	defer x.lifeMu.Unlock()
	var err error
	if x.data != nil {
		err = unix.Munmap(x.data)
		x.data = nil
	}
	if e := x.f.Close(); err == nil {
		err = e
	}
	return err
}

func (x *mmapIndex) closeAndTrim() error {
	if err := x.trim(); err != nil {
		x.close()
		return err
	}
	return x.close()
}

// offsetIndex is OffsetIndex: entries of (int32 offset relative to base, int32 position).
type offsetIndex struct {
	mmapIndex
	base int64
}

const offsetEntrySize = 8

func openOffsetIndex(path string, base int64, maxBytes int, active bool) (*offsetIndex, error) {
	o := &offsetIndex{base: base}
	if err := o.open(path, offsetEntrySize, maxBytes, active); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *offsetIndex) entry(i int) (int64, int64) {
	p := o.data[i*offsetEntrySize:]
	return o.base + int64(int32(be.Uint32(p))), int64(int32(be.Uint32(p[4:])))
}

func (o *offsetIndex) lastEntry() (int64, int64) {
	n := o.count()
	if n == 0 {
		return o.base, 0
	}
	return o.entry(n - 1)
}

// append adds (offset, position); callers guarantee offsets increase.
func (o *offsetIndex) append(offset int64, pos int64) bool {
	n := o.count()
	if n >= o.maxEnt {
		return false
	}
	if n > 0 {
		if last, _ := o.entry(n - 1); offset <= last {
			return false
		}
	}
	p := o.data[n*offsetEntrySize:]
	be.PutUint32(p, uint32(offset-o.base))
	be.PutUint32(p[4:], uint32(pos))
	o.entries.Store(int32(n + 1))
	return true
}

// lookup binary-searches the greatest entry whose offset is <= target; (base, 0) if none.
func (o *offsetIndex) lookup(target int64) (int64, int64) {
	n := o.count()
	rel := target - o.base
	lo, hi := 0, n-1
	found := -1
	for lo <= hi {
		mid := int(uint(lo+hi) >> 1)
		v := int64(int32(be.Uint32(o.data[mid*offsetEntrySize:])))
		if v <= rel {
			found = mid
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	if found < 0 {
		return o.base, 0
	}
	return o.entry(found)
}

// lastBatchWithin returns the position of the last indexed batch that starts at or below maxPos
// and ends below maxOffset; both columns increase, so the matching entries form a prefix.
func (o *offsetIndex) lastBatchWithin(maxPos, maxOffset int64) (int64, bool) {
	n := o.count()
	lo, hi := 0, n-1
	found := -1
	relMax := maxOffset - o.base
	for lo <= hi {
		mid := int(uint(lo+hi) >> 1)
		e := o.data[mid*offsetEntrySize:]
		rel := int64(int32(be.Uint32(e)))
		pos := int64(int32(be.Uint32(e[4:])))
		if pos <= maxPos && rel < relMax {
			found = mid
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	if found < 0 {
		return 0, false
	}
	_, pos := o.entry(found)
	return pos, true
}

// truncateToPosition drops entries pointing at or after pos.
func (o *offsetIndex) truncateToPosition(pos int64) {
	n := o.count()
	for n > 0 {
		if _, p := o.entry(n - 1); p < pos {
			break
		}
		n--
	}
	o.truncateEntries(n)
}

// sane is OffsetIndex.sanityCheck.
func (o *offsetIndex) sane() bool {
	if o.fileLen%offsetEntrySize != 0 {
		return false
	}
	n := o.count()
	if n == 0 {
		return true
	}
	last, _ := o.entry(n - 1)
	if last < o.base {
		return false
	}
	// Entries strictly increase; an untrimmed file left by a crash reads as trailing zero entries.
	first, _ := o.entry(0)
	return n == 1 || last > first
}

// timeIndex is TimeIndex: entries of (int64 timestamp, int32 relative offset).
type timeIndex struct {
	mmapIndex
	base int64
}

const timeEntrySize = 12

func openTimeIndex(path string, base int64, maxBytes int, active bool) (*timeIndex, error) {
	t := &timeIndex{base: base}
	if err := t.open(path, timeEntrySize, maxBytes, active); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *timeIndex) entry(i int) (int64, int64) {
	p := t.data[i*timeEntrySize:]
	return int64(be.Uint64(p)), t.base + int64(int32(be.Uint32(p[8:])))
}

// lastEntry returns (-1, base) when empty, like TimeIndex.lastEntry.
func (t *timeIndex) lastEntry() (int64, int64) {
	n := t.count()
	if n == 0 {
		return -1, t.base
	}
	return t.entry(n - 1)
}

// isFull reserves the last slot for the entry written when the segment rolls.
func (t *timeIndex) isFull() bool { return t.count() >= t.maxEnt-1 }

// maybeAppend adds (ts, offset) if ts is larger than the last entry's timestamp.
func (t *timeIndex) maybeAppend(ts, offset int64, skipFullCheck bool) {
	n := t.count()
	if !skipFullCheck && t.isFull() {
		return
	}
	if n >= t.maxEnt {
		return
	}
	if n > 0 {
		lts, loff := t.entry(n - 1)
		if ts <= lts || offset < loff {
			return
		}
	}
	p := t.data[n*timeEntrySize:]
	be.PutUint64(p, uint64(ts))
	be.PutUint32(p[8:], uint32(offset-t.base))
	t.entries.Store(int32(n + 1))
}

// lookup returns the entry with the greatest timestamp <= ts, or (-1, base).
func (t *timeIndex) lookup(ts int64) (int64, int64) {
	n := t.count()
	lo, hi := 0, n-1
	found := -1
	for lo <= hi {
		mid := int(uint(lo+hi) >> 1)
		v := int64(be.Uint64(t.data[mid*timeEntrySize:]))
		if v <= ts {
			found = mid
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	if found < 0 {
		return -1, t.base
	}
	return t.entry(found)
}

// truncateToOffset drops entries whose offset is >= offset.
func (t *timeIndex) truncateToOffset(offset int64) {
	n := t.count()
	for n > 0 {
		if _, o := t.entry(n - 1); o < offset {
			break
		}
		n--
	}
	t.truncateEntries(n)
}

func (t *timeIndex) sane() bool {
	if t.fileLen%timeEntrySize != 0 {
		return false
	}
	n := t.count()
	if n == 0 {
		return true
	}
	lastTs, off := t.entry(n - 1)
	if off < t.base {
		return false
	}
	firstTs, _ := t.entry(0)
	return n == 1 || lastTs > firstTs
}
