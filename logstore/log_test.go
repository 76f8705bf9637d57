package logstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafka-classic/kafka-classic/config"
)

func newTestLog(t testing.TB, cfg func(c *config.Log)) (*Manager, *Log, string) {
	t.Helper()
	dir := t.TempDir()
	c := testConfig()
	if cfg != nil {
		cfg(&c)
	}
	m := openTestManager(t, []string{dir}, c, nil)
	l, err := m.GetOrCreate(TopicPartition{"orders", 0}, c, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	return m, l, dir
}

func TestAppendReadRoundTripAcrossRolls(t *testing.T) {
	m, l, _ := newTestLog(t, func(c *config.Log) { c.SegmentBytes = 4096; c.IndexIntervalBytes = 512 })
	defer m.Close()
	var want []byte
	for i := 0; i < 60; i++ {
		b := makeBatch(plainSpec(1+i%4, 100, 1000+int64(i)))
		res, err := l.AppendAsLeader(b, 3)
		if err != nil {
			t.Fatal(err)
		}
		if res.FirstOffset != batchView(b).baseOffset() || res.NumRecords != 1+i%4 {
			t.Fatalf("append %d: result %+v, batch base %d", i, res, batchView(b).baseOffset())
		}
		if batchView(b).leaderEpoch() != 3 {
			t.Fatalf("leader epoch not patched")
		}
		if _, err := checkBatch(b); err != nil {
			t.Fatalf("patched batch no longer valid: %v", err)
		}
		want = append(want, b...)
	}
	if l.NumSegments() < 3 {
		t.Fatalf("expected several segments, got %d", l.NumSegments())
	}
	leo := l.LogEndOffset()
	got := readAll(t, l, 0, leo)
	if !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, want %d (equal=%v)", len(got), len(want), bytes.Equal(got, want))
	}
	// Every offset resolves to the batch containing it.
	batches := walk(want)
	for _, bt := range batches {
		for o := bt[0]; o <= bt[1]; o++ {
			r, err := l.Read(o, 1, leo, true)
			if err != nil {
				t.Fatal(err)
			}
			if r.FirstOffset != bt[0] {
				t.Fatalf("Read(%d) first offset %d, want %d", o, r.FirstOffset, bt[0])
			}
			data, _ := r.AppendTo(nil)
			if len(walk(data)) != 1 {
				t.Fatalf("minOneBatch with maxBytes=1 returned %d batches", len(walk(data)))
			}
		}
	}
	// maxOffset bounds the read; maxBytes without minOneBatch may return nothing.
	r, _ := l.Read(0, 1<<20, batches[2][0], false)
	data, _ := r.AppendTo(nil)
	if got := walk(data); len(got) != 2 {
		t.Fatalf("maxOffset read returned %d batches, want 2", len(got))
	}
	if r, _ := l.Read(0, 10, leo, false); r.Size != 0 {
		t.Fatalf("maxBytes=10 without minOneBatch returned %d bytes", r.Size)
	}
	if r, err := l.Read(leo, 100, leo, true); err != nil || r.Size != 0 {
		t.Fatalf("read at LEO: %+v %v", r, err)
	}
	if _, err := l.Read(leo+1, 100, leo, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read past LEO: %v", err)
	}
	// Inactive segments have trimmed indexes; the active one is preallocated.
	l.segMu.RLock()
	for i, s := range l.segs {
		oi := fileSize(t, segFile(l, s.base, ".index"))
		ti := fileSize(t, segFile(l, s.base, ".timeindex"))
		if i < len(l.segs)-1 {
			if oi != int64(s.oi.count()*8) || ti != int64(s.ti.count()*12) {
				t.Errorf("segment %d: index sizes %d/%d, entries %d/%d", s.base, oi, ti, s.oi.count(), s.ti.count())
			}
		} else if oi != 10485760 || ti != 10485756 {
			t.Errorf("active segment index sizes %d/%d, want preallocated 10485760/10485756", oi, ti)
		}
	}
	l.segMu.RUnlock()
}

