package logstore

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// segment is LogSegment: one .log file plus its .index and .timeindex.
type segment struct {
	base int64
	dir  string
	log  *os.File
	size atomic.Int64 // bytes readers may see
	oi   *offsetIndex
	ti   *timeIndex
	txn  *txnIndex

	// Writer-only state (guarded by Log.mu).
	bytesSinceIndex int64
	maxTs           atomic.Int64 // maxTimestampSoFar
	offMaxTs        int64
	rollingTs       int64 // max timestamp of the first batch; -2 = not loaded yet
	created         time.Time
	rollJitterMs    int64
	indexInterval   int64
	// suffix is appended to every file name while the segment is the cleaner's output
	// (".cleaned", then ".swap"); "" for live segments.
	suffix string
}

func segmentFileName(dir string, base int64, suffix string) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", base, suffix))
}

func (s *segment) logPath() string { return segmentFileName(s.dir, s.base, ".log"+s.suffix) }

func (s *segment) String() string {
	ts := s.maxTs.Load()
	lts := "None"
	if ts >= 0 {
		lts = fmt.Sprintf("Some(%d)", ts)
	}
	return fmt.Sprintf("LogSegment(baseOffset=%d, size=%d, lastModifiedTime=%d, largestRecordTimestamp=%s)",
		s.base, s.size.Load(), s.lastModified(), lts)
}

func (s *segment) lastModified() int64 {
	st, err := s.log.Stat()
	if err != nil {
		return 0
	}
	return st.ModTime().UnixMilli()
}

// largestTimestamp is what retention compares: the max record timestamp, else the file's mtime.
func (s *segment) largestTimestamp() int64 {
	if ts := s.maxTs.Load(); ts >= 0 {
		return ts
	}
	return s.lastModified()
}

// createSegment makes a new, empty active segment (stale files of the same name are replaced).
func createSegment(dir string, base int64, cfg *segConfig, now time.Time) (*segment, error) {
	for _, suf := range []string{".log", ".index", ".timeindex", ".txnindex"} {
		os.Remove(segmentFileName(dir, base, suf))
	}
	return openSegment(dir, base, cfg, true, now)
}

type segConfig struct {
	indexBytes    int
	indexInterval int64
	jitterMs      int64
}

func openSegment(dir string, base int64, cfg *segConfig, active bool, now time.Time) (*segment, error) {
	return openSegmentSuffix(dir, base, cfg, active, now, "")
}

