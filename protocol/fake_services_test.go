package protocol

import (
	"context"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// fakeServices is a tiny in-memory broker: one node, topics with partitions that accept
// produces into memory. Hooks override single APIs per test.
type fakeServices struct {
	mu       sync.Mutex
	addr     func() (string, int32) // advertised host/port of node 0
	topics   map[string]int32       // topic -> partition count
	produced map[tpKey][][]byte     // copies of every produced batch
	calls    []*RequestContext

	metadata   func(*kmsg.MetadataRequest) *kmsg.MetadataResponse
	produce    func(*kmsg.ProduceRequest) *kmsg.ProduceResponse
	heartbeat  func(ctx context.Context) *kmsg.HeartbeatResponse
	joinGroup  func(*kmsg.JoinGroupRequest) *kmsg.JoinGroupResponse
	listOffset func(*kmsg.ListOffsetsRequest) *kmsg.ListOffsetsResponse
	shutdown   func(*RequestContext, *kmsg.ControlledShutdownRequest) *kmsg.ControlledShutdownResponse
	fetch      func(*RequestContext, *kmsg.FetchRequest) *kmsg.FetchResponse
	elect      func(*kmsg.ElectLeadersRequest) *kmsg.ElectLeadersResponse
	alterReasg func(*kmsg.AlterPartitionAssignmentsRequest) *kmsg.AlterPartitionAssignmentsResponse
	listReasg  func(*kmsg.ListPartitionReassignmentsRequest) *kmsg.ListPartitionReassignmentsResponse
}

var _ Services = (*fakeServices)(nil)

func newFakeServices() *fakeServices {
	return &fakeServices{topics: map[string]int32{}, produced: map[tpKey][][]byte{}}
}

func (f *fakeServices) record(rc *RequestContext) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cp := *rc
	f.calls = append(f.calls, &cp)
}

func (f *fakeServices) lastCall() *RequestContext {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return nil
	}
	return f.calls[len(f.calls)-1]
}

