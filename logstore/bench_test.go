package logstore

import (
	"sync"
	"sync/atomic"
	"testing"
)

// benchBatch builds a ~16 KiB batch of records of the given value size.
func benchBatch(valueSize int) []byte {
	n := (16 << 10) / (valueSize + 10)
	return makeBatch(plainSpec(n, valueSize, 1_700_000_000_000))
}

func benchmarkAppend(b *testing.B, valueSize int) {
	dir := b.TempDir()
	c := testConfig()
	c.SegmentBytes = 256 << 20
	m := openTestManager(b, []string{dir}, c, nil)
	defer m.Close()
	l, err := m.GetOrCreate(TopicPartition{"bench", 0}, c, [16]byte{})
	if err != nil {
		b.Fatal(err)
	}
	batch := benchBatch(valueSize)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.AppendAsLeader(batch, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendAsLeader100B(b *testing.B) { benchmarkAppend(b, 100) }
func BenchmarkAppendAsLeader1KiB(b *testing.B) { benchmarkAppend(b, 1024) }

func BenchmarkAppendAsLeaderIdempotent1KiB(b *testing.B) {
	dir := b.TempDir()
	c := testConfig()
	c.SegmentBytes = 256 << 20
	m := openTestManager(b, []string{dir}, c, nil)
	defer m.Close()
	l, _ := m.GetOrCreate(TopicPartition{"bench", 0}, c, [16]byte{})
	s := plainSpec(15, 1024, 1)
	s.pid, s.epoch, s.seq = 1, 0, 0
	batch := makeBatch(s)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.PutUint32(batch[offBaseSequence:], uint32(i*15))
		be.PutUint32(batch[offCRC:], batchView(batch).computeCRC())
		if _, err := l.AppendAsLeader(batch, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead reads 1 MiB regions (as a consumer fetch would) and copies them out.
func BenchmarkRead(b *testing.B) {
	dir := b.TempDir()
	c := testConfig()
	c.SegmentBytes = 64 << 20
	m := openTestManager(b, []string{dir}, c, nil)
	defer m.Close()
	l, _ := m.GetOrCreate(TopicPartition{"bench", 0}, c, [16]byte{})
	batch := benchBatch(1024)
	for i := 0; i < 4096; i++ { // 64 MiB
		if _, err := l.AppendAsLeader(batch, 1); err != nil {
			b.Fatal(err)
		}
	}
	leo := l.LogEndOffset()
	buf := make([]byte, 0, 2<<20)
	b.ReportAllocs()
	b.ResetTimer()
	var off int64
	var total int64
	for i := 0; i < b.N; i++ {
		r, err := l.Read(off, 1<<20, leo, true)
		if err != nil {
			b.Fatal(err)
		}
		buf, err = r.AppendTo(buf[:0])
		if err != nil {
			b.Fatal(err)
		}
		total += int64(r.Size)
		off = r.FirstOffset + int64(len(buf)/len(batch))*int64(batchView(batch).recordsCount())
		if off >= leo {
			off = 0
		}
	}
	b.SetBytes(total / int64(b.N))
}

// BenchmarkReadRegion measures locating a region only (what a sendfile path pays).
func BenchmarkReadRegion(b *testing.B) {
	dir := b.TempDir()
	c := testConfig()
	m := openTestManager(b, []string{dir}, c, nil)
	defer m.Close()
	l, _ := m.GetOrCreate(TopicPartition{"bench", 0}, c, [16]byte{})
	batch := benchBatch(100)
	for i := 0; i < 2048; i++ {
		l.AppendAsLeader(batch, 1)
	}
	leo := l.LogEndOffset()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.Read(int64(i*7919)%leo, 1<<20, leo, true); err != nil {
			b.Fatal(err)
		}
	}
}

func TestConcurrentReadersAndWriter(t *testing.T) {
	m, l, _ := newTestLog(t, nil)
	defer m.Close()
	cfg := l.Config()
	cfg.SegmentBytes = 64 << 10
	cfg.IndexIntervalBytes = 1024
	l.SetConfig(cfg)
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for !done.Load() {
				leo := l.LogEndOffset()
				if leo == 0 {
					continue
				}
				off := leo / 2
				res, err := l.Read(off, 32<<10, leo, true)
				if err != nil {
					errs <- err
					return
				}
				buf, err = res.AppendTo(buf[:0])
				if err != nil {
					errs <- err
					return
				}
				for p := buf; len(p) > 0; {
					n, err := checkBatch(p)
					if err != nil {
						errs <- err
						return
					}
					if bv := batchView(p); bv.lastOffset() >= leo {
						errs <- errFmt("read past LEO")
						return
					}
					p = p[n:]
				}
				if len(buf) > 0 && batchView(buf).lastOffset() < off {
					errs <- errFmt("first batch does not contain the start offset")
					return
				}
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		if _, err := l.AppendAsLeader(makeBatch(plainSpec(1+i%5, 200, int64(i))), 0); err != nil {
			t.Fatal(err)
		}
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if l.NumSegments() < 5 {
		t.Fatalf("expected rolls during the test, got %d segments", l.NumSegments())
	}
}

type errFmt string

func (e errFmt) Error() string { return string(e) }

func TestConcurrentReadersDuringTruncationAndRetention(t *testing.T) {
	m, l, _ := newTestLog(t, nil)
	defer m.Close()
	cfg := l.Config()
	cfg.SegmentBytes = 8 << 10
	cfg.IndexIntervalBytes = 512
	l.SetConfig(cfg)
	var done atomic.Bool
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for !done.Load() {
				start := l.LogStartOffset()
				leo := l.LogEndOffset()
				res, err := l.Read(start+(leo-start)/3, 16<<10, leo, true)
				if err != nil {
					continue // the range moved under us; that is allowed
				}
				buf, _ = res.AppendTo(buf[:0])
				for p := buf; len(p) >= logOverhead; {
					n, err := checkBatch(p)
					if err != nil {
						break // a segment may be deleted between Read and AppendTo
					}
					p = p[n:]
				}
				l.FetchOffsetByTimestamp(500)
				l.AbortedTransactions(start, leo)
			}
		}()
	}
	for i := 0; i < 1500; i++ {
		if _, err := l.AppendAsLeader(makeBatch(plainSpec(2, 100, int64(i))), 0); err != nil {
			t.Fatal(err)
		}
		switch {
		case i%300 == 299:
			if err := l.TruncateTo(l.LogEndOffset() - 50); err != nil {
				t.Fatal(err)
			}
		case i%200 == 199:
			l.SetHighWatermark(l.LogEndOffset())
			if _, err := l.DeleteRecordsBefore(l.LogEndOffset() - 100); err != nil {
				t.Fatal(err)
			}
		}
	}
	done.Store(true)
	wg.Wait()
	if l.LogStartOffset() == 0 || l.NumSegments() < 2 {
		t.Fatalf("start %d segments %d", l.LogStartOffset(), l.NumSegments())
	}
}
