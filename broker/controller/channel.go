package controller

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// Request versions for IBP 2.8-IV1 (§2.13).
const (
	leaderAndIsrVersion   = 5
	updateMetadataVersion = 7
	stopReplicaVersion    = 3
)

// Sentinel leader epochs and leaders (LeaderAndIsr.scala).
const (
	noLeader           int32 = -1
	leaderDuringDelete int32 = -2
	epochDuringDelete  int32 = -2
	noEpoch            int32 = -1
)

// channelManager is ControllerChannelManager: one queue and one sender goroutine per broker,
// so a slow or dead broker never delays requests to the others, and requests to one broker
// keep their order.
type channelManager struct {
	c       *Controller
	mu      sync.Mutex
	brokers map[int32]*brokerChannel
}

type brokerChannel struct {
	info   zkmeta.BrokerInfo
	mu     sync.Mutex
	queue  []outbound
	signal chan struct{}
	stop   chan struct{}
	done   chan struct{}
}

type outbound struct {
	req      kmsg.Request
	callback func(kmsg.Response)
}

func newChannelManager(c *Controller) *channelManager {
	return &channelManager{c: c, brokers: map[int32]*brokerChannel{}}
}

func (m *channelManager) addBroker(info zkmeta.BrokerInfo) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.brokers[info.ID]; ok {
		return
	}
	bc := &brokerChannel{info: info, signal: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	m.brokers[info.ID] = bc
	go m.sendLoop(bc)
}

func (m *channelManager) removeBroker(id int32) {
	m.mu.Lock()
	bc, ok := m.brokers[id]
	delete(m.brokers, id)
	m.mu.Unlock()
	if ok {
		close(bc.stop)
	}
}

// updateBroker swaps the endpoints used for later sends (BrokerModifications).
func (m *channelManager) updateBroker(info zkmeta.BrokerInfo) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if bc, ok := m.brokers[info.ID]; ok {
		bc.mu.Lock()
		bc.info = info
		bc.mu.Unlock()
	}
}

func (m *channelManager) shutdown() {
	m.mu.Lock()
	all := m.brokers
	m.brokers = map[int32]*brokerChannel{}
	m.mu.Unlock()
	for _, bc := range all {
		close(bc.stop)
	}
}

func (m *channelManager) send(id int32, req kmsg.Request, cb func(kmsg.Response)) {
	m.mu.Lock()
	bc, ok := m.brokers[id]
	m.mu.Unlock()
	if !ok {
		m.c.log.Warn().Msgf("Not sending request %s to broker %d, since it is offline.", requestName(req), id)
		return
	}
	bc.mu.Lock()
	bc.queue = append(bc.queue, outbound{req: req, callback: cb})
	bc.mu.Unlock()
	select {
	case bc.signal <- struct{}{}:
	default:
	}
}

// sendLoop is RequestSendThread: it retries a request until it gets an answer or the broker is
// removed, because skipping one would leave that broker with stale leadership.
func (m *channelManager) sendLoop(bc *brokerChannel) {
	defer close(bc.done)
	for {
		bc.mu.Lock()
		var item outbound
		have := len(bc.queue) > 0
		if have {
			item = bc.queue[0]
			bc.queue = bc.queue[1:]
		}
		info := bc.info
		bc.mu.Unlock()
		if !have {
			select {
			case <-bc.signal:
				continue
			case <-bc.stop:
				return
			}
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), m.c.cfg.SocketTimeout)
			resp, err := m.c.sender.Send(ctx, info, item.req)
			cancel()
			if err == nil {
				if item.callback != nil {
					item.callback(resp)
				}
				break
			}
			m.c.log.Warn().Err(err).Msgf("Controller %d epoch %d fails to send request %s to broker %d. Reconnecting to broker.",
				m.c.cfg.BrokerID, m.c.epoch.Load(), requestName(item.req), info.ID)
			select {
			case <-bc.stop:
				return
			case <-time.After(m.c.cfg.RetryBackoff):
			}
		}
	}
}

func requestName(req kmsg.Request) string {
	switch req.(type) {
	case *kmsg.LeaderAndISRRequest:
		return "LeaderAndIsr"
	case *kmsg.UpdateMetadataRequest:
		return "UpdateMetadata"
	case *kmsg.StopReplicaRequest:
		return "StopReplica"
	}
	return fmt.Sprintf("key %d", req.Key())
}

