package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeGroups: v0-5 (Kafka 2.8)
//
// Behaviour:
//   - State, members and coordinator checks are Services.DescribeGroups'. Every requested group
//     gets an entry (UNKNOWN_SERVER_ERROR if the service left it out).
//
// Version notes:
//   - v1: ThrottleMillis. v3: IncludeAuthorizedOperations. v4: member InstanceID. v5: flexible.
func init() {
	register(handler{Key: 15, MinVersion: 0, MaxVersion: 5, Func: handleDescribeGroups})
}

func handleDescribeGroups(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.DescribeGroupsRequest)
	resp := svc.DescribeGroups(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrDescribeGroupsResponse()
	}
	resp.Version = req.Version
	fillNamed(&resp.Groups, func(yield func(string) bool) {
		for _, g := range req.Groups {
			if !yield(g) {
				return
			}
		}
	}, func(g *kmsg.DescribeGroupsResponseGroup) string { return g.Group },
		func(name string) kmsg.DescribeGroupsResponseGroup {
			g := kmsg.NewDescribeGroupsResponseGroup()
			g.Group, g.ErrorCode = name, kerr.UnknownServerError.Code
			return g
		})
	return resp, nil
}
