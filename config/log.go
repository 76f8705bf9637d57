package config

import (
	"sort"
	"strings"
)

// topicKey describes one topic-level config (LogConfig): its type, the broker key it falls back
// to, how to check it, and how it maps onto Log.
type topicKey struct {
	name   string
	typ    Type
	broker string // primary broker synonym (LogConfig.TopicConfigSynonyms); "" when none
	check  validator
	set    func(l *Log, v any)
	get    func(l *Log) any
	doc    string
}

func i32Setter(f func(l *Log) *int32) func(*Log, any) {
	return func(l *Log, v any) { *f(l) = int32(v.(int64)) }
}
func i64Setter(f func(l *Log) *int64) func(*Log, any) {
	return func(l *Log, v any) { *f(l) = v.(int64) }
}
func boolSetter(f func(l *Log) *bool) func(*Log, any) {
	return func(l *Log, v any) { *f(l) = v.(bool) }
}
func strSetter(f func(l *Log) *string) func(*Log, any) {
	return func(l *Log, v any) { *f(l) = v.(string) }
}
func listSetter(f func(l *Log) *string) func(*Log, any) {
	return func(l *Log, v any) { *f(l) = strings.Join(v.([]string), ",") }
}

// topicKeys is LogConfig's definition list for 2.8, sorted by name.
var topicKeys = []topicKey{
	{name: "cleanup.policy", typ: TypeList, broker: "log.cleanup.policy", check: listOf("compact", "delete"),
		set: listSetter(func(l *Log) *string { return &l.CleanupPolicy }),
		get: func(l *Log) any { return splitList(l.CleanupPolicy) },
		doc: `"delete" removes old segments by time or size; "compact" keeps the latest record per key; both may be listed.`},
	{name: "compression.type", typ: TypeString, broker: "compression.type", check: oneOf(compressionTypes...),
		set: strSetter(func(l *Log) *string { return &l.CompressionType }),
		get: func(l *Log) any { return l.CompressionType },
		doc: `Codec batches are stored with; "producer" keeps whatever the producer sent.`},
	{name: "delete.retention.ms", typ: TypeLong, broker: "log.cleaner.delete.retention.ms", check: atLeast(0),
		set: i64Setter(func(l *Log) *int64 { return &l.DeleteRetentionMs }),
		get: func(l *Log) any { return l.DeleteRetentionMs },
		doc: "How long tombstones survive compaction, so lagging consumers still see deletes."},
	{name: "file.delete.delay.ms", typ: TypeLong, broker: "log.segment.delete.delay.ms", check: atLeast(0),
		set: i64Setter(func(l *Log) *int64 { return &l.FileDeleteDelayMs }),
		get: func(l *Log) any { return l.FileDeleteDelayMs },
		doc: "Grace period between marking a segment deleted and removing its files."},
	{name: "flush.messages", typ: TypeLong, broker: "log.flush.interval.messages", check: atLeast(0),
		set: i64Setter(func(l *Log) *int64 { return &l.FlushMessages }),
		get: func(l *Log) any { return l.FlushMessages },
		doc: "Force an fsync after this many unflushed messages."},
	{name: "flush.ms", typ: TypeLong, broker: "log.flush.interval.ms", check: atLeast(0),
		set: i64Setter(func(l *Log) *int64 { return &l.FlushMs }),
		get: func(l *Log) any { return l.FlushMs },
		doc: "Force an fsync when the oldest unflushed message is this old."},
	{name: "follower.replication.throttled.replicas", typ: TypeList, check: validThrottledReplicas,
		set: listSetter(func(l *Log) *string { return &l.FollowerReplicationThrottledReplicas }),
		get: func(l *Log) any { return splitList(l.FollowerReplicationThrottledReplicas) },
		doc: `Replicas ("partition:broker" pairs or "*") whose follower fetches are throttled.`},
	{name: "index.interval.bytes", typ: TypeInt, broker: "log.index.interval.bytes", check: atLeast(0),
		set: i32Setter(func(l *Log) *int32 { return &l.IndexIntervalBytes }),
		get: func(l *Log) any { return int64(l.IndexIntervalBytes) },
		doc: "Bytes of log between offset index entries."},
	{name: "leader.replication.throttled.replicas", typ: TypeList, check: validThrottledReplicas,
		set: listSetter(func(l *Log) *string { return &l.LeaderReplicationThrottledReplicas }),
		get: func(l *Log) any { return splitList(l.LeaderReplicationThrottledReplicas) },
		doc: `Replicas ("partition:broker" pairs or "*") whose leader-side reads for followers are throttled.`},
	{name: "max.compaction.lag.ms", typ: TypeLong, broker: "log.cleaner.max.compaction.lag.ms", check: atLeast(1),
		set: i64Setter(func(l *Log) *int64 { return &l.MaxCompactionLagMs }),
		get: func(l *Log) any { return l.MaxCompactionLagMs },
		doc: "Longest a record may stay uncompacted."},
	{name: "max.message.bytes", typ: TypeInt, broker: "message.max.bytes", check: atLeast(0),
		set: i32Setter(func(l *Log) *int32 { return &l.MaxMessageBytes }),
		get: func(l *Log) any { return int64(l.MaxMessageBytes) },
		doc: "Largest record batch the topic accepts."},
	{name: "message.downconversion.enable", typ: TypeBoolean, broker: "log.message.downconversion.enable",
		set: boolSetter(func(l *Log) *bool { return &l.MessageDownconversionEnable }),
		get: func(l *Log) any { return l.MessageDownconversionEnable },
		doc: "Whether fetches from old consumers may be served by converting batches down."},
	{name: "message.format.version", typ: TypeString, broker: "log.message.format.version", check: validAPIVersion,
		set: strSetter(func(l *Log) *string { return &l.MessageFormatVersion }),
		get: func(l *Log) any { return l.MessageFormatVersion },
		doc: "Record format version the broker writes for this topic."},
	{name: "message.timestamp.difference.max.ms", typ: TypeLong, broker: "log.message.timestamp.difference.max.ms", check: atLeast(0),
		set: i64Setter(func(l *Log) *int64 { return &l.MessageTimestampDifferenceMaxMs }),
		get: func(l *Log) any { return l.MessageTimestampDifferenceMaxMs },
		doc: "Largest allowed gap between a CreateTime timestamp and the broker clock."},
	{name: "message.timestamp.type", typ: TypeString, broker: "log.message.timestamp.type", check: oneOf("CreateTime", "LogAppendTime"),
		set: strSetter(func(l *Log) *string { return &l.MessageTimestampType }),
		get: func(l *Log) any { return l.MessageTimestampType },
		doc: "CreateTime keeps the producer's timestamps; LogAppendTime stamps batches on append."},
	{name: "min.cleanable.dirty.ratio", typ: TypeDouble, broker: "log.cleaner.min.cleanable.ratio", check: between(0, 1),
		set: func(l *Log, v any) { l.MinCleanableDirtyRatio = v.(float64) },
		get: func(l *Log) any { return l.MinCleanableDirtyRatio },
		doc: "Share of uncompacted log that makes the partition eligible for cleaning."},
	{name: "min.compaction.lag.ms", typ: TypeLong, broker: "log.cleaner.min.compaction.lag.ms", check: atLeast(0),
		set: i64Setter(func(l *Log) *int64 { return &l.MinCompactionLagMs }),
		get: func(l *Log) any { return l.MinCompactionLagMs },
		doc: "Shortest time a record stays uncompacted."},
	{name: "min.insync.replicas", typ: TypeInt, broker: "min.insync.replicas", check: atLeast(1),
		set: i32Setter(func(l *Log) *int32 { return &l.MinInsyncReplicas }),
		get: func(l *Log) any { return int64(l.MinInsyncReplicas) },
		doc: "In-sync replicas required before an acks=all produce succeeds."},
	{name: "preallocate", typ: TypeBoolean, broker: "log.preallocate",
		set: boolSetter(func(l *Log) *bool { return &l.Preallocate }),
		get: func(l *Log) any { return l.Preallocate },
		doc: "Whether new segment files are created at full size."},
	{name: "retention.bytes", typ: TypeLong, broker: "log.retention.bytes",
		set: i64Setter(func(l *Log) *int64 { return &l.RetentionBytes }),
		get: func(l *Log) any { return l.RetentionBytes },
		doc: "Size a partition may grow to before old segments are deleted; -1 for no limit."},
	{name: "retention.ms", typ: TypeLong, broker: "log.retention.ms", check: atLeast(-1),
		set: i64Setter(func(l *Log) *int64 { return &l.RetentionMs }),
		get: func(l *Log) any { return l.RetentionMs },
		doc: "Age after which segments are deleted; -1 for no limit."},
	{name: "segment.bytes", typ: TypeInt, broker: "log.segment.bytes", check: atLeast(14),
		set: i32Setter(func(l *Log) *int32 { return &l.SegmentBytes }),
		get: func(l *Log) any { return int64(l.SegmentBytes) },
		doc: "Size at which the active segment is rolled."},
	{name: "segment.index.bytes", typ: TypeInt, broker: "log.index.size.max.bytes", check: atLeast(0),
		set: i32Setter(func(l *Log) *int32 { return &l.SegmentIndexBytes }),
		get: func(l *Log) any { return int64(l.SegmentIndexBytes) },
		doc: "Preallocated size of each segment's offset and time index."},
	{name: "segment.jitter.ms", typ: TypeLong, broker: "log.roll.jitter.ms", check: atLeast(0),
		set: i64Setter(func(l *Log) *int64 { return &l.SegmentJitterMs }),
		get: func(l *Log) any { return l.SegmentJitterMs },
		doc: "Random amount subtracted from segment.ms so partitions do not all roll at once."},
	{name: "segment.ms", typ: TypeLong, broker: "log.roll.ms", check: atLeast(1),
		set: i64Setter(func(l *Log) *int64 { return &l.SegmentMs }),
		get: func(l *Log) any { return l.SegmentMs },
		doc: "Age at which the active segment is rolled even if not full."},
	{name: "unclean.leader.election.enable", typ: TypeBoolean, broker: "unclean.leader.election.enable",
		set: boolSetter(func(l *Log) *bool { return &l.UncleanLeaderElectionEnable }),
		get: func(l *Log) any { return l.UncleanLeaderElectionEnable },
		doc: "Whether an out-of-sync replica may become leader, at the cost of losing data."},
}

