package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// CreatePartitions: v0-3 (Kafka 2.8)
//
// Behaviour:
//   - A topic named more than once is answered once with INVALID_REQUEST ("Duplicate topic in
//     request.") and not passed on, as KafkaApis does.
//   - NOT_CONTROLLER, INVALID_PARTITIONS (count not above the current one), assignment checks,
//     ValidateOnly and waiting up to TimeoutMillis are Services.CreatePartitions'.
//   - Every requested topic gets an entry (UNKNOWN_SERVER_ERROR if the service left it out).
//
// Version notes:
//   - v1: no wire change. v2: flexible. v3: quota errors (KIP-599).
func init() {
	register(handler{Key: 37, MinVersion: 0, MaxVersion: 3, Func: handleCreatePartitions})
}

func handleCreatePartitions(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.CreatePartitionsRequest)
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
	var resp *kmsg.CreatePartitionsResponse
	if len(sreq.Topics) > 0 || len(req.Topics) == 0 {
		resp = svc.CreatePartitions(ctx, rc, sreq)
	}
	if resp == nil {
		resp = kmsg.NewPtrCreatePartitionsResponse()
	}
	resp.Version = req.Version
	newTopic := func(name string, code int16, msg string) kmsg.CreatePartitionsResponseTopic {
		t := kmsg.NewCreatePartitionsResponseTopic()
		t.Topic, t.ErrorCode = name, code
		if msg != "" {
			t.ErrorMessage = strPtr(msg)
		}
		return t
	}
	for _, t := range req.Topics {
		if dups[t.Topic] {
			resp.Topics = append(resp.Topics, newTopic(t.Topic, kerr.InvalidRequest.Code, "Duplicate topic in request."))
			delete(dups, t.Topic)
		}
	}
	fillNamed(&resp.Topics, func(yield func(string) bool) {
		for _, t := range req.Topics {
			if !yield(t.Topic) {
				return
			}
		}
	}, func(t *kmsg.CreatePartitionsResponseTopic) string { return t.Topic },
		func(name string) kmsg.CreatePartitionsResponseTopic {
			return newTopic(name, kerr.UnknownServerError.Code, "")
		})
	return resp, nil
}
