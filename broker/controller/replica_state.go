package controller

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// ReplicaState is Kafka's ReplicaState.
type ReplicaState int8

const (
	NewReplica                ReplicaState = 1
	OnlineReplica             ReplicaState = 2
	OfflineReplica            ReplicaState = 3
	ReplicaDeletionStarted    ReplicaState = 4
	ReplicaDeletionSuccessful ReplicaState = 5
	ReplicaDeletionIneligible ReplicaState = 6
	NonExistentReplica        ReplicaState = 7
)

func (s ReplicaState) String() string {
	switch s {
	case NewReplica:
		return "NewReplica"
	case OnlineReplica:
		return "OnlineReplica"
	case OfflineReplica:
		return "OfflineReplica"
	case ReplicaDeletionStarted:
		return "ReplicaDeletionStarted"
	case ReplicaDeletionSuccessful:
		return "ReplicaDeletionSuccessful"
	case ReplicaDeletionIneligible:
		return "ReplicaDeletionIneligible"
	case NonExistentReplica:
		return "NonExistentReplica"
	}
	return fmt.Sprintf("ReplicaState(%d)", int8(s))
}

func validPreviousReplicaStates(target ReplicaState) []ReplicaState {
	switch target {
	case NewReplica:
		return []ReplicaState{NonExistentReplica}
	case OnlineReplica, OfflineReplica:
		return []ReplicaState{NewReplica, OnlineReplica, OfflineReplica, ReplicaDeletionIneligible}
	case ReplicaDeletionStarted:
		return []ReplicaState{OfflineReplica}
	case ReplicaDeletionSuccessful:
		return []ReplicaState{ReplicaDeletionStarted}
	case ReplicaDeletionIneligible:
		return []ReplicaState{OfflineReplica, ReplicaDeletionStarted}
	case NonExistentReplica:
		return []ReplicaState{ReplicaDeletionSuccessful}
	}
	return nil
}

func isValidReplicaTransition(from, to ReplicaState) bool {
	for _, s := range validPreviousReplicaStates(to) {
		if s == from {
			return true
		}
	}
	return false
}

func replicaStatesString(ss []ReplicaState) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.String()
	}
	return strings.Join(out, ",")
}

// replicaStateMachineStartup: replicas on live brokers -> OnlineReplica (LeaderAndIsr with the
// current state to each), the others -> OfflineReplica.
func (c *Controller) replicaStateMachineStartup() error {
	cc := c.ctx
	var online, offline []partitionReplica
	for _, tp := range cc.allPartitions() {
		for _, r := range cc.replicas(tp) {
			pr := partitionReplica{tp, r}
			if cc.isReplicaOnline(r, tp, false) {
				cc.replicaStates[pr] = OnlineReplica
				online = append(online, pr)
			} else {
				cc.replicaStates[pr] = ReplicaDeletionIneligible
				offline = append(offline, pr)
			}
		}
	}
	if err := c.handleReplicaStateChanges(online, OnlineReplica); err != nil {
		return err
	}
	return c.handleReplicaStateChanges(offline, OfflineReplica)
}

// handleReplicaStateChanges moves replicas to target, grouped by broker as Kafka does, and
// flushes the requests. Only a fatal error (controller moved) is returned.
func (c *Controller) handleReplicaStateChanges(replicas []partitionReplica, target ReplicaState) error {
	if len(replicas) == 0 {
		return nil
	}
	byBroker := map[int32][]partitionReplica{}
	for _, r := range replicas {
		byBroker[r.replica] = append(byBroker[r.replica], r)
	}
	var err error
	for _, id := range sortedBrokerKeys(byBroker) {
		if err = c.doHandleReplicaStateChanges(id, byBroker[id], target); err != nil {
			break
		}
	}
	c.batch.sendRequestsToBrokers()
	if err != nil {
		if errors.Is(err, zkmeta.ErrControllerMoved) {
			c.log.Error().Err(err).Msgf("Controller moved to another broker when moving some replicas to %s state", target)
			return err
		}
		c.log.Error().Err(err).Msgf("Error while moving some replicas to %s state", target)
	}
	return nil
}

