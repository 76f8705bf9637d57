package coordinator

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// joinInput is a JoinGroup request after KafkaApis' version fix-ups.
type joinInput struct {
	memberID         string
	instanceID       *string
	requireKnownID   bool
	clientID         string
	clientHost       string
	rebalanceTimeout int32
	sessionTimeout   int32
	protocolType     string
	protocols        []protocol
	ch               chan joinResult
}

// JoinGroup handles a JoinGroup request, blocking until the rebalance it takes part in completes
// (or ctx ends, which answers REBALANCE_IN_PROGRESS so the client rejoins). clientHost is the
// client's address; a leading "/" is added as Java's InetAddress.toString prints it.
func (c *Coordinator) JoinGroup(ctx context.Context, clientID, clientHost string, req *kmsg.JoinGroupRequest) *kmsg.JoinGroupResponse {
	in := &joinInput{
		memberID:         req.MemberID,
		clientID:         clientID,
		clientHost:       javaHost(clientHost),
		rebalanceTimeout: req.RebalanceTimeoutMillis,
		sessionTimeout:   req.SessionTimeoutMillis,
		protocolType:     req.ProtocolType,
		ch:               make(chan joinResult, 1),
	}
	if req.Version == 0 {
		in.rebalanceTimeout = req.SessionTimeoutMillis
	}
	if req.Version >= 5 {
		in.instanceID = req.InstanceID
	}
	in.requireKnownID = req.Version >= 4 && in.instanceID == nil
	for _, p := range req.Protocols {
		in.protocols = append(in.protocols, protocol{name: p.Name, metadata: append([]byte(nil), p.Metadata...)})
	}
	c.handleJoin(req.Group, in)

	var r joinResult
	select {
	case r = <-in.ch:
	case <-ctx.Done():
		r = joinError(req.MemberID, kerr.RebalanceInProgress.Code)
	}
	resp := kmsg.NewPtrJoinGroupResponse()
	resp.Version = req.Version
	resp.ErrorCode = r.err
	resp.Generation = r.generation
	resp.ProtocolType = r.protocolType
	resp.Protocol = r.protocolName
	resp.LeaderID = r.leaderID
	resp.MemberID = r.memberID
	for _, m := range r.members {
		rm := kmsg.NewJoinGroupResponseMember()
		rm.MemberID = m.memberID
		rm.InstanceID = m.instanceID
		rm.ProtocolMetadata = m.metadata
		resp.Members = append(resp.Members, rm)
	}
	return resp
}

// handleJoin answers on in.ch exactly once, now or when the rebalance completes.
func (c *Coordinator) handleJoin(groupID string, in *joinInput) {
	g, code := c.lookup(groupID, false, false)
	if code != 0 {
		in.ch <- joinError(in.memberID, code)
		return
	}
	st := time.Duration(in.sessionTimeout) * time.Millisecond
	if st < c.cfg.MinSessionTimeout || st > c.cfg.MaxSessionTimeout {
		in.ch <- joinError(in.memberID, kerr.InvalidSessionTimeout.Code)
		return
	}
	unknown := in.memberID == ""
	if g == nil {
		if !unknown {
			in.ch <- joinError(in.memberID, kerr.UnknownMemberID.Code)
			return
		}
		if g, code = c.lookup(groupID, false, true); code != 0 {
			in.ch <- joinError(in.memberID, code)
			return
		}
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case !c.acceptJoiningMember(g, in.memberID):
		g.remove(in.memberID)
		in.ch <- joinError("", kerr.GroupMaxSizeReached.Code)
	case unknown:
		c.doUnknownJoin(g, in)
	default:
		c.doJoin(g, in)
	}
	if g.is(statePreparingRebalance) {
		c.tryCompleteJoin(g)
	}
}

// acceptJoiningMember enforces group.max.size: counting parked joins during PreparingRebalance
// lets the coordinator turn away the last members to rejoin after the limit was lowered.
func (c *Coordinator) acceptJoiningMember(g *group, memberID string) bool {
	switch g.state {
	case statePreparingRebalance:
		if m := g.members[memberID]; m != nil && m.awaitingJoin != nil {
			return true
		}
		return g.numAwaitingJoin() < c.cfg.MaxGroupSize
	case stateCompletingRebalance, stateStable:
		return g.has(memberID) || len(g.members) < c.cfg.MaxGroupSize
	}
	return true
}

