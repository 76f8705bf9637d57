package config

import (
	"errors"
	"reflect"
	"testing"
)

func TestTopicConfigNames(t *testing.T) {
	want := []string{
		"cleanup.policy", "compression.type", "delete.retention.ms", "file.delete.delay.ms",
		"flush.messages", "flush.ms", "follower.replication.throttled.replicas",
		"index.interval.bytes", "leader.replication.throttled.replicas", "max.compaction.lag.ms",
		"max.message.bytes", "message.downconversion.enable", "message.format.version",
		"message.timestamp.difference.max.ms", "message.timestamp.type",
		"min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas",
		"preallocate", "retention.bytes", "retention.ms", "segment.bytes",
		"segment.index.bytes", "segment.jitter.ms", "segment.ms",
		"unclean.leader.election.enable",
	}
	if got := TopicConfigNames(); !reflect.DeepEqual(got, want) {
		t.Fatalf("TopicConfigNames() = %v", got)
	}
	// The table itself must stay sorted: DescribeTopic relies on it.
	for i := 1; i < len(topicKeys); i++ {
		if topicKeys[i-1].name >= topicKeys[i].name {
			t.Fatalf("topicKeys out of order at %s", topicKeys[i].name)
		}
	}
	// Every broker synonym must be a broker key we know, or describe would lose its default.
	for _, k := range topicKeys {
		if k.broker != "" && brokerKeyIndex[k.broker] == nil {
			t.Errorf("%s: unknown broker synonym %s", k.name, k.broker)
		}
	}
}

func TestWithOverrides(t *testing.T) {
	base := DefaultLog()
	overrides := map[string]string{
		"segment.bytes":                           "1024",
		"segment.ms":                              "60000",
		"segment.jitter.ms":                       "10",
		"segment.index.bytes":                     "4096",
		"flush.messages":                          "5",
		"flush.ms":                                "1000",
		"retention.bytes":                         "-1",
		"retention.ms":                            " 1000 ",
		"max.message.bytes":                       "2048",
		"index.interval.bytes":                    "100",
		"delete.retention.ms":                     "7",
		"min.compaction.lag.ms":                   "8",
		"max.compaction.lag.ms":                   "9",
		"file.delete.delay.ms":                    "11",
		"min.cleanable.dirty.ratio":               "0.1",
		"cleanup.policy":                          "compact, delete",
		"unclean.leader.election.enable":          "TRUE",
		"min.insync.replicas":                     "2",
		"compression.type":                        "zstd",
		"preallocate":                             "true",
		"message.format.version":                  "2.1",
		"message.timestamp.type":                  "LogAppendTime",
		"message.timestamp.difference.max.ms":     "12",
		"message.downconversion.enable":           "false",
		"leader.replication.throttled.replicas":   "0:1, 1:2",
		"follower.replication.throttled.replicas": "*",
	}
	got, err := base.WithOverrides(overrides)
	if err != nil {
		t.Fatal(err)
	}
	want := Log{
		SegmentBytes: 1024, SegmentMs: 60000, SegmentJitterMs: 10, SegmentIndexBytes: 4096,
		FlushMessages: 5, FlushMs: 1000, RetentionBytes: -1, RetentionMs: 1000,
		MaxMessageBytes: 2048, IndexIntervalBytes: 100, DeleteRetentionMs: 7,
		MinCompactionLagMs: 8, MaxCompactionLagMs: 9, FileDeleteDelayMs: 11,
		MinCleanableDirtyRatio: 0.1, CleanupPolicy: "compact,delete",
		UncleanLeaderElectionEnable: true, MinInsyncReplicas: 2, CompressionType: "zstd",
		Preallocate: true, MessageFormatVersion: "2.1", MessageTimestampType: "LogAppendTime",
		MessageTimestampDifferenceMaxMs: 12, MessageDownconversionEnable: false,
		LeaderReplicationThrottledReplicas: "0:1,1:2", FollowerReplicationThrottledReplicas: "*",
	}
	if got != want {
		t.Fatalf("WithOverrides =\n%#v\nwant\n%#v", got, want)
	}
	if base != DefaultLog() {
		t.Fatal("WithOverrides modified its receiver")
	}
	// Keys not overridden keep the receiver's (broker-derived) values.
	b := mustBroker(t, Properties{"log.retention.hours": "1", "log.segment.bytes": "5000"})
	l, err := b.Log.WithOverrides(map[string]string{"segment.bytes": "6000"})
	if err != nil {
		t.Fatal(err)
	}
	if l.RetentionMs != 3600000 || l.SegmentBytes != 6000 {
		t.Fatalf("RetentionMs=%d SegmentBytes=%d", l.RetentionMs, l.SegmentBytes)
	}
	if l2, err := b.Log.WithOverrides(nil); err != nil || l2 != b.Log {
		t.Fatalf("WithOverrides(nil) = %#v, %v", l2, err)
	}
}

func TestCompactDelete(t *testing.T) {
	tests := []struct {
		policy          string
		compact, delete bool
	}{
		{"delete", false, true},
		{"compact", true, false},
		{"compact,delete", true, true},
		{"delete, compact", true, true},
		{"", false, false},
	}
	for _, tt := range tests {
		l := Log{CleanupPolicy: tt.policy}
		if l.Compact() != tt.compact || l.Delete() != tt.delete {
			t.Errorf("%q: Compact=%v Delete=%v, want %v %v", tt.policy, l.Compact(), l.Delete(), tt.compact, tt.delete)
		}
	}
}

