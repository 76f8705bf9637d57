package logstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// This file is LogCleaner's thread loop and LogCleanerManager: which log to clean next, the
// cleaner-offset-checkpoint file per log dir, and pausing on errors.

const (
	cleanerCheckpointFile = "cleaner-offset-checkpoint"
	// log.cleaner.dedupe.buffer.size and log.cleaner.io.buffer.load.factor defaults; an entry
	// of SkimpyOffsetMap takes a 16-byte MD5 plus an 8-byte offset.
	defaultDedupeBufferSize = 128 << 20
	dedupeLoadFactor        = 0.9
	offsetMapEntryBytes     = 24
)

type logCleaner struct {
	m           *Manager
	cl          *cleaner
	checkpoints map[TopicPartition]int64 // guarded by m.ckMu
	uncleanable map[TopicPartition]bool  // only touched by the cleaner goroutine
}

func newLogCleaner(m *Manager) *logCleaner {
	c := &logCleaner{m: m, checkpoints: make(map[TopicPartition]int64), uncleanable: make(map[TopicPartition]bool)}
	for _, d := range m.dirs {
		ck, err := readOffsetCheckpoint(filepath.Join(d.path, cleanerCheckpointFile))
		if err != nil {
			m.logger.Warn().Err(err).Msgf("Error occurred while reading %s file of directory %s, every compacted log there will be cleaned from its start", cleanerCheckpointFile, d.path)
			continue
		}
		for tp, off := range ck {
			c.checkpoints[tp] = off
		}
	}
	size := m.o.CleanerDedupeBufferSize
	if size <= 0 {
		size = defaultDedupeBufferSize
	}
	c.cl = &cleaner{
		id:     0,
		om:     newOffsetMap(int(float64(size/offsetMapEntryBytes) * dedupeLoadFactor)),
		logger: m.logger,
		checkDone: func(l *Log) error {
			select {
			case <-m.stop:
				return errCleaningAborted
			default:
			}
			if l.closed.Load() {
				return errCleaningAborted
			}
			return nil
		},
	}
	return c
}

// run is CleanerThread.doWork in a loop: clean the filthiest log, else back off.
func (c *logCleaner) run() {
	c.m.logger.Info().Msg("Starting the log cleaner")
	for {
		cleaned := c.cleanFilthiestLog()
		wait := c.m.o.CleanerBackoff
		if cleaned {
			wait = 0
		}
		select {
		case <-c.m.stop:
			c.m.logger.Info().Msg("Shutting down the log cleaner.")
			return
		case <-time.After(wait):
		}
	}
}

// cleanFilthiestLog cleans at most one log; it reports whether it did.
func (c *logCleaner) cleanFilthiestLog() bool {
	ltc := c.grabFilthiestCompactedLog(c.m.o.Now().UnixMilli())
	if ltc == nil {
		return false
	}
	l := ltc.log
	defer l.cleaning.Store(false)
	gen := l.truncGen.Load()
	end, stats, err := c.cl.clean(ltc)
	if err != nil {
		// Retention, truncation or deletion pulled segments away under us: retry next round.
		if errors.Is(err, errCleaningAborted) || errors.Is(err, os.ErrClosed) || l.closed.Load() || l.truncGen.Load() != gen {
			c.m.logger.Info().Msgf("Cleaner %d: Cleaning of log %s was aborted: %v", c.cl.id, l.tp, err)
			return false
		}
		c.m.logger.Warn().Err(err).Msgf("Unexpected exception thrown when cleaning log %s. Marking its partition (%s) as uncleanable", l.logString(), l.tp)
		c.uncleanable[l.tp] = true
		return false
	}
	c.recordStats(l, ltc.firstDirty, end, stats)
	c.setCheckpoint(l.tp, end)
	return true
}

