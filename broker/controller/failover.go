package controller

import (
	"errors"
	"time"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// onControllerFailover is §2.3: everything a newly elected controller does, in Kafka's order.
func (c *Controller) onControllerFailover() error {
	c.mutedTopicWatch = map[string]bool{}
	c.batch = newRequestBatch(c)
	c.channels = newChannelManager(c)

	if _, err := c.zk.EnsureFeatureZNode(); err != nil {
		return err
	}
	// Child and exists watches (Kafka registers the handlers first; the reads below arm them).
	if _, err := c.existsW(preferredElectionPath, func() event { return &preferredReplicaElectionEvent{} }); err != nil {
		return err
	}
	if _, err := c.existsW(reassignPartitionPath, func() event { return &zkPartitionReassignmentEvent{} }); err != nil {
		return err
	}
	c.log.Info().Msg("Deleting log dir event notifications")
	if _, err := c.childrenW(logDirEventPath, func() event { return &logDirEventNotificationEvent{} }); err != nil && !isNoNode(err) {
		return err
	}
	if _, err := c.zk.ReadAndDeleteLogDirEventNotifications(c.ctx.epochZkVersion); err != nil {
		return err
	}
	c.log.Info().Msg("Deleting isr change notifications")
	if _, err := c.childrenW(isrChangePath, func() event { return &isrChangeNotificationEvent{} }); err != nil && !isNoNode(err) {
		return err
	}
	if _, err := c.zk.ReadAndDeleteIsrChangeNotifications(c.ctx.epochZkVersion); err != nil && !isNoNode(err) {
		return err
	}

	c.log.Info().Msg("Initializing controller context")
	if err := c.initializeControllerContext(); err != nil {
		return err
	}

	c.log.Info().Msg("Fetching topic deletions in progress")
	toDelete, ineligible, err := c.fetchTopicDeletionsInProgress()
	if err != nil {
		return err
	}
	c.log.Info().Msg("Initializing topic deletion manager")
	if err := c.initTopicDeletion(toDelete, ineligible); err != nil {
		return err
	}

	c.log.Info().Msg("Sending update metadata request")
	if err := c.sendUpdateMetadataRequest(c.ctx.liveOrShuttingDownBrokerIDs(), nil); err != nil {
		return err
	}

	if err := c.replicaStateMachineStartup(); err != nil {
		return err
	}
	if err := c.partitionStateMachineStartup(); err != nil {
		return err
	}
	c.log.Info().Msgf("Ready to serve as the new controller with epoch %d", c.ctx.epoch)

	if err := c.initializePartitionReassignments(); err != nil {
		return err
	}
	if err := c.resumeDeletions(); err != nil {
		return err
	}
	pending, err := c.fetchPendingPreferredReplicaElections()
	if err != nil {
		return err
	}
	if err := c.onReplicaElection(pending, preferredElection, triggerZk); err != nil {
		return err
	}
	c.log.Info().Msg("Starting the controller scheduler")
	if c.cfg.AutoLeaderRebalanceEnable {
		c.scheduleAutoLeaderRebalance(c.firstRebalanceDelay)
	}
	return nil
}

func (c *Controller) initializeControllerContext() error {
	cc := c.ctx
	if _, err := c.childrenW(brokerIDsPath, func() event { return &brokerChangeEvent{} }); err != nil {
		return err
	}
	brokers, err := c.zk.GetAllBrokers()
	if err != nil {
		return err
	}
	for _, b := range brokers {
		cc.liveBrokers[b.ID] = b
	}
	for _, b := range brokers {
		if err := c.watchBroker(b.ID); err != nil {
			return err
		}
	}
	topics, err := c.childrenW(topicsPath, func() event { return &topicChangeEvent{} })
	if err != nil {
		return err
	}
	for _, t := range topics {
		cc.allTopics[t] = true
		if err := c.watchTopic(t); err != nil {
			return err
		}
	}
	var tps []zkmeta.TP
	for _, t := range topics {
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
		if err := c.processTopicID(&a); err != nil {
			return err
		}
		for p, replicas := range a.Partitions {
			tp := zkmeta.TP{Topic: t, Partition: p}
			ra := replicaAssignment{replicas: replicas, adding: a.Adding[p], removing: a.Removing[p]}
			cc.setAssignment(tp, ra)
			if ra.isBeingReassigned() {
				cc.partitionsBeingReassigned[tp] = true
			}
			tps = append(tps, tp)
		}
	}
	if err := c.updateLeaderAndIsrCache(tps); err != nil {
		return err
	}
	for _, id := range cc.liveOrShuttingDownBrokerIDs() {
		c.channels.addBroker(cc.liveBrokers[id])
	}
	c.log.Info().Msgf("Initialized broker epochs cache: %s", c.brokerEpochsString())
	return nil
}

// processTopicID gives a topic znode without topic_id a fresh one (IBP >= 2.8-IV0).
func (c *Controller) processTopicID(a *zkmeta.TopicAssignment) error {
	if a.TopicID == "" {
		a.TopicID = zkmeta.NewTopicID()
		v, err := c.zk.SetTopicAssignmentFenced(c.ctx.epochZkVersion, *a)
		if err != nil {
			return err
		}
		a.ZkVersion = v
		c.log.Info().Msgf("Assigned topic id %s to topic %s", a.TopicID, a.Topic)
	}
	c.ctx.topicIDs[a.Topic] = a.TopicID
	return nil
}

// updateLeaderAndIsrCache reloads leader/ISR for tps from their state znodes.
func (c *Controller) updateLeaderAndIsrCache(tps []zkmeta.TP) error {
	if len(tps) == 0 {
		return nil
	}
	states, err := c.zk.GetPartitionStates(tps)
	if err != nil {
		return err
	}
	for tp, li := range states {
		c.ctx.leadership[tp] = li
	}
	return nil
}

func (c *Controller) watchBroker(id int32) error {
	_, err := c.existsW(brokerPath(id), func() event { return &brokerModificationsEvent{brokerID: id} })
	return err
}

func (c *Controller) watchTopic(topic string) error {
	delete(c.mutedTopicWatch, topic)
	_, err := c.existsW(topicPath(topic), func() event { return &partitionModificationsEvent{topic: topic} })
	return err
}

// onControllerResignation undoes failover: watches, timers, channels, context.
func (c *Controller) onControllerResignation() {
	c.log.Debug().Msg("Resigning")
	c.unwatchAll()
	if c.rebalanceTimer != nil {
		c.rebalanceTimer.Stop()
		c.rebalanceTimer = nil
	}
	if c.channels != nil {
		c.channels.shutdown()
		c.channels = nil
	}
	c.batch = nil
	c.active.Store(false)
	epoch := c.ctx.epoch
	c.ctx = newControllerContext()
	c.ctx.epoch = epoch
	c.log.Info().Msg("Resigned")
}

func (c *Controller) scheduleAutoLeaderRebalance(delay time.Duration) {
	if c.rebalanceTimer != nil {
		c.rebalanceTimer.Stop()
	}
	gen := c.watchGen.Load()
	c.rebalanceTimer = time.AfterFunc(delay, func() {
		if c.watchGen.Load() == gen {
			c.queue.put(&autoPreferredReplicaLeaderElectionEvent{})
		}
	})
}

func (c *Controller) brokerEpochsString() string {
	s := "Map("
	for i, id := range c.ctx.liveOrShuttingDownBrokerIDs() {
		if i > 0 {
			s += ", "
		}
		s += itoa(id) + " -> " + itoa64(c.ctx.liveBrokers[id].Epoch)
	}
	return s + ")"
}
