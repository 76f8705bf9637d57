package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeCluster: v0 (Kafka 2.8)
//
// Behaviour:
//   - Brokers from the metadata cache on the request's listener, cluster id and controller id
//     (KIP-700) come from Services.DescribeCluster. ClusterAuthorizedOperations stays
//     Integer.MIN_VALUE unless requested (and there is no authorizer here).
//   - A missing response becomes UNKNOWN_SERVER_ERROR with controller -1 and no brokers.
//
// Version notes:
//   - v0: flexible from the start.
func init() {
	register(handler{Key: 60, MinVersion: 0, MaxVersion: 0, Func: handleDescribeCluster})
}

func handleDescribeCluster(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.DescribeClusterRequest)
	resp := svc.DescribeCluster(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrDescribeClusterResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
		resp.ControllerID = -1
	}
	resp.Version = req.Version
	return resp, nil
}