var topicKeyIndex = func() map[string]*topicKey {
	m := make(map[string]*topicKey, len(topicKeys))
	for i := range topicKeys {
		m[topicKeys[i].name] = &topicKeys[i]
	}
	return m
}()

// TopicConfigNames lists every topic-level config name, sorted.
func TopicConfigNames() []string {
	out := make([]string, 0, len(topicKeys))
	for _, k := range topicKeys {
		out = append(out, k.name)
	}
	sort.Strings(out)
	return out
}

// IsTopicConfig reports whether name is a topic-level config.
func IsTopicConfig(name string) bool { _, ok := topicKeyIndex[name]; return ok }

// BrokerSynonym is the broker key a topic config falls back to (e.g. retention.ms ->
// log.retention.ms), or "" when it has none.
func BrokerSynonym(topicConfig string) string {
	if k, ok := topicKeyIndex[topicConfig]; ok {
		return k.broker
	}
	return ""
}

// Compact reports whether cleanup.policy includes compact.
func (l Log) Compact() bool { return hasPolicy(l.CleanupPolicy, "compact") }

// Delete reports whether cleanup.policy includes delete.
func (l Log) Delete() bool { return hasPolicy(l.CleanupPolicy, "delete") }

func hasPolicy(list, want string) bool {
	for _, p := range splitList(list) {
		if p == want {
			return true
		}
	}
	return false
}

