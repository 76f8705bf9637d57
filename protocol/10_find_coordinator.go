package protocol

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FindCoordinator: v0-3 (Kafka 2.8)
//
// Behaviour:
//   - CoordinatorType must be 0 (group) or 1 (transaction, v1+); anything else is answered
//     INVALID_REQUEST here, as KafkaApis throws InvalidRequestException for it.
//   - Hashing the key onto __consumer_offsets / __transaction_state, auto-creating the internal
//     topic and COORDINATOR_NOT_AVAILABLE while it has no leader are Services.FindCoordinator's.
//   - Any error answer carries Kafka's "no node": NodeID -1, Host "", Port -1.
//
// Version notes:
//   - v1: CoordinatorType, ThrottleMillis, ErrorMessage. v3: flexible. (v4 batching is 3.0.)
func init() {
	register(handler{Key: 10, MinVersion: 0, MaxVersion: 3, Func: handleFindCoordinator})
}

func handleFindCoordinator(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.FindCoordinatorRequest)
	if req.Version == 0 {
		req.CoordinatorType = 0
	}
	var resp *kmsg.FindCoordinatorResponse
	if req.CoordinatorType != 0 && req.CoordinatorType != 1 {
		resp = kmsg.NewPtrFindCoordinatorResponse()
		resp.ErrorCode = kerr.InvalidRequest.Code
		resp.ErrorMessage = strPtr(fmt.Sprintf("Unknown coordinator type %d in FindCoordinator request", req.CoordinatorType))
	} else {
		resp = svc.FindCoordinator(ctx, rc, req)
	}
	if resp == nil {
		resp = kmsg.NewPtrFindCoordinatorResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	if resp.ErrorCode != 0 {
		resp.NodeID, resp.Host, resp.Port = -1, "", -1
	}
	return resp, nil
}
