package broker

import (
	"context"
	"time"

	"github.com/kafka-classic/kafka-classic/logstore"
	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Produce appends each partition's batches to the leader's log (ReplicaManager.appendRecords),
// then for acks=all parks until the high watermark passes every appended batch or the request
// timeout expires (DelayedProduce).
func (s *Server) Produce(ctx context.Context, rc *protocol.RequestContext, req *kmsg.ProduceRequest) *kmsg.ProduceResponse {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	resp.Version = req.Version
	type pending struct {
		p      *Partition
		ti, pi int // indexes into resp.Topics / Partitions, stable once the loop is done
		need   int64
		part   *kmsg.ProduceResponseTopicPartition
	}
	var waits []pending
	badAcks := req.Acks != 0 && req.Acks != 1 && req.Acks != -1
	for ti := range req.Topics {
		rt := &req.Topics[ti]
		st := kmsg.NewProduceResponseTopic()
		st.Topic = rt.Topic
		known := s.cache.PartitionCount(rt.Topic) > 0
		for pi := range rt.Partitions {
			rp := &rt.Partitions[pi]
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = -1, -1, -1
			if badAcks {
				sp.ErrorCode = kerr.InvalidRequiredAcks.Code
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			tp := logstore.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}
			p, kErr := s.replicas.leaderPartition(tp, known)
			if kErr == nil && isInternalTopic(rt.Topic) && rc.ClientID != internalClientID {
				kErr = kerr.InvalidTopicException
			}
			if kErr != nil {
				sp.ErrorCode = kErr.Code
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			res, kErr := s.appendToLeader(p, rp.Records, req.Acks)
			if kErr != nil {
				sp.ErrorCode = kErr.Code
				if kErr == kerr.CorruptMessage || kErr == kerr.InvalidRecord {
					s.log.Warn().Str("partition", tp.String()).Str("error", kErr.Message).Msg("Rejected produce request")
				}
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			sp.BaseOffset = res.FirstOffset
			sp.LogAppendTime = res.LogAppendTime
			sp.LogStartOffset = res.LogStartOffset
			st.Partitions = append(st.Partitions, sp)
			if req.Acks == -1 {
				waits = append(waits, pending{p: p, ti: len(resp.Topics), pi: len(st.Partitions) - 1, need: res.LastOffset + 1})
			}
			s.metrics.messagesIn.Add(float64(res.NumRecords))
			s.metrics.bytesIn.Add(float64(len(rp.Records)))
		}
		resp.Topics = append(resp.Topics, st)
	}
	if len(waits) > 0 {
		for i := range waits {
			waits[i].part = &resp.Topics[waits[i].ti].Partitions[waits[i].pi]
		}
		timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
		w := newWaiter()
		for _, pw := range waits {
			pw.p.addWaiter(w)
		}
		deadline := time.NewTimer(timeout)
		defer deadline.Stop()
		for {
			done := true
			for _, pw := range waits {
				if pw.part.ErrorCode != 0 {
					continue
				}
				pw.p.mu.RLock()
				hw := int64(-1)
				if pw.p.log != nil {
					hw = pw.p.log.HighWatermark()
				}
				leader := pw.p.isLeaderLocked()
				// The high watermark may have passed the batch only because the ISR shrank:
				// then fewer than min.insync.replicas hold it and the producer must know
				// (Partition.checkEnoughReplicasReachOffset).
				tooFew := leader && int32(len(pw.p.isr)) < pw.p.log.Config().MinInsyncReplicas
				pw.p.mu.RUnlock()
				switch {
				case !leader:
					pw.part.ErrorCode = kerr.NotLeaderForPartition.Code
				case hw < pw.need:
					done = false
				case tooFew:
					pw.part.ErrorCode = kerr.NotEnoughReplicasAfterAppend.Code
				}
			}
			if done {
				break
			}
			select {
			case <-w.ch:
				continue
			case <-deadline.C:
			case <-ctx.Done():
			}
			for _, pw := range waits {
				pw.p.mu.RLock()
				hw := int64(-1)
				if pw.p.log != nil { // StopReplica(delete) drops the log
					hw = pw.p.log.HighWatermark()
				}
				pw.p.mu.RUnlock()
				if hw < pw.need && pw.part.ErrorCode == 0 {
					pw.part.ErrorCode = kerr.RequestTimedOut.Code
				}
			}
			break
		}
		for _, pw := range waits {
			pw.p.removeWaiter(w)
		}
	}
	if req.Acks == 0 {
		return nil
	}
	return resp
}

// internalClientID marks the broker's own writes to internal topics (group coordinator).
const internalClientID = "__broker_internal"

// appendToLeader is Partition.appendRecordsToLeader: leadership and min.insync.replicas checks
// under the partition's read lock, then the log append, then HW advancement and wake-ups.
func (s *Server) appendToLeader(p *Partition, records []byte, acks int16) (logstore.AppendResult, *kerr.Error) {
	p.mu.RLock()
	if !p.isLeaderLocked() {
		p.mu.RUnlock()
		return logstore.AppendResult{}, kerr.NotLeaderForPartition
	}
	if acks == -1 && int32(len(p.isr)) < p.log.Config().MinInsyncReplicas {
		p.mu.RUnlock()
		return logstore.AppendResult{}, kerr.NotEnoughReplicas
	}
	res, err := p.log.AppendAsLeader(records, p.leaderEpoch)
	if err != nil {
		p.mu.RUnlock()
		return res, errorCodeFor(err)
	}
	p.maybeIncrementHighWatermarkLocked()
	p.mu.RUnlock()
	p.wake()
	return res, nil
}
