package broker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kafka-classic/kafka-classic/config"
	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/kafka-classic/kafka-classic/zkmeta"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// adminError maps admin-path failures to a Kafka error and the bare message Kafka would send
// (ZkAdminManager), without this program's package prefixes.
func adminError(err error) (*kerr.Error, string) {
	msg := zkmeta.Message(err)
	switch {
	case errors.Is(err, zkmeta.ErrTopicExists):
		return kerr.TopicAlreadyExists, msg
	case errors.Is(err, zkmeta.ErrInvalidTopic):
		return kerr.InvalidTopicException, msg
	case errors.Is(err, zkmeta.ErrInvalidReplicationFactor):
		return kerr.InvalidReplicationFactor, msg
	case errors.Is(err, zkmeta.ErrInvalidPartitions):
		return kerr.InvalidPartitions, msg
	case errors.Is(err, zkmeta.ErrInvalidReplicaAssignment):
		return kerr.InvalidReplicaAssignment, msg
	case errors.Is(err, config.ErrInvalidConfig):
		return kerr.InvalidConfig, config.Message(err)
	case errors.Is(err, zkmeta.ErrTopicAlreadyMarkedForDeletion), errors.Is(err, zkmeta.ErrNoNode):
		return kerr.UnknownTopicOrPartition, msg
	}
	return kerr.UnknownServerError, msg
}

// brokerMetas lists live brokers for replica assignment, ascending by id.
func (s *Server) brokerMetas() []zkmeta.BrokerMeta {
	racks := s.cache.BrokerRacks()
	ids := make([]int32, 0, len(racks))
	for id := range racks {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		// Before the first UpdateMetadata the cache is empty; this broker is alive.
		racks[s.cfg.BrokerID] = s.cfg.BrokerRack
		ids = append(ids, s.cfg.BrokerID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]zkmeta.BrokerMeta, len(ids))
	for i, id := range ids {
		out[i] = zkmeta.BrokerMeta{ID: id, Rack: racks[id]}
	}
	return out
}

// createTopicInZK validates and writes a new topic's config and assignment znodes, which the
// controller then turns into partitions.
func (s *Server) createTopicInZK(topic string, partitions int32, rf int16, assignment map[int32][]int32, configs map[string]string) error {
	if err := zkmeta.ValidateTopicName(topic); err != nil {
		return err
	}
	if configs == nil {
		configs = map[string]string{}
	}
	if err := config.ValidateTopicConfigs(configs); err != nil {
		return err
	}
	if assignment == nil {
		var err error
		assignment, err = zkmeta.AssignReplicas(s.brokerMetas(), partitions, rf, -1, -1)
		if err != nil {
			return err
		}
	}
	return s.zk.CreateTopic(topic, assignment, configs, zkmeta.NewTopicID())
}

// waitForMetadata blocks until cond holds for the metadata cache or the timeout passes.
func (s *Server) waitForMetadata(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		ch := s.metadataChanged()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return cond()
		case <-ctx.Done():
			return cond()
		}
	}
}

