package protocol

import (
	"context"
	"iter"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Fetch: v0-12 (Kafka 2.8)
//
// Behaviour:
//   - Consumers (ReplicaID -1) and followers (ReplicaID = broker id) alike go straight to
//     Services.Fetch, which owns long polling (MaxWaitMillis/MinBytes), fetch sessions, the
//     high watermark versus log end bound and replica-state updates. Nothing in a fetch can be
//     judged from the bytes alone.
//   - Fill-in: in a full (sessionless, or session-creating) fetch every requested partition gets
//     an entry; incremental session responses legitimately omit partitions and are left alone.
//
// Version notes:
//   - v1: ThrottleMillis. v3: MaxBytes. v4: IsolationLevel, LastStableOffset, aborted
//     transactions. v5: LogStartOffset. v7: fetch sessions (KIP-227). v9: CurrentLeaderEpoch.
//   - v11: Rack, PreferredReadReplica (KIP-392). v12: flexible, LastFetchedEpoch and the
//     DivergingEpoch tagged field for followers (KIP-595 truncation detection).
func init() {
	register(handler{Key: 1, MinVersion: 0, MaxVersion: 12, Func: handleFetch})
}

func handleFetch(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.FetchRequest)
	resp := svc.Fetch(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrFetchResponse()
		if req.Version >= 7 && req.SessionEpoch != -1 {
			resp.ErrorCode = kerr.UnknownServerError.Code
		}
	}
	resp.Version = req.Version
	full := req.Version < 7 || req.SessionEpoch == -1 || (req.SessionID == 0 && req.SessionEpoch == 0)
	if !full || resp.ErrorCode != 0 || fetchAnswered(req, resp) {
		return resp, nil
	}
	fillTP(&resp.Topics, fetchWants(req), tpAccess[kmsg.FetchResponseTopic, kmsg.FetchResponseTopicPartition]{
		topic: func(t *kmsg.FetchResponseTopic) string { return t.Topic },
		parts: func(t *kmsg.FetchResponseTopic) *[]kmsg.FetchResponseTopicPartition { return &t.Partitions },
		part:  func(p *kmsg.FetchResponseTopicPartition) int32 { return p.Partition },
		newTopic: func(name string) kmsg.FetchResponseTopic {
			t := kmsg.NewFetchResponseTopic()
			t.Topic = name
			return t
		},
		newPart: func(part int32) kmsg.FetchResponseTopicPartition {
			p := kmsg.NewFetchResponseTopicPartition()
			p.Partition, p.ErrorCode = part, kerr.UnknownServerError.Code
			p.HighWatermark, p.LastStableOffset, p.LogStartOffset = -1, -1, -1
			return p
		},
	})
	return resp, nil
}

// fetchAnswered is the allocation-free check for the usual full fetch: every partition answered
// in request order.
func fetchAnswered(req *kmsg.FetchRequest, resp *kmsg.FetchResponse) bool {
	if len(resp.Topics) != len(req.Topics) {
		return false
	}
	for i := range req.Topics {
		qt, rt := &req.Topics[i], &resp.Topics[i]
		if qt.Topic != rt.Topic || len(qt.Partitions) != len(rt.Partitions) {
			return false
		}
		for j := range qt.Partitions {
			if qt.Partitions[j].Partition != rt.Partitions[j].Partition {
				return false
			}
		}
	}
	return true
}

func fetchWants(req *kmsg.FetchRequest) iter.Seq2[string, int32] {
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
