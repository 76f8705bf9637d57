package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kafka-classic/kafka-classic/logstore"
	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// replicaFetcherManager runs the follower side of replication (ReplicaFetcherManager): one
// fetcher goroutine per leader broker, fetching with this broker's replica id.
type replicaFetcherManager struct {
	s   *Server
	log zerolog.Logger

	mu       sync.Mutex
	fetchers map[int32]*replicaFetcher
	closed   bool
}

func newReplicaFetcherManager(s *Server) *replicaFetcherManager {
	return &replicaFetcherManager{s: s, fetchers: map[int32]*replicaFetcher{},
		log: s.log.With().Str(LoggerField, "kafka.server.ReplicaFetcherManager").Logger()}
}

// addPartition starts following leader for tp (after truncating to the leader's view).
func (m *replicaFetcherManager) addPartition(tp logstore.TopicPartition, leader, epoch int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	for id, f := range m.fetchers {
		if id != leader {
			f.remove(tp)
		}
	}
	f, ok := m.fetchers[leader]
	if !ok {
		f = newReplicaFetcher(m.s, leader)
		m.fetchers[leader] = f
		go f.run()
	}
	f.add(tp, epoch)
	m.log.Info().Msgf("[ReplicaFetcherManager on broker %d] Added fetcher to broker %d for partitions %s with leader epoch %d", m.s.cfg.BrokerID, leader, tp, epoch)
}

func (m *replicaFetcherManager) removePartition(tp logstore.TopicPartition) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.fetchers {
		f.remove(tp)
	}
}

func (m *replicaFetcherManager) shutdown() {
	m.mu.Lock()
	m.closed = true
	fs := m.fetchers
	m.fetchers = map[int32]*replicaFetcher{}
	m.mu.Unlock()
	for _, f := range fs {
		f.stop()
	}
}

type fetchState struct {
	epoch     int32
	truncated bool // the log was truncated to the leader's epoch boundary
	// aheadOfLeader: the leader answered OFFSET_OUT_OF_RANGE for an offset above its log
	// start, so our log end is past the leader's; truncate to the leader's log end.
	aheadOfLeader bool
	// retryAt delays a partition whose leader is not ready for it yet (replica.fetch.backoff.ms).
	retryAt time.Time
}

// replicaFetcher is one ReplicaFetcherThread.
type replicaFetcher struct {
	s      *Server
	leader int32
	log    zerolog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	partitions map[logstore.TopicPartition]*fetchState
	wake       chan struct{}

	client *protocol.Client
}

func newReplicaFetcher(s *Server, leader int32) *replicaFetcher {
	ctx, cancel := context.WithCancel(s.bgCtx)
	name := fmt.Sprintf("ReplicaFetcherThread-0-%d", leader)
	return &replicaFetcher{
		s: s, leader: leader, ctx: ctx, cancel: cancel, done: make(chan struct{}),
		partitions: map[logstore.TopicPartition]*fetchState{}, wake: make(chan struct{}, 1),
		log: s.log.With().Str(LoggerField, "kafka.server.ReplicaFetcherThread").Str("thread", name).Logger(),
	}
}

func (f *replicaFetcher) add(tp logstore.TopicPartition, epoch int32) {
	f.mu.Lock()
	f.partitions[tp] = &fetchState{epoch: epoch}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *replicaFetcher) remove(tp logstore.TopicPartition) {
	f.mu.Lock()
	delete(f.partitions, tp)
	f.mu.Unlock()
}

// removeIfEpoch drops tp only while it is still fetched at epoch: a response to a request
// built before a LeaderAndIsr re-added the partition says nothing about the new state
// (AbstractFetcherThread.onPartitionFenced).
func (f *replicaFetcher) removeIfEpoch(tp logstore.TopicPartition, epoch int32) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur, ok := f.partitions[tp]; ok && cur.epoch == epoch {
		delete(f.partitions, tp)
		return true
	}
	return false
}

// current reports whether tp is still fetched from this leader at epoch.
func (f *replicaFetcher) current(tp logstore.TopicPartition, epoch int32) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, ok := f.partitions[tp]
	return ok && cur.epoch == epoch
}

