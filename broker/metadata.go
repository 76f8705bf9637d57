package broker

import (
	"context"
	"errors"

	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/kafka-classic/kafka-classic/zkmeta"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Metadata answers from the metadata cache (KafkaApis.handleTopicMetadataRequest). Unknown
// topics are auto-created when the broker allows it and the request asks for it: the broker
// writes the assignment to ZooKeeper itself and answers LEADER_NOT_AVAILABLE until the
// controller has elected leaders.
func (s *Server) Metadata(ctx context.Context, rc *protocol.RequestContext, req *kmsg.MetadataRequest) *kmsg.MetadataResponse {
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	resp.Version = req.Version
	s.cache.fillBrokers(resp, rc.Listener)
	cid := s.clusterID
	resp.ClusterID = &cid
	resp.AuthorizedOperations = -2147483648
	var topics []string
	if req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0) {
		topics = s.cache.Topics()
	} else {
		for _, t := range req.Topics {
			if t.Topic != nil {
				topics = append(topics, *t.Topic)
			}
		}
	}
	allowAuto := req.Version < 4 || req.AllowAutoTopicCreation
	for _, t := range topics {
		rt, ok := s.cache.topicMetadata(t, rc.Listener)
		if !ok && req.Topics != nil {
			rt.ErrorCode = s.maybeAutoCreate(t, allowAuto)
		}
		rt.AuthorizedOperations = -2147483648
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// maybeAutoCreate returns the error code to report for an unknown topic, creating it first when
// auto.create.topics.enable allows (KafkaApis.createTopic in ZK mode).
func (s *Server) maybeAutoCreate(topic string, allow bool) int16 {
	if err := zkmeta.ValidateTopicName(topic); err != nil {
		return kerr.InvalidTopicException.Code
	}
	if !allow || !s.cfg.AutoCreateTopicsEnable || isInternalTopic(topic) {
		return kerr.UnknownTopicOrPartition.Code
	}
	err := s.createTopicInZK(topic, s.cfg.NumPartitions, s.cfg.DefaultReplicationFactor, nil, nil)
	switch {
	case err == nil, errors.Is(err, zkmeta.ErrTopicExists):
		return kerr.LeaderNotAvailable.Code
	case errors.Is(err, zkmeta.ErrInvalidReplicationFactor):
		return kerr.InvalidReplicationFactor.Code
	default:
		s.log.Warn().Err(err).Msgf("Error while auto-creating topic %s", topic)
		return kerr.UnknownTopicOrPartition.Code
	}
}
