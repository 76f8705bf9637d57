package logstore

import (
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// numBatchesToRetain matches ProducerStateEntry.NumBatchesToRetain and the client's in-flight limit.
const numBatchesToRetain = 5

type batchMeta struct {
	firstSeq, lastSeq int32
	lastOffset        int64
	offsetDelta       int32
	timestamp         int64
}

func (b batchMeta) firstOffset() int64 { return b.lastOffset - int64(b.offsetDelta) }

type producerEntry struct {
	pid        int64
	epoch      int16
	coordEpoch int32
	txnFirst   int64 // first offset of the open transaction, -1 if none
	lastTs     int64
	batches    [numBatchesToRetain]batchMeta // oldest first
	n          int
}

func (e *producerEntry) lastSeq() int32 {
	if e.n == 0 {
		return -1
	}
	return e.batches[e.n-1].lastSeq
}

func (e *producerEntry) lastDataOffset() int64 {
	if e.n == 0 {
		return -1
	}
	return e.batches[e.n-1].lastOffset
}

func (e *producerEntry) addBatch(m batchMeta) {
	if e.n == numBatchesToRetain {
		copy(e.batches[:], e.batches[1:])
		e.n--
	}
	e.batches[e.n] = m
	e.n++
}

func (e *producerEntry) findDuplicate(firstSeq, lastSeq int32) (batchMeta, bool) {
	for i := 0; i < e.n; i++ {
		if e.batches[i].firstSeq == firstSeq && e.batches[i].lastSeq == lastSeq {
			return e.batches[i], true
		}
	}
	return batchMeta{}, false
}

// producerState is ProducerStateManager minus transactions' LSO bookkeeping.
type producerState struct {
	dir       string
	producers map[int64]*producerEntry
	lastOff   int64 // map is up to date until this offset (exclusive)
}

func newProducerState(dir string) *producerState {
	return &producerState{dir: dir, producers: make(map[int64]*producerEntry)}
}

// update applies one appended batch (header only) to the state, without validation.
func (ps *producerState) update(b batchView, batch []byte) {
	pid := b.producerID()
	if pid < 0 {
		return
	}
	e := ps.producers[pid]
	if e == nil {
		e = &producerEntry{pid: pid, epoch: -1, coordEpoch: -1, txnFirst: -1}
		ps.producers[pid] = e
	}
	epoch := b.producerEpoch()
	if epoch != e.epoch {
		e.epoch = epoch
		e.n = 0
	}
	e.lastTs = b.maxTimestamp()
	if b.isControl() {
		e.txnFirst = -1
		if batch != nil && b.compression() == 0 {
			if ce := controlCoordinatorEpoch(batch); ce >= 0 {
				e.coordEpoch = ce
			}
		}
		return
	}
	if b.baseSequence() >= 0 {
		e.addBatch(batchMeta{
			firstSeq: b.baseSequence(), lastSeq: b.lastSequence(), lastOffset: b.lastOffset(),
			offsetDelta: b.lastOffsetDelta(), timestamp: b.maxTimestamp(),
		})
	}
	if b.isTransactional() && e.txnFirst < 0 {
		e.txnFirst = b.baseOffset()
	}
}

// pendingSeq carries validation state across several batches of one append.
type pendingSeq struct {
	pid     int64
	epoch   int16
	lastSeq int32
}

// checkSequence implements §7.3 for a client batch. cur is the stored entry (nil if unknown);
// pend, when set, overrides it with what an earlier batch of the same append established.
func checkSequence(cur *producerEntry, pend *pendingSeq, b batchView) error {
	epoch := b.producerEpoch()
	firstSeq := b.baseSequence()
	curEpoch := int16(-1)
	lastSeq := int32(-1)
	known := false
	if pend != nil {
		curEpoch, lastSeq, known = pend.epoch, pend.lastSeq, true
	} else if cur != nil {
		curEpoch, lastSeq, known = cur.epoch, cur.lastSeq(), true
	}
	if !known {
		return nil
	}
	if epoch < curEpoch {
		return fmt.Errorf("%w: epoch %d is older than the current producer epoch %d for producer %d",
			ErrInvalidProducerEpoch, epoch, curEpoch, b.producerID())
	}
	if epoch != curEpoch {
		if firstSeq != 0 && curEpoch >= 0 {
			return fmt.Errorf("%w: invalid sequence number for new epoch %d of producer %d: %d (request epoch), %d (seq. number)",
				ErrOutOfOrderSequence, epoch, b.producerID(), epoch, firstSeq)
		}
		return nil
	}
	if lastSeq < 0 {
		if firstSeq != 0 {
			return fmt.Errorf("%w: out of order sequence number for producer %d: found %d, expected 0",
				ErrOutOfOrderSequence, b.producerID(), firstSeq)
		}
		return nil
	}
	if !(firstSeq == lastSeq+1 || (firstSeq == 0 && lastSeq == int32(^uint32(0)>>1))) {
		return fmt.Errorf("%w: out of order sequence number for producer %d at offset %d: %d (incoming seq. number), %d (current end sequence number)",
			ErrOutOfOrderSequence, b.producerID(), b.baseOffset(), firstSeq, lastSeq)
	}
	return nil
}

// truncateHead drops producers whose last data is below the log start offset (retention / DeleteRecords).
func (ps *producerState) truncateHead(logStart int64) {
	for pid, e := range ps.producers {
		if e.txnFirst < 0 && e.lastDataOffset() < logStart {
			delete(ps.producers, pid)
		}
	}
	ps.deleteSnapshotsBelow(logStart)
}

func (ps *producerState) expire(nowMs, maxIdleMs int64) {
	for pid, e := range ps.producers {
		if e.txnFirst < 0 && nowMs-e.lastTs >= maxIdleMs {
			delete(ps.producers, pid)
		}
	}
}

func (ps *producerState) clear() { ps.producers = make(map[int64]*producerEntry) }

func snapshotPath(dir string, offset int64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d.snapshot", offset))
}

// snapshotOffsets lists the offsets of the .snapshot files in ascending order.
func (ps *producerState) snapshotOffsets() []int64 {
	ents, _ := os.ReadDir(ps.dir)
	var out []int64
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".snapshot") {
			continue
		}
		o, err := strconv.ParseInt(strings.TrimSuffix(name, ".snapshot"), 10, 64)
		if err == nil {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (ps *producerState) deleteSnapshotsBelow(offset int64) {
	for _, o := range ps.snapshotOffsets() {
		if o < offset {
			os.Remove(snapshotPath(ps.dir, o))
		}
	}
}

func (ps *producerState) deleteSnapshotsAbove(offset int64) {
	for _, o := range ps.snapshotOffsets() {
		if o > offset {
			os.Remove(snapshotPath(ps.dir, o))
		}
	}
}

const snapshotEntrySize = 46

// encodeSnapshot renders the §4.11 layout: version, CRC-32C of the rest, count, fixed entries.
func (ps *producerState) encodeSnapshot() []byte {
	pids := make([]int64, 0, len(ps.producers))
	for pid := range ps.producers {
		pids = append(pids, pid)
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	buf := make([]byte, 10+snapshotEntrySize*len(pids))
	be.PutUint16(buf[0:], 1)
	be.PutUint32(buf[6:], uint32(len(pids)))
	p := buf[10:]
	for _, pid := range pids {
		e := ps.producers[pid]
		last := batchMeta{firstSeq: -1, lastSeq: -1, lastOffset: -1, timestamp: e.lastTs}
		if e.n > 0 {
			last = e.batches[e.n-1]
		}
		be.PutUint64(p[0:], uint64(pid))
		be.PutUint16(p[8:], uint16(e.epoch))
		be.PutUint32(p[10:], uint32(last.lastSeq))
		be.PutUint64(p[14:], uint64(last.lastOffset))
		be.PutUint32(p[22:], uint32(last.offsetDelta))
		be.PutUint64(p[26:], uint64(last.timestamp))
		be.PutUint32(p[34:], uint32(e.coordEpoch))
		be.PutUint64(p[38:], uint64(e.txnFirst))
		p = p[snapshotEntrySize:]
	}
	be.PutUint32(buf[2:], crc32.Checksum(buf[6:], castagnoli))
	return buf
}

func (ps *producerState) takeSnapshot(offset int64) error {
	ps.lastOff = offset
	return writeFileAtomic(snapshotPath(ps.dir, offset), ps.encodeSnapshot())
}

func (ps *producerState) loadSnapshot(offset int64) error {
	data, err := os.ReadFile(snapshotPath(ps.dir, offset))
	if err != nil {
		return err
	}
	if len(data) < 10 {
		return fmt.Errorf("%w: snapshot too short", ErrCorruptMessage)
	}
	if v := be.Uint16(data); v != 1 {
		return fmt.Errorf("%w: snapshot version %d", ErrCorruptMessage, v)
	}
	if crc32.Checksum(data[6:], castagnoli) != be.Uint32(data[2:]) {
		return fmt.Errorf("%w: snapshot checksum mismatch", ErrCorruptMessage)
	}
	n := int(be.Uint32(data[6:]))
	if len(data) != 10+n*snapshotEntrySize {
		return fmt.Errorf("%w: snapshot length mismatch", ErrCorruptMessage)
	}
	ps.clear()
	p := data[10:]
	for i := 0; i < n; i++ {
		e := &producerEntry{
			pid:        int64(be.Uint64(p[0:])),
			epoch:      int16(be.Uint16(p[8:])),
			coordEpoch: int32(be.Uint32(p[34:])),
			txnFirst:   int64(be.Uint64(p[38:])),
			lastTs:     int64(be.Uint64(p[26:])),
		}
		lastSeq := int32(be.Uint32(p[10:]))
		delta := int32(be.Uint32(p[22:]))
		if lastSeq >= 0 {
			e.addBatch(batchMeta{
				firstSeq: decrementSequence(lastSeq, delta), lastSeq: lastSeq,
				lastOffset: int64(be.Uint64(p[14:])), offsetDelta: delta, timestamp: e.lastTs,
			})
		}
		ps.producers[e.pid] = e
		p = p[snapshotEntrySize:]
	}
	ps.lastOff = offset
	return nil
}

func (ps *producerState) active() []ProducerEntry {
	out := make([]ProducerEntry, 0, len(ps.producers))
	for _, e := range ps.producers {
		out = append(out, ProducerEntry{
			ProducerID: e.pid, Epoch: e.epoch, LastSequence: e.lastSeq(), LastTimestamp: e.lastTs,
			CoordinatorEpoch: e.coordEpoch, CurrentTxnStartOffset: e.txnFirst,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProducerID < out[j].ProducerID })
	return out
}

func decrementSequence(seq, dec int32) int32 {
	if seq < dec {
		return int32(^uint32(0)>>1) - (dec - seq) + 1
	}
	return seq - dec
}
