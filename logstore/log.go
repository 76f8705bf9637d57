package logstore

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/kafka-classic/kafka-classic/config"
)

// TopicPartition names a partition; its String form is also the partition dir name.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return tp.Topic + "-" + strconv.Itoa(int(tp.Partition)) }

// parseTopicPartition splits a dir name at the last '-' (Log.parseTopicPartitionName).
func parseTopicPartition(name string) (TopicPartition, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || i == len(name)-1 {
		return TopicPartition{}, false
	}
	p, err := strconv.ParseInt(name[i+1:], 10, 32)
	if err != nil || p < 0 {
		return TopicPartition{}, false
	}
	return TopicPartition{Topic: name[:i], Partition: int32(p)}, true
}

// AppendResult describes where an append landed.
type AppendResult struct {
	FirstOffset    int64
	LastOffset     int64
	LogAppendTime  int64 // -1 unless the topic uses LogAppendTime
	LogStartOffset int64
	Duplicate      bool
	NumRecords     int
}

// ReadResult is a region of one segment's .log file holding whole batches. FirstOffset is the base
// offset of the first batch in the region (it may be below the requested offset), or the
// requested offset when the region is empty.
type ReadResult struct {
	File        *os.File
	Pos         int64
	Size        int32
	FirstOffset int64
}

// AppendTo preads the region onto dst.
func (r ReadResult) AppendTo(dst []byte) ([]byte, error) {
	if r.Size <= 0 || r.File == nil {
		return dst, nil
	}
	n := len(dst)
	if cap(dst)-n < int(r.Size) {
		nd := make([]byte, n, n+int(r.Size))
		copy(nd, dst)
		dst = nd
	}
	dst = dst[:n+int(r.Size)]
	if _, err := r.File.ReadAt(dst[n:], r.Pos); err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// ProducerEntry is one idempotent/transactional producer's state, for DescribeProducers.
type ProducerEntry struct {
	ProducerID            int64
	Epoch                 int16
	LastSequence          int32
	LastTimestamp         int64
	CoordinatorEpoch      int32
	CurrentTxnStartOffset int64
}

type logStats struct {
	segmentsRecovered atomic.Int64 // full CRC scans during load
	batchesReplayed   atomic.Int64 // headers read to rebuild producer state
}

// Log is one partition's log: safe for one writer and many concurrent readers. Appends,
// rolls, truncation and retention serialise on mu; readers only take segMu (read side) and
// the atomically published offsets.
type Log struct {
	tp     TopicPartition
	dir    string
	parent string
	logger zerolog.Logger
	prefix string
	now    func() time.Time

	mu     sync.Mutex
	segMu  sync.RWMutex
	segs   []*segment
	active *segment

	cfg           atomic.Pointer[logConfigSnapshot]
	leo           atomic.Int64
	logStart      atomic.Int64
	hw            atomic.Int64
	recoveryPoint atomic.Int64
	lastFlushMs   atomic.Int64
	unflushed     int64

	epochs *epochCache
	ps     *producerState

	topicID    [16]byte
	hasTopicID bool

	flushMu  sync.Mutex
	bg       sync.WaitGroup
	closed   atomic.Bool
	pendMu   sync.Mutex
	pending  map[*pendingDelete]struct{}
	stats    logStats
	pendWork []pendingSeq

	// truncGen changes whenever truncation rewrites segments in place, so the cleaner can tell
	// that the segments it read are no longer what the log holds.
	truncGen atomic.Int64
	cleaning atomic.Bool // the cleaner owns this log's cleaned/swap files right now
}

type pendingDelete struct {
	segs  []*segment
	timer *time.Timer
	once  sync.Once
}

func (l *Log) TopicPartition() TopicPartition { return l.tp }
func (l *Log) Dir() string                    { return l.dir }
func (l *Log) LogStartOffset() int64          { return l.logStart.Load() }
func (l *Log) LogEndOffset() int64            { return l.leo.Load() }
func (l *Log) HighWatermark() int64           { return l.hw.Load() }
func (l *Log) RecoveryPoint() int64           { return l.recoveryPoint.Load() }
func (l *Log) Config() config.Log             { return l.cfg.Load().cfg }

// SetConfig swaps the topic config; it applies to the next append / roll / retention pass.
func (l *Log) SetConfig(cfg config.Log) { l.cfg.Store(digestConfig(cfg)) }

// SetHighWatermark clamps hw to [LogStartOffset, LEO].
func (l *Log) SetHighWatermark(hw int64) {
	if ls := l.logStart.Load(); hw < ls {
		hw = ls
	}
	if leo := l.leo.Load(); hw > leo {
		hw = leo
	}
	l.hw.Store(hw)
}

func (l *Log) Size() int64 {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	var n int64
	for _, s := range l.segs {
		n += s.size.Load()
	}
	return n
}

func (l *Log) NumSegments() int {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	return len(l.segs)
}

func (l *Log) TopicID() [16]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.topicID
}

