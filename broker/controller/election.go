package controller

import (
	"errors"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// ---- controller election (§2.1) ----

func (c *Controller) processStartup() error {
	if err := c.watchControllerNode(); err != nil {
		return err
	}
	return c.elect()
}

// processReelect follows /controller deletion or a new ZooKeeper session.
func (c *Controller) processReelect() error {
	if err := c.maybeResign(); err != nil {
		return err
	}
	return c.elect()
}

func (c *Controller) processControllerChange() error {
	return c.maybeResign()
}

// processExpire: the session that owned our /controller node is gone.
func (c *Controller) processExpire(seq uint64) {
	if c.active.Load() && c.electedAfterExpiry >= seq {
		// This term was won on the session that replaced the expired one.
		c.log.Debug().Msgf("Ignoring expiry %d announced before the current term", seq)
		return
	}
	c.forgetAllWatches()
	c.activeID.Store(-1)
	if c.active.Load() {
		c.onControllerResignation()
	}
}

func (c *Controller) processShutdown() {
	if c.active.Load() {
		c.activeID.Store(-1)
		c.onControllerResignation()
	}
}

// maybeResign re-arms the /controller watch, reads who is controller, and resigns if this
// broker was active and no longer is.
func (c *Controller) maybeResign() error {
	wasActive := c.active.Load()
	werr := c.watchControllerNode()
	id, err := c.zk.GetControllerID()
	if err != nil {
		return err
	}
	c.activeID.Store(id)
	if wasActive && id != c.cfg.BrokerID {
		c.onControllerResignation()
	}
	return werr
}

func (c *Controller) elect() error {
	id, err := c.zk.GetControllerID()
	if err != nil {
		return err
	}
	c.activeID.Store(id)
	if id != -1 {
		c.log.Debug().Msgf("Broker %d has been elected as the controller, so stopping the election process.", id)
		if id == c.cfg.BrokerID && !c.active.Load() {
			// /controller names us but we are not acting as controller (e.g. a lost response
			// in an earlier term); let the cluster re-elect cleanly.
			_, zkv, err := c.zk.GetControllerEpoch()
			if err == nil {
				_ = c.zk.DeleteControllerFenced(zkv)
			}
		}
		return nil
	}
	won, epoch, zkVersion, err := c.zk.TryElect(c.cfg.BrokerID)
	if err != nil {
		if errors.Is(err, zkmeta.ErrControllerMoved) {
			return c.maybeResign()
		}
		// Not controller yet, so there is nothing to hand over; the loop retries the election.
		c.log.Error().Err(err).Msg("Error while electing or becoming controller on broker " + itoa(c.cfg.BrokerID))
		return err
	}
	if !won {
		id, err := c.zk.GetControllerID()
		if err == nil {
			c.activeID.Store(id)
			if id == -1 {
				c.log.Warn().Msg("A controller has been elected but just resigned, this will result in another round of election")
			}
		}
		return nil
	}
	c.electedAfterExpiry = c.expiries.Load()
	c.ctx = newControllerContext()
	c.ctx.epoch = epoch
	c.ctx.epochZkVersion = zkVersion
	c.epoch.Store(epoch)
	c.activeID.Store(c.cfg.BrokerID)
	c.active.Store(true)
	c.log.Info().Msgf("%d successfully elected as the controller. Epoch incremented to %d and epoch zk version is now %d",
		c.cfg.BrokerID, epoch, zkVersion)
	if err := c.onControllerFailover(); err != nil {
		if errors.Is(err, zkmeta.ErrControllerMoved) {
			return err
		}
		c.log.Error().Err(err).Msg("Error while electing or becoming controller on broker " + itoa(c.cfg.BrokerID))
		c.triggerControllerMove()
	}
	return nil
}

// triggerControllerMove is handleIllegalState's way out: resign and delete /controller
// (fenced) so that another broker takes over.
func (c *Controller) triggerControllerMove() {
	id, err := c.zk.GetControllerID()
	if err == nil {
		c.activeID.Store(id)
	}
	if !c.active.Load() || (err == nil && id != c.cfg.BrokerID) {
		if c.active.Load() {
			c.onControllerResignation()
		}
		c.log.Warn().Msg("Controller has already moved when trying to trigger controller movement")
		return
	}
	expected := c.ctx.epochZkVersion
	c.activeID.Store(-1)
	c.onControllerResignation()
	if err := c.zk.DeleteControllerFenced(expected); err != nil {
		c.log.Warn().Err(err).Msg("Controller has already moved when trying to trigger controller movement")
	}
}

// ---- leader election algorithms (§2.5, PartitionLeaderElectionAlgorithms) ----
// Pure functions over ordered replica lists; live holds the brokers that count as alive for
// the strategy.

// offlinePartitionLeaderElection: the first assigned replica that is live and in the ISR; if
// none and unclean election is allowed, the first live assigned replica (unclean=true).
func offlinePartitionLeaderElection(assignment, isr []int32, live func(int32) bool, uncleanEnabled bool) (leader int32, ok, unclean bool) {
	for _, r := range assignment {
		if live(r) && contains(isr, r) {
			return r, true, false
		}
	}
	if uncleanEnabled {
		for _, r := range assignment {
			if live(r) {
				return r, true, true
			}
		}
	}
	return -1, false, false
}

// reassignPartitionLeaderElection: the first target replica that is live and in the ISR.
func reassignPartitionLeaderElection(target, isr []int32, live func(int32) bool) (int32, bool) {
	for _, r := range target {
		if live(r) && contains(isr, r) {
			return r, true
		}
	}
	return -1, false
}

// preferredReplicaPartitionLeaderElection: the first assigned replica, only if live and in ISR.
func preferredReplicaPartitionLeaderElection(assignment, isr []int32, live func(int32) bool) (int32, bool) {
	if len(assignment) == 0 {
		return -1, false
	}
	r := assignment[0]
	if live(r) && contains(isr, r) {
		return r, true
	}
	return -1, false
}

// controlledShutdownPartitionLeaderElection: the first assigned replica that is live (or
// shutting down), in the ISR and not shutting down.
func controlledShutdownPartitionLeaderElection(assignment, isr []int32, liveOrShuttingDown func(int32) bool, shuttingDown func(int32) bool) (int32, bool) {
	for _, r := range assignment {
		if liveOrShuttingDown(r) && contains(isr, r) && !shuttingDown(r) {
			return r, true
		}
	}
	return -1, false
}

// electionStrategy selects one of the algorithms above (PartitionLeaderElectionStrategy).
type electionStrategy int

const (
	offlineElection electionStrategy = iota
	offlineUncleanAllowedElection
	reassignElection
	preferredElection
	controlledShutdownElection
)

func (s electionStrategy) String() string {
	switch s {
	case offlineElection:
		return "OfflinePartitionLeaderElectionStrategy(false)"
	case offlineUncleanAllowedElection:
		return "OfflinePartitionLeaderElectionStrategy(true)"
	case reassignElection:
		return "ReassignPartitionLeaderElectionStrategy"
	case preferredElection:
		return "PreferredReplicaPartitionLeaderElectionStrategy"
	default:
		return "ControlledShutdownPartitionLeaderElectionStrategy"
	}
}

// electionResult is Kafka's ElectionResult: the new state (if a leader was found) and who
// must receive LeaderAndIsr.
type electionResult struct {
	tp         zkmeta.TP
	newState   *zkmeta.LeaderIsr
	recipients []int32
}

// electionInput is what one partition's election needs from the controller context.
type electionInput struct {
	assignment     replicaAssignment
	current        zkmeta.LeaderIsr
	live           func(int32) bool // live, not shutting down
	liveOrShutting func(int32) bool
	shuttingDown   func(int32) bool
	uncleanEnabled bool
}

// electLeader runs one strategy for one partition; a successful election bumps leader_epoch.
func electLeader(tp zkmeta.TP, s electionStrategy, in electionInput) electionResult {
	cur := in.current
	newState := func(leader int32, isr []int32) *zkmeta.LeaderIsr {
		n := cur
		n.Leader = leader
		n.LeaderEpoch = cur.LeaderEpoch + 1
		n.ISR = append([]int32(nil), isr...)
		return &n
	}
	switch s {
	case offlineElection, offlineUncleanAllowedElection:
		assignment := in.assignment.replicas
		liveReplicas := filterIDs(assignment, in.live)
		unclean := in.uncleanEnabled || s == offlineUncleanAllowedElection
		leader, ok, _ := offlinePartitionLeaderElection(assignment, cur.ISR, in.live, unclean)
		if !ok {
			return electionResult{tp: tp, recipients: liveReplicas}
		}
		isr := []int32{leader}
		if contains(cur.ISR, leader) {
			isr = filterIDs(cur.ISR, func(r int32) bool { return contains(liveReplicas, r) })
		}
		return electionResult{tp: tp, newState: newState(leader, isr), recipients: liveReplicas}
	case reassignElection:
		target := in.assignment.targetReplicas()
		leader, ok := reassignPartitionLeaderElection(target, cur.ISR, in.live)
		if !ok {
			return electionResult{tp: tp, recipients: target}
		}
		return electionResult{tp: tp, newState: newState(leader, cur.ISR), recipients: target}
	case preferredElection:
		assignment := in.assignment.replicas
		leader, ok := preferredReplicaPartitionLeaderElection(assignment, cur.ISR, in.live)
		if !ok {
			return electionResult{tp: tp, recipients: assignment}
		}
		return electionResult{tp: tp, newState: newState(leader, cur.ISR), recipients: assignment}
	default:
		assignment := in.assignment.replicas
		recipients := filterIDs(assignment, in.liveOrShutting)
		leader, ok := controlledShutdownPartitionLeaderElection(assignment, cur.ISR, in.liveOrShutting, in.shuttingDown)
		if !ok {
			return electionResult{tp: tp, recipients: recipients}
		}
		isr := filterIDs(cur.ISR, func(r int32) bool { return !in.shuttingDown(r) })
		return electionResult{tp: tp, newState: newState(leader, isr), recipients: recipients}
	}
}
