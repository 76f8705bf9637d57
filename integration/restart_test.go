package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// endOffset returns a partition's log end offset via ListOffsets.
func endOffset(t testing.TB, b *Broker, topic string, p int32) int64 {
	t.Helper()
	var off int64
	WaitFor(t, 30*time.Second, func() (bool, string) {
		ends, err := Admin(t, b).ListEndOffsets(Ctx(t, 10*time.Second), topic)
		if err != nil {
			return false, err.Error()
		}
		o, ok := ends.Lookup(topic, p)
		if !ok || o.Err != nil {
			return false, fmt.Sprintf("end offset %s-%d: %v", topic, p, o.Err)
		}
		off = o.Offset
		return true, ""
	})
	return off
}

// TestCleanRestart: after a clean stop every record is readable again and the broker did not
// recover (scan) any segment.
func TestCleanRestart(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, nil)
	const topic = "clean"
	createTopic(t, b, topic, 1, map[string]*string{"segment.bytes": kadm.StringPtr("65536")})

	const n = 2000
	cl := NewClient(t, Seeds(b), kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerBatchMaxBytes(16384)) // batches well under segment.bytes, or Kafka refuses them
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("%06d-%s", i, strings.Repeat("x", 100)))}
	}
	ProduceSync(t, cl, recs...)
	cl.Close()
	segsBefore := len(SegmentFiles(t, b.PartitionDir(topic, 0)))
	if segsBefore < 2 {
		t.Fatalf("%d segments; the test wants several", segsBefore)
	}

	b.Stop()
	if !b.LogContains("[KafkaServer id=0] shut down completed") {
		t.Errorf("no `shut down completed` line after SIGTERM")
	}
	if lines := b.LogLines("Retrying controlled shutdown"); len(lines) > 0 {
		t.Errorf("controlled shutdown retried with only single-replica partitions: %q", lines)
	}
	if _, err := os.Stat(filepath.Join(b.LogDir, ".kafka_cleanshutdown")); err != nil {
		t.Fatalf("no .kafka_cleanshutdown after a clean stop: %v", err)
	}
	b.Restart(t)

	if lines := b.LogLines("Recovering unflushed segment"); len(lines) != 0 {
		t.Errorf("segments recovered after a clean shutdown: %v", lines)
	}
	got := ConsumeN(t, Seeds(b), topic, n, 60*time.Second)
	for i, r := range got {
		if r.Offset != int64(i) || string(r.Value) != string(recs[i].Value) || string(r.Key) != fmt.Sprint(i) {
			t.Fatalf("record %d after restart: offset %d key %q", i, r.Offset, r.Key)
		}
	}
	if e := endOffset(t, b, topic, 0); e != n {
		t.Errorf("log end offset %d after restart, want %d", e, n)
	}
	if after := len(SegmentFiles(t, b.PartitionDir(topic, 0))); after != segsBefore {
		t.Errorf("%d segments after restart, %d before", after, segsBefore)
	}
}

// TestKillDuringProduce: kill -9 under an acks=1 produce load loses no acknowledged record.
func TestKillDuringProduce(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, map[string]string{"zookeeper.session.timeout.ms": "6000"})
	const topic = "crash"
	createTopic(t, b, topic, 1, map[string]*string{"segment.bytes": kadm.StringPtr("262144")})

	cl := NewClient(t, Seeds(b), kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
		kgo.RecordRetries(0), kgo.RecordDeliveryTimeout(5*time.Second), kgo.ProducerLinger(time.Millisecond))

	var mu sync.Mutex
	acked := map[int64]string{} // offset -> value
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			v := fmt.Sprintf("rec-%08d", i)
			cl.Produce(ctx, &kgo.Record{Value: []byte(v)}, func(r *kgo.Record, err error) {
				if err == nil {
					mu.Lock()
					acked[r.Offset] = string(r.Value)
					mu.Unlock()
				}
			})
		}
	}()
	WaitFor(t, 60*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 20000, fmt.Sprintf("%d records acknowledged so far", len(acked))
	})
	b.Kill()
	cancel()
	wg.Wait()
	fctx, fcancel := context.WithTimeout(context.Background(), 30*time.Second)
	_ = cl.Flush(fctx) // let in-flight promises resolve (with errors) before counting
	fcancel()
	cl.Close()
	mu.Lock()
	n := len(acked)
	var maxAcked int64 = -1
	for o := range acked {
		if o > maxAcked {
			maxAcked = o
		}
	}
	mu.Unlock()
	t.Logf("%d records acknowledged before kill -9, highest offset %d", n, maxAcked)

	if _, err := os.Stat(filepath.Join(b.LogDir, ".kafka_cleanshutdown")); err == nil {
		t.Fatalf(".kafka_cleanshutdown exists after kill -9")
	}
	b.Restart(t)

	leo := endOffset(t, b, topic, 0)
	if leo <= maxAcked {
		t.Fatalf("log end offset %d after restart, but offset %d was acknowledged", leo, maxAcked)
	}
	got := ConsumeN(t, Seeds(b), topic, int(leo), 2*time.Minute)
	byOffset := make(map[int64]string, len(got))
	for _, r := range got {
		byOffset[r.Offset] = string(r.Value)
	}
	lost := 0
	for o, v := range acked {
		if byOffset[o] != v {
			if lost < 5 {
				t.Errorf("acknowledged offset %d: read %q, want %q", o, byOffset[o], v)
			}
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged records lost or changed", lost, n)
	}
	// Every segment is a sequence of whole, CRC-valid batches after recovery.
	for _, f := range SegmentFiles(t, b.PartitionDir(topic, 0)) {
		for _, bt := range ReadSegmentBatches(t, f) {
			if !bt.CRCValid() {
				t.Errorf("%s: batch at offset %d fails its CRC", filepath.Base(f), bt.BaseOffset)
			}
		}
	}
}