func TestSparseIndexEntries(t *testing.T) {
	m, l, _ := newTestLog(t, func(c *config.Log) { c.IndexIntervalBytes = 1000 })
	defer m.Close()
	var all []byte
	for i := 0; i < 30; i++ {
		b := makeBatch(plainSpec(2, 120, 5000+int64(i)*10))
		if _, err := l.AppendAsLeader(b, 0); err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	// Kafka's rule: an entry (last offset of this append, its start position) is added before
	// counting the append when more than index.interval.bytes accumulated since the last entry.
	var want [][2]int64
	var since int64
	for _, bt := range walk(all) {
		if since > 1000 {
			want = append(want, [2]int64{bt[1], bt[2]})
			since = 0
		}
		since += int64(batchView(all[bt[2]:]).size())
	}
	s := l.active
	if s.oi.count() != len(want) {
		t.Fatalf("index has %d entries, want %d", s.oi.count(), len(want))
	}
	for i, w := range want {
		o, p := s.oi.entry(i)
		if o != w[0] || p != w[1] {
			t.Fatalf("entry %d = (%d,%d), want (%d,%d)", i, o, p, w[0], w[1])
		}
	}
	// Time index entries carry increasing max timestamps.
	var prev int64 = -1
	for i := 0; i < s.ti.count(); i++ {
		ts, _ := s.ti.entry(i)
		if ts <= prev {
			t.Fatalf("time index not increasing at %d", i)
		}
		prev = ts
	}
	if s.ti.count() != len(want) {
		t.Fatalf("time index has %d entries, want %d", s.ti.count(), len(want))
	}
	// Binary search lookups.
	for _, w := range want {
		if o, p := s.oi.lookup(w[0] + 1); o != w[0] || p != w[1] {
			t.Fatalf("lookup(%d) = (%d,%d)", w[0]+1, o, p)
		}
	}
	if o, p := s.oi.lookup(0); o != 0 || p != 0 {
		t.Fatalf("lookup(0) = (%d,%d)", o, p)
	}
}

func TestIndexTrimOnCloseAndReopen(t *testing.T) {
	dir := t.TempDir()
	c := testConfig()
	c.SegmentBytes = 8192
	c.IndexIntervalBytes = 256
	m := openTestManager(t, []string{dir}, c, nil)
	tp := TopicPartition{"trim", 0}
	l, _ := m.GetOrCreate(tp, c, [16]byte{})
	var all []byte
	for i := 0; i < 50; i++ {
		b := makeBatch(plainSpec(3, 80, 100+int64(i)))
		if _, err := l.AppendAsLeader(b, 0); err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	leo := l.LogEndOffset()
	type counts struct{ oi, ti int }
	want := map[int64]counts{}
	l.segMu.RLock()
	for _, s := range l.segs {
		want[s.base] = counts{s.oi.count(), s.ti.count()}
	}
	l.segMu.RUnlock()
	activeBase := l.active.base
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	pdir := filepath.Join(dir, "trim-0")
	for base, w := range want {
		oi := fileSize(t, filepath.Join(pdir, segmentName(base)+".index"))
		ti := fileSize(t, filepath.Join(pdir, segmentName(base)+".timeindex"))
		wti := w.ti
		if base == activeBase && w.ti < 1 {
			wti = w.ti + 1 // the closing entry
		}
		if oi != int64(w.oi*8) || (ti != int64(wti*12) && ti != int64((w.ti+1)*12)) {
			t.Errorf("segment %d after close: .index %d bytes (want %d), .timeindex %d bytes", base, oi, w.oi*8, ti)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".kafka_cleanshutdown")); err != nil {
		t.Fatalf("no clean shutdown marker: %v", err)
	}
	m2 := openTestManager(t, []string{dir}, c, nil)
	defer m2.Close()
	l2, ok := m2.Get(tp)
	if !ok {
		t.Fatal("log not reloaded")
	}
	if l2.LogEndOffset() != leo {
		t.Fatalf("LEO after reopen %d, want %d", l2.LogEndOffset(), leo)
	}
	if _, err := os.Stat(filepath.Join(dir, ".kafka_cleanshutdown")); !os.IsNotExist(err) {
		t.Fatalf("clean shutdown marker should be consumed at startup")
	}
	if fileSize(t, segFile(l2, l2.active.base, ".index")) != 10485760 {
		t.Fatalf("active index not resized on load")
	}
	if got := readAll(t, l2, 0, leo); !bytes.Equal(got, all) {
		t.Fatalf("data differs after reopen")
	}
	for base, w := range want {
		l2.segMu.RLock()
		s := l2.segs[l2.floorSegment(base)]
		l2.segMu.RUnlock()
		if s.oi.count() != w.oi {
			t.Fatalf("segment %d: %d index entries after reopen, want %d", base, s.oi.count(), w.oi)
		}
	}
	// Appends continue after reopen.
	if res, err := l2.AppendAsLeader(makeBatch(plainSpec(1, 10, 999)), 0); err != nil || res.FirstOffset != leo {
		t.Fatalf("append after reopen: %+v %v", res, err)
	}
}

func TestValidationErrors(t *testing.T) {
	m, l, _ := newTestLog(t, func(c *config.Log) { c.MaxMessageBytes = 2000 })
	defer m.Close()
	good := makeBatch(plainSpec(2, 10, 1))
	cases := []struct {
		name string
		mut  func([]byte) []byte
		want error
	}{
		{"crc", func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }, ErrCorruptMessage},
		{"magic1", func(b []byte) []byte { b[offMagic] = 1; return b }, ErrUnsupportedMagic},
		{"magic3", func(b []byte) []byte { b[offMagic] = 3; return b }, ErrCorruptMessage},
		{"short", func(b []byte) []byte { return b[:40] }, ErrCorruptMessage},
		{"length", func(b []byte) []byte { be.PutUint32(b[offBatchLength:], uint32(len(b))); return b }, ErrCorruptMessage},
		{"count", func(b []byte) []byte {
			be.PutUint32(b[offRecordsCount:], 5)
			be.PutUint32(b[offCRC:], batchView(b).computeCRC())
			return b
		}, ErrInvalidRecord},
		{"control", func(b []byte) []byte {
			be.PutUint16(b[offAttributes:], attrControl|attrTransactional)
			be.PutUint32(b[offCRC:], batchView(b).computeCRC())
			return b
		}, ErrInvalidRecord},
		{"toolarge", func([]byte) []byte { return makeBatch(plainSpec(1, 3000, 1)) }, ErrRecordTooLarge},
		{"seq", func([]byte) []byte {
			s := plainSpec(1, 1, 1)
			s.pid, s.epoch = 7, 0
			return makeBatch(s)
		}, ErrInvalidRecord},
	}
	for _, c := range cases {
		b := c.mut(append([]byte(nil), good...))
		if _, err := l.AppendAsLeader(b, 0); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if l.LogEndOffset() != 0 || l.Size() != 0 {
		t.Fatalf("rejected appends wrote data: LEO %d size %d", l.LogEndOffset(), l.Size())
	}
	// Several batches in one append get consecutive offsets.
	two := append(makeBatch(plainSpec(2, 5, 1)), makeBatch(plainSpec(3, 5, 2))...)
	res, err := l.AppendAsLeader(two, 0)
	if err != nil || res.FirstOffset != 0 || res.LastOffset != 4 || res.NumRecords != 5 {
		t.Fatalf("multi-batch append: %+v %v", res, err)
	}
	if got := walk(two); got[1][0] != 2 || got[1][1] != 4 {
		t.Fatalf("second batch offsets %v", got[1])
	}
}

func TestLogAppendTime(t *testing.T) {
	clock := newFakeClock()
	dir := t.TempDir()
	c := testConfig()
	c.MessageTimestampType = "LogAppendTime"
	m := openTestManager(t, []string{dir}, c, clock.Now)
	defer m.Close()
	l, _ := m.GetOrCreate(TopicPartition{"lat", 0}, c, [16]byte{})
	b := makeBatch(plainSpec(3, 10, 5))
	res, err := l.AppendAsLeader(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now().UnixMilli()
	if res.LogAppendTime != now {
		t.Fatalf("LogAppendTime %d, want %d", res.LogAppendTime, now)
	}
	bv := batchView(b)
	if bv.maxTimestamp() != now || !bv.logAppendTime() {
		t.Fatalf("batch not stamped: max %d attrs %x", bv.maxTimestamp(), bv.attributes())
	}
	if _, err := checkBatch(b); err != nil {
		t.Fatalf("CRC not recomputed: %v", err)
	}
	if off, ts, ok := l.FetchOffsetByTimestamp(now); !ok || off != 0 || ts != now {
		t.Fatalf("FetchOffsetByTimestamp(now) = %d %d %v", off, ts, ok)
	}
}

func TestFetchOffsetByTimestamp(t *testing.T) {
	m, l, _ := newTestLog(t, func(c *config.Log) { c.SegmentBytes = 2048; c.IndexIntervalBytes = 200 })
	defer m.Close()
	// batch i: 4 records with timestamps 1000+i*10 .. +3
	for i := 0; i < 40; i++ {
		if _, err := l.AppendAsLeader(makeBatch(plainSpec(4, 50, 1000+int64(i)*10)), 0); err != nil {
			t.Fatal(err)
		}
	}
	if l.NumSegments() < 2 {
		t.Fatalf("want several segments")
	}
	cases := []struct{ ts, off, rts int64 }{
		{0, 0, 1000},
		{1000, 0, 1000},
		{1002, 2, 1002},
		{1004, 4, 1010},
		{1213, 87, 1213},
		{1393, 159, 1393},
	}
	for _, c := range cases {
		off, ts, ok := l.FetchOffsetByTimestamp(c.ts)
		if !ok || off != c.off || ts != c.rts {
			t.Errorf("FetchOffsetByTimestamp(%d) = (%d,%d,%v), want (%d,%d)", c.ts, off, ts, ok, c.off, c.rts)
		}
	}
	if _, _, ok := l.FetchOffsetByTimestamp(1394); ok {
		t.Errorf("timestamp past every record should not be found")
	}
	if off, _, _ := l.FetchOffsetByTimestamp(-1); off != 160 {
		t.Errorf("LATEST = %d", off)
	}
	if off, _, _ := l.FetchOffsetByTimestamp(-2); off != 0 {
		t.Errorf("EARLIEST = %d", off)
	}
}

func TestTornTailRecovery(t *testing.T) {
	dir := t.TempDir()
	c := testConfig()
	c.SegmentBytes = 3000
	c.IndexIntervalBytes = 300
	m := openTestManager(t, []string{dir}, c, nil)
	tp := TopicPartition{"torn", 0}
	l, _ := m.GetOrCreate(tp, c, [16]byte{})
	var all []byte
	for i := 0; i < 40; i++ {
		b := makeBatch(plainSpec(2, 60, int64(i)))
		if _, err := l.AppendAsLeader(b, 5); err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	nseg := l.NumSegments()
	active := l.active
	activeBase := active.base
	activeSize := active.size.Load()
	crash(m)
	// Tear the last batch in half.
	lastBatches := walk(all)
	last := lastBatches[len(lastBatches)-1]
	lastSize := int64(batchView(all[last[2]:]).size())
	logPath := filepath.Join(dir, "torn-0", segmentName(activeBase)+".log")
	if err := os.Truncate(logPath, activeSize-lastSize/2); err != nil {
		t.Fatal(err)
	}
	m2 := openTestManager(t, []string{dir}, c, nil)
	defer m2.Close()
	l2, _ := m2.Get(tp)
	if l2.LogEndOffset() != last[0] {
		t.Fatalf("LEO after torn-tail recovery = %d, want %d", l2.LogEndOffset(), last[0])
	}
	if l2.stats.segmentsRecovered.Load() == 0 {
		t.Fatalf("unclean shutdown did not recover any segment")
	}
	if l2.NumSegments() != nseg {
		t.Fatalf("segments %d, want %d", l2.NumSegments(), nseg)
	}
	want := all[:len(all)-int(lastSize)]
	if got := readAll(t, l2, 0, l2.LogEndOffset()); !bytes.Equal(got, want) {
		t.Fatalf("surviving data differs: got %d bytes want %d", len(got), len(want))
	}
	if fileSize(t, logPath) != activeSize-lastSize {
		t.Fatalf("segment not truncated to the last whole batch")
	}
	if l2.LatestEpoch() != 5 {
		t.Fatalf("epoch cache %d", l2.LatestEpoch())
	}
	// Appends resume at the recovered LEO.
	if res, err := l2.AppendAsLeader(makeBatch(plainSpec(1, 1, 1)), 5); err != nil || res.FirstOffset != last[0] {
		t.Fatalf("append after recovery: %+v %v", res, err)
	}
}

func TestCorruptMiddleBatchDropsLaterSegments(t *testing.T) {
	dir := t.TempDir()
	c := testConfig()
	c.SegmentBytes = 2000
	m := openTestManager(t, []string{dir}, c, nil)
	tp := TopicPartition{"corrupt", 0}
	l, _ := m.GetOrCreate(tp, c, [16]byte{})
	for i := 0; i < 30; i++ {
		if _, err := l.AppendAsLeader(makeBatch(plainSpec(1, 100, int64(i))), 0); err != nil {
			t.Fatal(err)
		}
	}
	if l.NumSegments() < 3 {
		t.Fatal("want >= 3 segments")
	}
	l.segMu.RLock()
	second := l.segs[1]
	l.segMu.RUnlock()
	crash(m)
	// Corrupt the third batch of the second segment; recovery point 0 so all are scanned.
	data, _ := os.ReadFile(filepath.Join(dir, "corrupt-0", segmentName(second.base)+".log"))
	bs := walk(data)
	data[bs[2][2]+70] ^= 0x55
	os.WriteFile(filepath.Join(dir, "corrupt-0", segmentName(second.base)+".log"), data, 0o644)
	m2 := openTestManager(t, []string{dir}, c, nil)
	defer m2.Close()
	l2, _ := m2.Get(tp)
	if l2.NumSegments() != 2 {
		t.Fatalf("segments after recovery %d, want 2", l2.NumSegments())
	}
	if l2.LogEndOffset() != bs[2][0] {
		t.Fatalf("LEO %d, want %d", l2.LogEndOffset(), bs[2][0])
	}
	if fileSize(t, filepath.Join(dir, "corrupt-0", segmentName(second.base)+".index")) != 10485760 {
		t.Fatalf("new active segment's index not preallocated")
	}
}

func TestCleanShutdownReopenReadsNothing(t *testing.T) {
	dir := t.TempDir()
	c := testConfig()
	c.SegmentBytes = 4000
	m := openTestManager(t, []string{dir}, c, nil)
	tp := TopicPartition{"clean", 0}
	l, _ := m.GetOrCreate(tp, c, [16]byte{})
	for i := 0; i < 50; i++ {
		s := plainSpec(2, 50, int64(i))
		s.pid, s.epoch, s.seq = 42, 0, int32(i*2)
		if _, err := l.AppendAsLeader(makeBatch(s), 0); err != nil {
			t.Fatal(err)
		}
	}
	leo := l.LogEndOffset()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m2 := openTestManager(t, []string{dir}, c, nil)
	defer m2.Close()
	l2, _ := m2.Get(tp)
	if got := l2.stats.segmentsRecovered.Load(); got != 0 {
		t.Fatalf("clean reopen recovered %d segments", got)
	}
	if got := l2.stats.batchesReplayed.Load(); got != 0 {
		t.Fatalf("clean reopen replayed %d batches for producer state", got)
	}
	if l2.LogEndOffset() != leo || l2.RecoveryPoint() != leo {
		t.Fatalf("LEO %d RP %d, want %d", l2.LogEndOffset(), l2.RecoveryPoint(), leo)
	}
	ps := l2.ActiveProducers()
	if len(ps) != 1 || ps[0].ProducerID != 42 || ps[0].LastSequence != 99 {
		t.Fatalf("producer state after clean reopen: %+v", ps)
	}
	// Duplicate detection still works from the snapshot.
	s := plainSpec(2, 50, 49)
	s.pid, s.epoch, s.seq = 42, 0, 98
	res, err := l2.AppendAsLeader(makeBatch(s), 0)
	if err != nil || !res.Duplicate || res.FirstOffset != leo-2 {
		t.Fatalf("duplicate after reopen: %+v %v", res, err)
	}
}

func TestIdempotentProducer(t *testing.T) {
	m, l, _ := newTestLog(t, nil)
	defer m.Close()
	mk := func(pid int64, epoch int16, seq int32, n int) []byte {
		s := plainSpec(n, 10, 1)
		s.pid, s.epoch, s.seq = pid, epoch, seq
		return makeBatch(s)
	}
	r0, err := l.AppendAsLeader(mk(1, 0, 0, 3), 0)
	if err != nil || r0.FirstOffset != 0 || r0.LastOffset != 2 {
		t.Fatalf("%+v %v", r0, err)
	}
	r1, _ := l.AppendAsLeader(mk(1, 0, 3, 2), 0)
	size := l.Size()
	// Duplicate of the first batch: original offsets, nothing written.
	d, err := l.AppendAsLeader(mk(1, 0, 0, 3), 0)
	if err != nil || !d.Duplicate || d.FirstOffset != 0 || d.LastOffset != 2 || l.Size() != size {
		t.Fatalf("duplicate: %+v %v size %d->%d", d, err, size, l.Size())
	}
	d, _ = l.AppendAsLeader(mk(1, 0, 3, 2), 0)
	if !d.Duplicate || d.FirstOffset != r1.FirstOffset {
		t.Fatalf("duplicate of second: %+v", d)
	}
	if _, err := l.AppendAsLeader(mk(1, 0, 7, 1), 0); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap: %v", err)
	}
	if _, err := l.AppendAsLeader(mk(1, 1, 5, 1), 0); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("new epoch non-zero seq: %v", err)
	}
	if r, err := l.AppendAsLeader(mk(1, 1, 0, 1), 0); err != nil || r.Duplicate {
		t.Fatalf("new epoch seq 0: %+v %v", r, err)
	}
	if _, err := l.AppendAsLeader(mk(1, 0, 5, 1), 0); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("stale epoch: %v", err)
	}
	// Unknown producer: any sequence accepted.
	if _, err := l.AppendAsLeader(mk(2, 0, 17, 1), 0); err != nil {
		t.Fatal(err)
	}
	// Only the last 5 batches are retained.
	for i := 0; i < 6; i++ {
		if _, err := l.AppendAsLeader(mk(3, 0, int32(i), 1), 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.AppendAsLeader(mk(3, 0, 0, 1), 0); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("sixth-oldest batch should no longer be a duplicate: %v", err)
	}
	if d, _ := l.AppendAsLeader(mk(3, 0, 1, 1), 0); !d.Duplicate {
		t.Fatalf("fifth-oldest should be a duplicate")
	}
	// Two batches of one producer in one append are validated in order.
	two := append(mk(4, 0, 0, 2), mk(4, 0, 2, 2)...)
	if _, err := l.AppendAsLeader(two, 0); err != nil {
		t.Fatal(err)
	}
	bad := append(mk(5, 0, 0, 2), mk(5, 0, 3, 2)...)
	if _, err := l.AppendAsLeader(bad, 0); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap inside one append: %v", err)
	}
	ps := l.ActiveProducers()
	if len(ps) != 4 || ps[0].ProducerID != 1 || ps[0].Epoch != 1 || ps[0].LastSequence != 0 {
		t.Fatalf("producers: %+v", ps)
	}
}

func TestProducerStateRebuiltAfterUncleanShutdown(t *testing.T) {
	dir := t.TempDir()
	c := testConfig()
	c.SegmentBytes = 1500
	m := openTestManager(t, []string{dir}, c, nil)
	tp := TopicPartition{"pstate", 0}
	l, _ := m.GetOrCreate(tp, c, [16]byte{})
	for i := 0; i < 20; i++ {
		s := plainSpec(1, 100, int64(i))
		s.pid, s.epoch, s.seq = 9, 2, int32(i)
		if _, err := l.AppendAsLeader(makeBatch(s), 0); err != nil {
			t.Fatal(err)
		}
	}
	snaps := l.ps.snapshotOffsets()
	if len(snaps) == 0 {
		t.Fatal("no snapshot taken on roll")
	}
	data, _ := os.ReadFile(snapshotPath(l.dir, snaps[0]))
	if be.Uint16(data) != 1 || len(data) != 10+46 {
		t.Fatalf("snapshot layout: version %d len %d", be.Uint16(data), len(data))
	}
	crash(m)
	m2 := openTestManager(t, []string{dir}, c, nil)
	defer m2.Close()
	l2, _ := m2.Get(tp)
	if l2.stats.batchesReplayed.Load() == 0 {
		t.Fatal("expected replay after the last snapshot")
	}
	s := plainSpec(1, 100, 19)
	s.pid, s.epoch, s.seq = 9, 2, 19
	if r, err := l2.AppendAsLeader(makeBatch(s), 0); err != nil || !r.Duplicate || r.FirstOffset != 19 {
		t.Fatalf("duplicate after replay: %+v %v", r, err)
	}
	s.seq = 21
	if _, err := l2.AppendAsLeader(makeBatch(s), 0); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap after replay: %v", err)
	}
}

