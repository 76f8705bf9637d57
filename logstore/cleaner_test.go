package logstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kafka-classic/kafka-classic/config"
)

type kv struct {
	k string
	v *string // nil = tombstone
}

func sp(s string) *string { return &s }

// keyedBatch encodes a v2 batch of keyed records, compressed with codec.
func keyedBatch(t testing.TB, recs []kv, ts int64, codec int) []byte {
	t.Helper()
	var raw []byte
	for i, r := range recs {
		var body []byte
		body = append(body, 0)
		body = binary.AppendVarint(body, int64(i))
		body = binary.AppendVarint(body, int64(i))
		body = binary.AppendVarint(body, int64(len(r.k)))
		body = append(body, r.k...)
		if r.v == nil {
			body = binary.AppendVarint(body, -1)
		} else {
			body = binary.AppendVarint(body, int64(len(*r.v)))
			body = append(body, *r.v...)
		}
		body = binary.AppendVarint(body, 0)
		raw = binary.AppendVarint(raw, int64(len(body)))
		raw = append(raw, body...)
	}
	recBytes, err := compressRecords(codec, raw)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, batchHeaderSize, batchHeaderSize+len(recBytes))
	b = append(b, recBytes...)
	be.PutUint32(b[offBatchLength:], uint32(len(b)-logOverhead))
	be.PutUint32(b[offLeaderEpoch:], 0xffffffff)
	b[offMagic] = 2
	be.PutUint16(b[offAttributes:], uint16(codec))
	be.PutUint32(b[offLastOffsetDelta:], uint32(len(recs)-1))
	be.PutUint64(b[offFirstTimestamp:], uint64(ts))
	be.PutUint64(b[offMaxTimestamp:], uint64(ts+int64(len(recs)-1)))
	be.PutUint64(b[offProducerID:], ^uint64(0))
	be.PutUint16(b[offProducerEpoch:], 0xffff)
	be.PutUint32(b[offBaseSequence:], 0xffffffff)
	be.PutUint32(b[offRecordsCount:], uint32(len(recs)))
	be.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b
}

type readRec struct {
	off int64
	key string
	val *string
	ts  int64
}

// readRecords reads the whole log back, checking every batch's CRC and that offsets increase.
func readRecords(t testing.TB, l *Log) []readRec {
	t.Helper()
	return decodeAll(t, readAll(t, l, l.LogStartOffset(), l.LogEndOffset()))
}

