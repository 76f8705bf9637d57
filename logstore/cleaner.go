package logstore

import (
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// This file is Kafka's Cleaner (LogCleaner.scala) and OffsetMap: the per-log work of one
// compaction pass. The scheduling side (LogCleanerManager) is in cleaner_manager.go.
//
// Deliberate simplifications, all on the side of keeping data:
//   - transactional and control batches are copied unchanged and never feed the offset map, so an
//     aborted write can never shadow an earlier committed value (Kafka tracks aborted
//     transactions to drop them; we keep them);
//   - rewritten batches keep the original firstTimestamp so record bytes can be copied verbatim
//     (their deltas stay valid); maxTimestamp is recomputed from the retained records.

const (
	cleanedFileSuffix = ".cleaned"
	swapFileSuffix    = ".swap"
)

var errCleaningAborted = errors.New("logstore: log cleaning aborted")

// cleanerSwapHook lets tests capture the .swap state, the point a crash would have to hit.
var cleanerSwapHook func(dir string, base int64)

// offsetMap is SkimpyOffsetMap: key hash (MD5, Kafka's default) -> last offset seen.
type offsetMap struct {
	m        map[[md5.Size]byte]int64
	capacity int // slots * load factor: how many keys fit before the map counts as full
	latest   int64
}

func newOffsetMap(capacity int) *offsetMap {
	if capacity < 1 {
		capacity = 1
	}
	return &offsetMap{m: make(map[[md5.Size]byte]int64), capacity: capacity, latest: -1}
}

func (o *offsetMap) clear() {
	o.m = make(map[[md5.Size]byte]int64)
	o.latest = -1
}

func (o *offsetMap) full() bool { return len(o.m) >= o.capacity }

func (o *offsetMap) put(key []byte, offset int64) {
	o.m[md5.Sum(key)] = offset
	if offset > o.latest {
		o.latest = offset
	}
}

// get returns -1 for a key that is not in the map.
func (o *offsetMap) get(key []byte) int64 {
	if v, ok := o.m[md5.Sum(key)]; ok {
		return v
	}
	return -1
}

func (o *offsetMap) updateLatest(offset int64) {
	if offset > o.latest {
		o.latest = offset
	}
}

func (o *offsetMap) utilization() float64 { return float64(len(o.m)) / float64(o.capacity) }

// cleanerRecord is one decoded record of a v2 batch; raw holds its bytes including the
// length prefix, so it can be copied into a rewritten batch unchanged.
type cleanerRecord struct {
	raw      []byte
	offset   int64
	ts       int64
	key      []byte
	hasKey   bool
	hasValue bool
}

// forEachRecord decodes the records of a batch (decompressing if needed).
func forEachRecord(batch []byte, fn func(r cleanerRecord) error) error {
	b := batchView(batch)
	p, err := decompressRecords(b.compression(), batch[batchHeaderSize:b.size()])
	if err != nil {
		return fmt.Errorf("%w: cannot decompress batch at offset %d: %v", ErrCorruptMessage, b.baseOffset(), err)
	}
	base, firstTs := b.baseOffset(), b.firstTimestamp()
	bad := func() error { return corruptf("malformed record in batch at offset %d", base) }
	for i := int32(0); i < b.recordsCount(); i++ {
		l, n := binary.Varint(p)
		if n <= 0 || l < 1 || int64(len(p)-n) < l {
			return bad()
		}
		raw := p[:n+int(l)]
		rec := p[n+1 : n+int(l)] // skip the attributes byte
		p = p[n+int(l):]
		var ok = true
		next := func() int64 {
			v, m := binary.Varint(rec)
			if m <= 0 {
				ok = false
				return 0
			}
			rec = rec[m:]
			return v
		}
		td := next()
		od := next()
		kl := next()
		if !ok || kl > int64(len(rec)) {
			return bad()
		}
		r := cleanerRecord{raw: raw, offset: base + od, ts: firstTs + td}
		if kl >= 0 {
			r.key, r.hasKey = rec[:kl], true
			rec = rec[kl:]
		}
		vl := next()
		if !ok || vl > int64(len(rec)) {
			return bad()
		}
		r.hasValue = vl >= 0
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// forEachBatch reads the batches of a segment's .log below end, CRC-checking each one. It uses
// only the file descriptor: the segment may be retired concurrently, which shows up as a read error.
func forEachBatch(s *segment, end int64, buf *[]byte, fn func(pos int64, batch []byte) error) error {
	var hdr [logOverhead]byte
	for pos := int64(0); pos+logOverhead <= end; {
		if _, err := s.log.ReadAt(hdr[:], pos); err != nil {
			return fmt.Errorf("logstore: reading %s at position %d: %w", s.logPath(), pos, err)
		}
		sz := int64(int32(be.Uint32(hdr[offBatchLength:]))) + logOverhead
		if sz < batchHeaderSize || pos+sz > end {
			return corruptf("log segment %s may be corrupt: batch size %d at position %d with %d bytes left", s.logPath(), sz, pos, end-pos)
		}
		if int64(cap(*buf)) < sz {
			*buf = make([]byte, sz)
		}
		b := (*buf)[:sz]
		if _, err := s.log.ReadAt(b, pos); err != nil {
			return fmt.Errorf("logstore: reading %s at position %d: %w", s.logPath(), pos, err)
		}
		if _, err := checkBatch(b); err != nil {
			return fmt.Errorf("logstore: segment %s position %d: %w", s.logPath(), pos, err)
		}
		if err := fn(pos, b); err != nil {
			return err
		}
		pos += sz
	}
	return nil
}

// segmentsInRange is Log.logSegments(from, to): the segment holding from (if any) and every
// later one whose base is below to.
func segmentsInRange(segs []*segment, from, to int64) []*segment {
	var out []*segment
	for i, s := range segs {
		if s.base >= to {
			break
		}
		if i+1 < len(segs) && segs[i+1].base <= from {
			continue
		}
		out = append(out, s)
	}
	return out
}

func (l *Log) segmentsSnapshot() []*segment {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	return append([]*segment(nil), l.segs...)
}

// logString is Log.toString, as the cleaner prints it.
func (l *Log) logString() string {
	return fmt.Sprintf("Log(dir=%s, topic=%s, partition=%d, highWatermark=%d, lastStableOffset=%d, logStartOffset=%d, logEndOffset=%d)",
		l.dir, l.tp.Topic, l.tp.Partition, l.HighWatermark(), l.LastStableOffset(), l.LogStartOffset(), l.LogEndOffset())
}

func javaDate(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("Mon Jan 02 15:04:05 MST 2006")
}

// cleanerStats is CleanerStats.
type cleanerStats struct {
	start, mapDone, end           time.Time
	bytesRead, bytesWritten       int64
	mapBytesRead, mapMessagesRead int64
	messagesRead, messagesWritten int64
	invalidMessagesRead           int64
	bufferUtilization             float64
}

func (s *cleanerStats) elapsedSecs() float64      { return s.end.Sub(s.start).Seconds() }
func (s *cleanerStats) elapsedIndexSecs() float64 { return s.mapDone.Sub(s.start).Seconds() }

// logToClean is LogToClean: a candidate with its dirty range and byte counts.
type logToClean struct {
	log              *Log
	firstDirty       int64
	firstUncleanable int64 // base offset of the first segment that must not be cleaned
	cleanBytes       int64
	cleanableBytes   int64
	needNow          bool
}

func (c *logToClean) totalBytes() int64 { return c.cleanBytes + c.cleanableBytes }
func (c *logToClean) ratio() float64 {
	if c.totalBytes() == 0 {
		return 0
	}
	return float64(c.cleanableBytes) / float64(c.totalBytes())
}

// cleaner is Cleaner: it owns the offset map and does one log at a time.
type cleaner struct {
	id        int
	om        *offsetMap
	logger    zerolog.Logger
	checkDone func(l *Log) error
	buf       []byte
}

func (c *cleaner) infof(format string, args ...interface{}) {
	c.logger.Info().Msgf("Cleaner %d: "+format, append([]interface{}{c.id}, args...)...)
}

// clean is Cleaner.clean: returns the first offset not cleaned (the new checkpoint).
func (c *cleaner) clean(ltc *logToClean) (int64, *cleanerStats, error) {
	l := ltc.log
	cfg := l.cfg.Load()
	segs := l.segmentsSnapshot()
	gen := l.truncGen.Load()
	// Tombstones may go once they sit deleteRetentionMs below the last already-clean segment.
	deleteHorizon := int64(0)
	if clean := segmentsInRange(segs, 0, ltc.firstDirty); len(clean) > 0 {
		deleteHorizon = clean[len(clean)-1].lastModified() - cfg.cfg.DeleteRetentionMs
	}
	c.infof("Beginning cleaning of log %s.", l.tp)
	stats := &cleanerStats{start: time.Now()}
	c.infof("Building offset map for %s...", l.tp)
	if err := c.buildOffsetMap(l, segs, ltc.firstDirty, ltc.firstUncleanable, stats); err != nil {
		return ltc.firstDirty, stats, err
	}
	endOffset := c.om.latest + 1
	stats.mapDone = time.Now()

	cleanableHorizon := int64(0)
	if r := segmentsInRange(segs, 0, ltc.firstUncleanable); len(r) > 0 {
		cleanableHorizon = r[len(r)-1].lastModified()
	}
	c.infof("Cleaning log %s (cleaning prior to %s, discarding tombstones prior to %s)...", l.tp, javaDate(cleanableHorizon), javaDate(deleteHorizon))

	// Batches holding an active producer's last sequence stay (possibly emptied) so that
	// duplicate detection survives a rebuild of producer state from the log.
	l.mu.Lock()
	lastData := make(map[int64]int64, len(l.ps.producers))
	for pid, e := range l.ps.producers {
		if off := e.lastDataOffset(); off >= 0 {
			lastData[pid] = off
		}
	}
	l.mu.Unlock()

	groups := groupSegmentsBySize(segmentsInRange(segs, 0, endOffset), int64(cfg.segmentBytes), int64(cfg.indexBytes), ltc.firstUncleanable)
	for _, g := range groups {
		if err := c.cleanSegments(l, g, deleteHorizon, gen, lastData, stats); err != nil {
			return ltc.firstDirty, stats, err
		}
	}
	stats.bufferUtilization = c.om.utilization()
	stats.end = time.Now()
	return endOffset, stats, nil
}

// buildOffsetMap is Cleaner.buildOffsetMap over the dirty segments [start, end).
func (c *cleaner) buildOffsetMap(l *Log, segs []*segment, start, end int64, stats *cleanerStats) error {
	c.om.clear()
	dirty := segmentsInRange(segs, start, end)
	c.infof("Building offset map for log %s for %d segments in offset range [%d, %d).", l.tp, len(dirty), start, end)
	for i, s := range dirty {
		next := end
		if i+1 < len(dirty) {
			next = dirty[i+1].base
		}
		full := false
		n := 0
		err := forEachBatch(s, s.size.Load(), &c.buf, func(_ int64, batch []byte) error {
			if n++; n%64 == 0 {
				if err := c.checkDone(l); err != nil {
					return err
				}
			}
			b := batchView(batch)
			stats.mapBytesRead += int64(len(batch))
			if b.lastOffset() < start {
				return nil
			}
			// Transactional data may still be aborted: it must never shadow an older value.
			if !b.isControl() && !b.isTransactional() {
				err := forEachRecord(batch, func(r cleanerRecord) error {
					stats.mapMessagesRead++
					if r.hasKey && r.offset >= start {
						if c.om.full() {
							full = true
							return errMapFull
						}
						c.om.put(r.key, r.offset)
					}
					return nil
				})
				if errors.Is(err, errMapFull) {
					return err
				}
				if err != nil {
					return err
				}
			}
			c.om.updateLatest(b.lastOffset())
			return nil
		})
		if full {
			c.logger.Debug().Msgf("Cleaner %d: Offset map is full, %d segments fully mapped, segment with base offset %d is partially mapped", c.id, i, s.base)
			break
		}
		if err != nil {
			return err
		}
		c.om.updateLatest(next - 1)
	}
	c.infof("Offset map for log %s complete.", l.tp)
	return nil
}

var errMapFull = errors.New("logstore: offset map full")

// groupSegmentsBySize is Cleaner.groupSegmentsBySize: consecutive segments whose data and index
// sizes each fit the limits and whose offsets fit one segment's 32-bit relative range.
func groupSegmentsBySize(segs []*segment, maxSize, maxIndexSize, firstUncleanable int64) [][]*segment {
	var groups [][]*segment
	for len(segs) > 0 {
		group := []*segment{segs[0]}
		logSize := segs[0].size.Load()
		idxSize := int64(segs[0].oi.count() * offsetEntrySize)
		tiSize := int64(segs[0].ti.count() * timeEntrySize)
		segs = segs[1:]
		for len(segs) > 0 {
			h := segs[0]
			lastOff := firstUncleanable - 1
			if len(segs) > 1 {
				lastOff = segs[1].base - 1
			}
			hi := int64(h.oi.count() * offsetEntrySize)
			ht := int64(h.ti.count() * timeEntrySize)
			if logSize+h.size.Load() > maxSize || idxSize+hi > maxIndexSize || tiSize+ht > maxIndexSize ||
				lastOff-group[len(group)-1].base > math.MaxInt32 {
				break
			}
			group = append(group, h)
			logSize += h.size.Load()
			idxSize += hi
			tiSize += ht
			segs = segs[1:]
		}
		groups = append(groups, group)
	}
	return groups
}

func removeSegmentFiles(dir string, base int64, suffix string) {
	for _, suf := range []string{".log", ".index", ".timeindex", ".txnindex"} {
		os.Remove(segmentFileName(dir, base, suf+suffix))
	}
}

// cleanSegments is Cleaner.cleanSegments: the group is rewritten into <base>.log.cleaned (with
// indexes), flushed, and swapped in for the group.
func (c *cleaner) cleanSegments(l *Log, group []*segment, deleteHorizon, gen int64, lastData map[int64]int64, stats *cleanerStats) error {
	cfg := l.cfg.Load()
	base := group[0].base
	removeSegmentFiles(l.dir, base, cleanedFileSuffix)
	cleaned, err := openSegmentSuffix(l.dir, base, cfg.segConfig(), true, l.now(), cleanedFileSuffix)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			suffix := cleaned.suffix
			cleaned.closeNoTrim()
			removeSegmentFiles(l.dir, base, suffix)
		}
	}()
	for _, s := range group {
		retainDeletes := s.lastModified() > deleteHorizon
		verb := "discarding"
		if retainDeletes {
			verb = "retaining"
		}
		c.infof("Cleaning %s in log %s into %d with deletion horizon %d, %s deletes.", s, l.tp, base, deleteHorizon, verb)
		if err := c.cleanInto(l, s, cleaned, retainDeletes, lastData, stats); err != nil {
			return err
		}
		// Aborted-transaction entries follow their (always retained) markers.
		s.txn.mu.Lock()
		err := s.txn.loadLocked()
		entries := append([]abortedTxn(nil), s.txn.entries...)
		s.txn.mu.Unlock()
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := cleaned.txn.append(e); err != nil {
				return err
			}
		}
	}
	if err := cleaned.onBecomeInactive(); err != nil {
		return err
	}
	if err := cleaned.flush(); err != nil {
		return err
	}
	// Keep the group's modification time: it drives the tombstone and compaction-lag horizons.
	if mt := group[len(group)-1].lastModified(); mt > 0 {
		t := time.UnixMilli(mt)
		os.Chtimes(cleaned.logPath(), t, t)
	}
	c.infof("Swapping in cleaned segment %s for segment(s) List(%s) in log %s", cleaned, segmentListSep(group, ", "), l.logString())
	if err := l.replaceSegments(cleaned, group, gen); err != nil {
		return err
	}
	ok = true
	return nil
}