// cleanableOffsets is LogCleanerManager.cleanableOffsets. The upper bound is the last stable
// offset, which is capped at the high watermark, the active segment, and min.compaction.lag.ms.
func (c *logCleaner) cleanableOffsets(l *Log, segs []*segment, nowMs int64) (firstDirty, uncleanable int64) {
	logStart, leo := l.LogStartOffset(), l.LogEndOffset()
	c.m.ckMu.Lock()
	cp, ok := c.checkpoints[l.tp]
	c.m.ckMu.Unlock()
	firstDirty = logStart
	if ok {
		switch {
		case cp < logStart:
			if !l.cfg.Load().deletePolicy {
				c.m.logger.Warn().Msgf("Resetting first dirty offset of %s to log start offset %d since the checkpointed offset %d is invalid.", l.tp, logStart, cp)
			}
			c.setCheckpoint(l.tp, logStart)
		case cp > leo:
			c.m.logger.Warn().Msgf("The last checkpoint dirty offset for partition %s is %d, which is larger than the log end offset %d. Resetting to the log start offset %d.", l.tp, cp, leo, logStart)
			c.setCheckpoint(l.tp, logStart)
		default:
			firstDirty = cp
		}
	}
	active := segs[len(segs)-1]
	uncleanable = l.LastStableOffset()
	if active.base < uncleanable {
		uncleanable = active.base
	}
	if lag := l.cfg.Load().cfg.MinCompactionLagMs; lag > 0 {
		for _, s := range segmentsInRange(segs, firstDirty, active.base) {
			if s.largestTimestamp() > nowMs-lag {
				if s.base < uncleanable {
					uncleanable = s.base
				}
				break
			}
		}
	}
	if uncleanable < firstDirty {
		uncleanable = firstDirty
	}
	return firstDirty, uncleanable
}

// maxCompactionDelay is LogCleanerManager.maxCompactionDelay: how far past max.compaction.lag.ms
// the oldest dirty segment's first batch is.
func maxCompactionDelay(l *Log, segs []*segment, firstDirty, nowMs int64) int64 {
	maxLag := l.cfg.Load().cfg.MaxCompactionLagMs
	if maxLag < 0 {
		maxLag = 0
	}
	earliest := int64(-1)
	var hdr [batchHeaderSize]byte
	for _, s := range segmentsInRange(segs, firstDirty, segs[len(segs)-1].base) {
		if s.size.Load() < batchHeaderSize {
			continue
		}
		if _, err := s.log.ReadAt(hdr[:], 0); err != nil {
			continue
		}
		if ts := batchView(hdr[:]).maxTimestamp(); ts > 0 && (earliest < 0 || ts < earliest) {
			earliest = ts
		}
	}
	if earliest < 0 {
		return 0
	}
	if until := nowMs - maxLag; earliest < until {
		return until - earliest
	}
	return 0
}

// grabFilthiestCompactedLog picks the compacted log with the highest cleanable ratio above its
// min.cleanable.dirty.ratio (or overdue by max.compaction.lag.ms) and marks it in progress.
func (c *logCleaner) grabFilthiestCompactedLog(nowMs int64) *logToClean {
	var best *logToClean
	for _, l := range c.m.Logs() {
		cfg := l.cfg.Load()
		if !cfg.compact || l.closed.Load() || c.uncleanable[l.tp] {
			continue
		}
		segs := l.segmentsSnapshot()
		firstDirty, unclean := c.cleanableOffsets(l, segs, nowMs)
		ltc := &logToClean{log: l, firstDirty: firstDirty}
		for _, s := range segmentsInRange(segs, -1, firstDirty) {
			ltc.cleanBytes += s.size.Load()
		}
		// calculateCleanableBytes: stop at the start of the segment holding the uncleanable offset.
		ltc.firstUncleanable = segs[len(segs)-1].base
		if r := segmentsInRange(segs, unclean, ltc.firstUncleanable); len(r) > 0 {
			ltc.firstUncleanable = r[0].base
		}
		from := firstDirty
		if ltc.firstUncleanable < from {
			from = ltc.firstUncleanable
		}
		for _, s := range segmentsInRange(segs, from, ltc.firstUncleanable) {
			ltc.cleanableBytes += s.size.Load()
		}
		ltc.needNow = maxCompactionDelay(l, segs, firstDirty, nowMs) > 0
		if ltc.totalBytes() == 0 {
			continue
		}
		if !((ltc.needNow && ltc.cleanableBytes > 0) || ltc.ratio() > cfg.cfg.MinCleanableDirtyRatio) {
			continue
		}
		if best == nil || ltc.ratio() > best.ratio() {
			best = ltc
		}
	}
	if best != nil {
		best.log.cleaning.Store(true)
	}
	return best
}

