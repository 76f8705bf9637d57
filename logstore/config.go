package logstore

import (
	"math"
	"math/rand"
	"strings"
	"sync"

	"github.com/kafka-classic/kafka-classic/config"
)

// logConfigSnapshot is config.Log with the values the hot path needs pre-digested.
type logConfigSnapshot struct {
	cfg             config.Log
	segmentBytes    int32
	segmentMs       int64
	indexBytes      int
	indexInterval   int64
	maxMessageBytes int32
	logAppendTime   bool
	tsDiffMax       int64
	flushMessages   int64
	flushMs         int64
	retentionMs     int64
	retentionBytes  int64
	deleteDelayMs   int64
	deletePolicy    bool
	compact         bool
}

// DefaultLogConfig is Kafka 2.8's LogConfig defaults (§5.4).
func DefaultLogConfig() config.Log {
	return config.Log{
		SegmentBytes: 1 << 30, SegmentMs: 7 * 24 * 3600 * 1000, SegmentIndexBytes: 10 << 20,
		FlushMessages: math.MaxInt64, FlushMs: math.MaxInt64,
		RetentionBytes: -1, RetentionMs: 7 * 24 * 3600 * 1000,
		MaxMessageBytes: 1048588, IndexIntervalBytes: 4096,
		DeleteRetentionMs: 86400000, MaxCompactionLagMs: math.MaxInt64,
		FileDeleteDelayMs: 60000, MinCleanableDirtyRatio: 0.5, CleanupPolicy: "delete",
		MinInsyncReplicas: 1, CompressionType: "producer", MessageFormatVersion: "2.8-IV1",
		MessageTimestampType: "CreateTime", MessageTimestampDifferenceMaxMs: math.MaxInt64,
		MessageDownconversionEnable: true,
	}
}

func digestConfig(c config.Log) *logConfigSnapshot {
	if c.SegmentBytes == 0 && c.SegmentIndexBytes == 0 && c.CleanupPolicy == "" {
		c = DefaultLogConfig() // an unset struct means "Kafka's defaults"
	}
	d := DefaultLogConfig()
	s := &logConfigSnapshot{cfg: c}
	s.segmentBytes = c.SegmentBytes
	if s.segmentBytes <= 0 {
		s.segmentBytes = d.SegmentBytes
	}
	s.segmentMs = c.SegmentMs
	if s.segmentMs <= 0 {
		s.segmentMs = d.SegmentMs
	}
	s.indexBytes = int(c.SegmentIndexBytes)
	if s.indexBytes < offsetEntrySize*2 {
		s.indexBytes = int(d.SegmentIndexBytes)
	}
	s.indexInterval = int64(c.IndexIntervalBytes)
	s.maxMessageBytes = c.MaxMessageBytes
	if s.maxMessageBytes <= 0 {
		s.maxMessageBytes = d.MaxMessageBytes
	}
	s.logAppendTime = c.MessageTimestampType == "LogAppendTime"
	s.tsDiffMax = c.MessageTimestampDifferenceMaxMs
	if s.tsDiffMax <= 0 {
		s.tsDiffMax = math.MaxInt64
	}
	s.flushMessages = c.FlushMessages
	if s.flushMessages <= 0 {
		s.flushMessages = math.MaxInt64
	}
	s.flushMs = c.FlushMs
	if s.flushMs <= 0 {
		s.flushMs = math.MaxInt64
	}
	s.retentionMs = c.RetentionMs
	s.retentionBytes = c.RetentionBytes
	s.deleteDelayMs = c.FileDeleteDelayMs
	if s.deleteDelayMs < 0 {
		s.deleteDelayMs = 0
	}
	s.deletePolicy = c.CleanupPolicy == "" || strings.Contains(c.CleanupPolicy, "delete")
	s.compact = strings.Contains(c.CleanupPolicy, "compact")
	return s
}

func (s *logConfigSnapshot) segConfig() *segConfig {
	return &segConfig{indexBytes: s.indexBytes, indexInterval: s.indexInterval, jitterMs: s.cfg.SegmentJitterMs}
}

var (
	rngMu sync.Mutex
	rng   = rand.New(rand.NewSource(rand.Int63()))
)

func randInt63n(n int64) int64 {
	rngMu.Lock()
	defer rngMu.Unlock()
	return rng.Int63n(n)
}
