package main

import (
	"testing"
	"time"
)

func TestConsumerPerfFormatting(t *testing.T) {
	start := time.Date(2021, 6, 1, 12, 0, 0, 5e6, time.UTC)
	end := start.Add(2 * time.Second)
	if got := javaDateFormat("yyyy-MM-dd HH:mm:ss:SSS", start); got != "2021-06-01 12:00:00:005" {
		t.Errorf("date %q", got)
	}
	got := consumerPerfSummary("yyyy-MM-dd HH:mm:ss:SSS", start, end, 1000, 1024*1024, 500)
	want := "2021-06-01 12:00:00:005, 2021-06-01 12:00:02:005, 1.0000, 0.5000, 1000, 500.0000, 500, 1500, 0.6667, 666.6667"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	line := consumerProgressLine("yyyy-MM-dd HH:mm:ss:SSS", 2*1024*1024, 1024*1024, 300, 100, start, end, 0)
	if line != "2021-06-01 12:00:02:005, 0, 2.0000, 0.5000, 300, 100.0000, 0, 2000, 0.5000, 100.0000" {
		t.Errorf("progress %q", line)
	}
	if got := consumerPerfSummary("yyyy-MM-dd HH:mm:ss:SSS", start, start, 0, 0, 0); got != "2021-06-01 12:00:00:005, 2021-06-01 12:00:00:005, 0.0000, NaN, 0, NaN, 0, 0, NaN, NaN" {
		t.Errorf("zero elapsed %q", got)
	}
}
