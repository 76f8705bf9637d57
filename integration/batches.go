package integration

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Byte offsets inside a v2 record batch header (Kafka's DefaultRecordBatch).
const (
	batchLengthOffset     = 8
	batchLeaderEpochOff   = 12
	batchMagicOffset      = 16
	batchCRCOffset        = 17
	batchAttributesOffset = 21
	batchProducerIDOffset = 43
	batchHeaderSize       = 61
	batchLogOverhead      = 12 // baseOffset + batchLength
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Batch is one record batch as found in a segment file or a fetch response.
type Batch struct {
	Pos             int64 // byte position in the file / buffer
	BaseOffset      int64
	Length          int32 // batchLength field: bytes after the length field
	LeaderEpoch     int32
	Magic           int8
	CRC             uint32
	Attributes      int16
	LastOffsetDelta int32
	BaseTimestamp   int64
	MaxTimestamp    int64
	ProducerID      int64
	ProducerEpoch   int16
	BaseSequence    int32
	NumRecords      int32
	Raw             []byte // the whole batch
}

// Codec is the compression codec in the attributes' low three bits.
func (b Batch) Codec() int { return int(b.Attributes & 7) }

// LastOffset is the offset of the batch's last record.
func (b Batch) LastOffset() int64 { return b.BaseOffset + int64(b.LastOffsetDelta) }

// CRCValid recomputes CRC-32C over attributes..end.
func (b Batch) CRCValid() bool {
	return crc32.Checksum(b.Raw[batchAttributesOffset:], castagnoli) == b.CRC
}

// ParseBatches walks whole v2 batches in buf; a trailing partial batch is ignored and its
// position returned as rest (== len(buf) when buf ends on a batch boundary).
func ParseBatches(buf []byte) (batches []Batch, rest int64, err error) {
	pos := 0
	for pos+batchLogOverhead <= len(buf) {
		length := int32(binary.BigEndian.Uint32(buf[pos+batchLengthOffset:]))
		end := pos + batchLogOverhead + int(length)
		if length < batchHeaderSize-batchLogOverhead || end > len(buf) {
			break
		}
		raw := buf[pos:end]
		b := Batch{
			Pos:             int64(pos),
			BaseOffset:      int64(binary.BigEndian.Uint64(raw[0:])),
			Length:          length,
			LeaderEpoch:     int32(binary.BigEndian.Uint32(raw[batchLeaderEpochOff:])),
			Magic:           int8(raw[batchMagicOffset]),
			CRC:             binary.BigEndian.Uint32(raw[batchCRCOffset:]),
			Attributes:      int16(binary.BigEndian.Uint16(raw[batchAttributesOffset:])),
			LastOffsetDelta: int32(binary.BigEndian.Uint32(raw[23:])),
			BaseTimestamp:   int64(binary.BigEndian.Uint64(raw[27:])),
			MaxTimestamp:    int64(binary.BigEndian.Uint64(raw[35:])),
			ProducerID:      int64(binary.BigEndian.Uint64(raw[batchProducerIDOffset:])),
			ProducerEpoch:   int16(binary.BigEndian.Uint16(raw[51:])),
			BaseSequence:    int32(binary.BigEndian.Uint32(raw[53:])),
			NumRecords:      int32(binary.BigEndian.Uint32(raw[57:])),
			Raw:             raw,
		}
		if b.Magic != 2 {
			return batches, int64(pos), fmt.Errorf("batch at %d: magic %d", pos, b.Magic)
		}
		batches = append(batches, b)
		pos = end
	}
	return batches, int64(pos), nil
}

// SegmentFiles lists a partition dir's .log files in offset order.
func SegmentFiles(t testing.TB, partitionDir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(partitionDir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

// ReadSegmentBatches parses every whole batch of one segment file.
func ReadSegmentBatches(t testing.TB, path string) []Batch {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read segment: %v", err)
	}
	bs, rest, err := ParseBatches(data)
	if err != nil {
		t.Fatalf("segment %s: %v", path, err)
	}
	if rest != int64(len(data)) {
		t.Fatalf("segment %s: %d trailing bytes after the last whole batch", path, int64(len(data))-rest)
	}
	return bs
}

// RawRecord is one record for BuildBatch.
type RawRecord struct {
	Key, Value []byte // nil key = null key
	Headers    [][2][]byte
}

// BuildBatch encodes an uncompressed v2 batch exactly as a producer would: base offset 0,
// partition leader epoch -1, CRC-32C over attributes..end. producerID -1 = not idempotent.
func BuildBatch(producerID int64, producerEpoch int16, baseSequence int32, timestamp int64, recs ...RawRecord) []byte {
	var records []byte
	for i, r := range recs {
		var body []byte
		body = append(body, 0) // record attributes
		body = binary.AppendVarint(body, 0)
		body = binary.AppendVarint(body, int64(i))
		if r.Key == nil {
			body = binary.AppendVarint(body, -1)
		} else {
			body = binary.AppendVarint(body, int64(len(r.Key)))
			body = append(body, r.Key...)
		}
		if r.Value == nil {
			body = binary.AppendVarint(body, -1)
		} else {
			body = binary.AppendVarint(body, int64(len(r.Value)))
			body = append(body, r.Value...)
		}
		body = binary.AppendVarint(body, int64(len(r.Headers)))
		for _, h := range r.Headers {
			body = binary.AppendVarint(body, int64(len(h[0])))
			body = append(body, h[0]...)
			body = binary.AppendVarint(body, int64(len(h[1])))
			body = append(body, h[1]...)
		}
		records = binary.AppendVarint(records, int64(len(body)))
		records = append(records, body...)
	}
	b := make([]byte, batchHeaderSize, batchHeaderSize+len(records))
	binary.BigEndian.PutUint64(b[0:], 0)
	binary.BigEndian.PutUint32(b[batchLengthOffset:], uint32(batchHeaderSize-batchLogOverhead+len(records)))
	binary.BigEndian.PutUint32(b[batchLeaderEpochOff:], 0xffffffff)
	b[batchMagicOffset] = 2
	binary.BigEndian.PutUint16(b[batchAttributesOffset:], 0)
	binary.BigEndian.PutUint32(b[23:], uint32(len(recs)-1))
	binary.BigEndian.PutUint64(b[27:], uint64(timestamp))
	binary.BigEndian.PutUint64(b[35:], uint64(timestamp))
	binary.BigEndian.PutUint64(b[batchProducerIDOffset:], uint64(producerID))
	binary.BigEndian.PutUint16(b[51:], uint16(producerEpoch))
	binary.BigEndian.PutUint32(b[53:], uint32(baseSequence))
	binary.BigEndian.PutUint32(b[57:], uint32(len(recs)))
	b = append(b, records...)
	binary.BigEndian.PutUint32(b[batchCRCOffset:], crc32.Checksum(b[batchAttributesOffset:], castagnoli))
	return b
}

// DecodedRecord is one record of an uncompressed batch.
type DecodedRecord struct {
	Offset  int64
	Key     []byte
	Value   []byte
	Headers [][2][]byte
}

var errShortRecord = errors.New("integration: truncated record")

// DecodeRecords decodes the records of an uncompressed batch (fetch-response checks).
func DecodeRecords(b Batch) ([]DecodedRecord, error) {
	if b.Codec() != 0 {
		return nil, fmt.Errorf("integration: batch at %d is compressed (codec %d)", b.BaseOffset, b.Codec())
	}
	buf := b.Raw[batchHeaderSize:]
	readVarint := func() (int64, error) {
		v, n := binary.Varint(buf)
		if n <= 0 {
			return 0, errShortRecord
		}
		buf = buf[n:]
		return v, nil
	}
	readBytes := func() ([]byte, error) {
		n, err := readVarint()
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		if int(n) > len(buf) {
			return nil, errShortRecord
		}
		out := buf[:n]
		buf = buf[n:]
		return out, nil
	}
	var out []DecodedRecord
	for i := int32(0); i < b.NumRecords; i++ {
		if _, err := readVarint(); err != nil { // length
			return nil, err
		}
		if len(buf) < 1 {
			return nil, errShortRecord
		}
		buf = buf[1:]                           // attributes
		if _, err := readVarint(); err != nil { // timestamp delta
			return nil, err
		}
		delta, err := readVarint()
		if err != nil {
			return nil, err
		}
		r := DecodedRecord{Offset: b.BaseOffset + delta}
		if r.Key, err = readBytes(); err != nil {
			return nil, err
		}
		if r.Value, err = readBytes(); err != nil {
			return nil, err
		}
		nh, err := readVarint()
		if err != nil {
			return nil, err
		}
		for h := int64(0); h < nh; h++ {
			k, err := readBytes()
			if err != nil {
				return nil, err
			}
			v, err := readBytes()
			if err != nil {
				return nil, err
			}
			r.Headers = append(r.Headers, [2][]byte{k, v})
		}
		out = append(out, r)
	}
	return out, nil
}

// SegmentName is Kafka's %020d file name for a base offset.
func SegmentName(baseOffset int64, ext string) string {
	return fmt.Sprintf("%020d%s", baseOffset, ext)
}

// dirNames lists the names in dir with the given prefix.
func dirNames(t testing.TB, dir, prefix string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}