func segmentListSep(segs []*segment, sep string) string {
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = s.String()
	}
	return strings.Join(parts, sep)
}

// cleanInto is Cleaner.cleanInto for one source segment.
func (c *cleaner) cleanInto(l *Log, src, dest *segment, retainDeletes bool, lastData map[int64]int64, stats *cleanerStats) error {
	n := 0
	var kept [][]byte
	return forEachBatch(src, src.size.Load(), &c.buf, func(_ int64, batch []byte) error {
		if n++; n%64 == 0 {
			if err := c.checkDone(l); err != nil {
				return err
			}
		}
		b := batchView(batch)
		stats.bytesRead += int64(len(batch))
		if b.isControl() || b.isTransactional() {
			stats.messagesRead += int64(b.recordsCount())
			stats.messagesWritten += int64(b.recordsCount())
			stats.bytesWritten += int64(len(batch))
			return dest.append(batch, b.lastOffset(), b.maxTimestamp(), b.lastOffset())
		}
		kept = kept[:0]
		total := 0
		maxTs := int64(-1)
		err := forEachRecord(batch, func(r cleanerRecord) error {
			total++
			if c.shouldRetain(r, retainDeletes, stats) {
				kept = append(kept, r.raw)
				if r.ts > maxTs {
					maxTs = r.ts
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		stats.messagesRead += int64(total)
		var out []byte
		switch {
		case len(kept) == total && total > 0:
			out = batch
		case len(kept) > 0:
			if b.logAppendTime() {
				maxTs = b.maxTimestamp()
			}
			if out, err = rebuildBatch(batch, kept, maxTs); err != nil {
				return err
			}
		case b.producerID() >= 0 && lastData[b.producerID()] == b.lastOffset():
			out = emptyBatchLike(b)
		default:
			return nil
		}
		stats.messagesWritten += int64(len(kept))
		stats.bytesWritten += int64(len(out))
		ob := batchView(out)
		return dest.append(out, ob.lastOffset(), ob.maxTimestamp(), ob.lastOffset())
	})
}

// shouldRetain is Cleaner.shouldRetainRecord.
func (c *cleaner) shouldRetain(r cleanerRecord, retainDeletes bool, stats *cleanerStats) bool {
	if r.offset > c.om.latest {
		return true
	}
	if !r.hasKey {
		stats.invalidMessagesRead++
		return false
	}
	return r.offset >= c.om.get(r.key) && (r.hasValue || retainDeletes)
}

// rebuildBatch writes a v2 batch holding the kept records of orig. Base offset, last offset
// delta (so the producer's last sequence survives), producer fields, leader epoch, attributes
// and first timestamp are the original's; records are recompressed with the batch's codec.
func rebuildBatch(orig []byte, records [][]byte, maxTs int64) ([]byte, error) {
	b := batchView(orig)
	var raw []byte
	for _, r := range records {
		raw = append(raw, r...)
	}
	body, err := compressRecords(b.compression(), raw)
	if err != nil {
		return nil, err
	}
	out := make([]byte, batchHeaderSize+len(body))
	copy(out, orig[:batchHeaderSize])
	copy(out[batchHeaderSize:], body)
	be.PutUint32(out[offBatchLength:], uint32(len(out)-logOverhead))
	be.PutUint64(out[offMaxTimestamp:], uint64(maxTs))
	be.PutUint32(out[offRecordsCount:], uint32(len(records)))
	be.PutUint32(out[offCRC:], batchView(out).computeCRC())
	return out, nil
}

// emptyBatchLike is DefaultRecordBatch.writeEmptyHeader for orig: no records, same offsets,
// producer fields and flags, uncompressed, both timestamps set to orig's max timestamp.
func emptyBatchLike(b batchView) []byte {
	out := make([]byte, batchHeaderSize)
	copy(out, b[:batchHeaderSize])
	be.PutUint32(out[offBatchLength:], uint32(batchHeaderSize-logOverhead))
	attrs := uint16(b.attributes()) &^ attrCompressionMask
	be.PutUint16(out[offAttributes:], attrs)
	be.PutUint64(out[offFirstTimestamp:], uint64(b.maxTimestamp()))
	be.PutUint32(out[offRecordsCount:], 0)
	be.PutUint32(out[offCRC:], batchView(out).computeCRC())
	return out
}

// replaceSegments is Log.replaceSegments for one cleaned segment: .cleaned -> .swap, the old
// files -> .deleted, .swap -> the real name, all under the log's locks. Readers that already hold
// an old segment keep reading its (renamed, still open) file until the delayed delete.
func (l *Log) replaceSegments(cleaned *segment, old []*segment, gen int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() || l.truncGen.Load() != gen {
		return errCleaningAborted
	}
	l.segMu.RLock()
	idx := -1
	for i, s := range l.segs {
		if s == old[0] {
			idx = i
			break
		}
	}
	okList := idx >= 0 && idx+len(old) <= len(l.segs)
	if okList {
		for j, s := range old {
			if l.segs[idx+j] != s || s == l.active {
				okList = false
				break
			}
		}
	}
	l.segMu.RUnlock()
	if !okList {
		// Retention or truncation changed the segment list while we were cleaning.
		return errCleaningAborted
	}
	if err := cleaned.changeSuffix(swapFileSuffix); err != nil {
		return err
	}
	syncDir(l.dir)
	if cleanerSwapHook != nil {
		cleanerSwapHook(l.dir, cleaned.base)
	}
	l.segMu.Lock()
	for _, s := range old {
		s.renameDeleted()
	}
	err := cleaned.changeSuffix("")
	if err == nil {
		segs := make([]*segment, 0, len(l.segs)-len(old)+1)
		segs = append(segs, l.segs[:idx]...)
		segs = append(segs, cleaned)
		segs = append(segs, l.segs[idx+len(old):]...)
		l.segs = segs
	}
	l.segMu.Unlock()
	syncDir(l.dir)
	if err != nil {
		// The old segments stay in use (their files are open); the next startup completes the swap.
		return fmt.Errorf("logstore: completing swap of %s: %w", cleaned.logPath(), err)
	}
	l.scheduleDeleteRenamed(old, time.Duration(l.cfg.Load().deleteDelayMs)*time.Millisecond)
	return nil
}

// completeSwaps finishes cleaner swaps interrupted by a crash (Log.completeSwapOperations): each
// <base>.log.swap replaces the segments it was cleaned from — those whose base lies in
// [base, next offset of the swap) — and is renamed to <base>.log. Its indexes are rebuilt by the
// normal load path because they are missing. logs is updated in place.
func (l *Log) completeSwaps(logs map[int64]bool, swaps []int64) {
	for _, base := range swaps {
		swapPath := segmentFileName(l.dir, base, ".log"+swapFileSuffix)
		l.logger.Info().Msgf("%sFound log file %s from interrupted swap operation, repairing.", l.prefix, swapPath)
		next, err := swapNextOffset(swapPath, base)
		if err != nil {
			l.logger.Warn().Err(err).Msgf("%sCannot read swap file %s, deleting it", l.prefix, swapPath)
			removeSegmentFiles(l.dir, base, swapFileSuffix)
			continue
		}
		for b := range logs {
			if b == base || (b > base && b < next) {
				removeSegmentFiles(l.dir, b, "")
				delete(logs, b)
			}
		}
		removeSegmentFiles(l.dir, base, "") // stale indexes must not describe the new data
		os.Remove(segmentFileName(l.dir, base, ".index"+swapFileSuffix))
		os.Remove(segmentFileName(l.dir, base, ".timeindex"+swapFileSuffix))
		if err := os.Rename(segmentFileName(l.dir, base, ".txnindex"+swapFileSuffix), segmentFileName(l.dir, base, ".txnindex")); err != nil && !errors.Is(err, os.ErrNotExist) {
			l.logger.Warn().Err(err).Msgf("%sCannot rename the transaction index of %s", l.prefix, swapPath)
		}
		if err := os.Rename(swapPath, segmentFileName(l.dir, base, ".log")); err != nil {
			l.logger.Error().Err(err).Msgf("%sCannot complete swap of %s", l.prefix, swapPath)
			continue
		}
		logs[base] = true
	}
	if len(swaps) > 0 {
		syncDir(l.dir)
	}
}

// swapNextOffset walks the valid batches of a swap file (truncating a torn tail) and returns the
// offset after the last one, or base when it holds none.
func swapNextOffset(path string, base int64) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	s := &segment{log: f, dir: filepath.Dir(path), base: base}
	next := base
	var buf []byte
	var pos int64
	err = forEachBatch(s, st.Size(), &buf, func(p int64, batch []byte) error {
		next = batchView(batch).lastOffset() + 1
		pos = p + int64(len(batch))
		return nil
	})
	if err != nil && pos < st.Size() {
		if terr := f.Truncate(pos); terr != nil {
			return 0, terr
		}
	}
	return next, nil
}

// parseSegmentBase reads the 20-digit base offset at the start of a segment file name.
func parseSegmentBase(name string) (int64, bool) {
	i := strings.IndexByte(name, '.')
	if i <= 0 {
		return 0, false
	}
	b, err := strconv.ParseInt(name[:i], 10, 64)
	return b, err == nil
}
