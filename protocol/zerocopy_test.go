package protocol

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestFetchFileRegions: record sets attached as file regions arrive byte for byte in place of
// their placeholders, for a non-flexible (v11) and a flexible (v12) Fetch, next to a partition
// whose records are ordinary bytes and one with none.
func TestFetchFileRegions(t *testing.T) {
	ts := startServer(t, nil)
	path := filepath.Join(t.TempDir(), "00000000000000000000.log")
	content := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320 KB: several socket buffers
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inline := []byte("inline-bytes")
	ts.svc.fetch = func(rc *RequestContext, req *kmsg.FetchRequest) *kmsg.FetchResponse {
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		rt := kmsg.NewFetchResponseTopic()
		rt.Topic = "t"
		for p, recs := range [][]byte{
			rc.AttachRegion(FileRegion{File: f, Pos: 7, Size: 300000}),
			inline,
			{},
			rc.AttachRegion(FileRegion{File: f, Pos: 0, Size: 16}),
		} {
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.Partition, rp.HighWatermark, rp.RecordBatches = int32(p), 42, recs
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
		return resp
	}
	c, err := Dial(context.Background(), ts.addr, "zc")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, v := range []int16{11, 12} {
		req := kmsg.NewPtrFetchRequest()
		req.SetVersion(v)
		req.ReplicaID, req.MaxWaitMillis, req.SessionEpoch = -1, 0, -1
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := c.RequestExact(ctx, req)
		cancel()
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		r := resp.(*kmsg.FetchResponse)
		if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 4 {
			t.Fatalf("v%d: response shape %+v", v, r.Topics)
		}
		want := [][]byte{content[7 : 7+300000], inline, {}, content[:16]}
		for i, p := range r.Topics[0].Partitions {
			if !bytes.Equal(p.RecordBatches, want[i]) || p.HighWatermark != 42 || p.Partition != int32(i) {
				t.Fatalf("v%d partition %d: %d bytes (hw %d), want %d bytes", v, i, len(p.RecordBatches), p.HighWatermark, len(want[i]))
			}
		}
	}
}
