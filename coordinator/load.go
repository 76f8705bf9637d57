package coordinator

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
)

// OnElection makes this broker the coordinator of every group of an __consumer_offsets partition
// it just became leader of. The partition is read back asynchronously; until that finishes its
// groups are answered with COORDINATOR_LOAD_IN_PROGRESS.
func (c *Coordinator) OnElection(partition int32) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if ps := c.partitions[partition]; ps != nil {
		c.mu.Unlock()
		c.mgrf(zerolog.InfoLevel, "Already loading offsets and group metadata from %s-%d", OffsetsTopic, partition)
		return
	}
	ps := &partitionState{loading: true}
	c.partitions[partition] = ps
	c.loads.Add(1)
	c.mu.Unlock()

	c.mgrf(zerolog.InfoLevel, "Scheduling loading of offsets and group metadata from %s-%d", OffsetsTopic, partition)
	scheduled := c.now()
	go func() {
		defer c.loads.Done()
		c.loadPartition(partition, ps, scheduled)
	}()
}

// OnResignation unloads the groups of a partition this broker no longer leads; their parked
// requests get NOT_COORDINATOR and later requests are told NOT_COORDINATOR too.
func (c *Coordinator) OnResignation(partition int32) {
	c.mu.Lock()
	_, owned := c.partitions[partition]
	delete(c.partitions, partition)
	var groups []*group
	for id, g := range c.groups {
		if g.partition == partition {
			groups = append(groups, g)
			delete(c.groups, id)
		}
	}
	c.mu.Unlock()
	if !owned {
		return
	}
	c.mgrf(zerolog.InfoLevel, "Scheduling unloading of offsets and group metadata from %s-%d", OffsetsTopic, partition)
	offsets := 0
	for _, g := range groups {
		g.mu.Lock()
		offsets += len(g.offsets)
		c.unloadLocked(g)
		g.mu.Unlock()
	}
	c.mgrf(zerolog.InfoLevel, "Finished unloading %s-%d. Removed %d cached offsets and %d cached groups.",
		OffsetsTopic, partition, offsets, len(groups))
}

// unloadLocked is onGroupUnloaded: the group turns Dead and whatever it had parked is released.
func (c *Coordinator) unloadLocked(g *group) {
	c.logf(zerolog.InfoLevel, "Unloading group metadata for %s with generation %d", g.id, g.generation)
	prev := g.state
	g.transitionTo(stateDead, c.now())
	for _, m := range g.allMembers() {
		switch prev {
		case statePreparingRebalance:
			sendJoin(m, joinError(m.id, kerr.NotCoordinator.Code))
		case stateStable, stateCompletingRebalance:
			sendSync(m, syncResult{err: kerr.NotCoordinator.Code})
		}
		m.heartbeat.stop()
		m.heartbeat = nil
	}
	for id, h := range g.pending {
		h.stop()
		delete(g.pending, id)
	}
	g.join.stop()
	g.join = nil
	g.sync.stop()
	g.sync = nil
}

type loadedGroup struct {
	value   *GroupValue
	offsets map[topicPartition]offsetEntry
}

