package config

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustBroker(t *testing.T, p Properties) *Broker {
	t.Helper()
	if _, ok := p["zookeeper.connect"]; !ok {
		p["zookeeper.connect"] = "localhost:2181"
	}
	b, err := NewBroker(p)
	if err != nil {
		t.Fatalf("NewBroker(%v): %v", p, err)
	}
	return b
}

func TestNewBrokerDefaults(t *testing.T) {
	b := mustBroker(t, Properties{})
	checks := []struct {
		name      string
		got, want any
	}{
		{"BrokerID", b.BrokerID, int32(-1)},
		{"BrokerRack", b.BrokerRack, ""},
		{"ZkConnect", b.ZkConnect, "localhost:2181"},
		{"ZkSessionTimeout", b.ZkSessionTimeout, 18 * time.Second},
		{"ZkConnectionTimeout", b.ZkConnectionTimeout, 18 * time.Second},
		{"Listeners", b.Listeners, []Listener{{Name: "PLAINTEXT", Host: "", Port: 9092}}},
		{"AdvertisedListeners", b.AdvertisedListeners, []Listener{{Name: "PLAINTEXT", Host: "", Port: 9092}}},
		{"InterBrokerListenerName", b.InterBrokerListenerName, "PLAINTEXT"},
		{"ListenerSecurityProtocolMap", b.ListenerSecurityProtocolMap, map[string]string{
			"PLAINTEXT": "PLAINTEXT", "SSL": "SSL", "SASL_PLAINTEXT": "SASL_PLAINTEXT", "SASL_SSL": "SASL_SSL"}},
		{"LogDirs", b.LogDirs, []string{"/tmp/kafka-logs"}},
		{"NumPartitions", b.NumPartitions, int32(1)},
		{"DefaultReplicationFactor", b.DefaultReplicationFactor, int16(1)},
		{"AutoCreateTopicsEnable", b.AutoCreateTopicsEnable, true},
		{"DeleteTopicEnable", b.DeleteTopicEnable, true},
		{"SocketRequestMaxBytes", b.SocketRequestMaxBytes, int32(104857600)},
		{"MessageMaxBytes", b.MessageMaxBytes, int32(1048588)},
		{"ReplicaFetchMaxBytes", b.ReplicaFetchMaxBytes, int32(1048576)},
		{"ReplicaFetchWaitMax", b.ReplicaFetchWaitMax, 500 * time.Millisecond},
		{"ReplicaFetchMinBytes", b.ReplicaFetchMinBytes, int32(1)},
		{"ReplicaFetchResponseMaxBytes", b.ReplicaFetchResponseMaxBytes, int32(10485760)},
		{"ReplicaLagTimeMax", b.ReplicaLagTimeMax, 30 * time.Second},
		{"ReplicaHighWatermarkCheckpointInterval", b.ReplicaHighWatermarkCheckpointInterval, 5 * time.Second},
		{"NumRecoveryThreadsPerDataDir", b.NumRecoveryThreadsPerDataDir, 1},
		{"LogRetentionCheckInterval", b.LogRetentionCheckInterval, 5 * time.Minute},
		{"LogFlushOffsetCheckpointInterval", b.LogFlushOffsetCheckpointInterval, time.Minute},
		{"LogFlushStartOffsetCheckpointInterval", b.LogFlushStartOffsetCheckpointInterval, time.Minute},
		{"LogFlushSchedulerInterval", b.LogFlushSchedulerInterval, time.Duration(math.MaxInt64)},
		{"OffsetsTopicNumPartitions", b.OffsetsTopicNumPartitions, int32(50)},
		{"OffsetsTopicReplicationFactor", b.OffsetsTopicReplicationFactor, int16(3)},
		{"OffsetsTopicSegmentBytes", b.OffsetsTopicSegmentBytes, int32(104857600)},
		{"OffsetsRetention", b.OffsetsRetention, 7 * 24 * time.Hour},
		{"OffsetsRetentionCheckInterval", b.OffsetsRetentionCheckInterval, 10 * time.Minute},
		{"GroupInitialRebalanceDelay", b.GroupInitialRebalanceDelay, 3 * time.Second},
		{"GroupMinSessionTimeout", b.GroupMinSessionTimeout, 6 * time.Second},
		{"GroupMaxSessionTimeout", b.GroupMaxSessionTimeout, 30 * time.Minute},
		{"TransactionStateLogNumPartitions", b.TransactionStateLogNumPartitions, int32(50)},
		{"TransactionStateLogReplicationFactor", b.TransactionStateLogReplicationFactor, int16(3)},
		{"TransactionStateLogMinISR", b.TransactionStateLogMinISR, int32(2)},
		{"UncleanLeaderElectionEnable", b.UncleanLeaderElectionEnable, false},
		{"AutoLeaderRebalanceEnable", b.AutoLeaderRebalanceEnable, true},
		{"LeaderImbalanceCheckInterval", b.LeaderImbalanceCheckInterval, 300 * time.Second},
		{"ControlledShutdownEnable", b.ControlledShutdownEnable, true},
		{"ControllerSocketTimeout", b.ControllerSocketTimeout, 30 * time.Second},
		{"RequestTimeout", b.RequestTimeout, 30 * time.Second},
		{"ConnectionsMaxIdle", b.ConnectionsMaxIdle, 10 * time.Minute},
		{"MetricsListen", b.MetricsListen, ""},
		{"Log", b.Log, DefaultLog()},
		{"BrokerIDGenerationEnable", b.BrokerIDGenerationEnable, true},
		{"ReservedBrokerMaxID", b.ReservedBrokerMaxID, int32(1000)},
		{"InterBrokerProtocolVersion", b.InterBrokerProtocolVersion, "2.8-IV1"},
		{"QueuedMaxRequests", b.QueuedMaxRequests, int32(500)},
		{"FetchMaxBytes", b.FetchMaxBytes, int32(57671680)},
		{"NumNetworkThreads", b.NumNetworkThreads, 3},
		{"NumIoThreads", b.NumIoThreads, 8},
		{"NumReplicaFetchers", b.NumReplicaFetchers, 1},
		{"ReplicaFetchBackoff", b.ReplicaFetchBackoff, time.Second},
		{"ReplicaSocketTimeout", b.ReplicaSocketTimeout, 30 * time.Second},
		{"LeaderImbalancePerBrokerPercentage", b.LeaderImbalancePerBrokerPercentage, int32(10)},
		{"ControlledShutdownMaxRetries", b.ControlledShutdownMaxRetries, int32(3)},
		{"ControlledShutdownRetryBackoff", b.ControlledShutdownRetryBackoff, 5 * time.Second},
		{"LogCleanerEnable", b.LogCleanerEnable, true},
		{"GroupMaxSize", b.GroupMaxSize, int32(math.MaxInt32)},
		{"OffsetMetadataMaxBytes", b.OffsetMetadataMaxBytes, int32(4096)},
		{"OffsetsCommitTimeout", b.OffsetsCommitTimeout, 5 * time.Second},
		{"OffsetsCommitRequiredAcks", b.OffsetsCommitRequiredAcks, int16(-1)},
		{"OffsetsLoadBufferSize", b.OffsetsLoadBufferSize, int32(5242880)},
		{"TransactionStateLogSegmentBytes", b.TransactionStateLogSegmentBytes, int32(104857600)},
		{"TransactionStateLogLoadBufferSize", b.TransactionStateLogLoadBufferSize, int32(5242880)},
		{"TransactionMaxTimeout", b.TransactionMaxTimeout, 15 * time.Minute},
		{"TransactionalIDExpiration", b.TransactionalIDExpiration, 7 * 24 * time.Hour},
		{"TransactionAbortTimedOutTransactionCleanupInterval", b.TransactionAbortTimedOutTransactionCleanupInterval, 10 * time.Second},
		{"TransactionRemoveExpiredTransactionCleanupInterval", b.TransactionRemoveExpiredTransactionCleanupInterval, time.Hour},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestDefaultLog(t *testing.T) {
	want := Log{
		SegmentBytes:                    1073741824,
		SegmentMs:                       604800000,
		SegmentJitterMs:                 0,
		SegmentIndexBytes:               10485760,
		FlushMessages:                   math.MaxInt64,
		FlushMs:                         math.MaxInt64,
		RetentionBytes:                  -1,
		RetentionMs:                     604800000,
		MaxMessageBytes:                 1048588,
		IndexIntervalBytes:              4096,
		DeleteRetentionMs:               86400000,
		MinCompactionLagMs:              0,
		MaxCompactionLagMs:              math.MaxInt64,
		FileDeleteDelayMs:               60000,
		MinCleanableDirtyRatio:          0.5,
		CleanupPolicy:                   "delete",
		UncleanLeaderElectionEnable:     false,
		MinInsyncReplicas:               1,
		CompressionType:                 "producer",
		Preallocate:                     false,
		MessageFormatVersion:            "2.8-IV1",
		MessageTimestampType:            "CreateTime",
		MessageTimestampDifferenceMaxMs: math.MaxInt64,
		MessageDownconversionEnable:     true,
	}
	if got := DefaultLog(); got != want {
		t.Fatalf("DefaultLog() =\n%#v\nwant\n%#v", got, want)
	}
}

func TestShippedServerProperties(t *testing.T) {
	p, err := LoadProperties("server.properties")
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 18 {
		t.Errorf("server.properties has %d active keys, want 18: %v", len(p), p)
	}
	b, err := NewBroker(p)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"BrokerID", b.BrokerID, int32(0)},
		{"LogDirs", b.LogDirs, []string{"/tmp/kafka-logs"}},
		{"ZkConnect", b.ZkConnect, "localhost:2181"},
		{"ZkSessionTimeout", b.ZkSessionTimeout, 18 * time.Second},
		{"ZkConnectionTimeout", b.ZkConnectionTimeout, 18 * time.Second},
		{"Listeners", b.Listeners, []Listener{{Name: "PLAINTEXT", Port: 9092}}},
		{"AdvertisedListeners", b.AdvertisedListeners, []Listener{{Name: "PLAINTEXT", Port: 9092}}},
		{"NumPartitions", b.NumPartitions, int32(1)},
		{"NumRecoveryThreadsPerDataDir", b.NumRecoveryThreadsPerDataDir, 1},
		{"SocketRequestMaxBytes", b.SocketRequestMaxBytes, int32(104857600)},
		{"OffsetsTopicReplicationFactor", b.OffsetsTopicReplicationFactor, int16(1)},
		{"TransactionStateLogReplicationFactor", b.TransactionStateLogReplicationFactor, int16(1)},
		{"TransactionStateLogMinISR", b.TransactionStateLogMinISR, int32(1)},
		{"GroupInitialRebalanceDelay", b.GroupInitialRebalanceDelay, time.Duration(0)},
		{"LogRetentionCheckInterval", b.LogRetentionCheckInterval, 300 * time.Second},
		{"Log.RetentionMs", b.Log.RetentionMs, int64(168 * 3600 * 1000)},
		{"Log.SegmentBytes", b.Log.SegmentBytes, int32(1073741824)},
		{"Log.CleanupPolicy", b.Log.CleanupPolicy, "delete"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestShippedZookeeperProperties(t *testing.T) {
	p, err := LoadProperties("zookeeper.properties")
	if err != nil {
		t.Fatal(err)
	}
	want := Properties{
		"dataDir":            "/tmp/zookeeper",
		"clientPort":         "2181",
		"maxClientCnxns":     "0",
		"admin.enableServer": "false",
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("zookeeper.properties = %v, want %v", p, want)
	}
}

func TestNewBrokerPrecedence(t *testing.T) {
	tests := []struct {
		name  string
		props Properties
		check func(b *Broker) (got, want any)
	}{
		{"retention hours", Properties{"log.retention.hours": "1"},
			func(b *Broker) (any, any) { return b.Log.RetentionMs, int64(3600000) }},
		{"retention minutes beat hours", Properties{"log.retention.hours": "1", "log.retention.minutes": "2"},
			func(b *Broker) (any, any) { return b.Log.RetentionMs, int64(120000) }},
		{"retention ms beats minutes and hours", Properties{"log.retention.hours": "1", "log.retention.minutes": "2", "log.retention.ms": "3"},
			func(b *Broker) (any, any) { return b.Log.RetentionMs, int64(3) }},
		{"negative retention is unlimited", Properties{"log.retention.ms": "-5"},
			func(b *Broker) (any, any) { return b.Log.RetentionMs, int64(-1) }},
		{"roll hours", Properties{"log.roll.hours": "2"},
			func(b *Broker) (any, any) { return b.Log.SegmentMs, int64(7200000) }},
		{"roll ms beats hours", Properties{"log.roll.hours": "2", "log.roll.ms": "1000"},
			func(b *Broker) (any, any) { return b.Log.SegmentMs, int64(1000) }},
		{"jitter hours", Properties{"log.roll.jitter.hours": "1"},
			func(b *Broker) (any, any) { return b.Log.SegmentJitterMs, int64(3600000) }},
		{"jitter ms beats hours", Properties{"log.roll.jitter.hours": "1", "log.roll.jitter.ms": "5"},
			func(b *Broker) (any, any) { return b.Log.SegmentJitterMs, int64(5) }},
		{"flush ms falls back to scheduler interval", Properties{"log.flush.scheduler.interval.ms": "2000"},
			func(b *Broker) (any, any) { return b.Log.FlushMs, int64(2000) }},
		{"flush ms explicit", Properties{"log.flush.scheduler.interval.ms": "2000", "log.flush.interval.ms": "10"},
			func(b *Broker) (any, any) { return b.Log.FlushMs, int64(10) }},
		{"log.dir", Properties{"log.dir": "/data/a"},
			func(b *Broker) (any, any) { return b.LogDirs, []string{"/data/a"} }},
		{"empty log.dirs entries dropped", Properties{"log.dirs": "/a,,/b,"},
			func(b *Broker) (any, any) { return b.LogDirs, []string{"/a", "/b"} }},
		{"log.dirs beats log.dir", Properties{"log.dir": "/data/a", "log.dirs": "/data/b, /data/c"},
			func(b *Broker) (any, any) { return b.LogDirs, []string{"/data/b", "/data/c"} }},
		{"connection timeout explicit", Properties{"zookeeper.session.timeout.ms": "6000", "zookeeper.connection.timeout.ms": "1000"},
			func(b *Broker) (any, any) { return b.ZkConnectionTimeout, time.Second }},
		{"connection timeout follows session", Properties{"zookeeper.session.timeout.ms": "6000"},
			func(b *Broker) (any, any) { return b.ZkConnectionTimeout, 6 * time.Second }},
		{"deprecated port and host.name", Properties{"port": "9999", "host.name": "h1"},
			func(b *Broker) (any, any) { return b.Listeners, []Listener{{"PLAINTEXT", "h1", 9999}} }},
		{"listeners beat port", Properties{"port": "9999", "listeners": "PLAINTEXT://:1234"},
			func(b *Broker) (any, any) { return b.Listeners, []Listener{{"PLAINTEXT", "", 1234}} }},
		{"advertised defaults to listeners", Properties{"listeners": "PLAINTEXT://myhost:1234"},
			func(b *Broker) (any, any) { return b.AdvertisedListeners, []Listener{{"PLAINTEXT", "myhost", 1234}} }},
		{"advertised explicit", Properties{"listeners": "PLAINTEXT://:1234", "advertised.listeners": "PLAINTEXT://pub:4321"},
			func(b *Broker) (any, any) { return b.AdvertisedListeners, []Listener{{"PLAINTEXT", "pub", 4321}} }},
		{"deprecated advertised host", Properties{"port": "9999", "advertised.host.name": "pub"},
			func(b *Broker) (any, any) { return b.AdvertisedListeners, []Listener{{"PLAINTEXT", "pub", 9999}} }},
		{"inter broker listener name", Properties{
			"listeners":                      "INTERNAL://:9092,EXTERNAL://:9093",
			"listener.security.protocol.map": "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
			"inter.broker.listener.name":     "internal"},
			func(b *Broker) (any, any) { return b.InterBrokerListenerName, "INTERNAL" }},
		{"broker compression.type ignores case", Properties{"compression.type": "LZ4"},
			func(b *Broker) (any, any) { return b.Log.CompressionType, "lz4" }},
		{"metrics listen", Properties{"kafka.metrics.prometheus.listen": ":9404"},
			func(b *Broker) (any, any) { return b.MetricsListen, ":9404" }},
		{"values are trimmed", Properties{"num.partitions": "  3  ", "auto.create.topics.enable": " FALSE "},
			func(b *Broker) (any, any) {
				return []any{b.NumPartitions, b.AutoCreateTopicsEnable}, []any{int32(3), false}
			}},
		{"broker log keys reach Log", Properties{"log.segment.bytes": "1024", "log.cleanup.policy": "compact , delete",
			"message.max.bytes": "2000", "min.insync.replicas": "2", "compression.type": "lz4", "log.message.timestamp.type": "LogAppendTime"},
			func(b *Broker) (any, any) {
				return []any{b.Log.SegmentBytes, b.Log.CleanupPolicy, b.Log.MaxMessageBytes, b.Log.MinInsyncReplicas, b.Log.CompressionType, b.Log.MessageTimestampType},
					[]any{int32(1024), "compact,delete", int32(2000), int32(2), "lz4", "LogAppendTime"}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustBroker(t, tt.props)
			got, want := tt.check(b)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v, want %#v", got, want)
			}
		})
	}
}

func TestNewBrokerErrors(t *testing.T) {
	tests := []struct {
		name  string
		props Properties
		want  string
	}{
		{"missing zookeeper.connect", Properties{"broker.id": "0"},
			"config: invalid config: Missing required configuration `zookeeper.connect` which has no default value."},
		{"int not a number", Properties{"num.partitions": "abc"},
			"config: invalid config: Invalid value abc for configuration num.partitions: Not a number of type INT"},
		{"int overflow", Properties{"broker.id": "3000000000"},
			"config: invalid config: Invalid value 3000000000 for configuration broker.id: Not a number of type INT"},
		{"long not a number", Properties{"log.retention.ms": "1h"},
			"config: invalid config: Invalid value 1h for configuration log.retention.ms: Not a number of type LONG"},
		{"short out of range", Properties{"offsets.topic.replication.factor": "70000"},
			"config: invalid config: Invalid value 70000 for configuration offsets.topic.replication.factor: Not a number of type SHORT"},
		{"boolean", Properties{"delete.topic.enable": "yes"},
			"config: invalid config: Invalid value yes for configuration delete.topic.enable: Expected value to be either true or false"},
		{"double", Properties{"log.cleaner.min.cleanable.ratio": "half"},
			"config: invalid config: Invalid value half for configuration log.cleaner.min.cleanable.ratio: Not a number of type DOUBLE"},
		{"at least", Properties{"num.partitions": "0"},
			"config: invalid config: Invalid value 0 for configuration num.partitions: Value must be at least 1"},
		{"segment bytes minimum", Properties{"log.segment.bytes": "13"},
			"config: invalid config: Invalid value 13 for configuration log.segment.bytes: Value must be at least 14"},
		{"string choice", Properties{"compression.type": "brotli"},
			"config: invalid config: requirement failed: compression.type : brotli is not valid. Valid options are uncompressed,zstd,lz4,snappy,gzip,producer"},
		{"list choice", Properties{"log.cleanup.policy": "delete,forever"},
			"config: invalid config: Invalid value forever for configuration log.cleanup.policy: String must be one of: compact, delete"},
		{"bad version", Properties{"log.message.format.version": "9.9"},
			"config: invalid config: Invalid value 9.9 for configuration log.message.format.version: Version `9.9` is not a valid version"},
		{"broker id below -1", Properties{"broker.id": "-2"},
			"config: invalid config: requirement failed: broker.id must be greater than or equal to -1 and not greater than reserved.broker.max.id"},
		{"broker id above reserved", Properties{"broker.id": "1001"},
			"config: invalid config: requirement failed: broker.id must be greater than or equal to -1 and not greater than reserved.broker.max.id"},
		{"zero retention", Properties{"log.retention.ms": "0"},
			"config: invalid config: requirement failed: log.retention.ms must be unlimited (-1) or, greater than or equal to 1"},
		{"zero roll", Properties{"log.roll.ms": "0"},
			"config: invalid config: requirement failed: log.roll.ms must be greater than or equal to 1"},
		{"empty log dirs", Properties{"log.dirs": " "},
			"config: invalid config: requirement failed: At least one log directory must be defined via log.dirs or log.dir."},
		{"malformed listener", Properties{"listeners": "PLAINTEXT:9092"},
			"config: invalid config: Error creating broker listeners from 'PLAINTEXT:9092': Unable to parse PLAINTEXT:9092 to a broker endpoint"},
		{"unknown listener protocol", Properties{"listeners": "FOO://:9092"},
			"config: invalid config: Error creating broker listeners from 'FOO://:9092': No security protocol defined for listener FOO"},
		{"duplicate listener port", Properties{"listeners": "PLAINTEXT://:9092,SSL://:9092"},
			"config: invalid config: requirement failed: Each listener must have a different port, listeners: PLAINTEXT://:9092,SSL://:9092"},
		{"advertised meta address", Properties{"advertised.listeners": "PLAINTEXT://0.0.0.0:9092"},
			"config: invalid config: requirement failed: advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address."},
		{"inter broker listener not advertised", Properties{"listeners": "SSL://:9093"},
			"config: invalid config: requirement failed: inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are SSL"},
		{"both inter broker keys", Properties{"inter.broker.listener.name": "PLAINTEXT", "security.inter.broker.protocol": "PLAINTEXT"},
			"config: invalid config: Only one of inter.broker.listener.name and security.inter.broker.protocol should be set."},
		{"fetch wait above lag time", Properties{"replica.fetch.wait.max.ms": "20000", "replica.lag.time.max.ms": "10000"},
			"config: invalid config: requirement failed: replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent changes in ISR"},
		{"dedupe buffer too small", Properties{"log.cleaner.dedupe.buffer.size": "1048576"},
			"config: invalid config: requirement failed: log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread."},
		{"bad protocol map", Properties{"listener.security.protocol.map": "PLAINTEXT"},
			"config: invalid config: Error parsing configuration property 'listener.security.protocol.map': entry 'PLAINTEXT' is not of the form listener:protocol"},
		{"bad protocol in map", Properties{"listener.security.protocol.map": "PLAINTEXT:TLS"},
			"config: invalid config: Invalid security protocol `TLS` defined in listener.security.protocol.map"},
		{"advertised name not a listener", Properties{"listeners": "PLAINTEXT://:9092", "advertised.listeners": "PLAINTEXT://h:9092,SSL://h:9093"},
			"config: invalid config: requirement failed: advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found PLAINTEXT,SSL. The valid options based on the current configuration are PLAINTEXT"},
		{"inter broker name not in map", Properties{"inter.broker.listener.name": "internal"},
			"config: invalid config: Listener with name INTERNAL defined in inter.broker.listener.name not found in listener.security.protocol.map."},
		{"negative jitter", Properties{"log.roll.jitter.ms": "-1"},
			"config: invalid config: requirement failed: log.roll.jitter.ms must be greater than or equal to 0"},
		{"commit acks above offsets rf", Properties{"offsets.commit.required.acks": "4"},
			"config: invalid config: requirement failed: offsets.commit.required.acks must be greater or equal -1 and less or equal to offsets.topic.replication.factor"},
		{"bad value reported untrimmed", Properties{"num.partitions": " x "},
			"config: invalid config: Invalid value  x  for configuration num.partitions: Not a number of type INT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.props
			if tt.name != "missing zookeeper.connect" {
				p["zookeeper.connect"] = "localhost:2181"
			}
			_, err := NewBroker(p)
			if err == nil {
				t.Fatalf("NewBroker(%v) succeeded, want %q", p, tt.want)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error %v does not wrap ErrInvalidConfig", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error =\n%s\nwant\n%s", err, tt.want)
			}
			if m := Message(err); m != strings.TrimPrefix(tt.want, "config: invalid config: ") {
				t.Errorf("Message(err) = %q", m)
			}
			if j := JavaException(err); !strings.HasSuffix(j, ": "+Message(err)) || !strings.Contains(j, "Exception") {
				t.Errorf("JavaException(err) = %q", j)
			}
		})
	}
}

