package logstore

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kafka-classic/kafka-classic/config"
)

type batchSpec struct {
	n          int   // records
	valueSize  int   // bytes per value
	baseTs     int64 // first record timestamp; record i gets baseTs+i
	pid        int64
	epoch      int16
	seq        int32
	attrs      int16
	baseOffset int64
	leaderEp   int32
}

func plainSpec(n, valueSize int, ts int64) batchSpec {
	return batchSpec{n: n, valueSize: valueSize, baseTs: ts, pid: -1, epoch: -1, seq: -1, leaderEp: -1}
}

// makeBatch encodes a v2 batch by hand (what a producer sends), CRC included.
func makeBatch(s batchSpec) []byte {
	var recs []byte
	val := make([]byte, s.valueSize)
	for i := range val {
		val[i] = byte('a' + i%26)
	}
	for i := 0; i < s.n; i++ {
		var body []byte
		body = append(body, 0)
		body = binary.AppendVarint(body, int64(i)) // timestamp delta
		body = binary.AppendVarint(body, int64(i)) // offset delta
		body = binary.AppendVarint(body, -1)       // null key
		body = binary.AppendVarint(body, int64(len(val)))
		body = append(body, val...)
		body = binary.AppendVarint(body, 0)
		recs = binary.AppendVarint(recs, int64(len(body)))
		recs = append(recs, body...)
	}
	b := make([]byte, batchHeaderSize, batchHeaderSize+len(recs))
	b = append(b, recs...)
	be.PutUint64(b[offBaseOffset:], uint64(s.baseOffset))
	be.PutUint32(b[offBatchLength:], uint32(len(b)-logOverhead))
	be.PutUint32(b[offLeaderEpoch:], uint32(s.leaderEp))
	b[offMagic] = 2
	be.PutUint16(b[offAttributes:], uint16(s.attrs))
	be.PutUint32(b[offLastOffsetDelta:], uint32(s.n-1))
	be.PutUint64(b[offFirstTimestamp:], uint64(s.baseTs))
	be.PutUint64(b[offMaxTimestamp:], uint64(s.baseTs+int64(s.n-1)))
	be.PutUint64(b[offProducerID:], uint64(s.pid))
	be.PutUint16(b[offProducerEpoch:], uint16(s.epoch))
	be.PutUint32(b[offBaseSequence:], uint32(s.seq))
	be.PutUint32(b[offRecordsCount:], uint32(s.n))
	be.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.UnixMilli(1_700_000_000_000)} }
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testConfig() config.Log {
	c := DefaultLogConfig()
	c.FileDeleteDelayMs = 0
	return c
}

func openTestManager(t testing.TB, dirs []string, cfg config.Log, now func() time.Time) *Manager {
	t.Helper()
	m, err := OpenManager(ManagerOptions{Dirs: dirs, Defaults: cfg, RecoveryThreads: 2, Logger: zerolog.Nop(), Now: now})
	if err != nil {
		t.Fatalf("OpenManager: %v", err)
	}
	return m
}

// crash simulates a process death: files closed, no checkpoints, no clean-shutdown marker.
func crash(m *Manager) {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	close(m.stop)
	m.wg.Wait()
	for _, l := range m.logs {
		l.closeForDelete()
	}
	m.delWG.Wait()
	m.unlockAll()
}

func readAll(t testing.TB, l *Log, from, maxOffset int64) []byte {
	t.Helper()
	var out []byte
	off := from
	for off < maxOffset {
		r, err := l.Read(off, 1<<20, maxOffset, true)
		if err != nil {
			t.Fatalf("Read(%d): %v", off, err)
		}
		if r.Size == 0 {
			break
		}
		out, err = r.AppendTo(out)
		if err != nil {
			t.Fatalf("AppendTo: %v", err)
		}
		// advance to after the last batch read
		p := out
		var last int64
		for len(p) >= logOverhead {
			b := batchView(p)
			last = b.lastOffset()
			p = p[b.size():]
		}
		off = last + 1
	}
	return out
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return st.Size()
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

func segFile(l *Log, base int64, suffix string) string {
	return filepath.Join(l.dir, segmentName(base)+suffix)
}

func segmentName(base int64) string {
	return filepath.Base(segmentFileName("", base, ""))
}

// walk returns (baseOffset, lastOffset, position) of every batch in buf.
func walk(buf []byte) [][3]int64 {
	var out [][3]int64
	pos := int64(0)
	for len(buf) >= logOverhead {
		b := batchView(buf)
		out = append(out, [3]int64{b.baseOffset(), b.lastOffset(), pos})
		pos += int64(b.size())
		buf = buf[b.size():]
	}
	return out
}