func decodeAll(t testing.TB, data []byte) []readRec {
	t.Helper()
	out, err := decodeRecs(data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeRecs(data []byte) ([]readRec, error) {
	var out []readRec
	last := int64(-1)
	for len(data) > 0 {
		sz, err := checkBatch(data)
		if err != nil {
			return nil, fmt.Errorf("batch read back: %w", err)
		}
		err = forEachRecord(data[:sz], func(r cleanerRecord) error {
			if r.offset <= last {
				return fmt.Errorf("offset %d after %d", r.offset, last)
			}
			last = r.offset
			rr := readRec{off: r.offset, key: string(r.key), ts: r.ts}
			if r.hasValue {
				// the value is the tail of raw minus the headers count byte
				v := valueOf(r.raw)
				rr.val = &v
			}
			out = append(out, rr)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if b := batchView(data); b.lastOffset() < last {
			return nil, fmt.Errorf("batch last offset %d below record offset %d", b.lastOffset(), last)
		} else {
			last = b.lastOffset()
		}
		data = data[sz:]
	}
	return out, nil
}

// valueOf extracts the value of an encoded record (no headers).
func valueOf(raw []byte) string {
	_, n := binary.Varint(raw)
	p := raw[n+1:]
	for i := 0; i < 2; i++ {
		_, m := binary.Varint(p)
		p = p[m:]
	}
	kl, m := binary.Varint(p)
	p = p[m+int(kl):]
	vl, m := binary.Varint(p)
	return string(p[m : m+int(vl)])
}

func compactConfig() config.Log {
	c := testConfig()
	c.CleanupPolicy = "compact"
	c.SegmentBytes = 4096
	return c
}

func openCleanerManager(t testing.TB, dir string, cfg config.Log, clock *fakeClock, o ManagerOptions) *Manager {
	t.Helper()
	o.Dirs = []string{dir}
	o.Defaults = cfg
	o.RecoveryThreads = 1
	o.Logger = zerolog.Nop()
	o.Now = clock.Now
	m, err := OpenManager(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fillUpdates appends n batches of updates to keys k0..k<keys-1> (3 records each, codec cycling
// through none/gzip/lz4/zstd/snappy) and returns the latest value and offset per key.
func fillUpdates(t testing.TB, l *Log, clock *fakeClock, n, keys int, tag string) map[string]readRec {
	t.Helper()
	latest := map[string]readRec{}
	for i := 0; i < n; i++ {
		var recs []kv
		for j := 0; j < 3; j++ {
			k := fmt.Sprintf("k%d", (i*3+j)%keys)
			recs = append(recs, kv{k, sp(fmt.Sprintf("%s-%d-%d-%s", k, i, j, strings.Repeat("x", 40)))})
		}
		res, err := l.AppendAsLeader(keyedBatch(t, recs, clock.Now().UnixMilli(), i%5), 0)
		if err != nil {
			t.Fatal(err)
		}
		for j, r := range recs {
			latest[r.k] = readRec{off: res.FirstOffset + int64(j), key: r.k, val: r.v}
		}
	}
	return latest
}

func activeBytes(t testing.TB, l *Log) (int64, []byte) {
	t.Helper()
	l.segMu.RLock()
	a := l.active
	l.segMu.RUnlock()
	buf := make([]byte, a.size.Load())
	if _, err := a.log.ReadAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	return a.base, buf
}

func TestCleanerKeepsLatestValuePerKey(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	cfg := compactConfig()
	m := openCleanerManager(t, dir, cfg, clock, ManagerOptions{})
	defer m.Close()
	tp := TopicPartition{"compacted", 0}
	l, err := m.GetOrCreate(tp, cfg, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	fillUpdates(t, l, clock, 300, 7, "a")
	l.SetHighWatermark(l.LogEndOffset())
	before := readRecords(t, l)
	sizeBefore, segsBefore := l.Size(), l.NumSegments()
	activeBase, activeData := activeBytes(t, l)
	if segsBefore < 10 {
		t.Fatalf("want many segments, have %d", segsBefore)
	}
	// Expected: latest value per key among offsets below the active segment.
	wantClean := map[string]readRec{}
	for _, r := range before {
		if r.off < activeBase {
			wantClean[r.key] = r
		}
	}

	if !m.cleaner.cleanFilthiestLog() {
		t.Fatal("cleaner found nothing to clean")
	}
	after := readRecords(t, l)
	if l.Size() >= sizeBefore/4 {
		t.Fatalf("log did not shrink: %d -> %d bytes", sizeBefore, l.Size())
	}
	seen := map[string]bool{}
	for _, r := range after {
		if r.off >= activeBase {
			continue
		}
		if seen[r.key] {
			t.Fatalf("key %s appears twice in the cleaned section", r.key)
		}
		seen[r.key] = true
		w := wantClean[r.key]
		if r.off != w.off || *r.val != *w.val {
			t.Fatalf("key %s: got offset %d value %q, want %d %q", r.key, r.off, *r.val, w.off, *w.val)
		}
	}
	if len(seen) != len(wantClean) {
		t.Fatalf("cleaned section has %d keys, want %d", len(seen), len(wantClean))
	}
	// The active segment is untouched, and the latest value of every key is the last one read.
	if base, data := activeBytes(t, l); base != activeBase || !bytes.Equal(data, activeData) {
		t.Fatal("active segment changed")
	}
	lastBefore, lastAfter := map[string]readRec{}, map[string]readRec{}
	for _, r := range before {
		lastBefore[r.key] = r
	}
	for _, r := range after {
		lastAfter[r.key] = r
	}
	for k, w := range lastBefore {
		if g := lastAfter[k]; g.off != w.off || *g.val != *w.val {
			t.Fatalf("latest of %s: got %d %q want %d %q", k, g.off, *g.val, w.off, *w.val)
		}
	}
	if l.LogStartOffset() != 0 || l.LogEndOffset() != 900 {
		t.Fatalf("offsets changed: start %d end %d", l.LogStartOffset(), l.LogEndOffset())
	}
	// Groups are formed from the sizes before cleaning (as Kafka does), so full segments are
	// rewritten one to one on this first pass.
	if n := l.NumSegments(); n != segsBefore {
		t.Fatalf("segments after cleaning = %d, want %d", n, segsBefore)
	}
	ents, _ := os.ReadDir(l.Dir())
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".cleaned") || strings.HasSuffix(e.Name(), ".swap") || strings.HasSuffix(e.Name(), ".deleted") {
			t.Fatalf("leftover file %s", e.Name())
		}
	}
	want := fmt.Sprintf("0\n1\ncompacted 0 %d\n", activeBase)
	if got := readFile(t, filepath.Join(dir, cleanerCheckpointFile)); got != want {
		t.Fatalf("cleaner-offset-checkpoint = %q, want %q", got, want)
	}
	// Nothing dirty left: a second pass does nothing.
	if m.cleaner.cleanFilthiestLog() {
		t.Fatal("second pass cleaned again")
	}
	// Offset lookups land on the right batches in the rebuilt index.
	for _, r := range after {
		res, err := l.Read(r.off, 1, l.LogEndOffset(), true)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := res.AppendTo(nil)
		b := batchView(data)
		if b.baseOffset() > r.off || b.lastOffset() < r.off {
			t.Fatalf("Read(%d) returned batch [%d, %d]", r.off, b.baseOffset(), b.lastOffset())
		}
	}

	// A later pass merges the now small cleaned segments into one.
	fillUpdates(t, l, clock, 30, 7, "")
	l.Roll()
	l.SetHighWatermark(l.LogEndOffset())
	cfg.MinCleanableDirtyRatio = 0.01
	l.SetConfig(cfg)
	if !m.cleaner.cleanFilthiestLog() {
		t.Fatal("third pass did not clean")
	}
	if n := l.NumSegments(); n > segsBefore/2 {
		t.Fatalf("segments after merging pass = %d, had %d", n, segsBefore)
	}
	after = readRecords(t, l)
	if len(after) != 7 {
		t.Fatalf("records after merging pass = %d, want 7 (one per key)", len(after))
	}
	want = fmt.Sprintf("0\n1\ncompacted 0 %d\n", l.LogEndOffset())

	// The result survives a clean restart and an unclean one.
	m.Close()
	m = openCleanerManager(t, dir, cfg, clock, ManagerOptions{})
	l, _ = m.Get(tp)
	if got := readRecords(t, l); fmt.Sprint(recsString(got)) != fmt.Sprint(recsString(after)) {
		t.Fatal("records differ after restart")
	}
	crash(m)
	m = openCleanerManager(t, dir, cfg, clock, ManagerOptions{})
	l, _ = m.Get(tp)
	if got := readRecords(t, l); fmt.Sprint(recsString(got)) != fmt.Sprint(recsString(after)) {
		t.Fatal("records differ after unclean restart")
	}
	if got := readFile(t, filepath.Join(dir, cleanerCheckpointFile)); got != want {
		t.Fatalf("cleaner-offset-checkpoint after restart = %q", got)
	}
}

func recsString(rs []readRec) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		v := "<null>"
		if r.val != nil {
			v = *r.val
		}
		out[i] = fmt.Sprintf("%d:%s=%s", r.off, r.key, v)
	}
	return out
}

func TestCleanerTombstones(t *testing.T) {
	for _, tc := range []struct {
		name      string
		retention int64
		wantGone  bool
	}{{"retained within delete.retention.ms", 24 * 3600 * 1000, false}, {"removed after delete.retention.ms", 0, true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			clock := newFakeClock()
			cfg := compactConfig()
			cfg.DeleteRetentionMs = tc.retention
			m := openCleanerManager(t, dir, cfg, clock, ManagerOptions{})
			defer m.Close()
			l, _ := m.GetOrCreate(TopicPartition{"t", 0}, cfg, [16]byte{})
			ts := clock.Now().UnixMilli()
			l.AppendAsLeader(keyedBatch(t, []kv{{"gone", sp("v1")}, {"kept", sp("v1")}}, ts, 0), 0)
			l.AppendAsLeader(keyedBatch(t, []kv{{"gone", nil}}, ts, 0), 0) // offset 2
			l.Roll()
			l.AppendAsLeader(keyedBatch(t, []kv{{"other", sp("v")}}, ts, 0), 0)
			l.SetHighWatermark(l.LogEndOffset())
			if !m.cleaner.cleanFilthiestLog() {
				t.Fatal("first pass did not clean")
			}
			// The first pass has no clean section yet: the tombstone always survives it.
			if got := recsString(readRecords(t, l)); fmt.Sprint(got) != "[1:kept=v1 2:gone=<null> 3:other=v]" {
				t.Fatalf("after first pass: %v", got)
			}
			l.Roll()
			l.AppendAsLeader(keyedBatch(t, []kv{{"other", sp("v2")}}, ts, 0), 0)
			l.Roll()
			l.SetHighWatermark(l.LogEndOffset())
			cfg.MinCleanableDirtyRatio = 0.01
			l.SetConfig(cfg)
			if !m.cleaner.cleanFilthiestLog() {
				t.Fatal("second pass did not clean")
			}
			got := fmt.Sprint(recsString(readRecords(t, l)))
			want := "[1:kept=v1 2:gone=<null> 4:other=v2]"
			if tc.wantGone {
				want = "[1:kept=v1 4:other=v2]"
			}
			if got != want {
				t.Fatalf("after second pass: %s, want %s", got, want)
			}
		})
	}
}

func TestCleanerDirtyRatioAndCompactionLag(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	cfg := compactConfig()
	m := openCleanerManager(t, dir, cfg, clock, ManagerOptions{})
	defer m.Close()
	tp := TopicPartition{"t", 0}
	l, _ := m.GetOrCreate(tp, cfg, [16]byte{})
	fillUpdates(t, l, clock, 200, 500, "") // mostly distinct keys: cleaning keeps most bytes
	l.Roll()
	l.SetHighWatermark(l.LogEndOffset())
	if !m.cleaner.cleanFilthiestLog() {
		t.Fatal("first pass did not clean")
	}
	cp := m.cleaner.checkpoints[tp]
	if cp != l.LogEndOffset() {
		t.Fatalf("checkpoint %d, want %d", cp, l.LogEndOffset())
	}
	// A little dirty data: ratio well below 0.5.
	fillUpdates(t, l, clock, 10, 500, "")
	l.Roll()
	l.SetHighWatermark(l.LogEndOffset())
	ltc := m.cleaner.grabFilthiestCompactedLog(clock.Now().UnixMilli())
	if ltc != nil {
		t.Fatalf("log picked with ratio %.3f below min.cleanable.dirty.ratio 0.5", ltc.ratio())
	}
	if m.cleaner.cleanFilthiestLog() || m.cleaner.checkpoints[tp] != cp {
		t.Fatal("cleaned below the ratio")
	}
	cfg.MinCleanableDirtyRatio = 0.01
	l.SetConfig(cfg)
	// min.compaction.lag.ms holds back segments whose records are too new.
	cfg.MinCompactionLagMs = 3600 * 1000
	l.SetConfig(cfg)
	if m.cleaner.cleanFilthiestLog() {
		t.Fatal("cleaned records younger than min.compaction.lag.ms")
	}
	clock.Advance(2 * time.Hour)
	if !m.cleaner.cleanFilthiestLog() {
		t.Fatal("did not clean once the lag passed")
	}
	if got := m.cleaner.checkpoints[tp]; got != l.LogEndOffset() {
		t.Fatalf("checkpoint %d, want %d", got, l.LogEndOffset())
	}
	// max.compaction.lag.ms forces a pass even below the ratio.
	cfg.MinCleanableDirtyRatio = 0.99
	cfg.MinCompactionLagMs = 0
	cfg.MaxCompactionLagMs = 1000
	l.SetConfig(cfg)
	fillUpdates(t, l, clock, 2, 500, "")
	l.Roll()
	l.SetHighWatermark(l.LogEndOffset())
	clock.Advance(time.Minute)
	if !m.cleaner.cleanFilthiestLog() {
		t.Fatal("max.compaction.lag.ms did not force cleaning")
	}
	// Nothing past the high watermark is cleaned.
	cfg.MaxCompactionLagMs = 1 << 62
	cfg.MinCleanableDirtyRatio = 0.01
	l.SetConfig(cfg)
	hw := l.LogEndOffset()
	fillUpdates(t, l, clock, 50, 3, "")
	l.Roll()
	if !m.cleaner.cleanFilthiestLog() {
		// the segment below the HW holds nothing dirty; the new one is above the HW
		if m.cleaner.checkpoints[tp] > hw {
			t.Fatalf("checkpoint %d beyond high watermark %d", m.cleaner.checkpoints[tp], hw)
		}
	} else if m.cleaner.checkpoints[tp] > hw {
		t.Fatalf("checkpoint %d beyond high watermark %d", m.cleaner.checkpoints[tp], hw)
	}
}

// TestCleanerSwapCompletedOnRestart simulates crashes at the points of the swap: right after the
// cleaned segments became .swap (old segments still live), after the old segments were renamed
// .deleted, and an unfinished operation (a .cleaned file at or below the .swap files).
func TestCleanerSwapCompletedOnRestart(t *testing.T) {
	for _, mode := range []string{"old segments live", "old segments renamed", "unfinished"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			clock := newFakeClock()
			cfg := compactConfig()
			m := openCleanerManager(t, dir, cfg, clock, ManagerOptions{})
			tp := TopicPartition{"t", 0}
			l, _ := m.GetOrCreate(tp, cfg, [16]byte{})
			fillUpdates(t, l, clock, 200, 5, "")
			l.SetHighWatermark(l.LogEndOffset())
			l.Flush()
			before := recsString(readRecords(t, l))
			segsBefore := l.NumSegments()
			saved := t.TempDir()
			copyDir(t, l.Dir(), saved)
			swapSaved := t.TempDir()
			var swapBases []int64
			cleanerSwapHook = func(d string, base int64) {
				swapBases = append(swapBases, base)
				name := filepath.Base(segmentFileName(d, base, ".log.swap"))
				copyFile(t, filepath.Join(d, name), filepath.Join(swapSaved, name))
			}
			defer func() { cleanerSwapHook = nil }()
			if !m.cleaner.cleanFilthiestLog() {
				t.Fatal("nothing cleaned")
			}
			after := recsString(readRecords(t, l))
			segsAfter := l.NumSegments()
			activeBase := l.active.base
			if len(after) >= len(before) || len(swapBases) < 2 {
				t.Fatalf("cleaning removed nothing (%d swaps)", len(swapBases))
			}
			crash(m)
			// Put back the pre-clean segments plus the .swap files and a stray .cleaned file.
			pdir := filepath.Join(dir, tp.String())
			os.RemoveAll(pdir)
			copyDir(t, saved, pdir)
			copyDir(t, swapSaved, pdir)
			cleanedAt := activeBase
			want, wantSegs := after, segsAfter
			switch mode {
			case "old segments renamed":
				for _, b := range swapBases {
					for _, suf := range []string{".log", ".index", ".timeindex"} {
						p := segmentFileName(pdir, b, suf)
						if err := os.Rename(p, p+".deleted"); err != nil {
							t.Fatal(err)
						}
					}
				}
			case "unfinished":
				cleanedAt = swapBases[1]
				want = nil // the first swap completes; the rest are dropped with their old segments kept
			}
			os.WriteFile(segmentFileName(pdir, cleanedAt, ".log.cleaned"), []byte("junk"), 0o644)

			m = openCleanerManager(t, dir, cfg, clock, ManagerOptions{})
			defer m.Close()
			l, _ = m.Get(tp)
			got := recsString(readRecords(t, l))
			if want == nil {
				// Records of the first group as cleaned, then everything else as before cleaning.
				var exp []string
				for _, r := range after {
					if off, _ := strconv.ParseInt(r[:strings.IndexByte(r, ':')], 10, 64); off < swapBases[1] {
						exp = append(exp, r)
					}
				}
				for _, r := range before {
					if off, _ := strconv.ParseInt(r[:strings.IndexByte(r, ':')], 10, 64); off >= swapBases[1] {
						exp = append(exp, r)
					}
				}
				want, wantSegs = exp, segsBefore
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("after restart:\n%v\nwant\n%v", got, want)
			}
			if n := l.NumSegments(); n != wantSegs {
				t.Fatalf("segments = %d, want %d", n, wantSegs)
			}
			ents, _ := os.ReadDir(l.Dir())
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), ".swap") || strings.HasSuffix(e.Name(), ".cleaned") || strings.HasSuffix(e.Name(), ".deleted") {
					t.Fatalf("leftover %s", e.Name())
				}
			}
		})
	}
}

