package logstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
)

type epochEntry struct {
	epoch       int32
	startOffset int64
}

// epochCache is LeaderEpochFileCache: ordered (epoch, startOffset) pairs persisted after every change.
type epochCache struct {
	mu      sync.RWMutex
	path    string
	entries []epochEntry
}

func loadEpochCache(path string) (*epochCache, error) {
	c := &epochCache{path: path}
	lines, err := readCheckpointLines(path, 2)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	for _, f := range lines {
		e, err1 := strconv.ParseInt(f[0], 10, 32)
		o, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("logstore: malformed line in checkpoint file (%s): %q %q", path, f[0], f[1])
		}
		c.entries = append(c.entries, epochEntry{int32(e), o})
	}
	return c, nil
}

func (c *epochCache) format() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "0\n%d\n", len(c.entries))
	for _, e := range c.entries {
		fmt.Fprintf(&b, "%d %d\n", e.epoch, e.startOffset)
	}
	return b.Bytes()
}

func (c *epochCache) flushLocked() error { return writeFileAtomic(c.path, c.format()) }

// assign follows LeaderEpochFileCache.assign: a repeat of the latest epoch is ignored, otherwise
// entries that would conflict (epoch >= new or start >= new) are dropped before appending.
func (c *epochCache) assign(epoch int32, start int64) error {
	if epoch < 0 || start < 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.entries); n > 0 {
		last := c.entries[n-1]
		if last.epoch == epoch && start >= last.startOffset {
			return nil
		}
	}
	i := len(c.entries)
	for i > 0 && (c.entries[i-1].epoch >= epoch || c.entries[i-1].startOffset >= start) {
		i--
	}
	c.entries = append(c.entries[:i], epochEntry{epoch, start})
	return c.flushLocked()
}

func (c *epochCache) latestEpoch() int32 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.entries) == 0 {
		return -1
	}
	return c.entries[len(c.entries)-1].epoch
}

// endOffsetFor follows LeaderEpochFileCache.endOffsetFor.
func (c *epochCache) endOffsetFor(requested int32, leo int64) (int32, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := len(c.entries)
	if requested < 0 || n == 0 {
		return -1, -1
	}
	latest := c.entries[n-1]
	if requested == latest.epoch {
		return requested, leo
	}
	if requested > latest.epoch {
		return -1, -1
	}
	if requested < c.entries[0].epoch {
		return requested, c.entries[0].startOffset
	}
	for i := n - 1; i >= 0; i-- {
		if c.entries[i].epoch <= requested {
			return c.entries[i].epoch, c.entries[i+1].startOffset
		}
	}
	return -1, -1
}

// truncateFromEnd drops entries starting at or after endOffset (log truncation).
func (c *epochCache) truncateFromEnd(endOffset int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := len(c.entries)
	for i > 0 && c.entries[i-1].startOffset >= endOffset {
		i--
	}
	if i == len(c.entries) {
		return nil
	}
	c.entries = c.entries[:i]
	return c.flushLocked()
}

// truncateFromStart moves the log start into the cache: entries entirely below startOffset go and
// the one covering it is re-based to startOffset.
func (c *epochCache) truncateFromStart(startOffset int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := 0
	for i < len(c.entries) && c.entries[i].startOffset <= startOffset {
		i++
	}
	if i == 0 {
		return nil
	}
	keep := c.entries[i-1]
	if keep.startOffset == startOffset && i == 1 {
		return nil
	}
	keep.startOffset = startOffset
	rest := append([]epochEntry{keep}, c.entries[i:]...)
	c.entries = rest
	return c.flushLocked()
}

func (c *epochCache) clear() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
	return c.flushLocked()
}

func (c *epochCache) snapshot() []epochEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]epochEntry(nil), c.entries...)
}
