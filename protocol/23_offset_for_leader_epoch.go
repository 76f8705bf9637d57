package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetForLeaderEpoch: v0-4 (Kafka 2.8)
//
// Behaviour:
//   - Followers (truncation on becoming follower) and clients (KIP-320) ask for the end offset
//     of a leader epoch; the epoch cache lookup, fencing (CurrentLeaderEpoch) and leadership
//     checks are Services.OffsetForLeaderEpoch's.
//   - Every requested partition gets an entry: epoch -1, end offset -1 and UNKNOWN_SERVER_ERROR
//     if the service left it out.
//
// Version notes:
//   - v1: LeaderEpoch in the response. v2: CurrentLeaderEpoch, ThrottleMillis.
//   - v3: ReplicaID (-1 consumer, -2 debug). v4: flexible.
func init() {
	register(handler{Key: 23, MinVersion: 0, MaxVersion: 4, Func: handleOffsetForLeaderEpoch})
}

func handleOffsetForLeaderEpoch(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.OffsetForLeaderEpochRequest)
	if req.Version < 3 {
		req.ReplicaID = -2 // Kafka treats pre-v3 requests as coming from a debug/follower client
	}
	resp := svc.OffsetForLeaderEpoch(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrOffsetForLeaderEpochResponse()
	}
	resp.Version = req.Version
	fillTP(&resp.Topics, func(yield func(string, int32) bool) {
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				if !yield(t.Topic, p.Partition) {
					return
				}
			}
		}
	}, tpAccess[kmsg.OffsetForLeaderEpochResponseTopic, kmsg.OffsetForLeaderEpochResponseTopicPartition]{
		topic: func(t *kmsg.OffsetForLeaderEpochResponseTopic) string { return t.Topic },
		parts: func(t *kmsg.OffsetForLeaderEpochResponseTopic) *[]kmsg.OffsetForLeaderEpochResponseTopicPartition {
			return &t.Partitions
		},
		part: func(p *kmsg.OffsetForLeaderEpochResponseTopicPartition) int32 { return p.Partition },
		newTopic: func(name string) kmsg.OffsetForLeaderEpochResponseTopic {
			t := kmsg.NewOffsetForLeaderEpochResponseTopic()
			t.Topic = name
			return t
		},
		newPart: func(part int32) kmsg.OffsetForLeaderEpochResponseTopicPartition {
			p := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			p.Partition, p.LeaderEpoch, p.EndOffset, p.ErrorCode = part, -1, -1, kerr.UnknownServerError.Code
			return p
		},
	})
	return resp, nil
}
