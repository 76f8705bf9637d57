package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ControlledShutdown: v0-3 (Kafka 2.8)
//
// Behaviour:
//   - Broker-to-controller; moving leadership away from the broker and the remaining-partitions
//     answer are Services.ControlledShutdown's (NOT_CONTROLLER on other brokers,
//     STALE_BROKER_EPOCH for an old broker epoch).
//   - v0's request header has no client id; the connection reads it that way.
//   - A missing response becomes UNKNOWN_SERVER_ERROR.
//
// Version notes:
//   - v1: normal request header. v2: BrokerEpoch. v3: flexible.
func init() {
	register(handler{Key: 7, MinVersion: 0, MaxVersion: 3, Func: handleControlledShutdown})
}

func handleControlledShutdown(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.ControlledShutdownRequest)
	resp := svc.ControlledShutdown(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrControlledShutdownResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	return resp, nil
}
