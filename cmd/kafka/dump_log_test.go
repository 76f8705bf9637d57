package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kafka-classic/kafka-classic/coordinator"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

type testRecord struct {
	key, value []byte
	headers    []string
	tsDelta    int64
}

func appendVarint(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

func appendVarBytes(b []byte, v []byte) []byte {
	if v == nil {
		return appendVarint(b, -1)
	}
	return append(appendVarint(b, int64(len(v))), v...)
}

func compressForTest(t *testing.T, codec int, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch codec {
	case 0:
		return raw
	case 1:
		w := gzip.NewWriter(&buf)
		w.Write(raw)
		w.Close()
	case 2: // xerial framing, as the Java client writes it
		buf.Write(xerialMagic)
		buf.Write([]byte{0, 0, 0, 1, 0, 0, 0, 1})
		blk := s2.EncodeSnappy(nil, raw)
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(blk)))
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

// buildBatch encodes a magic-2 batch the way a broker stores it.
func buildBatch(t *testing.T, base int64, epoch int32, firstTs int64, attrs int16, pid int64, pepoch int16, baseSeq int32, recs []testRecord) []byte {
	t.Helper()
	var raw []byte
	maxTs := firstTs
	for i, r := range recs {
		var body []byte
		body = append(body, 0)
		body = appendVarint(body, r.tsDelta)
		body = appendVarint(body, int64(i))
		body = appendVarBytes(body, r.key)
		body = appendVarBytes(body, r.value)
		body = appendVarint(body, int64(len(r.headers)))
		for _, h := range r.headers {
			body = appendVarBytes(body, []byte(h))
			body = appendVarBytes(body, []byte("v"))
		}
		raw = appendVarint(raw, int64(len(body)))
		raw = append(raw, body...)
		maxTs = max(maxTs, firstTs+r.tsDelta)
	}
	records := compressForTest(t, int(attrs&7), raw)
	b := make([]byte, 61, 61+len(records))
	binary.BigEndian.PutUint64(b[0:], uint64(base))
	binary.BigEndian.PutUint32(b[8:], uint32(49+len(records)))
	binary.BigEndian.PutUint32(b[12:], uint32(epoch))
	b[16] = 2
	binary.BigEndian.PutUint16(b[21:], uint16(attrs))
	binary.BigEndian.PutUint32(b[23:], uint32(len(recs)-1))
	binary.BigEndian.PutUint64(b[27:], uint64(firstTs))
	binary.BigEndian.PutUint64(b[35:], uint64(maxTs))
	binary.BigEndian.PutUint64(b[43:], uint64(pid))
	binary.BigEndian.PutUint16(b[51:], uint16(pepoch))
	binary.BigEndian.PutUint32(b[53:], uint32(baseSeq))
	binary.BigEndian.PutUint32(b[57:], uint32(len(recs)))
	b = append(b, records...)
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

func TestDumpLogLines(t *testing.T) {
	dir := t.TempDir()
	b1 := buildBatch(t, 0, 0, 1614000000000, 0, -1, -1, -1, []testRecord{
		{key: []byte("k"), value: []byte("hello")},
		{value: []byte("world"), tsDelta: 5, headers: []string{"h1", "h2"}},
	})
	b2 := buildBatch(t, 2, 3, 1614000000100, 0, 7, 1, 0, []testRecord{{value: []byte("x")}})
	data := append(append(append([]byte(nil), b1...), b2...), 1, 2, 3)
	path := filepath.Join(dir, "00000000000000000000.log")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	crc1 := binary.BigEndian.Uint32(b1[17:])
	crc2 := binary.BigEndian.Uint32(b2[17:])
	out, errOut, code := runIn(t, "kafka-dump-log", "", "--files", path, "--print-data-log")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
	want := []string{
		"Dumping " + path,
		"Starting offset: 0",
		"baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false position: 0 CreateTime: 1614000000005 size: " + itoa(len(b1)) + " magic: 2 compresscodec: NONE crc: " + utoa(crc1) + " isvalid: true",
		"| offset: 0 isValid: true crc: null keySize: 1 valueSize: 5 CreateTime: 1614000000000 baseOffset: 0 lastOffset: 1 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: " + itoa(len(b1)) + " magic: 2 compressType: NONE position: 0 sequence: -1 headerKeys: [] key: k payload: hello",
		"| offset: 1 isValid: true crc: null keySize: -1 valueSize: 5 CreateTime: 1614000000005 baseOffset: 0 lastOffset: 1 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: " + itoa(len(b1)) + " magic: 2 compressType: NONE position: 0 sequence: -1 headerKeys: [h1,h2] payload: world",
		"baseOffset: 2 lastOffset: 2 count: 1 baseSequence: 0 lastSequence: 0 producerId: 7 producerEpoch: 1 partitionLeaderEpoch: 3 isTransactional: false isControl: false position: " + itoa(len(b1)) + " CreateTime: 1614000000100 size: " + itoa(len(b2)) + " magic: 2 compresscodec: NONE crc: " + utoa(crc2) + " isvalid: true",
		"| offset: 2 isValid: true crc: null keySize: -1 valueSize: 1 CreateTime: 1614000000100 baseOffset: 2 lastOffset: 2 baseSequence: 0 lastSequence: 0 producerEpoch: 1 partitionLeaderEpoch: 3 batchSize: " + itoa(len(b2)) + " magic: 2 compressType: NONE position: " + itoa(len(b1)) + " sequence: 0 headerKeys: [] payload: x",
		"Found 3 invalid bytes at the end of 00000000000000000000.log",
		"",
	}
	if got := strings.Split(out, "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}

	// Shallow iteration prints batch lines only. With --skip-record-metadata Kafka still puts a
	// bare " payload:" after a missing key: the "| " prefix only goes before a key.
	out, _, _ = runIn(t, "kafka-dump-log", "", "--files", path)
	if strings.Contains(out, "| offset") || !strings.Contains(out, "baseOffset: 2 lastOffset: 2") {
		t.Errorf("shallow dump:\n%s", out)
	}
	out, _, _ = runIn(t, "kafka-dump-log", "", "--files", path, "--print-data-log", "--skip-record-metadata")
	if !strings.Contains(out, "\n| key: k payload: hello\n payload: world\n") {
		t.Errorf("skip-record-metadata:\n%s", out)
	}
}

func itoa(n int) string    { return strconv.Itoa(n) }
func utoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

func TestDumpLogCompressedBatches(t *testing.T) {
	for codec, name := range codecNames {
		if codec == 0 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			b := buildBatch(t, 10, 0, 1000, int16(codec), -1, -1, -1, []testRecord{
				{value: []byte("a")}, {value: []byte("bb"), tsDelta: 1}, {value: []byte("ccc"), tsDelta: 2},
			})
			path := filepath.Join(dir, "00000000000000000010.log")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			out, errOut, code := runIn(t, "kafka-dump-log", "", "--files", path, "--deep-iteration", "--print-data-log")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 6 {
				t.Fatalf("want 6 lines, got:\n%s", out)
			}
			if lines[1] != "Starting offset: 10" || !strings.Contains(lines[2], "compresscodec: "+name+" ") || !strings.HasSuffix(lines[2], "isvalid: true") {
				t.Errorf("batch line: %s", lines[2])
			}
			for i, want := range []string{"offset: 10", "offset: 11", "offset: 12"} {
				if !strings.HasPrefix(lines[3+i], "| "+want+" ") || !strings.Contains(lines[3+i], "compressType: "+name) {
					t.Errorf("record line %d: %s", i, lines[3+i])
				}
			}
			if !strings.HasSuffix(lines[5], "CreateTime: 1002 baseOffset: 10 lastOffset: 12 baseSequence: -1 lastSequence: -1 producerEpoch: -1 partitionLeaderEpoch: 0 batchSize: "+itoa(len(b))+" magic: 2 compressType: "+name+" position: 0 sequence: -1 headerKeys: [] payload: ccc") &&
				!strings.Contains(lines[5], "payload: ccc") {
				t.Errorf("last record: %s", lines[5])
			}
		})
	}
}

func TestDumpIndexAndTimeIndex(t *testing.T) {
	dir := t.TempDir()
	b1 := buildBatch(t, 100, 0, 5000, 0, -1, -1, -1, []testRecord{{value: []byte("a")}, {value: []byte("b"), tsDelta: 3}})
	b2 := buildBatch(t, 102, 0, 6000, 0, -1, -1, -1, []testRecord{{value: []byte("c")}})
	log := append(append([]byte(nil), b1...), b2...)
	base := filepath.Join(dir, "00000000000000000100")
	os.WriteFile(base+".log", log, 0o644)
	idx := make([]byte, 8*4) // two entries then preallocated zeros
	binary.BigEndian.PutUint32(idx[0:], 1)
	binary.BigEndian.PutUint32(idx[4:], 0)
	binary.BigEndian.PutUint32(idx[8:], 2)
	binary.BigEndian.PutUint32(idx[12:], uint32(len(b1)))
	os.WriteFile(base+".index", idx, 0o644)
	tidx := make([]byte, 12*3)
	binary.BigEndian.PutUint64(tidx[0:], 5003)
	binary.BigEndian.PutUint32(tidx[8:], 1)
	binary.BigEndian.PutUint64(tidx[12:], 6000)
	binary.BigEndian.PutUint32(tidx[20:], 2)
	os.WriteFile(base+".timeindex", tidx, 0o644)

	out, errOut, code := runIn(t, "kafka-dump-log", "", "--files", base+".index,"+base+".timeindex")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	want := "Dumping " + base + ".index\noffset: 101 position: 0\noffset: 102 position: " + itoa(len(b1)) + "\n" +
		"Dumping " + base + ".timeindex\ntimestamp: 5003 offset: 101\ntimestamp: 6000 offset: 102\n"
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	if errOut != "" {
		t.Errorf("unexpected verification errors: %s", errOut)
	}

	// A wrong index entry is reported on stderr as Kafka does.
	binary.BigEndian.PutUint32(idx[8:], 1)
	os.WriteFile(base+".index", idx, 0o644)
	out, errOut, _ = runIn(t, "kafka-dump-log", "", "--files", base+".index", "--verify-index-only")
	abs, _ := filepath.Abs(base + ".index")
	if out != "Dumping "+base+".index\n" || errOut != "Mismatches in :"+abs+"\n  Index offset: 101, log offset: 102\n" {
		t.Errorf("verify: out %q err %q", out, errOut)
	}
	out, _, _ = runIn(t, "kafka-dump-log", "", "--files", base+".index", "--index-sanity-check")
	if !strings.HasSuffix(out, base+".index passed sanity check.\n") {
		t.Errorf("sanity: %q", out)
	}
}

func TestDumpOffsetsDecoder(t *testing.T) {
	dir := t.TempDir()
	key := coordinator.EncodeOffsetKey("g", "orders", 3)
	val := coordinator.EncodeOffsetValue(coordinator.OffsetValue{Offset: 42, LeaderEpoch: -1, CommitTimestamp: 1, ExpireTimestamp: -1})
	b := buildBatch(t, 0, 0, 1, 0, -1, -1, -1, []testRecord{{key: key, value: val}, {key: key}})
	path := filepath.Join(dir, "00000000000000000000.log")
	os.WriteFile(path, b, 0o644)
	out, _, code := runIn(t, "kafka-dump-log", "", "--files", path, "--offsets-decoder")
	if code != 0 {
		t.Fatal(code)
	}
	if !strings.Contains(out, " headerKeys: [] key: offset_commit::group=g,partition=orders-3 payload: offset=42\n") ||
		!strings.Contains(out, " headerKeys: [] key: offset_commit::group=g,partition=orders-3 payload: <DELETE>\n") {
		t.Errorf("offsets decoder:\n%s", out)
	}
}

func TestDumpLogArgs(t *testing.T) {
	_, errOut, code := runIn(t, "kafka-dump-log", "")
	if code != 1 || firstLine(errOut) != "This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly corrupt log segment." {
		t.Errorf("no args: %d %q", code, firstLine(errOut))
	}
	_, errOut, code = runIn(t, "kafka-dump-log", "", "--print-data-log")
	if code != 1 || firstLine(errOut) != `Missing required argument "[files]"` {
		t.Errorf("no files: %d %q", code, firstLine(errOut))
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "x.cleaned")
	os.WriteFile(p, nil, 0o644)
	out, errOut, code := runIn(t, "kafka-dump-log", "", "--files", p)
	if code != 0 || out != "Dumping "+p+"\n" || errOut != "Ignoring unknown file "+p+"\n" {
		t.Errorf("unknown: %d %q %q", code, out, errOut)
	}
}

func TestUnsnappyRaw(t *testing.T) {
	raw := []byte(strings.Repeat("abc", 100))
	got, err := unsnappy(s2.EncodeSnappy(nil, raw))
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("raw snappy: %v", err)
	}
}

