package logstore

import (
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/config"
)

// kmsgBatch builds a batch the way a franz-go producer lays it out.
func kmsgBatch(keys []string, ts int64) []byte {
	var recs []byte
	for i, k := range keys {
		r := kmsg.Record{TimestampDelta64: int64(i), OffsetDelta: int32(i), Value: []byte(fmt.Sprintf("value-%d", i))}
		if k != "" {
			r.Key = []byte(k)
		}
		body := r.AppendTo(nil)
		r.Length = int32(len(body) - 1) // the zero Length varint is one byte
		recs = r.AppendTo(recs)
	}
	rb := kmsg.RecordBatch{
		FirstOffset: 0, PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: int32(len(keys) - 1),
		FirstTimestamp: ts, MaxTimestamp: ts + int64(len(keys)-1), ProducerID: -1, ProducerEpoch: -1,
		FirstSequence: -1, NumRecords: int32(len(keys)), Records: recs,
	}
	out := rb.AppendTo(nil)
	be.PutUint32(out[offBatchLength:], uint32(len(out)-logOverhead))
	be.PutUint32(out[offCRC:], crc32.Checksum(out[offAttributes:], castagnoli))
	return out
}

func TestKmsgRoundTripAndCompactedKeys(t *testing.T) {
	dir := t.TempDir()
	c := testConfig()
	c.CleanupPolicy = "compact"
	m := openTestManager(t, []string{dir}, c, nil)
	defer m.Close()
	l, _ := m.GetOrCreate(TopicPartition{"compacted", 0}, c, [16]byte{})
	if _, err := l.AppendAsLeader(kmsgBatch([]string{"a", ""}, 10), 0); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("keyless record on a compacted topic: %v", err)
	}
	l.AppendAsLeader(kmsgBatch([]string{"a", "b", "c"}, 10), 2)
	l.AppendAsLeader(kmsgBatch([]string{"d", "e"}, 20), 2)
	r, err := l.Read(3, 1<<20, l.LogEndOffset(), true)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := r.AppendTo(nil)
	var rb kmsg.RecordBatch
	if err := rb.ReadFrom(data); err != nil {
		t.Fatal(err)
	}
	if rb.FirstOffset != 3 || rb.PartitionLeaderEpoch != 2 || rb.NumRecords != 2 {
		t.Fatalf("batch read back: first %d epoch %d n %d", rb.FirstOffset, rb.PartitionLeaderEpoch, rb.NumRecords)
	}
	if uint32(rb.CRC) != crc32.Checksum(data[offAttributes:], castagnoli) {
		t.Fatal("CRC of stored batch invalid")
	}
	var rec kmsg.Record
	if err := rec.ReadFrom(rb.Records); err != nil || string(rec.Key) != "d" || string(rec.Value) != "value-0" {
		t.Fatalf("record: %v %q %q", err, rec.Key, rec.Value)
	}
}

func TestRollBySegmentMs(t *testing.T) {
	clock := newFakeClock()
	dir := t.TempDir()
	c := testConfig()
	c.SegmentMs = 1000
	m := openTestManager(t, []string{dir}, c, clock.Now)
	defer m.Close()
	l, _ := m.GetOrCreate(TopicPartition{"roll", 0}, c, [16]byte{})
	l.AppendAsLeader(makeBatch(plainSpec(1, 1, 5000)), 0)
	l.AppendAsLeader(makeBatch(plainSpec(1, 1, 5900)), 0)
	if l.NumSegments() != 1 {
		t.Fatalf("rolled too early")
	}
	l.AppendAsLeader(makeBatch(plainSpec(1, 1, 6001)), 0)
	if l.NumSegments() != 2 || l.active.base != 2 {
		t.Fatalf("segments %d active base %d", l.NumSegments(), l.active.base)
	}
	// Batches without timestamps fall back to the segment's creation time.
	l.AppendAsLeader(makeBatch(plainSpec(1, 1, -1)), 0)
	l.segMu.RLock()
	l.active.rollingTs = -1
	l.segMu.RUnlock()
	clock.Advance(2 * time.Second)
	l.AppendAsLeader(makeBatch(plainSpec(1, 1, -1)), 0)
	if l.NumSegments() != 3 {
		t.Fatalf("no roll by creation time: %d segments", l.NumSegments())
	}
	if _, err := os.Stat(snapshotPath(l.dir, 2)); err != nil {
		t.Fatalf("no producer snapshot at roll: %v", err)
	}
}

