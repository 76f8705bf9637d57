package broker

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kafka-classic/kafka-classic/logstore"
	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// isrChangeSet batches partitions whose ISR this broker changed, published as one
// /isr_change_notification entry (ReplicaManager.maybePropagateIsrChanges, pre-AlterIsr path).
type isrChangeSet struct {
	mu          sync.Mutex
	pending     map[zkmeta.TP]struct{}
	lastChange  time.Time
	lastPublish time.Time
}

func (c *isrChangeSet) record(tp logstore.TopicPartition) {
	c.mu.Lock()
	if c.pending == nil {
		c.pending = map[zkmeta.TP]struct{}{}
	}
	c.pending[zkmeta.TP{Topic: tp.Topic, Partition: tp.Partition}] = struct{}{}
	c.lastChange = time.Now()
	c.mu.Unlock()
}

// Kafka publishes when changes are pending and either 5 s passed without a new change or 60 s
// passed since the last publication; the check runs every 2.5 s.
const (
	isrPropagateInterval = 2500 * time.Millisecond
	isrChangeQuiet       = 5000 * time.Millisecond
	isrPublishMax        = 60000 * time.Millisecond
)

func (c *isrChangeSet) takeDue(now time.Time) []zkmeta.TP {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		return nil
	}
	if now.Sub(c.lastChange) < isrChangeQuiet && now.Sub(c.lastPublish) < isrPublishMax {
		return nil
	}
	out := make([]zkmeta.TP, 0, len(c.pending))
	for tp := range c.pending {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	c.pending = nil
	c.lastPublish = now
	return out
}

// runIsrMaintenance shrinks ISRs of lagging followers and publishes ISR change notifications.
func (s *Server) runIsrMaintenance() {
	shrinkEvery := s.cfg.ReplicaLagTimeMax / 2
	if shrinkEvery <= 0 {
		shrinkEvery = 15 * time.Second
	}
	shrink := time.NewTicker(shrinkEvery)
	publish := time.NewTicker(isrPropagateInterval)
	defer shrink.Stop()
	defer publish.Stop()
	for {
		select {
		case <-s.bgCtx.Done():
			return
		case <-shrink.C:
			for _, p := range s.replicas.allPartitions() {
				s.maybeShrinkIsr(p)
			}
		case now := <-publish.C:
			if tps := s.isrChanges.takeDue(now); len(tps) > 0 {
				if err := s.zk.WriteIsrChangeNotification(tps); err != nil {
					s.log.Warn().Err(err).Msg("Could not write the ISR change notification")
				}
			}
		}
	}
}

// maybeShrinkIsr drops followers that have not caught up within replica.lag.time.max.ms.
func (s *Server) maybeShrinkIsr(p *Partition) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.isLeaderLocked() {
		return
	}
	now := time.Now()
	leo := p.log.LogEndOffset()
	var out, kept []int32
	for _, id := range p.isr {
		if id == s.cfg.BrokerID {
			kept = append(kept, id)
			continue
		}
		// Out of sync means behind the leader's log end AND not caught up for
		// replica.lag.time.max.ms (Partition.isFollowerOutOfSync): a follower that holds
		// everything stays, however long ago it last fetched.
		f, ok := p.followers[id]
		if ok && (f.logEndOffset == leo || now.Sub(f.lastCaughtUpTime) <= s.cfg.ReplicaLagTimeMax) {
			kept = append(kept, id)
			continue
		}
		out = append(out, id)
	}
	if len(out) == 0 {
		return
	}
	var outLog []string
	for _, id := range out {
		end := int64(-1)
		if f, ok := p.followers[id]; ok {
			end = f.logEndOffset
		}
		outLog = append(outLog, fmt.Sprintf("(brokerId: %d, endOffset: %d)", id, end))
	}
	s.partitionLog(p).Info().Msgf("Shrinking ISR from %s to %s. Leader: (highWatermark: %d, endOffset: %d). Out of sync replicas: %s.",
		joinIDs(p.isr), joinIDs(kept), p.log.HighWatermark(), p.log.LogEndOffset(), strings.Join(outLog, " "))
	if s.writeIsrLocked(p, kept) && p.maybeIncrementHighWatermarkLocked() {
		go p.wake()
	}
}

// maybeExpandIsrLocked adds a follower back once it has reached the high watermark and the
// start of the current leader epoch. p.mu must be held for writing.
func (s *Server) maybeExpandIsrLocked(p *Partition, id int32, f *followerState) {
	if containsID(p.isr, id) || f.logEndOffset < p.log.HighWatermark() {
		return
	}
	if _, start := p.log.EndOffsetForEpoch(p.leaderEpoch - 1); f.logEndOffset < start {
		return
	}
	next := append(append([]int32(nil), p.isr...), id)
	s.partitionLog(p).Info().Msgf("Expanding ISR from %s to %s", joinIDs(p.isr), joinIDs(next))
	s.writeIsrLocked(p, next)
}

// writeIsrLocked records a new ISR in the partition state znode, conditional on the zkVersion
// this leader last saw; on a version conflict it keeps its state and waits for the controller.
func (s *Server) writeIsrLocked(p *Partition, isr []int32) bool {
	li := zkmeta.LeaderIsr{Leader: s.cfg.BrokerID, LeaderEpoch: p.leaderEpoch, ISR: isr, ControllerEpoch: p.controllerEpoch, ZkVersion: p.zkVersion}
	v, err := s.zk.UpdatePartitionState(-1, zkmeta.TP{Topic: p.tp.Topic, Partition: p.tp.Partition}, li)
	if err != nil {
		s.partitionLog(p).Info().Msgf("Cached zkVersion %d not equal to that in zookeeper, skip updating ISR (%v)", p.zkVersion, err)
		return false
	}
	p.isr, p.zkVersion = isr, v
	s.partitionLog(p).Info().Msgf("ISR updated to %s and version updated to [%d]", joinIDs(isr), v)
	s.isrChanges.record(p.tp)
	return true
}

// partitionLog is Kafka's Partition logger: "[Partition t-0 broker=1] ..." (kafka.cluster.Partition).
func (s *Server) partitionLog(p *Partition) *prefixedLogger {
	return &prefixedLogger{log: s.log.With().Str(LoggerField, "kafka.cluster.Partition").Logger(),
		prefix: fmt.Sprintf("[Partition %s broker=%d] ", p.tp, s.cfg.BrokerID)}
}

// joinIDs renders replica ids as Scala's mkString(",") does.
func joinIDs(ids []int32) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(int(id))
	}
	return strings.Join(parts, ",")
}
