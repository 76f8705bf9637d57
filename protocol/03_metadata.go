package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Metadata: v0-11 (Kafka 2.8)
//
// Behaviour:
//   - Normalises the "all topics" spelling before Services.Metadata sees it: v0 sends an empty
//     list for all topics, v1+ a null list; the service always gets Topics == nil for "all" and a
//     non-nil empty slice for "none".
//   - AllowAutoTopicCreation did not exist before v4 and behaved as true: it is set to true for
//     v0-3 (the broker still applies auto.create.topics.enable).
//   - v10+ addresses topics by name only in 2.8: a null name or a non-zero topic id is an
//     INVALID_REQUEST for every requested topic and the service is not called.
//   - Every requested topic gets an entry (UNKNOWN_SERVER_ERROR if the service left it out).
//
// Version notes:
//   - v1: Rack, ControllerID, IsInternal, null = all. v2: ClusterID. v3: ThrottleMillis.
//   - v4: AllowAutoTopicCreation. v5: OfflineReplicas. v7: LeaderEpoch.
//   - v8: authorized operations (cluster ones dropped again in v11). v9: flexible. v10: TopicID.
func init() {
	register(handler{Key: 3, MinVersion: 0, MaxVersion: 11, Func: handleMetadata})
}

func handleMetadata(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.MetadataRequest)
	if req.Version == 0 && len(req.Topics) == 0 {
		req.Topics = nil
	}
	if req.Version < 4 {
		req.AllowAutoTopicCreation = true
	}

	var resp *kmsg.MetadataResponse
	if metadataUsesTopicIDs(req) {
		resp = kmsg.NewPtrMetadataResponse()
		for _, t := range req.Topics {
			rt := kmsg.NewMetadataResponseTopic()
			rt.Topic, rt.TopicID, rt.ErrorCode = t.Topic, t.TopicID, kerr.InvalidRequest.Code
			resp.Topics = append(resp.Topics, rt)
		}
	} else {
		resp = svc.Metadata(ctx, rc, req)
	}
	if resp == nil {
		resp = kmsg.NewPtrMetadataResponse()
	}
	resp.Version = req.Version

	fillNamed(&resp.Topics, func(yield func(string) bool) {
		for _, t := range req.Topics {
			if t.Topic != nil && !yield(*t.Topic) {
				return
			}
		}
	}, func(t *kmsg.MetadataResponseTopic) string {
		if t.Topic == nil {
			return ""
		}
		return *t.Topic
	}, func(name string) kmsg.MetadataResponseTopic {
		t := kmsg.NewMetadataResponseTopic()
		t.Topic, t.ErrorCode = strPtr(name), kerr.UnknownServerError.Code
		return t
	})
	for i := range resp.Topics {
		if resp.Topics[i].Topic == nil && req.Version < 10 {
			resp.Topics[i].Topic = strPtr("") // null names only exist from v10
		}
	}
	return resp, nil
}

// metadataUsesTopicIDs reports a v10+ request that names a topic by id or leaves its name null,
// which KafkaApis rejects in 2.8 ("Topic IDs are not supported in requests for version N").
func metadataUsesTopicIDs(req *kmsg.MetadataRequest) bool {
	if req.Version < 10 {
		return false
	}
	for _, t := range req.Topics {
		if t.Topic == nil || t.TopicID != ([16]byte{}) {
			return true
		}
	}
	return false
}
