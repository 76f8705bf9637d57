package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestLogCompaction: a cleanup.policy=compact topic keeps, below its active segment, only the
// latest value of each key once the log cleaner has run, and every offset stays where it was.
func TestLogCompaction(t *testing.T) {
	z := StartZooKeeper(t)
	b := StartBroker(t, z, 0, map[string]string{"log.cleaner.backoff.ms": "200"})
	createTopic(t, b, "compacted", 1, map[string]*string{
		"cleanup.policy":            kadm.StringPtr("compact"),
		"segment.bytes":             kadm.StringPtr("2048"),
		"min.cleanable.dirty.ratio": kadm.StringPtr("0.01"),
	})
	cl := Client(t, b)
	const keys, rounds = 5, 40
	latest := map[string]int64{}
	for r := 0; r < rounds; r++ {
		for k := 0; k < keys; k++ {
			key := fmt.Sprintf("key-%d", k)
			rec := &kgo.Record{Topic: "compacted", Key: []byte(key), Value: []byte(fmt.Sprintf("round-%03d", r))}
			if err := cl.ProduceSync(Ctx(t, 30*time.Second), rec).FirstErr(); err != nil {
				t.Fatal(err)
			}
			latest[key] = rec.Offset
		}
	}
	total := int64(keys * rounds)
	WaitFor(t, 60*time.Second, func() (bool, string) {
		recs := readThrough(t, b, "compacted", total-1)
		seen := map[string]int{}
		last := int64(-1)
		for _, r := range recs {
			if r.Offset <= last {
				return false, fmt.Sprintf("offset %d after %d", r.Offset, last)
			}
			last = r.Offset
			seen[string(r.Key)]++
		}
		for k, off := range latest {
			found := false
			for _, r := range recs {
				if string(r.Key) == k && r.Offset == off && string(r.Value) == fmt.Sprintf("round-%03d", rounds-1) {
					found = true
				}
			}
			if !found {
				return false, fmt.Sprintf("latest value of %s at offset %d missing", k, off)
			}
		}
		if int64(len(recs)) >= total/2 {
			return false, fmt.Sprintf("%d of %d records still present: not compacted yet", len(recs), total)
		}
		return true, ""
	})
	if !b.LogContains("Beginning cleaning of log compacted-0") {
		t.Errorf("broker log has no cleaner line for compacted-0")
	}
}

// readThrough consumes a one-partition topic from the start until it has seen lastOffset.
func readThrough(t *testing.T, b *Broker, topic string, lastOffset int64) []*kgo.Record {
	cl := NewClient(t, Seeds(b), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(200*time.Millisecond))
	defer cl.Close()
	ctx := Ctx(t, 20*time.Second)
	var out []*kgo.Record
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		for _, r := range fs.Records() {
			out = append(out, r)
			if r.Offset >= lastOffset {
				return out
			}
		}
	}
	t.Fatalf("did not reach offset %d of %s (read %d records)", lastOffset, topic, len(out))
	return nil
}
