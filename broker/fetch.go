package broker

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/kafka-classic/kafka-classic/logstore"
	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Fetch reads from leader logs (ReplicaManager.fetchMessages). Consumers read up to the high
// watermark, followers (ReplicaID >= 0) up to the log end offset, and a follower's fetch offset
// is its log end offset as far as the leader's ISR bookkeeping is concerned. When fewer than
// MinBytes are available the request parks until an append or HW move wakes it or MaxWait
// passes (DelayedFetch). Record bytes go from the segment file to the socket with sendfile, as stored.
func (s *Server) Fetch(ctx context.Context, rc *protocol.RequestContext, req *kmsg.FetchRequest) *kmsg.FetchResponse {
	replicaID := req.ReplicaID
	if replicaID >= 0 {
		s.recordFollowerFetch(replicaID, req)
	}
	maxWait := time.Duration(req.MaxWaitMillis) * time.Millisecond
	deadline := time.Now().Add(maxWait)
	var w *waiter
	var watched []*Partition
	defer func() {
		for _, p := range watched {
			p.removeWaiter(w)
		}
	}()
	for {
		resp, bytes, hasError, parts := s.readFetch(rc, req)
		if bytes >= int(req.MinBytes) || hasError || !time.Now().Before(deadline) || req.MaxWaitMillis <= 0 {
			return resp
		}
		if w == nil {
			w = newWaiter()
			for _, p := range parts {
				p.addWaiter(w)
			}
			watched = parts
			// Something may have arrived between the read and the registration.
			continue
		}
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-w.ch:
			t.Stop()
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return resp
		}
	}
}

// readFetch does one pass over the requested partitions. It returns the response, the record
// bytes gathered, whether any partition failed, and the partitions worth waiting on.
func (s *Server) readFetch(rc *protocol.RequestContext, req *kmsg.FetchRequest) (*kmsg.FetchResponse, int, bool, []*Partition) {
	rc.ResetRegions()
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	resp.Version = req.Version
	isFollower := req.ReplicaID >= 0
	maxBytes := int64(req.MaxBytes)
	if req.Version < 3 || maxBytes <= 0 {
		maxBytes = math.MaxInt32
	}
	total := int64(0)
	hasError := false
	var parts []*Partition
	for ti := range req.Topics {
		rt := &req.Topics[ti]
		st := kmsg.NewFetchResponseTopic()
		st.Topic = rt.Topic
		st.TopicID = rt.TopicID
		known := s.cache.PartitionCount(rt.Topic) > 0
		for pi := range rt.Partitions {
			rp := &rt.Partitions[pi]
			sp := kmsg.NewFetchResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = -1, -1, -1
			// Kafka always sends a (possibly empty) record set; librdkafka rejects a null one.
			sp.RecordBatches = noRecords
			tp := logstore.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}
			p, kErr := s.replicas.leaderPartition(tp, known)
			if kErr != nil {
				sp.ErrorCode = kErr.Code
				hasError = true
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			parts = append(parts, p)
			p.mu.RLock()
			epoch := p.leaderEpoch
			lg := p.log
			p.mu.RUnlock()
			if req.Version >= 9 && rp.CurrentLeaderEpoch >= 0 {
				switch {
				case rp.CurrentLeaderEpoch < epoch:
					kErr = kerr.FencedLeaderEpoch
				case rp.CurrentLeaderEpoch > epoch:
					kErr = kerr.UnknownLeaderEpoch
				}
				if kErr != nil {
					sp.ErrorCode = kErr.Code
					hasError = true
					st.Partitions = append(st.Partitions, sp)
					continue
				}
			}
			hw := lg.HighWatermark()
			sp.HighWatermark = hw
			sp.LastStableOffset = hw
			sp.LogStartOffset = lg.LogStartOffset()
			limit := hw
			if isFollower {
				limit = lg.LogEndOffset()
			}
			partMax := int64(rp.PartitionMaxBytes)
			if rem := maxBytes - total; rem < partMax {
				partMax = rem
			}
			if partMax < 0 {
				partMax = 0
			}
			// Like Kafka, the first partition with data returns at least one whole batch so a
			// batch larger than the limits cannot stall a consumer.
			minOne := total == 0
			res, err := lg.Read(rp.FetchOffset, int32(partMax), limit, minOne)
			if err != nil {
				if !errors.Is(err, logstore.ErrOffsetOutOfRange) {
					s.log.Warn().Err(err).Str("partition", tp.String()).Msg("Error processing fetch")
				}
				sp.ErrorCode = errorCodeFor(err).Code
				hasError = true
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			if res.Size > 0 {
				// The record bytes stay in the segment file until the connection sends them.
				sp.RecordBatches = rc.AttachRegion(protocol.FileRegion{File: res.File, Pos: res.Pos, Size: res.Size})
				total += int64(res.Size)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	if !isFollower {
		s.metrics.bytesOut.Add(float64(total))
	}
	return resp, int(total), hasError, parts
}

var noRecords = []byte{}

// recordFollowerFetch is the leader side of replication: a follower fetching from offset N has
// everything below N, which may advance the high watermark and bring it back into the ISR.
func (s *Server) recordFollowerFetch(replicaID int32, req *kmsg.FetchRequest) {
	now := time.Now()
	for ti := range req.Topics {
		rt := &req.Topics[ti]
		for pi := range rt.Partitions {
			rp := &rt.Partitions[pi]
			p := s.replicas.partition(logstore.TopicPartition{Topic: rt.Topic, Partition: rp.Partition})
			if p == nil {
				continue
			}
			p.mu.Lock()
			if !p.isLeaderLocked() || !containsID(p.replicas, replicaID) {
				p.mu.Unlock()
				continue
			}
			f, ok := p.followers[replicaID]
			if !ok {
				f = &followerState{logEndOffset: -1}
				p.followers[replicaID] = f
			}
			leo := p.log.LogEndOffset()
			// Like Kafka, only a fetch the leader would serve counts as progress: a follower
			// fenced by a newer leader epoch (a zombie that slept through an election) or
			// fetching outside the log must not move the HW or rejoin the ISR on its word.
			if req.Version >= 9 && rp.CurrentLeaderEpoch >= 0 && rp.CurrentLeaderEpoch != p.leaderEpoch ||
				rp.FetchOffset > leo || rp.FetchOffset < p.log.LogStartOffset() {
				p.mu.Unlock()
				continue
			}
			switch {
			case rp.FetchOffset >= leo:
				f.lastCaughtUpTime = now
			case rp.FetchOffset >= f.lastFetchLeaderLEO && f.lastFetchTime.After(f.lastCaughtUpTime):
				f.lastCaughtUpTime = f.lastFetchTime
			}
			f.logEndOffset = rp.FetchOffset
			f.lastFetchLeaderLEO, f.lastFetchTime = leo, now
			s.maybeExpandIsrLocked(p, replicaID, f)
			moved := p.maybeIncrementHighWatermarkLocked()
			p.mu.Unlock()
			if moved {
				p.wake()
			}
		}
	}
}
