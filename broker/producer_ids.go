package broker

import (
	"context"
	"sync"

	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/kafka-classic/kafka-classic/zkmeta"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// producerIDManager hands out producer ids from blocks of 1000 claimed in
// /latest_producer_id_block (Kafka's ProducerIdManager).
type producerIDManager struct {
	brokerID int32
	zk       *zkmeta.Client
	log      zerolog.Logger

	mu         sync.Mutex
	next, last int64
}

func newProducerIDManager(brokerID int32, zk *zkmeta.Client, log zerolog.Logger) *producerIDManager {
	return &producerIDManager{brokerID: brokerID, zk: zk, log: log.With().Str(LoggerField, "kafka.coordinator.transaction.ProducerIdManager").Logger(), next: 0, last: -1}
}

// claimBlock must be called with mu held or before concurrent use.
func (m *producerIDManager) claimBlock() error {
	start, end, err := m.zk.ClaimProducerIDBlock(m.brokerID)
	if err != nil {
		return err
	}
	m.next, m.last = start, end
	return nil
}

func (m *producerIDManager) nextID() (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.next > m.last {
		if err := m.claimBlock(); err != nil {
			return -1, err
		}
	}
	id := m.next
	m.next++
	return id, nil
}

// InitProducerID gives an idempotent producer a fresh id with epoch 0. Transactional ids need
// the transaction coordinator, which this broker does not run yet.
func (s *Server) InitProducerID(ctx context.Context, rc *protocol.RequestContext, req *kmsg.InitProducerIDRequest) *kmsg.InitProducerIDResponse {
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.Version = req.Version
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return resp
	}
	id, err := s.pids.nextID()
	if err != nil {
		s.log.Error().Err(err).Msg("Could not allocate a producer id")
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return resp
}
