package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DeleteGroups: v0-2 (Kafka 2.8)
//
// Behaviour:
//   - Coordinator ownership, NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND and tombstoning the group's
//     offsets are Services.DeleteGroups'. Every requested group gets an entry
//     (UNKNOWN_SERVER_ERROR if the service left it out).
//
// Version notes:
//   - v1: no wire change. v2: flexible.
func init() {
	register(handler{Key: 42, MinVersion: 0, MaxVersion: 2, Func: handleDeleteGroups})
}

func handleDeleteGroups(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.DeleteGroupsRequest)
	resp := svc.DeleteGroups(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrDeleteGroupsResponse()
	}
	resp.Version = req.Version
	fillNamed(&resp.Groups, func(yield func(string) bool) {
		for _, g := range req.Groups {
			if !yield(g) {
				return
			}
		}
	}, func(g *kmsg.DeleteGroupsResponseGroup) string { return g.Group },
		func(name string) kmsg.DeleteGroupsResponseGroup {
			g := kmsg.NewDeleteGroupsResponseGroup()
			g.Group, g.ErrorCode = name, kerr.UnknownServerError.Code
			return g
		})
	return resp, nil
}