// SetTopicID records the topic id in partition.metadata (written once; rewritten only if it changes).
func (l *Log) SetTopicID(id [16]byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hasTopicID && l.topicID == id {
		return nil
	}
	if err := writeFileAtomic(filepath.Join(l.dir, partitionMetadataFile), formatPartitionMetadata(id)); err != nil {
		return err
	}
	l.topicID, l.hasTopicID = id, true
	return nil
}

func (l *Log) AssignEpochStartOffset(epoch int32, startOffset int64) {
	if err := l.epochs.assign(epoch, startOffset); err != nil {
		l.logger.Error().Err(err).Msgf("%sError while writing leader-epoch-checkpoint", l.prefix)
	}
}

func (l *Log) LatestEpoch() int32 { return l.epochs.latestEpoch() }

func (l *Log) EndOffsetForEpoch(epoch int32) (int32, int64) {
	return l.epochs.endOffsetFor(epoch, l.leo.Load())
}

// LastStableOffset is the first offset of the oldest open transaction, capped at the high
// watermark (what read_committed consumers may see).
func (l *Log) LastStableOffset() int64 {
	hw := l.hw.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	lso := hw
	for _, e := range l.ps.producers {
		if e.txnFirst >= 0 && e.txnFirst < lso {
			lso = e.txnFirst
		}
	}
	return lso
}

func (l *Log) ActiveProducers() []ProducerEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ps.active()
}

// AppendAsLeader validates client batches (LogValidator), dedupes idempotent producers, assigns
// offsets and the leader epoch in place (and LogAppendTime when configured) and writes them with
// one write. Records are never decoded, except when the topic's compression.type names a codec
// other than the batch's: then that batch is recompressed into a new buffer, as Kafka does.
func (l *Log) AppendAsLeader(batches []byte, leaderEpoch int32) (AppendResult, error) {
	return l.appendAsLeader(batches, leaderEpoch, false)
}

// AppendControlAsLeader appends broker-generated batches (transaction markers): control batches
// are allowed and sequence numbers are not checked.
func (l *Log) AppendControlAsLeader(batches []byte, leaderEpoch int32) (AppendResult, error) {
	return l.appendAsLeader(batches, leaderEpoch, true)
}

