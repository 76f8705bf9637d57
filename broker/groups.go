package broker

import (
	"context"
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

// Load replays the partition from its log start offset to its high watermark.
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
	end := lg.HighWatermark()
	off := lg.LogStartOffset()
	buf := make([]byte, 0, 1<<20)
	for off < end {
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
		if next <= off {
			break // only control batches or nothing decodable: nothing more to learn
		}
		off = next
	}
	return nil
}

func (s *Server) startGroupCoordinator() {
	s.groups = coordinator.New(coordinator.ConfigFromBroker(s.cfg, s.cfg.OffsetsTopicNumPartitions), offsetsStorage{s}, s.log.With().Str(LoggerField, "kafka.coordinator.group.GroupCoordinator").Logger())
}

// onOffsetsLeadership loads or unloads the groups of an offsets partition as its leadership
// moves to or away from this broker.
func (s *Server) onOffsetsLeadership(partition int32, leader bool) {
	if s.groups == nil {
		return
	}
	if leader {
		s.groups.OnElection(partition)
	} else {
		s.groups.OnResignation(partition)
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
	part := coordinator.PartitionFor(req.CoordinatorKey, s.cfg.OffsetsTopicNumPartitions)
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

func (s *Server) OffsetCommit(ctx context.Context, rc *protocol.RequestContext, req *kmsg.OffsetCommitRequest) *kmsg.OffsetCommitResponse {
	return s.groups.OffsetCommit(ctx, req)
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

func (s *Server) OffsetDelete(ctx context.Context, rc *protocol.RequestContext, req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	return s.groups.OffsetDelete(ctx, req)
}
