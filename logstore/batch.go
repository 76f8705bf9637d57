package logstore

import (
	"encoding/binary"
	"hash/crc32"
)

// Layout of a v2 record batch header (DefaultRecordBatch).
const (
	offBaseOffset      = 0
	offBatchLength     = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offFirstTimestamp  = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offRecordsCount    = 57

	batchHeaderSize = 61 // RECORD_BATCH_OVERHEAD
	logOverhead     = 12 // baseOffset + batchLength
	// headerPrefix is how much of a header we need to walk batches and locate offsets.
	headerPrefix = offFirstTimestamp

	attrCompressionMask = 0x07
	attrLogAppendTime   = 0x08
	attrTransactional   = 0x10
	attrControl         = 0x20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var be = binary.BigEndian

// batchView is a read-only window on one batch's header; b holds at least batchHeaderSize bytes
// (or headerPrefix for the lightweight walkers).
type batchView []byte

func (b batchView) baseOffset() int64      { return int64(be.Uint64(b[offBaseOffset:])) }
func (b batchView) batchLength() int32     { return int32(be.Uint32(b[offBatchLength:])) }
func (b batchView) size() int              { return int(b.batchLength()) + logOverhead }
func (b batchView) leaderEpoch() int32     { return int32(be.Uint32(b[offLeaderEpoch:])) }
func (b batchView) magic() int8            { return int8(b[offMagic]) }
func (b batchView) crc() uint32            { return be.Uint32(b[offCRC:]) }
func (b batchView) attributes() int16      { return int16(be.Uint16(b[offAttributes:])) }
func (b batchView) lastOffsetDelta() int32 { return int32(be.Uint32(b[offLastOffsetDelta:])) }
func (b batchView) lastOffset() int64      { return b.baseOffset() + int64(b.lastOffsetDelta()) }
func (b batchView) firstTimestamp() int64  { return int64(be.Uint64(b[offFirstTimestamp:])) }
func (b batchView) maxTimestamp() int64    { return int64(be.Uint64(b[offMaxTimestamp:])) }
func (b batchView) producerID() int64      { return int64(be.Uint64(b[offProducerID:])) }
func (b batchView) producerEpoch() int16   { return int16(be.Uint16(b[offProducerEpoch:])) }
func (b batchView) baseSequence() int32    { return int32(be.Uint32(b[offBaseSequence:])) }
func (b batchView) recordsCount() int32    { return int32(be.Uint32(b[offRecordsCount:])) }
func (b batchView) isControl() bool        { return b.attributes()&attrControl != 0 }
func (b batchView) isTransactional() bool  { return b.attributes()&attrTransactional != 0 }
func (b batchView) compression() int       { return int(b.attributes() & attrCompressionMask) }
func (b batchView) logAppendTime() bool    { return b.attributes()&attrLogAppendTime != 0 }

// lastSequence follows DefaultRecordBatch: sequences wrap at Int32.MAX back to 0.
func (b batchView) lastSequence() int32 {
	base := b.baseSequence()
	if base < 0 {
		return -1
	}
	return incrementSequence(base, b.lastOffsetDelta())
}

func incrementSequence(seq, inc int32) int32 {
	if seq > int32(^uint32(0)>>1)-inc {
		return inc - (int32(^uint32(0)>>1) - seq) - 1
	}
	return seq + inc
}

func (b batchView) computeCRC() uint32 { return crc32.Checksum(b[offAttributes:b.size()], castagnoli) }

// checkBatch validates one complete batch at the start of buf: length bounds, magic, CRC.
// It returns the batch size.
func checkBatch(buf []byte) (int, error) {
	if len(buf) < logOverhead {
		return 0, corruptf("batch header truncated (%d bytes)", len(buf))
	}
	b := batchView(buf)
	length := b.batchLength()
	if length < batchHeaderSize-logOverhead {
		return 0, corruptf("batch length %d is smaller than the minimum %d", length, batchHeaderSize-logOverhead)
	}
	size := int(length) + logOverhead
	if size > len(buf) {
		return 0, corruptf("batch size %d exceeds the remaining %d bytes", size, len(buf))
	}
	if m := b.magic(); m != 2 {
		if m >= 0 && m < 2 {
			return 0, ErrUnsupportedMagic
		}
		return 0, corruptf("unknown magic %d", m)
	}
	if got, want := b.computeCRC(), b.crc(); got != want {
		return 0, corruptf("record batch is corrupt (stored crc = %d, computed crc = %d)", want, got)
	}
	return size, nil
}

// controlCoordinatorEpoch parses the EndTransactionMarker of an uncompressed control batch.
// Returns -1 when it cannot (it is informational only).
func controlCoordinatorEpoch(batch []byte) int32 {
	p := batch[batchHeaderSize:]
	var ok bool
	read := func() int64 {
		v, n := binary.Varint(p)
		if n <= 0 {
			ok = false
			return 0
		}
		p = p[n:]
		return v
	}
	ok = true
	read() // length
	if len(p) < 1 {
		return -1
	}
	p = p[1:] // attributes
	read()    // timestamp delta
	read()    // offset delta
	kl := read()
	if !ok || kl < 0 || int64(len(p)) < kl {
		return -1
	}
	p = p[kl:]
	vl := read()
	if !ok || vl < 6 || int64(len(p)) < vl {
		return -1
	}
	return int32(be.Uint32(p[2:]))
}

// controlType returns 0 (ABORT), 1 (COMMIT) or -1 for an uncompressed control batch.
func controlType(batch []byte) int16 {
	p := batch[batchHeaderSize:]
	for i := 0; i < 3; i++ { // length, then skip attributes byte after it
		_, n := binary.Varint(p)
		if n <= 0 {
			return -1
		}
		p = p[n:]
		if i == 0 {
			if len(p) < 1 {
				return -1
			}
			p = p[1:]
		}
	}
	kl, n := binary.Varint(p)
	if n <= 0 || kl < 4 || int64(len(p)-n) < kl {
		return -1
	}
	return int16(be.Uint16(p[n+2:]))
}

// firstRecordAtOrAfter decodes the record timestamps of a batch (decompressing if needed) and
// returns the offset and timestamp of the first record with timestamp >= ts.
func firstRecordAtOrAfter(batch []byte, ts int64) (int64, int64, bool) {
	b := batchView(batch)
	base := b.baseOffset()
	firstTs := b.firstTimestamp()
	p, err := decompressRecords(b.compression(), batch[batchHeaderSize:b.size()])
	if err != nil {
		return 0, 0, false
	}
	for i := int32(0); i < b.recordsCount() && len(p) > 0; i++ {
		l, n := binary.Varint(p)
		if n <= 0 || l < 0 || int64(len(p)-n) < l {
			return 0, 0, false
		}
		rec := p[n : n+int(l)]
		p = p[n+int(l):]
		if len(rec) < 1 {
			return 0, 0, false
		}
		rec = rec[1:]
		td, n1 := binary.Varint(rec)
		if n1 <= 0 {
			return 0, 0, false
		}
		od, n2 := binary.Varint(rec[n1:])
		if n2 <= 0 {
			return 0, 0, false
		}
		if firstTs+td >= ts {
			return base + od, firstTs + td, true
		}
	}
	return 0, 0, false
}

// recordsHaveKeys walks an uncompressed batch's records and reports whether every one has a
// non-null key (compacted topics). ok=false if the records are malformed.
func recordsHaveKeys(batch []byte) (allKeyed bool, ok bool) {
	b := batchView(batch)
	p := batch[batchHeaderSize:b.size()]
	for i := int32(0); i < b.recordsCount(); i++ {
		l, n := binary.Varint(p)
		if n <= 0 || l < 1 || int64(len(p)-n) < l {
			return false, false
		}
		rec := p[n+1 : n+int(l)] // skip attributes
		p = p[n+int(l):]
		for j := 0; j < 2; j++ { // timestamp delta, offset delta
			_, m := binary.Varint(rec)
			if m <= 0 {
				return false, false
			}
			rec = rec[m:]
		}
		kl, m := binary.Varint(rec)
		if m <= 0 {
			return false, false
		}
		if kl < 0 {
			return false, true
		}
	}
	return true, len(p) == 0
}
