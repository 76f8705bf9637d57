package broker

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/broker/controller"
	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// The controller admin APIs (KafkaApis.handleElectReplicaLeader,
// handleAlterPartitionReassignmentsRequest, handleListPartitionReassignmentsRequest). Clients
// route them to the broker named as controller in Metadata; any other broker answers
// NOT_CONTROLLER so they refresh metadata and retry.

// isActiveController reports whether this broker's controller module is the active one.
func (s *Server) isActiveController() bool {
	return s.ctrl != nil && s.ctrl.IsActive()
}

// controllerErrorCode maps an error from the controller to the code and message a response
// carries. The controller's errors unwrap to a *kerr.Error; anything else is unexpected.
func controllerErrorCode(err error) (int16, *string) {
	if err == nil {
		return 0, nil
	}
	var ke *kerr.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return kerr.RequestTimedOut.Code, nil
	}
	if !errors.As(err, &ke) {
		msg := err.Error()
		return kerr.UnknownServerError.Code, &msg
	}
	// The controller's per-partition errors carry Kafka's message as their text; its
	// sentinels (ErrNotController, ...) are ours, and Kafka sends no message for those.
	var sentinel bool
	for _, e := range []error{controller.ErrNotController, controller.ErrShutdown, controller.ErrStaleBrokerEpoch, controller.ErrBrokerNotAvailable} {
		if errors.Is(err, e) {
			sentinel = true
		}
	}
	if sentinel || err.Error() == ke.Error() {
		return ke.Code, nil
	}
	msg := err.Error()
	return ke.Code, &msg
}

// requestTimeout bounds a controller call by the request's own timeout, when it has one.
func requestTimeout(ctx context.Context, timeoutMillis int32) (context.Context, context.CancelFunc) {
	if timeoutMillis <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Duration(timeoutMillis)*time.Millisecond)
}

