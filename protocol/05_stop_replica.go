package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// StopReplica: v0-3 (Kafka 2.8)
//
// Behaviour:
//   - Controller-to-broker; epochs, deletion and fetcher removal are Services.StopReplica's.
//   - The request shape changes by version: v0 lists (Topic, Partition) pairs, v1-2 topics with
//     partition lists and one request-level DeletePartitions flag, v3 per-partition states with
//     LeaderEpoch and Delete. The service reads the shape its version uses.
//   - Every requested partition gets a result (top-level error or UNKNOWN_SERVER_ERROR).
//
// Version notes:
//   - v1: BrokerEpoch, grouped topics. v2: flexible. v3: PartitionStates (KIP-570).
func init() {
	register(handler{Key: 5, MinVersion: 0, MaxVersion: 3, Func: handleStopReplica})
}

func handleStopReplica(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.StopReplicaRequest)
	resp := svc.StopReplica(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrStopReplicaResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	code := orUnknown(resp.ErrorCode)

	have := make(map[tpKey]struct{}, len(resp.Partitions))
	for _, p := range resp.Partitions {
		have[tpKey{p.Topic, p.Partition}] = struct{}{}
	}
	add := func(topic string, part int32) {
		k := tpKey{topic, part}
		if _, ok := have[k]; ok {
			return
		}
		have[k] = struct{}{}
		p := kmsg.NewStopReplicaResponsePartition()
		p.Topic, p.Partition, p.ErrorCode = topic, part, code
		resp.Partitions = append(resp.Partitions, p)
	}
	for _, t := range req.Topics {
		switch {
		case req.Version == 0:
			add(t.Topic, t.Partition)
		case req.Version <= 2:
			for _, p := range t.Partitions {
				add(t.Topic, p)
			}
		default:
			for _, p := range t.PartitionStates {
				add(t.Topic, p.Partition)
			}
		}
	}
	return resp, nil
}