func TestRetentionByTimeAndSize(t *testing.T) {
	clock := newFakeClock()
	dir := t.TempDir()
	c := testConfig()
	c.SegmentBytes = 1000
	c.RetentionMs = 60_000
	m := openTestManager(t, []string{dir}, c, clock.Now)
	defer m.Close()
	l, _ := m.GetOrCreate(TopicPartition{"ret", 0}, c, [16]byte{})
	base := clock.Now().UnixMilli()
	for i := 0; i < 20; i++ {
		// first 10 batches old, the rest fresh
		ts := base - 120_000
		if i >= 10 {
			ts = base
		}
		if _, err := l.AppendAsLeader(makeBatch(plainSpec(1, 200, ts)), 0); err != nil {
			t.Fatal(err)
		}
	}
	nseg := l.NumSegments()
	// Nothing is deleted above the high watermark.
	if n := m.cleanupLogs(); n != 0 {
		t.Fatalf("deleted %d segments with HW 0", n)
	}
	l.SetHighWatermark(l.LogEndOffset())
	n := m.cleanupLogs()
	if n == 0 {
		t.Fatal("time retention deleted nothing")
	}
	l.segMu.RLock()
	first := l.segs[0]
	l.segMu.RUnlock()
	if l.LogStartOffset() != first.base {
		t.Fatalf("log start %d, first segment %d", l.LogStartOffset(), first.base)
	}
	// every remaining segment holds a fresh record
	if first.maxTs.Load() < base {
		t.Fatalf("segment with only old data survived: %s", first)
	}
	if l.NumSegments() != nseg-n {
		t.Fatalf("segments %d, want %d", l.NumSegments(), nseg-n)
	}
	ents, _ := os.ReadDir(l.dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".log") && e.Name() < segmentName(first.base) {
			t.Fatalf("deleted segment file still present: %s", e.Name())
		}
	}
	if _, err := l.Read(0, 100, l.LogEndOffset(), true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below log start: %v", err)
	}
	// Size retention: keep at most ~2 segments' worth.
	cfg := l.Config()
	cfg.RetentionMs = -1
	cfg.RetentionBytes = 2000
	l.SetConfig(cfg)
	m.cleanupLogs()
	if l.Size() > 2000+1000 || l.Size()-l.active.size.Load() > 2000 {
		t.Fatalf("size retention left %d bytes", l.Size())
	}
	// Everything old: the log rolls first and keeps an empty active segment.
	clock.Advance(10 * time.Minute)
	cfg.RetentionMs = 60_000
	cfg.RetentionBytes = -1
	l.SetConfig(cfg)
	m.cleanupLogs()
	if l.NumSegments() != 1 || l.Size() != 0 || l.LogStartOffset() != l.LogEndOffset() {
		t.Fatalf("after full expiry: %d segments, size %d, start %d, LEO %d", l.NumSegments(), l.Size(), l.LogStartOffset(), l.LogEndOffset())
	}
}

