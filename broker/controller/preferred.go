package controller

import (
	"errors"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// electionTrigger is Kafka's ElectionTrigger.
type electionTrigger int

const (
	triggerZk electionTrigger = iota
	triggerAuto
	triggerAdminClient
)

func (t electionTrigger) String() string {
	switch t {
	case triggerZk:
		return "ZkTriggered"
	case triggerAuto:
		return "AutoTriggered"
	}
	return "AdminClientTriggered"
}

// fetchPendingPreferredReplicaElections reads /admin/preferred_replica_election, keeping the
// partitions whose leader is not yet the preferred replica.
func (c *Controller) fetchPendingPreferredReplicaElections() ([]zkmeta.TP, error) {
	tps, err := c.readPreferredReplicaElection()
	if err != nil || len(tps) == 0 {
		return nil, err
	}
	cc := c.ctx
	var pending []zkmeta.TP
	for _, tp := range tps {
		li, ok := cc.leadership[tp]
		replicas := cc.replicas(tp)
		if !ok || len(replicas) == 0 || cc.topicsToBeDeleted[tp.Topic] {
			continue
		}
		if li.Leader != replicas[0] {
			pending = append(pending, tp)
		}
	}
	c.log.Info().Msgf("Partitions undergoing preferred replica election: %s", joinTPs(pending))
	return pending, nil
}

func (c *Controller) readPreferredReplicaElection() ([]zkmeta.TP, error) {
	tps, err := c.zk.GetPreferredReplicaElection()
	if err != nil {
		if isNoNode(err) {
			return nil, nil
		}
		if errors.Is(err, zkmeta.ErrBadData) {
			c.log.Error().Err(err).Msg("Invalid preferred replica election data")
			return nil, nil
		}
		return nil, err
	}
	var out []zkmeta.TP
	seen := map[zkmeta.TP]bool{}
	for _, tp := range tps {
		if !seen[tp] {
			seen[tp] = true
			out = append(out, tp)
		}
	}
	return out, nil
}

// processPreferredReplicaElection: /admin/preferred_replica_election was created.
func (c *Controller) processPreferredReplicaElection() error {
	if !c.active.Load() {
		return nil
	}
	exists, err := c.existsW(preferredElectionPath, func() event { return &preferredReplicaElectionEvent{} })
	if err != nil || !exists {
		return err
	}
	tps, err := c.readPreferredReplicaElection()
	if err != nil {
		return err
	}
	cc := c.ctx
	var electable []zkmeta.TP
	for _, tp := range tps {
		replicas := cc.replicas(tp)
		li, ok := cc.leadership[tp]
		switch {
		case len(replicas) == 0:
			c.log.Info().Msgf("Skipping replica leader election (PREFERRED) for partition %s by %s since it doesn't exist.", tpString(tp), triggerZk)
		case cc.topicsToBeDeleted[tp.Topic]:
			c.log.Warn().Msgf("Skipping replica leader election (PREFERRED) for partitions %s by %s since the respective topics are being deleted", tpString(tp), triggerZk)
		case ok && li.Leader != replicas[0]:
			electable = append(electable, tp)
		}
	}
	if len(electable) == 0 {
		// onReplicaElection deletes the node; with nothing to elect we still must.
		return c.removePartitionsFromPreferredReplicaElection(nil, false)
	}
	return c.onReplicaElection(electable, preferredElection, triggerZk)
}

// onReplicaElection runs a leader election for partitions and, unless the admin API asked,
// clears the ZooKeeper request afterwards.
func (c *Controller) onReplicaElection(tps []zkmeta.TP, strategy electionStrategy, trigger electionTrigger) error {
	if len(tps) == 0 && trigger != triggerZk {
		return nil
	}
	if len(tps) > 0 {
		c.log.Info().Msgf("Starting replica leader election (%s) for partitions %s triggered by %s", electionTypeName(strategy), joinTPs(tps), trigger)
	}
	results, err := c.handlePartitionStateChanges(tps, OnlinePartition, strategy)
	if err != nil {
		return err
	}
	if trigger != triggerAdminClient {
		for _, tp := range tps {
			if e := results[tp]; e != nil {
				c.log.Error().Err(e).Msgf("Error completing replica leader election (%s) for partition %s", electionTypeName(strategy), tpString(tp))
			}
		}
		if len(tps) > 0 || trigger == triggerZk {
			return c.removePartitionsFromPreferredReplicaElection(tps, trigger == triggerAuto)
		}
	}
	return nil
}

func electionTypeName(s electionStrategy) string {
	if s == preferredElection {
		return "PREFERRED"
	}
	return "UNCLEAN"
}

func (c *Controller) removePartitionsFromPreferredReplicaElection(tps []zkmeta.TP, auto bool) error {
	cc := c.ctx
	for _, tp := range tps {
		replicas := cc.replicas(tp)
		li, ok := cc.leadership[tp]
		if !ok || len(replicas) == 0 {
			continue
		}
		if li.Leader == replicas[0] {
			c.log.Info().Msgf("Partition %s completed preferred replica leader election. New leader is %d", tpString(tp), replicas[0])
		} else {
			c.log.Warn().Msgf("Partition %s failed to complete preferred replica leader election to %d. Leader is still %d", tpString(tp), replicas[0], li.Leader)
		}
	}
	if auto {
		return nil
	}
	exists, _, err := c.zk.Exists(preferredElectionPath)
	if err != nil {
		return err
	}
	if exists {
		if err := c.zk.DeletePreferredReplicaElectionFenced(c.ctx.epochZkVersion); err != nil && !isNoNode(err) {
			return err
		}
	}
	// Re-arm the exists watch so that the next request is seen.
	_, err = c.existsW(preferredElectionPath, func() event { return &preferredReplicaElectionEvent{} })
	return err
}

// processAutoPreferredReplicaLeaderElection is the periodic leader-imbalance check (§2.10).
func (c *Controller) processAutoPreferredReplicaLeaderElection() error {
	if !c.active.Load() {
		return nil
	}
	defer c.scheduleAutoLeaderRebalance(c.cfg.LeaderImbalanceCheckInterval)
	return c.checkAndTriggerAutoLeaderRebalance()
}

func (c *Controller) checkAndTriggerAutoLeaderRebalance() error {
	cc := c.ctx
	byPreferred := map[int32][]zkmeta.TP{}
	for _, tp := range cc.allPartitions() {
		replicas := cc.replicas(tp)
		if cc.topicsToBeDeleted[tp.Topic] || len(replicas) == 0 {
			continue
		}
		byPreferred[replicas[0]] = append(byPreferred[replicas[0]], tp)
	}
	threshold := float64(c.cfg.LeaderImbalancePerBrokerPercentage) / 100
	for _, broker := range sortedBrokerKeys(byPreferred) {
		tps := byPreferred[broker]
		var notPreferred []zkmeta.TP
		for _, tp := range tps {
			if li, ok := cc.leadership[tp]; ok && li.Leader != broker {
				notPreferred = append(notPreferred, tp)
			}
		}
		ratio := float64(len(notPreferred)) / float64(len(tps))
		c.log.Trace().Msgf("Leader imbalance ratio for broker %d is %v", broker, ratio)
		if ratio <= threshold {
			continue
		}
		var candidates []zkmeta.TP
		for _, tp := range notPreferred {
			li := cc.leadership[tp]
			if cc.isReplicaOnline(broker, tp, false) && len(cc.partitionsBeingReassigned) == 0 &&
				!cc.topicsToBeDeleted[tp.Topic] && cc.allTopics[tp.Topic] && contains(li.ISR, broker) {
				candidates = append(candidates, tp)
			}
		}
		if err := c.onReplicaElection(candidates, preferredElection, triggerAuto); err != nil {
			return err
		}
	}
	return nil
}
