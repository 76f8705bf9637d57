package logstore

import (
	"fmt"
	"os"
	"time"
)

// TruncateTo removes everything at and above offset (follower truncation).
func (l *Log) TruncateTo(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("%w: cannot truncate partition %s to a negative offset (%d)", ErrOffsetOutOfRange, l.tp, offset)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return ErrClosed
	}
	if offset >= l.leo.Load() {
		return nil
	}
	l.logger.Info().Int64("offset", offset).Msgf("%sTruncating to offset %d", l.prefix, offset)
	l.truncGen.Add(1)
	if l.segs[0].base > offset {
		return l.truncateFullyLocked(offset)
	}
	cfg := l.cfg.Load()
	l.segMu.Lock()
	i := l.floorSegment(offset)
	keep := l.segs[i]
	removed := append([]*segment(nil), l.segs[i+1:]...)
	if keep.base == offset && i > 0 {
		// The whole segment goes; the previous one becomes active.
		removed = append([]*segment{keep}, removed...)
		i--
		keep = l.segs[i]
	}
	l.segs = l.segs[:i+1]
	wasActive := keep == l.active
	l.active = keep
	newLEO, err := keep.truncateTo(offset)
	if err == nil && !wasActive {
		if err = keep.oi.resize(cfg.indexBytes); err == nil {
			err = keep.ti.resize(cfg.indexBytes)
		}
	}
	l.segMu.Unlock()
	l.scheduleDelete(removed, 0)
	if err != nil {
		return err
	}
	l.leo.Store(newLEO)
	l.afterTruncateLocked(newLEO)
	return nil
}

func (l *Log) afterTruncateLocked(newLEO int64) {
	if l.recoveryPoint.Load() > newLEO {
		l.recoveryPoint.Store(newLEO)
	}
	if l.hw.Load() > newLEO {
		l.hw.Store(newLEO)
	}
	if l.logStart.Load() > newLEO {
		l.logStart.Store(newLEO)
	}
	if err := l.epochs.truncateFromEnd(newLEO); err != nil {
		l.logger.Error().Err(err).Msgf("%sError while writing leader-epoch-checkpoint", l.prefix)
	}
	l.loadProducerStateLocked(newLEO)
}

// TruncateFullyAndStartAt drops every segment and starts an empty log at offset.
func (l *Log) TruncateFullyAndStartAt(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return ErrClosed
	}
	return l.truncateFullyLocked(offset)
}

func (l *Log) truncateFullyLocked(offset int64) error {
	l.logger.Info().Int64("offset", offset).Msgf("%sTruncating to offset %d and starting at offset %d", l.prefix, offset, offset)
	l.truncGen.Add(1)
	cfg := l.cfg.Load()
	l.segMu.Lock()
	old := l.segs
	// Rename first so a new segment at the same base offset does not collide.
	for _, s := range old {
		s.renameDeleted()
	}
	seg, err := createSegment(l.dir, offset, cfg.segConfig(), l.now())
	if err != nil {
		l.segMu.Unlock()
		return err
	}
	l.segs = []*segment{seg}
	l.active = seg
	l.segMu.Unlock()
	l.scheduleDeleteRenamed(old, 0)
	l.leo.Store(offset)
	l.logStart.Store(offset)
	l.hw.Store(offset)
	l.recoveryPoint.Store(offset)
	if err := l.epochs.clear(); err != nil {
		return err
	}
	l.ps.clear()
	l.ps.deleteSnapshotsAbove(-1)
	l.ps.lastOff = offset
	return nil
}

// DeleteRecordsBefore raises the log start offset (DeleteRecords) and drops whole segments below it.
func (l *Log) DeleteRecordsBefore(offset int64) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return 0, ErrClosed
	}
	if offset > l.leo.Load() || offset < 0 {
		return l.logStart.Load(), l.outOfRange(offset)
	}
	if offset <= l.logStart.Load() {
		return l.logStart.Load(), nil
	}
	l.incrementLogStartLocked(offset, "client delete records request")
	l.deleteSegmentsLocked(l.deletable(func(s, next *segment) bool { return next != nil && next.base <= l.logStart.Load() }), reasonStartOffset)
	return l.logStart.Load(), nil
}

func (l *Log) incrementLogStartLocked(offset int64, reason string) {
	if offset <= l.logStart.Load() {
		return
	}
	l.logStart.Store(offset)
	if l.hw.Load() < offset {
		l.hw.Store(offset)
	}
	if l.recoveryPoint.Load() < offset {
		l.recoveryPoint.Store(offset)
	}
	if err := l.epochs.truncateFromStart(offset); err != nil {
		l.logger.Error().Err(err).Msgf("%sError while writing leader-epoch-checkpoint", l.prefix)
	}
	l.ps.truncateHead(offset)
	l.logger.Info().Int64("offset", offset).Msgf("%sIncremented log start offset to %d due to %s", l.prefix, offset, reason)
}