// requestBatch is ControllerBrokerRequestBatch: state-machine steps add requests, and
// sendRequestsToBrokers flushes them (LeaderAndIsr, then UpdateMetadata, then StopReplica).
type requestBatch struct {
	c            *Controller
	leaderAndIsr map[int32]map[zkmeta.TP]kmsg.LeaderAndISRRequestTopicPartition
	umrBrokers   map[int32]bool
	umrParts     map[zkmeta.TP]kmsg.UpdateMetadataRequestTopicPartition
	stopReplica  map[int32]map[zkmeta.TP]kmsg.StopReplicaRequestTopicPartitionState
}

func newRequestBatch(c *Controller) *requestBatch {
	b := &requestBatch{c: c}
	b.reset()
	return b
}

func (b *requestBatch) reset() {
	b.leaderAndIsr = map[int32]map[zkmeta.TP]kmsg.LeaderAndISRRequestTopicPartition{}
	b.umrBrokers = map[int32]bool{}
	b.umrParts = map[zkmeta.TP]kmsg.UpdateMetadataRequestTopicPartition{}
	b.stopReplica = map[int32]map[zkmeta.TP]kmsg.StopReplicaRequestTopicPartitionState{}
}

func (b *requestBatch) empty() bool {
	return len(b.leaderAndIsr) == 0 && len(b.umrBrokers) == 0 && len(b.stopReplica) == 0
}

// addLeaderAndIsr queues a LeaderAndIsr for tp to brokers and, as Kafka does, an
// UpdateMetadata for tp to every live broker.
func (b *requestBatch) addLeaderAndIsr(brokers []int32, tp zkmeta.TP, li zkmeta.LeaderIsr, a replicaAssignment, isNew bool) {
	for _, id := range brokers {
		if id < 0 {
			continue
		}
		m, ok := b.leaderAndIsr[id]
		if !ok {
			m = map[zkmeta.TP]kmsg.LeaderAndISRRequestTopicPartition{}
			b.leaderAndIsr[id] = m
		}
		old, had := m[tp]
		p := kmsg.NewLeaderAndISRRequestTopicPartition()
		p.Topic = tp.Topic
		p.Partition = tp.Partition
		p.ControllerEpoch = li.ControllerEpoch
		p.Leader = li.Leader
		p.LeaderEpoch = li.LeaderEpoch
		p.ISR = append([]int32{}, li.ISR...)
		p.ZKVersion = li.ZkVersion
		p.Replicas = append([]int32{}, a.replicas...)
		p.AddingReplicas = append([]int32{}, a.adding...)
		p.RemovingReplicas = append([]int32{}, a.removing...)
		p.IsNew = isNew || (had && old.IsNew)
		m[tp] = p
	}
	b.addUpdateMetadata(b.c.ctx.liveOrShuttingDownBrokerIDs(), []zkmeta.TP{tp})
}

// addUpdateMetadata adds brokers to the UpdateMetadata recipients and tps' current states
// (leader -2 while the topic is being deleted) to its partition list.
func (b *requestBatch) addUpdateMetadata(brokers []int32, tps []zkmeta.TP) {
	cc := b.c.ctx
	for _, id := range brokers {
		b.umrBrokers[id] = true
	}
	for _, tp := range tps {
		li, ok := cc.leadership[tp]
		if !ok {
			b.c.log.Info().Msgf("Leader not yet assigned for partition %s. Skip sending UpdateMetadataRequest.", tpString(tp))
			continue
		}
		replicas := cc.replicas(tp)
		p := kmsg.NewUpdateMetadataRequestTopicPartition()
		p.Topic = tp.Topic
		p.Partition = tp.Partition
		p.ControllerEpoch = li.ControllerEpoch
		if cc.topicsToBeDeleted[tp.Topic] {
			p.Leader, p.LeaderEpoch, p.ZKVersion = leaderDuringDelete, 0, 0
		} else {
			p.Leader, p.LeaderEpoch, p.ZKVersion = li.Leader, li.LeaderEpoch, li.ZkVersion
		}
		p.ISR = append([]int32{}, li.ISR...)
		p.Replicas = append([]int32{}, replicas...)
		p.OfflineReplicas = filterIDs(replicas, func(r int32) bool { return !cc.isReplicaOnline(r, tp, false) })
		b.umrParts[tp] = p
	}
}

