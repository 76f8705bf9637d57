package logstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Decompression is only needed off the hot path (ListOffsets by timestamp inside compressed
// batches); appends and fetches never decode records.

var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

var (
	zstdOnce sync.Once
	zstdDec  *zstd.Decoder
	zstdErr  error

	zstdEncOnce sync.Once
	zstdEnc     *zstd.Encoder
	zstdEncErr  error
)

// topicCodec maps compression.type to a codec id; ok=false for "producer" (keep what was sent).
func topicCodec(name string) (int, bool) {
	switch name {
	case "uncompressed", "none":
		return 0, true
	case "gzip":
		return 1, true
	case "snappy":
		return 2, true
	case "lz4":
		return 3, true
	case "zstd":
		return 4, true
	}
	return 0, false
}

// compressRecords produces the record stream the Java client would: gzip, xerial-framed snappy,
// LZ4 frames with 64 KiB blocks, zstd frames.
func compressRecords(codec int, raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	switch codec {
	case 0:
		return raw, nil
	case 1:
		w := gzip.NewWriter(&buf)
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	case 2:
		buf.Write(xerialMagic)
		buf.Write([]byte{0, 0, 0, 1, 0, 0, 0, 1})
		for p := raw; len(p) > 0; {
			n := len(p)
			if n > 32<<10 {
				n = 32 << 10
			}
			blk := snappy.Encode(nil, p[:n])
			var l [4]byte
			be.PutUint32(l[:], uint32(len(blk)))
			buf.Write(l[:])
			buf.Write(blk)
			p = p[n:]
		}
	case 3:
		w := lz4.NewWriter(&buf)
		if err := w.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.ChecksumOption(false)); err != nil {
			return nil, err
		}
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	case 4:
		zstdEncOnce.Do(func() { zstdEnc, zstdEncErr = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1)) })
		if zstdEncErr != nil {
			return nil, zstdEncErr
		}
		return zstdEnc.EncodeAll(raw, nil), nil
	default:
		return nil, fmt.Errorf("logstore: unknown compression codec %d", codec)
	}
	return buf.Bytes(), nil
}

// recompressBatch rewrites one batch's record stream with codec (LogValidator's non-in-place
// path when the topic's compression.type differs from the producer's). Header fields are kept.
func recompressBatch(batch []byte, codec int) ([]byte, error) {
	b := batchView(batch)
	raw, err := decompressRecords(b.compression(), batch[batchHeaderSize:b.size()])
	if err != nil {
		return nil, fmt.Errorf("%w: cannot decompress batch: %v", ErrCorruptMessage, err)
	}
	body, err := compressRecords(codec, raw)
	if err != nil {
		return nil, err
	}
	out := make([]byte, batchHeaderSize+len(body))
	copy(out, batch[:batchHeaderSize])
	copy(out[batchHeaderSize:], body)
	be.PutUint32(out[offBatchLength:], uint32(len(out)-logOverhead))
	attrs := uint16(b.attributes())&^attrCompressionMask | uint16(codec)
	be.PutUint16(out[offAttributes:], attrs)
	be.PutUint32(out[offCRC:], batchView(out).computeCRC())
	return out, nil
}

func decompressRecords(codec int, data []byte) ([]byte, error) {
	switch codec {
	case 0:
		return data, nil
	case 1:
		r, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	case 2:
		return decodeSnappy(data)
	case 3:
		return io.ReadAll(lz4.NewReader(bytes.NewReader(data)))
	case 4:
		zstdOnce.Do(func() { zstdDec, zstdErr = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1)) })
		if zstdErr != nil {
			return nil, zstdErr
		}
		return zstdDec.DecodeAll(data, nil)
	}
	return nil, fmt.Errorf("%w: unknown compression codec %d", ErrCorruptMessage, codec)
}

// decodeSnappy accepts Kafka's xerial-framed snappy (what the Java client writes) and raw blocks.
func decodeSnappy(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, xerialMagic) {
		return snappy.Decode(nil, data)
	}
	if len(data) < 16 {
		return nil, errors.New("logstore: truncated xerial snappy header")
	}
	p := data[16:]
	var out []byte
	for len(p) > 0 {
		if len(p) < 4 {
			return nil, errors.New("logstore: truncated xerial snappy chunk")
		}
		n := int(be.Uint32(p))
		p = p[4:]
		if n < 0 || n > len(p) {
			return nil, errors.New("logstore: truncated xerial snappy chunk")
		}
		chunk, err := snappy.Decode(nil, p[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, chunk...)
		p = p[n:]
	}
	return out, nil
}