func copyDir(t testing.TB, from, to string) {
	t.Helper()
	os.MkdirAll(to, 0o755)
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			copyFile(t, filepath.Join(from, e.Name()), filepath.Join(to, e.Name()))
		}
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// offsetCommitKey/Value follow the __consumer_offsets formats (§6.2): key version 1.
func offsetCommitKey(group, topic string, partition int32) string {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(group)))
	b = append(b, group...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(topic)))
	b = append(b, topic...)
	b = binary.BigEndian.AppendUint32(b, uint32(partition))
	return string(b)
}

func offsetCommitValue(offset int64, ts int64) string {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, 3)
	b = binary.BigEndian.AppendUint64(b, uint64(offset))
	b = binary.BigEndian.AppendUint32(b, 0xffffffff) // leader epoch
	b = binary.BigEndian.AppendUint16(b, 0)          // metadata ""
	b = binary.BigEndian.AppendUint64(b, uint64(ts))
	return string(b)
}

func TestCleanerConsumerOffsetsCommitsCollapse(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	cfg := compactConfig()
	cfg.SegmentBytes = 16 << 10
	m := openCleanerManager(t, dir, cfg, clock, ManagerOptions{})
	defer m.Close()
	tp := TopicPartition{"__consumer_offsets", 7}
	l, _ := m.GetOrCreate(tp, cfg, [16]byte{})
	keys := []string{offsetCommitKey("g1", "orders", 0), offsetCommitKey("g1", "orders", 1), offsetCommitKey("g2", "orders", 0)}
	for i := 0; i < 1000; i++ {
		ts := clock.Now().UnixMilli()
		var recs []kv
		for _, k := range keys {
			recs = append(recs, kv{k, sp(offsetCommitValue(int64(i), ts))})
		}
		if _, err := l.AppendAsLeader(keyedBatch(t, recs, ts, 0), 0); err != nil {
			t.Fatal(err)
		}
	}
	// The group coordinator's last act: commit 5000 for g2 only, then roll.
	l.AppendAsLeader(keyedBatch(t, []kv{{keys[2], sp(offsetCommitValue(5000, 1))}}, clock.Now().UnixMilli(), 0), 0)
	l.Roll()
	l.SetHighWatermark(l.LogEndOffset())
	if !m.cleaner.cleanFilthiestLog() {
		t.Fatal("nothing cleaned")
	}
	got := readRecords(t, l)
	if len(got) != 3 {
		t.Fatalf("records after cleaning = %d, want 3", len(got))
	}
	wantOff := map[string]int64{keys[0]: 999, keys[1]: 999, keys[2]: 5000}
	for _, r := range got {
		if off := int64(binary.BigEndian.Uint64([]byte(*r.val)[2:])); off != wantOff[r.key] {
			t.Fatalf("key %q: committed offset %d, want %d", r.key, off, wantOff[r.key])
		}
	}
	if got[0].off != 2997 || got[1].off != 2998 || got[2].off != 3000 {
		t.Fatalf("offsets %d %d %d", got[0].off, got[1].off, got[2].off)
	}
}