// scheduleDelete renames segments to .deleted and removes them after delay (asyncDeleteSegment).
func (l *Log) scheduleDelete(segs []*segment, delay time.Duration) {
	for _, s := range segs {
		s.renameDeleted()
	}
	l.scheduleDeleteRenamed(segs, delay)
}

func (l *Log) scheduleDeleteRenamed(segs []*segment, delay time.Duration) {
	if len(segs) == 0 {
		return
	}
	pd := &pendingDelete{segs: segs}
	run := func() {
		pd.once.Do(func() {
			l.logger.Info().Msgf("%sDeleting segment files %s", l.prefix, segmentList(segs))
			for _, s := range segs {
				s.closeNoTrim()
				s.removeDeletedFiles()
			}
		})
		l.pendMu.Lock()
		delete(l.pending, pd)
		l.pendMu.Unlock()
	}
	if delay <= 0 {
		run()
		return
	}
	l.logger.Info().Msgf("%sScheduling segments for deletion %s", l.prefix, segmentList(segs))
	l.pendMu.Lock()
	if l.pending == nil {
		l.pending = make(map[*pendingDelete]struct{})
	}
	l.pending[pd] = struct{}{}
	pd.timer = time.AfterFunc(delay, run)
	l.pendMu.Unlock()
}

// stopPendingDeletes closes the files of segments still waiting for deletion; the renamed
// .deleted files are removed by the next startup, as in Kafka.
func (l *Log) stopPendingDeletes() {
	l.pendMu.Lock()
	defer l.pendMu.Unlock()
	for pd := range l.pending {
		if pd.timer.Stop() {
			for _, s := range pd.segs {
				s.closeNoTrim()
			}
		}
	}
	l.pending = nil
}

func segmentList(segs []*segment) string {
	out := ""
	for i, s := range segs {
		if i > 0 {
			out += ","
		}
		out += s.String()
	}
	return out
}

// loadProducerStateLocked rebuilds producer state up to lastOffset from the newest usable
// snapshot plus a header-only replay of the batches after it.
func (l *Log) loadProducerStateLocked(lastOffset int64) {
	l.logger.Info().Int64("offset", lastOffset).Msgf("%sLoading producer state till offset %d with message format version 2", l.prefix, lastOffset)
	l.ps.deleteSnapshotsAbove(lastOffset)
	from := int64(-1)
	offs := l.ps.snapshotOffsets()
	for i := len(offs) - 1; i >= 0; i-- {
		if offs[i] < l.logStart.Load() && offs[i] != lastOffset {
			break
		}
		if err := l.ps.loadSnapshot(offs[i]); err == nil {
			from = offs[i]
			break
		} else {
			l.logger.Warn().Err(err).Msgf("%sFailed to load producer snapshot %s, removing it", l.prefix, snapshotPath(l.dir, offs[i]))
			os.Remove(snapshotPath(l.dir, offs[i]))
		}
	}
	if from < 0 {
		l.ps.clear()
		from = l.logStart.Load()
	} else {
		l.logger.Info().Msgf("%sReloading from producer snapshot and rebuilding producer state from offset %d", l.prefix, from)
	}
	if from < lastOffset {
		l.replayProducerState(from, lastOffset)
	}
	l.ps.truncateHead(l.logStart.Load())
	l.ps.lastOff = lastOffset
}

func (l *Log) replayProducerState(from, to int64) {
	l.segMu.RLock()
	segs := append([]*segment(nil), l.segs...)
	l.segMu.RUnlock()
	var hdr [batchHeaderSize]byte
	var ctl []byte
	for i, s := range segs {
		if i+1 < len(segs) && segs[i+1].base <= from {
			continue
		}
		if s.base >= to {
			break
		}
		_, pos := s.oi.lookup(from)
		end := s.size.Load()
		for pos+batchHeaderSize <= end {
			if err := s.readHeader(hdr[:], pos); err != nil {
				break
			}
			b := batchView(hdr[:])
			sz := int64(b.size())
			if sz < batchHeaderSize || pos+sz > end || b.baseOffset() >= to {
				break
			}
			if b.baseOffset() >= from && b.producerID() >= 0 {
				l.stats.batchesReplayed.Add(1)
				var full []byte
				if b.isControl() {
					if int64(cap(ctl)) < sz {
						ctl = make([]byte, sz)
					}
					ctl = ctl[:sz]
					if _, err := s.log.ReadAt(ctl, pos); err == nil {
						full = ctl
					}
				}
				l.ps.update(b, full)
			}
			pos += sz
		}
	}
}