func openSegmentSuffix(dir string, base int64, cfg *segConfig, active bool, now time.Time, suffix string) (*segment, error) {
	s := &segment{base: base, dir: dir, rollingTs: -2, created: now, indexInterval: cfg.indexInterval, suffix: suffix}
	s.maxTs.Store(-1)
	s.offMaxTs = base
	if cfg.jitterMs > 0 {
		s.rollJitterMs = randInt63n(cfg.jitterMs)
	}
	f, err := os.OpenFile(s.logPath(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	s.log = f
	s.size.Store(st.Size())
	s.txn = &txnIndex{path: segmentFileName(dir, base, ".txnindex"+suffix)}
	if s.oi, err = openOffsetIndex(segmentFileName(dir, base, ".index"+suffix), base, cfg.indexBytes, active); err != nil {
		f.Close()
		return nil, err
	}
	if s.ti, err = openTimeIndex(segmentFileName(dir, base, ".timeindex"+suffix), base, cfg.indexBytes, active); err != nil {
		s.oi.close()
		f.Close()
		return nil, err
	}
	return s, nil
}

// readHeader preads the first n header bytes of the batch at pos into buf.
func (s *segment) readHeader(buf []byte, pos int64) error {
	_, err := s.log.ReadAt(buf, pos)
	return err
}

// loadTail restores writer state of an existing segment from its indexes plus a header scan from
// the last offset-index entry (loadLargestTimestamp / readNextOffset). Returns the next offset.
func (s *segment) loadTail() (int64, error) {
	ts, off := s.ti.lastEntry()
	if ts >= 0 {
		s.maxTs.Store(ts)
		s.offMaxTs = off
	}
	_, pos := s.oi.lastEntry()
	next := s.base
	end := s.size.Load()
	var hdr [batchHeaderSize]byte
	for pos+batchHeaderSize <= end {
		if err := s.readHeader(hdr[:], pos); err != nil {
			return 0, err
		}
		b := batchView(hdr[:])
		sz := int64(b.size())
		if sz < batchHeaderSize || pos+sz > end {
			break
		}
		if mt := b.maxTimestamp(); mt > s.maxTs.Load() {
			s.maxTs.Store(mt)
			s.offMaxTs = b.lastOffset()
		}
		next = b.lastOffset() + 1
		pos += sz
	}
	return next, nil
}

// firstBatchTimestamp lazily loads the rolling timestamp of a segment opened from disk.
func (s *segment) rollingTimestamp() int64 {
	if s.rollingTs == -2 {
		s.rollingTs = -1
		if s.size.Load() >= batchHeaderSize {
			var hdr [batchHeaderSize]byte
			if s.readHeader(hdr[:], 0) == nil {
				s.rollingTs = batchView(hdr[:]).maxTimestamp()
			}
		}
	}
	return s.rollingTs
}

// shouldRoll is LogSegment.shouldRoll.
func (s *segment) shouldRoll(cfg *logConfigSnapshot, msgSize int64, maxTsInMsgs, lastOffset int64, nowMs int64) bool {
	size := s.size.Load()
	if size > int64(cfg.segmentBytes)-msgSize {
		return true
	}
	if size > 0 {
		var waited int64
		if rt := s.rollingTimestamp(); rt >= 0 {
			waited = maxTsInMsgs - rt
		} else {
			waited = nowMs - s.created.UnixMilli()
		}
		if waited > cfg.segmentMs-s.rollJitterMs {
			return true
		}
	}
	if s.oi.isFull() || s.ti.isFull() {
		return true
	}
	rel := lastOffset - s.base
	return rel < 0 || rel > math.MaxInt32
}

// append writes already-validated batches with one pwrite and maintains the sparse indexes.
func (s *segment) append(buf []byte, largestOffset, largestTs, offMaxTs int64) error {
	pos := s.size.Load()
	if pos == 0 {
		s.rollingTs = largestTs
	}
	if _, err := s.log.WriteAt(buf, pos); err != nil {
		return err
	}
	if largestTs > s.maxTs.Load() {
		s.maxTs.Store(largestTs)
		s.offMaxTs = offMaxTs
	}
	if s.bytesSinceIndex > s.indexInterval {
		s.oi.append(largestOffset, pos)
		s.ti.maybeAppend(s.maxTs.Load(), s.offMaxTs, false)
		s.bytesSinceIndex = 0
	}
	s.bytesSinceIndex += int64(len(buf))
	s.size.Store(pos + int64(len(buf)))
	return nil
}

// onBecomeInactive writes the final time-index entry and trims both indexes (roll).
func (s *segment) onBecomeInactive() error {
	s.ti.maybeAppend(s.maxTs.Load(), s.offMaxTs, true)
	if err := s.oi.trim(); err != nil {
		return err
	}
	return s.ti.trim()
}

func (s *segment) flush() error {
	if err := s.log.Sync(); err != nil {
		return err
	}
	if err := s.oi.flush(); err != nil {
		return err
	}
	if err := s.txn.flush(); err != nil {
		return err
	}
	return s.ti.flush()
}

// close trims indexes to their valid size (so the next open infers the right entry count).
func (s *segment) close() error {
	s.ti.maybeAppend(s.maxTs.Load(), s.offMaxTs, true)
	err := s.oi.closeAndTrim()
	if e := s.ti.closeAndTrim(); err == nil {
		err = e
	}
	s.txn.close()
	if e := s.log.Close(); err == nil {
		err = e
	}
	return err
}

func (s *segment) closeNoTrim() {
	s.txn.close()
	s.oi.close()
	s.ti.close()
	s.log.Close()
}

// renameDeleted moves the segment's files to *.deleted (asyncDeleteSegment's first step).
func (s *segment) renameDeleted() {
	for _, suf := range []string{".log", ".index", ".timeindex", ".txnindex"} {
		p := segmentFileName(s.dir, s.base, suf)
		if err := os.Rename(p, p+".deleted"); err != nil && !errors.Is(err, os.ErrNotExist) {
			continue
		}
	}
}

// removeDeletedFiles removes only the *.deleted names: by now a new segment (a cleaned
// replacement, or a fresh one after a full truncation) may own the plain names.
func (s *segment) removeDeletedFiles() {
	for _, suf := range []string{".log", ".index", ".timeindex", ".txnindex"} {
		os.Remove(segmentFileName(s.dir, s.base, suf) + ".deleted")
	}
}

// changeSuffix renames the segment's files from the current suffix to suffix (Kafka's
// changeFileSuffixes); open descriptors and mappings stay valid across the rename.
func (s *segment) changeSuffix(suffix string) error {
	for _, suf := range []string{".log", ".index", ".timeindex", ".txnindex"} {
		from := segmentFileName(s.dir, s.base, suf+s.suffix)
		to := segmentFileName(s.dir, s.base, suf+suffix)
		if err := os.Rename(from, to); err != nil && !(suf == ".txnindex" && errors.Is(err, os.ErrNotExist)) {
			return err
		}
	}
	s.oi.path = segmentFileName(s.dir, s.base, ".index"+suffix)
	s.ti.path = segmentFileName(s.dir, s.base, ".timeindex"+suffix)
	s.txn.mu.Lock()
	s.txn.path = segmentFileName(s.dir, s.base, ".txnindex"+suffix)
	s.txn.mu.Unlock()
	s.suffix = suffix
	return nil
}

// findBatch returns the position and header of the first batch at or after startPos whose last
// offset is >= target, scanning headers no further than end. ok=false if none.
func (s *segment) findBatch(target int64, startPos, end int64, hdr []byte) (int64, bool, error) {
	pos := startPos
	for pos+logOverhead <= end {
		if err := s.readHeader(hdr[:headerPrefix], pos); err != nil {
			if errors.Is(err, io.EOF) {
				return 0, false, nil
			}
			return 0, false, err
		}
		b := batchView(hdr)
		sz := int64(b.size())
		if sz < batchHeaderSize {
			return 0, false, corruptf("batch at position %d of %s has size %d", pos, s.logPath(), sz)
		}
		if b.lastOffset() >= target {
			return pos, true, nil
		}
		pos += sz
	}
	return 0, false, nil
}

// truncateTo removes every batch from the one containing offset onwards and returns the next
// offset after what remains (offset itself when nothing had to go).
func (s *segment) truncateTo(offset int64) (int64, error) {
	var hdr [batchHeaderSize]byte
	_, startPos := s.oi.lookup(offset)
	end := s.size.Load()
	pos, ok, err := s.findBatch(offset, startPos, end, hdr[:])
	if err != nil {
		return 0, err
	}
	if !ok {
		return offset, nil
	}
	if err := s.log.Truncate(pos); err != nil {
		return 0, err
	}
	s.size.Store(pos)
	s.oi.truncateToPosition(pos)
	s.ti.truncateToOffset(batchView(hdr[:]).baseOffset())
	if err := s.txn.truncateTo(batchView(hdr[:]).baseOffset()); err != nil {
		return 0, err
	}
	s.bytesSinceIndex = 0
	if pos == 0 {
		s.rollingTs = -1
	}
	// Recompute the max timestamp from what remains.
	s.maxTs.Store(-1)
	s.offMaxTs = s.base
	next, err := s.loadTail()
	if err != nil {
		return 0, err
	}
	if next > offset {
		next = offset
	}
	return next, nil
}
