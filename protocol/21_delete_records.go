package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DeleteRecords: v0-2 (Kafka 2.8)
//
// Behaviour:
//   - Leadership, OFFSET_OUT_OF_RANGE above the high watermark, -1 meaning "up to the high
//     watermark" and waiting for followers are Services.DeleteRecords'.
//   - Every requested partition gets an entry: low watermark -1 and UNKNOWN_SERVER_ERROR if the
//     service left it out.
//
// Version notes:
//   - v1: no wire change (quota behaviour). v2: flexible.
func init() {
	register(handler{Key: 21, MinVersion: 0, MaxVersion: 2, Func: handleDeleteRecords})
}

func handleDeleteRecords(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.DeleteRecordsRequest)
	resp := svc.DeleteRecords(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrDeleteRecordsResponse()
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
	}, tpAccess[kmsg.DeleteRecordsResponseTopic, kmsg.DeleteRecordsResponseTopicPartition]{
		topic: func(t *kmsg.DeleteRecordsResponseTopic) string { return t.Topic },
		parts: func(t *kmsg.DeleteRecordsResponseTopic) *[]kmsg.DeleteRecordsResponseTopicPartition {
			return &t.Partitions
		},
		part: func(p *kmsg.DeleteRecordsResponseTopicPartition) int32 { return p.Partition },
		newTopic: func(name string) kmsg.DeleteRecordsResponseTopic {
			t := kmsg.NewDeleteRecordsResponseTopic()
			t.Topic = name
			return t
		},
		newPart: func(part int32) kmsg.DeleteRecordsResponseTopicPartition {
			p := kmsg.NewDeleteRecordsResponseTopicPartition()
			p.Partition, p.LowWatermark, p.ErrorCode = part, -1, kerr.UnknownServerError.Code
			return p
		},
	})
	return resp, nil
}
