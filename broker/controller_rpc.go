package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/kafka-classic/kafka-classic/logstore"
	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// checkControllerRequest fences requests from a deposed controller (older epoch) and requests
// addressed to an earlier incarnation of this broker (older broker epoch).
func (s *Server) checkControllerRequest(controllerEpoch int32, brokerEpoch int64) *kerr.Error {
	if brokerEpoch != -1 && brokerEpoch < s.brokerEpoch.Load() {
		return kerr.StaleBrokerEpoch
	}
	for {
		cur := s.replicas.controllerEpoch.Load()
		if controllerEpoch < cur {
			return kerr.StaleControllerEpoch
		}
		if s.replicas.controllerEpoch.CompareAndSwap(cur, controllerEpoch) {
			return nil
		}
	}
}

// UpdateMetadata refreshes the metadata cache (MetadataCache.updateMetadata).
func (s *Server) UpdateMetadata(ctx context.Context, rc *protocol.RequestContext, req *kmsg.UpdateMetadataRequest) *kmsg.UpdateMetadataResponse {
	resp := req.ResponseKind().(*kmsg.UpdateMetadataResponse)
	resp.Version = req.Version
	if kErr := s.checkControllerRequest(req.ControllerEpoch, req.BrokerEpoch); kErr != nil {
		s.replicas.state.Warn().Msgf("Received UpdateMetadata request with correlation id %d from an old controller %d with epoch %d; ignoring it", rc.CorrelationID, req.ControllerID, req.ControllerEpoch)
		resp.ErrorCode = kErr.Code
		return resp
	}
	s.cache.Apply(req)
	s.onMetadataDeletions(req)
	s.notifyMetadata()
	return resp
}

// LeaderAndIsr makes this broker leader or follower for the listed partitions
// (ReplicaManager.becomeLeaderOrFollower).
func (s *Server) LeaderAndIsr(ctx context.Context, rc *protocol.RequestContext, req *kmsg.LeaderAndISRRequest) *kmsg.LeaderAndISRResponse {
	resp := req.ResponseKind().(*kmsg.LeaderAndISRResponse)
	resp.Version = req.Version
	if kErr := s.checkControllerRequest(req.ControllerEpoch, req.BrokerEpoch); kErr != nil {
		s.replicas.state.Warn().Msgf("Ignoring LeaderAndIsr request from controller %d with correlation id %d since its controller epoch %d is old. Latest known controller epoch is %d",
			req.ControllerID, rc.CorrelationID, req.ControllerEpoch, s.replicas.controllerEpoch.Load())
		resp.ErrorCode = kErr.Code
		return resp
	}
	type item struct {
		topic string
		id    [16]byte
		st    kmsg.LeaderAndISRRequestTopicPartition
	}
	var items []item
	for _, ps := range req.PartitionStates {
		items = append(items, item{topic: ps.Topic, st: ps})
	}
	for _, ts := range req.TopicStates {
		for _, ps := range ts.PartitionStates {
			items = append(items, item{topic: ts.Topic, id: ts.TopicID, st: ps})
		}
	}
	byTopic := map[string]int{}
	for _, it := range items {
		code := s.applyLeaderAndIsr(req.ControllerID, req.ControllerEpoch, rc.CorrelationID, it.topic, it.id, it.st)
		rp := kmsg.NewLeaderAndISRResponseTopicPartition()
		rp.Topic, rp.Partition, rp.ErrorCode = it.topic, it.st.Partition, code
		if req.Version < 5 {
			resp.Partitions = append(resp.Partitions, rp)
			continue
		}
		i, ok := byTopic[it.topic]
		if !ok {
			rt := kmsg.NewLeaderAndISRResponseTopic()
			rt.TopicID = it.id
			resp.Topics = append(resp.Topics, rt)
			i = len(resp.Topics) - 1
			byTopic[it.topic] = i
		}
		resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, rp)
	}
	return resp
}

