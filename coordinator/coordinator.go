package coordinator

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafka-classic/kafka-classic/config"
)

// Record is one key/value record of a __consumer_offsets batch. A nil Value is a tombstone.
type Record struct {
	Key, Value []byte
}

// Storage is the broker's view of the __consumer_offsets partition logs.
//
// Append writes the records as one non-transactional v2 batch to the partition this broker leads
// and returns once it is durable under acks=-1 (on a single broker: after the local append).
// Errors may wrap a *kerr.Error (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, MESSAGE_TOO_LARGE,
// ...) so the coordinator can map them the way Kafka does; other errors become
// COORDINATOR_NOT_AVAILABLE.
//
// Load reads the partition from its log start to its end, calling fn for every record of committed
// data (aborted transactional records must be skipped by the implementation).
//
// Implementations must not call back into the Coordinator: group locks are held across Append so
// that the log order of a group's records matches the order they are applied in memory.
type Storage interface {
	Append(ctx context.Context, partition int32, records []Record) error
	Load(ctx context.Context, partition int32, fn func(key, value []byte) error) error
}

// Config holds the group.* and offsets.* settings (KafkaConfig) the coordinator uses. Zero
// values take DefaultConfig's, except InitialRebalanceDelay and MinSessionTimeout, where zero is
// a meaningful setting (the shipped server.properties sets the delay to 0).
type Config struct {
	BrokerID                      int32
	NumPartitions                 int32         // partitions of __consumer_offsets
	InitialRebalanceDelay         time.Duration // group.initial.rebalance.delay.ms
	MinSessionTimeout             time.Duration // group.min.session.timeout.ms
	MaxSessionTimeout             time.Duration // group.max.session.timeout.ms
	MaxGroupSize                  int           // group.max.size
	OffsetMetadataMaxBytes        int           // offset.metadata.max.bytes
	OffsetsRetention              time.Duration // offsets.retention.minutes
	OffsetsRetentionCheckInterval time.Duration // offsets.retention.check.interval.ms
	OffsetCommitTimeout           time.Duration // offsets.commit.timeout.ms: bound on each Append
	// Clock is the time source; nil means the system clock.
	Clock Clock
}

// DefaultConfig returns Kafka 2.8's defaults.
func DefaultConfig() Config {
	return Config{
		NumPartitions:                 50,
		InitialRebalanceDelay:         3 * time.Second,
		MinSessionTimeout:             6 * time.Second,
		MaxSessionTimeout:             30 * time.Minute,
		MaxGroupSize:                  2147483647,
		OffsetMetadataMaxBytes:        4096,
		OffsetsRetention:              7 * 24 * time.Hour,
		OffsetsRetentionCheckInterval: 10 * time.Minute,
		OffsetCommitTimeout:           5 * time.Second,
	}
}

// ConfigFromBroker derives the coordinator's settings from the broker config. numPartitions is
// the actual partition count of __consumer_offsets when the topic exists (Kafka reads it from ZK),
// else pass b.OffsetsTopicNumPartitions.
func ConfigFromBroker(b *config.Broker, numPartitions int32) Config {
	c := DefaultConfig()
	c.BrokerID = b.BrokerID
	c.NumPartitions = numPartitions
	c.InitialRebalanceDelay = b.GroupInitialRebalanceDelay
	c.MinSessionTimeout = b.GroupMinSessionTimeout
	c.MaxSessionTimeout = b.GroupMaxSessionTimeout
	c.OffsetsRetention = b.OffsetsRetention
	c.OffsetsRetentionCheckInterval = b.OffsetsRetentionCheckInterval
	if v, err := strconv.Atoi(b.Props["group.max.size"]); err == nil && v > 0 {
		c.MaxGroupSize = v
	}
	if v, err := strconv.Atoi(b.Props["offset.metadata.max.bytes"]); err == nil && v >= 0 {
		c.OffsetMetadataMaxBytes = v
	}
	if v, err := strconv.Atoi(b.Props["offsets.commit.timeout.ms"]); err == nil && v > 0 {
		c.OffsetCommitTimeout = time.Duration(v) * time.Millisecond
	}
	return c
}

