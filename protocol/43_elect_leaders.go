package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ElectLeaders: v0-2 (Kafka 2.8)
//
// Behaviour:
//   - v0 carries no election type: it is a preferred election, and the handler passes
//     ElectionType 0 to the service whatever the decoded field says.
//   - Topics == nil asks for every partition; the service then answers only the partitions
//     that were elected or failed (ELECTION_NOT_NEEDED ones are left out, as KafkaApis does).
//   - NOT_CONTROLLER (per partition), ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE and
//     the wait for the new leader to reach the metadata cache are Services.ElectLeaders'.
//   - With an explicit list every requested partition gets an entry: the response's top-level
//     error if it has one, else UNKNOWN_SERVER_ERROR, when the service left it out.
//
// Version notes:
//   - v1: ElectionType in the request, top-level ErrorCode in the response (KIP-460).
//     v2: flexible.
func init() {
	register(handler{Key: 43, MinVersion: 0, MaxVersion: 2, Func: handleElectLeaders})
}

func handleElectLeaders(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.ElectLeadersRequest)
	if req.Version == 0 {
		req.ElectionType = 0
	}
	resp := svc.ElectLeaders(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrElectLeadersResponse()
	}
	resp.Version = req.Version
	if req.Topics == nil {
		return resp, nil
	}
	code := orUnknown(resp.ErrorCode)
	fillTP(&resp.Topics, func(yield func(string, int32) bool) {
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				if !yield(t.Topic, p) {
					return
				}
			}
		}
	}, tpAccess[kmsg.ElectLeadersResponseTopic, kmsg.ElectLeadersResponseTopicPartition]{
		topic: func(t *kmsg.ElectLeadersResponseTopic) string { return t.Topic },
		parts: func(t *kmsg.ElectLeadersResponseTopic) *[]kmsg.ElectLeadersResponseTopicPartition {
			return &t.Partitions
		},
		part: func(p *kmsg.ElectLeadersResponseTopicPartition) int32 { return p.Partition },
		newTopic: func(name string) kmsg.ElectLeadersResponseTopic {
			t := kmsg.NewElectLeadersResponseTopic()
			t.Topic = name
			return t
		},
		newPart: func(part int32) kmsg.ElectLeadersResponseTopicPartition {
			p := kmsg.NewElectLeadersResponseTopicPartition()
			p.Partition, p.ErrorCode = part, code
			return p
		},
	})
	return resp, nil
}
