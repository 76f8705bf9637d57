package logstore

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/kafka-classic/kafka-classic/config"
)

type loadParams struct {
	dir           string
	parent        string
	tp            TopicPartition
	cfg           config.Log
	recoveryPoint int64
	logStart      int64 // -1 when not checkpointed
	hw            int64 // -1 when not checkpointed
	clean         bool
	now           func() time.Time
	logger        zerolog.Logger
}

func newLogStruct(p loadParams) *Log {
	l := &Log{tp: p.tp, dir: p.dir, parent: p.parent, now: p.now}
	l.prefix = fmt.Sprintf("[Log partition=%s, dir=%s] ", p.tp, p.parent)
	l.logger = p.logger.With().Str("partition", p.tp.String()).Str("dir", p.parent).Logger()
	l.cfg.Store(digestConfig(p.cfg))
	l.ps = newProducerState(p.dir)
	l.lastFlushMs.Store(p.now().UnixMilli())
	return l
}

// loadLog is Log's constructor: loadSegments + recoverLog + producer state + epoch cache.
func loadLog(p loadParams) (*Log, error) {
	start := time.Now()
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return nil, err
	}
	l := newLogStruct(p)
	cfg := l.cfg.Load()
	var err error
	if l.epochs, err = loadEpochCache(filepath.Join(p.dir, leaderEpochCheckpointFile)); err != nil {
		return nil, err
	}
	if id, ok, err := readPartitionMetadata(filepath.Join(p.dir, partitionMetadataFile)); err != nil {
		return nil, err
	} else if ok {
		l.topicID, l.hasTopicID = id, true
	}

	bases, err := l.cleanDirAndListSegments()
	if err != nil {
		return nil, err
	}
	for i, base := range bases {
		active := i == len(bases)-1
		missing := false
		for _, suf := range []string{".index", ".timeindex"} {
			if _, err := os.Stat(segmentFileName(p.dir, base, suf)); err != nil {
				missing = true
			}
		}
		s, err := openSegment(p.dir, base, cfg.segConfig(), active, p.now())
		if err != nil {
			l.closeSegments()
			return nil, err
		}
		l.segs = append(l.segs, s)
		if ts, off := s.ti.lastEntry(); ts >= 0 {
			s.maxTs.Store(ts)
			s.offMaxTs = off
		}
		// Segments the unclean-shutdown recovery will scan anyway need no separate rebuild.
		willRecover := !p.clean && (active || bases[i+1] > p.recoveryPoint)
		_, lastPos := s.oi.lastEntry()
		if willRecover {
			continue
		}
		if missing && s.size.Load() > 0 {
			l.logger.Warn().Msgf("%sCould not find offset index file corresponding to log file %s, recovering segment and rebuilding index files...", l.prefix, s.logPath())
			if _, err := l.recoverSegment(s, !active); err != nil {
				l.closeSegments()
				return nil, err
			}
		} else if !s.oi.sane() || !s.ti.sane() || lastPos > s.size.Load() {
			l.logger.Warn().Msgf("%sFound a corrupted index file corresponding to log file %s due to invalid index size, recovering segment and rebuilding index files...", l.prefix, s.logPath())
			if _, err := l.recoverSegment(s, !active); err != nil {
				l.closeSegments()
				return nil, err
			}
		}
	}
	if !p.clean && len(l.segs) > 0 {
		if err := l.recoverUnflushed(p.recoveryPoint); err != nil {
			l.closeSegments()
			return nil, err
		}
	}
	logStart := p.logStart
	if len(l.segs) == 0 {
		base := logStart
		if base < 0 {
			base = 0
		}
		s, err := createSegment(p.dir, base, cfg.segConfig(), p.now())
		if err != nil {
			return nil, err
		}
		l.segs = []*segment{s}
	}
	l.active = l.segs[len(l.segs)-1]
	leo, err := l.active.loadTail()
	if err != nil {
		l.closeSegments()
		return nil, err
	}
	if logStart >= 0 && leo < logStart {
		// Every segment lies below the checkpointed start: start over there.
		l.logger.Warn().Msgf("%sLog end offset %d is below the checkpointed log start offset %d, deleting all segments", l.prefix, leo, logStart)
		for _, s := range l.segs {
			s.renameDeleted()
			s.closeNoTrim()
			s.removeDeletedFiles()
		}
		s, err := createSegment(p.dir, logStart, cfg.segConfig(), p.now())
		if err != nil {
			return nil, err
		}
		l.segs = []*segment{s}
		l.active = s
		leo = logStart
	}
	if logStart < l.segs[0].base {
		logStart = l.segs[0].base
	}
	l.leo.Store(leo)
	l.logStart.Store(logStart)
	if p.clean {
		l.recoveryPoint.Store(leo)
	} else {
		rp := p.recoveryPoint
		if rp > leo {
			rp = leo
		}
		l.recoveryPoint.Store(rp)
	}
	if err := l.epochs.truncateFromEnd(leo); err != nil {
		return nil, err
	}
	if err := l.epochs.truncateFromStart(logStart); err != nil {
		return nil, err
	}
	l.loadProducerStateLocked(leo)
	hw := p.hw
	if hw < 0 {
		hw = 0
	}
	l.SetHighWatermark(hw)
	l.logger.Info().Int("segments", len(l.segs)).Int64("logStartOffset", logStart).Int64("logEndOffset", leo).
		Msgf("%sCompleted load of log with %d segments, log start offset %d and log end offset %d in %d ms",
			l.prefix, len(l.segs), logStart, leo, time.Since(start).Milliseconds())
	return l, nil
}