func TestDumpTransactionLogDecoder(t *testing.T) {
	key := []byte{0, 0, 0, 3, 't', 'x', '1'}
	var val []byte
	val = binary.BigEndian.AppendUint16(val, 0)
	val = binary.BigEndian.AppendUint64(val, 4000)
	val = binary.BigEndian.AppendUint16(val, 2)
	val = binary.BigEndian.AppendUint32(val, 60000)
	val = append(val, 1) // Ongoing
	val = binary.BigEndian.AppendUint32(val, 1)
	val = binary.BigEndian.AppendUint16(val, 6)
	val = append(val, "orders"...)
	val = binary.BigEndian.AppendUint32(val, 2)
	val = binary.BigEndian.AppendUint32(val, 0)
	val = binary.BigEndian.AppendUint32(val, 3)
	val = binary.BigEndian.AppendUint64(val, 1614000000000)
	val = binary.BigEndian.AppendUint64(val, 1613999999000)
	k, v, err := formatTxnRecord(key, val)
	if err != nil || k != "transaction_metadata::transactionalId=tx1" ||
		v != "producerId:4000,producerEpoch:2,state=Ongoing,partitions=[orders-0,orders-3],txnLastUpdateTimestamp=1614000000000,txnTimeoutMs=60000" {
		t.Errorf("%q %q %v", k, v, err)
	}
	if _, v, _ := formatTxnRecord(key, nil); v != "<DELETE>" {
		t.Errorf("tombstone %q", v)
	}
}
