package coordinator

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListGroups handles a ListGroups request over the groups of every loaded partition; while any
// partition is still loading the answer carries COORDINATOR_LOAD_IN_PROGRESS alongside what is known.
// v4's states filter matches state names exactly, as 2.8 does.
func (c *Coordinator) ListGroups(ctx context.Context, req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	resp := kmsg.NewPtrListGroupsResponse()
	resp.Version = req.Version
	c.mu.Lock()
	closed := c.closed
	for _, ps := range c.partitions {
		if ps.loading {
			resp.ErrorCode = kerr.CoordinatorLoadInProgress.Code
		}
	}
	c.mu.Unlock()
	if closed {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	var states map[string]bool
	if req.Version >= 4 && len(req.StatesFilter) > 0 {
		states = map[string]bool{}
		for _, s := range req.StatesFilter {
			states[s] = true
		}
	}
	groups := c.groupsOf(-1)
	sortGroups(groups)
	for _, g := range groups {
		g.mu.Lock()
		state, pt := g.state.String(), ""
		if g.protocolType != nil {
			pt = *g.protocolType
		}
		dead := g.is(stateDead)
		g.mu.Unlock()
		if dead || (states != nil && !states[state]) {
			continue
		}
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group, lg.ProtocolType, lg.GroupState = g.id, pt, state
		resp.Groups = append(resp.Groups, lg)
	}
	return resp
}

// DescribeGroups handles a DescribeGroups request. Unknown groups are reported as Dead with no
// error; member metadata and assignments are only shown for Stable groups.
// AuthorizedOperations is left at its "not requested" default for the broker to fill in.
func (c *Coordinator) DescribeGroups(ctx context.Context, req *kmsg.DescribeGroupsRequest) *kmsg.DescribeGroupsResponse {
	resp := kmsg.NewPtrDescribeGroupsResponse()
	resp.Version = req.Version
	for _, id := range req.Groups {
		dg := kmsg.NewDescribeGroupsResponseGroup()
		dg.Group = id
		g, code := c.lookup(id, true, false)
		switch {
		case code != 0:
			dg.ErrorCode = code
		case g == nil:
			dg.State = stateDead.String()
		default:
			g.mu.Lock()
			c.describeLocked(g, &dg)
			g.mu.Unlock()
		}
		resp.Groups = append(resp.Groups, dg)
	}
	return resp
}

func (c *Coordinator) describeLocked(g *group, dg *kmsg.DescribeGroupsResponseGroup) {
	dg.State = g.state.String()
	if g.protocolType != nil {
		dg.ProtocolType = *g.protocolType
	}
	stable := g.is(stateStable) && g.protocolName != nil
	if stable {
		dg.Protocol = *g.protocolName
	}
	for _, m := range g.allMembers() {
		dm := kmsg.NewDescribeGroupsResponseGroupMember()
		dm.MemberID, dm.InstanceID, dm.ClientID, dm.ClientHost = m.id, m.instanceID, m.clientID, m.clientHost
		dm.ProtocolMetadata, dm.MemberAssignment = []byte{}, []byte{}
		if stable {
			dm.ProtocolMetadata = m.metadataFor(*g.protocolName)
			if m.assignment != nil {
				dm.MemberAssignment = m.assignment
			}
		}
		dg.Members = append(dg.Members, dm)
	}
}

func sortGroups(gs []*group) {
	for i := 1; i < len(gs); i++ {
		for j := i; j > 0 && gs[j].id < gs[j-1].id; j-- {
			gs[j], gs[j-1] = gs[j-1], gs[j]
		}
	}
}