// CreateTopics validates each topic, writes its znodes, and waits (up to the request timeout)
// until this broker's metadata shows leaders for every new partition.
func (s *Server) CreateTopics(ctx context.Context, rc *protocol.RequestContext, req *kmsg.CreateTopicsRequest) *kmsg.CreateTopicsResponse {
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	resp.Version = req.Version
	type created struct {
		idx        int
		partitions int
	}
	var wait []created
	seen := map[string]int{}
	for _, rt := range req.Topics {
		seen[rt.Topic]++
	}
	for _, rt := range req.Topics {
		st := kmsg.NewCreateTopicsResponseTopic()
		st.Topic = rt.Topic
		st.NumPartitions, st.ReplicationFactor = -1, -1
		fail := func(e *kerr.Error, msg string) {
			st.ErrorCode = e.Code
			st.ErrorMessage = &msg
			resp.Topics = append(resp.Topics, st)
		}
		if seen[rt.Topic] > 1 {
			fail(kerr.InvalidRequest, fmt.Sprintf("Create topics request from client `%s` contains multiple entries for the following topics: %s", rc.ClientID, rt.Topic))
			continue
		}
		nParts, rf := rt.NumPartitions, rt.ReplicationFactor
		var assignment map[int32][]int32
		if len(rt.ReplicaAssignment) > 0 {
			if nParts != -1 || rf != -1 {
				fail(kerr.InvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.")
				continue
			}
			assignment = map[int32][]int32{}
			for _, a := range rt.ReplicaAssignment {
				assignment[a.Partition] = a.Replicas
			}
			nParts = int32(len(assignment))
			rf = int16(len(rt.ReplicaAssignment[0].Replicas))
		}
		if nParts == -1 {
			nParts = s.cfg.NumPartitions
		}
		if rf == -1 {
			rf = s.cfg.DefaultReplicationFactor
		}
		if nParts <= 0 {
			fail(kerr.InvalidPartitions, "Number of partitions must be larger than 0.")
			continue
		}
		if rf <= 0 {
			fail(kerr.InvalidReplicationFactor, "Replication factor must be larger than 0.")
			continue
		}
		configs := map[string]string{}
		for _, c := range rt.Configs {
			if c.Value != nil {
				configs[c.Name] = *c.Value
			}
		}
		if req.ValidateOnly {
			if err := zkmeta.ValidateTopicName(rt.Topic); err != nil {
				e, m := adminError(err)
				fail(e, m)
				continue
			}
			if err := config.ValidateTopicConfigs(configs); err != nil {
				e, m := adminError(err)
				fail(e, m)
				continue
			}
			if assignment == nil {
				if _, err := zkmeta.AssignReplicas(s.brokerMetas(), nParts, rf, -1, -1); err != nil {
					e, m := adminError(err)
					fail(e, m)
					continue
				}
			}
		} else if err := s.createTopicInZK(rt.Topic, nParts, rf, assignment, configs); err != nil {
			e, m := adminError(err)
			fail(e, m)
			continue
		} else {
			wait = append(wait, created{idx: len(resp.Topics), partitions: int(nParts)})
		}
		st.NumPartitions, st.ReplicationFactor = nParts, rf
		if req.Version >= 5 {
			for _, e := range s.cfg.DescribeTopic(configs) {
				c := kmsg.NewCreateTopicsResponseTopicConfig()
				c.Name, c.Value, c.ReadOnly, c.Source, c.IsSensitive = e.Name, e.Value, e.ReadOnly, e.Source, e.Sensitive
				st.Configs = append(st.Configs, c)
			}
		}
		resp.Topics = append(resp.Topics, st)
	}
	if len(wait) > 0 && req.TimeoutMillis > 0 {
		ok := s.waitForMetadata(ctx, time.Duration(req.TimeoutMillis)*time.Millisecond, func() bool {
			for _, w := range wait {
				if !s.cache.HasLeaders(resp.Topics[w.idx].Topic, w.partitions) {
					return false
				}
			}
			return true
		})
		if !ok {
			for _, w := range wait {
				if !s.cache.HasLeaders(resp.Topics[w.idx].Topic, w.partitions) {
					resp.Topics[w.idx].ErrorCode = kerr.RequestTimedOut.Code
				}
			}
		}
	}
	for i := range resp.Topics {
		if id, ok := s.cache.TopicID(resp.Topics[i].Topic); ok {
			resp.Topics[i].TopicID = id
		}
	}
	return resp
}

// DeleteTopics writes /admin/delete_topics/<t> markers and waits for the controller to finish.
func (s *Server) DeleteTopics(ctx context.Context, rc *protocol.RequestContext, req *kmsg.DeleteTopicsRequest) *kmsg.DeleteTopicsResponse {
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	resp.Version = req.Version
	names := append([]string(nil), req.TopicNames...)
	for _, t := range req.Topics {
		if t.Topic != nil {
			names = append(names, *t.Topic)
		} else {
			for _, n := range s.cache.Topics() {
				if id, _ := s.cache.TopicID(n); id == t.TopicID {
					names = append(names, n)
				}
			}
		}
	}
	var pending []int
	for _, name := range names {
		st := kmsg.NewDeleteTopicsResponseTopic()
		n := name
		st.Topic = &n
		st.TopicID, _ = s.cache.TopicID(name)
		switch {
		case !s.cfg.DeleteTopicEnable:
			st.ErrorCode = kerr.TopicDeletionDisabled.Code
		case s.cache.PartitionCount(name) == 0:
			st.ErrorCode = kerr.UnknownTopicOrPartition.Code
		default:
			if err := s.zk.MarkTopicForDeletion(name); err != nil && !errors.Is(err, zkmeta.ErrTopicAlreadyMarkedForDeletion) {
				e, m := adminError(err)
				st.ErrorCode = e.Code
				st.ErrorMessage = &m
			} else {
				pending = append(pending, len(resp.Topics))
			}
		}
		resp.Topics = append(resp.Topics, st)
	}
	if len(pending) > 0 {
		gone := func() bool {
			for _, i := range pending {
				if s.cache.PartitionCount(*resp.Topics[i].Topic) > 0 {
					return false
				}
			}
			return true
		}
		if !s.waitForMetadata(ctx, time.Duration(req.TimeoutMillis)*time.Millisecond, gone) {
			for _, i := range pending {
				if s.cache.PartitionCount(*resp.Topics[i].Topic) > 0 {
					resp.Topics[i].ErrorCode = kerr.RequestTimedOut.Code
				}
			}
		}
	}
	return resp
}

// CreatePartitions adds partitions by rewriting the topic's assignment znode.
func (s *Server) CreatePartitions(ctx context.Context, rc *protocol.RequestContext, req *kmsg.CreatePartitionsRequest) *kmsg.CreatePartitionsResponse {
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	resp.Version = req.Version
	type grown struct {
		idx   int
		count int
	}
	var wait []grown
	for _, rt := range req.Topics {
		st := kmsg.NewCreatePartitionsResponseTopic()
		st.Topic = rt.Topic
		fail := func(e *kerr.Error, msg string) {
			st.ErrorCode = e.Code
			st.ErrorMessage = &msg
		}
		cur, err := s.zk.GetTopicAssignment(rt.Topic)
		switch {
		case err != nil:
			e, m := adminError(err)
			fail(e, m)
		case rt.Count <= int32(len(cur.Partitions)):
			fail(kerr.InvalidPartitions, fmt.Sprintf("Topic currently has %d partitions, %d would not be an increase.", len(cur.Partitions), rt.Count))
		default:
			added, err := s.assignNewPartitions(cur, rt)
			if err == nil && !req.ValidateOnly {
				err = s.zk.AddPartitions(rt.Topic, cur, added)
			}
			if err != nil {
				e, m := adminError(err)
				fail(e, m)
			} else if !req.ValidateOnly {
				wait = append(wait, grown{idx: len(resp.Topics), count: int(rt.Count)})
			}
		}
		resp.Topics = append(resp.Topics, st)
	}
	if len(wait) > 0 {
		ok := s.waitForMetadata(ctx, time.Duration(req.TimeoutMillis)*time.Millisecond, func() bool {
			for _, w := range wait {
				if !s.cache.HasLeaders(resp.Topics[w.idx].Topic, w.count) {
					return false
				}
			}
			return true
		})
		if !ok {
			for _, w := range wait {
				if !s.cache.HasLeaders(resp.Topics[w.idx].Topic, w.count) {
					resp.Topics[w.idx].ErrorCode = kerr.RequestTimedOut.Code
				}
			}
		}
	}
	return resp
}

// assignNewPartitions places the added partitions the way AdminZkClient.addPartitions does:
// explicit assignments are checked, otherwise the assignment continues from the broker that
// leads partition 0 by preference.
func (s *Server) assignNewPartitions(cur zkmeta.TopicAssignment, rt kmsg.CreatePartitionsRequestTopic) (map[int32][]int32, error) {
	existing := int32(len(cur.Partitions))
	rf := int16(len(cur.Partitions[0]))
	if len(rt.Assignment) > 0 {
		if int32(len(rt.Assignment)) != rt.Count-existing {
			return nil, fmt.Errorf("%w: Increasing the number of partitions by %d but %d assignments provided.", zkmeta.ErrInvalidReplicaAssignment, rt.Count-existing, len(rt.Assignment))
		}
		out := map[int32][]int32{}
		for i, a := range rt.Assignment {
			out[existing+int32(i)] = a.Replicas
		}
		return out, nil
	}
	brokers := s.brokerMetas()
	start := int32(0)
	first := cur.Partitions[0][0]
	for i, b := range brokers {
		if b.ID >= first {
			start = int32(i)
			break
		}
	}
	return zkmeta.AssignReplicas(brokers, rt.Count-existing, rf, start, existing)
}
