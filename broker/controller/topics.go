package controller

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// processTopicChange handles children changes of /brokers/topics (§2.7).
func (c *Controller) processTopicChange() error {
	if !c.active.Load() {
		return nil
	}
	cc := c.ctx
	topics, err := c.childrenW(topicsPath, func() event { return &topicChangeEvent{} })
	if err != nil {
		return err
	}
	current := map[string]bool{}
	for _, t := range topics {
		current[t] = true
	}
	var newTopics, deletedTopics []string
	for _, t := range topics {
		if !cc.allTopics[t] {
			newTopics = append(newTopics, t)
		}
	}
	for t := range cc.allTopics {
		if !current[t] {
			deletedTopics = append(deletedTopics, t)
		}
	}
	sort.Strings(deletedTopics)
	cc.allTopics = current
	for _, t := range newTopics {
		if err := c.watchTopic(t); err != nil {
			return err
		}
	}
	added := map[zkmeta.TP]replicaAssignment{}
	var assignments []zkmeta.TopicAssignment
	for _, t := range newTopics {
		a, err := c.zk.GetTopicAssignment(t)
		if err != nil {
			if isNoNode(err) {
				continue
			}
			if errors.Is(err, zkmeta.ErrBadData) {
				c.log.Error().Err(err).Msgf("Ignoring topic %s: its znode cannot be parsed", t)
				continue
			}
			return err
		}
		assignments = append(assignments, a)
	}
	for _, t := range deletedTopics {
		cc.removeTopic(t)
	}
	for i := range assignments {
		a := &assignments[i]
		if err := c.processTopicID(a); err != nil {
			return err
		}
		for p, replicas := range a.Partitions {
			tp := zkmeta.TP{Topic: a.Topic, Partition: p}
			ra := replicaAssignment{replicas: replicas, adding: a.Adding[p], removing: a.Removing[p]}
			cc.setAssignment(tp, ra)
			added[tp] = ra
		}
	}
	c.log.Info().Msgf("New topics: [Set(%s)], deleted topics: [Set(%s)], new partition replica assignment [%s]",
		strings.Join(newTopics, ", "), strings.Join(deletedTopics, ", "), assignmentString(added))
	if len(added) > 0 {
		return c.onNewPartitionCreation(tpsOf(added))
	}
	return nil
}

// processPartitionModifications handles a data change of /brokers/topics/<topic>.
func (c *Controller) processPartitionModifications(topic string) error {
	if !c.active.Load() || c.mutedTopicWatch[topic] {
		return nil
	}
	cc := c.ctx
	if _, err := c.existsW(topicPath(topic), func() event { return &partitionModificationsEvent{topic: topic} }); err != nil {
		return err
	}
	a, err := c.zk.GetTopicAssignment(topic)
	if err != nil {
		if isNoNode(err) {
			return nil
		}
		return err
	}
	toAdd := map[zkmeta.TP]replicaAssignment{}
	for p, replicas := range a.Partitions {
		tp := zkmeta.TP{Topic: topic, Partition: p}
		if _, ok := cc.assignment(tp); !ok {
			toAdd[tp] = replicaAssignment{replicas: replicas, adding: a.Adding[p], removing: a.Removing[p]}
		}
	}
	if cc.topicsToBeDeleted[topic] {
		if len(toAdd) > 0 {
			var ids []string
			for _, tp := range tpsOf(toAdd) {
				ids = append(ids, fmt.Sprint(tp.Partition))
			}
			c.log.Warn().Msgf("Skipping adding partitions %s for topic %s since it is currently being deleted", strings.Join(ids, ","), topic)
			return c.restorePartitionReplicaAssignment(a)
		}
		c.log.Info().Msg("Ignoring partition change during topic deletion as no new partitions are added")
		return nil
	}
	if len(toAdd) == 0 {
		return nil
	}
	c.log.Info().Msgf("New partitions to be added %s", assignmentString(toAdd))
	for tp, ra := range toAdd {
		cc.setAssignment(tp, ra)
	}
	return c.onNewPartitionCreation(tpsOf(toAdd))
}

// restorePartitionReplicaAssignment rewrites the topic znode without the partitions added while
// the topic was being deleted.
func (c *Controller) restorePartitionReplicaAssignment(a zkmeta.TopicAssignment) error {
	c.log.Info().Msgf("Restoring the partition replica assignment for topic %s", a.Topic)
	existing := map[int32]bool{}
	for _, tp := range c.ctx.partitionsForTopic(a.Topic) {
		existing[tp.Partition] = true
	}
	restored := a
	restored.Partitions = map[int32][]int32{}
	for p, r := range a.Partitions {
		if existing[p] {
			restored.Partitions[p] = r
		}
	}
	_, err := c.zk.SetTopicAssignmentFenced(c.ctx.epochZkVersion, restored)
	return err
}

// onNewPartitionCreation: New partitions and replicas, then Online (state znodes,
// LeaderAndIsr isNew=true, UpdateMetadata).
func (c *Controller) onNewPartitionCreation(tps []zkmeta.TP) error {
	c.log.Info().Msgf("New partition creation callback for %s", joinTPs(tps))
	if _, err := c.handlePartitionStateChanges(tps, NewPartition, offlineElection); err != nil {
		return err
	}
	if err := c.handleReplicaStateChanges(c.ctx.replicasForPartitions(tps), NewReplica); err != nil {
		return err
	}
	if _, err := c.handlePartitionStateChanges(tps, OnlinePartition, offlineElection); err != nil {
		return err
	}
	return c.handleReplicaStateChanges(c.ctx.replicasForPartitions(tps), OnlineReplica)
}

func tpsOf(m map[zkmeta.TP]replicaAssignment) []zkmeta.TP {
	out := make([]zkmeta.TP, 0, len(m))
	for tp := range m {
		out = append(out, tp)
	}
	sortTPs(out)
	return out
}

func assignmentString(m map[zkmeta.TP]replicaAssignment) string {
	var parts []string
	for _, tp := range tpsOf(m) {
		a := m[tp]
		parts = append(parts, fmt.Sprintf("%s -> ReplicaAssignment(replicas=%s, addingReplicas=%s, removingReplicas=%s)",
			tpString(tp), joinIDs(a.replicas), joinIDs(a.adding), joinIDs(a.removing)))
	}
	return "Map(" + strings.Join(parts, ", ") + ")"
}
