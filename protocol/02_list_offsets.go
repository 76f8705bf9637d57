package protocol

import (
	"context"
	"iter"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListOffsets: v0-6 (Kafka 2.8)
//
// Behaviour:
//   - A partition named twice in one request is answered INVALID_REQUEST for every occurrence
//     and not passed on (ListOffsetsRequest.duplicatePartitions in KafkaApis).
//   - Timestamps -1 (latest) and -2 (earliest), leader-only serving for ReplicaID -1, the
//     READ_COMMITTED bound and leader epoch fencing are Services.ListOffsets' business.
//
// Version notes:
//   - v0: MaxNumOffsets in, OldStyleOffsets out (the broker fills them).
//   - v1: single Timestamp/Offset. v2: IsolationLevel, ThrottleMillis. v4: CurrentLeaderEpoch,
//     LeaderEpoch. v5: OFFSET_NOT_AVAILABLE instead of LEADER_NOT_AVAILABLE. v6: flexible.
func init() {
	register(handler{Key: 2, MinVersion: 0, MaxVersion: 6, Func: handleListOffsets})
}

func handleListOffsets(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.ListOffsetsRequest)

	dups := duplicates(func(yield func(tpKey) bool) {
		for name, p := range listOffsetsWants(req) {
			if !yield(tpKey{name, p}) {
				return
			}
		}
	})
	sreq := req
	if dups != nil {
		cp := *req
		cp.Topics = nil
		for _, t := range req.Topics {
			nt := t
			nt.Partitions = nil
			for _, p := range t.Partitions {
				if !dups[tpKey{t.Topic, p.Partition}] {
					nt.Partitions = append(nt.Partitions, p)
				}
			}
			if len(nt.Partitions) > 0 {
				cp.Topics = append(cp.Topics, nt)
			}
		}
		sreq = &cp
	}

	var resp *kmsg.ListOffsetsResponse
	if len(sreq.Topics) > 0 || len(req.Topics) == 0 {
		resp = svc.ListOffsets(ctx, rc, sreq)
	}
	if resp == nil {
		resp = kmsg.NewPtrListOffsetsResponse()
	}
	resp.Version = req.Version

	if dups != nil {
		// Kafka answers every occurrence of a duplicated partition.
		for name, part := range listOffsetsWants(req) {
			if dups[tpKey{name, part}] {
				p := kmsg.NewListOffsetsResponseTopicPartition()
				p.Partition, p.ErrorCode = part, kerr.InvalidRequest.Code
				appendListOffsetsPartition(resp, name, p)
			}
		}
	}
	fillTP(&resp.Topics, listOffsetsWants(req), tpAccess[kmsg.ListOffsetsResponseTopic, kmsg.ListOffsetsResponseTopicPartition]{
		topic: func(t *kmsg.ListOffsetsResponseTopic) string { return t.Topic },
		parts: func(t *kmsg.ListOffsetsResponseTopic) *[]kmsg.ListOffsetsResponseTopicPartition { return &t.Partitions },
		part:  func(p *kmsg.ListOffsetsResponseTopicPartition) int32 { return p.Partition },
		newTopic: func(name string) kmsg.ListOffsetsResponseTopic {
			t := kmsg.NewListOffsetsResponseTopic()
			t.Topic = name
			return t
		},
		newPart: func(part int32) kmsg.ListOffsetsResponseTopicPartition {
			p := kmsg.NewListOffsetsResponseTopicPartition()
			p.Partition, p.ErrorCode = part, kerr.UnknownServerError.Code
			return p
		},
	})
	return resp, nil
}

func appendListOffsetsPartition(resp *kmsg.ListOffsetsResponse, topic string, p kmsg.ListOffsetsResponseTopicPartition) {
	for i := range resp.Topics {
		if resp.Topics[i].Topic == topic {
			resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, p)
			return
		}
	}
	t := kmsg.NewListOffsetsResponseTopic()
	t.Topic = topic
	t.Partitions = append(t.Partitions, p)
	resp.Topics = append(resp.Topics, t)
}

func listOffsetsWants(req *kmsg.ListOffsetsRequest) iter.Seq2[string, int32] {
	return func(yield func(string, int32) bool) {
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				if !yield(t.Topic, p.Partition) {
					return
				}
			}
		}
	}
}
