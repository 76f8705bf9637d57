package controller

import (
	"reflect"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// processBrokerChange compares /brokers/ids (with czxid epochs) to the cache (§2.6).
func (c *Controller) processBrokerChange() error {
	if !c.active.Load() {
		return nil
	}
	cc := c.ctx
	if _, err := c.childrenW(brokerIDsPath, func() event { return &brokerChangeEvent{} }); err != nil {
		return err
	}
	brokers, err := c.zk.GetAllBrokers()
	if err != nil {
		return err
	}
	cur := map[int32]zkmeta.BrokerInfo{}
	for _, b := range brokers {
		cur[b.ID] = b
	}
	var newIDs, deadIDs, bouncedIDs []int32
	for id, b := range cur {
		old, known := cc.liveBrokers[id]
		switch {
		case !known:
			newIDs = append(newIDs, id)
		case b.Epoch > old.Epoch:
			bouncedIDs = append(bouncedIDs, id)
		}
	}
	for id := range cc.liveBrokers {
		if _, ok := cur[id]; !ok {
			deadIDs = append(deadIDs, id)
		}
	}
	sortIDs(newIDs)
	sortIDs(deadIDs)
	sortIDs(bouncedIDs)
	all := make([]int32, 0, len(cur))
	for id := range cur {
		all = append(all, id)
	}
	sortIDs(all)
	c.log.Info().Msgf("Newly added brokers: %s, deleted brokers: %s, bounced brokers: %s, all live brokers: %s",
		joinIDs(newIDs), joinIDs(deadIDs), joinIDs(bouncedIDs), joinIDs(all))

	for _, id := range newIDs {
		c.channels.addBroker(cur[id])
	}
	for _, id := range bouncedIDs {
		c.channels.removeBroker(id)
		c.channels.addBroker(cur[id])
	}
	for _, id := range deadIDs {
		c.channels.removeBroker(id)
	}
	if len(newIDs) > 0 {
		for _, id := range newIDs {
			cc.liveBrokers[id] = cur[id]
		}
		if err := c.onBrokerStartup(newIDs); err != nil {
			return err
		}
	}
	if len(bouncedIDs) > 0 {
		for _, id := range bouncedIDs {
			delete(cc.liveBrokers, id)
		}
		if err := c.onBrokerFailure(bouncedIDs); err != nil {
			return err
		}
		for _, id := range bouncedIDs {
			cc.liveBrokers[id] = cur[id]
		}
		if err := c.onBrokerStartup(bouncedIDs); err != nil {
			return err
		}
	}
	if len(deadIDs) > 0 {
		for _, id := range deadIDs {
			delete(cc.liveBrokers, id)
		}
		if err := c.onBrokerFailure(deadIDs); err != nil {
			return err
		}
	}
	if len(newIDs)+len(deadIDs)+len(bouncedIDs) > 0 {
		c.log.Info().Msgf("Updated broker epochs cache: %s", c.brokerEpochsString())
	}
	return nil
}

func (c *Controller) onBrokerStartup(newBrokers []int32) error {
	cc := c.ctx
	c.log.Info().Msgf("New broker startup callback for %s", joinIDs(newBrokers))
	isNew := map[int32]bool{}
	for _, id := range newBrokers {
		isNew[id] = true
	}
	var existing []int32
	for _, id := range cc.liveOrShuttingDownBrokerIDs() {
		if !isNew[id] {
			existing = append(existing, id)
		}
	}
	if err := c.sendUpdateMetadataRequest(existing, nil); err != nil {
		return err
	}
	if err := c.sendUpdateMetadataRequest(newBrokers, cc.partitionsWithLeaders()); err != nil {
		return err
	}
	onNew := cc.replicasOnBrokers(isNew)
	if err := c.handleReplicaStateChanges(onNew, OnlineReplica); err != nil {
		return err
	}
	if _, err := c.triggerOnlinePartitionStateChange(); err != nil {
		return err
	}
	if err := c.maybeResumeReassignments(func(tp zkmeta.TP, a replicaAssignment) bool {
		for _, r := range a.targetReplicas() {
			if isNew[r] {
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	resume := map[string]bool{}
	for _, r := range onNew {
		if cc.topicsToBeDeleted[r.tp.Topic] {
			resume[r.tp.Topic] = true
		}
	}
	if len(resume) > 0 {
		c.log.Info().Msgf("Some replicas for topics scheduled for deletion are on the newly restarted brokers %s. Signaling restart of topic deletion for these topics", joinIDs(newBrokers))
		if err := c.resumeDeletionForTopics(sortedKeys(resume)); err != nil {
			return err
		}
	}
	for _, id := range newBrokers {
		if err := c.watchBroker(id); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) onBrokerFailure(dead []int32) error {
	cc := c.ctx
	c.log.Info().Msgf("Broker failure callback for %s", joinIDs(dead))
	isDead := map[int32]bool{}
	var wereShuttingDown []int32
	for _, id := range dead {
		isDead[id] = true
		if cc.shuttingDown[id] {
			delete(cc.shuttingDown, id)
			wereShuttingDown = append(wereShuttingDown, id)
		}
	}
	if len(wereShuttingDown) > 0 {
		c.log.Info().Msgf("Removed %s from list of shutting down brokers.", joinIDs(wereShuttingDown))
	}
	return c.onReplicasBecomeOffline(cc.replicasOnBrokers(isDead))
}

// onReplicasBecomeOffline: offline leaders -> OfflinePartition -> election; the replicas ->
// OfflineReplica (ISR shrink); UpdateMetadata if nothing else told the brokers.
func (c *Controller) onReplicasBecomeOffline(replicas []partitionReplica) error {
	cc := c.ctx
	var forDeletion, notForDeletion []partitionReplica
	for _, r := range replicas {
		if cc.topicsToBeDeleted[r.tp.Topic] {
			forDeletion = append(forDeletion, r)
		} else {
			notForDeletion = append(notForDeletion, r)
		}
	}
	if _, err := c.handlePartitionStateChanges(cc.partitionsWithOfflineLeader(), OfflinePartition, offlineElection); err != nil {
		return err
	}
	results, err := c.triggerOnlinePartitionStateChange()
	if err != nil {
		return err
	}
	if err := c.handleReplicaStateChanges(notForDeletion, OfflineReplica); err != nil {
		return err
	}
	if len(forDeletion) > 0 {
		if err := c.failReplicaDeletion(forDeletion); err != nil {
			return err
		}
	}
	anyElected := false
	for _, e := range results {
		if e == nil {
			anyElected = true
		}
	}
	if len(notForDeletion) == 0 && !anyElected {
		return c.sendUpdateMetadataRequest(cc.liveOrShuttingDownBrokerIDs(), nil)
	}
	return nil
}

// processBrokerModifications: a live broker rewrote its registration (endpoints, features).
func (c *Controller) processBrokerModifications(id int32) error {
	if !c.active.Load() {
		return nil
	}
	cc := c.ctx
	old, known := cc.liveBrokers[id]
	if !known {
		return nil
	}
	if err := c.watchBroker(id); err != nil {
		if isNoNode(err) {
			return nil
		}
		return err
	}
	b, err := c.zk.GetBroker(id)
	if err != nil {
		if isNoNode(err) {
			return nil
		}
		return err
	}
	if b.Epoch != old.Epoch || reflect.DeepEqual(b.Endpoints, old.Endpoints) {
		// A new epoch is a bounce, which BrokerChange handles.
		return nil
	}
	c.log.Info().Msgf("Updated broker metadata: %v -> %v", old, b)
	cc.liveBrokers[id] = b
	c.channels.updateBroker(b)
	c.log.Info().Msgf("Broker info update callback for %d", id)
	return c.sendUpdateMetadataRequest(cc.liveOrShuttingDownBrokerIDs(), nil)
}

// processLogDirEventNotification: log-dir failure handling (JBOD) is not implemented; the
// notifications are consumed so they do not pile up.
func (c *Controller) processLogDirEventNotification() error {
	if !c.active.Load() {
		return nil
	}
	if _, err := c.childrenW(logDirEventPath, func() event { return &logDirEventNotificationEvent{} }); err != nil {
		return err
	}
	brokers, err := c.zk.ReadAndDeleteLogDirEventNotifications(c.ctx.epochZkVersion)
	if err != nil {
		return err
	}
	if len(brokers) > 0 {
		c.log.Warn().Msgf("Ignoring log dir failure notifications from brokers %s: log directory failure handling is not supported", joinIDs(brokers))
	}
	return nil
}