func TestValidateTopicConfigs(t *testing.T) {
	tests := []struct {
		m    map[string]string
		want string // Kafka's message; "" = valid
	}{
		{map[string]string{}, ""},
		{map[string]string{"retention.ms": "-1", "cleanup.policy": "compact"}, ""},
		{map[string]string{"min.cleanable.dirty.ratio": "1"}, ""},
		{map[string]string{"message.format.version": "0.10.2-IV0"}, ""},
		{map[string]string{"message.format.version": "2.8.1"}, ""},
		{map[string]string{"cleanup.policy": ""}, ""},
		{map[string]string{"leader.replication.throttled.replicas": ""}, ""},
		{map[string]string{"follower.replication.throttled.replicas": " 0:1 , 1:2 "}, ""},
		{map[string]string{"follower.replication.throttled.replicas": "*"}, ""},
		{map[string]string{"follower.replication.throttled.replicas": "*,0:1"}, "Invalid value [*, 0:1] for configuration follower.replication.throttled.replicas: follower.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."},
		{map[string]string{"retention.ms": " 1x "}, "Invalid value  1x  for configuration retention.ms: Not a number of type LONG"},
		{map[string]string{"foo": "1"}, "Unknown topic config name: foo"},
		{map[string]string{"foo": "1", "retention.ms": "x"}, "Unknown topic config name: foo"},
		{map[string]string{"retention.ms": "x"}, "Invalid value x for configuration retention.ms: Not a number of type LONG"},
		{map[string]string{"retention.ms": "-2"}, "Invalid value -2 for configuration retention.ms: Value must be at least -1"},
		{map[string]string{"segment.bytes": "13"}, "Invalid value 13 for configuration segment.bytes: Value must be at least 14"},
		{map[string]string{"segment.bytes": "99999999999"}, "Invalid value 99999999999 for configuration segment.bytes: Not a number of type INT"},
		{map[string]string{"segment.ms": "0"}, "Invalid value 0 for configuration segment.ms: Value must be at least 1"},
		{map[string]string{"min.insync.replicas": "0"}, "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1"},
		{map[string]string{"max.compaction.lag.ms": "0"}, "Invalid value 0 for configuration max.compaction.lag.ms: Value must be at least 1"},
		{map[string]string{"min.cleanable.dirty.ratio": "1.5"}, "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"},
		{map[string]string{"min.cleanable.dirty.ratio": "-0.5"}, "Invalid value -0.5 for configuration min.cleanable.dirty.ratio: Value must be at least 0"},
		{map[string]string{"min.cleanable.dirty.ratio": "x"}, "Invalid value x for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE"},
		{map[string]string{"cleanup.policy": "compact,forever"}, "Invalid value forever for configuration cleanup.policy: String must be one of: compact, delete"},
		{map[string]string{"compression.type": "none"}, "Invalid value none for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
		{map[string]string{"message.timestamp.type": "createtime"}, "Invalid value createtime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime"},
		{map[string]string{"preallocate": "1"}, "Invalid value 1 for configuration preallocate: Expected value to be either true or false"},
		{map[string]string{"message.format.version": "3.0"}, "Invalid value 3.0 for configuration message.format.version: Version `3.0` is not a valid version"},
		{map[string]string{"leader.replication.throttled.replicas": "0:1,x"}, "Invalid value [0:1, x] for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."},
		{map[string]string{"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"}, "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"},
	}
	for _, tt := range tests {
		err := ValidateTopicConfigs(tt.m)
		if tt.want == "" {
			if err != nil {
				t.Errorf("ValidateTopicConfigs(%v) = %v, want nil", tt.m, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidateTopicConfigs(%v) = nil, want %q", tt.m, tt.want)
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("error %v does not wrap ErrInvalidConfig", err)
		}
		if err.Error() != "config: invalid config: "+tt.want || Message(err) != tt.want {
			t.Errorf("ValidateTopicConfigs(%v) =\n%s\nwant\n%s", tt.m, err, tt.want)
		}
		// WithOverrides must refuse the same input (cross-key rules excepted, as in Kafka).
		if _, err := DefaultLog().WithOverrides(tt.m); err == nil && tt.m["max.compaction.lag.ms"] == "" {
			t.Errorf("WithOverrides(%v) accepted invalid config", tt.m)
		}
	}
}

func TestWithOverridesBestEffort(t *testing.T) {
	base := DefaultLog()
	got, err := base.WithOverrides(map[string]string{
		"retention.ms":  "bogus",
		"segment.bytes": "2048",
		"future.config": "1",
	})
	if err == nil || Message(err) != "Unknown topic config name: future.config" {
		t.Fatalf("err = %v", err)
	}
	if got.SegmentBytes != 2048 || got.RetentionMs != base.RetentionMs {
		t.Fatalf("SegmentBytes=%d RetentionMs=%d", got.SegmentBytes, got.RetentionMs)
	}
}

func TestLogMap(t *testing.T) {
	m := DefaultLog().Map()
	want := map[string]string{
		"retention.ms":                          "604800000",
		"cleanup.policy":                        "delete",
		"min.cleanable.dirty.ratio":             "0.5",
		"flush.messages":                        "9223372036854775807",
		"unclean.leader.election.enable":        "false",
		"message.downconversion.enable":         "true",
		"leader.replication.throttled.replicas": "",
		"message.format.version":                "2.8-IV1",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("Map()[%s] = %q, want %q", k, m[k], v)
		}
	}
	if len(m) != len(TopicConfigNames()) {
		t.Errorf("Map() has %d keys", len(m))
	}
}

func TestJavaDouble(t *testing.T) {
	for f, want := range map[float64]string{
		0.5: "0.5", 1: "1.0", 0: "0.0", 0.9: "0.9", 1e-5: "1.0E-5", 1.5e7: "1.5E7", 123.25: "123.25",
	} {
		if got := javaDouble(f); got != want {
			t.Errorf("javaDouble(%v) = %q, want %q", f, got, want)
		}
	}
}
