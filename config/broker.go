package config

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

const (
	longMax = "9223372036854775807"
	intMax  = "2147483647"

	// LatestAPIVersion is the inter-broker protocol and message format version a 2.8 broker
	// defaults to.
	LatestAPIVersion = "2.8-IV1"

	defaultSecurityProtocolMap = "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"
)

// brokerKey describes one broker property: its type, its default in the string form
// DescribeConfigs shows (nil when Kafka has none), and the checks KafkaConfig applies.
type brokerKey struct {
	name    string
	typ     Type
	def     *string
	check   validator
	dynamic bool // in DynamicBrokerConfig.AllDynamicConfigs, so not read-only in DescribeConfigs
}

func bk(name string, typ Type, def string, check validator) brokerKey {
	return brokerKey{name: name, typ: typ, def: strPtr(def), check: check}
}

func bkNoDefault(name string, typ Type, check validator) brokerKey {
	return brokerKey{name: name, typ: typ, check: check}
}

func dyn(k brokerKey) brokerKey { k.dynamic = true; return k }

// brokerKeys lists the KafkaConfig keys this broker understands (reference §5.3), with
// Kafka 2.8's defaults.
var brokerKeys = []brokerKey{
	// ZooKeeper and identity.
	bkNoDefault("zookeeper.connect", TypeString, nil),
	bk("zookeeper.session.timeout.ms", TypeInt, "18000", nil),
	bkNoDefault("zookeeper.connection.timeout.ms", TypeInt, nil),
	bk("zookeeper.max.in.flight.requests", TypeInt, "10", atLeast(1)),
	bk("zookeeper.set.acl", TypeBoolean, "false", nil),
	bk("broker.id", TypeInt, "-1", nil),
	bk("broker.id.generation.enable", TypeBoolean, "true", nil),
	bk("reserved.broker.max.id", TypeInt, "1000", atLeast(0)),
	bkNoDefault("broker.rack", TypeString, nil),
	bk("inter.broker.protocol.version", TypeString, LatestAPIVersion, validAPIVersion),
	bk("log.message.format.version", TypeString, LatestAPIVersion, validAPIVersion),

	// Network and requests.
	dyn(bkNoDefault("listeners", TypeString, nil)),
	bk("port", TypeInt, "9092", nil),
	bk("host.name", TypeString, "", nil),
	dyn(bkNoDefault("advertised.listeners", TypeString, nil)),
	bkNoDefault("advertised.host.name", TypeString, nil),
	bkNoDefault("advertised.port", TypeInt, nil),
	dyn(bk("listener.security.protocol.map", TypeString, defaultSecurityProtocolMap, nil)),
	bkNoDefault("inter.broker.listener.name", TypeString, nil),
	bk("security.inter.broker.protocol", TypeString, "PLAINTEXT", oneOf("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")),
	dyn(bk("num.network.threads", TypeInt, "3", atLeast(1))),
	dyn(bk("num.io.threads", TypeInt, "8", atLeast(1))),
	dyn(bk("background.threads", TypeInt, "10", atLeast(1))),
	bk("queued.max.requests", TypeInt, "500", atLeast(1)),
	bk("socket.send.buffer.bytes", TypeInt, "102400", nil),
	bk("socket.receive.buffer.bytes", TypeInt, "102400", nil),
	bk("socket.request.max.bytes", TypeInt, "104857600", atLeast(1)),
	bk("connections.max.idle.ms", TypeLong, "600000", nil),
	dyn(bk("max.connections", TypeInt, intMax, atLeast(0))),
	dyn(bk("max.connections.per.ip", TypeInt, intMax, atLeast(0))),
	dyn(bk("message.max.bytes", TypeInt, "1048588", atLeast(0))),
	bk("fetch.max.bytes", TypeInt, "57671680", atLeast(1024)),
	bk("max.incremental.fetch.session.cache.slots", TypeInt, "1000", atLeast(0)),
	bk("request.timeout.ms", TypeInt, "30000", nil),

	// Topics and logs.
	bk("auto.create.topics.enable", TypeBoolean, "true", nil),
	bk("num.partitions", TypeInt, "1", atLeast(1)),
	bk("default.replication.factor", TypeInt, "1", nil),
	dyn(bk("min.insync.replicas", TypeInt, "1", atLeast(1))),
	bk("delete.topic.enable", TypeBoolean, "true", nil),
	bkNoDefault("log.dirs", TypeString, nil),
	bk("log.dir", TypeString, "/tmp/kafka-logs", nil),
	dyn(bk("log.segment.bytes", TypeInt, "1073741824", atLeast(14))),
	dyn(bkNoDefault("log.roll.ms", TypeLong, nil)),
	bk("log.roll.hours", TypeInt, "168", atLeast(1)),
	dyn(bkNoDefault("log.roll.jitter.ms", TypeLong, nil)),
	bk("log.roll.jitter.hours", TypeInt, "0", atLeast(0)),
	dyn(bkNoDefault("log.retention.ms", TypeLong, nil)),
	bkNoDefault("log.retention.minutes", TypeInt, nil),
	bk("log.retention.hours", TypeInt, "168", nil),
	dyn(bk("log.retention.bytes", TypeLong, "-1", nil)),
	bk("log.retention.check.interval.ms", TypeLong, "300000", atLeast(1)),
	dyn(bk("log.cleanup.policy", TypeList, "delete", listOf("compact", "delete"))),
	dyn(bk("log.index.size.max.bytes", TypeInt, "10485760", atLeast(4))),
	dyn(bk("log.index.interval.bytes", TypeInt, "4096", atLeast(0))),
	dyn(bk("log.flush.interval.messages", TypeLong, longMax, atLeast(1))),
	dyn(bkNoDefault("log.flush.interval.ms", TypeLong, nil)),
	bk("log.flush.scheduler.interval.ms", TypeLong, longMax, nil),
	bk("log.flush.offset.checkpoint.interval.ms", TypeInt, "60000", atLeast(0)),
	bk("log.flush.start.offset.checkpoint.interval.ms", TypeInt, "60000", atLeast(0)),
	dyn(bk("log.segment.delete.delay.ms", TypeLong, "60000", atLeast(0))),
	dyn(bk("log.preallocate", TypeBoolean, "false", nil)),
	dyn(bk("log.message.timestamp.type", TypeString, "CreateTime", oneOf("CreateTime", "LogAppendTime"))),
	dyn(bk("log.message.timestamp.difference.max.ms", TypeLong, longMax, nil)),
	dyn(bk("log.message.downconversion.enable", TypeBoolean, "true", nil)),
	dyn(bk("compression.type", TypeString, "producer", validBrokerCompression)),
	dyn(bk("num.recovery.threads.per.data.dir", TypeInt, "1", atLeast(1))),
	bk("log.cleaner.enable", TypeBoolean, "true", nil),
	dyn(bk("log.cleaner.threads", TypeInt, "1", atLeast(0))),
	dyn(bk("log.cleaner.dedupe.buffer.size", TypeLong, "134217728", nil)),
	dyn(bk("log.cleaner.io.buffer.size", TypeInt, "524288", atLeast(0))),
	dyn(bk("log.cleaner.io.buffer.load.factor", TypeDouble, "0.9", nil)),
	dyn(bk("log.cleaner.backoff.ms", TypeLong, "15000", atLeast(0))),
	dyn(bk("log.cleaner.min.cleanable.ratio", TypeDouble, "0.5", nil)),
	dyn(bk("log.cleaner.delete.retention.ms", TypeLong, "86400000", nil)),
	dyn(bk("log.cleaner.min.compaction.lag.ms", TypeLong, "0", nil)),
	dyn(bk("log.cleaner.max.compaction.lag.ms", TypeLong, longMax, nil)),

	// Replication and controller.
	bk("replica.lag.time.max.ms", TypeLong, "30000", nil),
	bk("replica.fetch.max.bytes", TypeInt, "1048576", atLeast(0)),
	bk("replica.fetch.response.max.bytes", TypeInt, "10485760", atLeast(0)),
	bk("replica.fetch.wait.max.ms", TypeInt, "500", nil),
	bk("replica.fetch.min.bytes", TypeInt, "1", nil),
	bk("replica.fetch.backoff.ms", TypeInt, "1000", atLeast(0)),
	bk("replica.socket.timeout.ms", TypeInt, "30000", nil),
	bk("replica.socket.receive.buffer.bytes", TypeInt, "65536", nil),
	dyn(bk("num.replica.fetchers", TypeInt, "1", nil)),
	bk("replica.high.watermark.checkpoint.interval.ms", TypeLong, "5000", nil),
	bk("controller.socket.timeout.ms", TypeInt, "30000", nil),
	dyn(bk("unclean.leader.election.enable", TypeBoolean, "false", nil)),
	bk("auto.leader.rebalance.enable", TypeBoolean, "true", nil),
	bk("leader.imbalance.per.broker.percentage", TypeInt, "10", nil),
	bk("leader.imbalance.check.interval.seconds", TypeLong, "300", nil),
	bk("controlled.shutdown.enable", TypeBoolean, "true", nil),
	bk("controlled.shutdown.max.retries", TypeInt, "3", nil),
	bk("controlled.shutdown.retry.backoff.ms", TypeLong, "5000", nil),

	// Group coordinator and offsets.
	bk("group.min.session.timeout.ms", TypeInt, "6000", nil),
	bk("group.max.session.timeout.ms", TypeInt, "1800000", nil),
	bk("group.initial.rebalance.delay.ms", TypeInt, "3000", nil),
	bk("group.max.size", TypeInt, intMax, atLeast(1)),
	bk("offsets.topic.num.partitions", TypeInt, "50", atLeast(1)),
	bk("offsets.topic.replication.factor", TypeShort, "3", atLeast(1)),
	bk("offsets.topic.segment.bytes", TypeInt, "104857600", atLeast(1)),
	bk("offsets.topic.compression.codec", TypeInt, "0", nil),
	bk("offsets.retention.minutes", TypeInt, "10080", atLeast(1)),
	bk("offsets.retention.check.interval.ms", TypeLong, "600000", atLeast(1)),
	bk("offsets.commit.timeout.ms", TypeInt, "5000", atLeast(1)),
	bk("offsets.commit.required.acks", TypeShort, "-1", nil),
	bk("offsets.load.buffer.size", TypeInt, "5242880", atLeast(1)),
	bk("offset.metadata.max.bytes", TypeInt, "4096", nil),

	// Transactions.
	bk("transaction.state.log.num.partitions", TypeInt, "50", atLeast(1)),
	bk("transaction.state.log.replication.factor", TypeShort, "3", atLeast(1)),
	bk("transaction.state.log.min.isr", TypeInt, "2", atLeast(1)),
	bk("transaction.state.log.segment.bytes", TypeInt, "104857600", atLeast(1)),
	bk("transaction.state.log.load.buffer.size", TypeInt, "5242880", atLeast(1)),
	bk("transaction.max.timeout.ms", TypeInt, "900000", atLeast(1)),
	bk("transactional.id.expiration.ms", TypeInt, "604800000", atLeast(1)),
	bk("transaction.abort.timed.out.transaction.cleanup.interval.ms", TypeInt, "10000", atLeast(1)),
	bk("transaction.remove.expired.transaction.cleanup.interval.ms", TypeInt, "3600000", atLeast(1)),

	// Quotas and delegation tokens.
	bk("quota.producer.default", TypeLong, longMax, atLeast(1)),
	bk("quota.consumer.default", TypeLong, longMax, atLeast(1)),
	bk("quota.window.num", TypeInt, "11", atLeast(1)),
	bk("quota.window.size.seconds", TypeInt, "1", atLeast(1)),
	bkNoDefault("delegation.token.master.key", TypePassword, nil),
	bk("delegation.token.max.lifetime.ms", TypeLong, "604800000", atLeast(1)),
	bk("delegation.token.expiry.time.ms", TypeLong, "86400000", atLeast(1)),
	bk("delegation.token.expiry.check.interval.ms", TypeLong, "3600000", atLeast(1)),

	// Secrets: reported as sensitive, never echoed back.
	dyn(bkNoDefault("ssl.keystore.password", TypePassword, nil)),
	dyn(bkNoDefault("ssl.key.password", TypePassword, nil)),
	dyn(bkNoDefault("ssl.truststore.password", TypePassword, nil)),
	dyn(bkNoDefault("sasl.jaas.config", TypePassword, nil)),
	bkNoDefault("password.encoder.secret", TypePassword, nil),
	bkNoDefault("password.encoder.old.secret", TypePassword, nil),

	// This project's Prometheus endpoint; Kafka itself exposes metrics through JMX.
	bk("kafka.metrics.prometheus.listen", TypeString, "", nil),
}

