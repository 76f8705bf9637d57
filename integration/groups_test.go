package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/kafka-classic/kafka-classic/coordinator"
)

// Consumer group tests (issue 4): real group members — franz-go in this process, librdkafka
// through kcat in child processes — against one broker, asserting what each member was
// assigned, which records it read, what the coordinator stored and what it logged.

// groupSession is the shortest session timeout group.min.session.timeout.ms (6000) allows,
// so that a killed member is noticed quickly.
const groupSession = 6 * time.Second

// ---------------------------------------------------------------------------------------
// Records consumed across the members of a group

// consumedSet counts, per record value, how many times any member consumed it.
type consumedSet struct {
	mu    sync.Mutex
	count map[string]int
	who   map[string][]string
}

func newConsumedSet() *consumedSet {
	return &consumedSet{count: map[string]int{}, who: map[string][]string{}}
}

func (s *consumedSet) add(member, value string) {
	s.mu.Lock()
	s.count[value]++
	s.who[value] = append(s.who[value], member)
	s.mu.Unlock()
}

// waitExactlyOnce waits until every value was consumed, then fails on any value consumed more
// than once or any value nobody produced.
func (s *consumedSet) waitExactlyOnce(t testing.TB, values []string, timeout time.Duration) {
	t.Helper()
	WaitFor(t, timeout, func() (bool, string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		missing := 0
		first := ""
		for _, v := range values {
			if s.count[v] == 0 {
				if missing == 0 {
					first = v
				}
				missing++
			}
		}
		return missing == 0, fmt.Sprintf("%d of %d records not consumed yet (first: %s)", missing, len(values), first)
	})
	want := map[string]bool{}
	for _, v := range values {
		want[v] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for v, n := range s.count {
		switch {
		case !want[v]:
			t.Errorf("record %q consumed but not produced in this phase (by %v)", v, s.who[v])
		case n != 1:
			t.Errorf("record %q consumed %d times, by %v", v, n, s.who[v])
		}
	}
}

// produceSpread produces n records, record i to partition i%partitions, values prefix-i.
func produceSpread(t testing.TB, b *Broker, topic string, partitions int32, prefix string, from, n int) []string {
	t.Helper()
	cl := NewClient(t, Seeds(b), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DefaultProduceTopic(topic))
	defer cl.Close()
	recs := make([]*kgo.Record, 0, n)
	values := make([]string, 0, n)
	for i := from; i < from+n; i++ {
		v := fmt.Sprintf("%s-%d", prefix, i)
		values = append(values, v)
		recs = append(recs, &kgo.Record{Partition: int32(i) % partitions, Value: []byte(v)})
	}
	ProduceSync(t, cl, recs...)
	return values
}

// ---------------------------------------------------------------------------------------
// franz-go members

// groupMember is a kgo group consumer in this process that tracks what it owns: assigned
// partitions are added, revoked or lost ones removed, which is right for eager and
// cooperative balancers alike.
type groupMember struct {
	name  string
	topic string
	cl    *kgo.Client
	sink  *consumedSet

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	closeOnFence bool
	stuck        bool // with kgo.BlockRebalanceOnPoll: stop polling after the first records, never allowing a rebalance

	mu        sync.Mutex
	owned     map[int32]bool
	assigns   int
	revokes   int // revocations that took partitions away
	losts     int
	recs      []*kgo.Record
	groupErrs []error
	stopped   bool
}

// OnGroupManageError implements kgo.HookGroupManageError.
func (m *groupMember) OnGroupManageError(err error) {
	m.mu.Lock()
	m.groupErrs = append(m.groupErrs, err)
	closeNow := m.closeOnFence && errors.Is(err, kerr.FencedInstanceID)
	m.mu.Unlock()
	if closeNow {
		// A fenced kgo client rejoins after a backoff and would fence its successor in turn;
		// a real deployment's zombie would be gone, so this one leaves the stage at once.
		// (Close waits for the group loop, which is running this hook: hence the goroutine.)
		m.cancel()
		go m.cl.Close()
	}
}

func startGroupMember(t testing.TB, b *Broker, group, topic, name string, sink *consumedSet, opts ...kgo.Opt) *groupMember {
	t.Helper()
	return launchGroupMember(t, b, group, topic, name, sink, false, opts...)
}

func launchGroupMember(t testing.TB, b *Broker, group, topic, name string, sink *consumedSet, stuck bool, opts ...kgo.Opt) *groupMember {
	t.Helper()
	m := &groupMember{name: name, topic: topic, sink: sink, stuck: stuck, owned: map[int32]bool{}, done: make(chan struct{})}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	base := []kgo.Opt{
		kgo.ClientID(name),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.SessionTimeout(groupSession),
		kgo.HeartbeatInterval(300 * time.Millisecond),
		kgo.RebalanceTimeout(20 * time.Second),
		kgo.FetchMaxWait(300 * time.Millisecond),
		kgo.WithHooks(m),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range a[topic] {
				m.owned[p] = true
			}
			m.assigns++
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, cl *kgo.Client, r map[string][]int32) {
			// Commit everything polling handed out, so the next owner starts right after it:
			// that is what makes "exactly once across members" hold through a rebalance.
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			err := cl.CommitUncommittedOffsets(ctx)
			cancel()
			m.mu.Lock()
			defer m.mu.Unlock()
			if err != nil {
				m.groupErrs = append(m.groupErrs, fmt.Errorf("commit on revoke: %w", err))
			}
			for _, p := range r[topic] {
				delete(m.owned, p)
			}
			if len(r[topic]) > 0 {
				m.revokes++
			}
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, l map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range l[topic] {
				delete(m.owned, p)
			}
			m.losts++
		}),
	}
	m.cl = NewClient(t, Seeds(b), append(base, opts...)...)
	go func() {
		defer close(m.done)
		for {
			fs := m.cl.PollFetches(m.ctx)
			// Records first: whatever a poll returned counts as consumed (and will be committed)
			// even when the member is being stopped.
			fs.EachRecord(func(r *kgo.Record) {
				m.mu.Lock()
				m.recs = append(m.recs, r)
				m.mu.Unlock()
				if m.sink != nil {
					m.sink.add(m.name, string(r.Value))
				}
			})
			if fs.IsClientClosed() || m.ctx.Err() != nil {
				return
			}
			if m.stuck && fs.NumRecords() > 0 {
				<-m.ctx.Done()
				return
			}
			fs.EachError(func(tp string, p int32, err error) {
				m.mu.Lock()
				m.groupErrs = append(m.groupErrs, fmt.Errorf("fetch %s-%d: %w", tp, p, err))
				m.mu.Unlock()
			})
		}
	}()
	t.Cleanup(func() { m.cancel(); <-m.done; m.cl.AllowRebalance() })
	return m
}

// startStuckMember is startGroupMember for a member that, once it has records, blocks every
// rebalance (kgo.BlockRebalanceOnPoll without AllowRebalance): it can never rejoin.
func startStuckMember(t testing.TB, b *Broker, group, topic, name string, opts ...kgo.Opt) *groupMember {
	t.Helper()
	return launchGroupMember(t, b, group, topic, name, nil, true, append(opts, kgo.BlockRebalanceOnPoll())...)
}

// stop ends polling, commits what was consumed, and closes the client: a dynamic member leaves
// the group, a static one (kgo.InstanceID) just goes away.
func (m *groupMember) stop(t testing.TB) {
	t.Helper()
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	m.stopped = true
	m.mu.Unlock()
	m.cancel()
	<-m.done
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := m.cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Logf("%s: final commit: %v", m.name, err)
	}
	m.cl.Close()
}

func (m *groupMember) ownedSorted() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return sortedParts(m.owned)
}

func (m *groupMember) counts() (assigns, revokes, losts int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.assigns, m.revokes, m.losts
}

func (m *groupMember) records() []*kgo.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*kgo.Record(nil), m.recs...)
}