// WithOverrides returns l with the topic's overrides (the /config/topics/<t> map) applied. The
// receiver is the broker-derived default, so keys not overridden keep the broker's values.
//
// Unknown names and bad values are reported the way ValidateTopicConfigs reports them, but the
// returned Log still carries every override that did parse: a broker loading a stored config
// can log the problem and carry on, as Kafka's LogConfig does with keys it does not know.
// Cross-key rules (min vs max compaction lag) are only checked by ValidateTopicConfigs, which
// is where Kafka checks them too.
func (l Log) WithOverrides(topicOverrides map[string]string) (Log, error) {
	_, err := parseTopicConfigs(topicOverrides)
	for _, name := range sortedKeys(topicOverrides) {
		k, ok := topicKeyIndex[name]
		if !ok {
			continue
		}
		v, perr := parseTopicValue(k, topicOverrides[name])
		if perr != nil {
			continue
		}
		k.set(&l, v)
	}
	return l, err
}

// ValidateTopicConfigs checks names and values as LogConfig.validate does for CreateTopics,
// AlterConfigs and kafka-configs: unknown names, unparsable values and out-of-range values are
// rejected with Kafka's messages.
func ValidateTopicConfigs(m map[string]string) error {
	parsed, err := parseTopicConfigs(m)
	if err != nil {
		return err
	}
	// Only the keys present are compared against LogConfig defaults, as Kafka does.
	minLag, maxLag := int64(0), int64(1<<63-1)
	if v, ok := parsed["min.compaction.lag.ms"]; ok {
		minLag = v.(int64)
	}
	if v, ok := parsed["max.compaction.lag.ms"]; ok {
		maxLag = v.(int64)
	}
	if minLag > maxLag {
		return compactionLagConflict(minLag, maxLag)
	}
	return nil
}

func compactionLagConflict(minLag, maxLag int64) error {
	return invalidConfigf("min.compaction.lag.ms", "conflict topic config setting min.compaction.lag.ms (%d) > max.compaction.lag.ms (%d)", minLag, maxLag)
}

func parseTopicConfigs(m map[string]string) (map[string]any, error) {
	keys := sortedKeys(m)
	for _, name := range keys {
		if _, ok := topicKeyIndex[name]; !ok {
			return nil, invalidConfigf(name, "Unknown topic config name: %s", name)
		}
	}
	out := make(map[string]any, len(m))
	for _, name := range keys {
		v, err := parseTopicValue(topicKeyIndex[name], m[name])
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

func parseTopicValue(k *topicKey, raw string) (any, error) {
	v, err := parseValue(k.name, k.typ, raw)
	if err != nil {
		return nil, err
	}
	if k.check != nil {
		if err := k.check(k.name, v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Map renders every topic config of l as Kafka would show it (for logs and tools).
func (l Log) Map() map[string]string {
	out := make(map[string]string, len(topicKeys))
	for _, k := range topicKeys {
		out[k.name] = renderValue(k.get(&l))
	}
	return out
}