// validateClient is the lock-free first pass of LogValidator over every batch.
func (l *Log) validateClient(batches []byte, cfg *logConfigSnapshot, nowMs int64, fromCoordinator bool) (int, error) {
	if len(batches) == 0 {
		return 0, fmt.Errorf("%w: empty record set", ErrInvalidRecord)
	}
	records := 0
	for p := 0; p < len(batches); {
		sz, err := checkBatch(batches[p:])
		if err != nil {
			return 0, err
		}
		b := batchView(batches[p : p+sz])
		if sz > int(cfg.maxMessageBytes) {
			return 0, fmt.Errorf("%w: the record batch size in the append to %s is %d bytes which exceeds the maximum configured value of %d",
				ErrRecordTooLarge, l.tp, sz, cfg.maxMessageBytes)
		}
		if b.isControl() && !fromCoordinator {
			return 0, fmt.Errorf("%w: clients are not allowed to write control records", ErrInvalidRecord)
		}
		n := b.recordsCount()
		if n <= 0 || int64(b.lastOffsetDelta())+1 != int64(n) {
			return 0, fmt.Errorf("%w: inner record count %d does not match last offset delta %d", ErrInvalidRecord, n, b.lastOffsetDelta())
		}
		if cfg.compact && !b.isControl() && b.compression() == 0 {
			keyed, ok := recordsHaveKeys(batches[p : p+sz])
			if !ok {
				return 0, corruptf("malformed records in batch of %d records", n)
			}
			if !keyed {
				return 0, fmt.Errorf("%w: compacted topic cannot accept message without key in topic partition %s", ErrInvalidRecord, l.tp)
			}
		}
		if b.producerID() >= 0 && b.baseSequence() < 0 && !b.isControl() {
			return 0, fmt.Errorf("%w: invalid sequence number %d in record batch with producerId %d", ErrInvalidRecord, b.baseSequence(), b.producerID())
		}
		if !cfg.logAppendTime && cfg.tsDiffMax != math.MaxInt64 {
			for _, ts := range [2]int64{b.firstTimestamp(), b.maxTimestamp()} {
				if d := ts - nowMs; d > cfg.tsDiffMax || -d > cfg.tsDiffMax {
					return 0, fmt.Errorf("%w: timestamp %d of message is out of range; it must be within %d ms of the broker time %d",
						ErrInvalidTimestamp, ts, cfg.tsDiffMax, nowMs)
				}
			}
		}
		records += int(n)
		p += sz
	}
	// Kafka checks each batch against max.message.bytes first (LogValidator) and the whole
	// set against segment.bytes only afterwards (Log.append).
	if len(batches) > int(cfg.segmentBytes) {
		return 0, fmt.Errorf("%w: message batch size is %d bytes in append to partition %s which exceeds the maximum configured segment size of %d",
			ErrRecordListTooLarge, len(batches), l.tp, cfg.segmentBytes)
	}
	return records, nil
}

