package broker

import (
	"context"
	"sort"

	"github.com/kafka-classic/kafka-classic/logstore"
	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	listLatest   = -1
	listEarliest = -2
)

// ListOffsets answers earliest (-2), latest (-1) and by-timestamp lookups on partition leaders
// (ReplicaManager.fetchOffsetForTimestamp). Consumers see "latest" as the high watermark.
func (s *Server) ListOffsets(ctx context.Context, rc *protocol.RequestContext, req *kmsg.ListOffsetsRequest) *kmsg.ListOffsetsResponse {
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	resp.Version = req.Version
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		known := s.cache.PartitionCount(rt.Topic) > 0
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.Timestamp, sp.Offset, sp.LeaderEpoch = -1, -1, -1
			tp := logstore.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}
			fence := int32(-1)
			if req.Version >= 4 {
				fence = rp.CurrentLeaderEpoch
			}
			v, kErr := s.replicas.leaderFor(tp, known, fence)
			if kErr != nil {
				sp.ErrorCode = kErr.Code
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			epoch, lg := v.epoch, v.log
			fromConsumer := req.ReplicaID == -1
			switch rp.Timestamp {
			case listLatest:
				sp.Offset = lg.LogEndOffset()
				if fromConsumer {
					sp.Offset = lg.HighWatermark()
				}
				sp.LeaderEpoch = epoch
			case listEarliest:
				sp.Offset = lg.LogStartOffset()
				sp.LeaderEpoch = epoch
			default:
				if off, ts, ok := lg.FetchOffsetByTimestamp(rp.Timestamp); ok && (!fromConsumer || off < lg.HighWatermark()) {
					sp.Offset, sp.Timestamp = off, ts
					sp.LeaderEpoch = epoch
				}
			}
			if req.Version == 0 {
				// v0 answers a list of offsets; modern clients only ever ask for one.
				if sp.Offset >= 0 {
					sp.OldStyleOffsets = []int64{sp.Offset}
				} else {
					sp.OldStyleOffsets = []int64{}
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

// DeleteRecords advances log start offsets (ReplicaManager.deleteRecords). Offset -1 means the
// high watermark; deleting past the high watermark is OFFSET_OUT_OF_RANGE.
func (s *Server) DeleteRecords(ctx context.Context, rc *protocol.RequestContext, req *kmsg.DeleteRecordsRequest) *kmsg.DeleteRecordsResponse {
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	resp.Version = req.Version
	for _, rt := range req.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		known := s.cache.PartitionCount(rt.Topic) > 0
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LowWatermark = -1
			tp := logstore.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}
			v, kErr := s.replicas.leaderFor(tp, known, -1)
			if kErr != nil {
				sp.ErrorCode = kErr.Code
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			lg := v.log
			off := rp.Offset
			hw := lg.HighWatermark()
			if off == -1 {
				off = hw
			}
			if off < 0 || off > hw {
				sp.ErrorCode = kerr.OffsetOutOfRange.Code
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			low, err := lg.DeleteRecordsBefore(off)
			if err != nil {
				sp.ErrorCode = errorCodeFor(err).Code
			} else {
				sp.LowWatermark = low
				s.log.Info().Str("partition", tp.String()).Int64("offset", low).Msgf("Incremented log start offset to %d due to client delete records request", low)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

// OffsetForLeaderEpoch answers a follower's (or a consumer's) truncation question: where did
// the given epoch end on the leader.
func (s *Server) OffsetForLeaderEpoch(ctx context.Context, rc *protocol.RequestContext, req *kmsg.OffsetForLeaderEpochRequest) *kmsg.OffsetForLeaderEpochResponse {
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	resp.Version = req.Version
	for _, rt := range req.Topics {
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		known := s.cache.PartitionCount(rt.Topic) > 0
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LeaderEpoch, sp.EndOffset = -1, -1
			tp := logstore.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}
			fence := int32(-1)
			if req.Version >= 2 {
				fence = rp.CurrentLeaderEpoch
			}
			v, kErr := s.replicas.leaderFor(tp, known, fence)
			if kErr != nil {
				sp.ErrorCode = kErr.Code
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			sp.LeaderEpoch, sp.EndOffset = v.log.EndOffsetForEpoch(rp.LeaderEpoch)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

// DescribeLogDirs reports each log dir with the size of the partitions it holds.
func (s *Server) DescribeLogDirs(ctx context.Context, rc *protocol.RequestContext, req *kmsg.DescribeLogDirsRequest) *kmsg.DescribeLogDirsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	resp.Version = req.Version
	want := func(tp logstore.TopicPartition) bool { return true }
	if req.Topics != nil {
		set := map[logstore.TopicPartition]bool{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				set[logstore.TopicPartition{Topic: t.Topic, Partition: p}] = true
			}
		}
		want = func(tp logstore.TopicPartition) bool { return set[tp] }
	}
	for _, d := range s.logs.DescribeDirs() {
		rd := kmsg.NewDescribeLogDirsResponseDir()
		rd.Dir = d.Path
		rd.TotalBytes, rd.UsableBytes = -1, -1
		byTopic := map[string]*kmsg.DescribeLogDirsResponseDirTopic{}
		var names []string
		for _, pi := range d.Partitions {
			if !want(pi.TP) {
				continue
			}
			t, ok := byTopic[pi.TP.Topic]
			if !ok {
				nt := kmsg.NewDescribeLogDirsResponseDirTopic()
				nt.Topic = pi.TP.Topic
				t = &nt
				byTopic[pi.TP.Topic] = t
				names = append(names, pi.TP.Topic)
			}
			rp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
			rp.Partition, rp.Size, rp.OffsetLag, rp.IsFuture = pi.TP.Partition, pi.Size, pi.OffsetLag, pi.IsFuture
			t.Partitions = append(t.Partitions, rp)
		}
		sort.Strings(names)
		for _, n := range names {
			rd.Topics = append(rd.Topics, *byTopic[n])
		}
		resp.Dirs = append(resp.Dirs, rd)
	}
	return resp
}

// DescribeCluster answers from the metadata cache, like Metadata's broker section.
func (s *Server) DescribeCluster(ctx context.Context, rc *protocol.RequestContext, req *kmsg.DescribeClusterRequest) *kmsg.DescribeClusterResponse {
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.Version = req.Version
	resp.ClusterID = s.clusterID
	var md kmsg.MetadataResponse
	s.cache.fillBrokers(&md, rc.Listener)
	resp.ControllerID = md.ControllerID
	for _, b := range md.Brokers {
		rb := kmsg.NewDescribeClusterResponseBroker()
		rb.NodeID, rb.Host, rb.Port, rb.Rack = b.NodeID, b.Host, b.Port, b.Rack
		resp.Brokers = append(resp.Brokers, rb)
	}
	resp.ClusterAuthorizedOperations = -2147483648
	return resp
}