// loadPartition is GroupMetadataManager.doLoadGroupsAndOffsets: replay the partition, keep the last
// value per key, then install the surviving groups and offsets.
func (c *Coordinator) loadPartition(partition int32, ps *partitionState, scheduled time.Time) {
	start := c.now()
	loaded := map[string]*loadedGroup{}
	get := func(id string) *loadedGroup {
		lg := loaded[id]
		if lg == nil {
			lg = &loadedGroup{offsets: map[topicPartition]offsetEntry{}}
			loaded[id] = lg
		}
		return lg
	}
	err := c.store.Load(c.ctx, partition, func(key, value []byte) error {
		k, err := DecodeKey(key)
		if err != nil {
			c.mgrf(zerolog.WarnLevel, "Skipping unreadable record in %s-%d: %v", OffsetsTopic, partition, err)
			return nil
		}
		lg := get(k.Group)
		if k.IsOffsetKey() {
			tp := topicPartition{k.Topic, k.Partition}
			if value == nil {
				delete(lg.offsets, tp)
				return nil
			}
			v, _, err := DecodeOffsetValue(value)
			if err != nil {
				c.mgrf(zerolog.WarnLevel, "Skipping unreadable offset of group %s in %s-%d: %v", k.Group, OffsetsTopic, partition, err)
				return nil
			}
			lg.offsets[tp] = offsetEntry{offset: v.Offset, leaderEpoch: v.LeaderEpoch, metadata: v.Metadata,
				commitTs: v.CommitTimestamp, expireTs: v.ExpireTimestamp}
			return nil
		}
		if value == nil {
			lg.value = nil
			return nil
		}
		v, _, err := DecodeGroupValue(value)
		if err != nil {
			c.mgrf(zerolog.WarnLevel, "Skipping unreadable metadata of group %s in %s-%d: %v", k.Group, OffsetsTopic, partition, err)
			return nil
		}
		lg.value = &v
		return nil
	})
	if errors.Is(err, context.Canceled) {
		return
	}
	if err != nil {
		// Kafka logs and still takes ownership: the groups it did not read simply start over.
		c.mgrf(zerolog.ErrorLevel, "Error loading offsets from %s-%d: %v", OffsetsTopic, partition, err)
	}

	var groups []*group
	for id, lg := range loaded {
		if lg.value == nil && len(lg.offsets) == 0 {
			continue
		}
		g := c.buildLoadedGroup(id, partition, lg)
		g.mu.Lock()
		// Loaded members get a full session to heartbeat again, as onGroupLoaded does.
		for _, m := range g.allMembers() {
			c.scheduleHeartbeat(g, m, time.Duration(m.sessionTimeout)*time.Millisecond)
		}
		g.mu.Unlock()
		groups = append(groups, g)
	}

	c.mu.Lock()
	if c.closed || c.partitions[partition] != ps {
		c.mu.Unlock()
		for _, g := range groups {
			g.mu.Lock()
			c.unloadLocked(g)
			g.mu.Unlock()
		}
		return
	}
	for _, g := range groups {
		c.groups[g.id] = g
	}
	ps.loading = false
	c.mu.Unlock()

	for _, g := range groups {
		g.mu.Lock()
		c.logf(zerolog.InfoLevel, "Loading group metadata for %s with generation %d", g.id, g.generation)
		g.mu.Unlock()
	}
	c.mgrf(zerolog.InfoLevel, "Finished loading offsets and group metadata from %s-%d in %d milliseconds, of which %d milliseconds was spent in the scheduler.",
		OffsetsTopic, partition, c.now().Sub(scheduled).Milliseconds(), start.Sub(scheduled).Milliseconds())
}

// buildLoadedGroup is GroupMetadata.loadGroup: members present means Stable, none means Empty.
func (c *Coordinator) buildLoadedGroup(id string, partition int32, lg *loadedGroup) *group {
	g := newGroup(id, partition, c.now())
	g.offsets = lg.offsets
	v := lg.value
	if v == nil {
		return g
	}
	if v.ProtocolType != "" {
		pt := v.ProtocolType
		g.protocolType = &pt
	}
	g.generation = v.Generation
	g.protocolName = v.Protocol
	if v.Leader != nil {
		g.leader = *v.Leader
	}
	g.stateTimestamp = v.CurrentStateTimestamp
	for _, mv := range v.Members {
		m := &member{
			id:               mv.MemberID,
			instanceID:       mv.InstanceID,
			clientID:         mv.ClientID,
			clientHost:       mv.ClientHost,
			rebalanceTimeout: mv.RebalanceTimeout,
			sessionTimeout:   mv.SessionTimeout,
			protocolType:     v.ProtocolType,
			assignment:       mv.Assignment,
		}
		if v.Protocol != nil {
			m.protocols = []protocol{{name: *v.Protocol, metadata: mv.Subscription}}
		}
		g.members[m.id] = m
		g.order = append(g.order, m.id)
		if m.instanceID != nil {
			g.static[*m.instanceID] = m.id
		}
	}
	if len(g.members) > 0 {
		g.state = stateStable
		if g.leader == "" || !g.has(g.leader) {
			g.leader = g.order[0]
		}
	} else {
		g.state = stateEmpty
	}
	g.computeSubscribedTopics()
	return g
}
