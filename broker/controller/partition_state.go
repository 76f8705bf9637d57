package controller

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// PartitionState is Kafka's PartitionState (the byte values are Kafka's).
type PartitionState int8

const (
	NewPartition         PartitionState = 0
	OnlinePartition      PartitionState = 1
	OfflinePartition     PartitionState = 2
	NonExistentPartition PartitionState = 3
)

func (s PartitionState) String() string {
	switch s {
	case NewPartition:
		return "NewPartition"
	case OnlinePartition:
		return "OnlinePartition"
	case OfflinePartition:
		return "OfflinePartition"
	case NonExistentPartition:
		return "NonExistentPartition"
	}
	return fmt.Sprintf("PartitionState(%d)", int8(s))
}

// validPreviousPartitionStates is each target state's validPreviousStates.
func validPreviousPartitionStates(target PartitionState) []PartitionState {
	switch target {
	case NewPartition:
		return []PartitionState{NonExistentPartition}
	case OnlinePartition, OfflinePartition:
		return []PartitionState{NewPartition, OnlinePartition, OfflinePartition}
	case NonExistentPartition:
		return []PartitionState{OfflinePartition}
	}
	return nil
}

func isValidPartitionTransition(from, to PartitionState) bool {
	for _, s := range validPreviousPartitionStates(to) {
		if s == from {
			return true
		}
	}
	return false
}

func partitionStatesString(ss []PartitionState) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.String()
	}
	return strings.Join(out, ",")
}

// errStateChangeFailed is Kafka's StateChangeFailedException.
var errStateChangeFailed = errors.New("controller: state change failed")

// partitionStateMachineStartup: initializePartitionState, then try to bring New and Offline
// partitions online.
func (c *Controller) partitionStateMachineStartup() error {
	cc := c.ctx
	for _, tp := range cc.allPartitions() {
		if li, ok := cc.leadership[tp]; ok {
			if cc.isReplicaOnline(li.Leader, tp, false) {
				cc.partitionStates[tp] = OnlinePartition
			} else {
				cc.partitionStates[tp] = OfflinePartition
			}
		} else {
			cc.partitionStates[tp] = NewPartition
		}
	}
	_, err := c.triggerOnlinePartitionStateChange()
	return err
}

// triggerOnlinePartitionStateChange tries offline election on every New or Offline partition
// of topics not queued for deletion.
func (c *Controller) triggerOnlinePartitionStateChange() (map[zkmeta.TP]error, error) {
	cc := c.ctx
	var tps []zkmeta.TP
	for _, tp := range cc.allPartitions() {
		st := cc.partitionState(tp)
		if (st == NewPartition || st == OfflinePartition) && !cc.topicsToBeDeleted[tp.Topic] {
			tps = append(tps, tp)
		}
	}
	return c.handlePartitionStateChanges(tps, OnlinePartition, offlineElection)
}

// handlePartitionStateChanges moves tps to target and flushes the resulting requests. The map
// holds the outcome of each leader election run (nil = elected); the error is fatal
// (controller moved).
func (c *Controller) handlePartitionStateChanges(tps []zkmeta.TP, target PartitionState, strategy electionStrategy) (map[zkmeta.TP]error, error) {
	if len(tps) == 0 {
		return map[zkmeta.TP]error{}, nil
	}
	res, err := c.doHandlePartitionStateChanges(tps, target, strategy)
	c.batch.sendRequestsToBrokers()
	if err != nil {
		if errors.Is(err, zkmeta.ErrControllerMoved) {
			c.log.Error().Err(err).Msgf("Controller moved to another broker when moving some partitions to %s state", target)
			return nil, err
		}
		c.log.Error().Err(err).Msgf("Error while moving some partitions to %s state", target)
		res = map[zkmeta.TP]error{}
		for _, tp := range tps {
			res[tp] = err
		}
	}
	return res, nil
}

