package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// LeaveGroup: v0-4 (Kafka 2.8)
//
// Behaviour:
//   - v0-2 name one MemberID; v3+ a batch of Members (KIP-345). The service reads the field
//     its version uses.
//   - v0-2 responses have only the top-level ErrorCode: if the service left it NONE but filled
//     a member error, that error becomes the top-level one, as LeaveGroupResponse does for old
//     versions.
//   - v3+: with no group-level error, every requested member gets an entry
//     (UNKNOWN_SERVER_ERROR if the service left it out).
//
// Version notes:
//   - v1: ThrottleMillis. v3: Members batch. v4: flexible.
func init() {
	register(handler{Key: 13, MinVersion: 0, MaxVersion: 4, Func: handleLeaveGroup})
}

func handleLeaveGroup(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.LeaveGroupRequest)
	resp := svc.LeaveGroup(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrLeaveGroupResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	if req.Version < 3 {
		if resp.ErrorCode == 0 {
			for _, m := range resp.Members {
				if m.ErrorCode != 0 {
					resp.ErrorCode = m.ErrorCode
					break
				}
			}
		}
		return resp, nil
	}
	if resp.ErrorCode != 0 {
		return resp, nil
	}
	key := func(id string, inst *string) string {
		if inst != nil {
			return id + "\x00" + *inst
		}
		return id + "\x01"
	}
	have := make(map[string]struct{}, len(resp.Members))
	for _, m := range resp.Members {
		have[key(m.MemberID, m.InstanceID)] = struct{}{}
	}
	for _, m := range req.Members {
		k := key(m.MemberID, m.InstanceID)
		if _, ok := have[k]; ok {
			continue
		}
		have[k] = struct{}{}
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID, rm.ErrorCode = m.MemberID, m.InstanceID, kerr.UnknownServerError.Code
		resp.Members = append(resp.Members, rm)
	}
	return resp, nil
}