// newMemberJoinTimeout bounds how long a brand-new member may sit in a rebalance (Kafka's
// NewMemberJoinTimeoutMs) since it cannot heartbeat before it learns its member id.
const newMemberJoinTimeout = 5 * time.Minute

// partitionState marks an owned offsets partition. Each election makes a new one, and a load only
// installs its groups if its partitionState is still the current one (no resignation meanwhile).
type partitionState struct {
	loading bool
}

// Coordinator is GroupCoordinator plus GroupMetadataManager for the partitions this broker leads.
type Coordinator struct {
	cfg   Config
	store Storage
	log   zerolog.Logger
	clock Clock

	ctx    context.Context
	cancel context.CancelFunc
	loads  sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	partitions map[int32]*partitionState
	groups     map[string]*group
	retention  Timer
}

// New returns a coordinator that owns no partitions yet; OnElection hands it partitions.
func New(cfg Config, store Storage, log zerolog.Logger) *Coordinator {
	d := DefaultConfig()
	if cfg.NumPartitions <= 0 {
		cfg.NumPartitions = d.NumPartitions
	}
	if cfg.MaxSessionTimeout <= 0 {
		cfg.MaxSessionTimeout = d.MaxSessionTimeout
	}
	if cfg.MaxGroupSize <= 0 {
		cfg.MaxGroupSize = d.MaxGroupSize
	}
	if cfg.OffsetMetadataMaxBytes <= 0 {
		cfg.OffsetMetadataMaxBytes = d.OffsetMetadataMaxBytes
	}
	if cfg.OffsetsRetention <= 0 {
		cfg.OffsetsRetention = d.OffsetsRetention
	}
	if cfg.OffsetsRetentionCheckInterval <= 0 {
		cfg.OffsetsRetentionCheckInterval = d.OffsetsRetentionCheckInterval
	}
	if cfg.OffsetCommitTimeout <= 0 {
		cfg.OffsetCommitTimeout = d.OffsetCommitTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	c := &Coordinator{
		cfg:        cfg,
		store:      store,
		log:        log,
		clock:      cfg.Clock,
		partitions: map[int32]*partitionState{},
		groups:     map[string]*group{},
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.logf(zerolog.InfoLevel, "Starting up.")
	c.retention = c.clock.AfterFunc(cfg.OffsetsRetentionCheckInterval, c.retentionTick)
	c.logf(zerolog.InfoLevel, "Startup complete.")
	return c
}

// logf writes a GroupCoordinator line, prefixed as Kafka's logIdent does ("[GroupCoordinator 0]: ").
func (c *Coordinator) logf(level zerolog.Level, format string, args ...interface{}) {
	c.log.WithLevel(level).Str(loggerField, "kafka.coordinator.group.GroupCoordinator").
		Msgf("[GroupCoordinator %d]: "+format, append([]interface{}{c.cfg.BrokerID}, args...)...)
}

// mgrf writes a GroupMetadataManager line ("[GroupMetadataManager brokerId=0] ").
func (c *Coordinator) mgrf(level zerolog.Level, format string, args ...interface{}) {
	c.log.WithLevel(level).Str(loggerField, "kafka.coordinator.group.GroupMetadataManager").
		Msgf("[GroupMetadataManager brokerId=%d] "+format, append([]interface{}{c.cfg.BrokerID}, args...)...)
}

// loggerField matches the broker's log layout, which prints it as log4j's "(%c)".
const loggerField = "logger"

func (c *Coordinator) now() time.Time { return c.clock.Now() }

// Close unloads every group, failing parked requests with NOT_COORDINATOR, and stops the timers.
func (c *Coordinator) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.logf(zerolog.InfoLevel, "Shutting down.")
	c.closed = true
	stopTimer(c.retention)
	groups := make([]*group, 0, len(c.groups))
	for _, g := range c.groups {
		groups = append(groups, g)
	}
	c.groups = map[string]*group{}
	c.partitions = map[int32]*partitionState{}
	c.mu.Unlock()
	c.cancel()
	c.loads.Wait()
	for _, g := range groups {
		g.mu.Lock()
		c.unloadLocked(g)
		g.mu.Unlock()
	}
	c.logf(zerolog.InfoLevel, "Shutdown complete.")
}

// Owns reports whether this broker coordinates groupID: 0 when it does and the partition is
// loaded, else COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE.
func (c *Coordinator) Owns(groupID string) (bool, int16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	code := c.statusLocked(groupID)
	return code == 0, code
}

// PartitionFor is PartitionFor with this coordinator's partition count.
func (c *Coordinator) PartitionFor(groupID string) int32 {
	return PartitionFor(groupID, c.cfg.NumPartitions)
}

func (c *Coordinator) statusLocked(groupID string) int16 {
	if c.closed {
		return kerr.CoordinatorNotAvailable.Code
	}
	ps := c.partitions[c.PartitionFor(groupID)]
	switch {
	case ps == nil:
		return kerr.NotCoordinator.Code
	case ps.loading:
		return kerr.CoordinatorLoadInProgress.Code
	}
	return 0
}

// lookup is validateGroupStatus followed by getGroup / getOrMaybeCreateGroup. emptyIDOK is true for
// the APIs Kafka lets address the empty group id (offset commit/fetch, describe, delete).
func (c *Coordinator) lookup(groupID string, emptyIDOK, create bool) (*group, int16) {
	if groupID == "" && !emptyIDOK {
		return nil, kerr.InvalidGroupID.Code
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if code := c.statusLocked(groupID); code != 0 {
		return nil, code
	}
	g := c.groups[groupID]
	if g == nil && create {
		g = newGroup(groupID, c.PartitionFor(groupID), c.now())
		c.groups[groupID] = g
	}
	return g, 0
}

// groupsOf snapshots the cached groups, optionally of one partition only (-1 = all).
func (c *Coordinator) groupsOf(partition int32) []*group {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*group, 0, len(c.groups))
	for _, g := range c.groups {
		if partition < 0 || g.partition == partition {
			out = append(out, g)
		}
	}
	return out
}

// append writes records to the group's partition, bounded by offsets.commit.timeout.ms.
func (c *Coordinator) append(g *group, records []Record) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.OffsetCommitTimeout)
	defer cancel()
	return c.store.Append(ctx, g.partition, records)
}