func (c *Controller) doHandlePartitionStateChanges(tps []zkmeta.TP, target PartitionState, strategy electionStrategy) (map[zkmeta.TP]error, error) {
	cc := c.ctx
	var valid []zkmeta.TP
	for _, tp := range tps {
		cur := cc.partitionState(tp)
		if isValidPartitionTransition(cur, target) {
			valid = append(valid, tp)
			continue
		}
		c.logFailedPartitionStateChange(tp, cur, target, fmt.Errorf("%w: Partition %s should be in one of %s states before moving to %s state. Instead it is in %s state",
			errStateChangeFailed, tpString(tp), partitionStatesString(validPreviousPartitionStates(target)), target, cur))
	}
	results := map[zkmeta.TP]error{}
	switch target {
	case NewPartition:
		for _, tp := range valid {
			c.stateChange(zerolog.InfoLevel, "Changed partition %s state from %s to %s with assigned replicas %s",
				tpString(tp), cc.partitionState(tp), target, joinIDs(cc.replicas(tp)))
			cc.partitionStates[tp] = NewPartition
		}
	case OnlinePartition:
		var uninitialized, toElect []zkmeta.TP
		for _, tp := range valid {
			switch cc.partitionState(tp) {
			case NewPartition:
				uninitialized = append(uninitialized, tp)
			case OfflinePartition, OnlinePartition:
				toElect = append(toElect, tp)
			}
		}
		if len(uninitialized) > 0 {
			ok, err := c.initializeLeaderAndIsrForPartitions(uninitialized)
			if err != nil {
				return nil, err
			}
			for _, tp := range ok {
				c.stateChange(zerolog.InfoLevel, "Changed partition %s from %s to %s with state %s",
					tpString(tp), cc.partitionState(tp), target, leaderAndIsrString(cc.leadership[tp]))
				cc.partitionStates[tp] = OnlinePartition
			}
		}
		if len(toElect) > 0 {
			elected, err := c.electLeaderForPartitions(toElect, strategy)
			if err != nil {
				return nil, err
			}
			for _, tp := range toElect {
				if e := elected[tp]; e == nil {
					c.stateChange(zerolog.InfoLevel, "Changed partition %s from %s to %s with state %s",
						tpString(tp), cc.partitionState(tp), target, leaderAndIsrString(cc.leadership[tp]))
					cc.partitionStates[tp] = OnlinePartition
				}
				results[tp] = elected[tp]
			}
		}
	case OfflinePartition, NonExistentPartition:
		for _, tp := range valid {
			c.stateChange(zerolog.TraceLevel, "Changed partition %s state from %s to %s", tpString(tp), cc.partitionState(tp), target)
			if target == NonExistentPartition {
				delete(cc.partitionStates, tp)
			} else {
				cc.partitionStates[tp] = target
			}
		}
	}
	return results, nil
}

func (c *Controller) logFailedPartitionStateChange(tp zkmeta.TP, cur, target PartitionState, cause error) {
	c.stateChange(zerolog.ErrorLevel, "Controller %d epoch %d failed to change state for partition %s from %s to %s: %v",
		c.cfg.BrokerID, c.ctx.epoch, tpString(tp), cur, target, cause)
}

// initializeLeaderAndIsrForPartitions is New -> Online: leader = first live replica, ISR = all
// live replicas, leader_epoch 0, fenced creation of the state znodes, LeaderAndIsr(isNew) to
// the live replicas.
func (c *Controller) initializeLeaderAndIsrForPartitions(tps []zkmeta.TP) ([]zkmeta.TP, error) {
	cc := c.ctx
	states := map[zkmeta.TP]zkmeta.LeaderIsr{}
	var order []zkmeta.TP
	for _, tp := range tps {
		replicas := cc.replicas(tp)
		live := filterIDs(replicas, func(r int32) bool { return cc.isReplicaOnline(r, tp, false) })
		if len(live) == 0 {
			c.logFailedPartitionStateChange(tp, NewPartition, OnlinePartition, fmt.Errorf(
				"%w: Controller %d epoch %d encountered error during state change of partition %s from New to Online, assigned replicas are [%s], live brokers are [%s]. No assigned replica is alive.",
				errStateChangeFailed, c.cfg.BrokerID, cc.epoch, tpString(tp), joinIDs(replicas), joinIDs(cc.liveBrokerIDs())))
			continue
		}
		states[tp] = zkmeta.LeaderIsr{Leader: live[0], LeaderEpoch: 0, ISR: live, ControllerEpoch: cc.epoch}
		order = append(order, tp)
	}
	if len(order) == 0 {
		return nil, nil
	}
	versions, err := c.zk.CreatePartitionStatesFenced(cc.epochZkVersion, states)
	if err != nil && errors.Is(err, zkmeta.ErrControllerMoved) {
		return nil, err
	}
	for _, tp := range order {
		if _, created := versions[tp]; created {
			continue
		}
		cause := err
		if existing, gerr := c.zk.GetPartitionState(tp.Topic, tp.Partition); gerr == nil {
			cause = fmt.Errorf("%w: Encountered error while changing partition %s's state from New to Online since LeaderAndIsr path already exists with value %s and controller epoch %d",
				errStateChangeFailed, tpString(tp), leaderAndIsrString(existing), existing.ControllerEpoch)
		}
		c.logFailedPartitionStateChange(tp, NewPartition, OnlinePartition, cause)
	}
	var ok []zkmeta.TP
	for _, tp := range order {
		v, created := versions[tp]
		if !created {
			continue
		}
		li := states[tp]
		li.ZkVersion = v
		cc.leadership[tp] = li
		a, _ := cc.assignment(tp)
		c.batch.addLeaderAndIsr(li.ISR, tp, li, a, true)
		ok = append(ok, tp)
	}
	return ok, nil
}