var brokerKeyIndex = func() map[string]*brokerKey {
	m := make(map[string]*brokerKey, len(brokerKeys))
	for i := range brokerKeys {
		m[brokerKeys[i].name] = &brokerKeys[i]
	}
	return m
}()

// BrokerConfigNames lists the broker keys this implementation knows, sorted.
func BrokerConfigNames() []string {
	out := make([]string, 0, len(brokerKeys))
	for _, k := range brokerKeys {
		out = append(out, k.name)
	}
	sort.Strings(out)
	return out
}

// validBrokerCompression is KafkaConfig's check, which unlike the topic-level one ignores case.
func validBrokerCompression(key string, v any) error {
	s, _ := v.(string)
	for _, c := range compressionTypes {
		if strings.ToLower(s) == c {
			return nil
		}
	}
	return requiref(key, "compression.type : %s is not valid. Valid options are %s", s, strings.Join(compressionTypes, ","))
}

// brokerValues holds every known key parsed, explicit values and defaults alike.
type brokerValues struct {
	vals map[string]any
	set  map[string]bool // explicitly present in the properties
}

func parseBrokerValues(p Properties) (*brokerValues, error) {
	bv := &brokerValues{vals: map[string]any{}, set: map[string]bool{}}
	// Sorted so that, with several bad keys, the same one is always reported.
	for _, name := range BrokerConfigNames() {
		k := brokerKeyIndex[name]
		raw, ok := p[name]
		if !ok {
			if k.def == nil {
				continue
			}
			raw = *k.def
		}
		v, err := parseValue(name, k.typ, raw)
		if err != nil {
			return nil, err
		}
		if ok && k.check != nil {
			if err := k.check(name, v); err != nil {
				return nil, err
			}
		}
		bv.vals[name] = v
		bv.set[name] = ok
	}
	return bv, nil
}