func (c *logCleaner) setCheckpoint(tp TopicPartition, offset int64) {
	c.m.ckMu.Lock()
	c.checkpoints[tp] = offset
	c.m.ckMu.Unlock()
	c.writeCheckpoints()
}

// cleanerCheckpoint returns the cleaner-offset-checkpoint entry of tp (-1 if none).
func (m *Manager) cleanerCheckpoint(tp TopicPartition) int64 {
	m.ckMu.Lock()
	defer m.ckMu.Unlock()
	if v, ok := m.cleaner.checkpoints[tp]; ok {
		return v
	}
	return -1
}

// forget drops a deleted partition's entry (LogCleanerManager.updateCheckpoints with a removal).
func (c *logCleaner) forget(tp TopicPartition) {
	c.m.ckMu.Lock()
	_, had := c.checkpoints[tp]
	delete(c.checkpoints, tp)
	c.m.ckMu.Unlock()
	if had {
		c.writeCheckpoints()
	}
}

// writeCheckpoints rewrites cleaner-offset-checkpoint in every dir with the entries of the logs
// living there.
func (c *logCleaner) writeCheckpoints() {
	c.m.writeDirCheckpoint(cleanerCheckpointFile, func(l *Log) (int64, bool) {
		v, ok := c.checkpoints[l.tp]
		return v, ok
	})
}

// recordStats is CleanerThread.recordStats.
func (c *logCleaner) recordStats(l *Log, from, to int64, s *cleanerStats) {
	mb := func(b float64) float64 { return b / (1024 * 1024) }
	el, idx := s.elapsedSecs(), s.elapsedIndexSecs()
	rate := func(b, secs float64) float64 {
		if secs <= 0 {
			return 0
		}
		return mb(b) / secs
	}
	pct := func(a, b float64) float64 {
		if b <= 0 {
			return 0
		}
		return 100 * a / b
	}
	msg := fmt.Sprintf("\n\tLog cleaner thread %d cleaned log %s (dirty section = [%d, %d])\n", c.cl.id, l.tp, from, to) +
		fmt.Sprintf("\t%.1f MB of log processed in %.1f seconds (%.1f MB/sec).\n", mb(float64(s.bytesRead)), el, rate(float64(s.bytesRead), el)) +
		fmt.Sprintf("\tIndexed %.1f MB in %.1f seconds (%.1f Mb/sec, %.1f%% of total time)\n", mb(float64(s.mapBytesRead)), idx, rate(float64(s.mapBytesRead), idx), pct(idx, el)) +
		fmt.Sprintf("\tBuffer utilization: %.1f%%\n", 100*s.bufferUtilization) +
		fmt.Sprintf("\tCleaned %.1f MB in %.1f seconds (%.1f Mb/sec, %.1f%% of total time)\n", mb(float64(s.bytesRead)), el-idx, rate(float64(s.bytesRead), el-idx), pct(el-idx, el)) +
		fmt.Sprintf("\tStart size: %.1f MB (%d messages)\n", mb(float64(s.bytesRead)), s.messagesRead) +
		fmt.Sprintf("\tEnd size: %.1f MB (%d messages)\n", mb(float64(s.bytesWritten)), s.messagesWritten) +
		fmt.Sprintf("\t%.1f%% size reduction (%.1f%% fewer messages)\n", 100*(1-safeDiv(s.bytesWritten, s.bytesRead)), 100*(1-safeDiv(s.messagesWritten, s.messagesRead)))
	c.m.logger.Info().Str("partition", l.tp.String()).Int64("bytesRead", s.bytesRead).Int64("bytesWritten", s.bytesWritten).Msg(msg)
	if s.invalidMessagesRead > 0 {
		c.m.logger.Warn().Msgf("\tFound %d invalid messages during compaction.", s.invalidMessagesRead)
	}
}

func safeDiv(a, b int64) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}
