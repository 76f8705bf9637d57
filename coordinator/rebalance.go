package coordinator

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
)

// The functions in this file carry out GroupCoordinator's rebalance mechanics. Every one of them
// runs with g.mu held.

// scheduleHeartbeat is completeAndScheduleNextHeartbeatExpiration: the current expectation is met
// and the member has another timeout to show signs of life.
func (c *Coordinator) scheduleHeartbeat(g *group, m *member, timeout time.Duration) {
	m.heartbeat.stop()
	m.heartbeatSatisfied = false
	h := &timerHandle{}
	m.heartbeat = h
	h.t = c.clock.AfterFunc(timeout, func() { c.onHeartbeatExpired(g, m, h) })
}

func (c *Coordinator) heartbeat(g *group, m *member) {
	c.scheduleHeartbeat(g, m, time.Duration(m.sessionTimeout)*time.Millisecond)
}

func (c *Coordinator) onHeartbeatExpired(g *group, m *member, h *timerHandle) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if m.heartbeat != h {
		return // superseded while this callback waited for the lock
	}
	m.heartbeat = nil
	switch {
	case g.is(stateDead):
		c.logf(zerolog.InfoLevel, "Received notification of heartbeat expiration for member %s after group %s had already been unloaded or deleted.", m.id, g.id)
	case g.members[m.id] != m:
		c.logf(zerolog.DebugLevel, "Member %s has already been removed from the group.", m.id)
	case !m.hasSatisfiedHeartbeat():
		c.logf(zerolog.InfoLevel, "Member %s in group %s has failed, removing it from the group", m.id, g.id)
		c.removeMemberAndUpdateGroup(g, m, fmt.Sprintf("removing member %s on heartbeat expiration", m.id))
	}
}

// addPendingMember registers a member id handed out with MEMBER_ID_REQUIRED; it lapses unless the
// member rejoins with it within its session timeout.
func (c *Coordinator) addPendingMember(g *group, memberID string, sessionTimeout time.Duration) {
	h := &timerHandle{}
	g.pending[memberID] = h
	h.t = c.clock.AfterFunc(sessionTimeout, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.pending[memberID] != h {
			return
		}
		if g.is(stateDead) {
			delete(g.pending, memberID)
			return
		}
		c.logf(zerolog.InfoLevel, "Pending member %s in group %s has been removed after session timeout expiration.", memberID, g.id)
		c.removePendingMemberAndUpdateGroup(g, memberID)
	})
}

func (c *Coordinator) removePendingMemberAndUpdateGroup(g *group, memberID string) {
	g.remove(memberID)
	if g.is(statePreparingRebalance) {
		c.tryCompleteJoin(g)
	}
}

// removeMemberAndUpdateGroup: a member parked in JoinGroup is told UNKNOWN_MEMBER_ID before it goes,
// so an alive client simply rejoins.
func (c *Coordinator) removeMemberAndUpdateGroup(g *group, m *member, reason string) {
	sendJoin(m, joinError("", kerr.UnknownMemberID.Code))
	g.remove(m.id)
	switch g.state {
	case stateStable, stateCompletingRebalance:
		c.maybePrepareRebalance(g, reason)
	case statePreparingRebalance:
		c.tryCompleteJoin(g)
	}
}

func (c *Coordinator) addMemberAndRebalance(g *group, memberID string, in *joinInput) {
	m := &member{
		id:               memberID,
		instanceID:       in.instanceID,
		clientID:         in.clientID,
		clientHost:       in.clientHost,
		rebalanceTimeout: in.rebalanceTimeout,
		sessionTimeout:   in.sessionTimeout,
		protocolType:     in.protocolType,
		protocols:        in.protocols,
		isNew:            true,
	}
	// Lets the initial delayed join wait once more for members still arriving.
	if g.is(statePreparingRebalance) && g.generation == 0 {
		g.newMemberAdded = true
	}
	g.add(m, in.ch)
	// New members cannot heartbeat until they learn their id, so only this bounds a join that
	// was abandoned by its client.
	c.scheduleHeartbeat(g, m, newMemberJoinTimeout)
	if m.isStatic() {
		// Kafka interpolates the Option itself here: "Adding new static member Some(id) ...".
		c.logf(zerolog.InfoLevel, "Adding new static member %s to group %s with member id %s.", scalaOption(in.instanceID), g.id, memberID)
		g.static[*in.instanceID] = memberID
	} else if h, ok := g.pending[memberID]; ok {
		h.stop()
		delete(g.pending, memberID)
	}
	c.maybePrepareRebalance(g, fmt.Sprintf("Adding new member %s with group instance id %s", memberID, scalaOption(in.instanceID)))
}