func TestDeleteRecordsBefore(t *testing.T) {
	m, l, _ := newTestLog(t, func(c *config.Log) { c.SegmentBytes = 1000 })
	defer m.Close()
	for i := 0; i < 20; i++ {
		l.AppendAsLeader(makeBatch(plainSpec(2, 150, int64(i))), 0)
	}
	l.SetHighWatermark(l.LogEndOffset())
	nseg := l.NumSegments()
	l.segMu.RLock()
	third := l.segs[2].base
	l.segMu.RUnlock()
	ls, err := l.DeleteRecordsBefore(third + 1)
	if err != nil || ls != third+1 {
		t.Fatalf("DeleteRecordsBefore: %d %v", ls, err)
	}
	if l.NumSegments() != nseg-2 {
		t.Fatalf("segments %d, want %d", l.NumSegments(), nseg-2)
	}
	if _, err := l.Read(third, 100, l.LogEndOffset(), true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below new start: %v", err)
	}
	r, err := l.Read(third+1, 1<<20, l.LogEndOffset(), true)
	if err != nil || r.Size == 0 {
		t.Fatalf("read at new start: %+v %v", r, err)
	}
	if _, err := l.DeleteRecordsBefore(l.LogEndOffset() + 1); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("beyond LEO: %v", err)
	}
	// checkpoint records the start offset because it is above the first segment's base
	m.checkpointLogStartOffsets()
	got := readFile(t, filepath.Join(filepath.Dir(l.dir), "log-start-offset-checkpoint"))
	if want := fmt.Sprintf("0\n1\norders 0 %d\n", third+1); got != want {
		t.Fatalf("log-start-offset-checkpoint = %q, want %q", got, want)
	}
}

