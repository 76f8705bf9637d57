package zkmeta

import (
	"math/rand/v2"
	"sort"
	"strings"
)

// BrokerMeta is AdminUtils' BrokerMetadata: an id and an optional rack.
type BrokerMeta struct {
	ID   int32
	Rack string
}

// RackAwareMode is Kafka's RackAwareMode.
type RackAwareMode int

const (
	// RackAwareEnforced fails when only some brokers have a rack (the default
	// of kafka-topics and of the CreateTopics handler).
	RackAwareEnforced RackAwareMode = iota
	// RackAwareSafe drops rack information when it is incomplete.
	RackAwareSafe
	// RackAwareDisabled ignores racks (--disable-rack-aware).
	RackAwareDisabled
)

// BrokerMetas is AdminZkClient.getBrokerMetadatas: the brokers sorted by id
// with racks according to mode.
func BrokerMetas(brokers []BrokerInfo, mode RackAwareMode) ([]BrokerMeta, error) {
	out := make([]BrokerMeta, 0, len(brokers))
	withRack := 0
	for _, b := range brokers {
		out = append(out, BrokerMeta{ID: b.ID, Rack: b.Rack})
		if b.Rack != "" {
			withRack++
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	partial := withRack > 0 && withRack < len(out)
	if mode == RackAwareEnforced && partial {
		return nil, kerr(ErrAdminOperation, "Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.")
	}
	if mode == RackAwareDisabled || (mode == RackAwareSafe && partial) {
		for i := range out {
			out[i].Rack = ""
		}
	}
	return out, nil
}

// AssignReplicas is AdminUtils.assignReplicasToBrokers (§9.1.1). Brokers are
// used in the order given (pass them sorted by id, as every Kafka caller
// does). fixedStartIndex < 0 picks a random start index and a random initial
// replica shift; startPartitionID < 0 means 0.
//
// Rack-unaware: partition p's first replica is broker (p+startIndex) mod n;
// the others follow it at distance 1+(shift+j) mod (n-1), the shift growing
// by one after every n partitions so followers do not always sit next to
// the leader. Rack-aware: the same walk over a rack-alternating broker list,
// skipping brokers whose rack (or the broker itself) already holds a replica
// until every rack (broker) holds one.
func AssignReplicas(brokers []BrokerMeta, nPartitions int32, rf int16, fixedStartIndex, startPartitionID int32) (map[int32][]int32, error) {
	if nPartitions <= 0 {
		return nil, kerr(ErrInvalidPartitions, "Number of partitions must be larger than 0.")
	}
	if rf <= 0 {
		return nil, kerr(ErrInvalidReplicationFactor, "Replication factor must be larger than 0.")
	}
	if int(rf) > len(brokers) {
		return nil, kerr(ErrInvalidReplicationFactor, "Replication factor: %d larger than available brokers: %d.", rf, len(brokers))
	}
	withRack := 0
	for _, b := range brokers {
		if b.Rack != "" {
			withRack++
		}
	}
	if withRack == 0 {
		ids := make([]int32, len(brokers))
		for i, b := range brokers {
			ids[i] = b.ID
		}
		return assignRackUnaware(nPartitions, int(rf), ids, fixedStartIndex, startPartitionID), nil
	}
	if withRack != len(brokers) {
		return nil, kerr(ErrAdminOperation, "Not all brokers have rack information for replica rack aware assignment.")
	}
	return assignRackAware(nPartitions, int(rf), brokers, fixedStartIndex, startPartitionID), nil
}

func replicaIndex(firstReplicaIndex, secondReplicaShift, replicaIdx, nBrokers int) int {
	shift := 1 + (secondReplicaShift+replicaIdx)%(nBrokers-1)
	return (firstReplicaIndex + shift) % nBrokers
}

func startAndShift(fixedStartIndex int32, n int) (int, int) {
	if fixedStartIndex >= 0 {
		return int(fixedStartIndex), int(fixedStartIndex)
	}
	// Two independent draws, like AdminUtils' two rand.nextInt calls.
	return rand.IntN(n), rand.IntN(n)
}

func assignRackUnaware(nPartitions int32, rf int, brokers []int32, fixedStartIndex, startPartitionID int32) map[int32][]int32 {
	n := len(brokers)
	out := make(map[int32][]int32, nPartitions)
	startIndex, nextReplicaShift := startAndShift(fixedStartIndex, n)
	p := int(max(0, startPartitionID))
	for i := int32(0); i < nPartitions; i++ {
		if p > 0 && p%n == 0 {
			nextReplicaShift++
		}
		first := (p + startIndex) % n
		replicas := make([]int32, 0, rf)
		replicas = append(replicas, brokers[first])
		for j := 0; j < rf-1; j++ {
			replicas = append(replicas, brokers[replicaIndex(first, nextReplicaShift, j, n)])
		}
		out[int32(p)] = replicas
		p++
	}
	return out
}

// RackAlternatedBrokers is AdminUtils.getRackAlternatedBrokerList: racks in
// sorted order, taking the next-lowest broker id from each rack in turn,
// e.g. {0:a,1:a,2:b,3:c} -> [0,2,3,1].
func RackAlternatedBrokers(brokers []BrokerMeta) []int32 {
	byRack := map[string][]int32{}
	for _, b := range brokers {
		byRack[b.Rack] = append(byRack[b.Rack], b.ID)
	}
	racks := make([]string, 0, len(byRack))
	for r, ids := range byRack {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		racks = append(racks, r)
	}
	sort.Strings(racks)
	next := make(map[string]int, len(racks))
	out := make([]int32, 0, len(brokers))
	for ri := 0; len(out) < len(brokers); ri = (ri + 1) % len(racks) {
		r := racks[ri]
		if next[r] < len(byRack[r]) {
			out = append(out, byRack[r][next[r]])
			next[r]++
		}
	}
	return out
}

func assignRackAware(nPartitions int32, rf int, brokers []BrokerMeta, fixedStartIndex, startPartitionID int32) map[int32][]int32 {
	rackOf := make(map[int32]string, len(brokers))
	racks := map[string]bool{}
	for _, b := range brokers {
		rackOf[b.ID] = b.Rack
		racks[b.Rack] = true
	}
	numRacks := len(racks)
	arranged := RackAlternatedBrokers(brokers)
	n := len(arranged)
	out := make(map[int32][]int32, nPartitions)
	startIndex, nextReplicaShift := startAndShift(fixedStartIndex, n)
	p := int(max(0, startPartitionID))
	for i := int32(0); i < nPartitions; i++ {
		if p > 0 && p%n == 0 {
			nextReplicaShift++
		}
		first := (p + startIndex) % n
		leader := arranged[first]
		replicas := []int32{leader}
		racksWith := map[string]bool{rackOf[leader]: true}
		brokersWith := map[int32]bool{leader: true}
		k := 0
		for j := 0; j < rf-1; j++ {
			for {
				b := arranged[replicaIndex(first, nextReplicaShift*numRacks, k, n)]
				r := rackOf[b]
				k++
				if (!racksWith[r] || len(racksWith) == numRacks) && (!brokersWith[b] || len(brokersWith) == n) {
					replicas = append(replicas, b)
					racksWith[r] = true
					brokersWith[b] = true
					break
				}
			}
		}
		out[int32(p)] = replicas
		p++
	}
	return out
}

// MaxTopicNameLength is Topic.MAX_NAME_LENGTH.
const MaxTopicNameLength = 249

// ValidateTopicName is org.apache.kafka.common.internals.Topic.validate, with
// its exact messages.
func ValidateTopicName(name string) error {
	if name == "" {
		return kerr(ErrInvalidTopic, "Topic name is illegal, it can't be empty")
	}
	if name == "." || name == ".." {
		return kerr(ErrInvalidTopic, "Topic name cannot be \".\" or \"..\"")
	}
	if javaLength(name) > MaxTopicNameLength {
		return kerr(ErrInvalidTopic, "Topic name is illegal, it can't be longer than %d characters, topic name: %s", MaxTopicNameLength, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return kerr(ErrInvalidTopic, "Topic name \"%s\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", name)
		}
	}
	return nil
}

// javaLength counts UTF-16 code units, as Java's String.length does.
func javaLength(s string) int {
	n := 0
	for _, r := range s {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// TopicHasCollisionChars: names with '.' or '_' can collide in metric names.
func TopicHasCollisionChars(name string) bool {
	return strings.ContainsAny(name, "._")
}

// TopicsCollide reports whether two names map to the same metric name.
func TopicsCollide(a, b string) bool {
	return strings.ReplaceAll(a, ".", "_") == strings.ReplaceAll(b, ".", "_")
}

// CollisionWarning is what kafka-topics prints for names containing '.' or '_'.
const CollisionWarning = "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both."

// InternalTopics are Kafka's internal topic names (Topic.isInternal).
var InternalTopics = []string{"__consumer_offsets", "__transaction_state"}

// IsInternalTopic reports whether name is an internal topic.
func IsInternalTopic(name string) bool {
	for _, t := range InternalTopics {
		if t == name {
			return true
		}
	}
	return false
}
