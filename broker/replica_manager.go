package broker

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/kafka-classic/kafka-classic/config"
	"github.com/kafka-classic/kafka-classic/logstore"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
)

// ReplicaManager mirrors kafka.server.ReplicaManager: the partitions this broker hosts, their
// leadership as the controller last decided, and the produce/fetch paths into their logs.
type ReplicaManager struct {
	localID int32
	logs    *logstore.Manager
	log     zerolog.Logger
	state   zerolog.Logger // state-change log

	// topicConfig resolves a topic's effective log config (broker defaults + ZK overrides).
	topicConfig func(topic string) config.Log
	// leadershipHook tells the group coordinator about __consumer_offsets leadership moves.
	leadershipHook func(tp logstore.TopicPartition, leader bool)

	controllerEpoch atomic.Int32

	mu         sync.RWMutex
	partitions map[logstore.TopicPartition]*Partition
}

func newReplicaManager(localID int32, logs *logstore.Manager, log zerolog.Logger) *ReplicaManager {
	rm := &ReplicaManager{
		localID:    localID,
		logs:       logs,
		log:        log.With().Str(LoggerField, "kafka.server.ReplicaManager").Logger(),
		state:      log.With().Str(LoggerField, "state.change.logger").Logger(),
		partitions: map[logstore.TopicPartition]*Partition{},
	}
	rm.controllerEpoch.Store(-1)
	return rm
}

func (rm *ReplicaManager) partition(tp logstore.TopicPartition) *Partition {
	rm.mu.RLock()
	defer rm.mu.RUnlock()
	return rm.partitions[tp]
}

func (rm *ReplicaManager) getOrCreatePartition(tp logstore.TopicPartition) *Partition {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	p, ok := rm.partitions[tp]
	if !ok {
		p = &Partition{tp: tp, localID: rm.localID, leader: -1, leaderEpoch: -1, zkVersion: -1, followers: map[int32]*followerState{}}
		rm.partitions[tp] = p
	}
	return p
}

func (rm *ReplicaManager) removePartition(tp logstore.TopicPartition) *Partition {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	p := rm.partitions[tp]
	delete(rm.partitions, tp)
	return p
}

// allPartitions returns a snapshot sorted by topic and partition.
func (rm *ReplicaManager) allPartitions() []*Partition {
	rm.mu.RLock()
	out := make([]*Partition, 0, len(rm.partitions))
	for _, p := range rm.partitions {
		out = append(out, p)
	}
	rm.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].tp.Topic != out[j].tp.Topic {
			return out[i].tp.Topic < out[j].tp.Topic
		}
		return out[i].tp.Partition < out[j].tp.Partition
	})
	return out
}

// leaderPartition returns the partition if this broker leads it, with the Kafka error otherwise.
// knownTopic tells whether the cluster knows the topic (NOT_LEADER vs UNKNOWN_TOPIC).
func (rm *ReplicaManager) leaderPartition(tp logstore.TopicPartition, knownTopic bool) (*Partition, *kerr.Error) {
	p := rm.partition(tp)
	if p == nil {
		if knownTopic {
			return nil, kerr.NotLeaderForPartition
		}
		return nil, kerr.UnknownTopicOrPartition
	}
	p.mu.RLock()
	leader := p.isLeaderLocked()
	p.mu.RUnlock()
	if !leader {
		return nil, kerr.NotLeaderForPartition
	}
	return p, nil
}

// leaderView is a consistent snapshot of a led partition for one request.
type leaderView struct {
	p     *Partition
	epoch int32
	log   *logstore.Log
}

// leaderFor resolves a partition this broker must lead and fences the client's view of the
// leader epoch (-1 = no fencing): an older epoch is FENCED_LEADER_EPOCH, a newer one means this
// broker has not caught up yet (UNKNOWN_LEADER_EPOCH).
func (rm *ReplicaManager) leaderFor(tp logstore.TopicPartition, knownTopic bool, currentLeaderEpoch int32) (leaderView, *kerr.Error) {
	p, kErr := rm.leaderPartition(tp, knownTopic)
	if kErr != nil {
		return leaderView{}, kErr
	}
	p.mu.RLock()
	v := leaderView{p: p, epoch: p.leaderEpoch, log: p.log}
	p.mu.RUnlock()
	switch {
	case currentLeaderEpoch < 0 || currentLeaderEpoch == v.epoch:
		return v, nil
	case currentLeaderEpoch < v.epoch:
		return leaderView{}, kerr.FencedLeaderEpoch
	default:
		return leaderView{}, kerr.UnknownLeaderEpoch
	}
}

// errorCodeFor maps storage errors to Kafka error codes.
func errorCodeFor(err error) *kerr.Error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, logstore.ErrRecordListTooLarge):
		return kerr.RecordListTooLarge
	case errors.Is(err, logstore.ErrInvalidTimestamp):
		return kerr.InvalidTimestamp
	case errors.Is(err, logstore.ErrInvalidTxnState):
		return kerr.InvalidTxnState
	case errors.Is(err, logstore.ErrOffsetOutOfRange):
		return kerr.OffsetOutOfRange
	case errors.Is(err, logstore.ErrCorruptMessage):
		return kerr.CorruptMessage
	case errors.Is(err, logstore.ErrInvalidRecord):
		return kerr.InvalidRecord
	case errors.Is(err, logstore.ErrRecordTooLarge):
		return kerr.MessageTooLarge
	case errors.Is(err, logstore.ErrOutOfOrderSequence):
		return kerr.OutOfOrderSequenceNumber
	case errors.Is(err, logstore.ErrInvalidProducerEpoch):
		return kerr.InvalidProducerEpoch
	case errors.Is(err, logstore.ErrUnknownProducerID):
		return kerr.UnknownProducerID
	case errors.Is(err, logstore.ErrUnsupportedMagic):
		return kerr.UnsupportedForMessageFormat
	case errors.Is(err, logstore.ErrClosed):
		return kerr.NotLeaderForPartition
	}
	return kerr.KafkaStorageError
}
