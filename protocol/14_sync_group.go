package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// SyncGroup: v0-5 (Kafka 2.8)
//
// Behaviour:
//   - The coordinator's entirely; followers' calls block until the leader's assignment arrives.
//     Assignment bytes are kept by the service, so the connection gives up its read buffer.
//   - A missing response becomes UNKNOWN_SERVER_ERROR with an empty assignment.
//
// Version notes:
//   - v1: ThrottleMillis. v3: InstanceID. v4: flexible.
//   - v5: ProtocolType/Protocol in request and response (KIP-559).
func init() {
	register(handler{Key: 14, MinVersion: 0, MaxVersion: 5, Func: handleSyncGroup})
}

func handleSyncGroup(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.SyncGroupRequest)
	resp := svc.SyncGroup(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrSyncGroupResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	if resp.MemberAssignment == nil {
		resp.MemberAssignment = []byte{}
	}
	return resp, nil
}