func TestParseListeners(t *testing.T) {
	tests := []struct {
		in      string
		want    []Listener
		wantErr string
	}{
		{in: "PLAINTEXT://:9092", want: []Listener{{"PLAINTEXT", "", 9092}}},
		{in: "PLAINTEXT://host:9092,SSL://:9093", want: []Listener{{"PLAINTEXT", "host", 9092}, {"SSL", "", 9093}}},
		{in: " plaintext://h:1 , ssl://h:2 ", want: []Listener{{"PLAINTEXT", "h", 1}, {"SSL", "h", 2}}},
		{in: "PLAINTEXT://[::1]:9092", want: []Listener{{"PLAINTEXT", "::1", 9092}}},
		{in: "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0", want: []Listener{{"PLAINTEXT", "127.0.0.1", 0}, {"SSL", "127.0.0.1", 0}}},
		{in: "", want: nil},
		{in: "PLAINTEXT://host", wantErr: "Error creating broker listeners from 'PLAINTEXT://host': Unable to parse PLAINTEXT://host to a broker endpoint"},
		{in: "host:9092", wantErr: "Error creating broker listeners from 'host:9092': Unable to parse host:9092 to a broker endpoint"},
		{in: "://host:9092", wantErr: "Error creating broker listeners from '://host:9092': Unable to parse ://host:9092 to a broker endpoint"},
		{in: "PLAINTEXT://host:port", wantErr: "Error creating broker listeners from 'PLAINTEXT://host:port': Unable to parse PLAINTEXT://host:port to a broker endpoint"},
		{in: "PLAINTEXT://host:70000", wantErr: "Error creating broker listeners from 'PLAINTEXT://host:70000': Unable to parse PLAINTEXT://host:70000 to a broker endpoint"},
		{in: "PLAINTEXT://a b:1", wantErr: "Error creating broker listeners from 'PLAINTEXT://a b:1': Unable to parse PLAINTEXT://a b:1 to a broker endpoint"},
		{in: "PLAINTEXT://:1,PLAINTEXT://:2", wantErr: "requirement failed: Each listener must have a different name, listeners: PLAINTEXT://:1,PLAINTEXT://:2"},
	}
	for _, tt := range tests {
		got, err := ParseListeners(tt.in)
		if tt.wantErr != "" {
			if err == nil || Message(err) != tt.wantErr || !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("ParseListeners(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseListeners(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
}

func TestListenerString(t *testing.T) {
	for l, want := range map[Listener]string{
		{"PLAINTEXT", "", 9092}:    "PLAINTEXT://:9092",
		{"SSL", "host", 9093}:      "SSL://host:9093",
		{"PLAINTEXT", "::1", 9092}: "PLAINTEXT://[::1]:9092",
	} {
		if got := l.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", l, got, want)
		}
	}
}

func TestNewBrokerKeepsProps(t *testing.T) {
	p := Properties{"zookeeper.connect": "zk:2181/kafka", "custom.key": "x"}
	b, err := NewBroker(p)
	if err != nil {
		t.Fatal(err)
	}
	if b.Props["custom.key"] != "x" || b.ZkConnect != "zk:2181/kafka" {
		t.Fatalf("Props = %v, ZkConnect = %q", b.Props, b.ZkConnect)
	}
}

func TestMsDurationSaturates(t *testing.T) {
	if got := msDuration(math.MaxInt64); got != time.Duration(math.MaxInt64) {
		t.Errorf("msDuration(MaxInt64) = %v", got)
	}
	if got := msDuration(1500); got != 1500*time.Millisecond {
		t.Errorf("msDuration(1500) = %v", got)
	}
}

func TestPropertiesWithOverrides(t *testing.T) {
	p := Properties{"broker.id": "0", "log.dirs": "/a"}
	got := p.WithOverrides([]string{"broker.id=1", "listeners=PLAINTEXT://:0", "x.y=a=b", "empty"})
	want := Properties{"broker.id": "1", "log.dirs": "/a", "listeners": "PLAINTEXT://:0", "x.y": "a=b", "empty": ""}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("WithOverrides = %v", got)
	}
	if p["broker.id"] != "0" {
		t.Fatal("WithOverrides modified the original")
	}
}

func TestInternalTopicConfigs(t *testing.T) {
	b := mustBroker(t, Properties{"transaction.state.log.min.isr": "1", "offsets.topic.segment.bytes": "1000"})
	for _, tc := range []struct {
		got, want map[string]string
	}{
		{b.OffsetsTopicConfigs(), map[string]string{"cleanup.policy": "compact", "segment.bytes": "1000", "compression.type": "producer"}},
		{b.TransactionTopicConfigs(), map[string]string{"cleanup.policy": "compact", "compression.type": "uncompressed",
			"min.insync.replicas": "1", "segment.bytes": "104857600", "unclean.leader.election.enable": "false"}},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("got %v, want %v", tc.got, tc.want)
		}
		if err := ValidateTopicConfigs(tc.got); err != nil {
			t.Errorf("internal topic configs do not validate: %v", err)
		}
	}
}

