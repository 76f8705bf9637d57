package protocol

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// These drive handlers over the wire with our own Client, so encoding at every version is
// exercised along with the fill-in logic.

func TestProduceValidationAndFillIn(t *testing.T) {
	ts := startServer(t, nil)
	ts.svc.topics["t"] = 3
	var seen *kmsg.ProduceRequest
	ts.svc.produce = func(req *kmsg.ProduceRequest) *kmsg.ProduceResponse {
		seen = req
		// Answer only partition 0, forgetting partition 1.
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = "t"
		rp := kmsg.NewProduceResponseTopicPartition()
		rp.BaseOffset = 42
		rt.Partitions = append(rt.Partitions, rp)
		resp.Topics = append(resp.Topics, rt)
		return resp
	}
	c := dialClient(t, ts.addr)
	req := kmsg.NewPtrProduceRequest()
	req.Acks = -1
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "t"
	for p, recs := range [][]byte{oneBatch(0), oneBatch(0), oneBatch(0)[:20]} {
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition, rp.Records = int32(p), recs
		rt.Partitions = append(rt.Partitions, rp)
	}
	empty := kmsg.NewProduceRequestTopic()
	ep := kmsg.NewProduceRequestTopicPartition()
	ep.Records = oneBatch(0)
	empty.Partitions = append(empty.Partitions, ep)
	req.Topics = append(req.Topics, rt, empty)

	kresp, err := c.Request(ctx5s(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if req.Version != 9 {
		t.Errorf("Client sent v%d, want our max 9", req.Version)
	}
	if seen == nil || len(seen.Topics) != 1 || len(seen.Topics[0].Partitions) != 2 {
		t.Fatalf("service saw %+v, want only t-0 and t-1", seen)
	}
	got := map[tpKey]kmsg.ProduceResponseTopicPartition{}
	for _, rt := range kresp.(*kmsg.ProduceResponse).Topics {
		for _, rp := range rt.Partitions {
			got[tpKey{rt.Topic, rp.Partition}] = rp
		}
	}
	want := map[tpKey]int16{
		{"t", 0}: 0,
		{"t", 1}: kerr.UnknownServerError.Code,
		{"t", 2}: kerr.CorruptMessage.Code,
		{"", 0}:  kerr.UnknownTopicOrPartition.Code,
	}
	if len(got) != len(want) {
		t.Errorf("got %d partitions, want %d: %+v", len(got), len(want), got)
	}
	for k, code := range want {
		if got[k].ErrorCode != code {
			t.Errorf("%v: error %d, want %d", k, got[k].ErrorCode, code)
		}
	}
	if got[tpKey{"t", 0}].BaseOffset != 42 {
		t.Errorf("service answer lost: %+v", got[tpKey{"t", 0}])
	}
	if m := got[tpKey{"t", 2}].ErrorMessage; m == nil || *m == "" {
		t.Error("v8+ rejection has no ErrorMessage")
	}
}

func TestProduceInvalidAcks(t *testing.T) {
	ts := startServer(t, nil)
	ts.svc.topics["t"] = 1
	c := dialClient(t, ts.addr)
	req := kmsg.NewPtrProduceRequest()
	req.Acks = 2
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = oneBatch(0)
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	kresp, err := c.Request(ctx5s(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if code := kresp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode; code != kerr.InvalidRequiredAcks.Code {
		t.Errorf("error %d, want INVALID_REQUIRED_ACKS", code)
	}
	if ts.svc.producedCount("t", 0) != 0 {
		t.Error("service was called for an invalid acks value")
	}
}

func TestControlledShutdownV0HeaderHasNoClientID(t *testing.T) {
	ts := startServer(t, nil)
	ts.svc.shutdown = func(rc *RequestContext, req *kmsg.ControlledShutdownRequest) *kmsg.ControlledShutdownResponse {
		resp := req.ResponseKind().(*kmsg.ControlledShutdownResponse)
		p := kmsg.NewControlledShutdownResponsePartitionsRemaining()
		p.Topic, p.Partition = "t", req.BrokerID
		resp.PartitionsRemaining = append(resp.PartitionsRemaining, p)
		return resp
	}
	c := dialClient(t, ts.addr)
	for _, v := range []int16{0, 1, 3} {
		req := kmsg.NewPtrControlledShutdownRequest()
		req.SetVersion(v)
		req.BrokerID = 7
		kresp, err := c.RequestExact(ctx5s(t), req)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		resp := kresp.(*kmsg.ControlledShutdownResponse)
		if len(resp.PartitionsRemaining) != 1 || resp.PartitionsRemaining[0].Partition != 7 {
			t.Errorf("v%d: %+v", v, resp)
		}
		rc := ts.svc.lastCall()
		wantID := "test-client"
		if v == 0 {
			wantID = ""
		}
		if rc.ClientID != wantID || rc.APIVersion != v {
			t.Errorf("v%d: request context %+v", v, rc)
		}
	}
}

func TestMetadataVersionFixups(t *testing.T) {
	ts := startServer(t, nil)
	ts.svc.topics["a"] = 1
	var seen []*kmsg.MetadataRequest
	ts.svc.metadata = func(req *kmsg.MetadataRequest) *kmsg.MetadataResponse {
		cp := *req
		seen = append(seen, &cp)
		return nil // handler must still answer every topic
	}
	c := dialClient(t, ts.addr)

	v0 := kmsg.NewPtrMetadataRequest() // empty list at v0 = all topics
	if _, err := c.RequestExact(ctx5s(t), v0); err != nil {
		t.Fatal(err)
	}
	none := kmsg.NewPtrMetadataRequest() // empty non-null list at v1+ = no topics
	none.SetVersion(4)
	none.Topics = []kmsg.MetadataRequestTopic{}
	if _, err := c.RequestExact(ctx5s(t), none); err != nil {
		t.Fatal(err)
	}
	named := kmsg.NewPtrMetadataRequest()
	named.SetVersion(11)
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr("a")
	named.Topics = append(named.Topics, rt)
	kresp, err := c.RequestExact(ctx5s(t), named)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 {
		t.Fatalf("service called %d times", len(seen))
	}
	if seen[0].Topics != nil || !seen[0].AllowAutoTopicCreation {
		t.Errorf("v0: topics %v auto-create %v, want nil/true", seen[0].Topics, seen[0].AllowAutoTopicCreation)
	}
	if seen[1].Topics == nil || seen[1].AllowAutoTopicCreation {
		t.Errorf("v4 empty: topics %v auto-create %v, want empty/false", seen[1].Topics, seen[1].AllowAutoTopicCreation)
	}
	resp := kresp.(*kmsg.MetadataResponse)
	if len(resp.Topics) != 1 || *resp.Topics[0].Topic != "a" || resp.Topics[0].ErrorCode != kerr.UnknownServerError.Code {
		t.Errorf("fill-in: %+v", resp.Topics)
	}

	// Topic ids are not accepted in 2.8.
	byID := kmsg.NewPtrMetadataRequest()
	byID.SetVersion(10)
	idt := kmsg.NewMetadataRequestTopic()
	idt.TopicID = [16]byte{1}
	byID.Topics = append(byID.Topics, idt)
	kresp, err = c.RequestExact(ctx5s(t), byID)
	if err != nil {
		t.Fatal(err)
	}
	if r := kresp.(*kmsg.MetadataResponse); len(r.Topics) != 1 || r.Topics[0].ErrorCode != kerr.InvalidRequest.Code {
		t.Errorf("topic id request: %+v", r.Topics)
	}
	if len(seen) != 3 {
		t.Error("service called for a topic-id metadata request")
	}
}

func TestJoinGroupMetadataNotClobberedByBufferReuse(t *testing.T) {
	ts := startServer(t, nil)
	var kept []byte
	ts.svc.joinGroup = func(req *kmsg.JoinGroupRequest) *kmsg.JoinGroupResponse {
		kept = req.Protocols[0].Metadata // a coordinator keeps this without copying
		resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
		resp.Generation = 1
		if req.RebalanceTimeoutMillis != req.SessionTimeoutMillis && req.Version == 0 {
			resp.ErrorCode = kerr.InvalidRequest.Code
		}
		return resp
	}
	c := dialClient(t, ts.addr)
	jg := kmsg.NewPtrJoinGroupRequest()
	jg.SetVersion(0)
	jg.Group, jg.SessionTimeoutMillis, jg.ProtocolType = "g", 10000, "consumer"
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name, p.Metadata = "range", bytes.Repeat([]byte{0xAB}, 64)
	jg.Protocols = append(jg.Protocols, p)
	kresp, err := c.RequestExact(ctx5s(t), jg)
	if err != nil {
		t.Fatal(err)
	}
	if kresp.(*kmsg.JoinGroupResponse).ErrorCode != 0 {
		t.Error("v0 rebalance timeout not defaulted to the session timeout")
	}
	// A same-sized request would land in a reused buffer.
	md := kmsg.NewPtrMetadataRequest()
	md.SetVersion(1)
	for i := 0; i < 10; i++ {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr("zzzzzzzz")
		md.Topics = append(md.Topics, rt)
	}
	if _, err := c.RequestExact(ctx5s(t), md); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kept, bytes.Repeat([]byte{0xAB}, 64)) {
		t.Fatalf("kept JoinGroup metadata was overwritten: % x", kept)
	}
}

func TestGroupAndAdminFillIns(t *testing.T) {
	ts := startServer(t, nil)
	c := dialClient(t, ts.addr)
	ctx := ctx5s(t)

	sg := kmsg.NewPtrSyncGroupRequest() // service returns nil
	kresp, err := c.Request(ctx, sg)
	if err != nil {
		t.Fatal(err)
	}
	if r := kresp.(*kmsg.SyncGroupResponse); r.ErrorCode != kerr.UnknownServerError.Code {
		t.Errorf("SyncGroup nil fill: %+v", r)
	}

	dt := kmsg.NewPtrDeleteTopicsRequest() // service returns nil
	dt.SetVersion(3)
	dt.TopicNames = []string{"x", "y"}
	kresp, err = c.RequestExact(ctx, dt)
	if err != nil {
		t.Fatal(err)
	}
	if r := kresp.(*kmsg.DeleteTopicsResponse); len(r.Topics) != 2 || *r.Topics[1].Topic != "y" || r.Topics[1].ErrorCode != -1 {
		t.Errorf("DeleteTopics fill: %+v", r.Topics)
	}

	ct := kmsg.NewPtrCreateTopicsRequest()
	for _, name := range []string{"dup", "ok", "dup"} {
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic, t.NumPartitions, t.ReplicationFactor = name, 1, 1
		ct.Topics = append(ct.Topics, t)
	}
	kresp, err = c.Request(ctx, ct)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string][]int16{}
	for _, rt := range kresp.(*kmsg.CreateTopicsResponse).Topics {
		codes[rt.Topic] = append(codes[rt.Topic], rt.ErrorCode)
	}
	if len(codes["dup"]) != 2 || codes["dup"][0] != kerr.InvalidRequest.Code || len(codes["ok"]) != 1 || codes["ok"][0] != 0 {
		t.Errorf("CreateTopics duplicates: %v", codes)
	}

	dc := kmsg.NewPtrDescribeConfigsRequest()
	dc.SetVersion(0)
	for _, typ := range []kmsg.ConfigResourceType{kmsg.ConfigResourceTypeTopic, kmsg.ConfigResourceType(9)} {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType, r.ResourceName = typ, "t"
		dc.Resources = append(dc.Resources, r)
	}
	kresp, err = c.RequestExact(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	res := kresp.(*kmsg.DescribeConfigsResponse).Resources
	if len(res) != 2 || res[0].ErrorCode != 0 || !res[0].Configs[0].IsDefault || res[1].ErrorCode != kerr.InvalidRequest.Code {
		t.Errorf("DescribeConfigs v0: %+v", res)
	}

	iac := kmsg.NewPtrIncrementalAlterConfigsRequest()
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, "t"
	for i := 0; i < 2; i++ {
		cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		cfg.Name, cfg.Value = "retention.ms", kmsg.StringPtr("1")
		r.Configs = append(r.Configs, cfg)
	}
	iac.Resources = append(iac.Resources, r)
	kresp, err = c.Request(ctx, iac)
	if err != nil {
		t.Fatal(err)
	}
	if rr := kresp.(*kmsg.IncrementalAlterConfigsResponse).Resources; len(rr) != 1 || rr[0].ErrorCode != kerr.InvalidRequest.Code ||
		rr[0].ErrorMessage == nil || *rr[0].ErrorMessage != "Error due to duplicate config keys" {
		t.Errorf("IncrementalAlterConfigs duplicate keys: %+v", rr)
	}

	ip := kmsg.NewPtrInitProducerIDRequest()
	ip.TransactionalID = kmsg.StringPtr("")
	kresp, err = c.Request(ctx, ip)
	if err != nil {
		t.Fatal(err)
	}
	if r := kresp.(*kmsg.InitProducerIDResponse); r.ErrorCode != kerr.InvalidRequest.Code || r.ProducerID != -1 {
		t.Errorf("InitProducerId empty txn id: %+v", r)
	}

	lg := kmsg.NewPtrLeaveGroupRequest()
	lg.SetVersion(4)
	for _, id := range []string{"m1", "m2"} {
		m := kmsg.NewLeaveGroupRequestMember()
		m.MemberID = id
		lg.Members = append(lg.Members, m)
	}
	kresp, err = c.RequestExact(ctx, lg)
	if err != nil {
		t.Fatal(err)
	}
	if r := kresp.(*kmsg.LeaveGroupResponse); len(r.Members) != 2 || r.Members[0].ErrorCode != -1 {
		t.Errorf("LeaveGroup fill: %+v", r.Members)
	}

	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorType = 5
	kresp, err = c.Request(ctx, fc)
	if err != nil {
		t.Fatal(err)
	}
	if r := kresp.(*kmsg.FindCoordinatorResponse); r.ErrorCode != kerr.InvalidRequest.Code || r.NodeID != -1 || r.Port != -1 {
		t.Errorf("FindCoordinator bad type: %+v", r)
	}
}

func TestListOffsetsDuplicatesAndFill(t *testing.T) {
	ts := startServer(t, nil)
	var seen int
	ts.svc.listOffset = func(req *kmsg.ListOffsetsRequest) *kmsg.ListOffsetsResponse {
		for _, t := range req.Topics {
			seen += len(t.Partitions)
		}
		return nil
	}
	c := dialClient(t, ts.addr)
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = "t"
	for _, p := range []int32{0, 1, 0} {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = p, -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	kresp, err := c.Request(ctx5s(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if seen != 1 {
		t.Errorf("service saw %d partitions, want 1", seen)
	}
	var codes []int16
	for _, p := range kresp.(*kmsg.ListOffsetsResponse).Topics[0].Partitions {
		codes = append(codes, p.ErrorCode)
	}
	want := []int16{kerr.InvalidRequest.Code, kerr.InvalidRequest.Code, kerr.UnknownServerError.Code}
	if len(codes) != 3 || codes[0] != want[0] || codes[1] != want[1] || codes[2] != want[2] {
		t.Errorf("codes = %v, want %v", codes, want)
	}
}

func TestEveryHandlerAtEveryVersion(t *testing.T) {
	// A default request of every registered key at every version must get a decodable answer
	// of the same version on a live connection.
	ts := startServer(t, nil)
	c := dialClient(t, ts.addr)
	for _, api := range SupportedAPIs() {
		for v := api.MinVersion; v <= api.MaxVersion; v++ {
			req := kmsg.RequestForKey(api.ApiKey)
			req.SetVersion(v)
			if av, ok := req.(*kmsg.ApiVersionsRequest); ok {
				av.ClientSoftwareName, av.ClientSoftwareVersion = "a", "1"
			}
			if p, ok := req.(*kmsg.ProduceRequest); ok {
				p.Acks = 1
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			kresp, err := c.RequestExact(ctx, req)
			cancel()
			if err != nil {
				t.Fatalf("%s v%d: %v", kmsg.NameForKey(api.ApiKey), v, err)
			}
			if kresp.GetVersion() != v {
				t.Errorf("%s v%d answered at v%d", kmsg.NameForKey(api.ApiKey), v, kresp.GetVersion())
			}
		}
	}
}

// nilServices answers nothing at all, so every handler's fill-in is on show.
type nilServices struct{ *fakeServices }

func (*nilServices) LeaderAndIsr(context.Context, *RequestContext, *kmsg.LeaderAndISRRequest) *kmsg.LeaderAndISRResponse {
	return nil
}

func (*nilServices) StopReplica(context.Context, *RequestContext, *kmsg.StopReplicaRequest) *kmsg.StopReplicaResponse {
	return nil
}

func (*nilServices) OffsetFetch(_ context.Context, _ *RequestContext, req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	resp.ErrorCode = kerr.CoordinatorLoadInProgress.Code
	return resp
}

func TestControllerAndOffsetFetchFillIns(t *testing.T) {
	svc := &nilServices{newFakeServices()}
	rc := &RequestContext{}
	ctx := context.Background()

	lai := kmsg.NewPtrLeaderAndISRRequest()
	lai.SetVersion(5)
	ts := kmsg.NewLeaderAndISRRequestTopicState()
	ts.Topic, ts.TopicID = "t", [16]byte{9}
	for p := int32(0); p < 2; p++ {
		ps := kmsg.NewLeaderAndISRRequestTopicPartition()
		ps.Partition = p
		ts.PartitionStates = append(ts.PartitionStates, ps)
	}
	lai.TopicStates = append(lai.TopicStates, ts)
	kresp, err := handleLeaderAndIsr(ctx, svc, rc, lai)
	if err != nil {
		t.Fatal(err)
	}
	r := kresp.(*kmsg.LeaderAndISRResponse)
	if r.ErrorCode != -1 || len(r.Topics) != 1 || r.Topics[0].TopicID != ts.TopicID || len(r.Topics[0].Partitions) != 2 ||
		r.Topics[0].Partitions[1].ErrorCode != -1 {
		t.Errorf("LeaderAndIsr v5 fill: %+v", r)
	}
	lai.SetVersion(4)
	kresp, _ = handleLeaderAndIsr(ctx, svc, rc, lai)
	if r := kresp.(*kmsg.LeaderAndISRResponse); len(r.Partitions) != 2 || r.Partitions[0].Topic != "t" {
		t.Errorf("LeaderAndIsr v4 fill: %+v", r)
	}

	sr := kmsg.NewPtrStopReplicaRequest()
	sr.SetVersion(3)
	st := kmsg.NewStopReplicaRequestTopic()
	st.Topic = "t"
	ps := kmsg.NewStopReplicaRequestTopicPartitionState()
	ps.Partition = 4
	st.PartitionStates = append(st.PartitionStates, ps)
	sr.Topics = append(sr.Topics, st)
	kresp, _ = handleStopReplica(ctx, svc, rc, sr)
	if r := kresp.(*kmsg.StopReplicaResponse); len(r.Partitions) != 1 || r.Partitions[0].Partition != 4 || r.Partitions[0].ErrorCode != -1 {
		t.Errorf("StopReplica v3 fill: %+v", r)
	}

	of := kmsg.NewPtrOffsetFetchRequest()
	of.SetVersion(1)
	ot := kmsg.NewOffsetFetchRequestTopic()
	ot.Topic, ot.Partitions = "t", []int32{0, 1}
	of.Topics = append(of.Topics, ot)
	kresp, _ = handleOffsetFetch(ctx, svc, rc, of)
	ofr := kresp.(*kmsg.OffsetFetchResponse)
	if len(ofr.Topics) != 1 || len(ofr.Topics[0].Partitions) != 2 ||
		ofr.Topics[0].Partitions[0].ErrorCode != kerr.CoordinatorLoadInProgress.Code || ofr.Topics[0].Partitions[0].Offset != -1 {
		t.Errorf("OffsetFetch v1 group error: %+v", ofr.Topics)
	}
	of.SetVersion(5)
	kresp, _ = handleOffsetFetch(ctx, svc, rc, of)
	if r := kresp.(*kmsg.OffsetFetchResponse); len(r.Topics) != 0 || r.ErrorCode != kerr.CoordinatorLoadInProgress.Code {
		t.Errorf("OffsetFetch v5 group error: %+v", r)
	}
}