func (b *requestBatch) addStopReplica(brokers []int32, tp zkmeta.TP, deletePartition bool) {
	cc := b.c.ctx
	epoch := noEpoch
	if cc.topicsToBeDeleted[tp.Topic] {
		epoch = epochDuringDelete
	} else if li, ok := cc.leadership[tp]; ok {
		epoch = li.LeaderEpoch
	}
	for _, id := range brokers {
		m, ok := b.stopReplica[id]
		if !ok {
			m = map[zkmeta.TP]kmsg.StopReplicaRequestTopicPartitionState{}
			b.stopReplica[id] = m
		}
		s := kmsg.NewStopReplicaRequestTopicPartitionState()
		s.Partition = tp.Partition
		s.LeaderEpoch = epoch
		s.Delete = deletePartition || m[tp].Delete
		m[tp] = s
	}
}

// sendRequestsToBrokers flushes the batch into the per-broker channels.
func (b *requestBatch) sendRequestsToBrokers() {
	c := b.c
	cc := c.ctx
	if c.channels == nil {
		b.reset()
		return
	}
	for _, id := range sortedBrokerKeys(b.leaderAndIsr) {
		info, live := cc.liveBrokers[id]
		if !live {
			continue
		}
		parts := b.leaderAndIsr[id]
		tps := make([]zkmeta.TP, 0, len(parts))
		for tp := range parts {
			tps = append(tps, tp)
		}
		sortTPs(tps)
		req := kmsg.NewPtrLeaderAndISRRequest()
		req.Version = leaderAndIsrVersion
		req.ControllerID = c.cfg.BrokerID
		req.ControllerEpoch = cc.epoch
		req.BrokerEpoch = info.Epoch
		leaders := map[int32]bool{}
		leaderCount := 0
		var topicIdx = map[string]int{}
		for _, tp := range tps {
			p := parts[tp]
			kind := "become-follower"
			if p.Leader == id {
				kind = "become-leader"
				leaderCount++
			}
			c.stateChange(zerolog.TraceLevel, "Sending %s LeaderAndIsr request %s to broker %d for partition %s", kind, lirPartitionString(p), id, tpString(tp))
			if p.Leader >= 0 {
				leaders[p.Leader] = true
			}
			i, ok := topicIdx[tp.Topic]
			if !ok {
				ts := kmsg.NewLeaderAndISRRequestTopicState()
				ts.Topic = tp.Topic
				ts.TopicID = topicIDBytes(cc.topicIDs[tp.Topic])
				req.TopicStates = append(req.TopicStates, ts)
				i = len(req.TopicStates) - 1
				topicIdx[tp.Topic] = i
			}
			req.TopicStates[i].PartitionStates = append(req.TopicStates[i].PartitionStates, p)
		}
		for _, lid := range sortedBoolKeys(leaders) {
			lb, ok := cc.liveBrokers[lid]
			if !ok {
				continue
			}
			host, port := interBrokerEndpoint(lb, c.cfg.InterBrokerListener)
			ll := kmsg.NewLeaderAndISRRequestLiveLeader()
			ll.BrokerID, ll.Host, ll.Port = lid, host, int32(port)
			req.LiveLeaders = append(req.LiveLeaders, ll)
		}
		c.stateChange(zerolog.InfoLevel, "Sending LeaderAndIsr request to broker %d with %d become-leader and %d become-follower partitions",
			id, leaderCount, len(tps)-leaderCount)
		brokerID := id
		c.channels.send(id, req, func(r kmsg.Response) { c.onLeaderAndIsrResponse(brokerID, r) })
	}

	if len(b.umrBrokers) > 0 {
		var targets []int32
		for _, id := range sortedBoolKeys(b.umrBrokers) {
			if _, ok := cc.liveBrokers[id]; ok {
				targets = append(targets, id)
			}
		}
		tps := make([]zkmeta.TP, 0, len(b.umrParts))
		for tp := range b.umrParts {
			tps = append(tps, tp)
		}
		sortTPs(tps)
		c.stateChange(zerolog.InfoLevel, "Sending UpdateMetadata request to brokers Set(%s) for %d partitions", joinIDsComma(targets), len(tps))
		liveBrokers := c.liveBrokersForUMR()
		for _, id := range targets {
			req := kmsg.NewPtrUpdateMetadataRequest()
			req.Version = updateMetadataVersion
			req.ControllerID = c.cfg.BrokerID
			req.ControllerEpoch = cc.epoch
			req.BrokerEpoch = cc.liveBrokers[id].Epoch
			topicIdx := map[string]int{}
			for _, tp := range tps {
				i, ok := topicIdx[tp.Topic]
				if !ok {
					ts := kmsg.NewUpdateMetadataRequestTopicState()
					ts.Topic = tp.Topic
					ts.TopicID = topicIDBytes(cc.topicIDs[tp.Topic])
					req.TopicStates = append(req.TopicStates, ts)
					i = len(req.TopicStates) - 1
					topicIdx[tp.Topic] = i
				}
				req.TopicStates[i].PartitionStates = append(req.TopicStates[i].PartitionStates, b.umrParts[tp])
			}
			req.LiveBrokers = liveBrokers
			brokerID := id
			c.channels.send(id, req, func(r kmsg.Response) {
				if resp, ok := r.(*kmsg.UpdateMetadataResponse); ok && resp.ErrorCode != 0 {
					c.log.Error().Msgf("Received error %s in UpdateMetadata response from broker %d", kerr.ErrorForCode(resp.ErrorCode), brokerID)
				}
			})
		}
	}

	for _, id := range sortedBrokerKeys(b.stopReplica) {
		info, live := cc.liveBrokers[id]
		if !live {
			continue
		}
		parts := b.stopReplica[id]
		tps := make([]zkmeta.TP, 0, len(parts))
		for tp := range parts {
			tps = append(tps, tp)
		}
		sortTPs(tps)
		req := kmsg.NewPtrStopReplicaRequest()
		req.Version = stopReplicaVersion
		req.ControllerID = c.cfg.BrokerID
		req.ControllerEpoch = cc.epoch
		req.BrokerEpoch = info.Epoch
		topicIdx := map[string]int{}
		deleting := map[zkmeta.TP]bool{}
		for _, tp := range tps {
			i, ok := topicIdx[tp.Topic]
			if !ok {
				t := kmsg.NewStopReplicaRequestTopic()
				t.Topic = tp.Topic
				req.Topics = append(req.Topics, t)
				i = len(req.Topics) - 1
				topicIdx[tp.Topic] = i
			}
			s := parts[tp]
			req.Topics[i].PartitionStates = append(req.Topics[i].PartitionStates, s)
			if s.Delete {
				deleting[tp] = true
			}
		}
		c.stateChange(zerolog.InfoLevel, "Sending StopReplica request for %d replicas to broker %d", len(tps), id)
		brokerID := id
		c.channels.send(id, req, func(r kmsg.Response) { c.onStopReplicaResponse(brokerID, deleting, r) })
	}
	b.reset()
}

