package coordinator

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetCommit handles an OffsetCommit request. The broker answers partitions of unknown topics
// itself (UNKNOWN_TOPIC_OR_PARTITION) and forwards the rest. All versions store offsets in
// __consumer_offsets (Kafka 2.8 still sends v0 commits to ZooKeeper; this coordinator does not).
func (c *Coordinator) OffsetCommit(ctx context.Context, req *kmsg.OffsetCommitRequest) *kmsg.OffsetCommitResponse {
	now := c.now().UnixMilli()
	generation, memberID := int32(-1), ""
	if req.Version >= 1 {
		generation, memberID = req.Generation, req.MemberID
	}
	var instanceID *string
	if req.Version >= 7 {
		instanceID = req.InstanceID
	}
	expire := noExpireTimestamp
	if req.Version >= 2 && req.Version <= 4 && req.RetentionTimeMillis != -1 {
		expire = now + req.RetentionTimeMillis
	}
	commits := map[topicPartition]offsetEntry{}
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			e := offsetEntry{offset: p.Offset, leaderEpoch: noLeaderEpoch, commitTs: now, expireTs: expire}
			if p.Metadata != nil {
				e.metadata = *p.Metadata
			}
			if req.Version >= 6 {
				e.leaderEpoch = p.LeaderEpoch
			}
			if req.Version == 1 && p.Timestamp != -1 {
				e.commitTs = p.Timestamp
			}
			commits[topicPartition{t.Topic, p.Partition}] = e
		}
	}
	codes := c.handleCommit(req.Group, memberID, instanceID, generation, commits)

	resp := kmsg.NewPtrOffsetCommitResponse()
	resp.Version = req.Version
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = codes(topicPartition{t.Topic, p.Partition})
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// handleCommit returns the error code of each committed partition.
func (c *Coordinator) handleCommit(groupID, memberID string, instanceID *string, generation int32, commits map[topicPartition]offsetEntry) func(topicPartition) int16 {
	all := func(code int16) func(topicPartition) int16 { return func(topicPartition) int16 { return code } }
	g, code := c.lookup(groupID, true, generation < 0)
	switch {
	case code != 0:
		return all(code)
	case g == nil:
		// A commit from an older generation of a group this coordinator no longer knows.
		return all(kerr.IllegalGeneration.Code)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.is(stateDead):
		return all(kerr.CoordinatorNotAvailable.Code)
	case g.isStaticMemberFenced(memberID, instanceID):
		return all(kerr.FencedInstanceID.Code)
	case generation < 0 && g.is(stateEmpty):
		// A standalone consumer using Kafka only to store offsets.
		return c.storeOffsets(g, commits)
	case !g.has(memberID):
		return all(kerr.UnknownMemberID.Code)
	case generation != g.generation:
		return all(kerr.IllegalGeneration.Code)
	}
	switch g.state {
	case stateStable, statePreparingRebalance:
		// Commits stay allowed while preparing a rebalance; the heartbeat will tell the member.
		c.heartbeat(g, g.members[memberID])
		return c.storeOffsets(g, commits)
	default:
		// The member already holds the new generation but has not synced: it must finish first.
		return all(kerr.RebalanceInProgress.Code)
	}
}

func (c *Coordinator) metadataTooLarge(s string) bool {
	if len(s) <= c.cfg.OffsetMetadataMaxBytes {
		return false
	}
	// Kafka compares String.length(), i.e. UTF-16 code units.
	return len(utf16.Encode([]rune(s))) > c.cfg.OffsetMetadataMaxBytes
}

// storeOffsets is GroupMetadataManager.storeOffsets: one batch of offset records, applied to the
// cache once the append succeeded. Partitions with oversized metadata are refused individually.
func (c *Coordinator) storeOffsets(g *group, commits map[topicPartition]offsetEntry) func(topicPartition) int16 {
	tps := make([]topicPartition, 0, len(commits))
	for tp := range commits {
		tps = append(tps, tp)
	}
	sortTPs(tps)
	records := make([]Record, 0, len(commits))
	for _, tp := range tps {
		e := commits[tp]
		if c.metadataTooLarge(e.metadata) {
			continue
		}
		records = append(records, Record{
			Key: EncodeOffsetKey(g.id, tp.topic, tp.partition),
			Value: EncodeOffsetValue(OffsetValue{Offset: e.offset, LeaderEpoch: e.leaderEpoch, Metadata: e.metadata,
				CommitTimestamp: e.commitTs, ExpireTimestamp: e.expireTs}),
		})
	}
	var code int16
	if len(records) > 0 {
		if err := c.append(g, records); err != nil {
			code = appendErrorCode(err, true)
			c.logf(zerolog.DebugLevel, "Offset commit for group %s failed: %v", g.id, err)
		} else if !g.is(stateDead) {
			for tp, e := range commits {
				if !c.metadataTooLarge(e.metadata) {
					g.offsets[tp] = e
				}
			}
		}
	}
	return func(tp topicPartition) int16 {
		if e, ok := commits[tp]; ok && c.metadataTooLarge(e.metadata) {
			return kerr.OffsetMetadataTooLarge.Code
		}
		return code
	}
}

