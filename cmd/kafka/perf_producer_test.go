package main

import (
	"strings"
	"testing"
	"time"
)

func TestProducerPerfArgs(t *testing.T) {
	p, help, err := parseProducerPerfArgs([]string{"--topic", "t", "--num-records", "10", "--record-size", "100", "--throughput", "-1",
		"--producer-props", "bootstrap.servers=b:1", "acks=all", "--print-metrics"})
	if err != nil || help || p.topic != "t" || p.numRecords != 10 || p.recordSize != 100 || p.throughput != -1 ||
		strings.Join(p.props, " ") != "bootstrap.servers=b:1 acks=all" || !p.printMetrics {
		t.Fatalf("%+v %v", p, err)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--num-records", "1", "--throughput", "1", "--record-size", "1"}, "argument --topic is required"},
		{[]string{"--topic", "t", "--num-records", "1", "--throughput", "1"}, "one of the arguments --record-size --payload-file is required"},
		{[]string{"--topic", "t", "--num-records", "1", "--throughput", "1", "--record-size", "1", "--payload-file", "f"}, "argument --payload-file: not allowed with argument --record-size"},
		{[]string{"--topic", "t", "--num-records", "x", "--throughput", "1", "--record-size", "1"}, "argument --num-records: could not convert 'x' to Long"},
		{[]string{"--bogus"}, "unrecognized arguments: '--bogus'"},
	} {
		if _, _, err := parseProducerPerfArgs(tc.args); err == nil || err.Error() != tc.msg {
			t.Errorf("%v: %v", tc.args, err)
		}
	}
	_, errOut, code := runIn(t, "kafka-producer-perf-test", "", "--topic", "t", "--num-records", "1", "--throughput", "1", "--record-size", "1")
	if code != 1 || !strings.HasSuffix(errOut, "producer-performance: error: Either --producer-props or --producer.config must be specified.\n") {
		t.Errorf("%d %q", code, errOut)
	}
}

func TestPerfStatsLines(t *testing.T) {
	var out strings.Builder
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	s := newPerfStats(&out, 4, 5*time.Second, clock)
	for i, lat := range []int{10, 20, 30, 40} {
		now = now.Add(time.Second)
		s.record(int64(i), lat, 1024*1024, now)
	}
	now = now.Add(2 * time.Second)
	s.record(4, 5, 0, now)
	if out.String() != "5 records sent, 0.8 records/sec (0.67 MB/sec), 21.0 ms avg latency, 40.0 ms max latency.\n" {
		t.Errorf("window: %q", out.String())
	}
	if got := s.totalLine(); got != "5 records sent, 0.833333 records/sec (0.67 MB/sec), 21.00 ms avg latency, 40.00 ms max latency, 20 ms 50th, 40 ms 95th, 40 ms 99th, 40 ms 99.9th.\n" {
		t.Errorf("total: %q", got)
	}
}