// updateMember swaps a member's protocols and parks (or clears) its JoinGroup. A JoinGroup that
// was already parked for the member is answered first (its client has given up on it and retried),
// so no request waits for a response that will never come.
func updateMember(m *member, ps []protocol, ch chan joinResult) {
	if ch != nil && m.awaitingJoin != nil && m.awaitingJoin != ch {
		sendJoin(m, joinError(m.id, kerr.RebalanceInProgress.Code))
	}
	m.protocols = ps
	m.awaitingJoin = ch
}

func (c *Coordinator) updateMemberAndRebalance(g *group, m *member, ps []protocol, ch chan joinResult, reason string) {
	updateMember(m, ps, ch)
	c.maybePrepareRebalance(g, reason)
}

func (c *Coordinator) maybePrepareRebalance(g *group, reason string) {
	if g.canRebalance() {
		c.prepareRebalance(g, reason)
	}
}

func (c *Coordinator) prepareRebalance(g *group, reason string) {
	if g.is(stateCompletingRebalance) {
		c.resetAndPropagateAssignmentError(g, kerr.RebalanceInProgress.Code)
	}
	g.sync.stop()
	g.sync = nil
	g.join.stop()
	g.join = nil

	initial := g.is(stateEmpty)
	g.transitionTo(statePreparingRebalance, c.now())
	c.logf(zerolog.InfoLevel, "Preparing to rebalance group %s in state %s with old generation %d (%s-%d) (reason: %s)",
		g.id, g.state, g.generation, OffsetsTopic, g.partition, reason)

	if initial {
		delay := c.cfg.InitialRebalanceDelay
		remaining := g.rebalanceTimeout() - delay
		if remaining < 0 {
			remaining = 0
		}
		c.scheduleJoin(g, &joinOp{initial: true, delay: delay, remaining: remaining})
		return
	}
	c.scheduleJoin(g, &joinOp{delay: g.rebalanceTimeout()})
	c.tryCompleteJoin(g)
}

func (c *Coordinator) scheduleJoin(g *group, op *joinOp) {
	g.join = op
	op.t = c.clock.AfterFunc(op.delay, func() { c.onJoinTimer(g, op) })
}

func (c *Coordinator) onJoinTimer(g *group, op *joinOp) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.join != op {
		return
	}
	g.join = nil
	if op.initial && g.newMemberAdded && op.remaining > 0 {
		// InitialDelayedJoin: somebody joined during the delay, so wait again, but never beyond
		// the group's rebalance timeout in total.
		g.newMemberAdded = false
		delay := c.cfg.InitialRebalanceDelay
		if op.remaining < delay {
			delay = op.remaining
		}
		remaining := op.remaining - op.delay
		if remaining < 0 {
			remaining = 0
		}
		c.scheduleJoin(g, &joinOp{initial: true, delay: delay, remaining: remaining})
		return
	}
	c.onCompleteJoin(g)
}

// tryCompleteJoin completes a (non-initial) DelayedJoin once every member has rejoined.
func (c *Coordinator) tryCompleteJoin(g *group) {
	if g.join == nil || g.join.initial || !g.hasAllMembersJoined() {
		return
	}
	g.join.stop()
	g.join = nil
	c.onCompleteJoin(g)
}

