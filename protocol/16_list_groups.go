package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListGroups: v0-4 (Kafka 2.8)
//
// Behaviour:
//   - Lists the groups this broker coordinates; filtering by state (v4) is the service's.
//     A missing response becomes UNKNOWN_SERVER_ERROR with no groups.
//
// Version notes:
//   - v1: ThrottleMillis. v3: flexible. v4: StatesFilter and GroupState (KIP-518).
func init() {
	register(handler{Key: 16, MinVersion: 0, MaxVersion: 4, Func: handleListGroups})
}

func handleListGroups(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.ListGroupsRequest)
	resp := svc.ListGroups(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrListGroupsResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	return resp, nil
}