// ElectLeaders implements protocol.Services. NOT_CONTROLLER is reported per partition, as the
// Kafka controller does; successful elections are answered once this broker's metadata cache
// shows the new leader (DelayedElectLeader), or REQUEST_TIMED_OUT after TimeoutMillis.
func (s *Server) ElectLeaders(ctx context.Context, rc *protocol.RequestContext, req *kmsg.ElectLeadersRequest) *kmsg.ElectLeadersResponse {
	resp := req.ResponseKind().(*kmsg.ElectLeadersResponse)
	resp.Version = req.Version
	var tps []zkmeta.TP
	if req.Topics != nil {
		tps = []zkmeta.TP{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				tps = append(tps, zkmeta.TP{Topic: t.Topic, Partition: p})
			}
		}
	}
	results := map[zkmeta.TP]error{}
	var fail error
	if !s.isActiveController() {
		fail = controller.ErrNotController
	} else {
		cctx, cancel := requestTimeout(ctx, req.TimeoutMillis)
		results, fail = s.ctrl.ElectLeaders(cctx, req.ElectionType, tps)
		cancel()
	}
	if fail != nil {
		if tps == nil && errors.Is(fail, controller.ErrNotController) {
			// KafkaApis turns "all partitions" into the metadata cache's partitions before
			// asking the controller, so a stale client sees NOT_CONTROLLER per partition
			// (which is also what makes it refresh metadata and retry).
			tps = s.cachedPartitions()
		}
		results = make(map[zkmeta.TP]error, len(tps))
		for _, tp := range tps {
			results[tp] = fail
		}
		if req.Topics == nil && !errors.Is(fail, controller.ErrNotController) {
			// Kafka has no partition list to report against here; v1+ carries the code.
			resp.ErrorCode, _ = controllerErrorCode(fail)
		}
	}
	var elected []zkmeta.TP
	for tp, err := range results {
		if err == nil {
			elected = append(elected, tp)
		}
	}
	timedOut := s.awaitElectedLeaders(ctx, elected, req.TimeoutMillis)

	byTopic := map[string][]kmsg.ElectLeadersResponseTopicPartition{}
	for tp, err := range results {
		if req.Topics == nil && errors.Is(err, kerr.ElectionNotNeeded) {
			// For "all partitions" only elections that happened or failed are reported.
			continue
		}
		rp := kmsg.NewElectLeadersResponseTopicPartition()
		rp.Partition = tp.Partition
		if timedOut[tp] {
			rp.ErrorCode = kerr.RequestTimedOut.Code
		} else {
			rp.ErrorCode, rp.ErrorMessage = controllerErrorCode(err)
		}
		byTopic[tp.Topic] = append(byTopic[tp.Topic], rp)
	}
	for _, topic := range sortedTopicNames(byTopic) {
		rt := kmsg.NewElectLeadersResponseTopic()
		rt.Topic = topic
		rt.Partitions = byTopic[topic]
		sort.Slice(rt.Partitions, func(i, j int) bool { return rt.Partitions[i].Partition < rt.Partitions[j].Partition })
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// awaitElectedLeaders waits until the metadata cache shows, for every elected partition, the
// leader the controller wrote to ZooKeeper; it returns the partitions still waiting when
// timeoutMillis ran out.
func (s *Server) awaitElectedLeaders(ctx context.Context, elected []zkmeta.TP, timeoutMillis int32) map[zkmeta.TP]bool {
	if len(elected) == 0 || s.zk == nil {
		return nil
	}
	states, err := s.zk.GetPartitionStates(elected)
	if err != nil {
		// The election itself succeeded; without the expected leaders there is nothing to
		// wait for.
		return nil
	}
	waiting := map[zkmeta.TP]int32{}
	for tp, li := range states {
		waiting[tp] = li.Leader
	}
	deadline := time.Now().Add(time.Duration(timeoutMillis) * time.Millisecond)
	for {
		changed := s.metadataChanged()
		for tp, leader := range waiting {
			if pm, ok := s.cache.Partition(tp.Topic, tp.Partition); ok && pm.Leader == leader {
				delete(waiting, tp)
			}
		}
		if len(waiting) == 0 {
			return nil
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			break
		}
		timer := time.NewTimer(wait)
		select {
		case <-changed:
			timer.Stop()
			continue
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C:
		}
		break
	}
	out := make(map[zkmeta.TP]bool, len(waiting))
	for tp := range waiting {
		out[tp] = true
	}
	return out
}

// AlterPartitionReassignments implements protocol.Services (KIP-455). Null replicas cancel a
// partition's reassignment.
func (s *Server) AlterPartitionReassignments(ctx context.Context, rc *protocol.RequestContext, req *kmsg.AlterPartitionAssignmentsRequest) *kmsg.AlterPartitionAssignmentsResponse {
	resp := req.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
	resp.Version = req.Version
	if !s.isActiveController() {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	targets := map[zkmeta.TP][]int32{}
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			var target []int32
			if p.Replicas != nil {
				target = append([]int32{}, p.Replicas...)
			}
			targets[zkmeta.TP{Topic: t.Topic, Partition: p.Partition}] = target
		}
	}
	cctx, cancel := requestTimeout(ctx, req.TimeoutMillis)
	results, err := s.ctrl.AlterPartitionReassignments(cctx, targets)
	cancel()
	if err != nil {
		resp.ErrorCode, resp.ErrorMessage = controllerErrorCode(err)
		return resp
	}
	byTopic := map[string][]kmsg.AlterPartitionAssignmentsResponseTopicPartition{}
	for tp := range targets {
		rp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
		rp.Partition = tp.Partition
		if e, ok := results[tp]; ok {
			rp.ErrorCode, rp.ErrorMessage = controllerErrorCode(e)
		} else {
			rp.ErrorCode = kerr.UnknownServerError.Code
		}
		byTopic[tp.Topic] = append(byTopic[tp.Topic], rp)
	}
	for _, topic := range sortedTopicNames(byTopic) {
		rt := kmsg.NewAlterPartitionAssignmentsResponseTopic()
		rt.Topic = topic
		rt.Partitions = byTopic[topic]
		sort.Slice(rt.Partitions, func(i, j int) bool { return rt.Partitions[i].Partition < rt.Partitions[j].Partition })
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// ListPartitionReassignments implements protocol.Services: the ongoing reassignments among the
// requested partitions, or all of them when Topics is null.
func (s *Server) ListPartitionReassignments(ctx context.Context, rc *protocol.RequestContext, req *kmsg.ListPartitionReassignmentsRequest) *kmsg.ListPartitionReassignmentsResponse {
	resp := req.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
	resp.Version = req.Version
	if !s.isActiveController() {
		resp.ErrorCode = kerr.NotController.Code
		return resp
	}
	var tps []zkmeta.TP
	if req.Topics != nil {
		tps = []zkmeta.TP{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				tps = append(tps, zkmeta.TP{Topic: t.Topic, Partition: p})
			}
		}
	}
	cctx, cancel := requestTimeout(ctx, req.TimeoutMillis)
	ongoing, err := s.ctrl.ListPartitionReassignments(cctx, tps)
	cancel()
	if err != nil {
		resp.ErrorCode, resp.ErrorMessage = controllerErrorCode(err)
		return resp
	}
	byTopic := map[string][]kmsg.ListPartitionReassignmentsResponseTopicPartition{}
	for tp, r := range ongoing {
		rp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
		rp.Partition = tp.Partition
		rp.Replicas = append([]int32{}, r.Replicas...)
		rp.AddingReplicas = append([]int32{}, r.Adding...)
		rp.RemovingReplicas = append([]int32{}, r.Removing...)
		byTopic[tp.Topic] = append(byTopic[tp.Topic], rp)
	}
	for _, topic := range sortedTopicNames(byTopic) {
		rt := kmsg.NewListPartitionReassignmentsResponseTopic()
		rt.Topic = topic
		rt.Partitions = byTopic[topic]
		sort.Slice(rt.Partitions, func(i, j int) bool { return rt.Partitions[i].Partition < rt.Partitions[j].Partition })
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func sortedTopicNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// cachedPartitions lists every partition the metadata cache knows, sorted.
func (s *Server) cachedPartitions() []zkmeta.TP {
	s.cache.mu.RLock()
	defer s.cache.mu.RUnlock()
	out := []zkmeta.TP{}
	for topic, tm := range s.cache.topics {
		for p := range tm.Partitions {
			out = append(out, zkmeta.TP{Topic: topic, Partition: p})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}