func (m *groupMember) sawGroupError(target error) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, err := range m.groupErrs {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func sortedParts(set map[int32]bool) []int32 {
	out := make([]int32, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func partsString(ps []int32) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.Itoa(int(p))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// describeGroup returns DescribeGroups' answer for one group.
func describeGroup(t testing.TB, adm *kadm.Client, group string) (kadm.DescribedGroup, error) {
	t.Helper()
	dgs, err := adm.DescribeGroups(Ctx(t, 20*time.Second), group)
	if err != nil {
		return kadm.DescribedGroup{}, err
	}
	dg, ok := dgs[group]
	if !ok {
		return kadm.DescribedGroup{}, fmt.Errorf("group %s missing from DescribeGroups", group)
	}
	return dg, dg.Err
}

// assignedInDescribe returns, per client id, the partitions of topic the coordinator stored
// as that member's assignment.
func assignedInDescribe(dg kadm.DescribedGroup, topic string) map[string][]int32 {
	out := map[string][]int32{}
	for _, m := range dg.Members {
		set := map[int32]bool{}
		if a, ok := m.Assigned.AsConsumer(); ok {
			for _, tp := range a.Topics {
				if tp.Topic == topic {
					for _, p := range tp.Partitions {
						set[p] = true
					}
				}
			}
		}
		out[m.ClientID] = sortedParts(set)
	}
	return out
}

// waitBalanced waits until the group is Stable with exactly these members, each owning a
// non-empty share of topic's partitions, the shares disjoint and together covering all of
// them, and what each member owns is what the coordinator stored for it. It returns the shares.
func waitBalanced(t testing.TB, adm *kadm.Client, group, topic string, partitions int32, members ...*groupMember) map[string][]int32 {
	t.Helper()
	var shares map[string][]int32
	WaitFor(t, 60*time.Second, func() (bool, string) {
		shares = map[string][]int32{}
		seen := map[int32]string{}
		for _, m := range members {
			owned := m.ownedSorted()
			if len(owned) == 0 {
				return false, m.name + " owns nothing"
			}
			for _, p := range owned {
				if other, dup := seen[p]; dup {
					return false, fmt.Sprintf("partition %d owned by %s and %s", p, other, m.name)
				}
				seen[p] = m.name
			}
			shares[m.name] = owned
		}
		if len(seen) != int(partitions) {
			return false, fmt.Sprintf("%d of %d partitions owned: %v", len(seen), partitions, shares)
		}
		dg, err := describeGroup(t, adm, group)
		if err != nil {
			return false, err.Error()
		}
		if dg.State != "Stable" || len(dg.Members) != len(members) {
			return false, fmt.Sprintf("group %s is %s with %d members, want Stable with %d", group, dg.State, len(dg.Members), len(members))
		}
		stored := assignedInDescribe(dg, topic)
		for name, owned := range shares {
			if partsString(stored[name]) != partsString(owned) {
				return false, fmt.Sprintf("%s owns %v but the coordinator stored %v", name, owned, stored[name])
			}
		}
		return true, ""
	})
	t.Logf("group %s balanced: %v", group, shares)
	return shares
}

func wantEqualShares(t testing.TB, shares map[string][]int32, each int) {
	t.Helper()
	for name, ps := range shares {
		if len(ps) != each {
			t.Errorf("%s owns %v, want %d partitions (shares %v)", name, ps, each, shares)
		}
	}
}

// ---------------------------------------------------------------------------------------
// kcat members (librdkafka) in child processes

type kcatMember struct {
	name    string
	cmd     *exec.Cmd
	outPath string
	errPath string
	done    chan struct{}
}

var kcatAssigned = regexp.MustCompile(`\[(\d+)\]`)

// startKcatMember starts `kcat -G`; extra are more -X settings (e.g. group.instance.id=...).
func startKcatMember(t testing.TB, b *Broker, group, topic, name string, extra ...string) *kcatMember {
	t.Helper()
	path, err := exec.LookPath("kcat")
	requirePrereq(t, err == nil, "kcat on PATH (apt-get install kcat)")
	dir := t.TempDir()
	k := &kcatMember{name: name, outPath: filepath.Join(dir, "stdout"), errPath: filepath.Join(dir, "stderr"), done: make(chan struct{})}
	out, err := os.Create(k.outPath)
	if err != nil {
		t.Fatal(err)
	}
	errf, err := os.Create(k.errPath)
	if err != nil {
		t.Fatal(err)
	}
	k.cmd = exec.Command(path, "-b", b.Addr, "-G", group, topic, "-o", "beginning", "-u",
		"-f", "REC %p %o %s\n",
		"-X", "client.id="+name,
		"-X", "session.timeout.ms="+strconv.Itoa(int(groupSession/time.Millisecond)),
		"-X", "heartbeat.interval.ms=500",
		"-X", "auto.commit.interval.ms=500",
		"-X", "partition.assignment.strategy=range")
	for _, x := range extra {
		k.cmd.Args = append(k.cmd.Args, "-X", x)
	}
	k.cmd.Dir = dir
	k.cmd.Stdout, k.cmd.Stderr = out, errf
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := k.cmd.Start(); err != nil {
		t.Fatalf("start kcat: %v", err)
	}
	go func() {
		_ = k.cmd.Wait()
		out.Close()
		errf.Close()
		close(k.done)
	}()
	t.Cleanup(func() {
		k.kill()
		if t.Failed() {
			t.Logf("---- kcat %s stderr ----\n%s", name, tailFile(k.errPath, 30))
		}
	})
	return k
}

// kill ends kcat with SIGKILL: no LeaveGroup, no final commit.
func (k *kcatMember) kill() {
	_ = syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-k.done:
	case <-time.After(10 * time.Second):
	}
}

// owned parses kcat's rebalance notices on stderr ("% Group g rebalanced (memberid ...):
// assigned: t [0], t [3]" and "... revoked: ..."): the last one tells what it owns now.
func (k *kcatMember) owned() []int32 {
	data, _ := os.ReadFile(k.errPath)
	var cur []int32
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.Contains(line, "assigned:"):
			cur = nil
			for _, m := range kcatAssigned.FindAllStringSubmatch(line[strings.Index(line, "assigned:"):], -1) {
				p, _ := strconv.Atoi(m[1])
				cur = append(cur, int32(p))
			}
			sort.Slice(cur, func(i, j int) bool { return cur[i] < cur[j] })
		case strings.Contains(line, "revoked:"):
			cur = nil
		}
	}
	return cur
}

// values returns the record values kcat printed, in order.
func (k *kcatMember) values() []string {
	data, _ := os.ReadFile(k.outPath)
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.SplitN(line, " ", 4)
		if len(f) == 4 && f[0] == "REC" {
			out = append(out, f[3])
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------
// franz-go members in child processes (so they can die without a word)

// TestGroupMemberProcess is not a test: it is the body of a franz-go group member that
// startMemberProcess runs in a child process (this test binary, re-executed) so that the
// member can be SIGKILLed. It prints "ASSIGNED <partitions>" whenever it is assigned some.
func TestGroupMemberProcess(t *testing.T) {
	if os.Getenv("GROUP_MEMBER_PROCESS") != "1" {
		t.Skip("runs only as the child of a group test")
	}
	topic := os.Getenv("GROUP_MEMBER_TOPIC")
	var mu sync.Mutex
	owned := map[int32]bool{}
	report := func() {
		fmt.Printf("ASSIGNED %s\n", partsString(sortedParts(owned)))
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(os.Getenv("GROUP_MEMBER_BROKER")),
		kgo.ClientID(os.Getenv("GROUP_MEMBER_NAME")),
		kgo.ConsumerGroup(os.Getenv("GROUP_MEMBER_GROUP")),
		kgo.ConsumeTopics(topic),
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.SessionTimeout(groupSession),
		kgo.HeartbeatInterval(300*time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
			mu.Lock()
			defer mu.Unlock()
			for _, p := range a[topic] {
				owned[p] = true
			}
			report()
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
			mu.Lock()
			defer mu.Unlock()
			for _, p := range r[topic] {
				delete(owned, p)
			}
			report()
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Polls until killed; the bound only keeps an orphan from living forever.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		cl.PollFetches(ctx)
	}
}

type memberProcess struct {
	p       *proc
	logPath string
}

func startMemberProcess(t testing.TB, b *Broker, group, topic, name string) *memberProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m := &memberProcess{logPath: filepath.Join(dir, "member.log")}
	env := []string{"GROUP_MEMBER_PROCESS=1", "GROUP_MEMBER_BROKER=" + b.Addr, "GROUP_MEMBER_GROUP=" + group,
		"GROUP_MEMBER_TOPIC=" + topic, "GROUP_MEMBER_NAME=" + name, "TMPDIR=" + dir}
	// The module root as working directory: TestMain looks for go.mod above it.
	m.p, err = startProc(exe, []string{exe, "-test.run=^TestGroupMemberProcess$", "-test.v", "-test.timeout=3m"}, moduleRoot, m.logPath, env, nil)
	if err != nil {
		t.Fatalf("start member process: %v", err)
	}
	t.Cleanup(func() {
		m.p.kill()
		if t.Failed() {
			t.Logf("---- member process %s output ----\n%s", name, tailFile(m.logPath, 30))
		}
	})
	return m
}

// owned is what the child last reported.
func (m *memberProcess) owned() string {
	data, _ := os.ReadFile(m.logPath)
	cur := ""
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "ASSIGNED ") {
			cur = strings.TrimPrefix(line, "ASSIGNED ")
		}
	}
	return cur
}

// ---------------------------------------------------------------------------------------
// __consumer_offsets helpers

// javaStringHash is Java's String.hashCode, written here independently of the coordinator
// package so the test checks its PartitionFor rather than repeating it.
func javaStringHash(s string) int32 {
	var h int32
	for _, c := range utf16.Encode([]rune(s)) {
		h = h*31 + int32(c)
	}
	return h
}

func offsetsPartitionOf(group string) int32 {
	h := javaStringHash(group)
	if h == -1<<31 {
		return 0 // Kafka's Utils.abs maps Integer.MIN_VALUE to 0
	}
	if h < 0 {
		h = -h
	}
	return h % 50
}

// offsetsRecords decodes every record of the broker's __consumer_offsets-<p> segments.
func offsetsRecords(t testing.TB, b *Broker, p int32) []DecodedRecord {
	t.Helper()
	var out []DecodedRecord
	for _, seg := range SegmentFiles(t, b.PartitionDir(coordinator.OffsetsTopic, p)) {
		for _, batch := range ReadSegmentBatches(t, seg) {
			recs, err := DecodeRecords(batch)
			if err != nil {
				t.Fatalf("%s: %v", seg, err)
			}
			out = append(out, recs...)
		}
	}
	return out
}

func fetchCommitted(t testing.TB, adm *kadm.Client, group, topic string, partitions int32) map[int32]int64 {
	t.Helper()
	var got map[int32]int64
	WaitFor(t, 30*time.Second, func() (bool, string) {
		resps, err := adm.FetchOffsets(Ctx(t, 20*time.Second), group)
		if err != nil {
			return false, "FetchOffsets: " + err.Error()
		}
		got = map[int32]int64{}
		for p := int32(0); p < partitions; p++ {
			r, ok := resps.Lookup(topic, p)
			if !ok {
				got[p] = -1
				continue
			}
			if r.Err != nil {
				return false, fmt.Sprintf("FetchOffsets %s-%d: %v", topic, p, r.Err)
			}
			got[p] = r.At
		}
		return true, ""
	})
	return got
}

func wantCommitted(t testing.TB, adm *kadm.Client, group, topic string, want map[int32]int64) {
	t.Helper()
	got := fetchCommitted(t, adm, group, topic, int32(len(want)))
	for p, w := range want {
		if got[p] != w {
			t.Errorf("committed offset of %s for %s-%d = %d, want %d (all: %v)", group, topic, p, got[p], w, got)
		}
	}
}

// startGroupBroker is StartBroker plus a check, when the test ends, that no run of the broker
// reported a data race: with KAFKA_CLASSIC_BIN pointing at a `go build -race` binary these
// tests double as a race test of the coordinator under real clients.
func startGroupBroker(t *testing.T, z ZooKeeper, overrides map[string]string) *Broker {
	t.Helper()
	var b *Broker
	// Registered before the broker's own cleanup, so it runs after the broker stopped and
	// sees races reported during shutdown too.
	t.Cleanup(func() {
		if b == nil {
			return
		}
		for i := 1; i <= b.runs; i++ {
			data, _ := os.ReadFile(b.runLogPath(i))
			if j := strings.Index(string(data), "WARNING: DATA RACE"); j >= 0 {
				end := j + 4000
				if end > len(data) {
					end = len(data)
				}
				t.Errorf("broker run %d reported a data race:\n%s", i, data[j:end])
			}
		}
	})
	b = StartBroker(t, z, 0, overrides)
	return b
}

// ---------------------------------------------------------------------------------------
// Tests

