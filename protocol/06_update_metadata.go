package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// UpdateMetadata: v0-7 (Kafka 2.8)
//
// Behaviour:
//   - Controller-to-broker; the metadata cache update and the stale-epoch checks are
//     Services.UpdateMetadata's. v0-4 carry flat PartitionStates, v5+ TopicStates; v0 brokers
//     have a single plaintext Host/Port, v1+ Endpoints.
//   - The response is a single error code; a missing response becomes UNKNOWN_SERVER_ERROR.
//
// Version notes:
//   - v1: Endpoints. v2: Rack. v3: ListenerName. v4: OfflineReplicas. v5: BrokerEpoch,
//     TopicStates. v6: flexible. v7: TopicID.
func init() {
	register(handler{Key: 6, MinVersion: 0, MaxVersion: 7, Func: handleUpdateMetadata})
}

func handleUpdateMetadata(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.UpdateMetadataRequest)
	resp := svc.UpdateMetadata(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrUpdateMetadataResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	return resp, nil
}
