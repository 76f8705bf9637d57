package coordinator

import (
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// groupState is GroupState; String gives the names DescribeGroups and ListGroups report.
type groupState int8

const (
	stateEmpty groupState = iota
	statePreparingRebalance
	stateCompletingRebalance
	stateStable
	stateDead
)

func (s groupState) String() string {
	switch s {
	case stateEmpty:
		return "Empty"
	case statePreparingRebalance:
		return "PreparingRebalance"
	case stateCompletingRebalance:
		return "CompletingRebalance"
	case stateStable:
		return "Stable"
	default:
		return "Dead"
	}
}

// validPrevious lists, per target state, the states it may be entered from (GroupState.validPreviousStates).
func (s groupState) validPrevious(from groupState) bool {
	switch s {
	case statePreparingRebalance:
		return from == stateStable || from == stateCompletingRebalance || from == stateEmpty
	case stateCompletingRebalance:
		return from == statePreparingRebalance
	case stateStable:
		return from == stateCompletingRebalance
	case stateEmpty:
		return from == statePreparingRebalance
	case stateDead:
		return true
	}
	return false
}

type protocol struct {
	name     string
	metadata []byte
}

// joinResult is what a parked JoinGroup receives; each waiter renders it for its request version.
type joinResult struct {
	members      []memberSummary // only the leader gets the member list
	memberID     string
	generation   int32
	protocolType *string
	protocolName *string
	leaderID     string
	err          int16
}

type memberSummary struct {
	memberID   string
	instanceID *string
	metadata   []byte
}

type syncResult struct {
	protocolType *string
	protocolName *string
	assignment   []byte
	err          int16
}

func joinError(memberID string, code int16) joinResult {
	return joinResult{memberID: memberID, generation: -1, err: code}
}

// member is MemberMetadata.
type member struct {
	id               string
	instanceID       *string
	clientID         string
	clientHost       string
	rebalanceTimeout int32
	sessionTimeout   int32
	protocolType     string
	protocols        []protocol // the member's preference order
	assignment       []byte

	// awaitingJoin / awaitingSync are the parked JoinGroup / SyncGroup "callbacks". Buffered so the
	// coordinator never blocks on a request that already gave up.
	awaitingJoin chan joinResult
	awaitingSync chan syncResult

	isNew              bool
	heartbeatSatisfied bool
	heartbeat          *timerHandle
}

func (m *member) isStatic() bool { return m.instanceID != nil }

func (m *member) metadataFor(name string) []byte {
	for _, p := range m.protocols {
		if p.name == name {
			return p.metadata
		}
	}
	return nil
}

func (m *member) supports(name string) bool {
	for _, p := range m.protocols {
		if p.name == name {
			return true
		}
	}
	return false
}

// matches is MemberMetadata.matches: same protocols, same order, same metadata.
func (m *member) matches(ps []protocol) bool {
	if len(ps) != len(m.protocols) {
		return false
	}
	for i := range ps {
		if ps[i].name != m.protocols[i].name || string(ps[i].metadata) != string(m.protocols[i].metadata) {
			return false
		}
	}
	return true
}

// hasSatisfiedHeartbeat: members parked in a rebalance count as alive, except brand-new members,
// which must complete their first join within the new-member timeout.
func (m *member) hasSatisfiedHeartbeat() bool {
	if m.isNew {
		return m.heartbeatSatisfied
	}
	if m.awaitingJoin != nil || m.awaitingSync != nil {
		return true
	}
	return m.heartbeatSatisfied
}

// timerHandle identifies one scheduled callback so a callback that fires after being superseded
// (it lost the race for the group lock) can tell and do nothing.
type timerHandle struct {
	t Timer
}

func (h *timerHandle) stop() {
	if h != nil {
		stopTimer(h.t)
	}
}

// joinOp is a scheduled DelayedJoin, or an InitialDelayedJoin when initial is set.
type joinOp struct {
	t         Timer
	initial   bool
	delay     time.Duration
	remaining time.Duration
}

func (j *joinOp) stop() {
	if j != nil {
		stopTimer(j.t)
	}
}

// syncOp is a scheduled DelayedSync for one generation.
type syncOp struct {
	t          Timer
	generation int32
}

func (s *syncOp) stop() {
	if s != nil {
		stopTimer(s.t)
	}
}

type topicPartition struct {
	topic     string
	partition int32
}

// offsetEntry is OffsetAndMetadata as cached (CommitRecordMetadataAndOffset without the log offset).
type offsetEntry struct {
	offset      int64
	leaderEpoch int32
	metadata    string
	commitTs    int64
	expireTs    int64
}

// group is GroupMetadata. Every field is guarded by mu.
type group struct {
	mu        sync.Mutex
	id        string
	partition int32

	state          groupState
	stateTimestamp int64 // ms; -1 when unknown (loaded from an old value version)
	protocolType   *string
	protocolName   *string
	generation     int32
	leader         string

	members       map[string]*member
	order         []string // member ids in join order: stable leader fallback and member listings
	pending       map[string]*timerHandle
	static        map[string]string // group.instance.id -> member id
	pendingSync   map[string]struct{}
	subscribed    map[string]struct{}
	subscribedSet bool // whether subscribed is known (Kafka's Option[Set[String]])

	newMemberAdded bool
	join           *joinOp // DelayedJoin / InitialDelayedJoin
	sync           *syncOp // DelayedSync

	offsets map[topicPartition]offsetEntry
}

func newGroup(id string, partition int32, now time.Time) *group {
	return &group{
		id:             id,
		partition:      partition,
		state:          stateEmpty,
		stateTimestamp: now.UnixMilli(),
		members:        map[string]*member{},
		pending:        map[string]*timerHandle{},
		static:         map[string]string{},
		pendingSync:    map[string]struct{}{},
		offsets:        map[topicPartition]offsetEntry{},
	}
}

func (g *group) is(s groupState) bool { return g.state == s }

func (g *group) transitionTo(s groupState, now time.Time) {
	g.state = s
	g.stateTimestamp = now.UnixMilli()
}

func (g *group) canRebalance() bool { return statePreparingRebalance.validPrevious(g.state) }

func (g *group) has(memberID string) bool { _, ok := g.members[memberID]; return ok }

func (g *group) isLeader(memberID string) bool { return g.leader != "" && g.leader == memberID }

func (g *group) isPending(memberID string) bool { _, ok := g.pending[memberID]; return ok }

func (g *group) hasStatic(instanceID *string) bool {
	if instanceID == nil {
		return false
	}
	_, ok := g.static[*instanceID]
	return ok
}

// isStaticMemberFenced: a known instance id presented with some other member id is a zombie.
func (g *group) isStaticMemberFenced(memberID string, instanceID *string) bool {
	if instanceID == nil {
		return false
	}
	cur, ok := g.static[*instanceID]
	return ok && cur != memberID
}

func (g *group) allMembers() []*member {
	out := make([]*member, 0, len(g.order))
	for _, id := range g.order {
		out = append(out, g.members[id])
	}
	return out
}

func (g *group) numAwaitingJoin() int {
	n := 0
	for _, m := range g.members {
		if m.awaitingJoin != nil {
			n++
		}
	}
	return n
}

func (g *group) hasAllMembersJoined() bool {
	return len(g.members) == g.numAwaitingJoin() && len(g.pending) == 0
}

// rebalanceTimeout is the largest rebalance timeout any member asked for.
func (g *group) rebalanceTimeout() time.Duration {
	var max int32
	for _, m := range g.members {
		if m.rebalanceTimeout > max {
			max = m.rebalanceTimeout
		}
	}
	return time.Duration(max) * time.Millisecond
}

// supportsProtocols: an empty group takes any non-empty protocol type with at least one protocol;
// otherwise the type must match and one protocol must be supported by every current member.
func (g *group) supportsProtocols(protocolType string, ps []protocol) bool {
	if g.is(stateEmpty) {
		return protocolType != "" && len(ps) > 0
	}
	if g.protocolType == nil || *g.protocolType != protocolType {
		return false
	}
	for _, p := range ps {
		all := true
		for _, m := range g.members {
			if !m.supports(p.name) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (g *group) add(m *member, awaiting chan joinResult) {
	if len(g.members) == 0 {
		pt := m.protocolType
		g.protocolType = &pt
	}
	if g.leader == "" {
		g.leader = m.id
	}
	g.members[m.id] = m
	g.order = append(g.order, m.id)
	m.awaitingJoin = awaiting
}

func (g *group) remove(memberID string) {
	if m, ok := g.members[memberID]; ok {
		delete(g.members, memberID)
		for i, id := range g.order {
			if id == memberID {
				g.order = append(g.order[:i:i], g.order[i+1:]...)
				break
			}
		}
		if m.instanceID != nil {
			delete(g.static, *m.instanceID)
		}
		m.heartbeat.stop()
		m.heartbeat = nil
	}
	if g.isLeader(memberID) {
		g.leader = ""
		if len(g.order) > 0 {
			g.leader = g.order[0]
		}
	}
	if h, ok := g.pending[memberID]; ok {
		h.stop()
		delete(g.pending, memberID)
	}
	delete(g.pendingSync, memberID)
}

// replaceStaticMember gives a static member its new member id, fencing anything the old id had parked.
func (g *group) replaceStaticMember(oldID, newID string, instanceID string) *member {
	m := g.members[oldID]
	delete(g.members, oldID)
	sendJoin(m, joinError(oldID, int16(kerr.FencedInstanceID.Code)))
	sendSync(m, syncResult{err: int16(kerr.FencedInstanceID.Code)})
	m.id = newID
	g.members[newID] = m
	for i, id := range g.order {
		if id == oldID {
			g.order[i] = newID
		}
	}
	if g.leader == oldID {
		g.leader = newID
	}
	if _, ok := g.pendingSync[oldID]; ok {
		delete(g.pendingSync, oldID)
		g.pendingSync[newID] = struct{}{}
	}
	g.static[instanceID] = newID
	return m
}

func sendJoin(m *member, r joinResult) bool {
	if m.awaitingJoin == nil {
		return false
	}
	m.awaitingJoin <- r
	m.awaitingJoin = nil
	return true
}

func sendSync(m *member, r syncResult) bool {
	if m.awaitingSync == nil {
		return false
	}
	m.awaitingSync <- r
	m.awaitingSync = nil
	return true
}

// candidateProtocols are the protocols every member supports.
func (g *group) candidateProtocols() map[string]bool {
	out := map[string]bool{}
	for _, m := range g.members {
		for _, p := range m.protocols {
			out[p.name] = true
		}
	}
	for name := range out {
		for _, m := range g.members {
			if !m.supports(name) {
				delete(out, name)
				break
			}
		}
	}
	return out
}

// selectProtocol lets each member vote for its most preferred candidate; most votes wins. Kafka
// breaks ties arbitrarily; here the tie goes to the protocol first voted for in join order.
func (g *group) selectProtocol() string {
	candidates := g.candidateProtocols()
	votes := map[string]int{}
	var first []string
	for _, m := range g.allMembers() {
		for _, p := range m.protocols {
			if candidates[p.name] {
				if votes[p.name] == 0 {
					first = append(first, p.name)
				}
				votes[p.name]++
				break
			}
		}
	}
	best := ""
	for _, name := range first {
		if best == "" || votes[name] > votes[best] {
			best = name
		}
	}
	return best
}

// computeSubscribedTopics mirrors GroupMetadata.computeSubscribedTopics: only consumer groups
// know their topics; a group whose subscriptions fail to parse has unknown topics.
func (g *group) computeSubscribedTopics() {
	g.subscribed, g.subscribedSet = nil, false
	if g.protocolType == nil || *g.protocolType != consumerProtocolType {
		return
	}
	if len(g.members) == 0 {
		g.subscribed, g.subscribedSet = map[string]struct{}{}, true
		return
	}
	if g.protocolName == nil {
		return
	}
	set := map[string]struct{}{}
	for _, m := range g.members {
		topics, ok := parseConsumerSubscription(m.metadataFor(*g.protocolName))
		if !ok {
			return
		}
		for _, t := range topics {
			set[t] = struct{}{}
		}
	}
	g.subscribed, g.subscribedSet = set, true
}

func (g *group) isSubscribedTo(topic string) bool {
	if !g.subscribedSet {
		return false
	}
	_, ok := g.subscribed[topic]
	return ok
}

func (g *group) currentMemberMetadata() []memberSummary {
	out := make([]memberSummary, 0, len(g.members))
	for _, m := range g.allMembers() {
		var md []byte
		if g.protocolName != nil {
			md = m.metadataFor(*g.protocolName)
		}
		out = append(out, memberSummary{memberID: m.id, instanceID: m.instanceID, metadata: md})
	}
	return out
}

// metadataValue builds the GroupMetadataValue record for the current generation with the given
// assignments (members missing from it get none).
func (g *group) metadataValue(assignment map[string][]byte) GroupValue {
	v := GroupValue{
		Generation:            g.generation,
		Protocol:              g.protocolName,
		CurrentStateTimestamp: g.stateTimestamp,
	}
	if g.protocolType != nil {
		v.ProtocolType = *g.protocolType
	}
	if g.leader != "" {
		l := g.leader
		v.Leader = &l
	}
	for _, m := range g.allMembers() {
		mv := MemberValue{
			MemberID:         m.id,
			InstanceID:       m.instanceID,
			ClientID:         m.clientID,
			ClientHost:       m.clientHost,
			RebalanceTimeout: m.rebalanceTimeout,
			SessionTimeout:   m.sessionTimeout,
			Assignment:       assignment[m.id],
		}
		if g.protocolName != nil {
			mv.Subscription = m.metadataFor(*g.protocolName)
		}
		if mv.Assignment == nil {
			mv.Assignment = []byte{}
		}
		if mv.Subscription == nil {
			mv.Subscription = []byte{}
		}
		v.Members = append(v.Members, mv)
	}
	return v
}

// sortedOffsets returns the cached offsets ordered by topic then partition.
func (g *group) sortedOffsets() []topicPartition {
	out := make([]topicPartition, 0, len(g.offsets))
	for tp := range g.offsets {
		out = append(out, tp)
	}
	sortTPs(out)
	return out
}

func sortTPs(tps []topicPartition) {
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].topic != tps[j].topic {
			return tps[i].topic < tps[j].topic
		}
		return tps[i].partition < tps[j].partition
	})
}

// newMemberID is "<clientId or group.instance.id>-<random UUID>", as Kafka generates.
func newMemberID(clientID string, instanceID *string) string {
	prefix := clientID
	if instanceID != nil {
		prefix = *instanceID
	}
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", prefix, u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// String renders the member as MemberMetadata.toString does in Kafka's log lines (trailing
// ", " included).
func (m *member) String() string {
	names := make([]string, len(m.protocols))
	for i, p := range m.protocols {
		names[i] = p.name
	}
	return fmt.Sprintf("MemberMetadata(memberId=%s, groupInstanceId=%s, clientId=%s, clientHost=%s, sessionTimeoutMs=%d, rebalanceTimeoutMs=%d, supportedProtocols=List(%s), )",
		m.id, scalaOption(m.instanceID), m.clientID, m.clientHost, m.sessionTimeout, m.rebalanceTimeout, strings.Join(names, ", "))
}

// scalaOption formats an optional string as Scala prints Option in Kafka's log lines.
func scalaOption(s *string) string {
	if s == nil {
		return "None"
	}
	return "Some(" + *s + ")"
}