func (s *Server) applyLeaderAndIsr(controllerID, controllerEpoch, correlationID int32, topic string, topicID [16]byte, st kmsg.LeaderAndISRRequestTopicPartition) int16 {
	tp := logstore.TopicPartition{Topic: topic, Partition: st.Partition}
	if !containsID(st.Replicas, s.cfg.BrokerID) {
		s.replicas.state.Warn().Msgf("Ignoring LeaderAndIsr request from controller %d with correlation id %d epoch %d for partition %s as itself is not in assigned replica list %v",
			controllerID, correlationID, controllerEpoch, tp, st.Replicas)
		return kerr.UnknownTopicOrPartition.Code
	}
	p := s.replicas.getOrCreatePartition(tp)
	p.mu.Lock()
	if st.LeaderEpoch < p.leaderEpoch || (st.LeaderEpoch == p.leaderEpoch && p.log != nil && p.leader == st.Leader) {
		cur := p.leaderEpoch
		p.mu.Unlock()
		s.replicas.state.Info().Msgf("Ignoring LeaderAndIsr request from controller %d with correlation id %d epoch %d for partition %s since its associated leader epoch %d is not higher than the current leader epoch %d",
			controllerID, correlationID, controllerEpoch, tp, st.LeaderEpoch, cur)
		return kerr.StaleControllerEpoch.Code
	}
	if p.log == nil {
		lg, err := s.logs.GetOrCreate(tp, s.topicLogConfig(topic), topicID)
		if err != nil {
			p.mu.Unlock()
			s.replicas.log.Error().Err(err).Msgf("Error while making broker the leader or follower for partition %s", tp)
			return kerr.KafkaStorageError.Code
		}
		p.log = lg
	} else if topicID != ([16]byte{}) && p.log.TopicID() == ([16]byte{}) {
		if err := p.log.SetTopicID(topicID); err != nil {
			s.replicas.log.Warn().Err(err).Str("partition", tp.String()).Msg("could not record topic id")
		}
	}
	wasLeader := p.leader == s.cfg.BrokerID
	p.leader = st.Leader
	p.leaderEpoch = st.LeaderEpoch
	p.controllerEpoch = st.ControllerEpoch
	p.isr = append([]int32(nil), st.ISR...)
	p.replicas = append([]int32(nil), st.Replicas...)
	p.zkVersion = st.ZKVersion
	isLeader := st.Leader == s.cfg.BrokerID
	if isLeader {
		// makeLeader: a new leader epoch starts at the current log end offset; followers must
		// prove their progress again before they count towards the high watermark.
		p.log.AssignEpochStartOffset(st.LeaderEpoch, p.log.LogEndOffset())
		now := time.Now()
		p.followers = map[int32]*followerState{}
		for _, r := range st.Replicas {
			if r != s.cfg.BrokerID {
				p.followers[r] = &followerState{logEndOffset: -1, lastCaughtUpTime: now}
			}
		}
		p.maybeIncrementHighWatermarkLocked()
	}
	p.mu.Unlock()
	p.wake()
	if isLeader {
		s.replicas.state.Info().Msgf("Leader %s starts at leader epoch %d from offset %d with high watermark %d ISR %s addingReplicas [] removingReplicas []. Previous leader epoch was %d.",
			tp, st.LeaderEpoch, p.log.LogEndOffset(), p.log.HighWatermark(), fmtIDs(st.ISR), st.LeaderEpoch-1)
		s.fetchers.removePartition(tp)
	} else {
		s.replicas.state.Info().Msgf("Follower %s starts at leader epoch %d from offset %d with high watermark %d. Previous leader epoch was %d.",
			tp, st.LeaderEpoch, p.log.LogEndOffset(), p.log.HighWatermark(), st.LeaderEpoch-1)
		s.fetchers.addPartition(tp, st.Leader, st.LeaderEpoch)
	}
	if topic == offsetsTopic && (isLeader || wasLeader) {
		s.onOffsetsLeadership(st.Partition, isLeader)
	}
	return 0
}

