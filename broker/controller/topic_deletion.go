package controller

import (
	"sort"
	"strings"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// Topic deletion (§2.8), Kafka's TopicDeletionManager. A topic is deleted when every replica
// reached ReplicaDeletionSuccessful; offline replicas or a running reassignment make it
// "ineligible" until something changes (broker startup, reassignment completion).

func (c *Controller) processTopicDeletion() error {
	if !c.active.Load() {
		return nil
	}
	cc := c.ctx
	marked, err := c.childrenW(deleteTopicsPath, func() event { return &topicDeletionEvent{} })
	if err != nil {
		return err
	}
	c.log.Debug().Msgf("Delete topics listener fired for topics %s to be deleted", strings.Join(marked, ","))
	var nonExistent, toDelete []string
	for _, t := range marked {
		if cc.allTopics[t] {
			toDelete = append(toDelete, t)
		} else {
			nonExistent = append(nonExistent, t)
		}
	}
	if len(nonExistent) > 0 {
		c.log.Warn().Msgf("Ignoring request to delete non-existing topics %s", strings.Join(nonExistent, ","))
		if err := c.deleteTopicDeletions(nonExistent); err != nil {
			return err
		}
	}
	if !c.cfg.DeleteTopicEnable {
		if len(toDelete) > 0 {
			c.log.Info().Msgf("Removing Set(%s) since delete topic is disabled", strings.Join(toDelete, ", "))
			return c.deleteTopicDeletions(toDelete)
		}
		return nil
	}
	if len(toDelete) == 0 {
		return nil
	}
	c.log.Info().Msgf("Starting topic deletion for topics %s", strings.Join(toDelete, ","))
	for _, t := range toDelete {
		for tp := range cc.partitionsBeingReassigned {
			if tp.Topic == t {
				c.markTopicIneligibleForDeletion([]string{t}, "topic reassignment in progress")
				break
			}
		}
	}
	return c.enqueueTopicsForDeletion(toDelete)
}

func (c *Controller) deleteTopicDeletions(topics []string) error {
	if len(topics) == 0 {
		return nil
	}
	return c.zk.DeleteTopicDeletionMarkersFenced(c.ctx.epochZkVersion, topics)
}

// fetchTopicDeletionsInProgress reads /admin/delete_topics (arming its watch) at failover.
func (c *Controller) fetchTopicDeletionsInProgress() ([]string, []string, error) {
	cc := c.ctx
	toDelete, err := c.childrenW(deleteTopicsPath, func() event { return &topicDeletionEvent{} })
	if err != nil {
		return nil, nil, err
	}
	ineligible := map[string]bool{}
	for t := range cc.allTopics {
		for _, r := range cc.replicasForTopic(t) {
			if !cc.isReplicaOnline(r.replica, r.tp, false) {
				ineligible[t] = true
				break
			}
		}
	}
	for tp := range cc.partitionsBeingReassigned {
		ineligible[tp.Topic] = true
	}
	in := sortedKeys(ineligible)
	c.log.Info().Msgf("List of topics to be deleted: %s", strings.Join(toDelete, ","))
	c.log.Info().Msgf("List of topics ineligible for deletion: %s", strings.Join(in, ","))
	return toDelete, in, nil
}

func (c *Controller) initTopicDeletion(toDelete, ineligible []string) error {
	cc := c.ctx
	if !c.cfg.DeleteTopicEnable {
		if len(toDelete) > 0 {
			c.log.Info().Msgf("Removing Set(%s) since delete topic is disabled", strings.Join(toDelete, ", "))
		}
		return c.deleteTopicDeletions(toDelete)
	}
	for _, t := range toDelete {
		cc.topicsToBeDeleted[t] = true
	}
	for _, t := range ineligible {
		if cc.topicsToBeDeleted[t] {
			cc.topicsIneligibleForDeletion[t] = true
		}
	}
	return nil
}

func (c *Controller) enqueueTopicsForDeletion(topics []string) error {
	if !c.cfg.DeleteTopicEnable {
		return nil
	}
	for _, t := range topics {
		c.ctx.topicsToBeDeleted[t] = true
	}
	return c.resumeDeletions()
}

func (c *Controller) markTopicIneligibleForDeletion(topics []string, reason string) {
	if !c.cfg.DeleteTopicEnable {
		return
	}
	var halted []string
	for _, t := range topics {
		if c.ctx.topicsToBeDeleted[t] && !c.ctx.topicsIneligibleForDeletion[t] {
			c.ctx.topicsIneligibleForDeletion[t] = true
			halted = append(halted, t)
		}
	}
	if len(halted) > 0 {
		sort.Strings(halted)
		c.log.Info().Msgf("Halted deletion of topics %s due to %s", strings.Join(halted, ","), reason)
	}
}

func (c *Controller) resumeDeletionForTopics(topics []string) error {
	if !c.cfg.DeleteTopicEnable {
		return nil
	}
	resumed := false
	for _, t := range topics {
		if c.ctx.topicsToBeDeleted[t] {
			delete(c.ctx.topicsIneligibleForDeletion, t)
			resumed = true
		}
	}
	if resumed {
		return c.resumeDeletions()
	}
	return nil
}

func (c *Controller) isTopicEligibleForDeletion(t string) bool {
	cc := c.ctx
	return cc.topicsToBeDeleted[t] && !cc.isAnyReplicaInState(t, ReplicaDeletionStarted) && !cc.topicsIneligibleForDeletion[t]
}

// resumeDeletions drives every queued topic one step further.
func (c *Controller) resumeDeletions() error {
	cc := c.ctx
	queued := sortedKeys(cc.topicsToBeDeleted)
	if len(queued) > 0 {
		c.log.Info().Msgf("Handling deletion for topics %s", strings.Join(queued, ","))
	}
	var retry, eligible []string
	for _, t := range queued {
		if cc.areAllReplicasInState(t, ReplicaDeletionSuccessful) {
			if err := c.completeDeleteTopic(t); err != nil {
				return err
			}
			c.log.Info().Msgf("Deletion of topic %s successfully completed", t)
		} else if !cc.isAnyReplicaInState(t, ReplicaDeletionStarted) {
			if cc.isAnyReplicaInState(t, ReplicaDeletionIneligible) {
				retry = append(retry, t)
			}
		}
		if c.isTopicEligibleForDeletion(t) {
			c.log.Info().Msgf("Deletion of topic %s (re)started", t)
			eligible = append(eligible, t)
		}
	}
	if len(retry) > 0 {
		if err := c.retryDeletionForIneligibleReplicas(retry); err != nil {
			return err
		}
	}
	if len(eligible) > 0 {
		return c.onTopicDeletion(eligible)
	}
	return nil
}

func (c *Controller) retryDeletionForIneligibleReplicas(topics []string) error {
	var failed []partitionReplica
	for _, t := range topics {
		failed = append(failed, c.ctx.replicasInState(t, ReplicaDeletionIneligible)...)
	}
	c.log.Debug().Msgf("Retrying deletion of topics %s since replicas %v were not successfully deleted", strings.Join(topics, ","), failed)
	return c.handleReplicaStateChanges(failed, OfflineReplica)
}

func (c *Controller) onTopicDeletion(topics []string) error {
	cc := c.ctx
	c.log.Info().Msgf("Topic deletion callback for %s", strings.Join(topics, ","))
	var partitions, unseenPartitions []zkmeta.TP
	var unseen []string
	for _, t := range topics {
		partitions = append(partitions, cc.partitionsForTopic(t)...)
		if !cc.topicsWithDeletionStarted[t] {
			unseen = append(unseen, t)
			unseenPartitions = append(unseenPartitions, cc.partitionsForTopic(t)...)
		}
	}
	if len(unseen) > 0 {
		if _, err := c.handlePartitionStateChanges(unseenPartitions, OfflinePartition, offlineElection); err != nil {
			return err
		}
		if _, err := c.handlePartitionStateChanges(unseenPartitions, NonExistentPartition, offlineElection); err != nil {
			return err
		}
		for _, t := range unseen {
			cc.topicsWithDeletionStarted[t] = true
		}
	}
	if err := c.sendUpdateMetadataRequest(cc.liveOrShuttingDownBrokerIDs(), partitions); err != nil {
		return err
	}
	return c.onPartitionDeletion(partitions)
}

func (c *Controller) onPartitionDeletion(partitions []zkmeta.TP) error {
	cc := c.ctx
	byTopic := map[string][]partitionReplica{}
	for _, r := range cc.replicasForPartitions(partitions) {
		byTopic[r.tp.Topic] = append(byTopic[r.tp.Topic], r)
	}
	topics := make([]string, 0, len(byTopic))
	for t := range byTopic {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, t := range topics {
		var dead, retry []partitionReplica
		for _, r := range byTopic[t] {
			switch {
			case !cc.isReplicaOnline(r.replica, r.tp, false):
				dead = append(dead, r)
			case cc.replicaState(r) != ReplicaDeletionSuccessful:
				retry = append(retry, r)
			}
		}
		if err := c.handleReplicaStateChanges(dead, ReplicaDeletionIneligible); err != nil {
			return err
		}
		if err := c.handleReplicaStateChanges(retry, OfflineReplica); err != nil {
			return err
		}
		if err := c.handleReplicaStateChanges(retry, ReplicaDeletionStarted); err != nil {
			return err
		}
		if len(dead) > 0 {
			c.log.Debug().Msgf("Dead Replicas (%v) found for topic %s", dead, t)
			c.markTopicIneligibleForDeletion([]string{t}, "offline replicas")
		}
	}
	return nil
}

func (c *Controller) completeDeleteTopic(topic string) error {
	cc := c.ctx
	c.mutedTopicWatch[topic] = true
	if err := c.handleReplicaStateChanges(cc.replicasInState(topic, ReplicaDeletionSuccessful), NonExistentReplica); err != nil {
		return err
	}
	if err := c.zk.DeleteTopicFenced(cc.epochZkVersion, topic); err != nil {
		return err
	}
	cc.removeTopic(topic)
	return nil
}

// processTopicDeletionStopReplicaResponse records the outcome of StopReplica(delete=true).
func (c *Controller) processTopicDeletionStopReplicaResponse(e *topicDeletionStopReplicaResponseEvent) error {
	if !c.active.Load() {
		return nil
	}
	var failed, deleted []partitionReplica
	tps := make([]zkmeta.TP, 0, len(e.partitions))
	for tp := range e.partitions {
		tps = append(tps, tp)
	}
	sortTPs(tps)
	for _, tp := range tps {
		r := partitionReplica{tp, e.brokerID}
		if e.requestError != 0 || e.partitions[tp] != 0 {
			failed = append(failed, r)
		} else {
			deleted = append(deleted, r)
		}
	}
	c.log.Debug().Msgf("Delete topic callback invoked on StopReplica response received from broker %d: request error = %d, partition errors = %v",
		e.brokerID, e.requestError, e.partitions)
	if err := c.failReplicaDeletion(failed); err != nil {
		return err
	}
	return c.completeReplicaDeletion(deleted)
}

func (c *Controller) failReplicaDeletion(replicas []partitionReplica) error {
	var rs []partitionReplica
	topics := map[string]bool{}
	for _, r := range replicas {
		if c.ctx.topicsToBeDeleted[r.tp.Topic] {
			rs = append(rs, r)
			topics[r.tp.Topic] = true
		}
	}
	if len(rs) == 0 {
		return nil
	}
	c.log.Debug().Msgf("Deletion failed for replicas %v. Halting deletion for topics %s", rs, strings.Join(sortedKeys(topics), ","))
	if err := c.handleReplicaStateChanges(rs, ReplicaDeletionIneligible); err != nil {
		return err
	}
	c.markTopicIneligibleForDeletion(sortedKeys(topics), "replica deletion failure")
	return c.resumeDeletions()
}

func (c *Controller) completeReplicaDeletion(replicas []partitionReplica) error {
	var rs []partitionReplica
	for _, r := range replicas {
		if c.ctx.topicsToBeDeleted[r.tp.Topic] {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return nil
	}
	c.log.Debug().Msgf("Deletion successfully completed for replicas %v", rs)
	if err := c.handleReplicaStateChanges(rs, ReplicaDeletionSuccessful); err != nil {
		return err
	}
	return c.resumeDeletions()
}
