package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// LeaderAndIsr: v0-5 (Kafka 2.8)
//
// Behaviour:
//   - Controller-to-broker. Everything (stale controller epoch, broker epoch, per-partition
//     leader epoch checks, becoming leader or follower) is Services.LeaderAndIsr's business.
//   - v0-1 carry PartitionStates flat (with topic names); v2+ group them under TopicStates. The
//     handler hands the request over as decoded; the service reads whichever the version uses.
//   - Every partition in the request gets a result: v0-4 in the flat Partitions list, v5 under
//     Topics keyed by topic id. A missing one gets the top-level error code if the service set
//     one (Kafka answers STALE_CONTROLLER_EPOCH for every partition), else UNKNOWN_SERVER_ERROR.
//
// Version notes:
//   - v1: IsNew. v2: BrokerEpoch, TopicStates. v3: AddingReplicas/RemovingReplicas.
//   - v4: flexible. v5: Type, TopicID; response grouped by topic id (KIP-516).
func init() {
	register(handler{Key: 4, MinVersion: 0, MaxVersion: 5, Func: handleLeaderAndIsr})
}

func handleLeaderAndIsr(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.LeaderAndISRRequest)
	resp := svc.LeaderAndIsr(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrLeaderAndISRResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	code := orUnknown(resp.ErrorCode)

	if req.Version >= 5 {
		fillTP(&resp.Topics, func(yield func(string, int32) bool) {
			for _, t := range req.TopicStates {
				for _, p := range t.PartitionStates {
					if !yield(string(t.TopicID[:]), p.Partition) {
						return
					}
				}
			}
		}, tpAccess[kmsg.LeaderAndISRResponseTopic, kmsg.LeaderAndISRResponseTopicPartition]{
			topic: func(t *kmsg.LeaderAndISRResponseTopic) string { return string(t.TopicID[:]) },
			parts: func(t *kmsg.LeaderAndISRResponseTopic) *[]kmsg.LeaderAndISRResponseTopicPartition {
				return &t.Partitions
			},
			part: func(p *kmsg.LeaderAndISRResponseTopicPartition) int32 { return p.Partition },
			newTopic: func(id string) kmsg.LeaderAndISRResponseTopic {
				t := kmsg.NewLeaderAndISRResponseTopic()
				copy(t.TopicID[:], id)
				return t
			},
			newPart: func(part int32) kmsg.LeaderAndISRResponseTopicPartition {
				p := kmsg.NewLeaderAndISRResponseTopicPartition()
				p.Partition, p.ErrorCode = part, code
				return p
			},
		})
		return resp, nil
	}

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
		p := kmsg.NewLeaderAndISRResponseTopicPartition()
		p.Topic, p.Partition, p.ErrorCode = topic, part, code
		resp.Partitions = append(resp.Partitions, p)
	}
	if req.Version < 2 {
		for _, p := range req.PartitionStates {
			add(p.Topic, p.Partition)
		}
	} else {
		for _, t := range req.TopicStates {
			for _, p := range t.PartitionStates {
				add(t.Topic, p.Partition)
			}
		}
	}
	return resp, nil
}