// StopReplica stops serving partitions and, for deletions, removes their logs
// (ReplicaManager.stopReplicas).
func (s *Server) StopReplica(ctx context.Context, rc *protocol.RequestContext, req *kmsg.StopReplicaRequest) *kmsg.StopReplicaResponse {
	resp := req.ResponseKind().(*kmsg.StopReplicaResponse)
	resp.Version = req.Version
	if kErr := s.checkControllerRequest(req.ControllerEpoch, req.BrokerEpoch); kErr != nil {
		resp.ErrorCode = kErr.Code
		return resp
	}
	stop := func(topic string, partition int32, del bool) {
		tp := logstore.TopicPartition{Topic: topic, Partition: partition}
		s.fetchers.removePartition(tp)
		code := int16(0)
		if del {
			p := s.replicas.removePartition(tp)
			if p != nil {
				p.mu.Lock()
				wasLeader := p.leader == s.cfg.BrokerID
				p.leader, p.log = -1, nil
				p.mu.Unlock()
				p.wake()
				if topic == offsetsTopic && wasLeader {
					s.onOffsetsLeadership(partition, false)
				}
			}
			if _, ok := s.logs.Get(tp); ok {
				if err := s.logs.Delete(tp); err != nil {
					code = kerr.KafkaStorageError.Code
					s.replicas.log.Error().Err(err).Msgf("Error while deleting log for %s", tp)
				} else {
					s.replicas.log.Info().Msgf("Log for partition %s is renamed to be deleted and is scheduled for deletion", tp)
				}
			}
		} else if p := s.replicas.partition(tp); p != nil {
			p.mu.Lock()
			wasLeader := p.leader == s.cfg.BrokerID
			p.leader = -1
			p.mu.Unlock()
			p.wake()
			if topic == offsetsTopic && wasLeader {
				s.onOffsetsLeadership(partition, false)
			}
		}
		rp := kmsg.NewStopReplicaResponsePartition()
		rp.Topic, rp.Partition, rp.ErrorCode = topic, partition, code
		resp.Partitions = append(resp.Partitions, rp)
	}
	for _, t := range req.Topics {
		switch {
		case req.Version >= 3:
			for _, ps := range t.PartitionStates {
				stop(t.Topic, ps.Partition, ps.Delete)
			}
		case req.Version >= 1:
			for _, p := range t.Partitions {
				stop(t.Topic, p, req.DeletePartitions)
			}
		default:
			stop(t.Topic, t.Partition, req.DeletePartitions)
		}
	}
	return resp
}

// ControlledShutdown is served by the active controller on behalf of a stopping broker.
func (s *Server) ControlledShutdown(ctx context.Context, rc *protocol.RequestContext, req *kmsg.ControlledShutdownRequest) *kmsg.ControlledShutdownResponse {
	resp := req.ResponseKind().(*kmsg.ControlledShutdownResponse)
	resp.Version = req.Version
	if s.ctrl == nil || !s.ctrl.IsActive() {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	remaining, err := s.ctrl.ControlledShutdown(ctx, req.BrokerID, req.BrokerEpoch)
	if err != nil {
		resp.ErrorCode = kerr.UnknownServerError.Code
		if ke, ok := err.(*kerr.Error); ok {
			resp.ErrorCode = ke.Code
		}
		return resp
	}
	for _, tp := range remaining {
		r := kmsg.NewControlledShutdownResponsePartitionsRemaining()
		r.Topic, r.Partition = tp.Topic, tp.Partition
		resp.PartitionsRemaining = append(resp.PartitionsRemaining, r)
	}
	return resp
}

func fmtIDs(ids []int32) string {
	out := "["
	for i, id := range ids {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprint(id)
	}
	return out + "]"
}