func (c *Controller) logSuccessfulReplicaTransition(r partitionReplica, from, to ReplicaState) {
	c.stateChange(zerolog.TraceLevel, "Changed state of replica %d for partition %s from %s to %s", r.replica, tpString(r.tp), from, to)
}

func (c *Controller) logFailedReplicaStateChange(r partitionReplica, from, to ReplicaState, cause error) {
	c.stateChange(zerolog.ErrorLevel, "Controller %d epoch %d initiated state change of replica %d for partition %s from %s to %s failed: %v",
		c.cfg.BrokerID, c.ctx.epoch, r.replica, tpString(r.tp), from, to, cause)
}

func (c *Controller) doHandleReplicaStateChanges(replicaID int32, replicas []partitionReplica, target ReplicaState) error {
	cc := c.ctx
	var valid []partitionReplica
	for _, r := range replicas {
		cur := cc.replicaState(r)
		if _, ok := cc.replicaStates[r]; !ok {
			cc.replicaStates[r] = NonExistentReplica
		}
		if isValidReplicaTransition(cur, target) {
			valid = append(valid, r)
			continue
		}
		c.logFailedReplicaStateChange(r, cur, target, fmt.Errorf("%w: Replica %s should be in the %s states before moving to %s state. Instead it is in %s state",
			errStateChangeFailed, r, replicaStatesString(validPreviousReplicaStates(target)), target, cur))
	}
	switch target {
	case NewReplica:
		for _, r := range valid {
			cur := cc.replicaState(r)
			if li, ok := cc.leadership[r.tp]; ok {
				if li.Leader == replicaID {
					c.logFailedReplicaStateChange(r, cur, NewReplica, fmt.Errorf("%w: Replica %d for partition %s cannot be moved to NewReplica state as it is being requested to become leader",
						errStateChangeFailed, replicaID, tpString(r.tp)))
					continue
				}
				a, _ := cc.assignment(r.tp)
				c.batch.addLeaderAndIsr([]int32{replicaID}, r.tp, li, a, true)
			}
			c.logSuccessfulReplicaTransition(r, cur, NewReplica)
			cc.replicaStates[r] = NewReplica
		}
	case OnlineReplica:
		for _, r := range valid {
			cur := cc.replicaState(r)
			if cur == NewReplica {
				a, _ := cc.assignment(r.tp)
				if !contains(a.replicas, replicaID) {
					a.replicas = append(append([]int32{}, a.replicas...), replicaID)
					cc.setAssignment(r.tp, a)
				}
			} else if li, ok := cc.leadership[r.tp]; ok {
				a, _ := cc.assignment(r.tp)
				c.batch.addLeaderAndIsr([]int32{replicaID}, r.tp, li, a, false)
			}
			c.logSuccessfulReplicaTransition(r, cur, OnlineReplica)
			cc.replicaStates[r] = OnlineReplica
		}
	case OfflineReplica:
		for _, r := range valid {
			c.batch.addStopReplica([]int32{replicaID}, r.tp, false)
		}
		var withLeadership, without []partitionReplica
		for _, r := range valid {
			if _, ok := cc.leadership[r.tp]; ok {
				withLeadership = append(withLeadership, r)
			} else {
				without = append(without, r)
			}
		}
		tps := make([]zkmeta.TP, len(withLeadership))
		for i, r := range withLeadership {
			tps[i] = r.tp
		}
		updated, err := c.removeReplicasFromIsr(replicaID, tps)
		if err != nil {
			return err
		}
		for _, r := range withLeadership {
			li, ok := updated[r.tp]
			if !ok {
				continue
			}
			c.stateChange(zerolog.InfoLevel, "Partition %s state changed to %s after removing replica %d from the ISR as part of transition to %s",
				tpString(r.tp), leaderIsrAndEpochString(li), replicaID, OfflineReplica)
			if !cc.topicsToBeDeleted[r.tp.Topic] {
				a, _ := cc.assignment(r.tp)
				c.batch.addLeaderAndIsr(without1(a.replicas, replicaID), r.tp, li, a, false)
			}
			c.logSuccessfulReplicaTransition(r, cc.replicaState(r), OfflineReplica)
			cc.replicaStates[r] = OfflineReplica
		}
		for _, r := range without {
			c.batch.addUpdateMetadata(cc.liveOrShuttingDownBrokerIDs(), []zkmeta.TP{r.tp})
			c.logSuccessfulReplicaTransition(r, cc.replicaState(r), OfflineReplica)
			cc.replicaStates[r] = OfflineReplica
		}
	case ReplicaDeletionStarted:
		for _, r := range valid {
			c.batch.addStopReplica([]int32{replicaID}, r.tp, true)
			c.logSuccessfulReplicaTransition(r, cc.replicaState(r), target)
			cc.replicaStates[r] = target
		}
	case ReplicaDeletionIneligible, ReplicaDeletionSuccessful:
		for _, r := range valid {
			c.logSuccessfulReplicaTransition(r, cc.replicaState(r), target)
			cc.replicaStates[r] = target
		}
	case NonExistentReplica:
		for _, r := range valid {
			cur := cc.replicaState(r)
			if a, ok := cc.assignment(r.tp); ok {
				a.replicas = without1(a.replicas, replicaID)
				a.adding = without1(a.adding, replicaID)
				a.removing = without1(a.removing, replicaID)
				cc.setAssignment(r.tp, a)
			}
			c.logSuccessfulReplicaTransition(r, cur, NonExistentReplica)
			delete(cc.replicaStates, r)
		}
	}
	return nil
}