// TestGroupBalancing runs every membership scenario on one ZooKeeper and one broker, each
// with its own topic and group.
func TestGroupBalancing(t *testing.T) {
	z := StartZooKeeper(t)
	b := startGroupBroker(t, z, nil)
	adm := Admin(t, b)
	const parts = 6

	// Eager protocols: two members split the six partitions, a third joins and takes its
	// share; every record produced before and after is read exactly once, which needs the
	// offsets committed on revocation to be served to the partitions' next owners.
	for _, bal := range []struct {
		name     string
		balancer kgo.GroupBalancer
	}{{"range", kgo.RangeBalancer()}, {"roundrobin", kgo.RoundRobinBalancer()}} {
		bal := bal
		t.Run(bal.name, func(t *testing.T) {
			topic, group := "grp-"+bal.name, "group-"+bal.name
			createTopic(t, b, topic, parts, nil)
			sink := newConsumedSet()
			opt := kgo.Balancers(bal.balancer)
			m1 := startGroupMember(t, b, group, topic, bal.name+"-1", sink, opt)
			m2 := startGroupMember(t, b, group, topic, bal.name+"-2", sink, opt)
			wantEqualShares(t, waitBalanced(t, adm, group, topic, parts, m1, m2), 3)
			all := produceSpread(t, b, topic, parts, bal.name, 0, 60)
			sink.waitExactlyOnce(t, all, 60*time.Second)

			m3 := startGroupMember(t, b, group, topic, bal.name+"-3", sink, opt)
			wantEqualShares(t, waitBalanced(t, adm, group, topic, parts, m1, m2, m3), 2)
			all = append(all, produceSpread(t, b, topic, parts, bal.name, 60, 60)...)
			sink.waitExactlyOnce(t, all, 60*time.Second)

			_, gen := m3.cl.GroupMetadata()
			b.WaitForLog(t, fmt.Sprintf("Assignment received from leader for group %s for generation %d. The group has 3 members, 0 of which are static.", group, gen), 10*time.Second)
			dg, err := describeGroup(t, adm, group)
			if err != nil {
				t.Fatal(err)
			}
			if dg.Protocol != bal.name || dg.ProtocolType != "consumer" {
				t.Errorf("DescribeGroups protocol %q type %q, want %q consumer", dg.Protocol, dg.ProtocolType, bal.name)
			}
			for _, m := range []*groupMember{m1, m2, m3} {
				m.stop(t)
			}
			// Every member left: the group is Empty and keeps its offsets (10 per partition
			// per 60-record phase, all consumed).
			WaitFor(t, 30*time.Second, func() (bool, string) {
				dg, err := describeGroup(t, adm, group)
				return err == nil && dg.State == "Empty" && len(dg.Members) == 0, fmt.Sprintf("state %s, %d members, %v", dg.State, len(dg.Members), err)
			})
			want := map[int32]int64{}
			for p := int32(0); p < parts; p++ {
				want[p] = 20
			}
			wantCommitted(t, adm, group, topic, want)
		})
	}

	// Cooperative-sticky: the third member gets partitions without the others giving up the
	// rest (incremental rebalance, owned sets only shrink), and nothing is read twice.
	t.Run("cooperative-sticky", func(t *testing.T) {
		topic, group := "grp-coop", "group-coop"
		createTopic(t, b, topic, parts, nil)
		sink := newConsumedSet()
		opt := kgo.Balancers(kgo.CooperativeStickyBalancer())
		m1 := startGroupMember(t, b, group, topic, "coop-1", sink, opt)
		m2 := startGroupMember(t, b, group, topic, "coop-2", sink, opt)
		before := waitBalanced(t, adm, group, topic, parts, m1, m2)
		wantEqualShares(t, before, 3)
		all := produceSpread(t, b, topic, parts, "coop", 0, 60)
		sink.waitExactlyOnce(t, all, 60*time.Second)
		_, _, lost1 := m1.counts()
		_, _, lost2 := m2.counts()

		m3 := startGroupMember(t, b, group, topic, "coop-3", sink, opt)
		after := waitBalanced(t, adm, group, topic, parts, m1, m2, m3)
		wantEqualShares(t, after, 2)
		for _, name := range []string{"coop-1", "coop-2"} {
			kept := map[int32]bool{}
			for _, p := range before[name] {
				kept[p] = true
			}
			for _, p := range after[name] {
				if !kept[p] {
					t.Errorf("%s owned %v, then %v: a sticky rebalance moved a partition onto an existing member", name, before[name], after[name])
				}
			}
		}
		if _, _, l := m1.counts(); l != lost1 {
			t.Errorf("coop-1 lost its partitions during a cooperative rebalance")
		}
		if _, _, l := m2.counts(); l != lost2 {
			t.Errorf("coop-2 lost its partitions during a cooperative rebalance")
		}
		all = append(all, produceSpread(t, b, topic, parts, "coop", 60, 60)...)
		sink.waitExactlyOnce(t, all, 60*time.Second)
		dg, err := describeGroup(t, adm, group)
		if err != nil {
			t.Fatal(err)
		}
		if dg.Protocol != "cooperative-sticky" {
			t.Errorf("DescribeGroups protocol %q, want cooperative-sticky", dg.Protocol)
		}
	})

	// librdkafka: two kcat -G members split the topic and read each record once; one is
	// SIGKILLed (no LeaveGroup), the coordinator expires it after session.timeout.ms and the
	// survivor takes over all partitions, reading what is produced to them afterwards.
	t.Run("kcat", func(t *testing.T) {
		topic, group := "grp-kcat", "group-kcat"
		createTopic(t, b, topic, parts, nil)
		k1 := startKcatMember(t, b, group, topic, "kcat-1")
		k2 := startKcatMember(t, b, group, topic, "kcat-2")
		WaitFor(t, 60*time.Second, func() (bool, string) {
			o1, o2 := k1.owned(), k2.owned()
			if len(o1) != 3 || len(o2) != 3 {
				return false, fmt.Sprintf("kcat-1 owns %v, kcat-2 owns %v", o1, o2)
			}
			set := map[int32]bool{}
			for _, p := range append(o1, o2...) {
				set[p] = true
			}
			if len(set) != parts {
				return false, fmt.Sprintf("overlap: kcat-1 %v, kcat-2 %v", o1, o2)
			}
			dg, err := describeGroup(t, adm, group)
			if err != nil || dg.State != "Stable" || len(dg.Members) != 2 {
				return false, fmt.Sprintf("group %s, %d members, %v", dg.State, len(dg.Members), err)
			}
			stored := assignedInDescribe(dg, topic)
			if partsString(stored["kcat-1"]) != partsString(o1) || partsString(stored["kcat-2"]) != partsString(o2) {
				return false, fmt.Sprintf("coordinator stored %v; kcat says %v / %v", stored, o1, o2)
			}
			return true, ""
		})
		t.Logf("kcat-1 owns %v, kcat-2 owns %v", k1.owned(), k2.owned())
		all := produceSpread(t, b, topic, parts, "kcat", 0, 60)
		WaitFor(t, 60*time.Second, func() (bool, string) {
			n := len(k1.values()) + len(k2.values())
			return n >= len(all), fmt.Sprintf("kcat members printed %d of %d records", n, len(all))
		})
		seen := map[string]int{}
		for _, v := range append(k1.values(), k2.values()...) {
			seen[v]++
		}
		for _, v := range all {
			if seen[v] != 1 {
				t.Errorf("record %s printed %d times by the kcat members", v, seen[v])
			}
		}
		if len(seen) != len(all) {
			t.Errorf("kcat members printed %d distinct records, want %d", len(seen), len(all))
		}

		gone := k2.owned()
		k2.kill()
		b.WaitForLog(t, "has failed, removing it from the group", 30*time.Second)
		lines := b.LogLines("has failed, removing it from the group")
		if !strings.Contains(strings.Join(lines, "\n"), "in group "+group+" has failed") {
			t.Errorf("expiry line does not name group %s: %q", group, lines)
		}
		WaitFor(t, 60*time.Second, func() (bool, string) {
			o := k1.owned()
			dg, err := describeGroup(t, adm, group)
			if err != nil || dg.State != "Stable" || len(dg.Members) != 1 || len(o) != parts {
				return false, fmt.Sprintf("survivor owns %v; group %s with %d members (%v)", o, dg.State, len(dg.Members), err)
			}
			return true, ""
		})
		later := produceSpread(t, b, topic, parts, "kcat", 60, 30)
		WaitFor(t, 60*time.Second, func() (bool, string) {
			got := map[string]bool{}
			for _, v := range k1.values() {
				got[v] = true
			}
			for _, v := range later {
				if !got[v] {
					return false, fmt.Sprintf("survivor has not printed %s (the killed member had %v)", v, gone)
				}
			}
			return true, ""
		})
	})

	// franz-go: a member in a child process is SIGKILLed (its TCP connections just drop, no
	// LeaveGroup); the coordinator expires it after session.timeout.ms and the survivor takes
	// its partitions, reading what is produced to them afterwards.
	t.Run("kgo-killed", func(t *testing.T) {
		topic, group := "grp-kgo-kill", "group-kgo-kill"
		createTopic(t, b, topic, parts, nil)
		sink := newConsumedSet()
		child := startMemberProcess(t, b, group, topic, "doomed-member")
		WaitFor(t, 60*time.Second, func() (bool, string) {
			return child.owned() == "[0 1 2 3 4 5]", fmt.Sprintf("child member owns %q", child.owned())
		})
		survivor := startGroupMember(t, b, group, topic, "survivor", sink, kgo.Balancers(kgo.RangeBalancer()))
		var childID string
		WaitFor(t, 60*time.Second, func() (bool, string) {
			mine := survivor.ownedSorted()
			dg, err := describeGroup(t, adm, group)
			theirs := child.owned()
			union := map[string]bool{}
			for _, f := range strings.Fields(strings.Trim(theirs, "[]") + " " + strings.Trim(partsString(mine), "[]")) {
				union[f] = true
			}
			if err != nil || dg.State != "Stable" || len(dg.Members) != 2 || len(mine) != 3 || len(union) != parts ||
				len(strings.Fields(strings.Trim(theirs, "[]"))) != 3 {
				return false, fmt.Sprintf("child owns %q, survivor %v; group %s/%d (%v)", theirs, mine, dg.State, len(dg.Members), err)
			}
			for _, m := range dg.Members {
				if m.ClientID == "doomed-member" {
					childID = m.MemberID
				}
			}
			return childID != "", "no member with client id doomed-member"
		})
		_, gen := survivor.cl.GroupMetadata()
		child.p.kill()
		b.WaitForLog(t, fmt.Sprintf("Member %s in group %s has failed, removing it from the group", childID, group), 30*time.Second)
		b.WaitForLog(t, fmt.Sprintf("Preparing to rebalance group %s in state PreparingRebalance with old generation %d (__consumer_offsets-%d) (reason: removing member %s on heartbeat expiration)",
			group, gen, coordinator.PartitionFor(group, 50), childID), 10*time.Second)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			mine := survivor.ownedSorted()
			dg, err := describeGroup(t, adm, group)
			return err == nil && dg.State == "Stable" && len(dg.Members) == 1 && len(mine) == parts,
				fmt.Sprintf("survivor owns %v; group %s/%d (%v)", mine, dg.State, len(dg.Members), err)
		})
		later := produceSpread(t, b, topic, parts, "after-kill", 0, 30)
		sink.waitExactlyOnce(t, later, 60*time.Second)
	})

	// Static membership (KIP-345): a member with a group.instance.id that restarts within its
	// session timeout gets its old partitions back with no rebalance; a second live instance
	// with the same id fences the first, whose requests then get FENCED_INSTANCE_ID.
	t.Run("static", func(t *testing.T) {
		topic, group := "grp-static", "group-static"
		createTopic(t, b, topic, parts, nil)
		opts := func(inst string) []kgo.Opt {
			return []kgo.Opt{kgo.Balancers(kgo.RangeBalancer()), kgo.InstanceID(inst), kgo.SessionTimeout(20 * time.Second)}
		}
		a := startGroupMember(t, b, group, topic, "static-a", nil, opts("inst-a")...)
		bm := startGroupMember(t, b, group, topic, "static-b", nil, opts("inst-b")...)
		shares := waitBalanced(t, adm, group, topic, parts, a, bm)
		oldA, gen := a.cl.GroupMetadata()
		_, genB := bm.cl.GroupMetadata()
		if gen != genB || gen <= 0 {
			t.Fatalf("generations %d / %d after the first rebalance", gen, genB)
		}
		stabilized := len(b.LogLines("Stabilized group " + group + " "))
		assignsB, revokesB, lostsB := bm.counts()
		for _, inst := range []string{"inst-a", "inst-b"} {
			if !b.LogContains(fmt.Sprintf("Adding new static member Some(%s) to group %s with member id %s-", inst, group, inst)) {
				t.Errorf("no 'Adding new static member Some(%s)' line", inst)
			}
		}
		b.WaitForLog(t, fmt.Sprintf("Assignment received from leader for group %s for generation %d. The group has 2 members, 2 of which are static.", group, gen), 10*time.Second)

		// Restart "a": the client closes without LeaveGroup (static), a new one comes back.
		a.stop(t)
		a2 := startGroupMember(t, b, group, topic, "static-a", nil, opts("inst-a")...)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			return partsString(a2.ownedSorted()) == partsString(shares["static-a"]),
				fmt.Sprintf("restarted static-a owns %v, had %v", a2.ownedSorted(), shares["static-a"])
		})
		newA, genA2 := a2.cl.GroupMetadata()
		if newA == oldA || !strings.HasPrefix(newA, "inst-a-") {
			t.Errorf("restarted static member id %q (old %q): want a new id prefixed by the instance id", newA, oldA)
		}
		if _, g := bm.cl.GroupMetadata(); genA2 != gen || g != gen {
			t.Errorf("generation changed across a static restart: %d -> a %d, b %d", gen, genA2, g)
		}
		if n := len(b.LogLines("Stabilized group " + group + " ")); n != stabilized {
			t.Errorf("%d Stabilized lines after the static restart, %d before: a rebalance happened", n, stabilized)
		}
		b.WaitForLog(t, "Static member which joins during Stable stage and doesn't affect selectProtocol will not trigger rebalance.", 10*time.Second)
		if as, rs, ls := bm.counts(); as != assignsB || rs != revokesB || ls != lostsB {
			t.Errorf("static-b saw callbacks during the restart of static-a: assigned %d->%d revoked %d->%d lost %d->%d", assignsB, as, revokesB, rs, lostsB, ls)
		}
		if partsString(bm.ownedSorted()) != partsString(shares["static-b"]) {
			t.Errorf("static-b owns %v, had %v", bm.ownedSorted(), shares["static-b"])
		}
		dg, err := describeGroup(t, adm, group)
		if err != nil {
			t.Fatal(err)
		}
		insts := map[string]string{}
		for _, m := range dg.Members {
			if m.InstanceID != nil {
				insts[*m.InstanceID] = m.MemberID
			}
		}
		if dg.State != "Stable" || len(dg.Members) != 2 || insts["inst-a"] != newA || insts["inst-b"] == "" {
			t.Errorf("after the restart: state %s, instances %v (want inst-a=%s and inst-b)", dg.State, insts, newA)
		}

		// A duplicate instance: the newcomer takes over inst-a, the old one is fenced.
		a2.mu.Lock()
		a2.closeOnFence = true
		a2.mu.Unlock()
		a3 := startGroupMember(t, b, group, topic, "static-a-dup", nil, opts("inst-a")...)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			return a2.sawGroupError(kerr.FencedInstanceID), "the replaced inst-a member never got FENCED_INSTANCE_ID"
		})
		WaitFor(t, 30*time.Second, func() (bool, string) {
			id, _ := a3.cl.GroupMetadata()
			return partsString(a3.ownedSorted()) == partsString(shares["static-a"]) && strings.HasPrefix(id, "inst-a-"),
				fmt.Sprintf("the new inst-a member (%s) owns %v, want %v", id, a3.ownedSorted(), shares["static-a"])
		})
		// The protocol level, request by request: the fenced id is refused, the current one is not.
		cur, curGen := a3.cl.GroupMetadata()
		cl := Client(t, b)
		inst := "inst-a"
		hb := kmsg.NewPtrHeartbeatRequest()
		hb.Group, hb.Generation, hb.MemberID, hb.InstanceID = group, curGen, newA, &inst
		if code := BrokerRequest(t, cl, 0, hb).(*kmsg.HeartbeatResponse).ErrorCode; code != kerr.FencedInstanceID.Code {
			t.Errorf("Heartbeat from the fenced member id: error %d, want FENCED_INSTANCE_ID (82)", code)
		}
		hb.MemberID = cur
		if code := BrokerRequest(t, cl, 0, hb).(*kmsg.HeartbeatResponse).ErrorCode; code != 0 {
			t.Errorf("Heartbeat from the current inst-a member: error %d, want 0", code)
		}
		oc := kmsg.NewPtrOffsetCommitRequest()
		oc.Group, oc.Generation, oc.MemberID, oc.InstanceID = group, curGen, newA, &inst
		ot := kmsg.NewOffsetCommitRequestTopic()
		ot.Topic = topic
		op := kmsg.NewOffsetCommitRequestTopicPartition()
		op.Partition, op.Offset = shares["static-a"][0], 0
		ot.Partitions = append(ot.Partitions, op)
		oc.Topics = append(oc.Topics, ot)
		if code := BrokerRequest(t, cl, 0, oc).(*kmsg.OffsetCommitResponse).Topics[0].Partitions[0].ErrorCode; code != kerr.FencedInstanceID.Code {
			t.Errorf("OffsetCommit from the fenced member id: error %d, want FENCED_INSTANCE_ID (82)", code)
		}
	})

	// Static membership with librdkafka, and static members' expiry: a SIGKILLed kcat with a
	// group.instance.id comes back within the session timeout and takes its partitions back
	// without a rebalance; killed for good, it is removed once its session expires and the
	// other member (franz-go) takes everything.
	t.Run("static-kcat", func(t *testing.T) {
		topic, group := "grp-static-kcat", "group-static-kcat"
		createTopic(t, b, topic, parts, nil)
		m := startGroupMember(t, b, group, topic, "dyn", nil, kgo.Balancers(kgo.RangeBalancer()))
		k := startKcatMember(t, b, group, topic, "kcat-static", "group.instance.id=kcat-inst")
		var kshare []int32
		WaitFor(t, 60*time.Second, func() (bool, string) {
			kshare = k.owned()
			mine := m.ownedSorted()
			dg, err := describeGroup(t, adm, group)
			if err != nil || dg.State != "Stable" || len(dg.Members) != 2 || len(kshare)+len(mine) != parts || len(kshare) == 0 || len(mine) == 0 {
				return false, fmt.Sprintf("kcat owns %v, dyn owns %v, group %s/%d members (%v)", kshare, mine, dg.State, len(dg.Members), err)
			}
			return true, ""
		})
		_, gen := m.cl.GroupMetadata()
		mShare := m.ownedSorted()
		stabilized := len(b.LogLines("Stabilized group " + group + " "))
		assigns, revokes, losts := m.counts()

		k.kill()
		k2 := startKcatMember(t, b, group, topic, "kcat-static", "group.instance.id=kcat-inst")
		WaitFor(t, 30*time.Second, func() (bool, string) {
			return partsString(k2.owned()) == partsString(kshare), fmt.Sprintf("restarted kcat owns %v, had %v", k2.owned(), kshare)
		})
		if _, g := m.cl.GroupMetadata(); g != gen {
			t.Errorf("generation %d -> %d across a static kcat restart", gen, g)
		}
		if n := len(b.LogLines("Stabilized group " + group + " ")); n != stabilized {
			t.Errorf("a rebalance happened across a static kcat restart (%d -> %d Stabilized lines)", stabilized, n)
		}
		if a, r, l := m.counts(); a != assigns || r != revokes || l != losts {
			t.Errorf("the other member saw callbacks during the static restart: %d/%d/%d -> %d/%d/%d", assigns, revokes, losts, a, r, l)
		}
		dg, err := describeGroup(t, adm, group)
		if err != nil {
			t.Fatal(err)
		}
		var kcatID string
		for _, mm := range dg.Members {
			if mm.InstanceID != nil && *mm.InstanceID == "kcat-inst" {
				kcatID = mm.MemberID
			}
		}
		if kcatID == "" || !strings.HasPrefix(kcatID, "kcat-inst-") {
			t.Fatalf("no member for instance kcat-inst in %+v", dg.Members)
		}

		k2.kill()
		b.WaitForLog(t, fmt.Sprintf("Member %s in group %s has failed, removing it from the group", kcatID, group), 30*time.Second)
		WaitFor(t, 60*time.Second, func() (bool, string) {
			owned := m.ownedSorted()
			dg, err := describeGroup(t, adm, group)
			if err != nil || dg.State != "Stable" || len(dg.Members) != 1 || len(owned) != parts {
				return false, fmt.Sprintf("survivor owns %v (had %v); group %s with %d members (%v)", owned, mShare, dg.State, len(dg.Members), err)
			}
			return true, ""
		})
		if _, g := m.cl.GroupMetadata(); g <= gen {
			t.Errorf("generation %d after the static member expired, was %d", g, gen)
		}
	})

	// Old and new protocol versions in one group: JoinGroup v0 (no rebalance timeout, the
	// session timeout stands in), SyncGroup/Heartbeat/LeaveGroup v0, OffsetCommit v2,
	// OffsetFetch v1 and FindCoordinator v0 next to JoinGroup v4 (MEMBER_ID_REQUIRED).
	t.Run("old-versions", func(t *testing.T) {
		topic, group := "grp-versions", "group-versions"
		createTopic(t, b, topic, parts, nil)
		old := kversion.V2_8_0()
		for k, v := range map[kmsg.Key]int16{kmsg.JoinGroup: 0, kmsg.SyncGroup: 0, kmsg.Heartbeat: 0, kmsg.LeaveGroup: 0,
			kmsg.OffsetCommit: 2, kmsg.OffsetFetch: 1, kmsg.FindCoordinator: 0} {
			old.SetMaxKeyVersion(int16(k), v)
		}
		mid := kversion.V2_8_0()
		for k, v := range map[kmsg.Key]int16{kmsg.JoinGroup: 4, kmsg.SyncGroup: 2, kmsg.Heartbeat: 2, kmsg.LeaveGroup: 2,
			kmsg.OffsetCommit: 6, kmsg.OffsetFetch: 5, kmsg.FindCoordinator: 2} {
			mid.SetMaxKeyVersion(int16(k), v)
		}
		sink := newConsumedSet()
		bal := kgo.Balancers(kgo.RangeBalancer())
		m1 := startGroupMember(t, b, group, topic, "v0", sink, bal, kgo.MaxVersions(old))
		m2 := startGroupMember(t, b, group, topic, "v4", sink, bal, kgo.MaxVersions(mid))
		wantEqualShares(t, waitBalanced(t, adm, group, topic, parts, m1, m2), 3)
		all := produceSpread(t, b, topic, parts, "ver", 0, 60)
		sink.waitExactlyOnce(t, all, 60*time.Second)
		m1.stop(t)
		waitBalanced(t, adm, group, topic, parts, m2)
		m2.stop(t)
		want := map[int32]int64{}
		for p := int32(0); p < parts; p++ {
			want[p] = 10
		}
		wantCommitted(t, adm, group, topic, want)
	})

	// A member that cannot rejoin (it blocks its own rebalance) is dropped when the rebalance
	// timeout ends the join phase, and the others go on without it; released, it rejoins.
	t.Run("rebalance-timeout", func(t *testing.T) {
		topic, group := "grp-stuck", "group-stuck"
		createTopic(t, b, topic, parts, nil)
		opts := []kgo.Opt{kgo.Balancers(kgo.RangeBalancer()), kgo.RebalanceTimeout(3 * time.Second)}
		stuck := startStuckMember(t, b, group, topic, "stuck", opts...)
		waitBalanced(t, adm, group, topic, parts, stuck)
		produceSpread(t, b, topic, parts, "stuck", 0, 12)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			return len(stuck.records()) > 0, "the stuck member has consumed nothing yet"
		})
		stuckID, _ := stuck.cl.GroupMetadata()
		other := startGroupMember(t, b, group, topic, "other", nil, opts...)
		b.WaitForLog(t, fmt.Sprintf("Group %s removed dynamic members who haven't joined: Set(%s)", group, stuckID), 30*time.Second)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			dg, err := describeGroup(t, adm, group)
			owned := other.ownedSorted()
			return err == nil && dg.State == "Stable" && len(dg.Members) == 1 && len(owned) == parts,
				fmt.Sprintf("group %s with %d members, other owns %v (%v)", dg.State, len(dg.Members), owned, err)
		})
		stuck.cl.AllowRebalance()
		WaitFor(t, 30*time.Second, func() (bool, string) {
			dg, err := describeGroup(t, adm, group)
			return err == nil && dg.State == "Stable" && len(dg.Members) == 2, fmt.Sprintf("group %s with %d members (%v)", dg.State, len(dg.Members), err)
		})
	})

	// Members the coordinator must turn away: a protocol nobody else speaks, and a session
	// timeout outside [group.min.session.timeout.ms, group.max.session.timeout.ms].
	t.Run("refused-joins", func(t *testing.T) {
		topic, group := "grp-refused", "group-refused"
		createTopic(t, b, topic, parts, nil)
		m := startGroupMember(t, b, group, topic, "ranger", nil, kgo.Balancers(kgo.RangeBalancer()))
		waitBalanced(t, adm, group, topic, parts, m)
		coop := startGroupMember(t, b, group, topic, "cooper", nil, kgo.Balancers(kgo.CooperativeStickyBalancer()))
		short := startGroupMember(t, b, group, topic, "hasty", nil, kgo.Balancers(kgo.RangeBalancer()), kgo.SessionTimeout(2*time.Second))
		WaitFor(t, 30*time.Second, func() (bool, string) {
			return coop.sawGroupError(kerr.InconsistentGroupProtocol) && short.sawGroupError(kerr.InvalidSessionTimeout),
				fmt.Sprintf("INCONSISTENT_GROUP_PROTOCOL seen: %v, INVALID_SESSION_TIMEOUT seen: %v",
					coop.sawGroupError(kerr.InconsistentGroupProtocol), short.sawGroupError(kerr.InvalidSessionTimeout))
		})
		coop.stop(t)
		short.stop(t)
		dg, err := describeGroup(t, adm, group)
		if err != nil || dg.State != "Stable" || len(dg.Members) != 1 || dg.Members[0].ClientID != "ranger" {
			t.Errorf("group after refused joins: %+v %v", dg, err)
		}
		if owned := m.ownedSorted(); len(owned) != parts {
			t.Errorf("the established member owns %v after refused joins", owned)
		}
	})

	// LeaveGroup v3 naming a group.instance.id (what kafka-consumer-groups --delete-members
	// and removeMembersFromConsumerGroup send) removes that static member at once.
	t.Run("leave-by-instance", func(t *testing.T) {
		topic, group := "grp-leave", "group-leave"
		createTopic(t, b, topic, parts, nil)
		bal := kgo.Balancers(kgo.RangeBalancer())
		st := startGroupMember(t, b, group, topic, "static-leaver", nil, bal, kgo.InstanceID("leaver"), kgo.SessionTimeout(30*time.Second))
		dyn := startGroupMember(t, b, group, topic, "stayer", nil, bal)
		waitBalanced(t, adm, group, topic, parts, st, dyn)
		stID, _ := st.cl.GroupMetadata()
		st.stop(t) // a static member's close sends no LeaveGroup: it stays in the group
		dg, err := describeGroup(t, adm, group)
		if err != nil || len(dg.Members) != 2 {
			t.Fatalf("after the static member's close: %+v %v", dg, err)
		}
		lr, err := adm.LeaveGroup(Ctx(t, 20*time.Second), kadm.LeaveGroup(group).InstanceIDs("leaver"))
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := lr["leaver"]; !ok || r.Err != nil {
			t.Fatalf("LeaveGroup by instance id: %+v", lr)
		}
		b.WaitForLog(t, fmt.Sprintf("Member[group.instance.id Some(leaver), member.id %s] in group %s has left, removing it from the group", stID, group), 10*time.Second)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			dg, err := describeGroup(t, adm, group)
			owned := dyn.ownedSorted()
			return err == nil && dg.State == "Stable" && len(dg.Members) == 1 && len(owned) == parts,
				fmt.Sprintf("group %s with %d members, stayer owns %v (%v)", dg.State, len(dg.Members), owned, err)
		})
		lr, err = adm.LeaveGroup(Ctx(t, 20*time.Second), kadm.LeaveGroup(group).InstanceIDs("leaver"))
		if err != nil {
			t.Fatal(err)
		}
		if r := lr["leaver"]; !errors.Is(r.Err, kerr.UnknownMemberID) {
			t.Errorf("second LeaveGroup for a gone instance: %v, want UNKNOWN_MEMBER_ID", r.Err)
		}
	})

	// Many members arriving and leaving at once: eight join together, the join phase gathers
	// them into one generation's worth of rebalancing, each ends up with two of sixteen
	// partitions; half leave together and the rest share everything.
	t.Run("many-members", func(t *testing.T) {
		const many = 16
		topic, group := "grp-many", "group-many"
		createTopic(t, b, topic, many, nil)
		sink := newConsumedSet()
		members := make([]*groupMember, 8)
		var wg sync.WaitGroup
		for i := range members {
			i := i
			wg.Add(1)
			go func() {
				defer wg.Done()
				members[i] = startGroupMember(t, b, group, topic, fmt.Sprintf("many-%d", i), sink, kgo.Balancers(kgo.RoundRobinBalancer()))
			}()
		}
		wg.Wait()
		wantEqualShares(t, waitBalanced(t, adm, group, topic, many, members...), 2)
		all := produceSpread(t, b, topic, many, "many", 0, 160)
		sink.waitExactlyOnce(t, all, 60*time.Second)
		for _, m := range members[4:] {
			wg.Add(1)
			go func(m *groupMember) { defer wg.Done(); m.stop(t) }(m)
		}
		wg.Wait()
		wantEqualShares(t, waitBalanced(t, adm, group, topic, many, members[:4]...), 4)
		all = append(all, produceSpread(t, b, topic, many, "many", 160, 160)...)
		sink.waitExactlyOnce(t, all, 60*time.Second)
	})

	// A member changing its subscription rejoins with new metadata: the group rebalances, the
	// new topic goes to the only member subscribed to it, and the coordinator now counts the
	// group as subscribed to that topic (OffsetDelete refuses it).
	t.Run("subscription-change", func(t *testing.T) {
		topicA, topicB, group := "grp-sub-a", "grp-sub-b", "group-sub"
		createTopic(t, b, topicA, parts, nil)
		createTopic(t, b, topicB, 2, nil)
		bal := kgo.Balancers(kgo.RangeBalancer())
		m1 := startGroupMember(t, b, group, topicA, "sub-1", nil, bal)
		m2 := startGroupMember(t, b, group, topicA, "sub-2", nil, bal)
		waitBalanced(t, adm, group, topicA, parts, m1, m2)
		stabilized := len(b.LogLines("Stabilized group " + group + " "))
		m2.cl.AddConsumeTopics(topicB)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			dg, err := describeGroup(t, adm, group)
			if err != nil || dg.State != "Stable" {
				return false, fmt.Sprintf("group %s (%v)", dg.State, err)
			}
			onB := assignedInDescribe(dg, topicB)
			onA := assignedInDescribe(dg, topicA)
			if partsString(onB["sub-2"]) != "[0 1]" || len(onB["sub-1"]) != 0 || len(onA["sub-1"])+len(onA["sub-2"]) != parts {
				return false, fmt.Sprintf("assignment on %s %v, on %s %v", topicB, onB, topicA, onA)
			}
			for _, m := range dg.Members {
				j, _ := m.Join.AsConsumer()
				if m.ClientID == "sub-2" && (j == nil || len(j.Topics) != 2) {
					return false, fmt.Sprintf("sub-2's subscription %+v", j)
				}
			}
			return true, ""
		})
		if n := len(b.LogLines("Stabilized group " + group + " ")); n <= stabilized {
			t.Errorf("no new generation after a subscription change (%d Stabilized lines)", n)
		}
		del := kadm.TopicsSet{}
		del.Add(topicB, 0)
		dr, err := adm.DeleteOffsets(Ctx(t, 20*time.Second), group, del)
		if err != nil {
			t.Fatal(err)
		}
		if e := dr.Error(); !errors.Is(e, kerr.GroupSubscribedToTopic) {
			t.Errorf("DeleteOffsets on the newly subscribed topic: %v, want GROUP_SUBSCRIBED_TO_TOPIC", e)
		}
	})

	// Commits and offset deletions naming partitions the cluster does not have are answered
	// UNKNOWN_TOPIC_OR_PARTITION partition by partition, and nothing is stored for them.
	t.Run("unknown-partitions", func(t *testing.T) {
		topic, group := "grp-known", "group-unknown"
		createTopic(t, b, topic, 2, nil)
		// Through kadm first: it finds the coordinator (creating __consumer_offsets if this
		// subtest runs alone) before the raw requests go to broker 0.
		if got := fetchCommitted(t, adm, group, topic, 1); got[0] != -1 {
			t.Fatalf("fresh group has offsets %v", got)
		}
		cl := Client(t, b)
		oc := kmsg.NewPtrOffsetCommitRequest()
		oc.Group, oc.Generation = group, -1
		for _, tp := range []struct {
			topic string
			parts []int32
		}{{topic, []int32{0, 99}}, {"no-such-topic", []int32{0}}} {
			rt := kmsg.NewOffsetCommitRequestTopic()
			rt.Topic = tp.topic
			for _, p := range tp.parts {
				rp := kmsg.NewOffsetCommitRequestTopicPartition()
				rp.Partition, rp.Offset = p, 11
				rt.Partitions = append(rt.Partitions, rp)
			}
			oc.Topics = append(oc.Topics, rt)
		}
		codes := map[string]int16{}
		for _, rt := range BrokerRequest(t, cl, 0, oc).(*kmsg.OffsetCommitResponse).Topics {
			for _, rp := range rt.Partitions {
				codes[fmt.Sprintf("%s-%d", rt.Topic, rp.Partition)] = rp.ErrorCode
			}
		}
		want := map[string]int16{topic + "-0": 0, topic + "-99": kerr.UnknownTopicOrPartition.Code, "no-such-topic-0": kerr.UnknownTopicOrPartition.Code}
		if fmt.Sprint(codes) != fmt.Sprint(want) {
			t.Errorf("OffsetCommit codes %v, want %v", codes, want)
		}
		resps, err := adm.FetchOffsets(Ctx(t, 20*time.Second), group)
		if err != nil {
			t.Fatal(err)
		}
		var stored []string
		resps.Each(func(r kadm.OffsetResponse) {
			stored = append(stored, fmt.Sprintf("%s-%d@%d", r.Topic, r.Partition, r.At))
		})
		if strings.Join(stored, ",") != topic+"-0@11" {
			t.Errorf("stored offsets %v, want only %s-0@11", stored, topic)
		}

		od := kmsg.NewPtrOffsetDeleteRequest()
		od.Group = group
		for _, name := range []string{topic, "no-such-topic"} {
			rt := kmsg.NewOffsetDeleteRequestTopic()
			rt.Topic = name
			rp := kmsg.NewOffsetDeleteRequestTopicPartition()
			rp.Partition = 0
			rt.Partitions = append(rt.Partitions, rp)
			od.Topics = append(od.Topics, rt)
		}
		dresp := BrokerRequest(t, cl, 0, od).(*kmsg.OffsetDeleteResponse)
		codes = map[string]int16{}
		for _, rt := range dresp.Topics {
			for _, rp := range rt.Partitions {
				codes[fmt.Sprintf("%s-%d", rt.Topic, rp.Partition)] = rp.ErrorCode
			}
		}
		want = map[string]int16{topic + "-0": 0, "no-such-topic-0": kerr.UnknownTopicOrPartition.Code}
		if dresp.ErrorCode != 0 || fmt.Sprint(codes) != fmt.Sprint(want) {
			t.Errorf("OffsetDelete: error %d, codes %v, want %v", dresp.ErrorCode, codes, want)
		}
		if got := fetchCommitted(t, adm, group, topic, 1); got[0] != -1 {
			t.Errorf("offset survived OffsetDelete: %v", got)
		}
	})

	// What the admin APIs report, and where the coordinator keeps it.
	t.Run("describe-list-delete", func(t *testing.T) {
		topic, group := "grp-admin", "group-admin"
		createTopic(t, b, topic, parts, nil)
		sink := newConsumedSet()
		opt := kgo.Balancers(kgo.RangeBalancer())
		m1 := startGroupMember(t, b, group, topic, "admin-one", sink, opt)
		m2 := startGroupMember(t, b, group, topic, "admin-two", sink, opt)
		shares := waitBalanced(t, adm, group, topic, parts, m1, m2)
		all := produceSpread(t, b, topic, parts, "admin", 0, 12)
		sink.waitExactlyOnce(t, all, 60*time.Second)

		dg, err := describeGroup(t, adm, group)
		if err != nil {
			t.Fatal(err)
		}
		if dg.State != "Stable" || dg.ProtocolType != "consumer" || dg.Protocol != "range" || len(dg.Members) != 2 {
			t.Errorf("DescribeGroups: state %q type %q protocol %q, %d members", dg.State, dg.ProtocolType, dg.Protocol, len(dg.Members))
		}
		for _, m := range dg.Members {
			if m.ClientHost != "/127.0.0.1" {
				t.Errorf("member %s client host %q, want /127.0.0.1", m.MemberID, m.ClientHost)
			}
			if !strings.HasPrefix(m.MemberID, m.ClientID+"-") || (m.ClientID != "admin-one" && m.ClientID != "admin-two") {
				t.Errorf("member id %q for client id %q: want <client.id>-<uuid>", m.MemberID, m.ClientID)
			}
			if j, ok := m.Join.AsConsumer(); !ok || len(j.Topics) != 1 || j.Topics[0] != topic {
				t.Errorf("member %s subscription %+v, want [%s]", m.ClientID, j, topic)
			}
		}
		if got := assignedInDescribe(dg, topic); partsString(got["admin-one"]) != partsString(shares["admin-one"]) {
			t.Errorf("DescribeGroups assignment %v, members own %v", got, shares)
		}
		lg, err := adm.ListGroups(Ctx(t, 20*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if g, ok := lg[group]; !ok || g.State != "Stable" || g.ProtocolType != "consumer" || g.Coordinator != 0 {
			t.Errorf("ListGroups entry %+v (present %v)", g, ok)
		}
		// ListGroups v4's states filter.
		if lg, err := adm.ListGroups(Ctx(t, 20*time.Second), "Empty", "Dead"); err != nil {
			t.Error(err)
		} else if _, ok := lg[group]; ok {
			t.Errorf("a Stable group listed under the filter Empty,Dead: %+v", lg)
		}
		if lg, err := adm.ListGroups(Ctx(t, 20*time.Second), "Stable"); err != nil {
			t.Error(err)
		} else if _, ok := lg[group]; !ok {
			t.Errorf("the Stable group missing under the filter Stable: %+v", lg)
		}

		// A non-empty group cannot be deleted.
		dr, err := adm.DeleteGroups(Ctx(t, 20*time.Second), group)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(dr[group].Err, kerr.NonEmptyGroup) {
			t.Errorf("DeleteGroups on a Stable group: %v, want NON_EMPTY_GROUP", dr[group].Err)
		}

		// The coordinator's narration and its partition of __consumer_offsets.
		p := offsetsPartitionOf(group)
		if cp := coordinator.PartitionFor(group, 50); cp != p {
			t.Errorf("coordinator.PartitionFor(%q) = %d, Java's abs(hashCode) %% 50 = %d", group, cp, p)
		}
		for _, line := range []string{
			fmt.Sprintf("[GroupCoordinator 0]: Elected as the group coordinator for partition %d in epoch 0", p),
			fmt.Sprintf("Preparing to rebalance group %s in state PreparingRebalance with old generation 0 (__consumer_offsets-%d) (reason: ", group, p),
			fmt.Sprintf("Stabilized group %s generation 1 (__consumer_offsets-%d)", group, p),
		} {
			if !b.LogContains(line) {
				t.Errorf("broker log lacks %q", line)
			}
		}
		// The last generation the log narrates is the one the members are in.
		_, gen := m1.cl.GroupMetadata()
		stab := b.LogLines("Stabilized group " + group + " generation ")
		if len(stab) == 0 || !strings.Contains(stab[len(stab)-1], fmt.Sprintf("generation %d (", gen)) {
			t.Errorf("last Stabilized line %q, members are in generation %d", stab, gen)
		}

		m1.stop(t)
		m2.stop(t)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			lg, err := adm.ListGroups(Ctx(t, 20*time.Second))
			if err != nil {
				return false, err.Error()
			}
			return lg[group].State == "Empty", fmt.Sprintf("ListGroups says %+v", lg[group])
		})
		want := map[int32]int64{}
		for q := int32(0); q < parts; q++ {
			want[q] = 2
		}
		wantCommitted(t, adm, group, topic, want)

		// The records on disk: group metadata (key v2, value v3) and offset commits (key v1,
		// value v3) for this group, all in partition p.
		var sawGroup, sawOffset bool
		for _, r := range offsetsRecords(t, b, p) {
			k, err := coordinator.DecodeKey(r.Key)
			if err != nil {
				t.Fatalf("__consumer_offsets-%d offset %d: key %x: %v", p, r.Offset, r.Key, err)
			}
			if k.Group != group || r.Value == nil {
				continue
			}
			if k.IsOffsetKey() {
				v, ver, err := coordinator.DecodeOffsetValue(r.Value)
				if err != nil || k.Version != 1 || ver != 3 || k.Topic != topic {
					t.Errorf("offset record %+v: value v%d %+v %v", k, ver, v, err)
				}
				sawOffset = true
				continue
			}
			v, ver, err := coordinator.DecodeGroupValue(r.Value)
			if err != nil || ver != 3 || v.ProtocolType != "consumer" {
				t.Errorf("group record: value v%d %+v %v", ver, v, err)
			}
			if len(v.Members) > 0 && (v.Protocol == nil || *v.Protocol != "range") {
				t.Errorf("group record with members but protocol %v", v.Protocol)
			}
			sawGroup = true
		}
		if !sawGroup || !sawOffset {
			t.Errorf("__consumer_offsets-%d holds group metadata: %v, offsets: %v", p, sawGroup, sawOffset)
		}

		dr, err = adm.DeleteGroups(Ctx(t, 20*time.Second), group)
		if err != nil || dr[group].Err != nil {
			t.Fatalf("DeleteGroups on an Empty group: %v %v", err, dr[group].Err)
		}
		dg, err = describeGroup(t, adm, group)
		if err != nil || dg.State != "Dead" {
			t.Errorf("deleted group describes as %q (%v), want Dead", dg.State, err)
		}
		lg, err = adm.ListGroups(Ctx(t, 20*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := lg[group]; ok {
			t.Errorf("deleted group still listed: %+v", lg[group])
		}
		if got := fetchCommitted(t, adm, group, topic, parts); got[0] != -1 {
			t.Errorf("offsets survive DeleteGroups: %v", got)
		}
	})

	t.Run("offsets-topic", func(t *testing.T) {
		// Created on first use: an offset fetch (FindCoordinator) is use enough.
		fetchCommitted(t, adm, "group-first-use", "any", 1)
		WaitFor(t, 30*time.Second, func() (bool, string) {
			md, err := adm.Metadata(Ctx(t, 20*time.Second), coordinator.OffsetsTopic)
			if err != nil {
				return false, err.Error()
			}
			td := md.Topics[coordinator.OffsetsTopic]
			return td.Err == nil && len(td.Partitions) == 50 && td.IsInternal,
				fmt.Sprintf("%s: err %v, %d partitions, internal %v; want 50 internal", coordinator.OffsetsTopic, td.Err, len(td.Partitions), td.IsInternal)
		})
		rcs, err := adm.DescribeTopicConfigs(Ctx(t, 20*time.Second), coordinator.OffsetsTopic)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := rcs.On(coordinator.OffsetsTopic, nil)
		if err != nil || rc.Err != nil {
			t.Fatalf("DescribeConfigs %s: %v %v", coordinator.OffsetsTopic, err, rc.Err)
		}
		cfg := map[string]string{}
		for _, c := range rc.Configs {
			if c.Value != nil {
				cfg[c.Key] = *c.Value
			}
		}
		if cfg["cleanup.policy"] != "compact" {
			t.Errorf("%s cleanup.policy = %q, want compact", coordinator.OffsetsTopic, cfg["cleanup.policy"])
		}
		if cfg["segment.bytes"] != "104857600" {
			t.Errorf("%s segment.bytes = %q, want offsets.topic.segment.bytes 104857600", coordinator.OffsetsTopic, cfg["segment.bytes"])
		}
		// Java's hashCode edge cases: "polygenelubricants" hashes to Integer.MIN_VALUE, whose
		// Utils.abs is 0; non-ASCII ids hash over UTF-16 code units.
		for _, g := range []string{"polygenelubricants", "group-range", "console-consumer-12345", "grüppe-😀", ""} {
			if got, want := coordinator.PartitionFor(g, 50), offsetsPartitionOf(g); got != want {
				t.Errorf("PartitionFor(%q) = %d, want %d", g, got, want)
			}
		}
		if javaStringHash("polygenelubricants") != -1<<31 {
			t.Errorf("test's own Java hash is wrong")
		}
	})
}

// TestGroupOffsetsResume: committed offsets decide where a restarted consumer starts, survive
// a broker restart (the coordinator reloads __consumer_offsets), and a reset to offset 0
// makes the group read everything again.
func TestGroupOffsetsResume(t *testing.T) {
	z := StartZooKeeper(t)
	// A short ZooKeeper session lets the restart after a kill -9 come soon.
	b := startGroupBroker(t, z, map[string]string{"zookeeper.session.timeout.ms": "6000"})
	adm := Admin(t, b)
	const topic, group, parts = "resume", "group-resume", 3
	createTopic(t, b, topic, parts, nil)
	opt := kgo.Balancers(kgo.RangeBalancer())

	// consumeAll runs one member until it consumed exactly want, checks that it got nothing
	// older than wantFrom per partition, then stops it (committing).
	consumeAll := func(name string, want []string, wantFrom map[int32]int64) {
		t.Helper()
		sink := newConsumedSet()
		m := startGroupMember(t, b, group, topic, name, sink, opt)
		sink.waitExactlyOnce(t, want, 60*time.Second)
		m.stop(t)
		for _, r := range m.records() {
			if r.Offset < wantFrom[r.Partition] {
				t.Errorf("%s read %s-%d@%d, before the committed offset %d", name, topic, r.Partition, r.Offset, wantFrom[r.Partition])
			}
		}
	}
	per := func(n int64) map[int32]int64 { return map[int32]int64{0: n, 1: n, 2: n} }

	first := produceSpread(t, b, topic, parts, "r", 0, 30)
	consumeAll("resume-1", first, per(0))
	wantCommitted(t, adm, group, topic, per(10))

	// A new consumer of the group reads only what came after the commit.
	second := produceSpread(t, b, topic, parts, "r", 30, 15)
	consumeAll("resume-2", second, per(10))
	wantCommitted(t, adm, group, topic, per(15))

	// A live static member of another group, and a standalone commit with metadata and a
	// leader epoch, both to outlive the restart.
	const liveTopic, liveGroup, standalone = "live", "group-live", "group-standalone"
	createTopic(t, b, liveTopic, parts, nil)
	liveSink := newConsumedSet()
	live := startGroupMember(t, b, liveGroup, liveTopic, "live-1", liveSink, opt, kgo.InstanceID("live-inst"), kgo.SessionTimeout(30*time.Second))
	waitBalanced(t, adm, liveGroup, liveTopic, parts, live)
	liveBefore := produceSpread(t, b, liveTopic, parts, "live", 0, 9)
	liveSink.waitExactlyOnce(t, liveBefore, 60*time.Second)
	if err := live.cl.CommitUncommittedOffsets(Ctx(t, 20*time.Second)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	_, liveGen := live.cl.GroupMetadata()
	sa := kadm.Offsets{}
	sa.Add(kadm.Offset{Topic: topic, Partition: 1, At: 7, LeaderEpoch: 0, Metadata: "standalone-meta"})
	if cr, err := adm.CommitOffsets(Ctx(t, 20*time.Second), standalone, sa); err != nil || cr.Error() != nil {
		t.Fatalf("standalone commit: %v %v", err, cr.Error())
	}

	// The broker restarts: the coordinator rebuilds the groups and offsets from the log.
	b.Restart(t)
	wantCommitted(t, adm, group, topic, per(15))
	p := coordinator.PartitionFor(group, 50)
	b.WaitForLog(t, fmt.Sprintf("Finished loading offsets and group metadata from __consumer_offsets-%d", p), 30*time.Second)
	resps, err := adm.FetchOffsets(Ctx(t, 20*time.Second), standalone)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := resps.Lookup(topic, 1); !ok || r.Err != nil || r.At != 7 || r.Metadata != "standalone-meta" || r.LeaderEpoch != 0 {
		t.Errorf("standalone offset after restart: %+v (present %v), want 7 / standalone-meta / epoch 0", r, ok)
	}
	// The live group was loaded as it was (Stable, same generation) and its member carries on
	// without a rebalance: the generation it reports is unchanged, no new one was stabilized.
	b.WaitForLog(t, fmt.Sprintf("Loading group metadata for %s with generation %d", liveGroup, liveGen), 30*time.Second)
	liveAfter := produceSpread(t, b, liveTopic, parts, "live", 9, 9)
	liveSink.waitExactlyOnce(t, append(liveBefore, liveAfter...), 60*time.Second)
	if _, g := live.cl.GroupMetadata(); g != liveGen {
		t.Errorf("live member's generation %d -> %d across the broker restart", liveGen, g)
	}
	if lines := b.LogLines("Stabilized group " + liveGroup + " "); len(lines) != 0 {
		t.Errorf("the live group rebalanced after the broker restart: %q", lines)
	}
	if dg, err := describeGroup(t, adm, liveGroup); err != nil || dg.State != "Stable" || len(dg.Members) != 1 || dg.Members[0].InstanceID == nil {
		t.Errorf("live group after restart: %+v %v", dg, err)
	}
	third := produceSpread(t, b, topic, parts, "r", 45, 6)
	consumeAll("resume-3", third, per(15))
	wantCommitted(t, adm, group, topic, per(17))

	// Reset to earliest, as `kafka-consumer-groups --reset-offsets --to-earliest` does: a
	// standalone commit (generation -1) into the Empty group.
	reset := kadm.Offsets{}
	for q := int32(0); q < parts; q++ {
		reset.Add(kadm.Offset{Topic: topic, Partition: q, At: 0, LeaderEpoch: -1})
	}
	cr, err := adm.CommitOffsets(Ctx(t, 20*time.Second), group, reset)
	if err != nil || cr.Error() != nil {
		t.Fatalf("reset commit: %v %v", err, cr.Error())
	}
	wantCommitted(t, adm, group, topic, per(0))
	consumeAll("resume-4", append(append(append([]string(nil), first...), second...), third...), per(0))
	wantCommitted(t, adm, group, topic, per(17))

	// OffsetDelete: allowed for an Empty group, refused while a consumer group subscribes.
	del := kadm.TopicsSet{}
	del.Add(topic, 2)
	dr, err := adm.DeleteOffsets(Ctx(t, 20*time.Second), group, del)
	if err != nil || dr.Error() != nil {
		t.Fatalf("DeleteOffsets on an Empty group: %v %v", err, dr.Error())
	}
	wantCommitted(t, adm, group, topic, map[int32]int64{0: 17, 1: 17, 2: -1})
	b.WaitForLog(t, fmt.Sprintf("The following offsets of the group %s were deleted: %s-2. A total of 1 offsets were removed.", group, topic), 10*time.Second)
	del = kadm.TopicsSet{}
	del.Add(liveTopic, 0)
	dr, err = adm.DeleteOffsets(Ctx(t, 20*time.Second), liveGroup, del)
	if err != nil {
		t.Fatal(err)
	}
	if e := dr.Error(); !errors.Is(e, kerr.GroupSubscribedToTopic) {
		t.Errorf("DeleteOffsets on a subscribed topic: %v, want GROUP_SUBSCRIBED_TO_TOPIC", e)
	}

	// A crash right after acknowledged commits: SIGKILL, no clean shutdown, no fresh
	// checkpoints. Every acknowledged commit is in the log and is loaded back.
	if err := live.cl.CommitUncommittedOffsets(Ctx(t, 20*time.Second)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	crash := kadm.Offsets{}
	for q := int32(0); q < parts; q++ {
		crash.Add(kadm.Offset{Topic: topic, Partition: q, At: int64(3 + q), LeaderEpoch: -1, Metadata: "pre-crash"})
	}
	if cr, err := adm.CommitOffsets(Ctx(t, 20*time.Second), "group-crash", crash); err != nil || cr.Error() != nil {
		t.Fatalf("commit: %v %v", err, cr.Error())
	}
	live.stop(t)
	b.Kill()
	b.Restart(t)
	adm = Admin(t, b)
	wantCommitted(t, adm, "group-crash", topic, map[int32]int64{0: 3, 1: 4, 2: 5})
	wantCommitted(t, adm, group, topic, map[int32]int64{0: 17, 1: 17, 2: -1})
	wantCommitted(t, adm, liveGroup, liveTopic, per(6))
}

// TestGroupBrokerSettings runs a broker with non-default group settings.
//
// group.initial.rebalance.delay.ms: members arriving at an empty group within the delay of
// each other all land in its first generation.
//
// offsets.topic.num.partitions: the group-to-partition mapping uses the partition count
// __consumer_offsets actually has (read from ZooKeeper at startup), not the current value of
// the setting, so a config change does not orphan existing groups.
func TestGroupBrokerSettings(t *testing.T) {
	z := StartZooKeeper(t)
	b := startGroupBroker(t, z, map[string]string{"offsets.topic.num.partitions": "5", "group.initial.rebalance.delay.ms": "2000"})
	adm := Admin(t, b)

	// Three members, each started once the previous one is in the group: the group waits in
	// PreparingRebalance through the delay, then forms generation 1 with all of them.
	const delayed, delayedGroup = "delayed", "group-delayed"
	createTopic(t, b, delayed, 6, nil)
	var ms []*groupMember
	for i := 0; i < 3; i++ {
		ms = append(ms, startGroupMember(t, b, delayedGroup, delayed, fmt.Sprintf("delayed-%d", i), nil, kgo.Balancers(kgo.RangeBalancer())))
		if i == 2 {
			break
		}
		WaitFor(t, 10*time.Second, func() (bool, string) {
			dg, err := describeGroup(t, adm, delayedGroup)
			return err == nil && dg.State == "PreparingRebalance" && len(dg.Members) == i+1,
				fmt.Sprintf("group %s with %d members (%v), want PreparingRebalance with %d during the initial delay", dg.State, len(dg.Members), err, i+1)
		})
	}
	wantEqualShares(t, waitBalanced(t, adm, delayedGroup, delayed, 6, ms...), 2)
	if lines := b.LogLines("Stabilized group " + delayedGroup + " "); len(lines) != 1 || !strings.Contains(lines[0], "generation 1 (") {
		t.Errorf("members arriving within group.initial.rebalance.delay.ms: Stabilized lines %q, want only generation 1", lines)
	}
	for _, m := range ms {
		if _, g := m.cl.GroupMetadata(); g != 1 {
			t.Errorf("%s is in generation %d, want 1", m.name, g)
		}
		m.stop(t)
	}

	const topic = "counted"
	createTopic(t, b, topic, 1, nil)
	// A group whose partition differs between 5 and 50 partitions, and lies beyond 4.
	group := ""
	for i := 0; group == ""; i++ {
		g := fmt.Sprintf("group-count-%d", i)
		if coordinator.PartitionFor(g, 50) >= 5 {
			group = g
		}
	}
	commit := kadm.Offsets{}
	commit.Add(kadm.Offset{Topic: topic, Partition: 0, At: 42, LeaderEpoch: -1, Metadata: "before"})
	if cr, err := adm.CommitOffsets(Ctx(t, 60*time.Second), group, commit); err != nil || cr.Error() != nil {
		t.Fatalf("commit: %v %v", err, cr.Error())
	}
	md, err := adm.Metadata(Ctx(t, 20*time.Second), coordinator.OffsetsTopic)
	if err != nil || len(md.Topics[coordinator.OffsetsTopic].Partitions) != 5 {
		t.Fatalf("%s has %d partitions (%v), want offsets.topic.num.partitions=5", coordinator.OffsetsTopic, len(md.Topics[coordinator.OffsetsTopic].Partitions), err)
	}
	if n := len(offsetsRecords(t, b, coordinator.PartitionFor(group, 5))); n == 0 {
		t.Fatalf("no records in %s-%d", coordinator.OffsetsTopic, coordinator.PartitionFor(group, 5))
	}

	// Restart with the default (50): the topic keeps its 5 partitions and so does the mapping.
	b.Stop()
	props := ReadProperties(t, b.ConfigPath)
	delete(props, "offsets.topic.num.partitions")
	if err := writeProperties(b.ConfigPath, props); err != nil {
		t.Fatal(err)
	}
	b.Restart(t)
	wantCommitted(t, Admin(t, b), group, topic, map[int32]int64{0: 42})
	sink := newConsumedSet()
	produceSpread(t, b, topic, 1, "c", 0, 42)
	later := produceSpread(t, b, topic, 1, "c", 42, 3)
	m := startGroupMember(t, b, group, topic, "counter", sink, kgo.Balancers(kgo.RangeBalancer()))
	sink.waitExactlyOnce(t, later, 60*time.Second)
	m.stop(t)
	wantCommitted(t, Admin(t, b), group, topic, map[int32]int64{0: 45})
	if !b.LogContains(fmt.Sprintf("(%s-%d)", coordinator.OffsetsTopic, coordinator.PartitionFor(group, 5))) {
		t.Errorf("the coordinator did not narrate the group on %s-%d", coordinator.OffsetsTopic, coordinator.PartitionFor(group, 5))
	}
}

// kafka-console-consumer with --group: a second run of the same group starts where the
// first stopped (its commit on exit), whether the group comes from --group or from
// --consumer-property group.id=.
// TestGroupConsoleConsumer: kafka-console-consumer with --group; a second run of the same
// group starts where the first stopped (the consumer commits what it consumed when it exits,
// as the Java consumer's close does), whether the group comes from --group or from
// --consumer-property group.id=.
func TestGroupConsoleConsumer(t *testing.T) {
	z := StartZooKeeper(t)
	b := startGroupBroker(t, z, nil)
	adm := Admin(t, b)
	topic, group := "grp-console", "group-console"
	createTopic(t, b, topic, 2, nil)
	first := produceSpread(t, b, topic, 2, "cc", 0, 10)
	out, errOut, code := RunTool(t, "kafka-console-consumer.sh", "--bootstrap-server", b.Addr, "--topic", topic,
		"--group", group, "--from-beginning", "--max-messages", "10", "--timeout-ms", "15000")
	got := Lines(out)
	sort.Strings(got)
	want := append([]string(nil), first...)
	sort.Strings(want)
	if code != 0 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("first run: exit %d, printed %q, want %q\nstderr: %s", code, got, want, errOut)
	}
	if got := fetchCommitted(t, adm, group, topic, 2); got[0] != 5 || got[1] != 5 {
		t.Fatalf("committed offsets after the first run (10 records printed, clean exit): %v, want 5 and 5", got)
	}
	second := produceSpread(t, b, topic, 2, "cc", 10, 4)
	out, errOut, code = RunTool(t, "kafka-console-consumer.sh", "--bootstrap-server", b.Addr, "--topic", topic,
		"--consumer-property", "group.id="+group, "--max-messages", "4", "--timeout-ms", "15000")
	got = Lines(out)
	sort.Strings(got)
	want = append([]string(nil), second...)
	sort.Strings(want)
	if code != 0 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("second run: exit %d, printed %q, want only the new %q\nstderr: %s", code, got, want, errOut)
	}
	wantCommitted(t, adm, group, topic, map[int32]int64{0: 7, 1: 7})
	dg, err := describeGroup(t, adm, group)
	if err != nil || dg.State != "Empty" || dg.ProtocolType != "consumer" {
		t.Errorf("console consumer's group after exit: %+v %v", dg, err)
	}
}

// TestGroupOffsetsOfDeletedTopic: deleting a topic removes every group's committed offsets for
// it (the coordinator learns of the deletion from UpdateMetadata, as Kafka's does), so a topic
// re-created under the same name is not read from stale positions.
func TestGroupOffsetsOfDeletedTopic(t *testing.T) {
	z := StartZooKeeper(t)
	b := startGroupBroker(t, z, nil)
	adm := Admin(t, b)
	const doomed, survivor, group = "doomed", "survivor", "group-deleted-topic"
	createTopic(t, b, doomed, 2, nil)
	createTopic(t, b, survivor, 1, nil)
	commit := kadm.Offsets{}
	commit.Add(kadm.Offset{Topic: doomed, Partition: 0, At: 4, LeaderEpoch: -1})
	commit.Add(kadm.Offset{Topic: doomed, Partition: 1, At: 5, LeaderEpoch: -1})
	commit.Add(kadm.Offset{Topic: survivor, Partition: 0, At: 6, LeaderEpoch: -1})
	if cr, err := adm.CommitOffsets(Ctx(t, 60*time.Second), group, commit); err != nil || cr.Error() != nil {
		t.Fatalf("commit: %v %v", err, cr.Error())
	}
	dr, err := adm.DeleteTopics(Ctx(t, 30*time.Second), doomed)
	if err != nil || dr.Error() != nil {
		t.Fatalf("delete topic: %v %v", err, dr.Error())
	}
	b.WaitForLog(t, "Removed 2 offsets associated with deleted partitions: doomed-0, doomed-1.", 15*time.Second)
	resps, err := adm.FetchOffsets(Ctx(t, 20*time.Second), group)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	resps.Each(func(r kadm.OffsetResponse) {
		stored = append(stored, fmt.Sprintf("%s-%d@%d", r.Topic, r.Partition, r.At))
	})
	if strings.Join(stored, ",") != survivor+"-0@6" {
		t.Errorf("offsets after deleting %s: %v, want only %s-0@6", doomed, stored, survivor)
	}
}
