package broker

import (
	"encoding/binary"
	"errors"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kmsg"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCompressedInternal: the broker writes its internal topics uncompressed
// (offsets.topic.compression.codec=0), so a compressed batch there is not ours.
var errCompressedInternal = errors.New("broker: compressed batch in an internal topic")

// kv is one record the broker writes itself (group metadata and offset commits).
type kv struct{ Key, Value []byte }

// buildBatch encodes records as one uncompressed v2 batch with offsets 0..n-1; the log assigns
// the real offsets on append. Only the broker's own low-volume writes use it.
func buildBatch(records []kv, timestampMs int64) []byte {
	b := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: int32(len(records) - 1),
		FirstTimestamp: timestampMs, MaxTimestamp: timestampMs,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: int32(len(records)),
	}
	var recs []byte
	for i, r := range records {
		rec := kmsg.Record{OffsetDelta: int32(i), Key: r.Key, Value: r.Value}
		// Length counts what follows the length varint itself: encode once with 0 to measure.
		rec.Length = int32(len(rec.AppendTo(nil)) - 1)
		recs = rec.AppendTo(recs)
	}
	b.Records = recs
	raw := b.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[8:12], uint32(len(raw)-12))
	binary.BigEndian.PutUint32(raw[17:21], crc32.Checksum(raw[21:], castagnoli))
	return raw
}

// forEachRecord walks the uncompressed v2 batches in buf, calling fn with each record's
// absolute offset, key and value. Control batches are skipped.
func forEachRecord(buf []byte, fn func(offset int64, key, value []byte) error) error {
	for len(buf) >= 61 {
		base := int64(binary.BigEndian.Uint64(buf[0:8]))
		size := int(binary.BigEndian.Uint32(buf[8:12])) + 12
		if size < 61 || size > len(buf) {
			return nil // a partial trailing batch: the caller reads on from its offset
		}
		batch := buf[:size]
		buf = buf[size:]
		attrs := binary.BigEndian.Uint16(batch[21:23])
		if attrs&0x20 != 0 {
			continue
		}
		if attrs&0x7 != 0 {
			return errCompressedInternal
		}
		n := int(binary.BigEndian.Uint32(batch[57:61]))
		recs := batch[61:]
		for i := 0; i < n && len(recs) > 0; i++ {
			length, used := binary.Varint(recs)
			if used <= 0 || int(length) < 0 || used+int(length) > len(recs) {
				return errors.New("broker: malformed record in internal topic")
			}
			var r kmsg.Record
			if err := r.ReadFrom(recs[:used+int(length)]); err != nil {
				return err
			}
			if err := fn(base+int64(r.OffsetDelta), r.Key, r.Value); err != nil {
				return err
			}
			recs = recs[used+int(length):]
		}
	}
	return nil
}
