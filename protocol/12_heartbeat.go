package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Heartbeat: v0-4 (Kafka 2.8)
//
// Behaviour:
//   - Entirely the coordinator's (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
//     FENCED_INSTANCE_ID). A missing response becomes UNKNOWN_SERVER_ERROR.
//
// Version notes:
//   - v1: ThrottleMillis. v3: InstanceID. v4: flexible.
func init() {
	register(handler{Key: 12, MinVersion: 0, MaxVersion: 4, Func: handleHeartbeat})
}

func handleHeartbeat(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.HeartbeatRequest)
	resp := svc.Heartbeat(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrHeartbeatResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	return resp, nil
}
