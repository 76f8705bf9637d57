package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// JoinGroup: v0-7 (Kafka 2.8)
//
// Behaviour:
//   - v0 has no rebalance timeout; Kafka uses the session timeout for it, and so does the
//     handler before Services.JoinGroup sees the request.
//   - The group state machine (delayed joins, MEMBER_ID_REQUIRED from v4, static members,
//     protocol selection) is the coordinator's. The call may block until the rebalance completes.
//   - The protocol metadata bytes are handed to the service for keeps: the connection gives up
//     its read buffer for this request type.
//   - A missing response becomes UNKNOWN_SERVER_ERROR with generation -1 and empty ids.
//
// Version notes:
//   - v1: RebalanceTimeoutMillis. v2: ThrottleMillis. v4: MEMBER_ID_REQUIRED.
//   - v5: InstanceID (KIP-345). v6: flexible. v7: ProtocolType/Protocol nullable in the response.
func init() {
	register(handler{Key: 11, MinVersion: 0, MaxVersion: 7, Func: handleJoinGroup})
}

func handleJoinGroup(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.JoinGroupRequest)
	if req.Version == 0 {
		req.RebalanceTimeoutMillis = req.SessionTimeoutMillis
	}
	resp := svc.JoinGroup(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrJoinGroupResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
		resp.Generation = -1
	}
	resp.Version = req.Version
	return resp, nil
}