// liveBrokersForUMR lists every live or shutting-down broker with all its endpoints.
func (c *Controller) liveBrokersForUMR() []kmsg.UpdateMetadataRequestLiveBroker {
	var out []kmsg.UpdateMetadataRequestLiveBroker
	for _, id := range c.ctx.liveOrShuttingDownBrokerIDs() {
		info := c.ctx.liveBrokers[id]
		lb := kmsg.NewUpdateMetadataRequestLiveBroker()
		lb.ID = id
		for _, ep := range info.Endpoints {
			e := kmsg.NewUpdateMetadataRequestLiveBrokerEndpoint()
			e.Port = int32(ep.Port)
			e.Host = ep.Host
			e.ListenerName = ep.Listener
			e.SecurityProtocol = securityProtocolID(ep.SecurityProtocol)
			lb.Endpoints = append(lb.Endpoints, e)
		}
		if info.Rack != "" {
			rack := info.Rack
			lb.Rack = &rack
		}
		out = append(out, lb)
	}
	return out
}

func (c *Controller) onLeaderAndIsrResponse(brokerID int32, r kmsg.Response) {
	resp, ok := r.(*kmsg.LeaderAndISRResponse)
	if !ok {
		return
	}
	ev := &leaderAndIsrResponseEvent{brokerID: brokerID, errCode: resp.ErrorCode, errors: map[zkmeta.TP]int16{}}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				ev.errors[zkmeta.TP{Topic: c.topicNameForResponse(t.TopicID, p.Topic), Partition: p.Partition}] = p.ErrorCode
			}
		}
	}
	for _, p := range resp.Partitions {
		if p.ErrorCode != 0 {
			ev.errors[zkmeta.TP{Topic: p.Topic, Partition: p.Partition}] = p.ErrorCode
		}
	}
	if ev.errCode != 0 || len(ev.errors) > 0 {
		c.queue.put(ev)
	}
}

