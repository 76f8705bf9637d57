package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DeleteTopics: v0-6 (Kafka 2.8)
//
// Behaviour:
//   - v0-5 name topics in TopicNames; v6 has Topics entries with a name or a topic id. The
//     service reads the field its version uses.
//   - v6: an entry with both a name and an id makes the whole request INVALID_REQUEST ("Topic
//     name and topic ID can not both be specified."), and the service is not called.
//   - NOT_CONTROLLER, delete.topic.enable (TOPIC_DELETION_DISABLED from v3, INVALID_REQUEST
//     before), unknown topics and waiting up to TimeoutMillis are the service's.
//   - Every requested topic gets an entry, matched by name or, for id-only entries, by id.
//
// Version notes:
//   - v1: ThrottleMillis. v4: flexible. v5: ErrorMessage, quota errors. v6: topic ids (KIP-516).
func init() {
	register(handler{Key: 20, MinVersion: 0, MaxVersion: 6, Func: handleDeleteTopics})
}

func handleDeleteTopics(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.DeleteTopicsRequest)
	wanted := req.Topics
	if req.Version < 6 {
		wanted = make([]kmsg.DeleteTopicsRequestTopic, len(req.TopicNames))
		for i, name := range req.TopicNames {
			wanted[i] = kmsg.NewDeleteTopicsRequestTopic()
			wanted[i].Topic = strPtr(name)
		}
	}
	invalid := false
	for _, t := range req.Topics {
		if t.Topic != nil && t.TopicID != ([16]byte{}) {
			invalid = true
		}
	}

	var resp *kmsg.DeleteTopicsResponse
	if invalid {
		resp = kmsg.NewPtrDeleteTopicsResponse()
		for _, t := range wanted {
			rt := kmsg.NewDeleteTopicsResponseTopic()
			rt.Topic, rt.TopicID, rt.ErrorCode = t.Topic, t.TopicID, kerr.InvalidRequest.Code
			rt.ErrorMessage = strPtr("Topic name and topic ID can not both be specified.")
			resp.Topics = append(resp.Topics, rt)
		}
	} else {
		resp = svc.DeleteTopics(ctx, rc, req)
	}
	if resp == nil {
		resp = kmsg.NewPtrDeleteTopicsResponse()
	}
	resp.Version = req.Version

	key := func(name *string, id [16]byte) string {
		if name != nil {
			return "n" + *name
		}
		return "i" + string(id[:])
	}
	have := make(map[string]struct{}, len(resp.Topics))
	for _, t := range resp.Topics {
		have[key(t.Topic, t.TopicID)] = struct{}{}
		if t.Topic != nil && t.TopicID != ([16]byte{}) {
			have[key(nil, t.TopicID)] = struct{}{} // an answer by name also answers its id
		}
	}
	for _, t := range wanted {
		k := key(t.Topic, t.TopicID)
		if _, ok := have[k]; ok {
			continue
		}
		have[k] = struct{}{}
		rt := kmsg.NewDeleteTopicsResponseTopic()
		rt.Topic, rt.TopicID, rt.ErrorCode = t.Topic, t.TopicID, kerr.UnknownServerError.Code
		resp.Topics = append(resp.Topics, rt)
	}
	for i := range resp.Topics {
		if resp.Topics[i].Topic == nil && req.Version < 6 {
			resp.Topics[i].Topic = strPtr("")
		}
	}
	return resp, nil
}