// electLeaderForPartitions runs strategy on tps, retrying partitions whose state znode changed
// under us (BADVERSION). The map has one entry per partition: nil when a leader was elected.
func (c *Controller) electLeaderForPartitions(tps []zkmeta.TP, strategy electionStrategy) (map[zkmeta.TP]error, error) {
	results := map[zkmeta.TP]error{}
	remaining := tps
	for attempt := 0; len(remaining) > 0; attempt++ {
		if attempt > 0 {
			c.log.Info().Msgf("Retrying leader election with strategy %s for partitions %s", strategy, joinTPs(remaining))
		}
		retry, err := c.doElectLeaderForPartitions(remaining, strategy, results)
		if err != nil {
			return nil, err
		}
		remaining = retry
	}
	for _, tp := range tps {
		if e := results[tp]; e != nil {
			c.logFailedPartitionStateChange(tp, c.ctx.partitionState(tp), OnlinePartition, e)
		}
	}
	return results, nil
}

func (c *Controller) doElectLeaderForPartitions(tps []zkmeta.TP, strategy electionStrategy, results map[zkmeta.TP]error) ([]zkmeta.TP, error) {
	cc := c.ctx
	states, err := c.zk.GetPartitionStates(tps)
	if err != nil {
		for _, tp := range tps {
			results[tp] = err
		}
		return nil, nil
	}
	var retry []zkmeta.TP
	uncleanByTopic := map[string]bool{}
	for _, tp := range tps {
		cur, ok := states[tp]
		if !ok {
			results[tp] = fmt.Errorf("%w: LeaderAndIsr information doesn't exist for partition %s in %s state",
				errStateChangeFailed, tpString(tp), cc.partitionState(tp))
			continue
		}
		if cur.ControllerEpoch > cc.epoch {
			results[tp] = fmt.Errorf("%w: Aborted leader election for partition %s since the LeaderAndIsr path was already written by another controller. This probably means that the current controller %d went through a soft failure and another controller was elected with epoch %d.",
				errStateChangeFailed, tpString(tp), c.cfg.BrokerID, cur.ControllerEpoch)
			continue
		}
		a, _ := cc.assignment(tp)
		in := electionInput{
			assignment:     a,
			current:        cur,
			live:           func(r int32) bool { return cc.isReplicaOnline(r, tp, false) },
			liveOrShutting: func(r int32) bool { return cc.isReplicaOnline(r, tp, true) },
			shuttingDown:   func(r int32) bool { return cc.shuttingDown[r] },
		}
		if strategy == offlineElection && len(filterIDs(cur.ISR, in.live)) == 0 {
			u, seen := uncleanByTopic[tp.Topic]
			if !seen {
				u = c.uncleanLeaderElectionEnabled(tp.Topic)
				uncleanByTopic[tp.Topic] = u
			}
			in.uncleanEnabled = u
		}
		res := electLeader(tp, strategy, in)
		if res.newState == nil {
			results[tp] = fmt.Errorf("%w: Failed to elect leader for partition %s under strategy %s",
				errStateChangeFailed, tpString(tp), strategy)
			continue
		}
		ns := *res.newState
		ns.ControllerEpoch = cc.epoch
		if !contains(cur.ISR, ns.Leader) {
			c.log.Warn().Msgf("Unclean leader election. Partition %s has been assigned leader %d from deposed leader %d.", tpString(tp), ns.Leader, cur.Leader)
		}
		v, err := c.zk.UpdatePartitionState(cc.epochZkVersion, tp, ns)
		if err != nil {
			switch {
			case errors.Is(err, zkmeta.ErrControllerMoved):
				return nil, err
			case isBadVersion(err):
				retry = append(retry, tp)
			default:
				results[tp] = err
			}
			continue
		}
		ns.ZkVersion = v
		cc.leadership[tp] = ns
		c.batch.addLeaderAndIsr(res.recipients, tp, ns, a, false)
		results[tp] = nil
	}
	return retry, nil
}

// uncleanLeaderElectionEnabled reads the topic override from /config/topics, falling back to
// the broker default.
func (c *Controller) uncleanLeaderElectionEnabled(topic string) bool {
	cfg, err := c.zk.GetEntityConfig("topics", topic)
	if err == nil {
		if v, ok := cfg["unclean.leader.election.enable"]; ok {
			return strings.EqualFold(strings.TrimSpace(v), "true")
		}
	}
	return c.cfg.UncleanLeaderElectionEnable
}