// topicNameForResponse: v5 responses name topics by id only; the name is resolved in the loop.
func (c *Controller) topicNameForResponse(id [16]byte, name string) string {
	if name != "" {
		return name
	}
	return "id:" + base64.RawURLEncoding.EncodeToString(id[:])
}

func (c *Controller) processLeaderAndIsrResponse(e *leaderAndIsrResponseEvent) {
	if e.errCode != 0 {
		c.log.Error().Msgf("Received error %s in LeaderAndIsr response from broker %d", kerr.ErrorForCode(e.errCode), e.brokerID)
		return
	}
	names := map[string]string{}
	for t, id := range c.ctx.topicIDs {
		names["id:"+id] = t
	}
	var tps []zkmeta.TP
	for tp := range e.errors {
		tps = append(tps, tp)
	}
	sortTPs(tps)
	for _, tp := range tps {
		name := tp.Topic
		if n, ok := names[name]; ok {
			name = n
		}
		c.log.Warn().Msgf("LeaderAndIsr response from broker %d has error %s for partition %s-%d",
			e.brokerID, kerr.ErrorForCode(e.errors[tp]), name, tp.Partition)
	}
}

func (c *Controller) onStopReplicaResponse(brokerID int32, deleting map[zkmeta.TP]bool, r kmsg.Response) {
	if len(deleting) == 0 {
		return
	}
	resp, ok := r.(*kmsg.StopReplicaResponse)
	if !ok {
		return
	}
	ev := &topicDeletionStopReplicaResponseEvent{brokerID: brokerID, requestError: resp.ErrorCode, partitions: map[zkmeta.TP]int16{}}
	for tp := range deleting {
		ev.partitions[tp] = 0
	}
	for _, p := range resp.Partitions {
		tp := zkmeta.TP{Topic: p.Topic, Partition: p.Partition}
		if deleting[tp] {
			ev.partitions[tp] = p.ErrorCode
		}
	}
	c.queue.put(ev)
}

// sendUpdateMetadataRequest sends UpdateMetadata with tps' states to brokers right away.
func (c *Controller) sendUpdateMetadataRequest(brokers []int32, tps []zkmeta.TP) error {
	c.batch.addUpdateMetadata(brokers, tps)
	c.batch.sendRequestsToBrokers()
	return nil
}

func interBrokerEndpoint(b zkmeta.BrokerInfo, listener string) (string, int) {
	for _, ep := range b.Endpoints {
		if ep.Listener == listener {
			return ep.Host, ep.Port
		}
	}
	if len(b.Endpoints) > 0 {
		return b.Endpoints[0].Host, b.Endpoints[0].Port
	}
	return "", -1
}

// securityProtocolID maps Kafka's SecurityProtocol names to their wire ids.
func securityProtocolID(name string) int16 {
	switch name {
	case "SSL":
		return 1
	case "SASL_PLAINTEXT":
		return 2
	case "SASL_SSL":
		return 3
	}
	return 0
}

// topicIDBytes decodes zkmeta's base64url topic id; "" (no id) is the zero UUID.
func topicIDBytes(id string) [16]byte {
	var out [16]byte
	if id == "" {
		return out
	}
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		b, err = base64.URLEncoding.DecodeString(id)
	}
	if err == nil && len(b) == 16 {
		copy(out[:], b)
	}
	return out
}

func lirPartitionString(p kmsg.LeaderAndISRRequestTopicPartition) string {
	return fmt.Sprintf("LeaderAndIsrPartitionState(topicName='%s', partitionIndex=%d, controllerEpoch=%d, leader=%d, leaderEpoch=%d, isr=[%s], zkVersion=%d, replicas=[%s], addingReplicas=[%s], removingReplicas=[%s], isNew=%t)",
		p.Topic, p.Partition, p.ControllerEpoch, p.Leader, p.LeaderEpoch, joinIDsComma(p.ISR), p.ZKVersion,
		joinIDsComma(p.Replicas), joinIDsComma(p.AddingReplicas), joinIDsComma(p.RemovingReplicas), p.IsNew)
}

func joinIDsComma(ids []int32) string {
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += ", "
		}
		s += itoa(id)
	}
	return s
}

func sortedBoolKeys(m map[int32]bool) []int32 {
	out := make([]int32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortIDs(out)
	return out
}

func sortedBrokerKeys[V any](m map[int32]V) []int32 {
	out := make([]int32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortIDs(out)
	return out
}

func itoa64(v int64) string { return fmt.Sprint(v) }