func (bv *brokerValues) has(name string) bool  { _, ok := bv.vals[name]; return ok }
func (bv *brokerValues) i64(name string) int64 { n, _ := bv.vals[name].(int64); return n }
func (bv *brokerValues) i32(name string) int32 { return int32(bv.i64(name)) }
func (bv *brokerValues) i16(name string) int16 { return int16(bv.i64(name)) }
func (bv *brokerValues) b(name string) bool    { x, _ := bv.vals[name].(bool); return x }
func (bv *brokerValues) s(name string) string  { x, _ := bv.vals[name].(string); return x }
func (bv *brokerValues) f(name string) float64 { x, _ := bv.vals[name].(float64); return x }
func (bv *brokerValues) list(name string) []string {
	x, _ := bv.vals[name].([]string)
	return x
}

// NewBroker builds the typed broker config from properties (server.properties plus any
// --override), filling in Kafka 2.8 defaults and applying KafkaConfig's cross-key rules.
func NewBroker(p Properties) (*Broker, error) {
	if p == nil {
		p = Properties{}
	}
	bv, err := parseBrokerValues(p)
	if err != nil {
		return nil, err
	}
	if !bv.has("zookeeper.connect") {
		return nil, configErrorf("zookeeper.connect", "Missing required configuration `zookeeper.connect` which has no default value.")
	}

	b := &Broker{
		Props:                    p,
		BrokerID:                 bv.i32("broker.id"),
		BrokerRack:               bv.s("broker.rack"),
		ZkConnect:                bv.s("zookeeper.connect"),
		ZkSessionTimeout:         msDuration(bv.i64("zookeeper.session.timeout.ms")),
		NumPartitions:            bv.i32("num.partitions"),
		DefaultReplicationFactor: int16(bv.i32("default.replication.factor")),
		AutoCreateTopicsEnable:   bv.b("auto.create.topics.enable"),
		DeleteTopicEnable:        bv.b("delete.topic.enable"),
		SocketRequestMaxBytes:    bv.i32("socket.request.max.bytes"),
		MessageMaxBytes:          bv.i32("message.max.bytes"),

		ReplicaFetchMaxBytes:                   bv.i32("replica.fetch.max.bytes"),
		ReplicaFetchWaitMax:                    msDuration(bv.i64("replica.fetch.wait.max.ms")),
		ReplicaFetchMinBytes:                   bv.i32("replica.fetch.min.bytes"),
		ReplicaFetchResponseMaxBytes:           bv.i32("replica.fetch.response.max.bytes"),
		ReplicaLagTimeMax:                      msDuration(bv.i64("replica.lag.time.max.ms")),
		ReplicaHighWatermarkCheckpointInterval: msDuration(bv.i64("replica.high.watermark.checkpoint.interval.ms")),

		NumRecoveryThreadsPerDataDir:          int(bv.i64("num.recovery.threads.per.data.dir")),
		LogRetentionCheckInterval:             msDuration(bv.i64("log.retention.check.interval.ms")),
		LogFlushOffsetCheckpointInterval:      msDuration(bv.i64("log.flush.offset.checkpoint.interval.ms")),
		LogFlushStartOffsetCheckpointInterval: msDuration(bv.i64("log.flush.start.offset.checkpoint.interval.ms")),
		LogFlushSchedulerInterval:             msDuration(bv.i64("log.flush.scheduler.interval.ms")),

		OffsetsTopicNumPartitions:     bv.i32("offsets.topic.num.partitions"),
		OffsetsTopicReplicationFactor: bv.i16("offsets.topic.replication.factor"),
		OffsetsTopicSegmentBytes:      bv.i32("offsets.topic.segment.bytes"),
		OffsetsRetention:              msDuration(bv.i64("offsets.retention.minutes") * 60 * 1000),
		OffsetsRetentionCheckInterval: msDuration(bv.i64("offsets.retention.check.interval.ms")),
		GroupInitialRebalanceDelay:    msDuration(bv.i64("group.initial.rebalance.delay.ms")),
		GroupMinSessionTimeout:        msDuration(bv.i64("group.min.session.timeout.ms")),
		GroupMaxSessionTimeout:        msDuration(bv.i64("group.max.session.timeout.ms")),

		TransactionStateLogNumPartitions:     bv.i32("transaction.state.log.num.partitions"),
		TransactionStateLogReplicationFactor: bv.i16("transaction.state.log.replication.factor"),
		TransactionStateLogMinISR:            bv.i32("transaction.state.log.min.isr"),

		UncleanLeaderElectionEnable:  bv.b("unclean.leader.election.enable"),
		AutoLeaderRebalanceEnable:    bv.b("auto.leader.rebalance.enable"),
		LeaderImbalanceCheckInterval: msDuration(saturatingMul(bv.i64("leader.imbalance.check.interval.seconds"), 1000)),
		ControlledShutdownEnable:     bv.b("controlled.shutdown.enable"),
		ControllerSocketTimeout:      msDuration(bv.i64("controller.socket.timeout.ms")),
		RequestTimeout:               msDuration(bv.i64("request.timeout.ms")),
		ConnectionsMaxIdle:           msDuration(bv.i64("connections.max.idle.ms")),

		BrokerIDGenerationEnable:                           bv.b("broker.id.generation.enable"),
		ReservedBrokerMaxID:                                bv.i32("reserved.broker.max.id"),
		InterBrokerProtocolVersion:                         bv.s("inter.broker.protocol.version"),
		QueuedMaxRequests:                                  bv.i32("queued.max.requests"),
		FetchMaxBytes:                                      bv.i32("fetch.max.bytes"),
		NumNetworkThreads:                                  int(bv.i64("num.network.threads")),
		NumIoThreads:                                       int(bv.i64("num.io.threads")),
		NumReplicaFetchers:                                 int(bv.i64("num.replica.fetchers")),
		ReplicaFetchBackoff:                                msDuration(bv.i64("replica.fetch.backoff.ms")),
		ReplicaSocketTimeout:                               msDuration(bv.i64("replica.socket.timeout.ms")),
		LeaderImbalancePerBrokerPercentage:                 bv.i32("leader.imbalance.per.broker.percentage"),
		ControlledShutdownMaxRetries:                       bv.i32("controlled.shutdown.max.retries"),
		ControlledShutdownRetryBackoff:                     msDuration(bv.i64("controlled.shutdown.retry.backoff.ms")),
		LogCleanerEnable:                                   bv.b("log.cleaner.enable"),
		LogCleanerBackoff:                                  msDuration(bv.i64("log.cleaner.backoff.ms")),
		LogCleanerDedupeBufferSize:                         bv.i64("log.cleaner.dedupe.buffer.size"),
		GroupMaxSize:                                       bv.i32("group.max.size"),
		OffsetMetadataMaxBytes:                             bv.i32("offset.metadata.max.bytes"),
		OffsetsCommitTimeout:                               msDuration(bv.i64("offsets.commit.timeout.ms")),
		OffsetsCommitRequiredAcks:                          bv.i16("offsets.commit.required.acks"),
		OffsetsLoadBufferSize:                              bv.i32("offsets.load.buffer.size"),
		TransactionStateLogSegmentBytes:                    bv.i32("transaction.state.log.segment.bytes"),
		TransactionStateLogLoadBufferSize:                  bv.i32("transaction.state.log.load.buffer.size"),
		TransactionMaxTimeout:                              msDuration(bv.i64("transaction.max.timeout.ms")),
		TransactionalIDExpiration:                          msDuration(bv.i64("transactional.id.expiration.ms")),
		TransactionAbortTimedOutTransactionCleanupInterval: msDuration(bv.i64("transaction.abort.timed.out.transaction.cleanup.interval.ms")),
		TransactionRemoveExpiredTransactionCleanupInterval: msDuration(bv.i64("transaction.remove.expired.transaction.cleanup.interval.ms")),

		MetricsListen: bv.s("kafka.metrics.prometheus.listen"),
	}
	b.ZkConnectionTimeout = b.ZkSessionTimeout
	if bv.has("zookeeper.connection.timeout.ms") {
		b.ZkConnectionTimeout = msDuration(bv.i64("zookeeper.connection.timeout.ms"))
	}

	// Identity.
	if bv.b("broker.id.generation.enable") {
		if b.BrokerID < -1 || int64(b.BrokerID) > bv.i64("reserved.broker.max.id") {
			return nil, requiref("broker.id", "broker.id must be greater than or equal to -1 and not greater than reserved.broker.max.id")
		}
	} else if b.BrokerID < 0 {
		return nil, requiref("broker.id", "broker.id must be greater than or equal to 0")
	}

	// Log directories: log.dirs wins over log.dir.
	dirs := bv.s("log.dir")
	if bv.has("log.dirs") {
		dirs = bv.s("log.dirs")
	}
	b.LogDirs = nil
	for _, d := range splitList(dirs) {
		if d != "" { // CoreUtils.parseCsvList drops empty entries
			b.LogDirs = append(b.LogDirs, d)
		}
	}
	if len(b.LogDirs) == 0 {
		return nil, requiref("log.dirs", "At least one log directory must be defined via log.dirs or log.dir.")
	}

	if err := b.parseListeners(bv); err != nil {
		return nil, err
	}

	lg, err := logFromBroker(bv)
	if err != nil {
		return nil, err
	}
	b.Log = lg

	// Cross-key rules KafkaConfig.validateValues enforces.
	if bv.i64("replica.fetch.wait.max.ms") > bv.i64("replica.socket.timeout.ms") {
		return nil, requiref("replica.fetch.wait.max.ms", "replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to prevent unnecessary socket timeouts")
	}
	if bv.i64("replica.fetch.wait.max.ms") > bv.i64("replica.lag.time.max.ms") {
		return nil, requiref("replica.fetch.wait.max.ms", "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR")
	}
	if threads := bv.i64("log.cleaner.threads"); threads > 0 && bv.i64("log.cleaner.dedupe.buffer.size")/threads <= 1024*1024 {
		return nil, requiref("log.cleaner.dedupe.buffer.size", "log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.")
	}
	if acks := bv.i64("offsets.commit.required.acks"); acks < -1 || acks > bv.i64("offsets.topic.replication.factor") {
		return nil, requiref("offsets.commit.required.acks", "offsets.commit.required.acks must be greater or equal -1 and less or equal to offsets.topic.replication.factor")
	}
	return b, nil
}