func (c *Coordinator) doUnknownJoin(g *group, in *joinInput) {
	switch {
	case g.is(stateDead):
		// Removed concurrently (deleted, expired or unloaded): the client rediscovers the coordinator.
		in.ch <- joinError("", kerr.CoordinatorNotAvailable.Code)
	case !g.supportsProtocols(in.protocolType, in.protocols):
		in.ch <- joinError("", kerr.InconsistentGroupProtocol.Code)
	default:
		newID := newMemberID(in.clientID, in.instanceID)
		switch {
		case g.hasStatic(in.instanceID):
			c.updateStaticMemberAndRebalance(g, newID, in)
		case in.requireKnownID:
			c.logf(zerolog.DebugLevel, "Dynamic member with unknown member id joins group %s in %s state. Created a new member id %s and request the member to rejoin with this id.",
				g.id, g.state, newID)
			c.addPendingMember(g, newID, time.Duration(in.sessionTimeout)*time.Millisecond)
			in.ch <- joinError(newID, kerr.MemberIDRequired.Code)
		default:
			kind := "Dynamic"
			if in.instanceID != nil {
				kind = "Static"
			}
			c.logf(zerolog.InfoLevel, "%s Member with unknown member id joins group %s in %s state. Created a new member id %s for this member and add to the group.",
				kind, g.id, g.state, newID)
			c.addMemberAndRebalance(g, newID, in)
		}
	}
}

func (c *Coordinator) doJoin(g *group, in *joinInput) {
	id := in.memberID
	switch {
	case g.is(stateDead):
		in.ch <- joinError(id, kerr.CoordinatorNotAvailable.Code)
		return
	case !g.supportsProtocols(in.protocolType, in.protocols):
		in.ch <- joinError(id, kerr.InconsistentGroupProtocol.Code)
		return
	case g.isPending(id):
		if in.instanceID != nil {
			// Pending ids are only handed to dynamic members.
			in.ch <- joinError(id, kerr.UnknownMemberID.Code)
			return
		}
		c.logf(zerolog.DebugLevel, "Dynamic Member with specific member id %s joins group %s in %s state. Adding to the group now.", id, g.id, g.state)
		c.addMemberAndRebalance(g, id, in)
		return
	case g.isStaticMemberFenced(id, in.instanceID):
		c.logf(zerolog.ErrorLevel, "given member.id %s is identified as a known static member %s, but not matching the expected member.id %s during join-group, will respond with instance fenced error",
			id, *in.instanceID, g.static[*in.instanceID])
		in.ch <- joinError(id, kerr.FencedInstanceID.Code)
		return
	case !g.has(id) || (in.instanceID != nil && !g.hasStatic(in.instanceID)):
		in.ch <- joinError(id, kerr.UnknownMemberID.Code)
		return
	}

	m := g.members[id]
	switch g.state {
	case statePreparingRebalance:
		c.updateMemberAndRebalance(g, m, in.protocols, in.ch, fmt.Sprintf("Member %s joining group during %s", id, g.state))
	case stateCompletingRebalance:
		if m.matches(in.protocols) {
			// Probably a retry after a lost JoinGroup response: answer with this generation again.
			in.ch <- c.currentJoinResult(g, id)
		} else {
			c.updateMemberAndRebalance(g, m, in.protocols, in.ch, fmt.Sprintf("Updating metadata for member %s during %s", id, g.state))
		}
	case stateStable:
		switch {
		case g.isLeader(id):
			// A leader rejoin is how clients ask for a rebalance the member metadata cannot show
			// (for instance new partitions of a subscribed topic).
			c.updateMemberAndRebalance(g, m, in.protocols, in.ch, fmt.Sprintf("Leader %s re-joining group during %s", id, g.state))
		case !m.matches(in.protocols):
			c.updateMemberAndRebalance(g, m, in.protocols, in.ch, fmt.Sprintf("Updating metadata for member %s during %s", id, g.state))
		default:
			in.ch <- c.currentJoinResult(g, id)
		}
	default:
		c.logf(zerolog.WarnLevel, "Attempt to add rejoining member %s of group %s in unexpected group state %s", id, g.id, g.state)
		in.ch <- joinError(id, kerr.UnknownMemberID.Code)
	}
}

