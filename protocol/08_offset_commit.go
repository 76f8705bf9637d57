package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetCommit: v0-8 (Kafka 2.8)
//
// Behaviour:
//   - Group validation (INVALID_GROUP_ID, coordinator ownership, generation and member checks),
//     metadata size limits and retention are Services.OffsetCommit's. v0 commits went to
//     ZooKeeper in Kafka; the broker decides what to do with them.
//   - Every committed partition gets a result (UNKNOWN_SERVER_ERROR if the service left it out).
//
// Version notes:
//   - v1: Generation, MemberID, per-partition Timestamp. v2-4: RetentionTimeMillis instead.
//   - v3: ThrottleMillis. v5: retention and timestamp dropped. v6: LeaderEpoch.
//   - v7: InstanceID (static membership). v8: flexible.
func init() {
	register(handler{Key: 8, MinVersion: 0, MaxVersion: 8, Func: handleOffsetCommit})
}

func handleOffsetCommit(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.OffsetCommitRequest)
	resp := svc.OffsetCommit(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrOffsetCommitResponse()
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
	}, tpAccess[kmsg.OffsetCommitResponseTopic, kmsg.OffsetCommitResponseTopicPartition]{
		topic: func(t *kmsg.OffsetCommitResponseTopic) string { return t.Topic },
		parts: func(t *kmsg.OffsetCommitResponseTopic) *[]kmsg.OffsetCommitResponseTopicPartition {
			return &t.Partitions
		},
		part: func(p *kmsg.OffsetCommitResponseTopicPartition) int32 { return p.Partition },
		newTopic: func(name string) kmsg.OffsetCommitResponseTopic {
			t := kmsg.NewOffsetCommitResponseTopic()
			t.Topic = name
			return t
		},
		newPart: func(part int32) kmsg.OffsetCommitResponseTopicPartition {
			p := kmsg.NewOffsetCommitResponseTopicPartition()
			p.Partition, p.ErrorCode = part, kerr.UnknownServerError.Code
			return p
		},
	})
	return resp, nil
}
