package controller

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

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