// cleanDirAndListSegments deletes leftovers (*.deleted, *.cleaned, *.tmp, orphan indexes), completes
// interrupted cleaner swaps (*.swap) and returns the base offsets of the .log files in order.
func (l *Log) cleanDirAndListSegments() ([]int64, error) {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	logs := map[int64]bool{}
	var indexes []string
	var swaps []int64
	minCleaned := int64(math.MaxInt64)
	for _, e := range ents {
		name := e.Name()
		full := filepath.Join(l.dir, name)
		switch {
		case strings.HasSuffix(name, ".log"+swapFileSuffix):
			// A complete cleaner output whose swap was interrupted: finished below.
			if b, ok := parseSegmentBase(name); ok {
				swaps = append(swaps, b)
			}
		case strings.HasSuffix(name, swapFileSuffix):
			// Index files of a swap segment are rebuilt from its .log.
		case strings.HasSuffix(name, cleanedFileSuffix):
			if b, ok := parseSegmentBase(name); ok && b < minCleaned {
				minCleaned = b
			}
			l.logger.Info().Msgf("%sDeleting stray temporary file %s", l.prefix, full)
			os.Remove(full)
		case strings.HasSuffix(name, ".deleted"), strings.HasSuffix(name, ".tmp"):
			l.logger.Info().Msgf("%sDeleting stray temporary file %s", l.prefix, full)
			os.Remove(full)
		case strings.HasSuffix(name, ".log"):
			if b, err := strconv.ParseInt(strings.TrimSuffix(name, ".log"), 10, 64); err == nil {
				logs[b] = true
			}
		case strings.HasSuffix(name, ".index"), strings.HasSuffix(name, ".timeindex"), strings.HasSuffix(name, ".txnindex"):
			indexes = append(indexes, name)
		}
	}
	// Like Kafka (KAFKA-6264), a .swap at or above a .cleaned file belongs to an unfinished
	// operation and is dropped; the rest are completed.
	valid := swaps[:0]
	for _, b := range swaps {
		if b >= minCleaned {
			l.logger.Info().Msgf("%sDeleting invalid swap file %s", l.prefix, segmentFileName(l.dir, b, ".log"+swapFileSuffix))
			removeSegmentFiles(l.dir, b, swapFileSuffix)
			continue
		}
		valid = append(valid, b)
	}
	sort.Slice(valid, func(i, j int) bool { return valid[i] < valid[j] })
	for _, b := range valid {
		os.Remove(segmentFileName(l.dir, b, ".index"+swapFileSuffix))
		os.Remove(segmentFileName(l.dir, b, ".timeindex"+swapFileSuffix))
	}
	l.completeSwaps(logs, valid)
	for _, name := range indexes {
		b, err := strconv.ParseInt(name[:strings.IndexByte(name, '.')], 10, 64)
		if _, serr := os.Stat(filepath.Join(l.dir, name)); serr != nil {
			continue // went with a segment replaced by a swap
		}
		if err != nil || !logs[b] {
			l.logger.Warn().Msgf("%sFound an orphaned index file %s, with no corresponding log file.", l.prefix, filepath.Join(l.dir, name))
			os.Remove(filepath.Join(l.dir, name))
		}
	}
	out := make([]int64, 0, len(logs))
	for b := range logs {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// recoverUnflushed is Log.recoverLog after an unclean shutdown: every segment from the one holding
// the recovery point is CRC-checked; at the first bad batch the rest of the log is dropped.
func (l *Log) recoverUnflushed(recoveryPoint int64) error {
	start := l.floorSegment(recoveryPoint)
	for i := start; i < len(l.segs); i++ {
		s := l.segs[i]
		l.logger.Info().Int64("segment", s.base).Msgf("%sRecovering unflushed segment %d", l.prefix, s.base)
		last := i == len(l.segs)-1
		truncated, err := l.recoverSegment(s, !last)
		if err != nil {
			return err
		}
		if truncated > 0 {
			next, _ := s.loadTail()
			l.logger.Warn().Int64("segment", s.base).Msgf("%sCorruption found in segment %d, truncating to offset %d", l.prefix, s.base, next)
			rest := l.segs[i+1:]
			l.segs = l.segs[:i+1]
			for _, r := range rest {
				r.renameDeleted()
				r.closeNoTrim()
				r.removeDeletedFiles()
			}
			if !last {
				if err := s.oi.resize(l.cfg.Load().indexBytes); err != nil {
					return err
				}
				if err := s.ti.resize(l.cfg.Load().indexBytes); err != nil {
					return err
				}
			}
			break
		}
	}
	return nil
}

// recoverSegment is LogSegment.recover: rebuild both indexes from the .log, validating every batch,
// and truncate the file at the first invalid or torn batch. Returns the bytes truncated.
func (l *Log) recoverSegment(s *segment, trimAfter bool) (int64, error) {
	l.stats.segmentsRecovered.Add(1)
	cfg := l.cfg.Load()
	if err := s.oi.resize(cfg.indexBytes); err != nil {
		return 0, err
	}
	if err := s.ti.resize(cfg.indexBytes); err != nil {
		return 0, err
	}
	s.oi.truncateEntries(0)
	s.ti.truncateEntries(0)
	s.maxTs.Store(-1)
	s.offMaxTs = s.base
	s.bytesSinceIndex = 0
	s.rollingTs = -2
	size := s.size.Load()
	var pos int64
	var hdr [logOverhead]byte
	buf := make([]byte, 64<<10)
	next := s.base
	for pos < size {
		if size-pos < batchHeaderSize {
			break
		}
		if err := s.readHeader(hdr[:], pos); err != nil {
			break
		}
		bl := int64(int32(be.Uint32(hdr[offBatchLength:])))
		sz := bl + logOverhead
		if bl < batchHeaderSize-logOverhead || pos+sz > size {
			l.logger.Warn().Msgf("%sFound invalid messages in log segment %s at byte offset %d: batch size %d does not fit in the %d remaining bytes.",
				l.prefix, s.logPath(), pos, sz, size-pos)
			break
		}
		if int64(cap(buf)) < sz {
			buf = make([]byte, sz)
		}
		b := buf[:sz]
		if _, err := s.log.ReadAt(b, pos); err != nil {
			break
		}
		if _, err := checkBatch(b); err != nil {
			l.logger.Warn().Msgf("%sFound invalid messages in log segment %s at byte offset %d: %v.", l.prefix, s.logPath(), pos, err)
			break
		}
		bv := batchView(b)
		if bv.baseOffset() < next || bv.lastOffset()-s.base > int64(^uint32(0)>>1) || bv.lastOffsetDelta() < 0 {
			l.logger.Warn().Msgf("%sFound invalid messages in log segment %s at byte offset %d: offset %d is out of range for segment with base %d.",
				l.prefix, s.logPath(), pos, bv.baseOffset(), s.base)
			break
		}
		if mt := bv.maxTimestamp(); mt > s.maxTs.Load() {
			s.maxTs.Store(mt)
			s.offMaxTs = bv.lastOffset()
		}
		if s.bytesSinceIndex > s.indexInterval {
			s.oi.append(bv.lastOffset(), pos)
			s.ti.maybeAppend(s.maxTs.Load(), s.offMaxTs, false)
			s.bytesSinceIndex = 0
		}
		s.bytesSinceIndex += sz
		if e := bv.leaderEpoch(); e >= 0 && e > l.epochs.latestEpoch() {
			l.AssignEpochStartOffset(e, bv.baseOffset())
		}
		next = bv.lastOffset() + 1
		pos += sz
	}
	truncated := size - pos
	if truncated > 0 {
		if err := s.log.Truncate(pos); err != nil {
			return 0, err
		}
		s.size.Store(pos)
	}
	if err := s.txn.truncateTo(next); err != nil {
		return 0, err
	}
	if trimAfter {
		s.ti.maybeAppend(s.maxTs.Load(), s.offMaxTs, true)
		if err := s.oi.trim(); err != nil {
			return 0, err
		}
		if err := s.ti.trim(); err != nil {
			return 0, err
		}
	}
	return truncated, nil
}

func (l *Log) closeSegments() {
	for _, s := range l.segs {
		s.closeNoTrim()
	}
}

// close is the per-log part of a clean shutdown: flush, producer snapshot at the LEO, trim indexes.
func (l *Log) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Swap(true) {
		return nil
	}
	l.bg.Wait()
	err := l.flushUpTo(l.leo.Load())
	if e := l.ps.takeSnapshot(l.leo.Load()); err == nil {
		err = e
	}
	l.stopPendingDeletes()
	l.segMu.Lock()
	for _, s := range l.segs {
		if e := s.close(); err == nil {
			err = e
		}
	}
	l.segMu.Unlock()
	return err
}

// closeForDelete closes files without a snapshot (the dir is going away).
func (l *Log) closeForDelete() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Swap(true) {
		return
	}
	l.bg.Wait()
	l.stopPendingDeletes()
	l.segMu.Lock()
	for _, s := range l.segs {
		s.closeNoTrim()
	}
	l.segMu.Unlock()
}
