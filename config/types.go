package config

import "time"

// Listener is one entry of `listeners` / `advertised.listeners`: "PLAINTEXT://host:9092".
// An empty Host means every interface when binding, and the canonical host name when advertising.
type Listener struct {
	Name string
	Host string
	Port int
}

// Broker is the typed view of a broker's properties (Kafka's KafkaConfig), with Kafka 2.8's
// defaults for every key the file leaves out.
type Broker struct {
	Props Properties // as loaded (file plus --override), kept to report config sources

	BrokerID                    int32
	BrokerRack                  string
	ZkConnect                   string
	ZkSessionTimeout            time.Duration
	ZkConnectionTimeout         time.Duration
	Listeners                   []Listener
	AdvertisedListeners         []Listener
	InterBrokerListenerName     string
	ListenerSecurityProtocolMap map[string]string
	LogDirs                     []string

	NumPartitions            int32
	DefaultReplicationFactor int16
	AutoCreateTopicsEnable   bool
	DeleteTopicEnable        bool
	SocketRequestMaxBytes    int32
	MessageMaxBytes          int32

	ReplicaFetchMaxBytes                   int32
	ReplicaFetchWaitMax                    time.Duration
	ReplicaFetchMinBytes                   int32
	ReplicaFetchResponseMaxBytes           int32
	ReplicaLagTimeMax                      time.Duration
	ReplicaHighWatermarkCheckpointInterval time.Duration

	NumRecoveryThreadsPerDataDir          int
	LogRetentionCheckInterval             time.Duration
	LogFlushOffsetCheckpointInterval      time.Duration
	LogFlushStartOffsetCheckpointInterval time.Duration
	LogFlushSchedulerInterval             time.Duration

	OffsetsTopicNumPartitions     int32
	OffsetsTopicReplicationFactor int16
	OffsetsTopicSegmentBytes      int32
	OffsetsRetention              time.Duration
	OffsetsRetentionCheckInterval time.Duration
	GroupInitialRebalanceDelay    time.Duration
	GroupMinSessionTimeout        time.Duration
	GroupMaxSessionTimeout        time.Duration

	TransactionStateLogNumPartitions     int32
	TransactionStateLogReplicationFactor int16
	TransactionStateLogMinISR            int32

	UncleanLeaderElectionEnable  bool
	AutoLeaderRebalanceEnable    bool
	LeaderImbalanceCheckInterval time.Duration
	ControlledShutdownEnable     bool
	ControllerSocketTimeout      time.Duration
	RequestTimeout               time.Duration
	ConnectionsMaxIdle           time.Duration

	// Keys beyond the original contract, for the coordinators, replica manager and controller.
	BrokerIDGenerationEnable                           bool
	ReservedBrokerMaxID                                int32
	InterBrokerProtocolVersion                         string
	QueuedMaxRequests                                  int32
	FetchMaxBytes                                      int32
	NumNetworkThreads                                  int
	NumIoThreads                                       int
	NumReplicaFetchers                                 int
	ReplicaFetchBackoff                                time.Duration
	ReplicaSocketTimeout                               time.Duration
	LeaderImbalancePerBrokerPercentage                 int32
	ControlledShutdownMaxRetries                       int32
	ControlledShutdownRetryBackoff                     time.Duration
	LogCleanerEnable                                   bool
	LogCleanerBackoff                                  time.Duration
	LogCleanerDedupeBufferSize                         int64
	GroupMaxSize                                       int32
	OffsetMetadataMaxBytes                             int32
	OffsetsCommitTimeout                               time.Duration
	OffsetsCommitRequiredAcks                          int16
	OffsetsLoadBufferSize                              int32
	TransactionStateLogSegmentBytes                    int32
	TransactionStateLogLoadBufferSize                  int32
	TransactionMaxTimeout                              time.Duration
	TransactionalIDExpiration                          time.Duration
	TransactionAbortTimedOutTransactionCleanupInterval time.Duration
	TransactionRemoveExpiredTransactionCleanupInterval time.Duration

	// MetricsListen is this project's extension (kafka.metrics.prometheus.listen): where the
	// Prometheus endpoint listens; empty turns it off.
	MetricsListen string

	// Log holds the topic-level defaults derived from the broker's log.* keys.
	Log Log
}

// Log is the effective configuration of one topic's logs (Kafka's LogConfig).
type Log struct {
	SegmentBytes                    int32
	SegmentMs                       int64
	SegmentJitterMs                 int64
	SegmentIndexBytes               int32
	FlushMessages                   int64
	FlushMs                         int64
	RetentionBytes                  int64
	RetentionMs                     int64
	MaxMessageBytes                 int32
	IndexIntervalBytes              int32
	DeleteRetentionMs               int64
	MinCompactionLagMs              int64
	MaxCompactionLagMs              int64
	FileDeleteDelayMs               int64
	MinCleanableDirtyRatio          float64
	CleanupPolicy                   string // "delete", "compact" or "compact,delete"
	UncleanLeaderElectionEnable     bool
	MinInsyncReplicas               int32
	CompressionType                 string
	Preallocate                     bool
	MessageFormatVersion            string
	MessageTimestampType            string // CreateTime or LogAppendTime
	MessageTimestampDifferenceMaxMs int64
	MessageDownconversionEnable     bool

	// Throttled replica lists as comma-joined "partition:broker" pairs or "*"; strings rather
	// than slices so Log stays comparable with ==.
	LeaderReplicationThrottledReplicas   string
	FollowerReplicationThrottledReplicas string
}

// Properties is a parsed Java .properties file.
type Properties map[string]string
