package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeLogDirs: v0-2 (Kafka 2.8)
//
// Behaviour:
//   - Topics == nil asks for every partition in every log dir. Sizes, offset lags, future
//     replicas and offline dirs (KAFKA_STORAGE_ERROR) are Services.DescribeLogDirs'.
//   - The response has no per-request error in 2.8 (top-level ErrorCode is v3); a missing
//     response is an empty dir list, which is what Kafka sends a client it does not authorise.
//
// Version notes:
//   - v1: no wire change. v2: flexible.
func init() {
	register(handler{Key: 35, MinVersion: 0, MaxVersion: 2, Func: handleDescribeLogDirs})
}

func handleDescribeLogDirs(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.DescribeLogDirsRequest)
	resp := svc.DescribeLogDirs(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrDescribeLogDirsResponse()
	}
	resp.Version = req.Version
	return resp, nil
}
