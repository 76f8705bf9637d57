package broker

import (
	"sort"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// partitionMeta is what UpdateMetadata told this broker about one partition.
type partitionMeta struct {
	Leader          int32
	LeaderEpoch     int32
	ControllerEpoch int32
	ISR             []int32
	Replicas        []int32
	Offline         []int32
	ZkVersion       int32
}

type topicMeta struct {
	ID         [16]byte
	Partitions map[int32]partitionMeta
}

type brokerEndpoint struct {
	Host string
	Port int32
}

type liveBroker struct {
	ID        int32
	Rack      *string
	Endpoints map[string]brokerEndpoint // listener name -> endpoint
}

// MetadataCache mirrors kafka.server.MetadataCache: the broker's view of live brokers and
// partition leadership, written only by the controller's UpdateMetadata requests, read by every
// Metadata request. The request path never reads ZooKeeper.
type MetadataCache struct {
	mu           sync.RWMutex
	controllerID int32
	brokers      map[int32]liveBroker
	topics       map[string]*topicMeta
}

func newMetadataCache() *MetadataCache {
	return &MetadataCache{controllerID: -1, brokers: map[int32]liveBroker{}, topics: map[string]*topicMeta{}}
}

// deletedLeader is the leader value the controller sends for partitions of a topic being deleted.
const deletedLeader = -2

// Apply merges an UpdateMetadata request into the cache.
func (m *MetadataCache) Apply(req *kmsg.UpdateMetadataRequest) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.controllerID = req.ControllerID
	brokers := make(map[int32]liveBroker, len(req.LiveBrokers))
	for _, b := range req.LiveBrokers {
		lb := liveBroker{ID: b.ID, Rack: b.Rack, Endpoints: map[string]brokerEndpoint{}}
		if len(b.Endpoints) == 0 && b.Host != "" {
			lb.Endpoints["PLAINTEXT"] = brokerEndpoint{Host: b.Host, Port: b.Port}
		}
		for _, ep := range b.Endpoints {
			name := ep.ListenerName
			if name == "" {
				name = securityProtocolName(ep.SecurityProtocol)
			}
			lb.Endpoints[name] = brokerEndpoint{Host: ep.Host, Port: ep.Port}
		}
		brokers[b.ID] = lb
	}
	m.brokers = brokers

	apply := func(topic string, id [16]byte, p kmsg.UpdateMetadataRequestTopicPartition) {
		t := m.topics[topic]
		if p.Leader == deletedLeader {
			if t != nil {
				delete(t.Partitions, p.Partition)
				if len(t.Partitions) == 0 {
					delete(m.topics, topic)
				}
			}
			return
		}
		if t == nil {
			t = &topicMeta{Partitions: map[int32]partitionMeta{}}
			m.topics[topic] = t
		}
		if id != ([16]byte{}) {
			t.ID = id
		}
		t.Partitions[p.Partition] = partitionMeta{
			Leader: p.Leader, LeaderEpoch: p.LeaderEpoch, ControllerEpoch: p.ControllerEpoch,
			ISR: p.ISR, Replicas: p.Replicas, Offline: p.OfflineReplicas, ZkVersion: p.ZKVersion,
		}
	}
	for _, p := range req.PartitionStates {
		apply(p.Topic, [16]byte{}, p)
	}
	for _, ts := range req.TopicStates {
		for _, p := range ts.PartitionStates {
			apply(ts.Topic, ts.TopicID, p)
		}
	}
}

func securityProtocolName(id int16) string {
	switch id {
	case 1:
		return "SSL"
	case 2:
		return "SASL_PLAINTEXT"
	case 3:
		return "SASL_SSL"
	}
	return "PLAINTEXT"
}

// ControllerID is the active controller as last announced, or -1.
func (m *MetadataCache) ControllerID() int32 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.controllerID
}

// LiveBrokerIDs returns the ids of live brokers, ascending.
func (m *MetadataCache) LiveBrokerIDs() []int32 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ids := make([]int32, 0, len(m.brokers))
	for id := range m.brokers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// BrokerRacks returns live brokers with their racks ("" when unset), ascending by id.
