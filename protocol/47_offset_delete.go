package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetDelete: v0 (Kafka 2.8)
//
// Behaviour:
//   - Coordinator checks, GROUP_SUBSCRIBED_TO_TOPIC for partitions an active consumer group
//     still subscribes to, and the tombstones are Services.OffsetDelete's.
//   - A group-level error answers with no topics, as Kafka does. Otherwise every requested
//     partition gets an entry (UNKNOWN_SERVER_ERROR if the service left it out).
//
// Version notes:
//   - v0 only (KIP-496); never flexible.
func init() {
	register(handler{Key: 47, MinVersion: 0, MaxVersion: 0, Func: handleOffsetDelete})
}

func handleOffsetDelete(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.OffsetDeleteRequest)
	resp := svc.OffsetDelete(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrOffsetDeleteResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	if resp.ErrorCode != 0 {
		resp.Topics = nil
		return resp, nil
	}
	fillTP(&resp.Topics, func(yield func(string, int32) bool) {
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				if !yield(t.Topic, p.Partition) {
					return
				}
			}
		}
	}, tpAccess[kmsg.OffsetDeleteResponseTopic, kmsg.OffsetDeleteResponseTopicPartition]{
		topic: func(t *kmsg.OffsetDeleteResponseTopic) string { return t.Topic },
		parts: func(t *kmsg.OffsetDeleteResponseTopic) *[]kmsg.OffsetDeleteResponseTopicPartition {
			return &t.Partitions
		},
		part: func(p *kmsg.OffsetDeleteResponseTopicPartition) int32 { return p.Partition },
		newTopic: func(name string) kmsg.OffsetDeleteResponseTopic {
			t := kmsg.NewOffsetDeleteResponseTopic()
			t.Topic = name
			return t
		},
		newPart: func(part int32) kmsg.OffsetDeleteResponseTopicPartition {
			p := kmsg.NewOffsetDeleteResponseTopicPartition()
			p.Partition, p.ErrorCode = part, kerr.UnknownServerError.Code
			return p
		},
	})
	return resp, nil
}
