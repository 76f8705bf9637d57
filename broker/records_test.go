package broker

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
)

func TestBuildBatchRoundTrip(t *testing.T) {
	recs := []kv{{Key: []byte("k0"), Value: []byte("v0")}, {Key: []byte("k1"), Value: nil}, {Key: nil, Value: []byte("value-2")}}
	raw := buildBatch(recs, 1700000000000)
	if got := int(binary.BigEndian.Uint32(raw[8:12])) + 12; got != len(raw) {
		t.Fatalf("batch length field %d, encoded %d bytes", got, len(raw))
	}
	if raw[16] != 2 {
		t.Fatalf("magic %d, want 2", raw[16])
	}
	if crc := binary.BigEndian.Uint32(raw[17:21]); crc != crc32.Checksum(raw[21:], castagnoli) {
		t.Fatalf("crc %x does not cover the batch", crc)
	}
	// Pretend the log placed it at offset 40, twice back to back.
	binary.BigEndian.PutUint64(raw[0:8], 40)
	buf := append(append([]byte{}, raw...), raw...)
	binary.BigEndian.PutUint64(buf[len(raw):len(raw)+8], 43)
	var offsets []int64
	var keys, values [][]byte
	err := forEachRecord(buf, func(off int64, k, v []byte) error {
		offsets = append(offsets, off)
		keys, values = append(keys, k), append(values, v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{40, 41, 42, 43, 44, 45}
	if len(offsets) != len(want) {
		t.Fatalf("offsets %v, want %v", offsets, want)
	}
	for i := range want {
		if offsets[i] != want[i] {
			t.Fatalf("offsets %v, want %v", offsets, want)
		}
		r := recs[i%3]
		if !bytes.Equal(keys[i], r.Key) || !bytes.Equal(values[i], r.Value) || (r.Value == nil) != (values[i] == nil) {
			t.Fatalf("record %d = %q/%q, want %q/%q", i, keys[i], values[i], r.Key, r.Value)
		}
	}
	// A torn trailing batch is ignored, not misread.
	n := 0
	if err := forEachRecord(buf[:len(buf)-5], func(int64, []byte, []byte) error { n++; return nil }); err != nil || n != 3 {
		t.Fatalf("torn tail: %d records, err %v; want 3, nil", n, err)
	}
}