func (l *Log) appendAsLeader(batches []byte, leaderEpoch int32, fromCoordinator bool) (AppendResult, error) {
	cfg := l.cfg.Load()
	nowMs := l.now().UnixMilli()
	records, err := l.validateClient(batches, cfg, nowMs, fromCoordinator)
	if err != nil {
		return AppendResult{}, err
	}
	if codec, ok := topicCodec(cfg.cfg.CompressionType); ok {
		if batches, err = convertCodec(batches, codec); err != nil {
			return AppendResult{}, err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return AppendResult{}, ErrClosed
	}
	// Idempotence (§7.3) before touching anything.
	if !fromCoordinator {
		pend := l.pendWork[:0]
		for p := 0; p < len(batches); {
			b := batchView(batches[p:])
			p += b.size()
			pid := b.producerID()
			if pid < 0 {
				continue
			}
			cur := l.ps.producers[pid]
			var pp *pendingSeq
			for i := range pend {
				if pend[i].pid == pid {
					pp = &pend[i]
				}
			}
			if pp == nil && cur != nil && cur.epoch == b.producerEpoch() {
				if m, dup := cur.findDuplicate(b.baseSequence(), b.lastSequence()); dup {
					ts := int64(-1)
					if cfg.logAppendTime {
						ts = m.timestamp
					}
					return AppendResult{FirstOffset: m.firstOffset(), LastOffset: m.lastOffset, LogAppendTime: ts,
						LogStartOffset: l.logStart.Load(), Duplicate: true, NumRecords: int(m.offsetDelta) + 1}, nil
				}
			}
			if err := checkSequence(cur, pp, b); err != nil {
				return AppendResult{}, err
			}
			if !b.isTransactional() && cur != nil && cur.txnFirst >= 0 {
				return AppendResult{}, fmt.Errorf("%w: non-transactional batch from producer %d with an open transaction", ErrInvalidTxnState, pid)
			}
			if pp != nil {
				pp.epoch, pp.lastSeq = b.producerEpoch(), b.lastSequence()
			} else {
				pend = append(pend, pendingSeq{pid: pid, epoch: b.producerEpoch(), lastSeq: b.lastSequence()})
			}
		}
		l.pendWork = pend[:0]
	} else {
		// Markers from a fenced coordinator epoch are refused like Kafka's appendEndTxnMarker.
		for p := 0; p < len(batches); {
			b := batchView(batches[p:])
			p += b.size()
			if cur := l.ps.producers[b.producerID()]; b.producerID() >= 0 && cur != nil && b.producerEpoch() < cur.epoch {
				return AppendResult{}, fmt.Errorf("%w: epoch %d of the marker is older than the current producer epoch %d for producer %d",
					ErrInvalidProducerEpoch, b.producerEpoch(), cur.epoch, b.producerID())
			}
		}
	}
	// Assign offsets, leader epoch and (maybe) LogAppendTime in place.
	first := l.leo.Load()
	off := first
	maxTs, offMaxTs := int64(-1), first
	for p := 0; p < len(batches); {
		b := batchView(batches[p:])
		sz := b.size()
		be.PutUint64(b[offBaseOffset:], uint64(off))
		be.PutUint32(b[offLeaderEpoch:], uint32(leaderEpoch))
		if cfg.logAppendTime {
			be.PutUint64(b[offMaxTimestamp:], uint64(nowMs))
			be.PutUint16(b[offAttributes:], uint16(b.attributes())|attrLogAppendTime)
			be.PutUint32(b[offCRC:], batchView(batches[p:p+sz]).computeCRC())
		}
		last := off + int64(b.lastOffsetDelta())
		if t := b.maxTimestamp(); t > maxTs {
			maxTs, offMaxTs = t, last
		}
		off = last + 1
		p += sz
	}
	if err := l.writeLocked(batches, first, off-1, maxTs, offMaxTs, cfg); err != nil {
		return AppendResult{}, err
	}
	for p := 0; p < len(batches); {
		b := batchView(batches[p:])
		sz := b.size()
		if b.producerID() >= 0 {
			l.applyProducerBatchLocked(b, batches[p:p+sz])
		}
		p += sz
	}
	if leaderEpoch >= 0 && leaderEpoch > l.epochs.latestEpoch() {
		l.AssignEpochStartOffset(leaderEpoch, first)
	}
	l.afterAppendLocked(off, records, cfg)
	res := AppendResult{FirstOffset: first, LastOffset: off - 1, LogAppendTime: -1, LogStartOffset: l.logStart.Load(), NumRecords: records}
	if cfg.logAppendTime {
		res.LogAppendTime = nowMs
	}
	return res, nil
}

// convertCodec recompresses the batches whose codec differs from the topic's; the common case
// (no batch differs) returns the input untouched.
func convertCodec(batches []byte, codec int) ([]byte, error) {
	differs := false
	for p := 0; p < len(batches); {
		b := batchView(batches[p:])
		if !b.isControl() && b.compression() != codec {
			differs = true
			break
		}
		p += b.size()
	}
	if !differs {
		return batches, nil
	}
	out := make([]byte, 0, len(batches))
	for p := 0; p < len(batches); {
		b := batchView(batches[p:])
		sz := b.size()
		if b.isControl() || b.compression() == codec {
			out = append(out, batches[p:p+sz]...)
		} else {
			nb, err := recompressBatch(batches[p:p+sz], codec)
			if err != nil {
				return nil, err
			}
			out = append(out, nb...)
		}
		p += sz
	}
	return out, nil
}

// AppendAsFollower appends replicated batches unchanged (offsets and epochs from the leader).
func (l *Log) AppendAsFollower(batches []byte) (AppendResult, error) {
	cfg := l.cfg.Load()
	if len(batches) == 0 {
		return AppendResult{FirstOffset: -1, LastOffset: -1, LogAppendTime: -1, LogStartOffset: l.logStart.Load()}, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return AppendResult{}, ErrClosed
	}
	if len(batches) < logOverhead {
		return AppendResult{FirstOffset: -1, LastOffset: -1, LogAppendTime: -1, LogStartOffset: l.logStart.Load()}, nil
	}
	leo := l.leo.Load()
	first := batchView(batches).baseOffset()
	if first < leo {
		return AppendResult{}, fmt.Errorf("%w: first offset in append to partition %s is %d which is less than the next offset %d; log start offset = %d",
			ErrUnexpectedAppendOffset, l.tp, first, leo, l.logStart.Load())
	}
	records := 0
	next := first
	maxTs, offMaxTs := int64(-1), first
	for p := 0; p < len(batches); {
		if rest := batches[p:]; len(rest) < batchHeaderSize || batchView(rest).size() > len(rest) {
			// A fetch response may end in a partial batch; it is fetched again next time.
			batches = batches[:p]
			break
		}
		sz, err := checkBatch(batches[p:])
		if err != nil {
			return AppendResult{}, err
		}
		b := batchView(batches[p : p+sz])
		if b.baseOffset() < next {
			return AppendResult{}, fmt.Errorf("%w: out of order offsets in replicated append: %d after %d", ErrCorruptMessage, b.baseOffset(), next-1)
		}
		if sz > int(cfg.segmentBytes) {
			return AppendResult{}, fmt.Errorf("%w: replicated batch of %d bytes", ErrRecordTooLarge, sz)
		}
		if t := b.maxTimestamp(); t > maxTs {
			maxTs, offMaxTs = t, b.lastOffset()
		}
		records += int(b.recordsCount())
		next = b.lastOffset() + 1
		p += sz
	}
	if len(batches) == 0 {
		return AppendResult{FirstOffset: -1, LastOffset: -1, LogAppendTime: -1, LogStartOffset: l.logStart.Load()}, nil
	}
	if err := l.writeLocked(batches, first, next-1, maxTs, offMaxTs, cfg); err != nil {
		return AppendResult{}, err
	}
	for p := 0; p < len(batches); {
		b := batchView(batches[p:])
		sz := b.size()
		if b.producerID() >= 0 {
			l.applyProducerBatchLocked(b, batches[p:p+sz])
		}
		if e := b.leaderEpoch(); e >= 0 && e > l.epochs.latestEpoch() {
			l.AssignEpochStartOffset(e, b.baseOffset())
		}
		p += sz
	}
	l.afterAppendLocked(next, records, cfg)
	return AppendResult{FirstOffset: first, LastOffset: next - 1, LogAppendTime: -1, LogStartOffset: l.logStart.Load(), NumRecords: records}, nil
}

// applyProducerBatchLocked updates producer state for an appended batch and, for an ABORT
// marker closing an open transaction, records it in the active segment's .txnindex.
func (l *Log) applyProducerBatchLocked(b batchView, batch []byte) {
	txnFirst := int64(-1)
	if b.isControl() {
		if e := l.ps.producers[b.producerID()]; e != nil {
			txnFirst = e.txnFirst
		}
	}
	l.ps.update(b, batch)
	if txnFirst < 0 || b.compression() != 0 || controlType(batch) != 0 {
		return
	}
	lso := b.baseOffset() + 1
	for _, e := range l.ps.producers {
		if e.txnFirst >= 0 && e.txnFirst < lso {
			lso = e.txnFirst
		}
	}
	if err := l.active.txn.append(abortedTxn{pid: b.producerID(), first: txnFirst, last: b.baseOffset(), lso: lso}); err != nil {
		l.logger.Error().Err(err).Msgf("%sError while appending to the transaction index", l.prefix)
	}
}

// AbortedTransactions lists the aborted transactions overlapping [startOffset, upperBoundOffset),
// for read_committed fetches (Log.collectAbortedTransactions).
func (l *Log) AbortedTransactions(startOffset, upperBoundOffset int64) []AbortedTxn {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	var out []AbortedTxn
	for i := l.floorSegment(startOffset); i < len(l.segs); i++ {
		var done bool
		out, done = l.segs[i].txn.collect(out, startOffset, upperBoundOffset)
		if done {
			break
		}
	}
	return out
}

func (l *Log) afterAppendLocked(newLEO int64, records int, cfg *logConfigSnapshot) {
	l.leo.Store(newLEO)
	l.unflushed += int64(records)
	if l.unflushed >= cfg.flushMessages {
		l.unflushed = 0
		if err := l.flushUpTo(newLEO); err != nil {
			l.logger.Error().Err(err).Msgf("%sError while flushing log", l.prefix)
		}
	}
}

// writeLocked rolls if needed and writes the bytes with one pwrite.
func (l *Log) writeLocked(buf []byte, first, last, maxTs, offMaxTs int64, cfg *logConfigSnapshot) error {
	seg := l.active
	if seg.shouldRoll(cfg, int64(len(buf)), maxTs, last, l.now().UnixMilli()) {
		next := first
		if leo := l.leo.Load(); leo > next {
			next = leo
		}
		var err error
		if seg, err = l.rollLocked(next); err != nil {
			return err
		}
	}
	return seg.append(buf, last, maxTs, offMaxTs)
}

// rollLocked is Log.roll: final time-index entry and trim on the old segment, producer snapshot,
// new segment, async flush of the old one.
func (l *Log) rollLocked(newOffset int64) (*segment, error) {
	start := time.Now()
	old := l.active
	if old.base == newOffset && old.size.Load() == 0 {
		return old, nil
	}
	cfg := l.cfg.Load()
	seg, err := createSegment(l.dir, newOffset, cfg.segConfig(), l.now())
	if err != nil {
		return nil, err
	}
	if err := l.ps.takeSnapshot(newOffset); err != nil {
		l.logger.Error().Err(err).Msgf("%sError while writing producer snapshot at offset %d", l.prefix, newOffset)
	}
	l.segMu.Lock()
	err = old.onBecomeInactive()
	l.segs = append(l.segs, seg)
	l.active = seg
	l.segMu.Unlock()
	if err != nil {
		return nil, err
	}
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		if err := l.flushUpTo(newOffset); err != nil && !l.closed.Load() {
			l.logger.Error().Err(err).Msgf("%sError while flushing log up to offset %d", l.prefix, newOffset)
		}
	}()
	l.logger.Info().Int64("offset", newOffset).Msgf("%sRolled new log segment at offset %d in %d ms.", l.prefix, newOffset, time.Since(start).Milliseconds())
	return seg, nil
}