func TestSaturation(t *testing.T) {
	b := mustBroker(t, Properties{
		"leader.imbalance.check.interval.seconds": "9223372036854775807",
		"log.retention.minutes":                   "-2147483648",
	})
	if b.LeaderImbalanceCheckInterval != time.Duration(math.MaxInt64) {
		t.Errorf("LeaderImbalanceCheckInterval = %v", b.LeaderImbalanceCheckInterval)
	}
	if b.Log.RetentionMs != -1 {
		t.Errorf("RetentionMs = %d", b.Log.RetentionMs)
	}
	if got := saturatingMul(math.MinInt64/2, 3); got != math.MinInt64 {
		t.Errorf("saturatingMul underflow = %d", got)
	}
}

func TestHelpers(t *testing.T) {
	b := mustBroker(t, Properties{
		"listeners":                           "INTERNAL://:9092,CLIENT://:9093",
		"listener.security.protocol.map":      "INTERNAL:PLAINTEXT,CLIENT:SSL",
		"inter.broker.listener.name":          "INTERNAL",
		"transaction.state.log.segment.bytes": " 2000 ",
	})
	if b.SecurityProtocol("client") != "SSL" || b.SecurityProtocol("nope") != "" {
		t.Errorf("SecurityProtocol: client=%q nope=%q", b.SecurityProtocol("client"), b.SecurityProtocol("nope"))
	}
	if b.TransactionTopicConfigs()["segment.bytes"] != "2000" {
		t.Errorf("transaction segment.bytes = %q", b.TransactionTopicConfigs()["segment.bytes"])
	}
	if !IsTopicConfig("retention.ms") || IsTopicConfig("log.retention.ms") {
		t.Error("IsTopicConfig")
	}
	if BrokerSynonym("retention.ms") != "log.retention.ms" || BrokerSynonym("leader.replication.throttled.replicas") != "" || BrokerSynonym("x") != "" {
		t.Error("BrokerSynonym")
	}
	if JavaException(errors.New("plain")) != "plain" {
		t.Error("JavaException of a non-config error")
	}
	if _, err := NewBroker(Properties{"num.partitions": "x"}); JavaException(err) != "org.apache.kafka.common.config.ConfigException: Invalid value x for configuration num.partitions: Not a number of type INT" {
		t.Errorf("JavaException = %q", JavaException(err))
	}
	if _, err := NewBroker(Properties{"zookeeper.connect": "zk", "log.roll.ms": "0"}); JavaException(err) != "java.lang.IllegalArgumentException: requirement failed: log.roll.ms must be greater than or equal to 1" {
		t.Errorf("JavaException = %q", JavaException(err))
	}
	if Message(errors.New("plain")) != "plain" {
		t.Error("Message of a non-config error")
	}
	if len(brokerKeyIndex) != len(brokerKeys) {
		t.Error("BrokerConfigNames has duplicates or gaps")
	}
}