func (c *Coordinator) onCompleteJoin(g *group) {
	var dropped []string
	for _, m := range g.allMembers() {
		if m.awaitingJoin == nil && !m.isStatic() {
			dropped = append(dropped, m.id)
		}
	}
	if len(dropped) > 0 {
		c.logf(zerolog.InfoLevel, "Group %s removed dynamic members who haven't joined: %s", g.id, scalaSet(dropped))
		for _, id := range dropped {
			g.remove(id)
		}
	}

	switch {
	case g.is(stateDead):
		c.logf(zerolog.InfoLevel, "Group %s is dead, skipping rebalance stage", g.id)
	case !c.maybeElectNewJoinedLeader(g) && len(g.members) > 0:
		// Nobody rejoined (only static members that did not come back remain): wait another
		// rebalance timeout for session expiry to clear them out.
		c.logf(zerolog.ErrorLevel, "Group %s could not complete rebalance because no members rejoined", g.id)
		c.scheduleJoin(g, &joinOp{delay: g.rebalanceTimeout()})
		c.tryCompleteJoin(g)
	default:
		c.initNextGeneration(g)
		if g.is(stateEmpty) {
			c.logf(zerolog.InfoLevel, "Group %s with generation %d is now empty (%s-%d)", g.id, g.generation, OffsetsTopic, g.partition)
			if code := c.storeGroup(g, nil); code != 0 {
				c.logf(zerolog.WarnLevel, "Failed to write empty metadata for group %s: %s", g.id, errMessage(code))
			}
			return
		}
		c.logf(zerolog.InfoLevel, "Stabilized group %s generation %d (%s-%d)", g.id, g.generation, OffsetsTopic, g.partition)
		for _, m := range g.allMembers() {
			r := c.currentJoinResult(g, m.id)
			sendJoin(m, r)
			c.heartbeat(g, m)
			m.isNew = false
			g.pendingSync[m.id] = struct{}{}
		}
		c.schedulePendingSync(g)
	}
}

// currentJoinResult is the JoinGroup answer for the current generation; only the leader gets members.
func (c *Coordinator) currentJoinResult(g *group, memberID string) joinResult {
	r := joinResult{
		memberID:     memberID,
		generation:   g.generation,
		protocolType: g.protocolType,
		protocolName: g.protocolName,
		leaderID:     g.leader,
	}
	if g.isLeader(memberID) {
		r.members = g.currentMemberMetadata()
	}
	return r
}

func (c *Coordinator) maybeElectNewJoinedLeader(g *group) bool {
	if g.leader == "" {
		return false
	}
	if l := g.members[g.leader]; l != nil && l.awaitingJoin != nil {
		return true
	}
	old := g.members[g.leader]
	oldID, oldInstance := g.leader, scalaOption(nil)
	if old != nil {
		oldInstance = scalaOption(old.instanceID)
	}
	for _, m := range g.allMembers() {
		if m.awaitingJoin != nil {
			g.leader = m.id
			c.logf(zerolog.InfoLevel, "Group leader [member.id: %s, group.instance.id: %s] failed to join before rebalance timeout, while new leader %s was elected.",
				oldID, oldInstance, m)
			return true
		}
	}
	// The missing space before "because" is Kafka 2.8's.
	c.logf(zerolog.InfoLevel, "Group leader [member.id: %s, group.instance.id: %s] failed to join before rebalance timeout, and the group couldn't proceed to next generationbecause no member joined.",
		oldID, oldInstance)
	return false
}

func (c *Coordinator) initNextGeneration(g *group) {
	g.generation++
	if len(g.members) > 0 {
		name := g.selectProtocol()
		g.protocolName = &name
		g.computeSubscribedTopics()
		g.transitionTo(stateCompletingRebalance, c.now())
	} else {
		g.protocolName = nil
		g.computeSubscribedTopics()
		g.transitionTo(stateEmpty, c.now())
	}
	g.pendingSync = map[string]struct{}{}
}

// schedulePendingSync is DelayedSync (2.8.1+): members that never send SyncGroup within the
// rebalance timeout are removed and the group rebalances again.
func (c *Coordinator) schedulePendingSync(g *group) {
	g.sync.stop()
	op := &syncOp{generation: g.generation}
	g.sync = op
	op.t = c.clock.AfterFunc(g.rebalanceTimeout(), func() { c.onSyncTimer(g, op) })
}

func (c *Coordinator) onSyncTimer(g *group, op *syncOp) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sync != op {
		return
	}
	g.sync = nil
	if op.generation != g.generation {
		c.logf(zerolog.ErrorLevel, "Received unexpected notification of sync expiration for %s with an old generation %d while the group has %d.",
			g.id, op.generation, g.generation)
		return
	}
	switch g.state {
	case stateCompletingRebalance, stateStable:
		if len(g.pendingSync) == 0 {
			return
		}
		ids := sortedTopics(g.pendingSync)
		for _, id := range ids {
			g.remove(id)
		}
		c.logf(zerolog.DebugLevel, "Group %s removed members who haven't sent their sync request: %s", g.id, scalaSet(ids))
		c.prepareRebalance(g, fmt.Sprintf("Removing %s on pending sync request expiration", scalaSet(ids)))
	default:
		c.logf(zerolog.ErrorLevel, "Received unexpected notification of sync expiration after group %s already transitioned to the %s state.", g.id, g.state)
	}
}

