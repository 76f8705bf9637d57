package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// CreateTopics: v0-7 (Kafka 2.8)
//
// Behaviour:
//   - A topic named more than once is answered INVALID_REQUEST ("Found multiple entries for this
//     topic.") for every occurrence and not passed on, as KafkaApis does.
//   - NOT_CONTROLLER, name validation, assignment, configs, ValidateOnly and waiting up to
//     TimeoutMillis for the topic to appear are Services.CreateTopics'.
//   - Every requested topic gets an entry; from v5 a fill-in carries NumPartitions and
//     ReplicationFactor -1.
//
// Version notes:
//   - v1: ValidateOnly, ErrorMessage. v2: ThrottleMillis. v4: default partitions/replication
//     (-1) allowed (KIP-464). v5: flexible, configs and counts in the response (KIP-525).
//   - v6: quota errors (KIP-599). v7: TopicID in the response (KIP-516).
func init() {
	register(handler{Key: 19, MinVersion: 0, MaxVersion: 7, Func: handleCreateTopics})
}

func handleCreateTopics(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.CreateTopicsRequest)
	dups := duplicates(func(yield func(string) bool) {
		for _, t := range req.Topics {
			if !yield(t.Topic) {
				return
			}
		}
	})
	sreq := req
	if dups != nil {
		cp := *req
		cp.Topics = nil
		for _, t := range req.Topics {
			if !dups[t.Topic] {
				cp.Topics = append(cp.Topics, t)
			}
		}
		sreq = &cp
	}
	var resp *kmsg.CreateTopicsResponse
	if len(sreq.Topics) > 0 || len(req.Topics) == 0 {
		resp = svc.CreateTopics(ctx, rc, sreq)
	}
	if resp == nil {
		resp = kmsg.NewPtrCreateTopicsResponse()
	}
	resp.Version = req.Version
	newTopic := func(name string, code int16, msg string) kmsg.CreateTopicsResponseTopic {
		t := kmsg.NewCreateTopicsResponseTopic()
		t.Topic, t.ErrorCode = name, code
		t.NumPartitions, t.ReplicationFactor = -1, -1
		if msg != "" {
			t.ErrorMessage = strPtr(msg)
		}
		return t
	}
	for _, t := range req.Topics {
		if dups[t.Topic] {
			resp.Topics = append(resp.Topics, newTopic(t.Topic, kerr.InvalidRequest.Code, "Found multiple entries for this topic."))
		}
	}
	fillNamed(&resp.Topics, func(yield func(string) bool) {
		for _, t := range req.Topics {
			if !yield(t.Topic) {
				return
			}
		}
	}, func(t *kmsg.CreateTopicsResponseTopic) string { return t.Topic },
		func(name string) kmsg.CreateTopicsResponseTopic {
			return newTopic(name, kerr.UnknownServerError.Code, "")
		})
	return resp, nil
}