// SyncGroup handles a SyncGroup request. Followers in CompletingRebalance block until the
// leader's assignment is stored (or ctx ends, which answers REBALANCE_IN_PROGRESS).
func (c *Coordinator) SyncGroup(ctx context.Context, req *kmsg.SyncGroupRequest) *kmsg.SyncGroupResponse {
	ch := make(chan syncResult, 1)
	c.handleSync(req, ch)
	var r syncResult
	select {
	case r = <-ch:
	case <-ctx.Done():
		r = syncResult{err: kerr.RebalanceInProgress.Code}
	}
	resp := kmsg.NewPtrSyncGroupResponse()
	resp.Version = req.Version
	resp.ErrorCode = r.err
	resp.ProtocolType = r.protocolType
	resp.Protocol = r.protocolName
	resp.MemberAssignment = r.assignment
	if resp.MemberAssignment == nil {
		resp.MemberAssignment = []byte{}
	}
	return resp
}

func (c *Coordinator) handleSync(req *kmsg.SyncGroupRequest, ch chan syncResult) {
	var instanceID, protocolType, protocolName *string
	if req.Version >= 3 {
		instanceID = req.InstanceID
	}
	if req.Version >= 5 {
		if req.ProtocolType == nil || req.Protocol == nil {
			ch <- syncResult{err: kerr.InconsistentGroupProtocol.Code}
			return
		}
		protocolType, protocolName = req.ProtocolType, req.Protocol
	}
	g, code := c.lookup(req.Group, false, false)
	switch {
	case code == kerr.CoordinatorLoadInProgress.Code:
		// The rebalance state was lost with the old coordinator; rejoining is the only way on, and
		// older clients do not expect COORDINATOR_LOAD_IN_PROGRESS here.
		ch <- syncResult{err: kerr.RebalanceInProgress.Code}
		return
	case code != 0:
		ch <- syncResult{err: code}
		return
	case g == nil:
		ch <- syncResult{err: kerr.UnknownMemberID.Code}
		return
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	id := req.MemberID
	switch {
	case g.is(stateDead):
		ch <- syncResult{err: kerr.CoordinatorNotAvailable.Code}
		return
	case g.isStaticMemberFenced(id, instanceID):
		ch <- syncResult{err: kerr.FencedInstanceID.Code}
		return
	case !g.has(id):
		ch <- syncResult{err: kerr.UnknownMemberID.Code}
		return
	case req.Generation != g.generation:
		ch <- syncResult{err: kerr.IllegalGeneration.Code}
		return
	case protocolType != nil && (g.protocolType == nil || *g.protocolType != *protocolType),
		protocolName != nil && (g.protocolName == nil || *g.protocolName != *protocolName):
		ch <- syncResult{err: kerr.InconsistentGroupProtocol.Code}
		return
	}

	switch g.state {
	case stateEmpty:
		ch <- syncResult{err: kerr.UnknownMemberID.Code}
	case statePreparingRebalance:
		ch <- syncResult{err: kerr.RebalanceInProgress.Code}
	case stateCompletingRebalance:
		m := g.members[id]
		// A retried SyncGroup replaces the parked one, which is released rather than left hanging.
		sendSync(m, syncResult{err: kerr.RebalanceInProgress.Code})
		m.awaitingSync = ch
		c.removePendingSyncMember(g, id)
		if !g.isLeader(id) {
			return
		}
		static := 0
		for _, m := range g.members {
			if m.isStatic() {
				static++
			}
		}
		c.logf(zerolog.InfoLevel, "Assignment received from leader for group %s for generation %d. The group has %d members, %d of which are static.",
			g.id, g.generation, len(g.members), static)
		assignment := map[string][]byte{}
		for _, a := range req.GroupAssignment {
			assignment[a.MemberID] = append([]byte(nil), a.MemberAssignment...)
		}
		var missing []string
		for _, mid := range g.order {
			if _, ok := assignment[mid]; !ok {
				missing = append(missing, mid)
				assignment[mid] = []byte{}
			}
		}
		if len(missing) > 0 {
			c.logf(zerolog.WarnLevel, "Setting empty assignments for members %s of %s for generation %d", scalaSet(missing), g.id, g.generation)
		}
		// The group lock is held across the write, so nothing can have moved the group on.
		if code := c.storeGroup(g, assignment); code != 0 {
			c.resetAndPropagateAssignmentError(g, code)
			c.maybePrepareRebalance(g, fmt.Sprintf("error when storing group assignment during SyncGroup (member: %s)", id))
			return
		}
		c.setAndPropagateAssignment(g, assignment)
		g.transitionTo(stateStable, c.now())
	case stateStable:
		c.removePendingSyncMember(g, id)
		m := g.members[id]
		ch <- syncResult{protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment}
		c.heartbeat(g, m)
	}
}

// Heartbeat handles a Heartbeat request.
func (c *Coordinator) Heartbeat(ctx context.Context, req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	resp := kmsg.NewPtrHeartbeatResponse()
	resp.Version = req.Version
	var instanceID *string
	if req.Version >= 3 {
		instanceID = req.InstanceID
	}
	resp.ErrorCode = c.handleHeartbeat(req.Group, req.MemberID, instanceID, req.Generation)
	return resp
}

func (c *Coordinator) handleHeartbeat(groupID, id string, instanceID *string, generation int32) int16 {
	g, code := c.lookup(groupID, false, false)
	switch {
	case code == kerr.CoordinatorLoadInProgress.Code:
		return 0 // the group is still loading: answer blindly, as Kafka does
	case code != 0:
		return code
	case g == nil:
		return kerr.UnknownMemberID.Code
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.is(stateDead):
		return kerr.CoordinatorNotAvailable.Code
	case g.isStaticMemberFenced(id, instanceID):
		return kerr.FencedInstanceID.Code
	case !g.has(id):
		return kerr.UnknownMemberID.Code
	case generation != g.generation:
		return kerr.IllegalGeneration.Code
	}
	switch g.state {
	case stateEmpty:
		return kerr.UnknownMemberID.Code
	case statePreparingRebalance:
		c.heartbeat(g, g.members[id])
		return kerr.RebalanceInProgress.Code
	default:
		c.heartbeat(g, g.members[id])
		return 0
	}
}

// LeaveGroup handles a LeaveGroup request (v3+ may name several members, by member id or by
// group.instance.id).
func (c *Coordinator) LeaveGroup(ctx context.Context, req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	leaving := req.Members
	if req.Version < 3 {
		leaving = []kmsg.LeaveGroupRequestMember{{MemberID: req.MemberID}}
	}
	top, errs := c.handleLeave(req.Group, leaving)
	resp := kmsg.NewPtrLeaveGroupResponse()
	resp.Version = req.Version
	resp.ErrorCode = top
	if req.Version < 3 {
		if top == 0 && len(errs) == 1 {
			resp.ErrorCode = errs[0]
		}
		return resp
	}
	if top != 0 {
		return resp
	}
	for i, l := range leaving {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID = l.MemberID
		rm.InstanceID = l.InstanceID
		rm.ErrorCode = errs[i]
		resp.Members = append(resp.Members, rm)
	}
	return resp
}

func (c *Coordinator) handleLeave(groupID string, leaving []kmsg.LeaveGroupRequestMember) (int16, []int16) {
	errs := make([]int16, len(leaving))
	g, code := c.lookup(groupID, false, false)
	if code != 0 {
		return code, nil
	}
	if g == nil {
		for i := range errs {
			errs[i] = kerr.UnknownMemberID.Code
		}
		return 0, errs
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.is(stateDead) {
		return kerr.CoordinatorNotAvailable.Code, nil
	}
	for i, l := range leaving {
		id, inst := l.MemberID, l.InstanceID
		switch {
		case id != "" && g.isStaticMemberFenced(id, inst):
			errs[i] = kerr.FencedInstanceID.Code
		case g.isPending(id):
			c.logf(zerolog.InfoLevel, "Pending member %s is leaving group %s.", id, g.id)
			c.removePendingMemberAndUpdateGroup(g, id)
		case !g.has(id) && !g.hasStatic(inst):
			errs[i] = kerr.UnknownMemberID.Code
		default:
			m := g.members[id]
			if g.hasStatic(inst) {
				m = g.members[g.static[*inst]]
			}
			c.logf(zerolog.InfoLevel, "Member[group.instance.id %s, member.id %s] in group %s has left, removing it from the group",
				scalaOption(m.instanceID), m.id, g.id)
			c.removeMemberAndUpdateGroup(g, m, fmt.Sprintf("removing member %s on LeaveGroup", id))
		}
	}
	return 0, errs
}

func javaHost(h string) string {
	if h == "" || strings.Contains(h, "/") {
		return h
	}
	return "/" + h
}
