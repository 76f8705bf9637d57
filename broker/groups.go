package broker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kafka-classic/kafka-classic/coordinator"
	"github.com/kafka-classic/kafka-classic/logstore"
	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/kafka-classic/kafka-classic/zkmeta"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// offsetsStorage lets the group coordinator read and write __consumer_offsets through this
// broker's partition logs (GroupMetadataManager's use of ReplicaManager).
type offsetsStorage struct{ s *Server }

// Append writes the records as one batch and waits for the high watermark to cover it, as
// offsets.commit.required.acks=-1 asks.
func (o offsetsStorage) Append(ctx context.Context, partition int32, records []coordinator.Record) error {
	s := o.s
	tp := logstore.TopicPartition{Topic: offsetsTopic, Partition: partition}
	p, kErr := s.replicas.leaderPartition(tp, true)
	if kErr != nil {
		return kErr
	}
	kvs := make([]kv, len(records))
	for i, r := range records {
		kvs[i] = kv{Key: r.Key, Value: r.Value}
	}
	res, kErr := s.appendToLeader(p, buildBatch(kvs, time.Now().UnixMilli()), -1)
	if kErr != nil {
		return kErr
	}
	w := newWaiter()
	p.addWaiter(w)
	defer p.removeWaiter(w)
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for {
		p.mu.RLock()
		leader := p.isLeaderLocked()
		hw := int64(-1)
		if p.log != nil {
			hw = p.log.HighWatermark()
		}
		p.mu.RUnlock()
		if !leader {
			return kerr.NotCoordinator
		}
		if hw > res.LastOffset {
			return nil
		}
		select {
		case <-w.ch:
		case <-timeout.C:
			return kerr.RequestTimedOut
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Load replays the partition from its log start offset to its log end offset, as
// GroupMetadataManager does (FetchLogEnd, the end re-read as it goes): a new leader's high
// watermark may trail records its followers have not confirmed yet, and a group commit among
// them must not be missing from the cache, which is never refreshed from the log afterwards.
func (o offsetsStorage) Load(ctx context.Context, partition int32, fn func(key, value []byte) error) error {
	s := o.s
	p := s.replicas.partition(logstore.TopicPartition{Topic: offsetsTopic, Partition: partition})
	if p == nil {
		return kerr.NotCoordinator
	}
	p.mu.RLock()
	lg := p.log
	p.mu.RUnlock()
	if lg == nil {
		return kerr.NotCoordinator
	}
	off := lg.LogStartOffset()
	buf := make([]byte, 0, 1<<20)
	for end := lg.LogEndOffset(); off < end; end = lg.LogEndOffset() {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := lg.Read(off, 5<<20, end, true)
		if err != nil {
			return fmt.Errorf("loading %s-%d at offset %d: %w", offsetsTopic, partition, off, err)
		}
		if res.Size == 0 {
			break
		}
		if buf, err = res.AppendTo(buf[:0]); err != nil {
			return err
		}
		next := off
		err = forEachRecord(buf, func(offset int64, key, value []byte) error {
			next = offset + 1
			if offset < off {
				return nil
			}
			return fn(key, value)
		})
		if err != nil {
			return err
		}
		// Control batches (transaction markers) and batches emptied by compaction hold no
		// record to apply but must still be stepped over, or the load would stop short.
		if end := batchesEnd(buf); end > next {
			next = end
		}
		if next <= off {
			break // nothing decodable: nothing more to learn
		}
		off = next
	}
	return nil
}

// batchesEnd returns the offset after the last complete v2 batch in buf (baseOffset +
// lastOffsetDelta + 1), or -1 if buf holds no complete batch.
func batchesEnd(buf []byte) int64 {
	end := int64(-1)
	for len(buf) >= 61 {
		size := int(binary.BigEndian.Uint32(buf[8:12])) + 12
		if size < 61 || size > len(buf) {
			break
		}
		base := int64(binary.BigEndian.Uint64(buf[0:8]))
		end = base + int64(int32(binary.BigEndian.Uint32(buf[23:27]))) + 1
		buf = buf[size:]
	}
	return end
}

// startGroupCoordinator maps groups onto the partition count __consumer_offsets really has, as
// KafkaServer does: offsets.topic.num.partitions only shapes a topic not created yet, and a
// changed value must not move existing groups to partitions that do not hold them (or do not exist).
func (s *Server) startGroupCoordinator() {
	n := s.cfg.OffsetsTopicNumPartitions
	if a, err := s.zk.GetTopicAssignment(offsetsTopic); err == nil && len(a.Partitions) > 0 {
		n = int32(len(a.Partitions))
	} else if err != nil && !errors.Is(err, zkmeta.ErrNoNode) {
		s.log.Warn().Err(err).Msgf("Could not read the partition count of %s; using offsets.topic.num.partitions=%d", offsetsTopic, n)
	}
	s.groups = coordinator.New(coordinator.ConfigFromBroker(s.cfg, n), offsetsStorage{s}, s.log.With().Str(LoggerField, "kafka.coordinator.group.GroupCoordinator").Logger())
}

// onOffsetsLeadership loads or unloads the groups of an offsets partition as its leadership
// moves to or away from this broker.
// The coordinator epoch is the partition's leader epoch, narrated as GroupCoordinator does
// (a partition already removed, as on deletion, has none: "None").
func (s *Server) onOffsetsLeadership(partition int32, leader bool) {
	if s.groups == nil {
		return
	}
	epoch := int32(-1)
	if p := s.replicas.partition(logstore.TopicPartition{Topic: offsetsTopic, Partition: partition}); p != nil {
		p.mu.RLock()
		epoch = p.leaderEpoch
		p.mu.RUnlock()
	}
	gl := s.log.With().Str(LoggerField, "kafka.coordinator.group.GroupCoordinator").Logger()
	if leader {
		gl.Info().Msgf("[GroupCoordinator %d]: Elected as the group coordinator for partition %d in epoch %d", s.cfg.BrokerID, partition, epoch)
		s.groups.OnElection(partition)
		return
	}
	opt := "None"
	if epoch >= 0 {
		opt = fmt.Sprintf("Some(%d)", epoch)
	}
	gl.Info().Msgf("[GroupCoordinator %d]: Resigned as the group coordinator for partition %d in epoch %s", s.cfg.BrokerID, partition, opt)
	s.groups.OnResignation(partition)
}

// onMetadataDeletions hands the partitions an UpdateMetadata request reports deleted (leader -2,
// LeaderDuringDelete) to the group coordinator, which drops their committed offsets from every
// group (KafkaApis.handleUpdateMetadataRequest -> GroupCoordinator.handleDeletedPartitions).
// UpdateMetadata calls it after applying the request to the metadata cache.
func (s *Server) onMetadataDeletions(req *kmsg.UpdateMetadataRequest) {
	if s.groups == nil {
		return
	}
	deleted := map[string][]int32{}
	for _, p := range req.PartitionStates {
		if p.Leader == deletedLeader {
			deleted[p.Topic] = append(deleted[p.Topic], p.Partition)
		}
	}
	for _, ts := range req.TopicStates {
		for _, p := range ts.PartitionStates {
			if p.Leader == deletedLeader {
				deleted[ts.Topic] = append(deleted[ts.Topic], p.Partition)
			}
		}
	}
	if len(deleted) > 0 {
		s.groups.HandleDeletedPartitions(deleted)
	}
}

// ensureOffsetsTopic creates __consumer_offsets on first use, with the offsets.topic.* settings.
func (s *Server) ensureOffsetsTopic() *kerr.Error {
	if s.cache.PartitionCount(offsetsTopic) > 0 {
		return nil
	}
	live := len(s.cache.LiveBrokerIDs())
	if live < int(s.cfg.OffsetsTopicReplicationFactor) {
		s.log.Warn().Msgf("Number of alive brokers '%d' does not meet the required replication factor '%d' for the offsets topic (configured via 'offsets.topic.replication.factor'). This error can be ignored if the cluster is starting up and not all brokers are up yet.", live, s.cfg.OffsetsTopicReplicationFactor)
		return kerr.CoordinatorNotAvailable
	}
	cfgs := map[string]string{
		"cleanup.policy":   "compact",
		"segment.bytes":    strconv.Itoa(int(s.cfg.OffsetsTopicSegmentBytes)),
		"compression.type": "producer",
	}
	assignment, err := zkmeta.AssignReplicas(s.brokerMetas(), s.cfg.OffsetsTopicNumPartitions, s.cfg.OffsetsTopicReplicationFactor, -1, -1)
	if err == nil {
		err = s.zk.CreateTopic(offsetsTopic, assignment, cfgs, zkmeta.NewTopicID())
	}
	if err != nil && !errors.Is(err, zkmeta.ErrTopicExists) {
		s.log.Error().Err(err).Msg("Could not create the offsets topic")
		return kerr.CoordinatorNotAvailable
	}
	return kerr.CoordinatorNotAvailable
}

// FindCoordinator locates the broker leading the group's __consumer_offsets partition.
func (s *Server) FindCoordinator(ctx context.Context, rc *protocol.RequestContext, req *kmsg.FindCoordinatorRequest) *kmsg.FindCoordinatorResponse {
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	resp.Version = req.Version
	resp.NodeID, resp.Port = -1, -1
	fail := func(e *kerr.Error) *kmsg.FindCoordinatorResponse {
		resp.ErrorCode = e.Code
		msg := e.Message
		resp.ErrorMessage = &msg
		return resp
	}
	if req.CoordinatorType != 0 {
		// Transactions have no coordinator here yet.
		return fail(kerr.CoordinatorNotAvailable)
	}
	if req.CoordinatorKey == "" {
		return fail(kerr.InvalidRequest)
	}
	if kErr := s.ensureOffsetsTopic(); kErr != nil {
		return fail(kErr)
	}
	part := s.groups.PartitionFor(req.CoordinatorKey)
	pm, ok := s.cache.Partition(offsetsTopic, part)
	if !ok || pm.Leader < 0 {
		return fail(kerr.CoordinatorNotAvailable)
	}
	ep, ok := s.cache.Endpoint(pm.Leader, rc.Listener)
	if !ok {
		return fail(kerr.CoordinatorNotAvailable)
	}
	resp.NodeID, resp.Host, resp.Port = pm.Leader, ep.Host, ep.Port
	return resp
}

func (s *Server) JoinGroup(ctx context.Context, rc *protocol.RequestContext, req *kmsg.JoinGroupRequest) *kmsg.JoinGroupResponse {
	return s.groups.JoinGroup(ctx, rc.ClientID, rc.ClientHost, req)
}

func (s *Server) SyncGroup(ctx context.Context, rc *protocol.RequestContext, req *kmsg.SyncGroupRequest) *kmsg.SyncGroupResponse {
	return s.groups.SyncGroup(ctx, req)
}

func (s *Server) Heartbeat(ctx context.Context, rc *protocol.RequestContext, req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	return s.groups.Heartbeat(ctx, req)
}

func (s *Server) LeaveGroup(ctx context.Context, rc *protocol.RequestContext, req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	return s.groups.LeaveGroup(ctx, req)
}

// OffsetCommit answers partitions this cluster does not have with UNKNOWN_TOPIC_OR_PARTITION and
// hands the rest to the coordinator, as KafkaApis does: a commit for a topic that does not exist
// is refused, not stored. When nothing is left the coordinator is not consulted at all.
func (s *Server) OffsetCommit(ctx context.Context, rc *protocol.RequestContext, req *kmsg.OffsetCommitRequest) *kmsg.OffsetCommitResponse {
	known := *req
	known.Topics = nil
	unknown := map[string][]int32{}
	var unknownOrder []string
	for _, t := range req.Topics {
		kt := t
		kt.Partitions = nil
		for _, p := range t.Partitions {
			if _, ok := s.cache.Partition(t.Topic, p.Partition); ok {
				kt.Partitions = append(kt.Partitions, p)
				continue
			}
			if _, seen := unknown[t.Topic]; !seen {
				unknownOrder = append(unknownOrder, t.Topic)
			}
			unknown[t.Topic] = append(unknown[t.Topic], p.Partition)
		}
		if len(kt.Partitions) > 0 {
			known.Topics = append(known.Topics, kt)
		}
	}
	var resp *kmsg.OffsetCommitResponse
	if len(known.Topics) > 0 {
		resp = s.groups.OffsetCommit(ctx, &known)
	} else {
		resp = kmsg.NewPtrOffsetCommitResponse()
		resp.Version = req.Version
	}
	for _, topic := range unknownOrder {
		i := 0
		for i < len(resp.Topics) && resp.Topics[i].Topic != topic {
			i++
		}
		if i == len(resp.Topics) {
			rt := kmsg.NewOffsetCommitResponseTopic()
			rt.Topic = topic
			resp.Topics = append(resp.Topics, rt)
		}
		for _, p := range unknown[topic] {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p, kerr.UnknownTopicOrPartition.Code
			resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, rp)
		}
	}
	return resp
}

func (s *Server) OffsetFetch(ctx context.Context, rc *protocol.RequestContext, req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	return s.groups.OffsetFetch(ctx, req)
}

func (s *Server) ListGroups(ctx context.Context, rc *protocol.RequestContext, req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	return s.groups.ListGroups(ctx, req)
}

func (s *Server) DescribeGroups(ctx context.Context, rc *protocol.RequestContext, req *kmsg.DescribeGroupsRequest) *kmsg.DescribeGroupsResponse {
	return s.groups.DescribeGroups(ctx, req)
}

func (s *Server) DeleteGroups(ctx context.Context, rc *protocol.RequestContext, req *kmsg.DeleteGroupsRequest) *kmsg.DeleteGroupsResponse {
	return s.groups.DeleteGroups(ctx, req)
}

// OffsetDelete, like OffsetCommit, answers partitions this cluster does not have with
// UNKNOWN_TOPIC_OR_PARTITION; the coordinator still judges the group (a group-level error wins).
func (s *Server) OffsetDelete(ctx context.Context, rc *protocol.RequestContext, req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	known := *req
	known.Topics = nil
	var unknown []kmsg.OffsetDeleteResponseTopic
	for _, t := range req.Topics {
		kt := t
		kt.Partitions = nil
		ut := kmsg.NewOffsetDeleteResponseTopic()
		ut.Topic = t.Topic
		for _, p := range t.Partitions {
			if _, ok := s.cache.Partition(t.Topic, p.Partition); ok {
				kt.Partitions = append(kt.Partitions, p)
				continue
			}
			up := kmsg.NewOffsetDeleteResponseTopicPartition()
			up.Partition, up.ErrorCode = p.Partition, kerr.UnknownTopicOrPartition.Code
			ut.Partitions = append(ut.Partitions, up)
		}
		if len(kt.Partitions) > 0 {
			known.Topics = append(known.Topics, kt)
		}
		if len(ut.Partitions) > 0 {
			unknown = append(unknown, ut)
		}
	}
	resp := s.groups.OffsetDelete(ctx, &known)
	if resp.ErrorCode != 0 {
		return resp
	}
	for _, ut := range unknown {
		i := 0
		for i < len(resp.Topics) && resp.Topics[i].Topic != ut.Topic {
			i++
		}
		if i == len(resp.Topics) {
			resp.Topics = append(resp.Topics, ut)
			continue
		}
		resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, ut.Partitions...)
	}
	return resp
}