// OffsetFetch handles an OffsetFetch request: v0-v7 address one group, v8+ several. Topics nil
// (v2+) asks for every committed partition. Partitions without a commit get offset -1.
func (c *Coordinator) OffsetFetch(ctx context.Context, req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	resp := kmsg.NewPtrOffsetFetchResponse()
	resp.Version = req.Version
	if req.Version >= 8 {
		for _, rg := range req.Groups {
			var want []topicPartition
			for _, t := range rg.Topics {
				for _, p := range t.Partitions {
					want = append(want, topicPartition{t.Topic, p})
				}
			}
			code, got := c.fetchOffsets(rg.Group, want, rg.Topics == nil)
			g := kmsg.NewOffsetFetchResponseGroup()
			g.Group = rg.Group
			g.ErrorCode = code
			for _, t := range groupByTopic(got) {
				rt := kmsg.NewOffsetFetchResponseGroupTopic()
				rt.Topic = t.topic
				for _, f := range t.parts {
					rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata = f.tp.partition, f.offset, f.leaderEpoch, &f.metadata
					rt.Partitions = append(rt.Partitions, rp)
				}
				g.Topics = append(g.Topics, rt)
			}
			resp.Groups = append(resp.Groups, g)
		}
		return resp
	}

	var want []topicPartition
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			want = append(want, topicPartition{t.Topic, p})
		}
	}
	code, got := c.fetchOffsets(req.Group, want, req.Topics == nil && req.Version >= 2)
	if code != 0 {
		if req.Version >= 2 {
			resp.ErrorCode = code
			return resp
		}
		// v0/v1 have no top-level error: every requested partition carries it.
		got = got[:0]
		for _, tp := range want {
			got = append(got, fetched{tp: tp, offset: -1, leaderEpoch: noLeaderEpoch, err: code})
		}
	}
	for _, t := range groupByTopic(got) {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = t.topic
		for _, f := range t.parts {
			rp := kmsg.NewOffsetFetchResponseTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch, rp.ErrorCode = f.tp.partition, f.offset, f.leaderEpoch, f.err
			md := f.metadata
			rp.Metadata = &md
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

type fetched struct {
	tp          topicPartition
	offset      int64
	leaderEpoch int32
	metadata    string
	err         int16
}

type topicFetched struct {
	topic string
	parts []fetched
}

// groupByTopic groups partitions by topic, keeping first-seen topic order.
func groupByTopic(fs []fetched) []topicFetched {
	var out []topicFetched
	idx := map[string]int{}
	for _, f := range fs {
		i, ok := idx[f.tp.topic]
		if !ok {
			i = len(out)
			idx[f.tp.topic] = i
			out = append(out, topicFetched{topic: f.tp.topic})
		}
		out[i].parts = append(out[i].parts, f)
	}
	return out
}

// fetchOffsets is GroupMetadataManager.getOffsets: offsets are returned whatever the group's state,
// since standalone consumers commit without group management.
func (c *Coordinator) fetchOffsets(groupID string, want []topicPartition, all bool) (int16, []fetched) {
	g, code := c.lookup(groupID, true, false)
	if code != 0 {
		return code, nil
	}
	missing := func(tp topicPartition) fetched { return fetched{tp: tp, offset: -1, leaderEpoch: noLeaderEpoch} }
	out := make([]fetched, 0, len(want))
	if g != nil {
		g.mu.Lock()
		defer g.mu.Unlock()
	}
	if g == nil || g.is(stateDead) {
		for _, tp := range want {
			out = append(out, missing(tp))
		}
		return 0, out
	}
	if all {
		want = g.sortedOffsets()
	}
	for _, tp := range want {
		e, ok := g.offsets[tp]
		if !ok {
			out = append(out, missing(tp))
			continue
		}
		out = append(out, fetched{tp: tp, offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata})
	}
	return 0, out
}

// DeleteGroups handles a DeleteGroups request: only Empty groups can go; their offsets and
// metadata get tombstones.
func (c *Coordinator) DeleteGroups(ctx context.Context, req *kmsg.DeleteGroupsRequest) *kmsg.DeleteGroupsResponse {
	resp := kmsg.NewPtrDeleteGroupsResponse()
	resp.Version = req.Version
	seen := map[string]bool{}
	var deleted []string
	removed := 0
	for _, id := range req.Groups {
		if seen[id] {
			continue
		}
		seen[id] = true
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group = id
		var n int
		rg.ErrorCode, n = c.deleteGroup(id)
		if rg.ErrorCode == 0 {
			deleted = append(deleted, id)
			removed += n
		}
		resp.Groups = append(resp.Groups, rg)
	}
	if len(deleted) > 0 {
		c.logf(zerolog.InfoLevel, "The following groups were deleted: %s. A total of %d offsets were removed.",
			strings.Join(deleted, ", "), removed)
	}
	return resp
}

func (c *Coordinator) deleteGroup(id string) (int16, int) {
	g, code := c.lookup(id, true, false)
	if code != 0 {
		return code, 0
	}
	if g == nil {
		return kerr.GroupIDNotFound.Code, 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch g.state {
	case stateDead:
		return c.groupGoneCode(id), 0
	case stateEmpty:
		g.transitionTo(stateDead, c.now())
		n := c.cleanupGroupLocked(g, func() []topicPartition {
			tps := g.sortedOffsets()
			g.offsets = map[topicPartition]offsetEntry{}
			return tps
		})
		return 0, n
	default:
		return kerr.NonEmptyGroup.Code, 0
	}
}

// groupGoneCode is what Kafka answers for a Dead group: GROUP_ID_NOT_FOUND while this broker still
// coordinates the id, NOT_COORDINATOR once the partition moved.
func (c *Coordinator) groupGoneCode(id string) int16 {
	if ok, code := c.Owns(id); !ok {
		return code
	}
	return kerr.GroupIDNotFound.Code
}

// OffsetDelete handles an OffsetDelete request. Partitions of topics an active consumer group
// subscribes to are refused with GROUP_SUBSCRIBED_TO_TOPIC.
func (c *Coordinator) OffsetDelete(ctx context.Context, req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	resp := kmsg.NewPtrOffsetDeleteResponse()
	resp.Version = req.Version
	var tps []topicPartition
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			tps = append(tps, topicPartition{t.Topic, p.Partition})
		}
	}
	code, errs := c.deleteOffsets(req.Group, tps)
	resp.ErrorCode = code
	if code != 0 {
		return resp
	}
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = errs[topicPartition{t.Topic, p.Partition}]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func (c *Coordinator) deleteOffsets(id string, tps []topicPartition) (int16, map[topicPartition]int16) {
	g, code := c.lookup(id, false, false)
	if code != 0 {
		return code, nil
	}
	if g == nil {
		return kerr.GroupIDNotFound.Code, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	errs := map[topicPartition]int16{}
	var eligible []topicPartition
	switch {
	case g.is(stateDead):
		return c.groupGoneCode(id), nil
	case g.is(stateEmpty):
		eligible = tps
	case g.protocolType != nil && *g.protocolType == consumerProtocolType:
		for _, tp := range tps {
			if g.isSubscribedTo(tp.topic) {
				errs[tp] = kerr.GroupSubscribedToTopic.Code
			} else {
				eligible = append(eligible, tp)
			}
		}
	default:
		return kerr.NonEmptyGroup.Code, nil
	}
	if len(eligible) > 0 {
		removed := c.cleanupGroupLocked(g, func() []topicPartition {
			var out []topicPartition
			for _, tp := range eligible {
				if _, ok := g.offsets[tp]; ok {
					delete(g.offsets, tp)
					out = append(out, tp)
				}
			}
			return out
		})
		for _, tp := range eligible {
			errs[tp] = 0
		}
		c.logf(zerolog.InfoLevel, "The following offsets of the group %s were deleted: %s. A total of %d offsets were removed.",
			id, formatTPs(eligible), removed)
	}
	return 0, errs
}

// formatTPs prints partitions as Kafka's mkString(", ") of TopicPartitions does: "t-0, t-1".
func formatTPs(tps []topicPartition) string {
	names := make([]string, len(tps))
	for i, tp := range tps {
		names[i] = tp.topic + "-" + itoa(tp.partition)
	}
	return strings.Join(names, ", ")
}

func itoa(i int32) string { return strconv.FormatInt(int64(i), 10) }

// cleanupGroupLocked is GroupMetadataManager.cleanupGroupMetadata for one group: selector removes
// offsets from the cache and returns them; an Empty group left without offsets turns Dead and leaves
// the cache. Tombstones cover the removed offsets and, for a Dead group that ever had a generation,
// its metadata. Returns the number of offsets removed.
func (c *Coordinator) cleanupGroupLocked(g *group, selector func() []topicPartition) int {
	removed := selector()
	if g.is(stateEmpty) && len(g.offsets) == 0 {
		c.logf(zerolog.InfoLevel, "Group %s transitioned to Dead in generation %d", g.id, g.generation)
		g.transitionTo(stateDead, c.now())
	}
	records := make([]Record, 0, len(removed)+1)
	for _, tp := range removed {
		records = append(records, Record{Key: EncodeOffsetKey(g.id, tp.topic, tp.partition)})
	}
	if g.is(stateDead) {
		c.mu.Lock()
		cached := c.groups[g.id] == g
		if cached {
			delete(c.groups, g.id)
		}
		c.mu.Unlock()
		// Standalone (generation 0) groups never wrote metadata, so there is nothing to tombstone.
		if cached && g.generation > 0 {
			records = append(records, Record{Key: EncodeGroupKey(g.id)})
		}
	}
	if len(records) > 0 {
		// A lost tombstone is harmless: the next expiry pass writes it again.
		if err := c.append(g, records); err != nil {
			c.mgrf(zerolog.ErrorLevel, "Failed to append %d tombstones to %s-%d for expired/deleted offsets and/or metadata for group %s: %v",
				len(records), OffsetsTopic, g.partition, g.id, err)
		}
	}
	return len(removed)
}

// removeExpiredOffsets is GroupMetadata.removeExpiredOffsets (KIP-211), returning what it removed.
func (g *group) removeExpiredOffsets(nowMs, retentionMs int64) []topicPartition {
	var base func(offsetEntry) int64
	var skipTopic func(string) bool = func(string) bool { return false }
	switch {
	case g.protocolType != nil && g.is(stateEmpty):
		// Expire once the retention has passed since the group became Empty (or since the
		// commit, when an old record left the state timestamp unknown).
		base = func(e offsetEntry) int64 {
			if g.stateTimestamp >= 0 {
				return g.stateTimestamp
			}
			return e.commitTs
		}
	case g.protocolType != nil && *g.protocolType == consumerProtocolType && g.subscribedSet:
		// An active consumer group keeps the offsets of topics it subscribes to.
		base = func(e offsetEntry) int64 { return e.commitTs }
		skipTopic = func(t string) bool { _, ok := g.subscribed[t]; return ok }
	case g.protocolType == nil:
		base = func(e offsetEntry) int64 { return e.commitTs }
	default:
		return nil
	}
	var out []topicPartition
	for _, tp := range g.sortedOffsets() {
		e := g.offsets[tp]
		if skipTopic(tp.topic) {
			continue
		}
		expired := nowMs-base(e) >= retentionMs
		if e.expireTs != noExpireTimestamp {
			expired = nowMs >= e.expireTs
		}
		if expired {
			delete(g.offsets, tp)
			out = append(out, tp)
		}
	}
	return out
}

// ExpireOffsets runs one offsets-retention pass over every cached group now; the coordinator also
// runs it every offsets.retention.check.interval.ms. Returns the number of offsets removed.
func (c *Coordinator) ExpireOffsets() int {
	start := c.now()
	nowMs := start.UnixMilli()
	retention := c.cfg.OffsetsRetention.Milliseconds()
	total := 0
	for _, g := range c.groupsOf(-1) {
		g.mu.Lock()
		if !g.is(stateDead) {
			total += c.cleanupGroupLocked(g, func() []topicPartition { return g.removeExpiredOffsets(nowMs, retention) })
		}
		g.mu.Unlock()
	}
	c.mgrf(zerolog.InfoLevel, "Removed %d expired offsets in %d milliseconds.", total, c.now().Sub(start).Milliseconds())
	return total
}

// HandleDeletedPartitions is GroupCoordinator.handleDeletedPartitions, for the broker to call
// when UpdateMetadata reports partitions deleted (leader -2): their committed offsets leave every
// cached group, with tombstones, so a topic re-created under the same name starts without stale
// positions; an Empty group left with no offsets turns Dead. deleted maps topic to partitions.
// Returns the number of offsets removed.
func (c *Coordinator) HandleDeletedPartitions(deleted map[string][]int32) int {
	if len(deleted) == 0 {
		return 0
	}
	var tps []topicPartition
	for topic, parts := range deleted {
		for _, p := range parts {
			tps = append(tps, topicPartition{topic, p})
		}
	}
	sortTPs(tps)
	total := 0
	for _, g := range c.groupsOf(-1) {
		g.mu.Lock()
		if !g.is(stateDead) {
			total += c.cleanupGroupLocked(g, func() []topicPartition {
				var out []topicPartition
				for _, tp := range tps {
					if _, ok := g.offsets[tp]; ok {
						delete(g.offsets, tp)
						out = append(out, tp)
					}
				}
				return out
			})
		}
		g.mu.Unlock()
	}
	c.logf(zerolog.InfoLevel, "Removed %d offsets associated with deleted partitions: %s.", total, formatTPs(tps))
	return total
}

func (c *Coordinator) retentionTick() {
	c.ExpireOffsets()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.retention = c.clock.AfterFunc(c.cfg.OffsetsRetentionCheckInterval, c.retentionTick)
	}
}