// TestCleanerKeepsTransactionalAndProducerState: transactional batches and markers are copied
// as they are, and an idempotent producer's last batch stays (emptied) so its sequence survives.
func TestCleanerKeepsTransactionalAndProducerState(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	cfg := compactConfig()
	m := openCleanerManager(t, dir, cfg, clock, ManagerOptions{})
	defer m.Close()
	l, _ := m.GetOrCreate(TopicPartition{"t", 0}, cfg, [16]byte{})
	ts := clock.Now().UnixMilli()
	l.AppendAsLeader(keyedBatch(t, []kv{{"a", sp("a1")}}, ts, 0), 0) // 0
	txn := keyedBatch(t, []kv{{"a", sp("a-txn")}}, ts, 0)            // 1, then aborted
	be.PutUint64(txn[offProducerID:], 9)
	be.PutUint16(txn[offProducerEpoch:], 0)
	be.PutUint32(txn[offBaseSequence:], 0)
	be.PutUint16(txn[offAttributes:], attrTransactional)
	be.PutUint32(txn[offCRC:], crc32.Checksum(txn[offAttributes:], castagnoli))
	if _, err := l.AppendAsLeader(txn, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.AppendControlAsLeader(markerBatch(9, 0, false, 3), 0); err != nil { // 2: ABORT
		t.Fatal(err)
	}
	idem := keyedBatch(t, []kv{{"b", sp("b1")}}, ts, 0) // 3, later superseded
	be.PutUint64(idem[offProducerID:], 11)
	be.PutUint16(idem[offProducerEpoch:], 0)
	be.PutUint32(idem[offBaseSequence:], 0)
	be.PutUint32(idem[offCRC:], crc32.Checksum(idem[offAttributes:], castagnoli))
	if _, err := l.AppendAsLeader(idem, 0); err != nil {
		t.Fatal(err)
	}
	l.AppendAsLeader(keyedBatch(t, []kv{{"b", sp("b2")}, {"a", sp("a2")}}, ts, 0), 0) // 4-5
	l.Roll()
	l.SetHighWatermark(l.LogEndOffset())
	if !m.cleaner.cleanFilthiestLog() {
		t.Fatal("nothing cleaned")
	}
	data := readAll(t, l, 0, l.LogEndOffset())
	var shape []string
	for _, w := range walk(data) {
		b := batchView(data[w[2]:])
		shape = append(shape, fmt.Sprintf("[%d-%d n=%d pid=%d seq=%d ctl=%v txn=%v]", w[0], w[1], b.recordsCount(), b.producerID(), b.baseSequence(), b.isControl(), b.isTransactional()))
	}
	want := "[1-1 n=1 pid=9 seq=0 ctl=false txn=true] [2-2 n=1 pid=9 seq=-1 ctl=true txn=true] [3-3 n=0 pid=11 seq=0 ctl=false txn=false] [4-5 n=2 pid=-1 seq=-1 ctl=false txn=false]"
	if got := strings.Join(shape, " "); got != want {
		t.Fatalf("batches after cleaning:\n%s\nwant\n%s", got, want)
	}
	// The aborted transaction is still reported for read_committed fetches.
	if ab := l.AbortedTransactions(0, l.LogEndOffset()); len(ab) != 1 || ab[0] != (AbortedTxn{ProducerID: 9, FirstOffset: 1}) {
		t.Fatalf("aborted transactions %v", ab)
	}
}

// TestCleanerConcurrentReaders runs the background cleaner against a writer and readers; run
// with -race. Readers must always see whole, valid batches with increasing offsets, and the
// latest value of every key must always be readable.
func TestCleanerConcurrentReaders(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	cfg := compactConfig()
	cfg.FileDeleteDelayMs = 60000 // readers may still hold a replaced segment's file
	cfg.MinCleanableDirtyRatio = 0.1
	m := openCleanerManager(t, dir, cfg, clock, ManagerOptions{CleanerBackoff: 5 * time.Millisecond})
	tp := TopicPartition{"t", 0}
	l, _ := m.GetOrCreate(tp, cfg, [16]byte{})
	m.StartBackground()

	var stop atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed := map[string]int64{} // key -> offset of its latest value below the HW
	errs := make(chan error, 4)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				mu.Lock()
				hw := l.HighWatermark()
				want := make(map[string]int64, len(committed))
				for k, v := range committed {
					want[k] = v
				}
				mu.Unlock()
				var data []byte
				for off := l.LogStartOffset(); off < hw; {
					res, err := l.Read(off, 64<<10, hw, true)
					if err != nil {
						errs <- err
						return
					}
					if res.Size == 0 {
						break
					}
					chunk, err := res.AppendTo(nil)
					if err != nil {
						errs <- err
						return
					}
					ws := walk(chunk)
					off = ws[len(ws)-1][1] + 1
					data = append(data, chunk...)
				}
				last := map[string]int64{}
				recs, err := decodeRecs(data)
				if err != nil {
					errs <- err
					return
				}
				for _, r := range recs {
					last[r.key] = r.off
				}
				for k, off := range want {
					if last[k] != off {
						errs <- fmt.Errorf("key %s: latest offset read %d, want %d (hw %d)", k, last[k], off, hw)
						return
					}
				}
			}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; time.Now().Before(deadline) && len(errs) == 0; i++ {
		recs := []kv{{fmt.Sprintf("k%d", i%13), sp(fmt.Sprintf("v%d%s", i, strings.Repeat("y", 100)))}}
		res, err := l.AppendAsLeader(keyedBatch(t, recs, clock.Now().UnixMilli(), i%3), 0)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		committed[recs[0].k] = res.FirstOffset
		l.SetHighWatermark(l.LogEndOffset())
		mu.Unlock()
		if i > 3000 && m.cleanerCheckpoint(tp) > 2000 && l.NumSegments() < 20 {
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if cp := m.cleanerCheckpoint(tp); cp <= 2000 {
		t.Fatalf("background cleaner did not progress: checkpoint %d", cp)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTruncateFullyKeepsNewSegmentFiles: removing the renamed (*.deleted) files of replaced
// segments must not remove a new segment that reuses the same base offset.
func TestTruncateFullyKeepsNewSegmentFiles(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	cfg := testConfig()
	m := openCleanerManager(t, dir, cfg, clock, ManagerOptions{})
	l, _ := m.GetOrCreate(TopicPartition{"t", 0}, cfg, [16]byte{})
	l.AppendAsLeader(makeBatch(plainSpec(3, 10, 1)), 0)
	if err := l.TruncateFullyAndStartAt(0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(segFile(l, 0, ".log")); err != nil {
		t.Fatalf("new segment file gone: %v", err)
	}
	l.AppendAsLeader(makeBatch(plainSpec(2, 10, 1)), 0)
	m.Close()
	m = openCleanerManager(t, dir, cfg, clock, ManagerOptions{})
	defer m.Close()
	l, _ = m.Get(TopicPartition{"t", 0})
	if l.LogEndOffset() != 2 {
		t.Fatalf("LEO after restart = %d, want 2", l.LogEndOffset())
	}
}
