package controller

import (
	"errors"
	"fmt"
	"sort"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// Partition reassignment (§2.9, KIP-455), shared by /admin/reassign_partitions and the
// AlterPartitionReassignments API. RS = replicas, AR = adding, RR = removing; the target is
// RS minus RR.

// reassignTo is ReplicaAssignment.reassignTo: RS = distinct(target ++ origin).
func (a replicaAssignment) reassignTo(target []int32) replicaAssignment {
	origin := a.originReplicas()
	full := distinct(append(append([]int32{}, target...), origin...))
	return replicaAssignment{
		replicas: full,
		adding:   without(full, origin...),
		removing: without(full, target...),
	}
}

func (a replicaAssignment) equal(b replicaAssignment) bool {
	eq := func(x, y []int32) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return eq(a.replicas, b.replicas) && eq(a.adding, b.adding) && eq(a.removing, b.removing)
}

func (a replicaAssignment) String() string {
	return fmt.Sprintf("ReplicaAssignment(replicas=%s, addingReplicas=%s, removingReplicas=%s)",
		joinIDs(a.replicas), joinIDs(a.adding), joinIDs(a.removing))
}

// partitionReassignmentIsrChangeEvent: the state znode of a reassigning partition changed.
type partitionReassignmentIsrChangeEvent struct{ tp zkmeta.TP }

func (*partitionReassignmentIsrChangeEvent) state() string { return "PartitionReassignmentIsrChange" }

// initializePartitionReassignments resumes reassignments at failover: the ZooKeeper request
// first, then the ones recorded in the topic znodes.
func (c *Controller) initializePartitionReassignments() error {
	resumed, err := c.processZkPartitionReassignmentInner()
	if err != nil {
		return err
	}
	return c.maybeResumeReassignments(func(tp zkmeta.TP, _ replicaAssignment) bool { return !resumed[tp] })
}

func (c *Controller) processZkPartitionReassignment() error {
	if !c.active.Load() {
		return nil
	}
	_, err := c.processZkPartitionReassignmentInner()
	return err
}

func (c *Controller) processZkPartitionReassignmentInner() (map[zkmeta.TP]bool, error) {
	exists, err := c.existsW(reassignPartitionPath, func() event { return &zkPartitionReassignmentEvent{} })
	if err != nil || !exists {
		return nil, err
	}
	requested, err := c.zk.GetReassignment()
	if err != nil {
		if isNoNode(err) {
			return nil, nil
		}
		if errors.Is(err, zkmeta.ErrBadData) {
			c.log.Error().Err(err).Msg("Invalid partition reassignment data; deleting it")
			return nil, c.zk.DeleteReassignmentFenced(c.ctx.epochZkVersion)
		}
		return nil, err
	}
	results := map[zkmeta.TP]error{}
	toReassign := map[zkmeta.TP]replicaAssignment{}
	for tp, target := range requested {
		if a, ok := c.maybeBuildReassignment(tp, target, true); ok {
			toReassign[tp] = a
		} else {
			results[tp] = apiError(kerr.NoReassignmentInProgress, "No reassignment in progress")
		}
	}
	triggered, err := c.maybeTriggerPartitionReassignment(toReassign)
	if err != nil {
		return nil, err
	}
	for tp, e := range triggered {
		results[tp] = e
	}
	ok := map[zkmeta.TP]bool{}
	failed := map[zkmeta.TP]bool{}
	for tp, e := range results {
		if e == nil {
			ok[tp] = true
		} else {
			failed[tp] = true
		}
	}
	if len(failed) > 0 {
		c.log.Warn().Msgf("Failed reassignment through zk with the following errors: %v", results)
		if err := c.maybeRemoveFromZkReassignment(func(tp zkmeta.TP, _ []int32) bool { return failed[tp] }); err != nil {
			return nil, err
		}
	}
	return ok, nil
}

// maybeBuildReassignment: a new target, or (no target) cancelling a running reassignment.
func (c *Controller) maybeBuildReassignment(tp zkmeta.TP, target []int32, haveTarget bool) (replicaAssignment, bool) {
	a, _ := c.ctx.assignment(tp)
	if a.isBeingReassigned() {
		if !haveTarget {
			target = a.originReplicas()
		}
		return a.reassignTo(target), true
	}
	if !haveTarget {
		return replicaAssignment{}, false
	}
	return a.reassignTo(target), true
}

func (c *Controller) maybeTriggerPartitionReassignment(reassignments map[zkmeta.TP]replicaAssignment) (map[zkmeta.TP]error, error) {
	out := map[zkmeta.TP]error{}
	for _, tp := range tpsOf(reassignments) {
		if c.ctx.topicsToBeDeleted[tp.Topic] {
			c.log.Info().Msgf("Skipping reassignment of %s since the topic is currently being deleted", tpString(tp))
			out[tp] = apiError(kerr.UnknownTopicOrPartition, "The partition does not exist.")
			continue
		}
		if len(c.ctx.replicas(tp)) == 0 {
			out[tp] = apiError(kerr.UnknownTopicOrPartition, "The partition does not exist.")
			continue
		}
		if err := c.onPartitionReassignment(tp, reassignments[tp]); err != nil {
			if errors.Is(err, zkmeta.ErrControllerMoved) {
				c.log.Info().Msgf("Failed completing reassignment of partition %s because controller has moved to another broker", tpString(tp))
				return nil, err
			}
			c.log.Error().Err(err).Msgf("Error completing reassignment of partition %s", tpString(tp))
			out[tp] = apiError(kerr.UnknownServerError, "%s", stateChangeMessage(err))
			continue
		}
		out[tp] = nil
	}
	return out, nil
}

func (c *Controller) onPartitionReassignment(tp zkmeta.TP, r replicaAssignment) error {
	cc := c.ctx
	c.markTopicIneligibleForDeletion([]string{tp.Topic}, "topic reassignment in progress")
	if err := c.updateCurrentReassignment(tp, r); err != nil {
		return err
	}
	complete, err := c.isReassignmentComplete(tp, r)
	if err != nil {
		return err
	}
	if !complete {
		// A1: bump the leader epoch and tell ORS and AR about RS/AR/RR. A2: AR -> NewReplica.
		if err := c.updateLeaderEpochAndSendRequest(tp, r); err != nil {
			return err
		}
		for _, id := range r.adding {
			if err := c.handleReplicaStateChanges([]partitionReplica{{tp, id}}, NewReplica); err != nil {
				return err
			}
		}
		return nil
	}
	// B1: AR -> OnlineReplica.
	adding := make([]partitionReplica, len(r.adding))
	for i, id := range r.adding {
		adding[i] = partitionReplica{tp, id}
	}
	if err := c.handleReplicaStateChanges(adding, OnlineReplica); err != nil {
		return err
	}
	// B2: RS = TRS in memory.
	completed := replicaAssignment{replicas: r.targetReplicas()}
	cc.setAssignment(tp, completed)
	// B3: move leadership if needed.
	if err := c.moveReassignedPartitionLeaderIfRequired(tp, completed); err != nil {
		return err
	}
	// B4/B5: RR -> Offline -> deleted.
	if err := c.stopRemovedReplicasOfReassignedPartition(tp, r.removing); err != nil {
		return err
	}
	// B6: write RS = TRS to ZooKeeper.
	if err := c.updateReplicaAssignmentForPartition(tp, completed); err != nil {
		return err
	}
	// B7: drop from the pending set and from /admin/reassign_partitions.
	if err := c.removePartitionFromReassigningPartitions(tp, completed); err != nil {
		return err
	}
	// B8: everyone learns the new replica set.
	if err := c.sendUpdateMetadataRequest(cc.liveOrShuttingDownBrokerIDs(), []zkmeta.TP{tp}); err != nil {
		return err
	}
	return c.resumeDeletionForTopics([]string{tp.Topic})
}

func (c *Controller) updateCurrentReassignment(tp zkmeta.TP, r replicaAssignment) error {
	cc := c.ctx
	cur, _ := cc.assignment(tp)
	if !cur.equal(r) {
		c.log.Debug().Msgf("Updating assignment of partition %s from %s to %s", tpString(tp), cur, r)
		if err := c.updateReplicaAssignmentForPartition(tp, r); err != nil {
			return err
		}
		cc.setAssignment(tp, r)
		if unneeded := without(cur.replicas, r.replicas...); len(unneeded) > 0 {
			if err := c.stopRemovedReplicasOfReassignedPartition(tp, unneeded); err != nil {
				return err
			}
		}
	}
	// The classic (pre-AlterIsr) ISR path: watch the state znode to see the targets catch up.
	if _, err := c.existsW(partitionStatePath(tp), func() event { return &partitionReassignmentIsrChangeEvent{tp: tp} }); err != nil {
		return err
	}
	cc.partitionsBeingReassigned[tp] = true
	return nil
}

func partitionStatePath(tp zkmeta.TP) string {
	return fmt.Sprintf("%s/%s/partitions/%d/state", topicsPath, tp.Topic, tp.Partition)
}

func (c *Controller) isReassignmentComplete(tp zkmeta.TP, r replicaAssignment) (bool, error) {
	if !r.isBeingReassigned() {
		return true, nil
	}
	states, err := c.zk.GetPartitionStates([]zkmeta.TP{tp})
	if err != nil {
		return false, err
	}
	li, ok := states[tp]
	if !ok {
		return false, nil
	}
	for _, t := range r.targetReplicas() {
		if !contains(li.ISR, t) {
			return false, nil
		}
	}
	return true, nil
}

func (c *Controller) updateLeaderEpochAndSendRequest(tp zkmeta.TP, r replicaAssignment) error {
	li, ok, err := c.updateLeaderEpoch(tp)
	if err != nil {
		return err
	}
	if !ok {
		c.stateChange(zerolog.ErrorLevel, "Failed to send LeaderAndIsr request with new replica assignment %s to leader for partition being reassigned %s", r, tpString(tp))
		return nil
	}
	c.batch.addLeaderAndIsr(r.originReplicas(), tp, li, r, false)
	c.batch.addLeaderAndIsr(r.adding, tp, li, r, true)
	c.batch.sendRequestsToBrokers()
	c.stateChange(zerolog.InfoLevel, "Sent LeaderAndIsr request %s with new replica assignment %s to leader %d for partition being reassigned %s",
		leaderIsrAndEpochString(li), r, li.Leader, tpString(tp))
	return nil
}

// updateLeaderEpoch bumps leader_epoch without changing leader or ISR, so that the leader
// caches the new replica list.
func (c *Controller) updateLeaderEpoch(tp zkmeta.TP) (zkmeta.LeaderIsr, bool, error) {
	cc := c.ctx
	c.log.Debug().Msgf("Updating leader epoch for partition %s", tpString(tp))
	for {
		cur, err := c.zk.GetPartitionState(tp.Topic, tp.Partition)
		if err != nil {
			if isNoNode(err) {
				return zkmeta.LeaderIsr{}, false, fmt.Errorf("controller: Cannot update leader epoch for partition %s as leaderAndIsr path is empty. This could mean we somehow tried to reassign a partition that doesn't exist", tpString(tp))
			}
			return zkmeta.LeaderIsr{}, false, err
		}
		if cur.ControllerEpoch > cc.epoch {
			return zkmeta.LeaderIsr{}, false, fmt.Errorf("%w: Leader and isr path written by another controller. This probably means the current controller with epoch %d went through a soft failure and another controller was elected with epoch %d. Aborting state change by this controller",
				errStateChangeFailed, cc.epoch, cur.ControllerEpoch)
		}
		ns := cur
		ns.LeaderEpoch++
		ns.ControllerEpoch = cc.epoch
		v, err := c.zk.UpdatePartitionState(cc.epochZkVersion, tp, ns)
		if err != nil {
			if isBadVersion(err) {
				continue
			}
			return zkmeta.LeaderIsr{}, false, err
		}
		ns.ZkVersion = v
		cc.leadership[tp] = ns
		c.log.Info().Msgf("Updated leader epoch for partition %s to %d", tpString(tp), ns.LeaderEpoch)
		return ns, true, nil
	}
}

func (c *Controller) moveReassignedPartitionLeaderIfRequired(tp zkmeta.TP, a replicaAssignment) error {
	cc := c.ctx
	leader := cc.leadership[tp].Leader
	switch {
	case !contains(a.replicas, leader):
		c.log.Info().Msgf("Leader %d for partition %s being reassigned, is not in the new list of replicas %s. Re-electing leader", leader, tpString(tp), joinIDs(a.replicas))
		_, err := c.handlePartitionStateChanges([]zkmeta.TP{tp}, OnlinePartition, reassignElection)
		return err
	case cc.isReplicaOnline(leader, tp, false):
		c.log.Info().Msgf("Leader %d for partition %s being reassigned, is already in the new list of replicas %s and is alive", leader, tpString(tp), joinIDs(a.replicas))
		return c.updateLeaderEpochAndSendRequest(tp, a)
	default:
		c.log.Info().Msgf("Leader %d for partition %s being reassigned, is already in the new list of replicas %s but is dead", leader, tpString(tp), joinIDs(a.replicas))
		_, err := c.handlePartitionStateChanges([]zkmeta.TP{tp}, OnlinePartition, reassignElection)
		return err
	}
}

func (c *Controller) stopRemovedReplicasOfReassignedPartition(tp zkmeta.TP, removed []int32) error {
	rs := make([]partitionReplica, len(removed))
	for i, id := range removed {
		rs[i] = partitionReplica{tp, id}
	}
	for _, st := range []ReplicaState{OfflineReplica, ReplicaDeletionStarted, ReplicaDeletionSuccessful, NonExistentReplica} {
		if err := c.handleReplicaStateChanges(rs, st); err != nil {
			return err
		}
	}
	return nil
}

// updateReplicaAssignmentForPartition rewrites the topic znode with tp's new assignment.
func (c *Controller) updateReplicaAssignmentForPartition(tp zkmeta.TP, a replicaAssignment) error {
	cc := c.ctx
	ta := zkmeta.TopicAssignment{Topic: tp.Topic, TopicID: cc.topicIDs[tp.Topic], ZkVersion: -1, Partitions: map[int32][]int32{},
		Adding: map[int32][]int32{}, Removing: map[int32][]int32{}}
	for p, pa := range cc.assignments[tp.Topic] {
		if p == tp.Partition {
			pa = a
		}
		ta.Partitions[p] = pa.replicas
		if len(pa.adding) > 0 {
			ta.Adding[p] = pa.adding
		}
		if len(pa.removing) > 0 {
			ta.Removing[p] = pa.removing
		}
	}
	ta.Partitions[tp.Partition] = a.replicas
	if _, err := c.zk.SetTopicAssignmentFenced(cc.epochZkVersion, ta); err != nil {
		if isNoNode(err) {
			return fmt.Errorf("controller: Failed to update assignment for %s since the topic has no current assignment", tpString(tp))
		}
		return err
	}
	c.log.Info().Msgf("Successfully updated assignment of partition %s to %s", tpString(tp), a)
	return nil
}

func (c *Controller) removePartitionFromReassigningPartitions(tp zkmeta.TP, a replicaAssignment) error {
	if !c.ctx.partitionsBeingReassigned[tp] {
		return fmt.Errorf("controller: Cannot remove a reassigning partition because it is not present in memory")
	}
	c.disarm("exists:" + partitionStatePath(tp))
	if err := c.maybeRemoveFromZkReassignment(func(t zkmeta.TP, replicas []int32) bool {
		return t == tp && sameSet(replicas, a.replicas) && len(replicas) == len(a.replicas)
	}); err != nil {
		return err
	}
	delete(c.ctx.partitionsBeingReassigned, tp)
	return nil
}

func (c *Controller) maybeRemoveFromZkReassignment(remove func(zkmeta.TP, []int32) bool) error {
	pending, err := c.zk.GetReassignment()
	if err != nil {
		if isNoNode(err) || errors.Is(err, zkmeta.ErrBadData) {
			return nil
		}
		return err
	}
	keep := map[zkmeta.TP][]int32{}
	var removing []zkmeta.TP
	for tp, replicas := range pending {
		if remove(tp, replicas) {
			removing = append(removing, tp)
		} else {
			keep[tp] = replicas
		}
	}
	if len(removing) == 0 {
		return nil
	}
	sortTPs(removing)
	c.log.Info().Msgf("Removing partitions %s from the list of reassigned partitions in zookeeper", joinTPs(removing))
	if len(keep) == 0 {
		c.log.Info().Msgf("No more partitions need to be reassigned. Deleting zk path %s", reassignPartitionPath)
		if err := c.zk.DeleteReassignmentFenced(c.ctx.epochZkVersion); err != nil {
			return err
		}
		// Re-arm the exists watch so that the next request is seen.
		_, err := c.existsW(reassignPartitionPath, func() event { return &zkPartitionReassignmentEvent{} })
		return err
	}
	return c.zk.SetReassignmentFenced(c.ctx.epochZkVersion, keep)
}

func (c *Controller) maybeResumeReassignments(pred func(zkmeta.TP, replicaAssignment) bool) error {
	var tps []zkmeta.TP
	for tp := range c.ctx.partitionsBeingReassigned {
		tps = append(tps, tp)
	}
	sortTPs(tps)
	for _, tp := range tps {
		a, _ := c.ctx.assignment(tp)
		if pred(tp, a) {
			if err := c.onPartitionReassignment(tp, a); err != nil {
				if errors.Is(err, zkmeta.ErrControllerMoved) {
					return err
				}
				c.log.Error().Err(err).Msgf("Error resuming reassignment of partition %s", tpString(tp))
			}
		}
	}
	return nil
}

func (c *Controller) maybeCompleteReassignment(tp zkmeta.TP) error {
	a, _ := c.ctx.assignment(tp)
	complete, err := c.isReassignmentComplete(tp, a)
	if err != nil || !complete {
		return err
	}
	c.log.Info().Msgf("Target replicas %s have all caught up with the leader for reassigning partition %s", scalaList(a.targetReplicas()), tpString(tp))
	return c.onPartitionReassignment(tp, a)
}

func (c *Controller) processPartitionReassignmentIsrChange(tp zkmeta.TP) error {
	if !c.active.Load() || !c.ctx.partitionsBeingReassigned[tp] {
		return nil
	}
	if _, err := c.existsW(partitionStatePath(tp), func() event { return &partitionReassignmentIsrChangeEvent{tp: tp} }); err != nil {
		return err
	}
	if err := c.updateLeaderAndIsrCache([]zkmeta.TP{tp}); err != nil {
		return err
	}
	return c.maybeCompleteReassignment(tp)
}

// validateReplicas checks an API reassignment target (Kafka's validateReplicas).
func (c *Controller) validateReplicas(tp zkmeta.TP, replicas []int32) error {
	if len(replicas) == 0 {
		return apiError(kerr.InvalidReplicaAssignment, "Empty replica list specified in partition reassignment.")
	}
	if len(distinct(replicas)) != len(replicas) {
		return apiError(kerr.InvalidReplicaAssignment, "Duplicate replica ids in partition reassignment replica list: %s", scalaList(replicas))
	}
	for _, r := range replicas {
		if r < 0 {
			return apiError(kerr.InvalidReplicaAssignment, "Invalid broker id in replica list: %s", scalaList(replicas))
		}
	}
	a, _ := c.ctx.assignment(tp)
	na := a.reassignTo(replicas)
	for _, r := range na.adding {
		if !c.ctx.isBrokerLive(r) {
			return apiError(kerr.InvalidReplicaAssignment, "Replica assignment has brokers that are not alive. Replica list: %s, live broker list: Set(%s)",
				scalaList(na.adding), joinIDsComma(c.ctx.liveBrokerIDs()))
		}
	}
	return nil
}

func sortedTPKeys[V any](m map[zkmeta.TP]V) []zkmeta.TP {
	out := make([]zkmeta.TP, 0, len(m))
	for tp := range m {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}
