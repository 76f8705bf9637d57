package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListPartitionReassignments: v0 (Kafka 2.8)
//
// Behaviour:
//   - Topics == nil lists every ongoing reassignment; otherwise only the named partitions that
//     are being reassigned appear. Partitions not being reassigned are simply absent, so there
//     is nothing to fill in.
//   - NOT_CONTROLLER (top level) is Services.ListPartitionReassignments'; a top-level error
//     carries no topics.
//
// Version notes:
//   - v0 is flexible.
func init() {
	register(handler{Key: 46, MinVersion: 0, MaxVersion: 0, Func: handleListPartitionReassignments})
}

func handleListPartitionReassignments(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.ListPartitionReassignmentsRequest)
	resp := svc.ListPartitionReassignments(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrListPartitionReassignmentsResponse()
		resp.ErrorCode = orUnknown(0)
	}
	resp.Version = req.Version
	if resp.ErrorCode != 0 {
		resp.Topics = nil
	}
	return resp, nil
}