func (f *fakeServices) Metadata(_ context.Context, rc *RequestContext, req *kmsg.MetadataRequest) *kmsg.MetadataResponse {
	f.record(rc)
	if f.metadata != nil {
		return f.metadata(req)
	}
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	b := kmsg.NewMetadataResponseBroker()
	b.NodeID = 0
	if f.addr != nil {
		b.Host, b.Port = f.addr()
	}
	resp.Brokers = append(resp.Brokers, b)
	resp.ControllerID = 0
	resp.ClusterID = strPtr("fake-cluster")
	f.mu.Lock()
	defer f.mu.Unlock()
	names := []string{}
	if req.Topics == nil {
		for t := range f.topics {
			names = append(names, t)
		}
	}
	for _, t := range req.Topics {
		names = append(names, *t.Topic)
	}
	for _, name := range names {
		rt := kmsg.NewMetadataResponseTopic()
		rt.Topic = strPtr(name)
		n, ok := f.topics[name]
		if !ok {
			rt.ErrorCode = 3
		}
		for p := int32(0); p < n; p++ {
			rp := kmsg.NewMetadataResponseTopicPartition()
			rp.Partition, rp.Leader, rp.LeaderEpoch = p, 0, 0
			rp.Replicas, rp.ISR = []int32{0}, []int32{0}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func (f *fakeServices) Produce(_ context.Context, rc *RequestContext, req *kmsg.ProduceRequest) *kmsg.ProduceResponse {
	f.record(rc)
	if f.produce != nil {
		return f.produce(req)
	}
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range req.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition = p.Partition
			k := tpKey{t.Topic, p.Partition}
			if n, ok := f.topics[t.Topic]; !ok || p.Partition >= n {
				rp.ErrorCode = 3
			} else {
				rp.BaseOffset = int64(len(f.produced[k]))
				f.produced[k] = append(f.produced[k], append([]byte(nil), p.Records...))
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if req.Acks == 0 {
		return nil
	}
	return resp
}

func (f *fakeServices) producedCount(topic string, part int32) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.produced[tpKey{topic, part}])
}

func (f *fakeServices) Fetch(_ context.Context, rc *RequestContext, req *kmsg.FetchRequest) *kmsg.FetchResponse {
	f.record(rc)
	if f.fetch != nil {
		return f.fetch(rc, req)
	}
	return req.ResponseKind().(*kmsg.FetchResponse)
}

func (f *fakeServices) ListOffsets(_ context.Context, rc *RequestContext, req *kmsg.ListOffsetsRequest) *kmsg.ListOffsetsResponse {
	f.record(rc)
	if f.listOffset != nil {
		return f.listOffset(req)
	}
	return req.ResponseKind().(*kmsg.ListOffsetsResponse)
}

func (f *fakeServices) InitProducerID(_ context.Context, rc *RequestContext, req *kmsg.InitProducerIDRequest) *kmsg.InitProducerIDResponse {
	f.record(rc)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = 1000, 0
	return resp
}

func (f *fakeServices) CreateTopics(_ context.Context, rc *RequestContext, req *kmsg.CreateTopicsRequest) *kmsg.CreateTopicsResponse {
	f.record(rc)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range req.Topics {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = t.Topic
		if _, ok := f.topics[t.Topic]; ok {
			rt.ErrorCode = 36 // TOPIC_ALREADY_EXISTS
		} else {
			f.topics[t.Topic] = t.NumPartitions
			rt.NumPartitions, rt.ReplicationFactor = t.NumPartitions, 1
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func (f *fakeServices) DeleteTopics(_ context.Context, rc *RequestContext, req *kmsg.DeleteTopicsRequest) *kmsg.DeleteTopicsResponse {
	f.record(rc)
	return nil // everything filled in by the handler
}

func (f *fakeServices) CreatePartitions(_ context.Context, rc *RequestContext, req *kmsg.CreatePartitionsRequest) *kmsg.CreatePartitionsResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.CreatePartitionsResponse)
}

func (f *fakeServices) DescribeConfigs(_ context.Context, rc *RequestContext, req *kmsg.DescribeConfigsRequest) *kmsg.DescribeConfigsResponse {
	f.record(rc)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, r := range req.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name, c.Value, c.Source = "cleanup.policy", strPtr("delete"), kmsg.ConfigSourceDefaultConfig
		rr.Configs = append(rr.Configs, c)
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func (f *fakeServices) AlterConfigs(_ context.Context, rc *RequestContext, req *kmsg.AlterConfigsRequest) *kmsg.AlterConfigsResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.AlterConfigsResponse)
}

func (f *fakeServices) IncrementalAlterConfigs(_ context.Context, rc *RequestContext, req *kmsg.IncrementalAlterConfigsRequest) *kmsg.IncrementalAlterConfigsResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
}

func (f *fakeServices) DeleteRecords(_ context.Context, rc *RequestContext, req *kmsg.DeleteRecordsRequest) *kmsg.DeleteRecordsResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.DeleteRecordsResponse)
}

func (f *fakeServices) DescribeCluster(_ context.Context, rc *RequestContext, req *kmsg.DescribeClusterRequest) *kmsg.DescribeClusterResponse {
	f.record(rc)
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.ClusterID, resp.ControllerID = "fake-cluster", 0
	return resp
}

func (f *fakeServices) DescribeLogDirs(_ context.Context, rc *RequestContext, req *kmsg.DescribeLogDirsRequest) *kmsg.DescribeLogDirsResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
}

func (f *fakeServices) OffsetForLeaderEpoch(_ context.Context, rc *RequestContext, req *kmsg.OffsetForLeaderEpochRequest) *kmsg.OffsetForLeaderEpochResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
}

func (f *fakeServices) LeaderAndIsr(_ context.Context, rc *RequestContext, req *kmsg.LeaderAndISRRequest) *kmsg.LeaderAndISRResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.LeaderAndISRResponse)
}

func (f *fakeServices) UpdateMetadata(_ context.Context, rc *RequestContext, req *kmsg.UpdateMetadataRequest) *kmsg.UpdateMetadataResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.UpdateMetadataResponse)
}

