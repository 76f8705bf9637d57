package logstore

import (
	"time"
)

type deletionReason int

const (
	reasonRetentionMs deletionReason = iota
	reasonRetentionSize
	reasonStartOffset
)

// deletable walks segments from the oldest while pred holds (Log.deletableSegments): only segments
// wholly below the high watermark, and never an empty active segment.
func (l *Log) deletable(pred func(s, next *segment) bool) []*segment {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	hw := l.hw.Load()
	var out []*segment
	for i, s := range l.segs {
		var next *segment
		upper := l.leo.Load()
		if i+1 < len(l.segs) {
			next = l.segs[i+1]
			upper = next.base
		}
		if upper > hw {
			break
		}
		if next == nil && s.size.Load() == 0 {
			break
		}
		if !pred(s, next) {
			break
		}
		out = append(out, s)
	}
	return out
}

// deleteSegmentsLocked removes the given leading segments; if that would leave no segment the log
// is rolled first so an empty active segment remains.
func (l *Log) deleteSegmentsLocked(segs []*segment, reason deletionReason) int {
	if len(segs) == 0 {
		return 0
	}
	cfg := l.cfg.Load()
	switch reason {
	case reasonRetentionMs:
		for _, s := range segs {
			if s.maxTs.Load() >= 0 {
				l.logger.Info().Int64("segment", s.base).Msgf("%sDeleting segment %s due to retention time %dms breach based on the largest record timestamp in the segment", l.prefix, s, cfg.retentionMs)
			} else {
				l.logger.Info().Int64("segment", s.base).Msgf("%sDeleting segment %s due to retention time %dms breach based on the last modified time of the segment", l.prefix, s, cfg.retentionMs)
			}
		}
	case reasonRetentionSize:
		size := l.Size()
		for _, s := range segs {
			size -= s.size.Load()
			l.logger.Info().Int64("segment", s.base).Msgf("%sDeleting segment %s due to retention size %d breach. Log size after deletion will be %d.", l.prefix, s, cfg.retentionBytes, size)
		}
	case reasonStartOffset:
		l.logger.Info().Msgf("%sDeleting segments due to log start offset %d breach: %s", l.prefix, l.logStart.Load(), segmentList(segs))
	}
	if len(segs) == l.NumSegments() {
		if _, err := l.rollLocked(l.leo.Load()); err != nil {
			l.logger.Error().Err(err).Msgf("%sError while rolling log before deleting all segments", l.prefix)
			segs = segs[:len(segs)-1]
			if len(segs) == 0 {
				return 0
			}
		}
	}
	// Raise the start offset before the segments disappear so readers never see a gap.
	l.segMu.RLock()
	first := l.segs[len(segs)].base
	l.segMu.RUnlock()
	l.incrementLogStartLocked(first, "segment deletion")
	l.segMu.Lock()
	l.segs = append([]*segment(nil), l.segs[len(segs):]...)
	l.segMu.Unlock()
	l.scheduleDelete(segs, time.Duration(cfg.deleteDelayMs)*time.Millisecond)
	return len(segs)
}

// deleteOldSegments is one retention pass for this log; it returns how many segments went.
func (l *Log) deleteOldSegments() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return 0
	}
	cfg := l.cfg.Load()
	n := 0
	if cfg.deletePolicy {
		if cfg.retentionMs >= 0 {
			now := l.now().UnixMilli()
			n += l.deleteSegmentsLocked(l.deletable(func(s, _ *segment) bool {
				return now-s.largestTimestamp() > cfg.retentionMs
			}), reasonRetentionMs)
		}
		if cfg.retentionBytes >= 0 {
			diff := l.Size() - cfg.retentionBytes
			n += l.deleteSegmentsLocked(l.deletable(func(s, _ *segment) bool {
				if diff-s.size.Load() >= 0 {
					diff -= s.size.Load()
					return true
				}
				return false
			}), reasonRetentionSize)
		}
	}
	n += l.deleteSegmentsLocked(l.deletable(func(s, next *segment) bool {
		return next != nil && next.base <= l.logStart.Load()
	}), reasonStartOffset)
	return n
}

// producerExpirationMs is transactional.id.expiration.ms's default, which also bounds idle producers.
const producerExpirationMs = 7 * 24 * 3600 * 1000

func (l *Log) expireProducers() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ps.expire(l.now().UnixMilli(), producerExpirationMs)
}

// maybeFlushByTime is the flusher's per-log check for flush.ms.
func (l *Log) maybeFlushByTime() {
	cfg := l.cfg.Load()
	if cfg.flushMs == 1<<63-1 {
		return
	}
	if l.now().UnixMilli()-l.lastFlushMs.Load() >= cfg.flushMs {
		if err := l.Flush(); err != nil {
			l.logger.Error().Err(err).Msgf("%sError while flushing log", l.prefix)
		}
	}
}