// Roll forces a new segment at the LEO (used by retention when every segment is deletable).
func (l *Log) Roll() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.rollLocked(l.leo.Load())
	return err
}

// Flush fsyncs everything up to the LEO and moves the recovery point there.
func (l *Log) Flush() error { return l.flushUpTo(l.leo.Load()) }

func (l *Log) flushUpTo(offset int64) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	rp := l.recoveryPoint.Load()
	if offset <= rp {
		return nil
	}
	l.segMu.RLock()
	var todo []*segment
	for i, s := range l.segs {
		end := int64(math.MaxInt64)
		if i+1 < len(l.segs) {
			end = l.segs[i+1].base
		}
		if s.base < offset && end > rp {
			todo = append(todo, s)
		}
	}
	l.segMu.RUnlock()
	for _, s := range todo {
		if err := s.log.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
			return err
		}
	}
	for _, s := range todo {
		s.oi.flush()
		s.ti.flush()
		s.txn.flush()
	}
	if offset > l.recoveryPoint.Load() {
		l.recoveryPoint.Store(offset)
	}
	l.lastFlushMs.Store(l.now().UnixMilli())
	return nil
}

// floorSegment returns the index of the last segment with base <= offset (0 if none). Callers hold segMu.
func (l *Log) floorSegment(offset int64) int {
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base > offset })
	if i == 0 {
		return 0
	}
	return i - 1
}

