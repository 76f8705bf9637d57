package logstore

import (
	"bytes"
	"hash/crc32"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

func compress(t *testing.T, codec int, raw []byte) []byte {
	var buf bytes.Buffer
	switch codec {
	case 1:
		w := gzip.NewWriter(&buf)
		w.Write(raw)
		w.Close()
	case 2:
		buf.Write(xerialMagic)
		buf.Write([]byte{0, 0, 0, 1, 0, 0, 0, 1})
		blk := snappy.Encode(nil, raw)
		var n [4]byte
		be.PutUint32(n[:], uint32(len(blk)))
		buf.Write(n[:])
		buf.Write(blk)
	case 3:
		w := lz4.NewWriter(&buf)
		w.Write(raw)
		w.Close()
	case 4:
		w, _ := zstd.NewWriter(&buf)
		w.Write(raw)
		w.Close()
	}
	return buf.Bytes()
}

// compressedBatch re-packs makeBatch's records with a codec.
func compressedBatch(t *testing.T, codec int, s batchSpec) []byte {
	plain := makeBatch(s)
	body := compress(t, codec, plain[batchHeaderSize:])
	b := append(append([]byte(nil), plain[:batchHeaderSize]...), body...)
	be.PutUint32(b[offBatchLength:], uint32(len(b)-logOverhead))
	be.PutUint16(b[offAttributes:], uint16(codec))
	be.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b
}

func TestFetchOffsetByTimestampCompressed(t *testing.T) {
	for codec := 1; codec <= 4; codec++ {
		m, l, _ := newTestLog(t, nil)
		for i := 0; i < 5; i++ {
			if _, err := l.AppendAsLeader(compressedBatch(t, codec, plainSpec(10, 30, 1000+int64(i)*100)), 0); err != nil {
				t.Fatalf("codec %d: %v", codec, err)
			}
		}
		off, ts, ok := l.FetchOffsetByTimestamp(1205)
		if !ok || off != 25 || ts != 1205 {
			t.Errorf("codec %d: FetchOffsetByTimestamp(1205) = %d %d %v, want 25 1205", codec, off, ts, ok)
		}
		off, ts, ok = l.FetchOffsetByTimestamp(1050)
		if !ok || off != 10 || ts != 1100 {
			t.Errorf("codec %d: FetchOffsetByTimestamp(1050) = %d %d %v, want 10 1100", codec, off, ts, ok)
		}
		m.Close()
	}
}

func TestTopicCompressionTypeRecompresses(t *testing.T) {
	names := map[int]string{0: "uncompressed", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
	for target := 0; target <= 4; target++ {
		for src := 0; src <= 4; src++ {
			m, l, _ := newTestLog(t, nil)
			cfg := l.Config()
			cfg.CompressionType = names[target]
			l.SetConfig(cfg)
			plain := makeBatch(plainSpec(20, 50, 1000))
			in := plain
			if src != 0 {
				in = compressedBatch(t, src, plainSpec(20, 50, 1000))
			}
			res, err := l.AppendAsLeader(in, 0)
			if err != nil || res.NumRecords != 20 {
				t.Fatalf("%s->%s: %+v %v", names[src], names[target], res, err)
			}
			r, _ := l.Read(0, 1<<20, l.LogEndOffset(), true)
			stored, _ := r.AppendTo(nil)
			if _, err := checkBatch(stored); err != nil {
				t.Fatalf("%s->%s: stored batch invalid: %v", names[src], names[target], err)
			}
			bv := batchView(stored)
			if bv.compression() != target || bv.recordsCount() != 20 || bv.lastOffsetDelta() != 19 {
				t.Fatalf("%s->%s: codec %d count %d", names[src], names[target], bv.compression(), bv.recordsCount())
			}
			raw, err := decompressRecords(target, stored[batchHeaderSize:])
			if err != nil || !bytes.Equal(raw, plain[batchHeaderSize:]) {
				t.Fatalf("%s->%s: records differ after recompression (%v)", names[src], names[target], err)
			}
			m.Close()
		}
	}
}
