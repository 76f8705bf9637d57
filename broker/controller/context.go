package controller

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// partitionReplica is Kafka's PartitionAndReplica.
type partitionReplica struct {
	tp      zkmeta.TP
	replica int32
}

func (r partitionReplica) String() string {
	return fmt.Sprintf("[Topic=%s,Partition=%d,Replica=%d]", r.tp.Topic, r.tp.Partition, r.replica)
}

func tpString(tp zkmeta.TP) string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// replicaAssignment is Kafka's ReplicaAssignment: the full replica set RS plus the adding (AR)
// and removing (RR) subsets while a reassignment runs.
type replicaAssignment struct {
	replicas, adding, removing []int32
}

func (a replicaAssignment) isBeingReassigned() bool { return len(a.adding) > 0 || len(a.removing) > 0 }

// targetReplicas is RS minus RR.
func (a replicaAssignment) targetReplicas() []int32 {
	return without(a.replicas, a.removing...)
}

func (a replicaAssignment) originReplicas() []int32 {
	return without(a.replicas, a.adding...)
}

// controllerContext is Kafka's ControllerContext: the controller's cache of cluster state. Only
// the event loop touches it.
type controllerContext struct {
	epoch          int32
	epochZkVersion int32

	liveBrokers  map[int32]zkmeta.BrokerInfo // live or shutting down; Epoch = czxid
	shuttingDown map[int32]bool

	allTopics   map[string]bool
	topicIDs    map[string]string
	assignments map[string]map[int32]replicaAssignment
	leadership  map[zkmeta.TP]zkmeta.LeaderIsr

	partitionStates map[zkmeta.TP]PartitionState
	replicaStates   map[partitionReplica]ReplicaState

	topicsToBeDeleted           map[string]bool
	topicsWithDeletionStarted   map[string]bool
	topicsIneligibleForDeletion map[string]bool

	partitionsBeingReassigned map[zkmeta.TP]bool
}

func newControllerContext() *controllerContext {
	return &controllerContext{
		liveBrokers:                 map[int32]zkmeta.BrokerInfo{},
		shuttingDown:                map[int32]bool{},
		allTopics:                   map[string]bool{},
		topicIDs:                    map[string]string{},
		assignments:                 map[string]map[int32]replicaAssignment{},
		leadership:                  map[zkmeta.TP]zkmeta.LeaderIsr{},
		partitionStates:             map[zkmeta.TP]PartitionState{},
		replicaStates:               map[partitionReplica]ReplicaState{},
		topicsToBeDeleted:           map[string]bool{},
		topicsWithDeletionStarted:   map[string]bool{},
		topicsIneligibleForDeletion: map[string]bool{},
		partitionsBeingReassigned:   map[zkmeta.TP]bool{},
	}
}

// liveBrokerIDs excludes brokers that are shutting down (Kafka's liveBrokerIds).
func (cc *controllerContext) liveBrokerIDs() []int32 {
	var ids []int32
	for id := range cc.liveBrokers {
		if !cc.shuttingDown[id] {
			ids = append(ids, id)
		}
	}
	sortIDs(ids)
	return ids
}

func (cc *controllerContext) liveOrShuttingDownBrokerIDs() []int32 {
	ids := make([]int32, 0, len(cc.liveBrokers))
	for id := range cc.liveBrokers {
		ids = append(ids, id)
	}
	sortIDs(ids)
	return ids
}

func (cc *controllerContext) isBrokerLive(id int32) bool {
	_, ok := cc.liveBrokers[id]
	return ok && !cc.shuttingDown[id]
}

// isReplicaOnline: the broker is registered (and, unless asked, not shutting down). Offline
// log directories are not tracked (no JBOD failure handling).
func (cc *controllerContext) isReplicaOnline(id int32, _ zkmeta.TP, includeShuttingDown bool) bool {
	if _, ok := cc.liveBrokers[id]; !ok {
		return false
	}
	return includeShuttingDown || !cc.shuttingDown[id]
}

func (cc *controllerContext) assignment(tp zkmeta.TP) (replicaAssignment, bool) {
	parts, ok := cc.assignments[tp.Topic]
	if !ok {
		return replicaAssignment{}, false
	}
	a, ok := parts[tp.Partition]
	return a, ok
}

func (cc *controllerContext) replicas(tp zkmeta.TP) []int32 {
	a, _ := cc.assignment(tp)
	return a.replicas
}

func (cc *controllerContext) setAssignment(tp zkmeta.TP, a replicaAssignment) {
	parts, ok := cc.assignments[tp.Topic]
	if !ok {
		parts = map[int32]replicaAssignment{}
		cc.assignments[tp.Topic] = parts
	}
	parts[tp.Partition] = a
}

func (cc *controllerContext) partitionsForTopic(topic string) []zkmeta.TP {
	var tps []zkmeta.TP
	for p := range cc.assignments[topic] {
		tps = append(tps, zkmeta.TP{Topic: topic, Partition: p})
	}
	sortTPs(tps)
	return tps
}

func (cc *controllerContext) allPartitions() []zkmeta.TP {
	var tps []zkmeta.TP
	for t, parts := range cc.assignments {
		for p := range parts {
			tps = append(tps, zkmeta.TP{Topic: t, Partition: p})
		}
	}
	sortTPs(tps)
	return tps
}

