package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetFetch: v0-7 (Kafka 2.8)
//
// Behaviour:
//   - Coordinator checks, pending-transaction handling (RequireStable, UNSTABLE_OFFSET_COMMIT)
//     and the lookup itself are Services.OffsetFetch's. v0 read ZooKeeper-stored offsets in Kafka.
//   - Topics == nil (v2+) asks for every committed offset of the group.
//   - A group-level error: v2+ carries it in the top-level ErrorCode with no topics (as Kafka's
//     getErrorResponse); v0-1 have no top-level field, so the handler copies it into every
//     requested partition.
//   - Otherwise every requested partition gets an entry: offset -1, empty metadata and
//     UNKNOWN_SERVER_ERROR if the service left it out.
//
// Version notes:
//   - v2: top-level ErrorCode, null topics = all. v3: ThrottleMillis. v5: LeaderEpoch.
//   - v6: flexible. v7: RequireStable (KIP-447).
func init() {
	register(handler{Key: 9, MinVersion: 0, MaxVersion: 7, Func: handleOffsetFetch})
}

func handleOffsetFetch(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.OffsetFetchRequest)
	resp := svc.OffsetFetch(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrOffsetFetchResponse()
		resp.ErrorCode = kerr.UnknownServerError.Code
	}
	resp.Version = req.Version
	if req.Version >= 2 && resp.ErrorCode != 0 {
		resp.Topics = nil
		return resp, nil
	}
	code := orUnknown(resp.ErrorCode)
	if req.Version < 2 && resp.ErrorCode != 0 {
		for i := range resp.Topics {
			for j := range resp.Topics[i].Partitions {
				if p := &resp.Topics[i].Partitions[j]; p.ErrorCode == 0 {
					p.ErrorCode = resp.ErrorCode
				}
			}
		}
	}
	fillTP(&resp.Topics, func(yield func(string, int32) bool) {
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				if !yield(t.Topic, p) {
					return
				}
			}
		}
	}, tpAccess[kmsg.OffsetFetchResponseTopic, kmsg.OffsetFetchResponseTopicPartition]{
		topic: func(t *kmsg.OffsetFetchResponseTopic) string { return t.Topic },
		parts: func(t *kmsg.OffsetFetchResponseTopic) *[]kmsg.OffsetFetchResponseTopicPartition { return &t.Partitions },
		part:  func(p *kmsg.OffsetFetchResponseTopicPartition) int32 { return p.Partition },
		newTopic: func(name string) kmsg.OffsetFetchResponseTopic {
			t := kmsg.NewOffsetFetchResponseTopic()
			t.Topic = name
			return t
		},
		newPart: func(part int32) kmsg.OffsetFetchResponseTopicPartition {
			p := kmsg.NewOffsetFetchResponseTopicPartition()
			p.Partition, p.Offset, p.Metadata, p.ErrorCode = part, -1, strPtr(""), code
			return p
		},
	})
	return resp, nil
}
