package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// createTopic creates a single-replica topic through the Admin API and waits until metadata
// shows a leader for every partition.
func createTopic(t testing.TB, b *Broker, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	adm := Admin(t, b)
	ctx := Ctx(t, time.Minute)
	r, err := adm.CreateTopic(ctx, partitions, 1, configs, topic)
	if err != nil || r.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, r.Err)
	}
	WaitFor(t, 30*time.Second, func() (bool, string) {
		md, err := adm.Metadata(ctx, topic)
		if err != nil {
			return false, err.Error()
		}
		td := md.Topics[topic]
		if td.Err != nil || len(td.Partitions) != int(partitions) {
			return false, fmt.Sprintf("%s: %v, %d partitions", topic, td.Err, len(td.Partitions))
		}
		for _, p := range td.Partitions {
			if p.Leader < 0 || p.Err != nil {
				return false, fmt.Sprintf("%s-%d leader %d err %v", topic, p.Partition, p.Leader, p.Err)
			}
		}
		return true, ""
	})
}

// TestProduceConsume runs the data-path checks against one broker.
func TestProduceConsume(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, nil)
	seeds := Seeds(b)

	t.Run("codecs", func(t *testing.T) {
		codecs := []struct {
			name  string
			codec kgo.CompressionCodec
			id    int
		}{
			{"none", kgo.NoCompression(), 0},
			{"gzip", kgo.GzipCompression(), 1},
			{"snappy", kgo.SnappyCompression(), 2},
			{"lz4", kgo.Lz4Compression(), 3},
			{"zstd", kgo.ZstdCompression(), 4},
		}
		for _, c := range codecs {
			c := c
			t.Run(c.name, func(t *testing.T) {
				topic := "codec-" + c.name
				createTopic(t, b, topic, 1, nil)
				cl := NewClient(t, seeds, kgo.ProducerBatchCompression(c.codec), kgo.DefaultProduceTopic(topic))
				const n = 50
				recs := make([]*kgo.Record, n)
				for i := range recs {
					recs[i] = &kgo.Record{
						Key:     []byte(fmt.Sprintf("key-%03d", i)),
						Value:   []byte(strings.Repeat(fmt.Sprintf("value-%03d;", i), 20)),
						Headers: []kgo.RecordHeader{{Key: "h", Value: []byte(fmt.Sprint(i))}, {Key: "codec", Value: []byte(c.name)}},
					}
				}
				ProduceSync(t, cl, recs...)
				got := ConsumeN(t, seeds, topic, n, 30*time.Second)
				if len(got) != n {
					t.Fatalf("consumed %d records, want %d", len(got), n)
				}
				for i, r := range got {
					w := recs[i]
					if r.Offset != int64(i) || !bytes.Equal(r.Key, w.Key) || !bytes.Equal(r.Value, w.Value) || !reflect.DeepEqual(r.Headers, w.Headers) {
						t.Fatalf("record %d: offset %d key %q headers %v; want offset %d key %q headers %v",
							i, r.Offset, r.Key, r.Headers, i, w.Key, w.Headers)
					}
					if r.Timestamp.UnixMilli() != w.Timestamp.UnixMilli() {
						t.Errorf("record %d timestamp %v, produced %v", i, r.Timestamp, w.Timestamp)
					}
				}
				// The batch is stored as the producer sent it: still compressed with its codec.
				bs := ReadSegmentBatches(t, filepath.Join(b.PartitionDir(topic, 0), SegmentName(0, ".log")))
				if len(bs) == 0 {
					t.Fatal("no batch on disk")
				}
				total := int64(0)
				for _, bt := range bs {
					if bt.Codec() != c.id {
						t.Errorf("on-disk batch at offset %d has codec %d, want %d", bt.BaseOffset, bt.Codec(), c.id)
					}
					if !bt.CRCValid() {
						t.Errorf("on-disk batch at offset %d fails its CRC", bt.BaseOffset)
					}
					total += int64(bt.NumRecords)
				}
				if total != n || bs[len(bs)-1].LastOffset() != n-1 {
					t.Errorf("disk holds %d records ending at %d", total, bs[len(bs)-1].LastOffset())
				}
			})
		}
	})

	t.Run("acks", func(t *testing.T) {
		for _, a := range []struct {
			name string
			opts []kgo.Opt
		}{
			{"0", []kgo.Opt{kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite()}},
			{"1", []kgo.Opt{kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()}},
			{"all", []kgo.Opt{kgo.RequiredAcks(kgo.AllISRAcks())}},
		} {
			a := a
			t.Run(a.name, func(t *testing.T) {
				topic := "acks-" + a.name
				createTopic(t, b, topic, 1, nil)
				cl := NewClient(t, seeds, append(a.opts, kgo.DefaultProduceTopic(topic))...)
				const n = 20
				for i := 0; i < n; i++ {
					r := ProduceSync(t, cl, &kgo.Record{Value: []byte(fmt.Sprint(i))})[0]
					if a.name != "0" && r.Offset != int64(i) {
						t.Errorf("acks=%s: record %d acknowledged at offset %d", a.name, i, r.Offset)
					}
				}
				got := ConsumeN(t, seeds, topic, n, 30*time.Second)
				for i, r := range got {
					if r.Offset != int64(i) || string(r.Value) != fmt.Sprint(i) {
						t.Errorf("acks=%s: offset %d value %q, want %d %q", a.name, r.Offset, r.Value, i, fmt.Sprint(i))
					}
				}
			})
		}
	})

	t.Run("idempotent producer", func(t *testing.T) {
		topic := "idem"
		createTopic(t, b, topic, 1, nil)
		cl := NewClient(t, seeds, kgo.DefaultProduceTopic(topic)) // kgo is idempotent by default
		for i := 0; i < 5; i++ {
			ProduceSync(t, cl, &kgo.Record{Value: []byte(fmt.Sprint(i))})
		}
		bs := ReadSegmentBatches(t, filepath.Join(b.PartitionDir(topic, 0), SegmentName(0, ".log")))
		if len(bs) != 5 {
			t.Fatalf("%d batches on disk, want 5", len(bs))
		}
		for i, bt := range bs {
			if bt.ProducerID < 0 || bt.ProducerID != bs[0].ProducerID || bt.BaseSequence != int32(i) {
				t.Errorf("batch %d: producer id %d sequence %d", i, bt.ProducerID, bt.BaseSequence)
			}
		}
	})

	t.Run("idempotent dedup raw", func(t *testing.T) {
		topic := "dedup"
		createTopic(t, b, topic, 1, nil)
		cl := Client(t, b)
		init := kmsg.NewPtrInitProducerIDRequest()
		init.ProducerID, init.ProducerEpoch = -1, -1
		ir := BrokerRequest(t, cl, 0, init).(*kmsg.InitProducerIDResponse)
		if ir.ErrorCode != 0 || ir.ProducerID < 0 {
			t.Fatalf("InitProducerId: code %d id %d", ir.ErrorCode, ir.ProducerID)
		}
		produce := func(seq int32, value string) (int16, int64, []byte) {
			batch := BuildBatch(ir.ProducerID, ir.ProducerEpoch, seq, time.Now().UnixMilli(), RawRecord{Key: []byte("k"), Value: []byte(value)})
			req := kmsg.NewPtrProduceRequest()
			req.Acks, req.TimeoutMillis = -1, 10000
			rt := kmsg.NewProduceRequestTopic()
			rt.Topic = topic
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Partition, rp.Records = 0, append([]byte(nil), batch...)
			rt.Partitions = append(rt.Partitions, rp)
			req.Topics = append(req.Topics, rt)
			resp := BrokerRequest(t, cl, 0, req).(*kmsg.ProduceResponse)
			p := resp.Topics[0].Partitions[0]
			return p.ErrorCode, p.BaseOffset, batch
		}
		code, off, sent := produce(0, "a")
		if code != 0 || off != 0 {
			t.Fatalf("first batch: code %d offset %d", code, off)
		}
		if code, off, _ = produce(0, "a"); code != 0 || off != 0 {
			t.Errorf("duplicate batch: code %d offset %d, want 0 and the original offset 0", code, off)
		}
		if code, _, _ = produce(5, "gap"); code != kerr.OutOfOrderSequenceNumber.Code {
			t.Errorf("sequence gap: code %d, want OUT_OF_ORDER_SEQUENCE_NUMBER (%d)", code, kerr.OutOfOrderSequenceNumber.Code)
		}
		if code, off, _ = produce(1, "b"); code != 0 || off != 1 {
			t.Errorf("next sequence: code %d offset %d, want offset 1", code, off)
		}
		bs := ReadSegmentBatches(t, filepath.Join(b.PartitionDir(topic, 0), SegmentName(0, ".log")))
		if len(bs) != 2 {
			t.Fatalf("%d batches on disk, want 2 (the duplicate must not be appended)", len(bs))
		}
		// Only the base offset and partition leader epoch may differ from what was sent.
		if !bytes.Equal(bs[0].Raw[batchLengthOffset:batchLeaderEpochOff], sent[batchLengthOffset:batchLeaderEpochOff]) ||
			!bytes.Equal(bs[0].Raw[batchMagicOffset:], sent[batchMagicOffset:]) {
			t.Errorf("stored batch differs from the sent one beyond baseOffset/leaderEpoch:\nsent %x\ndisk %x", sent, bs[0].Raw)
		}
		if bs[0].LeaderEpoch != 0 {
			t.Errorf("stored partition leader epoch %d, want 0", bs[0].LeaderEpoch)
		}
	})

	t.Run("list offsets", func(t *testing.T) {
		topic := "times"
		createTopic(t, b, topic, 1, nil)
		cl := NewClient(t, seeds, kgo.DefaultProduceTopic(topic))
		base := time.Now().Add(-time.Hour).Truncate(time.Second)
		for i := 0; i < 10; i++ {
			ProduceSync(t, cl, &kgo.Record{Value: []byte(fmt.Sprint(i)), Timestamp: base.Add(time.Duration(i) * time.Second)})
		}
		adm := kadm.NewClient(cl)
		ctx := Ctx(t, 30*time.Second)
		starts, err := adm.ListStartOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := starts.Lookup(topic, 0)
		e, _ := ends.Lookup(topic, 0)
		if s.Offset != 0 || e.Offset != 10 {
			t.Errorf("earliest %d latest %d, want 0 and 10", s.Offset, e.Offset)
		}
		for _, c := range []struct {
			ts         int64
			wantOffset int64
			wantTS     int64
		}{
			{base.UnixMilli(), 0, base.UnixMilli()},
			{base.Add(3500 * time.Millisecond).UnixMilli(), 4, base.Add(4 * time.Second).UnixMilli()},
			{base.Add(9 * time.Second).UnixMilli(), 9, base.Add(9 * time.Second).UnixMilli()},
			{base.Add(time.Minute).UnixMilli(), -1, -1},
		} {
			req := kmsg.NewPtrListOffsetsRequest()
			req.ReplicaID = -1
			rt := kmsg.NewListOffsetsRequestTopic()
			rt.Topic = topic
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition, rp.Timestamp = 0, c.ts
			rt.Partitions = append(rt.Partitions, rp)
			req.Topics = append(req.Topics, rt)
			resp := BrokerRequest(t, cl, 0, req).(*kmsg.ListOffsetsResponse)
			p := resp.Topics[0].Partitions[0]
			if p.ErrorCode != 0 || p.Offset != c.wantOffset || p.Timestamp != c.wantTS {
				t.Errorf("ListOffsets(ts %d): code %d offset %d ts %d, want offset %d ts %d", c.ts, p.ErrorCode, p.Offset, p.Timestamp, c.wantOffset, c.wantTS)
			}
		}
	})

	t.Run("fetch long poll", func(t *testing.T) {
		topic := "longpoll"
		createTopic(t, b, topic, 1, nil)
		cl := Client(t, b)
		fetch := func(offset int64, maxWait int32) (*kmsg.FetchResponse, time.Duration) {
			req := kmsg.NewPtrFetchRequest()
			req.ReplicaID, req.MaxWaitMillis, req.MinBytes, req.MaxBytes = -1, maxWait, 1, 1<<20
			req.SessionEpoch = -1
			ft := kmsg.NewFetchRequestTopic()
			ft.Topic = topic
			fp := kmsg.NewFetchRequestTopicPartition()
			fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes, fp.CurrentLeaderEpoch, fp.LogStartOffset = 0, offset, 1<<20, -1, -1
			ft.Partitions = append(ft.Partitions, fp)
			req.Topics = append(req.Topics, ft)
			start := time.Now()
			return BrokerRequest(t, cl, 0, req).(*kmsg.FetchResponse), time.Since(start)
		}

		// Nothing to read: the broker holds the request for max wait.
		resp, took := fetch(0, 1000)
		if p := resp.Topics[0].Partitions[0]; p.ErrorCode != 0 || len(p.RecordBatches) != 0 || p.HighWatermark != 0 {
			t.Errorf("empty fetch: code %d, %d bytes, HW %d", p.ErrorCode, len(p.RecordBatches), p.HighWatermark)
		}
		if took < 900*time.Millisecond {
			t.Errorf("empty fetch with max wait 1000 ms answered after %v", took)
		}

		// A waiting fetch is woken by a produce instead of sleeping out its 10 s.
		producer := NewClient(t, seeds, kgo.DefaultProduceTopic(topic))
		go func() {
			time.Sleep(500 * time.Millisecond) // the delay under test, not a synchronisation
			_ = producer.ProduceSync(context.Background(), &kgo.Record{Key: []byte("k"), Value: []byte("woke")})
		}()
		resp, took = fetch(0, 10000)
		p := resp.Topics[0].Partitions[0]
		if took < 400*time.Millisecond || took > 5*time.Second {
			t.Errorf("long poll answered after %v; want soon after the produce at 500 ms", took)
		}
		bs, _, err := ParseBatches(p.RecordBatches)
		if err != nil || len(bs) != 1 {
			t.Fatalf("long poll returned %d batches (%v)", len(bs), err)
		}
		recs, err := DecodeRecords(bs[0])
		if err != nil || len(recs) != 1 || string(recs[0].Value) != "woke" || recs[0].Offset != 0 || p.HighWatermark != 1 {
			t.Errorf("long poll records %+v (%v), HW %d", recs, err, p.HighWatermark)
		}
	})

	t.Run("fetch max bytes", func(t *testing.T) {
		topic := "maxbytes"
		createTopic(t, b, topic, 1, nil)
		cl := NewClient(t, seeds, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()))
		for i := 0; i < 5; i++ {
			ProduceSync(t, cl, &kgo.Record{Value: bytes.Repeat([]byte{'a' + byte(i)}, 1000)})
		}
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID, req.MaxWaitMillis, req.MinBytes, req.MaxBytes, req.SessionEpoch = -1, 100, 1, 1<<20, -1
		ft := kmsg.NewFetchRequestTopic()
		ft.Topic = topic
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes, fp.CurrentLeaderEpoch, fp.LogStartOffset = 0, 1, 10, -1, -1
		ft.Partitions = append(ft.Partitions, fp)
		req.Topics = append(req.Topics, ft)
		resp := BrokerRequest(t, cl, 0, req).(*kmsg.FetchResponse)
		p := resp.Topics[0].Partitions[0]
		bs, rest, err := ParseBatches(p.RecordBatches)
		// Partition max bytes 10 < one batch: exactly the first whole batch comes back.
		if err != nil || len(bs) != 1 || rest != int64(len(p.RecordBatches)) || bs[0].BaseOffset != 1 {
			t.Fatalf("fetch with partition max bytes 10: %d batches, %d of %d bytes parsed, err %v", len(bs), rest, len(p.RecordBatches), err)
		}
		if p.HighWatermark != 5 || p.LogStartOffset != 0 {
			t.Errorf("HW %d log start %d, want 5 and 0", p.HighWatermark, p.LogStartOffset)
		}
	})

	t.Run("offset out of range", func(t *testing.T) {
		topic := "oor"
		createTopic(t, b, topic, 1, nil)
		cl := NewClient(t, seeds, kgo.DefaultProduceTopic(topic))
		for i := 0; i < 5; i++ {
			ProduceSync(t, cl, &kgo.Record{Value: []byte("x")})
		}
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID, req.MaxWaitMillis, req.MinBytes, req.MaxBytes, req.SessionEpoch = -1, 100, 1, 1<<20, -1
		ft := kmsg.NewFetchRequestTopic()
		ft.Topic = topic
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes, fp.CurrentLeaderEpoch, fp.LogStartOffset = 0, 1000, 1<<20, -1, -1
		ft.Partitions = append(ft.Partitions, fp)
		req.Topics = append(req.Topics, ft)
		p := BrokerRequest(t, cl, 0, req).(*kmsg.FetchResponse).Topics[0].Partitions[0]
		if p.ErrorCode != kerr.OffsetOutOfRange.Code || p.HighWatermark != 5 || len(p.RecordBatches) != 0 {
			t.Errorf("fetch at 1000 of 5: code %d HW %d bytes %d, want OFFSET_OUT_OF_RANGE HW 5", p.ErrorCode, p.HighWatermark, len(p.RecordBatches))
		}
	})

	t.Run("delete records", func(t *testing.T) {
		topic := "delrec"
		createTopic(t, b, topic, 1, nil)
		cl := NewClient(t, seeds, kgo.DefaultProduceTopic(topic))
		for i := 0; i < 10; i++ {
			ProduceSync(t, cl, &kgo.Record{Value: []byte(fmt.Sprint(i))})
		}
		adm := kadm.NewClient(cl)
		ctx := Ctx(t, 30*time.Second)
		offs := kadm.Offsets{}
		offs.Add(kadm.Offset{Topic: topic, Partition: 0, At: 4})
		rs, err := adm.DeleteRecords(ctx, offs)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := rs.Lookup(topic, 0)
		if r.Err != nil || r.LowWatermark != 4 {
			t.Fatalf("DeleteRecords(4): low watermark %d err %v", r.LowWatermark, r.Err)
		}
		starts, err := adm.ListStartOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := starts.Lookup(topic, 0); s.Offset != 4 {
			t.Errorf("log start offset %d after DeleteRecords(4)", s.Offset)
		}
		got := ConsumeN(t, seeds, topic, 6, 30*time.Second)
		if got[0].Offset != 4 || string(got[0].Value) != "4" || got[5].Offset != 9 {
			t.Errorf("after DeleteRecords(4) consumed from %d (%q) to %d", got[0].Offset, got[0].Value, got[len(got)-1].Offset)
		}

		offs = kadm.Offsets{}
		offs.Add(kadm.Offset{Topic: topic, Partition: 0, At: 20})
		rs, err = adm.DeleteRecords(ctx, offs)
		if err == nil {
			r, _ = rs.Lookup(topic, 0)
			err = r.Err
		}
		if !errors.Is(err, kerr.OffsetOutOfRange) {
			t.Errorf("DeleteRecords beyond the high watermark: %v, want OFFSET_OUT_OF_RANGE", err)
		}
	})

	t.Run("kcat round trip", func(t *testing.T) {
		topic := "kc"
		createTopic(t, b, topic, 1, nil)
		_, stderr, code := KcatInput(t, "k1:v1\nk2:v2\nk3:hello world\n", "-b", b.Addr, "-P", "-t", topic, "-K:")
		if code != 0 {
			t.Fatalf("kcat -P exit %d: %s", code, stderr)
		}
		stdout, stderr, code := Kcat(t, "-b", b.Addr, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k=%s@%o\n")
		if code != 0 {
			t.Fatalf("kcat -C exit %d: %s", code, stderr)
		}
		if want := "k1=v1@0\nk2=v2@1\nk3=hello world@2\n"; stdout != want {
			t.Errorf("kcat -C output %q, want %q", stdout, want)
		}
		stdout, _, code = Kcat(t, "-b", b.Addr, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-K:")
		if want := "k1:v1\nk2:v2\nk3:hello world\n"; code != 0 || stdout != want {
			t.Errorf("kcat -C -K: output %q (exit %d), want %q", stdout, code, want)
		}
	})

	t.Run("kcat metadata", func(t *testing.T) {
		createTopic(t, b, "kcmeta", 2, nil)
		stdout, stderr, code := Kcat(t, "-b", b.Addr, "-L", "-t", "kcmeta")
		if code != 0 {
			t.Fatalf("kcat -L exit %d: %s", code, stderr)
		}
		for _, want := range []string{
			" 1 brokers:",
			fmt.Sprintf("  broker 0 at 127.0.0.1:%d (controller)", b.Port),
			` 1 topics:`,
			`  topic "kcmeta" with 2 partitions:`,
			"    partition 0, leader 0, replicas: 0, isrs: 0",
			"    partition 1, leader 0, replicas: 0, isrs: 0",
		} {
			if !hasLine(stdout, want) {
				t.Errorf("kcat -L output lacks line %q:\n%s", want, stdout)
			}
		}
	})

	t.Run("describe log dirs and cluster", func(t *testing.T) {
		cl := Client(t, b)
		ld := BrokerRequest(t, cl, 0, kmsg.NewPtrDescribeLogDirsRequest()).(*kmsg.DescribeLogDirsResponse)
		if len(ld.Dirs) != 1 || ld.Dirs[0].Dir != b.LogDir || ld.Dirs[0].ErrorCode != 0 {
			t.Fatalf("DescribeLogDirs dirs = %+v, want only %s", ld.Dirs, b.LogDir)
		}
		var size int64 = -1
		for _, tp := range ld.Dirs[0].Topics {
			for _, p := range tp.Partitions {
				if tp.Topic == "codec-none" && p.Partition == 0 {
					size = p.Size
				}
			}
		}
		var onDisk int64
		for _, f := range SegmentFiles(t, b.PartitionDir("codec-none", 0)) {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			onDisk += fi.Size()
		}
		if size != onDisk || size <= 0 {
			t.Errorf("DescribeLogDirs size of codec-none-0 = %d, segment files hold %d bytes", size, onDisk)
		}

		dc := BrokerRequest(t, cl, 0, kmsg.NewPtrDescribeClusterRequest()).(*kmsg.DescribeClusterResponse)
		id, _ := decodeJSON(t, "/cluster/id", ZKGet(t, z, "/cluster/id"))["id"].(string)
		if dc.ErrorCode != 0 || dc.ClusterID != id || dc.ControllerID != 0 || len(dc.Brokers) != 1 ||
			dc.Brokers[0].NodeID != 0 || dc.Brokers[0].Host != "127.0.0.1" || dc.Brokers[0].Port != int32(b.Port) {
			t.Errorf("DescribeCluster = code %d cluster %q controller %d brokers %+v", dc.ErrorCode, dc.ClusterID, dc.ControllerID, dc.Brokers)
		}
	})

	t.Run("console tools", func(t *testing.T) {
		topic := "console"
		createTopic(t, b, topic, 1, nil)
		_, stderr, code := RunToolInput(t, "a:1\nb:2\nc:3\n", "kafka-console-producer.sh", "--bootstrap-server", b.Addr, "--topic", topic,
			"--property", "parse.key=true", "--property", "key.separator=:")
		if code != 0 {
			t.Fatalf("console producer exit %d: %s", code, stderr)
		}
		stdout, stderr, code := RunTool(t, "kafka-console-consumer.sh", "--bootstrap-server", b.Addr, "--topic", topic,
			"--partition", "0", "--offset", "earliest", "--max-messages", "3", "--property", "print.key=true", "--property", "key.separator=:")
		if code != 0 || stdout != "a:1\nb:2\nc:3\n" {
			t.Errorf("console consumer exit %d stdout %q, want %q", code, stdout, "a:1\nb:2\nc:3\n")
		}
		if !strings.Contains(stderr, "Processed a total of 3 messages") {
			t.Errorf("console consumer stderr %q lacks `Processed a total of 3 messages`", stderr)
		}
		// The quickstart form: --from-beginning (joins a console-consumer group).
		stdout, stderr, code = RunTool(t, "kafka-console-consumer.sh", "--bootstrap-server", b.Addr, "--topic", topic,
			"--from-beginning", "--max-messages", "3")
		if code != 0 || stdout != "1\n2\n3\n" {
			t.Errorf("--from-beginning: exit %d stdout %q stderr %q", code, stdout, stderr)
		}
	})
}
