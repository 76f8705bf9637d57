package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// AlterPartitionReassignments: v0 (Kafka 2.8; kmsg calls it AlterPartitionAssignments)
//
// Behaviour:
//   - A partition with null Replicas cancels its reassignment; the service gets the request
//     as decoded (kmsg keeps nil and empty apart).
//   - NOT_CONTROLLER (top level), INVALID_REPLICA_ASSIGNMENT, NO_REASSIGNMENT_IN_PROGRESS and
//     UNKNOWN_TOPIC_OR_PARTITION are Services.AlterPartitionReassignments'.
//   - A top-level error answers the whole request with no per-partition entries, as KafkaApis
//     does; otherwise every requested partition gets an entry (UNKNOWN_SERVER_ERROR if the
//     service left it out).
//
// Version notes:
//   - v0 is flexible.
func init() {
	register(handler{Key: 45, MinVersion: 0, MaxVersion: 0, Func: handleAlterPartitionReassignments})
}

func handleAlterPartitionReassignments(ctx context.Context, svc Services, rc *RequestContext, kreq kmsg.Request) (kmsg.Response, error) {
	req := kreq.(*kmsg.AlterPartitionAssignmentsRequest)
	resp := svc.AlterPartitionReassignments(ctx, rc, req)
	if resp == nil {
		resp = kmsg.NewPtrAlterPartitionAssignmentsResponse()
	}
	resp.Version = req.Version
	if resp.ErrorCode != 0 {
		resp.Topics = nil
		return resp, nil
	}
	fillTP(&resp.Topics, func(yield func(string, int32) bool) {
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				if !yield(t.Topic, p.Partition) {
					return
				}
			}
		}
	}, tpAccess[kmsg.AlterPartitionAssignmentsResponseTopic, kmsg.AlterPartitionAssignmentsResponseTopicPartition]{
		topic: func(t *kmsg.AlterPartitionAssignmentsResponseTopic) string { return t.Topic },
		parts: func(t *kmsg.AlterPartitionAssignmentsResponseTopic) *[]kmsg.AlterPartitionAssignmentsResponseTopicPartition {
			return &t.Partitions
		},
		part: func(p *kmsg.AlterPartitionAssignmentsResponseTopicPartition) int32 { return p.Partition },
		newTopic: func(name string) kmsg.AlterPartitionAssignmentsResponseTopic {
			t := kmsg.NewAlterPartitionAssignmentsResponseTopic()
			t.Topic = name
			return t
		},
		newPart: func(part int32) kmsg.AlterPartitionAssignmentsResponseTopicPartition {
			p := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
			p.Partition, p.ErrorCode = part, orUnknown(0)
			return p
		},
	})
	return resp, nil
}