func (m *MetadataCache) BrokerRacks() map[int32]string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[int32]string, len(m.brokers))
	for id, b := range m.brokers {
		if b.Rack != nil {
			out[id] = *b.Rack
		} else {
			out[id] = ""
		}
	}
	return out
}

// Endpoint returns a live broker's endpoint on a listener.
func (m *MetadataCache) Endpoint(id int32, listener string) (brokerEndpoint, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.brokers[id]
	if !ok {
		return brokerEndpoint{}, false
	}
	ep, ok := b.Endpoints[listener]
	return ep, ok
}

// Partition returns the cached state of one partition.
func (m *MetadataCache) Partition(topic string, p int32) (partitionMeta, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.topics[topic]
	if !ok {
		return partitionMeta{}, false
	}
	pm, ok := t.Partitions[p]
	return pm, ok
}

// TopicID returns a topic's id if the controller announced one.
func (m *MetadataCache) TopicID(topic string) ([16]byte, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.topics[topic]
	if !ok {
		return [16]byte{}, false
	}
	return t.ID, true
}

// Topics returns every known topic, sorted.
func (m *MetadataCache) Topics() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.topics))
	for t := range m.topics {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// PartitionCount returns how many partitions a topic has, 0 if unknown.
func (m *MetadataCache) PartitionCount(topic string) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if t, ok := m.topics[topic]; ok {
		return len(t.Partitions)
	}
	return 0
}

// HasLeaders tells whether every partition of the topic (expected count) has a live leader.
func (m *MetadataCache) HasLeaders(topic string, partitions int) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.topics[topic]
	if !ok || len(t.Partitions) < partitions {
		return false
	}
	for _, p := range t.Partitions {
		if _, live := m.brokers[p.Leader]; !live {
			return false
		}
	}
	return true
}

// fillBrokers writes the live brokers reachable on listener into a Metadata response.
func (m *MetadataCache) fillBrokers(resp *kmsg.MetadataResponse, listener string) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ids := make([]int32, 0, len(m.brokers))
	for id := range m.brokers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		b := m.brokers[id]
		ep, ok := b.Endpoints[listener]
		if !ok {
			continue
		}
		rb := kmsg.NewMetadataResponseBroker()
		rb.NodeID, rb.Host, rb.Port, rb.Rack = id, ep.Host, ep.Port, b.Rack
		resp.Brokers = append(resp.Brokers, rb)
	}
	resp.ControllerID = m.controllerID
}

// topicMetadata builds one topic's Metadata entry; ok=false when the topic is unknown.
func (m *MetadataCache) topicMetadata(topic, listener string) (kmsg.MetadataResponseTopic, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rt := kmsg.NewMetadataResponseTopic()
	name := topic
	rt.Topic = &name
	rt.IsInternal = isInternalTopic(topic)
	t, ok := m.topics[topic]
	if !ok {
		rt.ErrorCode = kerr.UnknownTopicOrPartition.Code
		return rt, false
	}
	rt.TopicID = t.ID
	ps := make([]int32, 0, len(t.Partitions))
	for p := range t.Partitions {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	for _, p := range ps {
		pm := t.Partitions[p]
		rp := kmsg.NewMetadataResponseTopicPartition()
		rp.Partition = p
		rp.Leader = pm.Leader
		rp.LeaderEpoch = pm.LeaderEpoch
		rp.Replicas = pm.Replicas
		rp.ISR = pm.ISR
		rp.OfflineReplicas = pm.Offline
		leader, live := m.brokers[pm.Leader]
		switch {
		case !live:
			rp.ErrorCode = kerr.LeaderNotAvailable.Code
			rp.Leader = -1
		default:
			if _, ok := leader.Endpoints[listener]; !ok {
				rp.ErrorCode = kerr.ListenerNotFound.Code
				rp.Leader = -1
			}
		}
		rt.Partitions = append(rt.Partitions, rp)
	}
	return rt, true
}

func isInternalTopic(t string) bool {
	return t == offsetsTopic || t == transactionTopic
}

const (
	offsetsTopic     = "__consumer_offsets"
	transactionTopic = "__transaction_state"
)