func (l *Log) outOfRange(offset int64) error {
	return fmt.Errorf("%w: received request for offset %d for partition %s, but we only have log segments in the range %d to %d",
		ErrOffsetOutOfRange, offset, l.tp, l.logStart.Load(), l.leo.Load())
}

// Read returns a region of whole batches starting at the batch containing startOffset, holding
// at most maxBytes (unless minOneBatch and the first batch is larger) of batches that end below maxOffset.
func (l *Log) Read(startOffset int64, maxBytes int32, maxOffset int64, minOneBatch bool) (ReadResult, error) {
	if l.closed.Load() {
		return ReadResult{}, ErrClosed
	}
	leo := l.leo.Load()
	if startOffset < l.logStart.Load() || startOffset > leo {
		return ReadResult{}, l.outOfRange(startOffset)
	}
	if maxOffset > leo {
		maxOffset = leo
	}
	empty := ReadResult{FirstOffset: startOffset}
	if startOffset == leo || startOffset >= maxOffset {
		return empty, nil
	}
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	var hdr [headerPrefix]byte
	for i := l.floorSegment(startOffset); i < len(l.segs); i++ {
		s := l.segs[i]
		if s.base >= maxOffset {
			break
		}
		end := s.size.Load()
		_, pos := s.oi.lookup(startOffset)
		p, ok, err := s.findBatch(startOffset, pos, end, hdr[:])
		if err != nil {
			return ReadResult{}, err
		}
		if !ok {
			continue
		}
		res := ReadResult{File: s.log, Pos: p, FirstOffset: batchView(hdr[:]).baseOffset()}
		var total int64
		q := p
		// Jump over whole batches with the index instead of reading every header.
		if maxBytes > 0 {
			if jp, ok := s.oi.lastBatchWithin(p+int64(maxBytes), maxOffset); ok && jp > p && jp <= end {
				if err := s.readHeader(hdr[:], jp); err == nil {
					q, total = jp, jp-p
				} else {
					s.readHeader(hdr[:], p)
				}
			}
		}
		for {
			b := batchView(hdr[:])
			if b.lastOffset() >= maxOffset {
				break
			}
			sz := int64(b.size())
			if q+sz > end {
				break
			}
			if total+sz > int64(maxBytes) {
				if total == 0 && minOneBatch {
					total = sz
				}
				break
			}
			total += sz
			q += sz
			if q+logOverhead > end {
				break
			}
			if err := s.readHeader(hdr[:], q); err != nil {
				break
			}
		}
		if total > math.MaxInt32 {
			total = math.MaxInt32
		}
		res.Size = int32(total)
		if total == 0 {
			res.File, res.FirstOffset, res.Pos = nil, startOffset, 0
		}
		return res, nil
	}
	return empty, nil
}