func (f *replicaFetcher) stop() {
	f.cancel()
	<-f.done
}

// replicaFetchBackoff is replica.fetch.backoff.ms (1000), Kafka's pause before retrying a
// partition that failed with a retriable error.
const replicaFetchBackoff = time.Second

// update changes tp's state if it is still fetched at epoch.
func (f *replicaFetcher) update(tp logstore.TopicPartition, epoch int32, fn func(st *fetchState)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur, ok := f.partitions[tp]; ok && cur.epoch == epoch {
		fn(cur)
	}
}

func (f *replicaFetcher) snapshot() map[logstore.TopicPartition]fetchState {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[logstore.TopicPartition]fetchState, len(f.partitions))
	for tp, st := range f.partitions {
		out[tp] = *st
	}
	return out
}

func (f *replicaFetcher) run() {
	defer close(f.done)
	defer func() {
		if f.client != nil {
			_ = f.client.Close()
		}
	}()
	backoff := time.Second
	for f.ctx.Err() == nil {
		parts := f.snapshot()
		if len(parts) == 0 {
			select {
			case <-f.wake:
			case <-f.ctx.Done():
				return
			}
			continue
		}
		if err := f.fetchOnce(parts); err != nil {
			if f.ctx.Err() != nil {
				return
			}
			f.log.Warn().Err(err).Msgf("Error in response for fetch request to broker %d", f.leader)
			if f.client != nil {
				_ = f.client.Close()
				f.client = nil
			}
			select {
			case <-time.After(backoff):
			case <-f.ctx.Done():
				return
			}
		}
	}
}

func (f *replicaFetcher) connect() error {
	if f.client != nil {
		return nil
	}
	ep, ok := f.s.cache.Endpoint(f.leader, f.s.cfg.InterBrokerListenerName)
	if !ok {
		return fmt.Errorf("leader %d is not in the metadata cache", f.leader)
	}
	ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	c, err := protocol.Dial(ctx, fmt.Sprintf("%s:%d", ep.Host, ep.Port), fmt.Sprintf("broker-%d-fetcher-0", f.s.cfg.BrokerID))
	if err != nil {
		return err
	}
	f.client = c
	return nil
}

// truncate brings a new follower back to the point where its log agrees with the leader's
// (OffsetsForLeaderEpoch), so no divergent suffix survives.
func (f *replicaFetcher) truncate(tp logstore.TopicPartition, st fetchState, lg *logstore.Log) error {
	latest := lg.LatestEpoch()
	target := lg.HighWatermark()
	if st.aheadOfLeader {
		end, err := f.leaderLogEnd(tp, st.epoch)
		if err != nil {
			return err
		}
		target = end
	} else if latest >= 0 {
		req := kmsg.NewPtrOffsetForLeaderEpochRequest()
		req.ReplicaID = f.s.cfg.BrokerID
		rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
		rt.Topic = tp.Topic
		rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		rp.Partition, rp.CurrentLeaderEpoch, rp.LeaderEpoch = tp.Partition, st.epoch, latest
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		ctx, cancel := context.WithTimeout(f.ctx, f.s.cfg.ControllerSocketTimeout)
		resp, err := f.client.Request(ctx, req)
		cancel()
		if err != nil {
			return err
		}
		r := resp.(*kmsg.OffsetForLeaderEpochResponse)
		if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 {
			return fmt.Errorf("malformed OffsetForLeaderEpoch response")
		}
		p := r.Topics[0].Partitions[0]
		if p.ErrorCode != 0 {
			return kerr.ErrorForCode(p.ErrorCode)
		}
		target = p.EndOffset
		if p.LeaderEpoch != latest && p.LeaderEpoch >= 0 {
			// The leader knows an earlier epoch only: our end of that epoch may exceed its end.
			if _, ours := lg.EndOffsetForEpoch(p.LeaderEpoch); ours < target {
				target = ours
			}
		}
	}
	if target < 0 || target > lg.LogEndOffset() {
		target = lg.LogEndOffset()
	}
	if target < lg.LogEndOffset() {
		// Truncate only while the partition still follows this leader at this epoch: a
		// LeaderAndIsr that arrived meanwhile (maybe making us the leader) takes precedence.
		p := f.s.replicas.partition(tp)
		if p == nil {
			return nil
		}
		p.mu.RLock()
		stale := p.log != lg || p.leader != f.leader || p.leaderEpoch != st.epoch
		var err error
		if !stale {
			f.log.Info().Msgf("Truncating partition %s with TruncationState(offset=%d, completed=true) due to leader epoch and offset EpochEndOffset", tp, target)
			err = lg.TruncateTo(target)
		}
		p.mu.RUnlock()
		if stale || err != nil {
			return err
		}
	}
	f.update(tp, st.epoch, func(cur *fetchState) { cur.truncated, cur.aheadOfLeader = true, false })
	return nil
}