// appendErrorCode maps a Storage error to what Kafka answers for group metadata writes
// (storeGroup) or offset commits (storeOffsets).
func appendErrorCode(err error, forCommit bool) int16 {
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		if errors.Is(err, context.DeadlineExceeded) {
			ke = kerr.RequestTimedOut
		} else {
			return kerr.CoordinatorNotAvailable.Code
		}
	}
	switch ke {
	case kerr.UnknownTopicOrPartition, kerr.NotEnoughReplicas, kerr.NotEnoughReplicasAfterAppend:
		return kerr.CoordinatorNotAvailable.Code
	case kerr.NotLeaderForPartition, kerr.KafkaStorageError:
		return kerr.NotCoordinator.Code
	case kerr.MessageTooLarge, kerr.RecordListTooLarge, kerr.InvalidFetchSize:
		if forCommit {
			return kerr.InvalidCommitOffsetSize.Code
		}
		return kerr.UnknownServerError.Code
	case kerr.RequestTimedOut:
		if !forCommit {
			return kerr.RebalanceInProgress.Code
		}
	}
	return ke.Code
}

// storeGroup persists the group's metadata with the given assignments (GroupMetadataManager.storeGroup).
func (c *Coordinator) storeGroup(g *group, assignment map[string][]byte) int16 {
	rec := Record{Key: EncodeGroupKey(g.id), Value: EncodeGroupValue(g.metadataValue(assignment))}
	if err := c.append(g, []Record{rec}); err != nil {
		code := appendErrorCode(err, false)
		c.logf(zerolog.WarnLevel, "Failed to write group metadata for group %s: %v (%v)", g.id, kerr.ErrorForCode(code), err)
		return code
	}
	return 0
}