func (c *Coordinator) removePendingSyncMember(g *group, memberID string) {
	delete(g.pendingSync, memberID)
	if len(g.pendingSync) == 0 && g.sync != nil {
		g.sync.stop()
		g.sync = nil
	}
}

func (c *Coordinator) resetAndPropagateAssignmentError(g *group, code int16) {
	for _, m := range g.members {
		m.assignment = []byte{}
	}
	c.propagateAssignment(g, code)
}

func (c *Coordinator) setAndPropagateAssignment(g *group, assignment map[string][]byte) {
	for id, m := range g.members {
		m.assignment = assignment[id]
	}
	c.propagateAssignment(g, 0)
}

func (c *Coordinator) propagateAssignment(g *group, code int16) {
	var pt, pn *string
	if code == 0 {
		pt, pn = g.protocolType, g.protocolName
	}
	for _, m := range g.allMembers() {
		if sendSync(m, syncResult{protocolType: pt, protocolName: pn, assignment: m.assignment, err: code}) {
			// The member has its assignment now and must start heartbeating on its own.
			c.heartbeat(g, m)
		}
	}
}

// updateStaticMemberAndRebalance handles a known group.instance.id joining with an empty member id:
// the instance gets a new member id and the old one is fenced. A Stable group whose protocol
// choice stays the same skips the rebalance and hands the member its previous assignment.
func (c *Coordinator) updateStaticMemberAndRebalance(g *group, newID string, in *joinInput) {
	instanceID := *in.instanceID
	oldID := g.static[instanceID]
	c.logf(zerolog.InfoLevel, "Static member %s of group %s with unknown member id rejoins, assigning new member id %s, while old member id %s will be removed.",
		scalaOption(in.instanceID), g.id, newID, oldID)
	currentLeader := g.leader
	m := g.replaceStaticMember(oldID, newID, instanceID)
	c.heartbeat(g, m)
	oldProtocols := m.protocols
	updateMember(m, in.protocols, in.ch)

	switch g.state {
	case stateStable:
		if g.protocolName != nil && *g.protocolName == g.selectProtocol() {
			c.logf(zerolog.InfoLevel, "Static member which joins during Stable stage and doesn't affect selectProtocol will not trigger rebalance.")
			assignment := map[string][]byte{}
			for id, mm := range g.members {
				assignment[id] = mm.assignment
			}
			if code := c.storeGroup(g, assignment); code != 0 {
				c.logf(zerolog.WarnLevel, "Failed to persist metadata for group %s: %s", g.id, errMessage(code))
				updateMember(m, oldProtocols, nil)
				old := g.replaceStaticMember(newID, oldID, instanceID)
				c.heartbeat(g, old)
				in.ch <- joinResult{memberID: "", generation: g.generation, protocolType: g.protocolType,
					protocolName: g.protocolName, leaderID: currentLeader, err: code}
				return
			}
			// The old leader id goes back so that the current leader does not take this for a
			// rebalance and compute an assignment a Stable group would never distribute.
			sendJoin(m, joinResult{memberID: newID, generation: g.generation, protocolType: g.protocolType,
				protocolName: g.protocolName, leaderID: currentLeader})
			return
		}
		c.maybePrepareRebalance(g, fmt.Sprintf("Group's selectedProtocol will change because static member %s with instance id %s joined with change of protocol",
			m.id, scalaOption(in.instanceID)))
	case stateCompletingRebalance:
		// The leader may already be assigning to the old member id; only a new round is consistent.
		c.prepareRebalance(g, fmt.Sprintf("Updating metadata for static member %s with instance id %s", m.id, scalaOption(in.instanceID)))
	case statePreparingRebalance:
	default:
		sendJoin(m, joinError(newID, kerr.UnknownMemberID.Code))
	}
}

// scalaSet prints ids the way a Scala Set renders in Kafka's log lines.
func scalaSet(ids []string) string {
	s := append([]string(nil), ids...)
	sort.Strings(s)
	return "Set(" + strings.Join(s, ", ") + ")"
}

func errMessage(code int16) string {
	if err := kerr.ErrorForCode(code); err != nil {
		return err.Error()
	}
	return "NONE"
}
