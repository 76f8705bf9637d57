package broker

import (
	"sync"

	"github.com/kafka-classic/kafka-classic/logstore"
)

// replicaFetcherManager runs the follower side of replication (ReplicaFetcherManager): one
// fetcher per leader broker, fetching with this broker's replica id.
type replicaFetcherManager struct {
	s  *Server
	mu sync.Mutex
	// partitions maps each followed partition to its leader and leader epoch.
	partitions map[logstore.TopicPartition]followTarget
}

type followTarget struct {
	leader int32
	epoch  int32
}

func newReplicaFetcherManager(s *Server) *replicaFetcherManager {
	return &replicaFetcherManager{s: s, partitions: map[logstore.TopicPartition]followTarget{}}
}

func (m *replicaFetcherManager) addPartition(tp logstore.TopicPartition, leader, epoch int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.partitions[tp] = followTarget{leader: leader, epoch: epoch}
}

func (m *replicaFetcherManager) removePartition(tp logstore.TopicPartition) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.partitions, tp)
}

func (m *replicaFetcherManager) shutdown() {}