// leaderLogEnd asks the leader for its log end offset (ListOffsets LATEST with our replica
// id, which the leader answers with its LEO rather than its high watermark).
func (f *replicaFetcher) leaderLogEnd(tp logstore.TopicPartition, epoch int32) (int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = f.s.cfg.BrokerID
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = tp.Topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition, rp.CurrentLeaderEpoch, rp.Timestamp = tp.Partition, epoch, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(f.ctx, f.s.cfg.ControllerSocketTimeout)
	resp, err := f.client.Request(ctx, req)
	cancel()
	if err != nil {
		return -1, err
	}
	r := resp.(*kmsg.ListOffsetsResponse)
	if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 {
		return -1, fmt.Errorf("malformed ListOffsets response")
	}
	p := r.Topics[0].Partitions[0]
	if p.ErrorCode != 0 {
		return -1, kerr.ErrorForCode(p.ErrorCode)
	}
	return p.Offset, nil
}

func (f *replicaFetcher) fetchOnce(parts map[logstore.TopicPartition]fetchState) error {
	if err := f.connect(); err != nil {
		return err
	}
	cfg := f.s.cfg
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = cfg.BrokerID
	req.MaxWaitMillis = int32(cfg.ReplicaFetchWaitMax / time.Millisecond)
	req.MinBytes = cfg.ReplicaFetchMinBytes
	req.MaxBytes = cfg.ReplicaFetchResponseMaxBytes
	req.SessionEpoch = -1
	byTopic := map[string]int{}
	logs := map[logstore.TopicPartition]*logstore.Log{}
	fetchOffsets := map[logstore.TopicPartition]int64{}
	for tp, st := range parts {
		p := f.s.replicas.partition(tp)
		if p == nil {
			continue
		}
		p.mu.RLock()
		lg := p.log
		p.mu.RUnlock()
		if lg == nil {
			continue
		}
		if st.retryAt.After(time.Now()) {
			continue
		}
		if !st.truncated {
			if err := f.truncate(tp, st, lg); err != nil {
				var kErr *kerr.Error
				if !errors.As(err, &kErr) {
					return fmt.Errorf("truncating %s: %w", tp, err)
				}
				// A partition-level answer (the leader has not applied the LeaderAndIsr yet, or
				// we are fenced) must not hold up the other partitions from this leader.
				f.log.Info().Msgf("Error truncating partition %s: %s; retrying after %v", tp, kErr, replicaFetchBackoff)
				f.update(tp, st.epoch, func(cur *fetchState) { cur.retryAt = time.Now().Add(replicaFetchBackoff) })
				continue
			}
		}
		logs[tp] = lg
		i, ok := byTopic[tp.Topic]
		if !ok {
			rt := kmsg.NewFetchRequestTopic()
			rt.Topic = tp.Topic
			req.Topics = append(req.Topics, rt)
			i = len(req.Topics) - 1
			byTopic[tp.Topic] = i
		}
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = tp.Partition
		rp.CurrentLeaderEpoch = st.epoch
		rp.FetchOffset = lg.LogEndOffset()
		fetchOffsets[tp] = rp.FetchOffset
		rp.LogStartOffset = lg.LogStartOffset()
		rp.PartitionMaxBytes = cfg.ReplicaFetchMaxBytes
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	if len(logs) == 0 {
		select {
		case <-f.wake:
		case <-time.After(100 * time.Millisecond):
		case <-f.ctx.Done():
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(f.ctx, cfg.ReplicaFetchWaitMax+30*time.Second)
	resp, err := f.client.Request(ctx, req)
	cancel()
	if err != nil {
		return err
	}
	r := resp.(*kmsg.FetchResponse)
	if r.ErrorCode != 0 {
		return kerr.ErrorForCode(r.ErrorCode)
	}
	for _, rt := range r.Topics {
		for _, rp := range rt.Partitions {
			tp := logstore.TopicPartition{Topic: rt.Topic, Partition: rp.Partition}
			lg, ok := logs[tp]
			if !ok {
				continue
			}
			f.handlePartition(tp, lg, parts[tp].epoch, fetchOffsets[tp], rp)
		}
	}
	return nil
}

func (f *replicaFetcher) handlePartition(tp logstore.TopicPartition, lg *logstore.Log, epoch int32, fetchOffset int64, rp kmsg.FetchResponseTopicPartition) {
	p := f.s.replicas.partition(tp)
	if p == nil {
		return
	}
	// The partition's read lock keeps LeaderAndIsr out while this response is applied; a
	// response to a request sent before leadership or the epoch changed, or before the log
	// was truncated, is dropped (AbstractFetcherThread.processFetchRequest), or a stale
	// leader's records could land in the log after the new leader's epoch began.
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.log != lg || p.leader != f.leader || p.leaderEpoch != epoch || !f.current(tp, epoch) || lg.LogEndOffset() != fetchOffset {
		return
	}
	switch kerr.ErrorForCode(rp.ErrorCode) {
	case nil:
	case kerr.OffsetOutOfRange:
		if rp.LogStartOffset >= 0 && fetchOffset < rp.LogStartOffset {
			// Retention or DeleteRecords removed what we need: start over at the leader's start.
			f.log.Warn().Msgf("Reset fetch offset for partition %s from %d to current leader %d's start offset %d", tp, fetchOffset, f.leader, rp.LogStartOffset)
			if err := lg.TruncateFullyAndStartAt(rp.LogStartOffset); err != nil {
				f.log.Error().Err(err).Msgf("Could not reset %s", tp)
			}
			return
		}
		// Our log end is beyond the leader's (e.g. after an unclean election): truncate to
		// the leader's log end before fetching again, keeping what we share with it.
		f.update(tp, epoch, func(st *fetchState) { st.truncated, st.aheadOfLeader = false, true })
		return
	case kerr.FencedLeaderEpoch:
		// A newer leader epoch exists: wait for the controller's LeaderAndIsr.
		if f.removeIfEpoch(tp, epoch) {
			f.log.Info().Msgf("Partition %s has an older epoch (%d) than the current leader. Will await the new LeaderAndIsr state before resuming fetching.", tp, epoch)
		}
		return
	default:
		// NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION: the leader
		// has not applied the LeaderAndIsr we have (the controller sends to every replica at
		// once), so try again after the backoff rather than dropping the partition.
		f.log.Info().Msgf("Error for partition %s at offset %d: %s; retrying after %v", tp, fetchOffset, kerr.ErrorForCode(rp.ErrorCode), replicaFetchBackoff)
		f.update(tp, epoch, func(st *fetchState) { st.retryAt = time.Now().Add(replicaFetchBackoff) })
		return
	}
	if len(rp.RecordBatches) > 0 {
		if _, err := lg.AppendAsFollower(rp.RecordBatches); err != nil {
			f.log.Error().Err(err).Msgf("Unexpected error occurred while processing data for partition %s at offset %d", tp, lg.LogEndOffset())
			return
		}
	}
	hw := rp.HighWatermark
	if leo := lg.LogEndOffset(); hw > leo {
		hw = leo
	}
	if hw > lg.HighWatermark() {
		lg.SetHighWatermark(hw)
	}
	if rp.LogStartOffset > lg.LogStartOffset() && rp.LogStartOffset <= lg.HighWatermark() {
		if _, err := lg.DeleteRecordsBefore(rp.LogStartOffset); err != nil {
			f.log.Warn().Err(err).Msgf("Could not advance log start offset of %s", tp)
		}
	}
}