func (cc *controllerContext) replicasForPartitions(tps []zkmeta.TP) []partitionReplica {
	var out []partitionReplica
	for _, tp := range tps {
		for _, r := range cc.replicas(tp) {
			out = append(out, partitionReplica{tp, r})
		}
	}
	return out
}

func (cc *controllerContext) replicasForTopic(topic string) []partitionReplica {
	return cc.replicasForPartitions(cc.partitionsForTopic(topic))
}

func (cc *controllerContext) replicasOnBrokers(brokers map[int32]bool) []partitionReplica {
	var out []partitionReplica
	for _, tp := range cc.allPartitions() {
		for _, r := range cc.replicas(tp) {
			if brokers[r] {
				out = append(out, partitionReplica{tp, r})
			}
		}
	}
	return out
}

func (cc *controllerContext) partitionsOnBroker(id int32) []zkmeta.TP {
	var out []zkmeta.TP
	for _, tp := range cc.allPartitions() {
		if contains(cc.replicas(tp), id) {
			out = append(out, tp)
		}
	}
	return out
}

func (cc *controllerContext) partitionsWithLeaders() []zkmeta.TP {
	var out []zkmeta.TP
	for _, tp := range cc.allPartitions() {
		if _, ok := cc.leadership[tp]; ok && !cc.topicsToBeDeleted[tp.Topic] {
			out = append(out, tp)
		}
	}
	return out
}

// partitionsWithOfflineLeader: the leader is not online and the topic is not being deleted.
func (cc *controllerContext) partitionsWithOfflineLeader() []zkmeta.TP {
	var out []zkmeta.TP
	for _, tp := range cc.allPartitions() {
		li, ok := cc.leadership[tp]
		if ok && !cc.isReplicaOnline(li.Leader, tp, false) && !cc.topicsToBeDeleted[tp.Topic] {
			out = append(out, tp)
		}
	}
	return out
}

func (cc *controllerContext) partitionLeadersOnBroker(id int32) []zkmeta.TP {
	var out []zkmeta.TP
	for _, tp := range cc.allPartitions() {
		if li, ok := cc.leadership[tp]; ok && li.Leader == id && !cc.topicsToBeDeleted[tp.Topic] {
			out = append(out, tp)
		}
	}
	return out
}

func (cc *controllerContext) partitionState(tp zkmeta.TP) PartitionState {
	if s, ok := cc.partitionStates[tp]; ok {
		return s
	}
	return NonExistentPartition
}

func (cc *controllerContext) replicaState(r partitionReplica) ReplicaState {
	if s, ok := cc.replicaStates[r]; ok {
		return s
	}
	return NonExistentReplica
}

func (cc *controllerContext) replicasInState(topic string, st ReplicaState) []partitionReplica {
	var out []partitionReplica
	for _, r := range cc.replicasForTopic(topic) {
		if cc.replicaState(r) == st {
			out = append(out, r)
		}
	}
	return out
}

func (cc *controllerContext) areAllReplicasInState(topic string, st ReplicaState) bool {
	for _, r := range cc.replicasForTopic(topic) {
		if cc.replicaState(r) != st {
			return false
		}
	}
	return true
}

func (cc *controllerContext) isAnyReplicaInState(topic string, st ReplicaState) bool {
	for _, r := range cc.replicasForTopic(topic) {
		if cc.replicaState(r) == st {
			return true
		}
	}
	return false
}

func (cc *controllerContext) removeTopic(topic string) {
	for p := range cc.assignments[topic] {
		tp := zkmeta.TP{Topic: topic, Partition: p}
		delete(cc.leadership, tp)
		delete(cc.partitionStates, tp)
		delete(cc.partitionsBeingReassigned, tp)
	}
	for r := range cc.replicaStates {
		if r.tp.Topic == topic {
			delete(cc.replicaStates, r)
		}
	}
	delete(cc.assignments, topic)
	delete(cc.allTopics, topic)
	delete(cc.topicIDs, topic)
	delete(cc.topicsToBeDeleted, topic)
	delete(cc.topicsWithDeletionStarted, topic)
	delete(cc.topicsIneligibleForDeletion, topic)
}

// --- small helpers over broker-id lists (kept ordered: order is meaning in Kafka's lists) ---

func contains(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func without(ids []int32, drop ...int32) []int32 {
	out := make([]int32, 0, len(ids))
	for _, x := range ids {
		if !contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

func filterIDs(ids []int32, keep func(int32) bool) []int32 {
	out := make([]int32, 0, len(ids))
	for _, x := range ids {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func distinct(ids []int32) []int32 {
	out := make([]int32, 0, len(ids))
	for _, x := range ids {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func sameSet(a, b []int32) bool {
	if len(distinct(a)) != len(distinct(b)) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

func sortIDs(ids []int32) { sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] }) }

func sortTPs(tps []zkmeta.TP) {
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

func joinTPs(tps []zkmeta.TP) string {
	s := make([]string, len(tps))
	for i, tp := range tps {
		s[i] = tpString(tp)
	}
	return strings.Join(s, ",")
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