func without1(ids []int32, id int32) []int32 { return without(ids, id) }

// removeReplicasFromIsr shrinks the ISR of tps in ZooKeeper for a replica going offline: the
// replica leaves the ISR unless it is the last member, loses leadership (leader -1) if it led,
// and leader_epoch is bumped. Partitions whose ISR does not contain it are returned unchanged.
func (c *Controller) removeReplicasFromIsr(replicaID int32, tps []zkmeta.TP) (map[zkmeta.TP]zkmeta.LeaderIsr, error) {
	cc := c.ctx
	out := map[zkmeta.TP]zkmeta.LeaderIsr{}
	remaining := tps
	for len(remaining) > 0 {
		states, err := c.zk.GetPartitionStates(remaining)
		if err != nil {
			return out, err
		}
		var retry []zkmeta.TP
		for _, tp := range remaining {
			cur, ok := states[tp]
			if !ok {
				if !cc.topicsToBeDeleted[tp.Topic] {
					c.logFailedReplicaStateChange(partitionReplica{tp, replicaID}, cc.replicaState(partitionReplica{tp, replicaID}), OfflineReplica,
						fmt.Errorf("%w: Failed to change state of replica %d for partition %s since the leader and isr path in zookeeper is empty",
							errStateChangeFailed, replicaID, tpString(tp)))
				}
				continue
			}
			if cur.ControllerEpoch > cc.epoch {
				c.logFailedReplicaStateChange(partitionReplica{tp, replicaID}, cc.replicaState(partitionReplica{tp, replicaID}), OfflineReplica,
					fmt.Errorf("%w: Leader and isr path written by another controller. This probably means the current controller with epoch %d went through a soft failure and another controller was elected with epoch %d. Aborting state change by this controller",
						errStateChangeFailed, cc.epoch, cur.ControllerEpoch))
				continue
			}
			if !contains(cur.ISR, replicaID) {
				cc.leadership[tp] = cur
				out[tp] = cur
				continue
			}
			ns := cur
			if cur.Leader == replicaID {
				ns.Leader = noLeader
			}
			if len(cur.ISR) > 1 {
				ns.ISR = without1(cur.ISR, replicaID)
			}
			ns.LeaderEpoch = cur.LeaderEpoch + 1
			ns.ControllerEpoch = cc.epoch
			v, err := c.zk.UpdatePartitionState(cc.epochZkVersion, tp, ns)
			if err != nil {
				switch {
				case errors.Is(err, zkmeta.ErrControllerMoved):
					return out, err
				case isBadVersion(err):
					retry = append(retry, tp)
				default:
					c.logFailedReplicaStateChange(partitionReplica{tp, replicaID}, cc.replicaState(partitionReplica{tp, replicaID}), OfflineReplica, err)
				}
				continue
			}
			ns.ZkVersion = v
			cc.leadership[tp] = ns
			out[tp] = ns
		}
		remaining = retry
	}
	return out, nil
}
