package protocol

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// RequestContext is what a handler knows about the request besides its body.
type RequestContext struct {
	ClientID      string
	ClientHost    string // remote IP, as Kafka reports it in group member HOST columns
	Listener      string // listener name the connection arrived on
	APIKey        int16
	APIVersion    int16
	CorrelationID int32

	// regions are Fetch record sets still in segment files (see AttachRegion).
	regions []attachedRegion
}

// Services is the broker as the request handlers see it (Kafka's KafkaApis delegates to ReplicaManager,
// ZkAdminManager, MetadataCache and the coordinators the same way). Handlers validate what the wire alone
// can tell, set response versions, and delegate here; implementations never see framing or headers and
// report client mistakes as Kafka error codes inside the response.
//
// Handlers normalise some requests by version before the call (see each NN_*.go file): Metadata
// Topics is nil for "all topics" at every version and AllowAutoTopicCreation is true below v4;
// JoinGroup v0 carries RebalanceTimeoutMillis = SessionTimeoutMillis; FindCoordinator v0 has
// CoordinatorType 0. Requests rejected by a handler's wire checks (duplicates, bad acks, broken
// record framing, ...) never reach the service, or reach it without the rejected items. A nil
// response, or one missing some requested item, is completed with UNKNOWN_SERVER_ERROR entries.
type Services interface {
	Metadata(ctx context.Context, rc *RequestContext, req *kmsg.MetadataRequest) *kmsg.MetadataResponse
	// Produce returns nil when acks=0 (no response is sent; a response with any partition error
	// closes the connection instead, as Kafka does). The record bytes alias the connection's read
	// buffer: finish with them, or copy them, before returning.
	Produce(ctx context.Context, rc *RequestContext, req *kmsg.ProduceRequest) *kmsg.ProduceResponse
	Fetch(ctx context.Context, rc *RequestContext, req *kmsg.FetchRequest) *kmsg.FetchResponse
	ListOffsets(ctx context.Context, rc *RequestContext, req *kmsg.ListOffsetsRequest) *kmsg.ListOffsetsResponse
	InitProducerID(ctx context.Context, rc *RequestContext, req *kmsg.InitProducerIDRequest) *kmsg.InitProducerIDResponse
	CreateTopics(ctx context.Context, rc *RequestContext, req *kmsg.CreateTopicsRequest) *kmsg.CreateTopicsResponse
	DeleteTopics(ctx context.Context, rc *RequestContext, req *kmsg.DeleteTopicsRequest) *kmsg.DeleteTopicsResponse
	CreatePartitions(ctx context.Context, rc *RequestContext, req *kmsg.CreatePartitionsRequest) *kmsg.CreatePartitionsResponse
	DescribeConfigs(ctx context.Context, rc *RequestContext, req *kmsg.DescribeConfigsRequest) *kmsg.DescribeConfigsResponse
	AlterConfigs(ctx context.Context, rc *RequestContext, req *kmsg.AlterConfigsRequest) *kmsg.AlterConfigsResponse
	IncrementalAlterConfigs(ctx context.Context, rc *RequestContext, req *kmsg.IncrementalAlterConfigsRequest) *kmsg.IncrementalAlterConfigsResponse
	DeleteRecords(ctx context.Context, rc *RequestContext, req *kmsg.DeleteRecordsRequest) *kmsg.DeleteRecordsResponse
	DescribeCluster(ctx context.Context, rc *RequestContext, req *kmsg.DescribeClusterRequest) *kmsg.DescribeClusterResponse
	DescribeLogDirs(ctx context.Context, rc *RequestContext, req *kmsg.DescribeLogDirsRequest) *kmsg.DescribeLogDirsResponse
	OffsetForLeaderEpoch(ctx context.Context, rc *RequestContext, req *kmsg.OffsetForLeaderEpochRequest) *kmsg.OffsetForLeaderEpochResponse

	// Controller admin APIs: answered by the active controller, NOT_CONTROLLER elsewhere.
	ElectLeaders(ctx context.Context, rc *RequestContext, req *kmsg.ElectLeadersRequest) *kmsg.ElectLeadersResponse
	AlterPartitionReassignments(ctx context.Context, rc *RequestContext, req *kmsg.AlterPartitionAssignmentsRequest) *kmsg.AlterPartitionAssignmentsResponse
	ListPartitionReassignments(ctx context.Context, rc *RequestContext, req *kmsg.ListPartitionReassignmentsRequest) *kmsg.ListPartitionReassignmentsResponse

	// Controller-to-broker RPCs (inter-broker listener).
	LeaderAndIsr(ctx context.Context, rc *RequestContext, req *kmsg.LeaderAndISRRequest) *kmsg.LeaderAndISRResponse
	UpdateMetadata(ctx context.Context, rc *RequestContext, req *kmsg.UpdateMetadataRequest) *kmsg.UpdateMetadataResponse
	StopReplica(ctx context.Context, rc *RequestContext, req *kmsg.StopReplicaRequest) *kmsg.StopReplicaResponse
	ControlledShutdown(ctx context.Context, rc *RequestContext, req *kmsg.ControlledShutdownRequest) *kmsg.ControlledShutdownResponse

	// Group coordination (coordinator package behind the broker).
	FindCoordinator(ctx context.Context, rc *RequestContext, req *kmsg.FindCoordinatorRequest) *kmsg.FindCoordinatorResponse
	JoinGroup(ctx context.Context, rc *RequestContext, req *kmsg.JoinGroupRequest) *kmsg.JoinGroupResponse
	SyncGroup(ctx context.Context, rc *RequestContext, req *kmsg.SyncGroupRequest) *kmsg.SyncGroupResponse
	Heartbeat(ctx context.Context, rc *RequestContext, req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse
	LeaveGroup(ctx context.Context, rc *RequestContext, req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse
	OffsetCommit(ctx context.Context, rc *RequestContext, req *kmsg.OffsetCommitRequest) *kmsg.OffsetCommitResponse
	OffsetFetch(ctx context.Context, rc *RequestContext, req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse
	ListGroups(ctx context.Context, rc *RequestContext, req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse
	DescribeGroups(ctx context.Context, rc *RequestContext, req *kmsg.DescribeGroupsRequest) *kmsg.DescribeGroupsResponse
	DeleteGroups(ctx context.Context, rc *RequestContext, req *kmsg.DeleteGroupsRequest) *kmsg.DeleteGroupsResponse
	OffsetDelete(ctx context.Context, rc *RequestContext, req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse
}