// TestCorruptSegmentTail: after a crash, a torn or damaged tail is cut off by recovery and
// every whole batch before it survives; new appends continue right after them.
func TestCorruptSegmentTail(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, map[string]string{"zookeeper.session.timeout.ms": "6000"})
	cases := []string{"garbage", "truncated", "badcrc"}
	const batches = 10
	for _, c := range cases {
		createTopic(t, b, "corrupt-"+c, 1, nil)
		cl := NewClient(t, Seeds(b), kgo.DefaultProduceTopic("corrupt-"+c), kgo.ProducerBatchCompression(kgo.NoCompression()))
		for i := 0; i < batches; i++ { // one call, one batch of 3 records
			ProduceSync(t, cl,
				&kgo.Record{Value: []byte(fmt.Sprintf("%d-a", i))},
				&kgo.Record{Value: []byte(fmt.Sprintf("%d-b", i))},
				&kgo.Record{Value: []byte(fmt.Sprintf("%d-c", i))})
		}
	}
	seg := func(c string) string { return filepath.Join(b.PartitionDir("corrupt-"+c, 0), SegmentName(0, ".log")) }
	type layout struct {
		batches []Batch
		size    int64
	}
	before := map[string]layout{}
	for _, c := range cases {
		bs := ReadSegmentBatches(t, seg(c))
		fi, err := os.Stat(seg(c))
		if err != nil {
			t.Fatal(err)
		}
		before[c] = layout{bs, fi.Size()}
	}

	b.Kill() // a crash, so the restart must recover the active segments
	last := func(c string) Batch { bs := before[c].batches; return bs[len(bs)-1] }

	// garbage: bytes that are no batch appended after the last one.
	f, err := os.OpenFile(seg("garbage"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(strings.Repeat("\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x01\x00garbage!", 8))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// truncated: the last batch torn in the middle.
	lb := last("truncated")
	if err := os.Truncate(seg("truncated"), lb.Pos+int64(len(lb.Raw))/2); err != nil {
		t.Fatal(err)
	}
	// badcrc: one flipped byte inside the last batch's records.
	lb = last("badcrc")
	data, err := os.ReadFile(seg("badcrc"))
	if err != nil {
		t.Fatal(err)
	}
	data[lb.Pos+int64(len(lb.Raw))-2] ^= 0xff
	if err := os.WriteFile(seg("badcrc"), data, 0o644); err != nil {
		t.Fatal(err)
	}

	b.Restart(t)

	for _, c := range cases {
		c := c
		t.Run(c, func(t *testing.T) {
			topic := "corrupt-" + c
			keep := before[c].batches
			if c != "garbage" {
				keep = keep[:len(keep)-1]
			}
			wantLEO := keep[len(keep)-1].LastOffset() + 1
			if leo := endOffset(t, b, topic, 0); leo != wantLEO {
				t.Fatalf("log end offset %d after recovery, want %d", leo, wantLEO)
			}
			got := ConsumeN(t, Seeds(b), topic, int(wantLEO), 30*time.Second)
			for i, r := range got {
				want := fmt.Sprintf("%d-%c", i/3, 'a'+i%3)
				if r.Offset != int64(i) || string(r.Value) != want {
					t.Fatalf("record %d: offset %d value %q, want %q", i, r.Offset, r.Value, want)
				}
			}
			wantSize := keep[len(keep)-1].Pos + int64(len(keep[len(keep)-1].Raw))
			if fi, err := os.Stat(seg(c)); err != nil || fi.Size() != wantSize {
				t.Errorf("segment size after recovery %v (%v), want %d (truncated at the first bad batch)", fi.Size(), err, wantSize)
			}
			r := ProduceSync(t, NewClient(t, Seeds(b), kgo.DefaultProduceTopic(topic)), &kgo.Record{Value: []byte("after")})[0]
			if r.Offset != wantLEO {
				t.Errorf("first append after recovery at offset %d, want %d", r.Offset, wantLEO)
			}
			bs := ReadSegmentBatches(t, seg(c))
			if bs[len(bs)-1].BaseOffset != wantLEO {
				t.Errorf("new batch written at offset %d in the file, want %d right after the kept batches", bs[len(bs)-1].BaseOffset, wantLEO)
			}
		})
	}
}
