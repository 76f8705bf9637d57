package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// InitProducerId: v0-4 (Kafka 2.8)
//
// Behaviour:
//   - Answered INVALID_REQUEST here, without the service: an empty (non-null) transactional id
//     (TransactionCoordinator.handleInitProducerId) and, from v3, a producer id and epoch that
//     are not both -1 or both set (KafkaApis).
//   - Allocating ids from the /latest_producer_id_block range, transactional state and epoch
//     bumps (KIP-360) are Services.InitProducerID's.
//   - Any error answer carries producer id -1 and epoch -1.
//
// Version notes:
//   - v1: no wire change. v2: flexible. v3: ProducerID/ProducerEpoch for epoch bumps (KIP-360).
//   - v4: PRODUCER_FENCED instead of INVALID_PRODUCER_EPOCH (KIP-588).
func init() {
	register(handler{Key: 22, MinVersion: 0, MaxVersion: 4, Func: handleInitProducerID})
}

func handleInitProducerID(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.InitProducerIDRequest)
	if req.Version < 3 {
		req.ProducerID, req.ProducerEpoch = -1, -1
	}
	var resp *kmsg.InitProducerIDResponse
	if (req.TransactionalID != nil && *req.TransactionalID == "") || (req.ProducerID == -1) != (req.ProducerEpoch == -1) {
		resp = kmsg.NewPtrInitProducerIDResponse()
		resp.ErrorCode = kerr.InvalidRequest.Code
	} else {
		resp = svc.InitProducerID(ctx, rc, req)
	}
	if resp == nil {
		resp = kmsg.NewPtrInitProducerIDResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	if resp.ErrorCode != 0 {
		resp.ProducerID, resp.ProducerEpoch = -1, -1
	}
	return resp, nil
}