func (f *fakeServices) StopReplica(_ context.Context, rc *RequestContext, req *kmsg.StopReplicaRequest) *kmsg.StopReplicaResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.StopReplicaResponse)
}

func (f *fakeServices) ControlledShutdown(_ context.Context, rc *RequestContext, req *kmsg.ControlledShutdownRequest) *kmsg.ControlledShutdownResponse {
	f.record(rc)
	if f.shutdown != nil {
		return f.shutdown(rc, req)
	}
	return req.ResponseKind().(*kmsg.ControlledShutdownResponse)
}

func (f *fakeServices) FindCoordinator(_ context.Context, rc *RequestContext, req *kmsg.FindCoordinatorRequest) *kmsg.FindCoordinatorResponse {
	f.record(rc)
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	resp.NodeID = 0
	if f.addr != nil {
		resp.Host, resp.Port = f.addr()
	}
	return resp
}

func (f *fakeServices) JoinGroup(_ context.Context, rc *RequestContext, req *kmsg.JoinGroupRequest) *kmsg.JoinGroupResponse {
	f.record(rc)
	if f.joinGroup != nil {
		return f.joinGroup(req)
	}
	return req.ResponseKind().(*kmsg.JoinGroupResponse)
}

func (f *fakeServices) SyncGroup(_ context.Context, rc *RequestContext, req *kmsg.SyncGroupRequest) *kmsg.SyncGroupResponse {
	f.record(rc)
	return nil
}

func (f *fakeServices) Heartbeat(ctx context.Context, rc *RequestContext, req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	f.record(rc)
	if f.heartbeat != nil {
		return f.heartbeat(ctx)
	}
	return req.ResponseKind().(*kmsg.HeartbeatResponse)
}

func (f *fakeServices) LeaveGroup(_ context.Context, rc *RequestContext, req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.LeaveGroupResponse)
}

func (f *fakeServices) OffsetCommit(_ context.Context, rc *RequestContext, req *kmsg.OffsetCommitRequest) *kmsg.OffsetCommitResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.OffsetCommitResponse)
}

func (f *fakeServices) OffsetFetch(_ context.Context, rc *RequestContext, req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.OffsetFetchResponse)
}

func (f *fakeServices) ListGroups(_ context.Context, rc *RequestContext, req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.ListGroupsResponse)
}

func (f *fakeServices) DescribeGroups(_ context.Context, rc *RequestContext, req *kmsg.DescribeGroupsRequest) *kmsg.DescribeGroupsResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.DescribeGroupsResponse)
}

func (f *fakeServices) DeleteGroups(_ context.Context, rc *RequestContext, req *kmsg.DeleteGroupsRequest) *kmsg.DeleteGroupsResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.DeleteGroupsResponse)
}

func (f *fakeServices) OffsetDelete(_ context.Context, rc *RequestContext, req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	f.record(rc)
	return req.ResponseKind().(*kmsg.OffsetDeleteResponse)
}

func (f *fakeServices) ElectLeaders(_ context.Context, rc *RequestContext, req *kmsg.ElectLeadersRequest) *kmsg.ElectLeadersResponse {
	f.record(rc)
	if f.elect != nil {
		return f.elect(req)
	}
	return req.ResponseKind().(*kmsg.ElectLeadersResponse)
}

func (f *fakeServices) AlterPartitionReassignments(_ context.Context, rc *RequestContext, req *kmsg.AlterPartitionAssignmentsRequest) *kmsg.AlterPartitionAssignmentsResponse {
	f.record(rc)
	if f.alterReasg != nil {
		return f.alterReasg(req)
	}
	return req.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
}

func (f *fakeServices) ListPartitionReassignments(_ context.Context, rc *RequestContext, req *kmsg.ListPartitionReassignmentsRequest) *kmsg.ListPartitionReassignmentsResponse {
	f.record(rc)
	if f.listReasg != nil {
		return f.listReasg(req)
	}
	return req.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
}