func TestFlushMessagesMovesRecoveryPoint(t *testing.T) {
	m, l, _ := newTestLog(t, nil)
	defer m.Close()
	cfg := l.Config()
	cfg.FlushMessages = 5
	l.SetConfig(cfg)
	for i := 0; i < 4; i++ {
		l.AppendAsLeader(makeBatch(plainSpec(1, 1, 1)), 0)
	}
	if l.RecoveryPoint() != 0 {
		t.Fatalf("flushed early: %d", l.RecoveryPoint())
	}
	l.AppendAsLeader(makeBatch(plainSpec(1, 1, 1)), 0)
	if l.RecoveryPoint() != 5 {
		t.Fatalf("recovery point %d after 5 messages", l.RecoveryPoint())
	}
}

func TestBackgroundCheckpointsAndRetention(t *testing.T) {
	dir := t.TempDir()
	c := testConfig()
	c.SegmentBytes = 500
	c.RetentionBytes = 600
	m, err := OpenManager(ManagerOptions{Dirs: []string{dir}, Defaults: c, Logger: zerolog.Nop(),
		RetentionCheckInterval: 20 * time.Millisecond, RecoveryCheckpointInterval: 20 * time.Millisecond,
		StartOffsetCheckpointInterval: 20 * time.Millisecond, HighWatermarkCheckpointInterval: 20 * time.Millisecond,
		FlushSchedulerInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	l, _ := m.GetOrCreate(TopicPartition{"bg", 0}, c, [16]byte{})
	for i := 0; i < 20; i++ {
		l.AppendAsLeader(makeBatch(plainSpec(1, 100, time.Now().UnixMilli())), 0)
	}
	l.SetHighWatermark(20)
	m.StartBackground()
	deadline := time.Now().Add(5 * time.Second)
	for {
		hw, _ := os.ReadFile(filepath.Join(dir, "replication-offset-checkpoint"))
		ls, _ := os.ReadFile(filepath.Join(dir, "log-start-offset-checkpoint"))
		rp, _ := os.ReadFile(filepath.Join(dir, "recovery-point-offset-checkpoint"))
		if string(hw) == "0\n1\nbg 0 20\n" && l.Size() < 600+500 && l.Size() > 0 && l.NumSegments() == 2 && string(ls) == "0\n0\n" && len(rp) > 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("background tasks did not run: hw=%q ls=%q size=%d", hw, ls, l.Size())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if l.LogStartOffset() == 0 {
		t.Fatal("size retention did not advance the log start offset")
	}
}

func TestMissingAndUntrimmedIndexesRebuilt(t *testing.T) {
	dir := t.TempDir()
	c := testConfig()
	c.SegmentBytes = 3000
	c.IndexIntervalBytes = 300
	m := openTestManager(t, []string{dir}, c, nil)
	tp := TopicPartition{"idx", 0}
	l, _ := m.GetOrCreate(tp, c, [16]byte{})
	for i := 0; i < 40; i++ {
		l.AppendAsLeader(makeBatch(plainSpec(2, 100, int64(i))), 0)
	}
	l.segMu.RLock()
	s0, s1 := l.segs[0], l.segs[1]
	want0, want1 := s0.oi.count(), s1.oi.count()
	l.segMu.RUnlock()
	if want0 == 0 || want1 == 0 {
		t.Fatal("test needs index entries")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	pdir := filepath.Join(dir, "idx-0")
	os.Remove(filepath.Join(pdir, segmentName(s0.base)+".index"))
	os.Truncate(filepath.Join(pdir, segmentName(s1.base)+".index"), 10485760)
	m2 := openTestManager(t, []string{dir}, c, nil)
	defer m2.Close()
	l2, _ := m2.Get(tp)
	if got := l2.stats.segmentsRecovered.Load(); got != 2 {
		t.Fatalf("recovered %d segments, want 2", got)
	}
	l2.segMu.RLock()
	got0, got1 := l2.segs[0].oi.count(), l2.segs[1].oi.count()
	l2.segMu.RUnlock()
	if got0 != want0 || got1 != want1 {
		t.Fatalf("rebuilt entries %d/%d, want %d/%d", got0, got1, want0, want1)
	}
	if sz := fileSize(t, filepath.Join(pdir, segmentName(s1.base)+".index")); sz != int64(want1*8) {
		t.Fatalf("rebuilt inactive index is %d bytes, want %d", sz, want1*8)
	}
}

func TestDelayedSegmentDeletion(t *testing.T) {
	m, l, _ := newTestLog(t, func(c *config.Log) { c.SegmentBytes = 500; c.FileDeleteDelayMs = 100 })
	defer m.Close()
	for i := 0; i < 10; i++ {
		l.AppendAsLeader(makeBatch(plainSpec(1, 100, 1)), 0)
	}
	l.SetHighWatermark(l.LogEndOffset())
	if _, err := l.DeleteRecordsBefore(l.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
	deleted := func() int {
		ents, _ := os.ReadDir(l.dir)
		n := 0
		for _, e := range ents {
			if filepath.Ext(e.Name()) == ".deleted" {
				n++
			}
		}
		return n
	}
	if deleted() == 0 {
		t.Fatal("segments should first be renamed to .deleted")
	}
	deadline := time.Now().Add(5 * time.Second)
	for deleted() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d .deleted files left after file.delete.delay.ms", deleted())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if l.NumSegments() != 1 {
		t.Fatalf("segments %d", l.NumSegments())
	}
}

// TestTornTailEveryCutPoint cuts the last segment at many byte positions and checks that an
// unclean reopen keeps exactly the whole batches before the cut.
func TestTornTailEveryCutPoint(t *testing.T) {
	base := t.TempDir()
	c := testConfig()
	c.IndexIntervalBytes = 150
	src := filepath.Join(base, "src")
	m := openTestManager(t, []string{src}, c, nil)
	l, _ := m.GetOrCreate(TopicPartition{"cut", 0}, c, [16]byte{})
	var all []byte
	for i := 0; i < 12; i++ {
		b := makeBatch(plainSpec(1+i%3, 40, int64(i)))
		l.AppendAsLeader(b, 1)
		all = append(all, b...)
	}
	crash(m)
	logData, _ := os.ReadFile(filepath.Join(src, "cut-0", segmentName(0)+".log"))
	batches := walk(all)
	for cut := 0; cut <= len(logData); cut += 37 {
		dir := filepath.Join(base, fmt.Sprintf("c%d", cut))
		pdir := filepath.Join(dir, "cut-0")
		os.MkdirAll(pdir, 0o755)
		os.WriteFile(filepath.Join(pdir, segmentName(0)+".log"), logData[:cut], 0o644)
		// a stale, untrimmed index as a crash leaves it
		idx, _ := os.ReadFile(filepath.Join(src, "cut-0", segmentName(0)+".index"))
		os.WriteFile(filepath.Join(pdir, segmentName(0)+".index"), idx, 0o644)
		wantLEO, wantBytes := int64(0), 0
		for _, bt := range batches {
			end := int(bt[2]) + batchView(all[bt[2]:]).size()
			if end <= cut {
				wantLEO, wantBytes = bt[1]+1, end
			}
		}
		m2 := openTestManager(t, []string{dir}, c, nil)
		l2, _ := m2.Get(TopicPartition{"cut", 0})
		if l2.LogEndOffset() != wantLEO {
			t.Fatalf("cut %d: LEO %d, want %d", cut, l2.LogEndOffset(), wantLEO)
		}
		if got := readAll(t, l2, 0, wantLEO); string(got) != string(all[:wantBytes]) {
			t.Fatalf("cut %d: data differs", cut)
		}
		if res, err := l2.AppendAsLeader(makeBatch(plainSpec(1, 1, 1)), 1); err != nil || res.FirstOffset != wantLEO {
			t.Fatalf("cut %d: append after recovery %+v %v", cut, res, err)
		}
		m2.Close()
	}
}

func TestRollWhenIndexFull(t *testing.T) {
	m, l, _ := newTestLog(t, func(c *config.Log) { c.SegmentIndexBytes = 84; c.IndexIntervalBytes = 1 })
	defer m.Close()
	for i := 0; i < 30; i++ {
		if _, err := l.AppendAsLeader(makeBatch(plainSpec(1, 10, int64(i))), 0); err != nil {
			t.Fatal(err)
		}
	}
	// 84 bytes -> 10 offset entries / 7 time entries (one reserved): the time index fills first.
	if l.NumSegments() < 3 {
		t.Fatalf("segments %d, want rolls on a full index", l.NumSegments())
	}
	l.segMu.RLock()
	first := l.segs[0]
	l.segMu.RUnlock()
	// The roll entry is skipped because the max timestamp is already the last entry's.
	if n := first.ti.count(); n != 6 {
		t.Fatalf("first segment time index has %d entries, want 6", n)
	}
	if got := fileSize(t, segFile(l, 0, ".timeindex")); got != 72 {
		t.Fatalf("trimmed time index %d bytes", got)
	}
}
