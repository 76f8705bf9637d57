package protocol

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func electRequest(v int16, electionType int8, topic string, parts ...int32) *kmsg.ElectLeadersRequest {
	req := kmsg.NewPtrElectLeadersRequest()
	req.SetVersion(v)
	req.ElectionType = electionType
	if topic != "" {
		rt := kmsg.NewElectLeadersRequestTopic()
		rt.Topic, rt.Partitions = topic, parts
		req.Topics = append(req.Topics, rt)
	}
	return req
}

func TestElectLeadersVersionsAndFill(t *testing.T) {
	ts := startServer(t, nil)
	var seenType []int8
	var seenNil []bool
	ts.svc.elect = func(req *kmsg.ElectLeadersRequest) *kmsg.ElectLeadersResponse {
		seenType = append(seenType, req.ElectionType)
		seenNil = append(seenNil, req.Topics == nil)
		resp := req.ResponseKind().(*kmsg.ElectLeadersResponse)
		if req.Topics == nil {
			return resp
		}
		// Answer only the first partition; the handler must fill in the rest.
		rt := kmsg.NewElectLeadersResponseTopic()
		rt.Topic = req.Topics[0].Topic
		rp := kmsg.NewElectLeadersResponseTopicPartition()
		rp.Partition, rp.ErrorCode = req.Topics[0].Partitions[0], kerr.ElectionNotNeeded.Code
		rt.Partitions = append(rt.Partitions, rp)
		resp.Topics = append(resp.Topics, rt)
		return resp
	}
	c := dialClient(t, ts.addr)
	for v := int16(0); v <= 2; v++ {
		// v0 has no election type on the wire, so even 1 must reach the service as 0.
		kresp, err := c.RequestExact(ctx5s(t), electRequest(v, 1, "t", 0, 1))
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		r := kresp.(*kmsg.ElectLeadersResponse)
		if r.Version != v || len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 2 {
			t.Fatalf("v%d response: %+v", v, r)
		}
		ps := r.Topics[0].Partitions
		if ps[0].Partition != 0 || ps[0].ErrorCode != kerr.ElectionNotNeeded.Code ||
			ps[1].Partition != 1 || ps[1].ErrorCode != kerr.UnknownServerError.Code {
			t.Errorf("v%d partitions: %+v", v, ps)
		}
	}
	if len(seenType) != 3 || seenType[0] != 0 || seenType[1] != 1 || seenType[2] != 1 {
		t.Errorf("election types seen by the service: %v, want [0 1 1]", seenType)
	}

	// All partitions (null topics): nothing to fill in.
	kresp, err := c.RequestExact(ctx5s(t), electRequest(2, 0, ""))
	if err != nil {
		t.Fatal(err)
	}
	if r := kresp.(*kmsg.ElectLeadersResponse); len(r.Topics) != 0 || !seenNil[len(seenNil)-1] {
		t.Errorf("all-partitions election: %+v (service saw nil topics: %v)", r, seenNil)
	}
}