func saturatingMul(a, b int64) int64 {
	if a != 0 && (a > math.MaxInt64/b || a < math.MinInt64/b) {
		if (a < 0) != (b < 0) {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return a * b
}

// logFromBroker derives the topic-level defaults from the broker's log.* keys
// (LogConfig.extractLogConfigMap), resolving the ms/minutes/hours families.
func logFromBroker(bv *brokerValues) (Log, error) {
	const hourMs, minuteMs = int64(3600 * 1000), int64(60 * 1000)

	segmentMs := saturatingMul(bv.i64("log.roll.hours"), hourMs)
	if bv.has("log.roll.ms") {
		segmentMs = bv.i64("log.roll.ms")
	}
	if segmentMs < 1 {
		return Log{}, requiref("log.roll.ms", "log.roll.ms must be greater than or equal to 1")
	}
	jitterMs := saturatingMul(bv.i64("log.roll.jitter.hours"), hourMs)
	if bv.has("log.roll.jitter.ms") {
		jitterMs = bv.i64("log.roll.jitter.ms")
	}
	if jitterMs < 0 {
		return Log{}, requiref("log.roll.jitter.ms", "log.roll.jitter.ms must be greater than or equal to 0")
	}
	var retentionMs int64
	switch {
	case bv.has("log.retention.ms"):
		retentionMs = bv.i64("log.retention.ms")
	case bv.has("log.retention.minutes"):
		retentionMs = saturatingMul(bv.i64("log.retention.minutes"), minuteMs)
	default:
		retentionMs = saturatingMul(bv.i64("log.retention.hours"), hourMs)
	}
	if retentionMs < 0 {
		retentionMs = -1 // any negative retention means unlimited
	}
	if retentionMs == 0 {
		return Log{}, requiref("log.retention.ms", "log.retention.ms must be unlimited (-1) or, greater than or equal to 1")
	}
	flushMs := bv.i64("log.flush.scheduler.interval.ms")
	if bv.has("log.flush.interval.ms") {
		flushMs = bv.i64("log.flush.interval.ms")
	}

	return Log{
		SegmentBytes:                    bv.i32("log.segment.bytes"),
		SegmentMs:                       segmentMs,
		SegmentJitterMs:                 jitterMs,
		SegmentIndexBytes:               bv.i32("log.index.size.max.bytes"),
		FlushMessages:                   bv.i64("log.flush.interval.messages"),
		FlushMs:                         flushMs,
		RetentionBytes:                  bv.i64("log.retention.bytes"),
		RetentionMs:                     retentionMs,
		MaxMessageBytes:                 bv.i32("message.max.bytes"),
		IndexIntervalBytes:              bv.i32("log.index.interval.bytes"),
		DeleteRetentionMs:               bv.i64("log.cleaner.delete.retention.ms"),
		MinCompactionLagMs:              bv.i64("log.cleaner.min.compaction.lag.ms"),
		MaxCompactionLagMs:              bv.i64("log.cleaner.max.compaction.lag.ms"),
		FileDeleteDelayMs:               bv.i64("log.segment.delete.delay.ms"),
		MinCleanableDirtyRatio:          bv.f("log.cleaner.min.cleanable.ratio"),
		CleanupPolicy:                   strings.Join(bv.list("log.cleanup.policy"), ","),
		UncleanLeaderElectionEnable:     bv.b("unclean.leader.election.enable"),
		MinInsyncReplicas:               bv.i32("min.insync.replicas"),
		CompressionType:                 strings.ToLower(bv.s("compression.type")),
		Preallocate:                     bv.b("log.preallocate"),
		MessageFormatVersion:            bv.s("log.message.format.version"),
		MessageTimestampType:            bv.s("log.message.timestamp.type"),
		MessageTimestampDifferenceMaxMs: bv.i64("log.message.timestamp.difference.max.ms"),
		MessageDownconversionEnable:     bv.b("log.message.downconversion.enable"),
	}, nil
}

// DefaultLog is the topic config of a topic without overrides on a broker with no log.*
// settings: Kafka 2.8's LogConfig defaults.
func DefaultLog() Log { return defaultLog }

// defaultLog is built once at package load, so a broken key table fails every test and every
// start-up immediately instead of surfacing on a request path.
var defaultLog = func() Log {
	bv, err := parseBrokerValues(Properties{})
	if err == nil {
		var l Log
		if l, err = logFromBroker(bv); err == nil {
			return l
		}
	}
	panic("config: built-in defaults are invalid: " + err.Error())
}()

func (b *Broker) parseListeners(bv *brokerValues) error {
	protoMap, err := parseSecurityProtocolMap(bv.s("listener.security.protocol.map"))
	if err != nil {
		return err
	}
	b.ListenerSecurityProtocolMap = protoMap

	listenersStr := "PLAINTEXT://" + bv.s("host.name") + ":" + strconv.FormatInt(bv.i64("port"), 10)
	if bv.has("listeners") {
		listenersStr = bv.s("listeners")
	}
	b.Listeners, err = parseListenersFor("listeners", listenersStr, protoMap, true)
	if err != nil {
		return err
	}

	switch {
	case bv.has("advertised.listeners"):
		b.AdvertisedListeners, err = parseListenersFor("advertised.listeners", bv.s("advertised.listeners"), protoMap, false)
	case bv.has("advertised.host.name") || bv.has("advertised.port"):
		// The deprecated pair falls back to host.name / port piecewise.
		host := bv.s("host.name")
		if bv.has("advertised.host.name") {
			host = bv.s("advertised.host.name")
		}
		port := bv.i64("port")
		if bv.has("advertised.port") {
			port = bv.i64("advertised.port")
		}
		b.AdvertisedListeners, err = parseListenersFor("advertised.listeners",
			"PLAINTEXT://"+host+":"+strconv.FormatInt(port, 10), protoMap, false)
	default:
		b.AdvertisedListeners = append([]Listener(nil), b.Listeners...)
	}
	if err != nil {
		return err
	}
	for _, l := range b.AdvertisedListeners {
		if l.Host == "0.0.0.0" {
			return requiref("advertised.listeners", "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.")
		}
	}

	// The inter-broker listener: inter.broker.listener.name, else the listener named after
	// security.inter.broker.protocol.
	switch {
	case bv.has("inter.broker.listener.name"):
		if bv.set["security.inter.broker.protocol"] {
			return configErrorf("inter.broker.listener.name", "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.")
		}
		b.InterBrokerListenerName = strings.ToUpper(bv.s("inter.broker.listener.name"))
	default:
		b.InterBrokerListenerName = bv.s("security.inter.broker.protocol")
	}
	if _, ok := protoMap[b.InterBrokerListenerName]; !ok {
		return configErrorf("inter.broker.listener.name", "Listener with name %s defined in inter.broker.listener.name not found in listener.security.protocol.map.", b.InterBrokerListenerName)
	}
	var advertised, listening []string
	found := false
	for _, l := range b.AdvertisedListeners {
		advertised = appendUnique(advertised, l.Name)
		found = found || l.Name == b.InterBrokerListenerName
	}
	for _, l := range b.Listeners {
		listening = appendUnique(listening, l.Name)
	}
	if !found {
		return requiref("inter.broker.listener.name", "inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are %s", strings.Join(advertised, ","))
	}
	for _, name := range advertised {
		if !contains(listening, name) {
			return requiref("advertised.listeners", "advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found %s. The valid options based on the current configuration are %s", strings.Join(advertised, ","), strings.Join(listening, ","))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func appendUnique(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}

// parseSecurityProtocolMap reads "NAME:PROTOCOL,..." (listener.security.protocol.map). Names
// and protocols are case-insensitive; both are stored upper-case.
func parseSecurityProtocolMap(s string) (map[string]string, error) {
	const key = "listener.security.protocol.map"
	out := map[string]string{}
	for _, entry := range splitList(s) {
		if entry == "" && strings.TrimSpace(s) == "" {
			continue
		}
		// Kafka splits at the last colon.
		i := strings.LastIndex(entry, ":")
		if i < 0 {
			return nil, illegalArgf(key, "Error parsing configuration property '%s': entry '%s' is not of the form listener:protocol", key, entry)
		}
		name, proto := strings.TrimSpace(entry[:i]), strings.TrimSpace(entry[i+1:])
		switch strings.ToUpper(proto) {
		case "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL":
		default:
			return nil, configErrorf(key, "Invalid security protocol `%s` defined in %s", proto, key)
		}
		out[strings.ToUpper(name)] = strings.ToUpper(proto)
	}
	return out, nil
}

// listenerRE is EndPoint's connection-string pattern: NAME://host:port, IPv6 hosts in brackets.
var listenerRE = regexp.MustCompile(`^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$`)

// ParseListeners parses a `listeners`-style list such as "PLAINTEXT://host:9092,SSL://:9093".
// Listener names are upper-cased (ListenerName.normalised); an empty string yields no listeners.
func ParseListeners(s string) ([]Listener, error) {
	return parseListenersFor("listeners", s, nil, true)
}

func parseListenersFor(key, s string, protoMap map[string]string, distinctPorts bool) ([]Listener, error) {
	// Kafka reports every parse problem against the whole list, whichever key it came from.
	fail := func(format string, args ...any) error {
		return illegalArgf(key, "Error creating broker listeners from '%s': %s", s, fmt.Sprintf(format, args...))
	}
	var out []Listener
	for _, entry := range splitList(s) {
		if entry == "" {
			continue
		}
		m := listenerRE.FindStringSubmatch(entry)
		if m == nil {
			return nil, fail("Unable to parse %s to a broker endpoint", entry)
		}
		port, err := strconv.Atoi(m[3])
		if err != nil || port < 0 || port > 65535 {
			return nil, fail("Unable to parse %s to a broker endpoint", entry)
		}
		name := strings.ToUpper(m[1])
		if protoMap != nil {
			if _, ok := protoMap[name]; !ok {
				return nil, fail("No security protocol defined for listener %s", name)
			}
		} else if name == "" {
			return nil, fail("Unable to parse %s to a broker endpoint", entry)
		}
		out = append(out, Listener{Name: name, Host: m[2], Port: port})
	}
	seenName := map[string]bool{}
	seenPort := map[int]bool{}
	for _, l := range out {
		if seenName[l.Name] {
			return nil, requiref(key, "Each listener must have a different name, listeners: %s", s)
		}
		seenName[l.Name] = true
		// Port 0 asks the OS for a free port, so several of them do not collide.
		if distinctPorts && l.Port != 0 {
			if seenPort[l.Port] {
				return nil, requiref(key, "Each listener must have a different port, listeners: %s", s)
			}
			seenPort[l.Port] = true
		}
	}
	return out, nil
}

// String renders the listener as Kafka writes it in registrations and logs: NAME://host:port.
func (l Listener) String() string {
	host := l.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s://%s:%d", l.Name, host, l.Port)
}

// SecurityProtocol returns the protocol the broker's listener.security.protocol.map assigns to
// listener name, or "" when the name is unknown.
func (b *Broker) SecurityProtocol(listener string) string {
	return b.ListenerSecurityProtocolMap[strings.ToUpper(listener)]
}

// OffsetsTopicConfigs are the topic configs __consumer_offsets is created with
// (GroupMetadataManager.offsetsTopicConfigs).
func (b *Broker) OffsetsTopicConfigs() map[string]string {
	return map[string]string{
		"cleanup.policy":   "compact",
		"segment.bytes":    strconv.FormatInt(int64(b.OffsetsTopicSegmentBytes), 10),
		"compression.type": "producer",
	}
}

// TransactionTopicConfigs are the topic configs __transaction_state is created with
// (TransactionStateManager.transactionTopicConfigs).
func (b *Broker) TransactionTopicConfigs() map[string]string {
	return map[string]string{
		"cleanup.policy":                 "compact",
		"compression.type":               "uncompressed",
		"min.insync.replicas":            strconv.FormatInt(int64(b.TransactionStateLogMinISR), 10),
		"segment.bytes":                  strconv.FormatInt(int64(b.TransactionStateLogSegmentBytes), 10),
		"unclean.leader.election.enable": "false",
	}
}
