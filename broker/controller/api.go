package controller

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// apiEvent runs an admin request inside the event loop and hands the answer back; when the
// queue is cleared it is answered with NOT_CONTROLLER instead.
type apiEvent struct {
	name string
	fn   func(c *Controller)
	done chan error
}

func (e *apiEvent) state() string { return e.name }

func (e *apiEvent) preempt(err error) {
	select {
	case e.done <- err:
	default:
	}
}

func (e *apiEvent) run(c *Controller) {
	e.fn(c)
	e.preempt(nil)
}

// call queues fn and waits for it to run, for ctx, or for the queue to be cleared.
func (c *Controller) call(ctx context.Context, name string, fn func(c *Controller)) error {
	if !c.started.Load() {
		return ErrNotController
	}
	ev := &apiEvent{name: name, fn: fn, done: make(chan error, 1)}
	c.queue.put(ev)
	select {
	case err := <-ev.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Election types of the ElectLeaders API.
const (
	ElectionPreferred int8 = 0
	ElectionUnclean   int8 = 1
)

// ElectLeaders is the controller side of the ElectLeaders API (KafkaController.electLeaders,
// AdminClientTriggered). partitions == nil means every partition. The map has one entry per
// requested partition: nil when a leader was elected, otherwise an error wrapping the kerr code
// for the response (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE,
// ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION).
// The error is ErrNotController when this broker is not the controller.
func (c *Controller) ElectLeaders(ctx context.Context, electionType int8, partitions []zkmeta.TP) (map[zkmeta.TP]error, error) {
	var out map[zkmeta.TP]error
	var fail error
	err := c.call(ctx, "ManualLeaderBalance", func(c *Controller) {
		out, fail = c.processAdminLeaderElection(electionType, partitions)
	})
	if err == nil {
		err = fail
	}
	return out, err
}

func (c *Controller) processAdminLeaderElection(electionType int8, partitions []zkmeta.TP) (map[zkmeta.TP]error, error) {
	if !c.active.Load() {
		return nil, ErrNotController
	}
	cc := c.ctx
	if partitions == nil {
		partitions = cc.allPartitions()
	}
	results := map[zkmeta.TP]error{}
	var electable []zkmeta.TP
	for _, tp := range partitions {
		replicas := cc.replicas(tp)
		li, hasLeader := cc.leadership[tp]
		switch {
		case len(replicas) == 0:
			c.log.Info().Msgf("Skipping replica leader election (%s) for partition %s by %s since it doesn't exist.", electionTypeLabel(electionType), tpString(tp), triggerAdminClient)
			results[tp] = apiError(kerr.UnknownTopicOrPartition, "The partition does not exist.")
		case cc.topicsToBeDeleted[tp.Topic]:
			c.log.Warn().Msgf("Skipping replica leader election (%s) for partitions %s by %s since the respective topics are being deleted", electionTypeLabel(electionType), tpString(tp), triggerAdminClient)
			results[tp] = apiError(kerr.InvalidTopicException, "The topic is being deleted")
		case !hasLeader:
			results[tp] = apiError(kerr.LeaderNotAvailable, "The partition has no leader information yet")
		case electionType == ElectionPreferred && li.Leader == replicas[0],
			electionType != ElectionPreferred && li.Leader != noLeader && cc.isBrokerLive(li.Leader):
			results[tp] = apiError(kerr.ElectionNotNeeded, "Leader election not needed for topic partition.")
		default:
			electable = append(electable, tp)
		}
	}
	strategy := preferredElection
	if electionType != ElectionPreferred {
		strategy = offlineUncleanAllowedElection
	}
	if len(electable) > 0 {
		c.log.Info().Msgf("Starting replica leader election (%s) for partitions %s triggered by %s", electionTypeLabel(electionType), joinTPs(electable), triggerAdminClient)
		elected, err := c.handlePartitionStateChanges(electable, OnlinePartition, strategy)
		if err != nil {
			return nil, err
		}
		for _, tp := range electable {
			e := elected[tp]
			switch {
			case e == nil:
				results[tp] = nil
			case electionType == ElectionPreferred:
				results[tp] = apiError(kerr.PreferredLeaderNotAvailable, "%s", stateChangeMessage(e))
			default:
				results[tp] = apiError(kerr.EligibleLeadersNotAvailable, "%s", stateChangeMessage(e))
			}
		}
	}
	return results, nil
}

func electionTypeLabel(t int8) string {
	if t == ElectionPreferred {
		return "PREFERRED"
	}
	return "UNCLEAN"
}

// AlterPartitionReassignments is the controller side of the KIP-455 API. A nil target cancels
// the partition's reassignment. Per partition: nil, or an error wrapping
// INVALID_REPLICA_ASSIGNMENT, NO_REASSIGNMENT_IN_PROGRESS, UNKNOWN_TOPIC_OR_PARTITION or
// UNKNOWN_SERVER_ERROR. An API request for a partition replaces a ZooKeeper-triggered one.
func (c *Controller) AlterPartitionReassignments(ctx context.Context, targets map[zkmeta.TP][]int32) (map[zkmeta.TP]error, error) {
	var out map[zkmeta.TP]error
	var fail error
	err := c.call(ctx, "AlterPartitionReassignment", func(c *Controller) {
		out, fail = c.processApiPartitionReassignment(targets)
	})
	if err == nil {
		err = fail
	}
	return out, err
}

func (c *Controller) processApiPartitionReassignment(targets map[zkmeta.TP][]int32) (map[zkmeta.TP]error, error) {
	if !c.active.Load() {
		return nil, ErrNotController
	}
	results := map[zkmeta.TP]error{}
	toReassign := map[zkmeta.TP]replicaAssignment{}
	for _, tp := range sortedTPKeys(targets) {
		target := targets[tp]
		if target != nil {
			if err := c.validateReplicas(tp, target); err != nil {
				results[tp] = err
				continue
			}
		}
		if a, ok := c.maybeBuildReassignment(tp, target, target != nil); ok {
			toReassign[tp] = a
		} else {
			results[tp] = apiError(kerr.NoReassignmentInProgress, "No reassignment in progress")
		}
	}
	if err := c.maybeRemoveFromZkReassignment(func(tp zkmeta.TP, _ []int32) bool {
		_, ok := toReassign[tp]
		return ok
	}); err != nil {
		return nil, c.maybeMoved(err)
	}
	triggered, err := c.maybeTriggerPartitionReassignment(toReassign)
	if err != nil {
		return nil, c.maybeMoved(err)
	}
	for tp, e := range triggered {
		results[tp] = e
	}
	return results, nil
}

// maybeMoved resigns on a fencing failure inside an API call and reports NOT_CONTROLLER.
func (c *Controller) maybeMoved(err error) error {
	if isControllerMoved(err) {
		_ = c.maybeResign()
		return ErrNotController
	}
	return err
}

// ListPartitionReassignments lists ongoing reassignments; partitions == nil lists all.
func (c *Controller) ListPartitionReassignments(ctx context.Context, partitions []zkmeta.TP) (map[zkmeta.TP]Reassignment, error) {
	var out map[zkmeta.TP]Reassignment
	var fail error
	err := c.call(ctx, "ListPartitionReassignment", func(c *Controller) {
		if !c.active.Load() {
			fail = ErrNotController
			return
		}
		out = map[zkmeta.TP]Reassignment{}
		want := partitions
		if want == nil {
			want = sortedTPKeys(c.ctx.partitionsBeingReassigned)
		}
		for _, tp := range want {
			a, ok := c.ctx.assignment(tp)
			if ok && a.isBeingReassigned() {
				out[tp] = Reassignment{Replicas: a.replicas, Adding: a.adding, Removing: a.removing}
			}
		}
	})
	if err == nil {
		err = fail
	}
	return out, err
}

// Reassignment describes one ongoing partition reassignment (RS, AR, RR).
type Reassignment struct {
	Replicas, Adding, Removing []int32
}

// kafkaAPIError carries Kafka's error message for a response's ErrorMessage field while
// unwrapping to the *kerr.Error whose code goes into the response.
type kafkaAPIError struct {
	code *kerr.Error
	msg  string
}

func (e *kafkaAPIError) Error() string { return e.msg }
func (e *kafkaAPIError) Unwrap() error { return e.code }

func apiError(code *kerr.Error, format string, args ...interface{}) error {
	return &kafkaAPIError{code: code, msg: fmt.Sprintf(format, args...)}
}

// stateChangeMessage is an error's text without this package's sentinel prefix, as Kafka puts
// a StateChangeFailedException's message into responses.
func stateChangeMessage(err error) string {
	return strings.TrimPrefix(err.Error(), errStateChangeFailed.Error()+": ")
}