// FetchOffsetByTimestamp finds the first record with timestamp >= ts (ListOffsets). ts -2 and -1
// are EARLIEST and LATEST.
func (l *Log) FetchOffsetByTimestamp(ts int64) (int64, int64, bool) {
	switch ts {
	case -2:
		return l.logStart.Load(), -1, true
	case -1:
		return l.leo.Load(), -1, true
	}
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	logStart := l.logStart.Load()
	leo := l.leo.Load()
	var hdr [batchHeaderSize]byte
	for _, s := range l.segs {
		if s.maxTs.Load() < ts {
			continue
		}
		_, toff := s.ti.lookup(ts)
		_, pos := s.oi.lookup(toff)
		end := s.size.Load()
		for pos+batchHeaderSize <= end {
			if err := s.readHeader(hdr[:], pos); err != nil {
				return -1, -1, false
			}
			b := batchView(hdr[:])
			sz := int64(b.size())
			if sz < batchHeaderSize || pos+sz > end || b.baseOffset() >= leo {
				break
			}
			if b.maxTimestamp() >= ts && b.lastOffset() >= logStart {
				// With LogAppendTime every record carries the batch's max timestamp.
				off, rts := b.baseOffset(), b.maxTimestamp()
				if !b.logAppendTime() {
					buf := make([]byte, sz)
					if _, err := s.log.ReadAt(buf, pos); err == nil {
						if o, t, ok := firstRecordAtOrAfter(buf, ts); ok {
							off, rts = o, t
						}
					}
				}
				if off < logStart {
					off = logStart
				}
				return off, rts, true
			}
			pos += sz
		}
	}
	return -1, -1, false
}