func TestElectLeadersNotController(t *testing.T) {
	ts := startServer(t, nil)
	ts.svc.elect = func(req *kmsg.ElectLeadersRequest) *kmsg.ElectLeadersResponse {
		resp := req.ResponseKind().(*kmsg.ElectLeadersResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewElectLeadersResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewElectLeadersResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p, kerr.NotController.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	}
	c := dialClient(t, ts.addr)
	kresp, err := c.RequestExact(ctx5s(t), electRequest(1, 0, "t", 3))
	if err != nil {
		t.Fatal(err)
	}
	r := kresp.(*kmsg.ElectLeadersResponse)
	if r.ErrorCode != 0 || len(r.Topics) != 1 || r.Topics[0].Partitions[0].ErrorCode != kerr.NotController.Code {
		t.Errorf("NOT_CONTROLLER is per partition in ElectLeaders: %+v", r)
	}
}

func TestAlterPartitionReassignmentsShape(t *testing.T) {
	ts := startServer(t, nil)
	var cancelSeen bool
	notController := false
	ts.svc.alterReasg = func(req *kmsg.AlterPartitionAssignmentsRequest) *kmsg.AlterPartitionAssignmentsResponse {
		resp := req.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
		if notController {
			resp.ErrorCode = kerr.NotController.Code
			// A sloppy service might still list partitions; the handler must drop them.
			resp.Topics = append(resp.Topics, kmsg.NewAlterPartitionAssignmentsResponseTopic())
			return resp
		}
		cancelSeen = req.Topics[0].Partitions[1].Replicas == nil
		rt := kmsg.NewAlterPartitionAssignmentsResponseTopic()
		rt.Topic = "t"
		rp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
		rp.Partition = 0
		rt.Partitions = append(rt.Partitions, rp)
		resp.Topics = append(resp.Topics, rt)
		return resp
	}
	req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	rt := kmsg.NewAlterPartitionAssignmentsRequestTopic()
	rt.Topic = "t"
	p0 := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
	p0.Partition, p0.Replicas = 0, []int32{1, 2}
	p1 := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
	p1.Partition = 1 // null replicas: cancel
	rt.Partitions = append(rt.Partitions, p0, p1)
	req.Topics = append(req.Topics, rt)

	c := dialClient(t, ts.addr)
	kresp, err := c.RequestExact(ctx5s(t), req)
	if err != nil {
		t.Fatal(err)
	}
	r := kresp.(*kmsg.AlterPartitionAssignmentsResponse)
	if !cancelSeen {
		t.Error("null replicas did not reach the service as nil")
	}
	if r.ErrorCode != 0 || len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 2 ||
		r.Topics[0].Partitions[0].ErrorCode != 0 || r.Topics[0].Partitions[1].ErrorCode != kerr.UnknownServerError.Code {
		t.Errorf("fill-in: %+v", r)
	}

	notController = true
	kresp, err = c.RequestExact(ctx5s(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if r := kresp.(*kmsg.AlterPartitionAssignmentsResponse); r.ErrorCode != kerr.NotController.Code || len(r.Topics) != 0 {
		t.Errorf("NOT_CONTROLLER must be top level with no topics: %+v", r)
	}
}

func TestListPartitionReassignmentsShape(t *testing.T) {
	ts := startServer(t, nil)
	notController := true
	ts.svc.listReasg = func(req *kmsg.ListPartitionReassignmentsRequest) *kmsg.ListPartitionReassignmentsResponse {
		resp := req.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
		if notController {
			resp.ErrorCode, resp.ErrorMessage = kerr.NotController.Code, kmsg.StringPtr("not the controller")
			return resp
		}
		rt := kmsg.NewListPartitionReassignmentsResponseTopic()
		rt.Topic = "t"
		rp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
		rp.Partition, rp.Replicas, rp.AddingReplicas, rp.RemovingReplicas = 0, []int32{1, 0}, []int32{1}, []int32{0}
		rt.Partitions = append(rt.Partitions, rp)
		resp.Topics = append(resp.Topics, rt)
		return resp
	}
	c := dialClient(t, ts.addr)
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	kresp, err := c.RequestExact(ctx5s(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if r := kresp.(*kmsg.ListPartitionReassignmentsResponse); r.ErrorCode != kerr.NotController.Code || len(r.Topics) != 0 {
		t.Errorf("NOT_CONTROLLER: %+v", r)
	}
	notController = false
	kresp, err = c.RequestExact(ctx5s(t), req)
	if err != nil {
		t.Fatal(err)
	}
	r := kresp.(*kmsg.ListPartitionReassignmentsResponse)
	if r.ErrorCode != 0 || len(r.Topics) != 1 || r.Topics[0].Partitions[0].AddingReplicas[0] != 1 ||
		r.Topics[0].Partitions[0].RemovingReplicas[0] != 0 {
		t.Errorf("listing: %+v", r)
	}

	// A service that answers nothing is an UNKNOWN_SERVER_ERROR, not an empty success.
	svc := &nilServices{newFakeServices()}
	svc.listReasg = func(*kmsg.ListPartitionReassignmentsRequest) *kmsg.ListPartitionReassignmentsResponse { return nil }
	kresp, _ = handleListPartitionReassignments(ctx5s(t), svc, &RequestContext{}, req)
	if r := kresp.(*kmsg.ListPartitionReassignmentsResponse); r.ErrorCode != kerr.UnknownServerError.Code {
		t.Errorf("nil service answer: %+v", r)
	}
}