func TestTruncateTo(t *testing.T) {
	m, l, _ := newTestLog(t, func(c *config.Log) { c.SegmentBytes = 1000 })
	defer m.Close()
	var all []byte
	for i := 0; i < 20; i++ {
		b := makeBatch(plainSpec(2, 150, int64(i)))
		e := int32(1)
		if i >= 10 {
			e = 2
		}
		if _, err := l.AppendAsLeader(b, e); err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if got := l.epochs.snapshot(); len(got) != 2 || got[1] != (epochEntry{2, 20}) {
		t.Fatalf("epochs %v", got)
	}
	l.SetHighWatermark(30)
	if err := l.TruncateTo(14); err != nil {
		t.Fatal(err)
	}
	if l.LogEndOffset() != 14 || l.HighWatermark() != 14 {
		t.Fatalf("LEO %d HW %d", l.LogEndOffset(), l.HighWatermark())
	}
	bs := walk(all)
	if got := readAll(t, l, 0, 14); !bytes.Equal(got, all[:bs[7][2]]) {
		t.Fatalf("data after truncation differs")
	}
	if got := l.epochs.snapshot(); len(got) != 1 {
		t.Fatalf("epoch cache not truncated: %v", got)
	}
	if got := readFile(t, filepath.Join(l.dir, "leader-epoch-checkpoint")); got != "0\n1\n1 0\n" {
		t.Fatalf("leader-epoch-checkpoint %q", got)
	}
	// mid-batch truncation removes the whole batch
	if err := l.TruncateTo(13); err != nil {
		t.Fatal(err)
	}
	if l.LogEndOffset() != 12 {
		t.Fatalf("mid-batch truncation LEO %d", l.LogEndOffset())
	}
	// follower append continues at LEO with leader-assigned offsets
	f := makeBatch(plainSpec(3, 10, 1))
	be.PutUint64(f[offBaseOffset:], 12)
	be.PutUint32(f[offLeaderEpoch:], 4)
	if r, err := l.AppendAsFollower(f); err != nil || r.LastOffset != 14 {
		t.Fatalf("follower append %+v %v", r, err)
	}
	if l.LatestEpoch() != 4 {
		t.Fatalf("follower epoch %d", l.LatestEpoch())
	}
	if _, err := l.AppendAsFollower(f); !errors.Is(err, ErrUnexpectedAppendOffset) {
		t.Fatalf("follower re-append below LEO: %v", err)
	}
	if err := l.TruncateFullyAndStartAt(100); err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != 100 || l.LogEndOffset() != 100 || l.NumSegments() != 1 || l.LatestEpoch() != -1 {
		t.Fatalf("after full truncation: start %d LEO %d segs %d epoch %d", l.LogStartOffset(), l.LogEndOffset(), l.NumSegments(), l.LatestEpoch())
	}
	if _, err := os.Stat(filepath.Join(l.dir, segmentName(100)+".log")); err != nil {
		t.Fatal(err)
	}
	r, err := l.AppendAsLeader(makeBatch(plainSpec(1, 1, 1)), 7)
	if err != nil || r.FirstOffset != 100 {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestLeaderEpochCache(t *testing.T) {
	m, l, _ := newTestLog(t, nil)
	defer m.Close()
	l.AssignEpochStartOffset(0, 0)
	l.AssignEpochStartOffset(3, 1542)
	l.AssignEpochStartOffset(3, 1600) // same epoch: ignored
	got := readFile(t, filepath.Join(l.dir, "leader-epoch-checkpoint"))
	if got != "0\n2\n0 0\n3 1542\n" {
		t.Fatalf("leader-epoch-checkpoint %q", got)
	}
	for i := 0; i < 5; i++ {
		l.AppendAsLeader(makeBatch(plainSpec(1, 1, 1)), 3)
	}
	cases := []struct {
		req       int32
		ep        int32
		endOffset int64
	}{
		{3, 3, l.LogEndOffset()}, {1, 0, 1542}, {0, 0, 1542}, {4, -1, -1}, {-1, -1, -1},
	}
	for _, c := range cases {
		if e, o := l.EndOffsetForEpoch(c.req); e != c.ep || o != c.endOffset {
			t.Errorf("EndOffsetForEpoch(%d) = (%d,%d), want (%d,%d)", c.req, e, o, c.ep, c.endOffset)
		}
	}
	// a lower epoch with a lower offset wipes later entries (assign semantics)
	l.AssignEpochStartOffset(2, 10)
	if got := readFile(t, filepath.Join(l.dir, "leader-epoch-checkpoint")); got != "0\n2\n0 0\n2 10\n" {
		t.Fatalf("after reassign %q", got)
	}
}

func TestCheckpointFilesExactText(t *testing.T) {
	dir := t.TempDir()
	c := testConfig()
	m := openTestManager(t, []string{dir}, c, nil)
	a, _ := m.GetOrCreate(TopicPartition{"orders", 0}, c, [16]byte{1, 2, 3})
	b, _ := m.GetOrCreate(TopicPartition{"__consumer_offsets", 17}, c, [16]byte{})
	for i := 0; i < 3; i++ {
		a.AppendAsLeader(makeBatch(plainSpec(1, 1, 1)), 0)
	}
	b.AppendAsLeader(makeBatch(plainSpec(2, 1, 1)), 0)
	a.SetHighWatermark(2)
	b.SetHighWatermark(100)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "recovery-point-offset-checkpoint")); got != "0\n2\n__consumer_offsets 17 2\norders 0 3\n" {
		t.Fatalf("recovery-point-offset-checkpoint %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "replication-offset-checkpoint")); got != "0\n2\n__consumer_offsets 17 2\norders 0 2\n" {
		t.Fatalf("replication-offset-checkpoint %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "log-start-offset-checkpoint")); got != "0\n0\n" {
		t.Fatalf("log-start-offset-checkpoint %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "orders-0", "partition.metadata")); got != "version: 0\ntopic_id: AQIDAAAAAAAAAAAAAAAAAA\n" {
		t.Fatalf("partition.metadata %q", got)
	}
	m2 := openTestManager(t, []string{dir}, c, nil)
	defer m2.Close()
	a2, _ := m2.Get(TopicPartition{"orders", 0})
	if a2.HighWatermark() != 2 || a2.TopicID() != [16]byte{1, 2, 3} {
		t.Fatalf("HW %d topic id %v after reload", a2.HighWatermark(), a2.TopicID())
	}
}

func TestMetaPropertiesAndLocking(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	m := openTestManager(t, []string{d1, d2}, testConfig(), nil)
	if _, err := OpenManager(ManagerOptions{Dirs: []string{d1}}); !errors.Is(err, ErrLogDirLocked) {
		t.Fatalf("second open of a locked dir: %v", err)
	}
	if _, ok, err := m.ReadMeta(d1); ok || err != nil {
		t.Fatalf("missing meta: %v %v", ok, err)
	}
	if err := m.WriteMeta(MetaProperties{Version: 0, BrokerID: 3, ClusterID: "IOejp_IKSbWbySJc0sRrKw"}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{d1, d2} {
		got := readFile(t, filepath.Join(d, "meta.properties"))
		lines := strings.Split(got, "\n")
		if lines[0] != "#" || !strings.HasPrefix(lines[1], "#") || !strings.Contains(got, "\nversion=0\n") ||
			!strings.Contains(got, "\nbroker.id=3\n") || !strings.Contains(got, "\ncluster.id=IOejp_IKSbWbySJc0sRrKw\n") {
			t.Fatalf("meta.properties %q", got)
		}
		mp, ok, err := m.ReadMeta(d)
		if !ok || err != nil || mp != (MetaProperties{0, 3, "IOejp_IKSbWbySJc0sRrKw"}) {
			t.Fatalf("ReadMeta %+v %v %v", mp, ok, err)
		}
	}
	os.WriteFile(filepath.Join(d1, "meta.properties"), []byte("version=1\nnode.id=1\n"), 0o644)
	if _, _, err := m.ReadMeta(d1); err == nil {
		t.Fatal("version 1 accepted")
	}
	// new partitions go to the dir with fewest partitions
	l1, _ := m.GetOrCreate(TopicPartition{"x", 0}, testConfig(), [16]byte{})
	l2, _ := m.GetOrCreate(TopicPartition{"x", 1}, testConfig(), [16]byte{})
	if filepath.Dir(l1.Dir()) == filepath.Dir(l2.Dir()) {
		t.Fatalf("both partitions in %s", filepath.Dir(l1.Dir()))
	}
	m.Close()
}

func TestDeletePartition(t *testing.T) {
	dir := t.TempDir()
	m := openTestManager(t, []string{dir}, testConfig(), nil)
	defer m.Close()
	l, _ := m.GetOrCreate(TopicPartition{"gone", 2}, testConfig(), [16]byte{})
	l.AppendAsLeader(makeBatch(plainSpec(1, 1, 1)), 0)
	if err := m.Delete(TopicPartition{"gone", 2}); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Get(TopicPartition{"gone", 2}); ok {
		t.Fatal("still registered")
	}
	m.delWG.Wait()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "gone-2") {
			t.Fatalf("partition dir left behind: %s", e.Name())
		}
	}
	if _, err := l.AppendAsLeader(makeBatch(plainSpec(1, 1, 1)), 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("append to deleted log: %v", err)
	}
	// Leftover -delete dirs and stray files are removed at startup.
	os.MkdirAll(filepath.Join(dir, "old-0.0123456789abcdef0123456789abcdef-delete"), 0o755)
	os.MkdirAll(filepath.Join(dir, "keep-0"), 0o755)
	os.WriteFile(filepath.Join(dir, "keep-0", segmentName(0)+".log.deleted"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "keep-0", segmentName(50)+".index"), []byte("x"), 0o644)
	m.Close()
	m2 := openTestManager(t, []string{dir}, testConfig(), nil)
	defer m2.Close()
	m2.delWG.Wait()
	if _, err := os.Stat(filepath.Join(dir, "old-0.0123456789abcdef0123456789abcdef-delete")); !os.IsNotExist(err) {
		t.Fatalf("-delete dir survived: %v", err)
	}
	for _, f := range []string{segmentName(0) + ".log.deleted", segmentName(50) + ".index"} {
		if _, err := os.Stat(filepath.Join(dir, "keep-0", f)); !os.IsNotExist(err) {
			t.Fatalf("%s survived", f)
		}
	}
}
