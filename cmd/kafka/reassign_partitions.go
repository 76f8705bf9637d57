package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// kafka-reassign-partitions (kafka.admin.ReassignPartitionsCommand, 2.8): --generate,
// --execute, --verify through the Admin API or, deprecated, ZooKeeper; --cancel and --list
// through the Admin API only.

func init() {
	register(tool{name: "kafka-reassign-partitions", short: "reassign-partitions",
		usage: "move topic partitions between replicas", run: reassignPartitionsTool})
}

const (
	anyLogDir = "any"

	cannotExecuteBecauseOfExisting = "Cannot execute because there is an existing partition assignment.  " +
		"Use --additional to override this and create a new partition assignment in addition to the " +
		"existing one. The --additional flag can also be used to change the throttle by resubmitting " +
		"the current reassignment."
	mustRunVerifyPeriodically = "Warning: You must run --verify periodically, until the reassignment " +
		"completes, to ensure the throttle is removed."

	brokerLeaderThrottle   = "leader.replication.throttled.rate"
	brokerFollowerThrottle = "follower.replication.throttled.rate"
	brokerLogDirThrottle   = "replica.alter.log.dirs.io.max.bytes.per.second"
	topicLeaderThrottle    = "leader.replication.throttled.replicas"
	topicFollowerThrottle  = "follower.replication.throttled.replicas"
)

var (
	brokerLevelThrottles = []string{brokerLeaderThrottle, brokerFollowerThrottle, brokerLogDirThrottle}
	topicLevelThrottles  = []string{topicLeaderThrottle, topicFollowerThrottle}
)

// terseFailure is TerseReassignmentFailureException: its message alone is printed.
type terseFailure struct{ msg string }

func (e *terseFailure) Error() string { return e.msg }

func adminCommandFailed(format string, args ...any) *javaError {
	return newJavaError("kafka.common.AdminCommandFailedException", format, args...)
}

type reassignOptions struct {
	*toolOptions
	s *OptionSet

	verify, generate, execute, cancel, list                       *Opt
	bootstrap, commandConfig, zookeeper                           *Opt
	reassignmentFile, topicsToMoveFile, brokerList, disableRack   *Opt
	throttle, logDirsThrottle, timeout, additional, preserveThrot *Opt
}

func newReassignOptions(args []string) *reassignOptions {
	t := newToolOptions(args)
	p := t.Parser
	o := &reassignOptions{toolOptions: t}
	o.verify = p.Accepts("verify", "Verify if the reassignment completed as specified by the --reassignment-json-file option. If there is a throttle engaged for the replicas specified, and the rebalance has completed, the throttle will be removed")
	o.generate = p.Accepts("generate", "Generate a candidate partition reassignment configuration. Note that this only generates a candidate assignment, it does not execute it.")
	o.execute = p.Accepts("execute", "Kick off the reassignment as specified by the --reassignment-json-file option.")
	o.cancel = p.Accepts("cancel", "Cancel an active reassignment.")
	o.list = p.Accepts("list", "List all active partition reassignments.")
	o.bootstrap = p.Accepts("bootstrap-server", "the server(s) to use for bootstrapping. REQUIRED if an absolute path of the log directory is specified for any replica in the reassignment json file, or if --zookeeper is not given.").
		WithRequiredArg().DescribedAs("Server(s) to use for bootstrapping")
	o.commandConfig = p.Accepts("command-config", "Property file containing configs to be passed to Admin Client.").
		WithRequiredArg().DescribedAs("Admin client property file")
	o.zookeeper = p.Accepts("zookeeper", "DEPRECATED: The connection string for the zookeeper connection in the form host:port. Multiple URLS can be given to allow fail-over.  Please use --bootstrap-server instead.").
		WithRequiredArg().DescribedAs("urls")
	o.reassignmentFile = p.Accepts("reassignment-json-file", "The JSON file with the partition reassignment configurationThe format to use is - \n"+
		"{\"partitions\":\n\t[{\"topic\": \"foo\",\n\t  \"partition\": 1,\n\t  \"replicas\": [1,2,3],\n\t  \"log_dirs\": [\"dir1\",\"dir2\",\"dir3\"] }],\n\"version\":1\n}\n"+
		"Note that \"log_dirs\" is optional. When it is specified, its length must equal the length of the replicas list. The value in this list can be either \"any\" or the absolution path of the log directory on the broker. If absolute log directory path is specified, the replica will be moved to the specified log directory on the broker.").
		WithRequiredArg().DescribedAs("manual assignment json file path")
	o.topicsToMoveFile = p.Accepts("topics-to-move-json-file", "Generate a reassignment configuration to move the partitions of the specified topics to the list of brokers specified by the --broker-list option. The format to use is - \n"+
		"{\"topics\":\n\t[{\"topic\": \"foo\"},{\"topic\": \"foo1\"}],\n\"version\":1\n}").
		WithRequiredArg().DescribedAs("topics to reassign json file path")
	o.brokerList = p.Accepts("broker-list", "The list of brokers to which the partitions need to be reassigned in the form \"0,1,2\". This is required if --topics-to-move-json-file is used to generate reassignment configuration").
		WithRequiredArg().DescribedAs("brokerlist")
	o.disableRack = p.Accepts("disable-rack-aware", "Disable rack aware replica assignment")
	o.throttle = p.Accepts("throttle", "The movement of partitions between brokers will be throttled to this value (bytes/sec). This option can be included with --execute when a reassignment is started, and it can be altered by resubmitting the current reassignment along with the --additional flag. The throttle rate should be at least 1 KB/s.").
		WithRequiredArg().DescribedAs("throttle").OfType("Long").DefaultsTo("-1")
	o.logDirsThrottle = p.Accepts("replica-alter-log-dirs-throttle", "The movement of replicas between log directories on the same broker will be throttled to this value (bytes/sec). This option can be included with --execute when a reassignment is started, and it can be altered by resubmitting the current reassignment along with the --additional flag. The throttle rate should be at least 1 KB/s.").
		WithRequiredArg().DescribedAs("replicaAlterLogDirsThrottle").OfType("Long").DefaultsTo("-1")
	o.timeout = p.Accepts("timeout", "The maximum time in ms to wait for log directory replica assignment to begin.").
		WithRequiredArg().DescribedAs("timeout").OfType("Long").DefaultsTo("10000")
	o.additional = p.Accepts("additional", "Execute this reassignment in addition to any other ongoing ones. This option can also be used to change the throttle of an ongoing reassignment.")
	o.preserveThrot = p.Accepts("preserve-throttles", "Do not modify broker or topic throttles.")
	return o
}

// validate is ReassignPartitionsCommand.validateAndParseArgs; it returns the action.
func (o *reassignOptions) validate(e *env) (*Opt, error) {
	s := o.s
	if err := e.helpAndExitIfNeeded(o.toolOptions, s, "This tool helps to move topic partitions between replicas."); err != nil {
		return nil, err
	}
	actions := []*Opt{o.generate, o.execute, o.verify, o.cancel, o.list}
	var present []*Opt
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = "--" + a.Name
		if s.Has(a) {
			present = append(present, a)
		}
	}
	if len(present) != 1 {
		return nil, e.usageAndDie(o.Parser, "Command must include exactly one action: "+strings.Join(names, ", "))
	}
	action := present[0]
	if !s.Has(o.zookeeper) && !s.Has(o.bootstrap) {
		return nil, e.usageAndDie(o.Parser, "Please specify --bootstrap-server")
	}
	required := map[*Opt][]*Opt{
		o.verify:   {o.reassignmentFile},
		o.generate: {o.topicsToMoveFile, o.brokerList},
		o.execute:  {o.reassignmentFile},
		o.cancel:   {o.reassignmentFile},
		o.list:     nil,
	}
	if err := e.checkRequired(o.Parser, s, required[action]...); err != nil {
		return nil, err
	}
	permitted := map[*Opt][]*Opt{
		o.verify:   {o.bootstrap, o.commandConfig, o.preserveThrot, o.zookeeper},
		o.generate: {o.bootstrap, o.brokerList, o.commandConfig, o.disableRack, o.zookeeper},
		o.execute:  {o.additional, o.bootstrap, o.commandConfig, o.throttle, o.logDirsThrottle, o.timeout, o.zookeeper},
		o.cancel:   {o.bootstrap, o.commandConfig, o.preserveThrot, o.timeout},
		o.list:     {o.bootstrap, o.commandConfig},
	}
	allowed := map[*Opt]bool{action: true}
	for _, x := range required[action] {
		allowed[x] = true
	}
	for _, x := range permitted[action] {
		allowed[x] = true
	}
	// jopt's OptionSet.specs() lists what was given in declaration order.
	for _, x := range o.Parser.opts {
		if s.Has(x) && !allowed[x] {
			return nil, e.usageAndDie(o.Parser, fmt.Sprintf("Option \"%s\" can't be used with action \"%s\"", x, action))
		}
	}
	if !s.Has(o.bootstrap) {
		for _, x := range []*Opt{o.additional, o.cancel, o.commandConfig, o.logDirsThrottle, o.list, o.timeout} {
			if s.Has(x) {
				return nil, e.uncaught(newJavaError("java.lang.RuntimeException", "You must specify --bootstrap-server when using \"%s\"", x))
			}
		}
	}
	return action, nil
}

func reassignPartitionsTool(e *env, args []string) error {
	o := newReassignOptions(args)
	s, err := o.Parse(args)
	if err != nil {
		return e.uncaught(joptException(err))
	}
	o.s = s
	action, err := o.validate(e)
	if err != nil {
		return err
	}
	var runErr error
	if s.Has(o.bootstrap) {
		if s.Has(o.zookeeper) {
			fmt.Fprintln(e.Stdout, "Warning: ignoring deprecated --zookeeper option because --bootstrap-server was specified.  The --zookeeper option will be removed in a future version of Kafka.")
		}
		a, err := newAdminConn(s.ValueOf(o.bootstrap), s.ValueOf(o.commandConfig))
		if err != nil {
			runErr = err
		} else {
			runErr = runReassign(&adminReassigner{e: e, a: a}, o, action)
			a.close()
		}
	} else {
		fmt.Fprintln(e.Stdout, "Warning: --zookeeper is deprecated, and will be removed in a future version of Kafka.")
		c, err := zkmeta.Connect(s.ValueOf(o.zookeeper), 30*time.Second, 30*time.Second, toolLogger(e))
		if err != nil {
			runErr = zkError(err)
		} else {
			runErr = runReassign(&zkReassigner{e: e, c: c}, o, action)
			c.Close()
		}
	}
	return reportReassignError(e, runErr)
}

// reportReassignError prints a failure the way the command's main does: terse failures as
// their message, anything else as "Error: <message>" plus the exception (its stack trace in
// Kafka), both on stdout, then exit 1.
func reportReassignError(e *env, err error) error {
	if err == nil {
		return nil
	}
	var ec exitCode
	if errors.As(err, &ec) {
		return err
	}
	var tf *terseFailure
	if errors.As(err, &tf) {
		fmt.Fprintln(e.Stdout, tf.msg)
		return exitCode(1)
	}
	je := asJavaError(err)
	fmt.Fprintln(e.Stdout, "Error: "+je.Msg)
	fmt.Fprintln(e.Stdout, je.String())
	return exitCode(1)
}

func asJavaError(err error) *javaError {
	var je *javaError
	if errors.As(err, &je) {
		return je
	}
	return toolError(err, "")
}

// readFileAsString is Utils.readFileAsString: a missing file is NoSuchFileException(path).
func readFileAsString(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, newJavaError("java.nio.file.NoSuchFileException", "%s", path)
	}
	return data, nil
}

// ---------------------------------------------------------------------------------------
// JSON formats

// reassignEntry is one partition of a reassignment file, in file order.
type reassignEntry struct {
	tp       tpKey
	replicas []int32
	logDirs  []string
}

func scalaList(v []string) string { return "List(" + strings.Join(v, ", ") + ")" }

func intStrings(v []int32) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = strconv.Itoa(int(x))
	}
	return out
}

func joinInts(v []int32, sep string) string { return strings.Join(intStrings(v), sep) }

// parseReassignmentJSON is parsePartitionReassignmentData: the partitions in file order (not
// deduplicated) and the replicas with a log dir other than "any".
func parseReassignmentJSON(data []byte) ([]reassignEntry, map[string]string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil || doc == nil {
		return nil, nil, adminOperation("The input string is not a valid JSON")
	}
	version := 1
	if v, ok := doc["version"]; ok {
		if err := json.Unmarshal(v, &version); err != nil {
			return nil, nil, adminOperation("The input string is not a valid JSON")
		}
	}
	if version != 1 {
		return nil, nil, adminOperation("Not supported version field value %d", version)
	}
	var parts []struct {
		Topic     *string   `json:"topic"`
		Partition *int32    `json:"partition"`
		Replicas  *[]int32  `json:"replicas"`
		LogDirs   *[]string `json:"log_dirs"`
	}
	if raw, ok := doc["partitions"]; ok {
		if err := json.Unmarshal(raw, &parts); err != nil {
			return nil, nil, adminOperation("The input string is not a valid JSON")
		}
	}
	var out []reassignEntry
	moves := map[string]string{}
	for _, p := range parts {
		switch {
		case p.Topic == nil:
			return nil, nil, newJavaError("kafka.utils.json.JsonValue$JsonObjectMissingKeyException", "No such key exists: topic")
		case p.Partition == nil:
			return nil, nil, newJavaError("kafka.utils.json.JsonValue$JsonObjectMissingKeyException", "No such key exists: partition")
		case p.Replicas == nil:
			return nil, nil, newJavaError("kafka.utils.json.JsonValue$JsonObjectMissingKeyException", "No such key exists: replicas")
		}
		tp := tpKey{*p.Topic, *p.Partition}
		replicas := *p.Replicas
		var dirs []string
		if p.LogDirs != nil {
			dirs = *p.LogDirs
		} else {
			for range replicas {
				dirs = append(dirs, anyLogDir)
			}
		}
		if len(replicas) != len(dirs) {
			return nil, nil, adminCommandFailed("Size of replicas list %s is different from size of log dirs list %s for partition %s",
				scalaList(intStrings(replicas)), scalaList(dirs), tp)
		}
		out = append(out, reassignEntry{tp: tp, replicas: replicas, logDirs: dirs})
		for i, d := range dirs {
			if d != anyLogDir {
				moves[fmt.Sprintf("%s-%d-%d", tp.Topic, tp.Partition, replicas[i])] = d
			}
		}
	}
	return out, moves, nil
}

// parseExecuteArgs is parseExecuteAssignmentArgs.
func parseExecuteArgs(data []byte) (map[tpKey][]int32, map[string]string, error) {
	entries, moves, err := parseReassignmentJSON(data)
	if err != nil {
		return nil, nil, err
	}
	if len(entries) == 0 {
		return nil, nil, adminCommandFailed("Partition reassignment list cannot be empty")
	}
	for _, en := range entries {
		if len(en.replicas) == 0 {
			return nil, nil, adminCommandFailed("Partition replica list cannot be empty")
		}
	}
	seen := map[tpKey]int{}
	var dups []string
	for _, en := range entries {
		seen[en.tp]++
		if seen[en.tp] == 2 {
			dups = append(dups, en.tp.String())
		}
	}
	if len(dups) > 0 {
		return nil, nil, adminCommandFailed("Partition reassignment contains duplicate topic partitions: %s", strings.Join(dups, ","))
	}
	var msgs []string
	for _, en := range entries {
		if d := duplicateInts(en.replicas); len(d) > 0 {
			msgs = append(msgs, fmt.Sprintf("%s contains multiple entries for %s", en.tp, joinInts(d, ",")))
		}
	}
	if len(msgs) > 0 {
		return nil, nil, adminCommandFailed("Partition replica lists may not contain duplicate entries: %s", strings.Join(msgs, ". "))
	}
	out := make(map[tpKey][]int32, len(entries))
	for _, en := range entries {
		out[en.tp] = en.replicas
	}
	return out, moves, nil
}

func duplicateInts(v []int32) []int32 {
	seen := map[int32]int{}
	var out []int32
	for _, x := range v {
		seen[x]++
		if seen[x] == 2 {
			out = append(out, x)
		}
	}
	return out
}

// parseTopicsToMoveJSON is parseTopicsData.
func parseTopicsToMoveJSON(data []byte) ([]string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil || doc == nil {
		return nil, adminOperation("The input string is not a valid JSON")
	}
	version := 1
	if v, ok := doc["version"]; ok {
		if err := json.Unmarshal(v, &version); err != nil {
			return nil, adminOperation("The input string is not a valid JSON")
		}
	}
	if version != 1 {
		return nil, adminOperation("Not supported version field value %d", version)
	}
	var topics []struct {
		Topic *string `json:"topic"`
	}
	if raw, ok := doc["topics"]; ok {
		if err := json.Unmarshal(raw, &topics); err != nil {
			return nil, adminOperation("The input string is not a valid JSON")
		}
	}
	out := make([]string, 0, len(topics))
	for _, t := range topics {
		if t.Topic == nil {
			return nil, newJavaError("kafka.utils.json.JsonValue$JsonObjectMissingKeyException", "No such key exists: topic")
		}
		out = append(out, *t.Topic)
	}
	return out, nil
}

// parseGenerateArgs is parseGenerateAssignmentArgs.
func parseGenerateArgs(topicsJSON []byte, brokerList string) ([]int32, []string, error) {
	var brokers []int32
	for _, s := range javaSplit(brokerList, ",") {
		n, err := javaParseInt(s)
		if err != nil {
			return nil, nil, err
		}
		brokers = append(brokers, n)
	}
	if d := duplicateInts(brokers); len(d) > 0 {
		return nil, nil, adminCommandFailed("Broker list contains duplicate entries: %s", joinInts(d, ","))
	}
	topics, err := parseTopicsToMoveJSON(topicsJSON)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]int{}
	var dups []string
	for _, t := range topics {
		seen[t]++
		if seen[t] == 2 {
			dups = append(dups, t)
		}
	}
	if len(dups) > 0 {
		return nil, nil, adminCommandFailed("List of topics to reassign contains duplicate entries: %s", strings.Join(dups, ","))
	}
	return brokers, topics, nil
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func sortedTPKeys[V any](m map[tpKey]V) []tpKey {
	out := make([]tpKey, 0, len(m))
	for tp := range m {
		out = append(out, tp)
	}
	sortTPs(out)
	return out
}

// formatReassignmentJSON is formatAsReassignmentJson: partitions sorted by topic and
// partition, every replica's log dir "any" unless logDirs names one.
func formatReassignmentJSON(parts map[tpKey][]int32, logDirs map[string]string) string {
	var b strings.Builder
	b.WriteString(`{"version":1,"partitions":[`)
	for i, tp := range sortedTPKeys(parts) {
		if i > 0 {
			b.WriteByte(',')
		}
		replicas := parts[tp]
		dirs := make([]string, len(replicas))
		for j, r := range replicas {
			d, ok := logDirs[fmt.Sprintf("%s-%d-%d", tp.Topic, tp.Partition, r)]
			if !ok {
				d = anyLogDir
			}
			dirs[j] = jsonString(d)
		}
		fmt.Fprintf(&b, `{"topic":%s,"partition":%d,"replicas":[%s],"log_dirs":[%s]}`,
			jsonString(tp.Topic), tp.Partition, joinInts(replicas, ","), strings.Join(dirs, ","))
	}
	b.WriteString("]}")
	return b.String()
}

// currentAssignmentText is currentPartitionReplicaAssignmentToString.
func currentAssignmentText(proposed, current map[tpKey][]int32) string {
	kept := map[tpKey][]int32{}
	for tp, r := range current {
		if _, ok := proposed[tp]; ok {
			kept[tp] = r
		}
	}
	return "Current partition replica assignment\n\n" + formatReassignmentJSON(kept, nil) +
		"\n\nSave this to use as the --reassignment-json-file option during rollback"
}

func joinTPs(tps []tpKey, sep string) string {
	s := make([]string, len(tps))
	for i, tp := range tps {
		s[i] = tp.String()
	}
	return strings.Join(s, sep)
}

func plural(n int, suffix string) string {
	if n == 1 {
		return ""
	}
	return suffix
}

// calculateAssignment proposes, per topic, AdminUtils.assignReplicasToBrokers over brokers
// with the topic's partition count and its first partition's replication factor.
func calculateAssignment(current map[tpKey][]int32, brokers []zkmeta.BrokerMeta) (map[tpKey][]int32, error) {
	type topicInfo struct {
		n  int32
		rf int
	}
	topics := map[string]*topicInfo{}
	for _, tp := range sortedTPKeys(current) {
		ti, ok := topics[tp.Topic]
		if !ok {
			ti = &topicInfo{rf: len(current[tp])}
			topics[tp.Topic] = ti
		}
		ti.n++
	}
	out := map[tpKey][]int32{}
	for topic, ti := range topics {
		a, err := zkmeta.AssignReplicas(brokers, ti.n, int16(ti.rf), -1, -1)
		if err != nil {
			return nil, zkError(err)
		}
		for p, r := range a {
			out[tpKey{topic, p}] = r
		}
	}
	return out, nil
}

// partitionState is PartitionReassignmentState.
type partitionState struct {
	current, target []int32
	done            bool
}

// reassignmentStatesText is partitionReassignmentStatesToString.
func reassignmentStatesText(states map[tpKey]partitionState) string {
	lines := []string{"Status of partition reassignment:"}
	for _, tp := range sortedTPKeys(states) {
		st := states[tp]
		switch {
		case !st.done:
			lines = append(lines, fmt.Sprintf("Reassignment of partition %s is still in progress.", tp))
		case equalInts(st.current, st.target):
			lines = append(lines, fmt.Sprintf("Reassignment of partition %s is complete.", tp))
		default:
			lines = append(lines, fmt.Sprintf("There is no active reassignment of partition %s, but replica set is %s rather than %s.",
				tp, joinInts(st.current, ","), joinInts(st.target, ",")))
		}
	}
	return strings.Join(lines, "\n")
}

func equalInts(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// moveMap is the tool's MoveMap: topic -> partition -> (sources, destinations).
type partitionMove struct{ sources, destinations map[int32]bool }
type moveMap map[string]map[int32]*partitionMove

// proposedMoveMap is calculateProposedMoveMap.
func proposedMoveMap(ongoing map[tpKey]reassignmentInfo, proposed, current map[tpKey][]int32) moveMap {
	mm := moveMap{}
	put := func(tp tpKey, m *partitionMove) {
		if mm[tp.Topic] == nil {
			mm[tp.Topic] = map[int32]*partitionMove{}
		}
		mm[tp.Topic][tp.Partition] = m
	}
	for tp, r := range ongoing {
		m := &partitionMove{sources: map[int32]bool{}, destinations: map[int32]bool{}}
		adding := map[int32]bool{}
		for _, x := range r.adding {
			adding[x] = true
			m.destinations[x] = true
		}
		for _, x := range r.replicas {
			if !adding[x] {
				m.sources[x] = true
			}
		}
		put(tp, m)
	}
	for tp, replicas := range proposed {
		sources := map[int32]bool{}
		if prev := mm[tp.Topic][tp.Partition]; prev != nil {
			sources = prev.sources
		} else {
			for _, x := range current[tp] {
				sources[x] = true
			}
		}
		m := &partitionMove{sources: sources, destinations: map[int32]bool{}}
		for _, x := range replicas {
			if !sources[x] {
				m.destinations[x] = true
			}
		}
		put(tp, m)
	}
	return mm
}

func sortedIntKeys(m map[int32]bool) []int32 {
	out := make([]int32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// throttleValues is calculateLeaderThrottles / calculateFollowerThrottles: "partition:broker"
// pairs sorted as strings (Kafka collects them in a TreeSet).
func (mm moveMap) throttleValues(leader bool) map[string]string {
	out := map[string]string{}
	for topic, parts := range mm {
		set := map[string]bool{}
		for p, m := range parts {
			if leader {
				for s := range m.sources {
					set[fmt.Sprintf("%d:%d", p, s)] = true
				}
			} else {
				for d := range m.destinations {
					if !m.sources[d] {
						set[fmt.Sprintf("%d:%d", p, d)] = true
					}
				}
			}
		}
		items := make([]string, 0, len(set))
		for k := range set {
			items = append(items, k)
		}
		sort.Strings(items)
		out[topic] = strings.Join(items, ",")
	}
	return out
}

func (mm moveMap) brokers() []int32 {
	set := map[int32]bool{}
	for _, parts := range mm {
		for _, m := range parts {
			for b := range m.sources {
				set[b] = true
			}
			for b := range m.destinations {
				set[b] = true
			}
		}
	}
	return sortedIntKeys(set)
}

// reassignmentInfo is one ongoing reassignment as ListPartitionReassignments reports it.
type reassignmentInfo struct{ replicas, adding, removing []int32 }

// ---------------------------------------------------------------------------------------
// Admin API mode

type adminReassigner struct {
	e *env
	a *adminConn
}

// reassigner is one back-end of the tool: the Admin API (--bootstrap-server) or ZooKeeper.
type reassigner interface {
	verify(data []byte, preserveThrottles bool) error
	generate(topicsJSON []byte, brokerList string, rackAware bool) error
	execute(data []byte, additional bool, throttle, logDirThrottle int64) error
	cancel(data []byte, preserveThrottles bool) error
	listText() error
}

// runReassign reads the files and flags an action needs and hands them to the back-end.
func runReassign(r reassigner, o *reassignOptions, action *Opt) error {
	s := o.s
	switch action {
	case o.verify:
		data, err := readFileAsString(s.ValueOf(o.reassignmentFile))
		if err != nil {
			return err
		}
		return r.verify(data, s.Has(o.preserveThrot))
	case o.generate:
		data, err := readFileAsString(s.ValueOf(o.topicsToMoveFile))
		if err != nil {
			return err
		}
		return r.generate(data, s.ValueOf(o.brokerList), !s.Has(o.disableRack))
	case o.execute:
		data, err := readFileAsString(s.ValueOf(o.reassignmentFile))
		if err != nil {
			return err
		}
		throttle, err := s.IntValueOf(o.throttle)
		if err != nil {
			return joptException(err)
		}
		logDirThrottle, err := s.IntValueOf(o.logDirsThrottle)
		if err != nil {
			return joptException(err)
		}
		return r.execute(data, s.Has(o.additional), throttle, logDirThrottle)
	case o.cancel:
		data, err := readFileAsString(s.ValueOf(o.reassignmentFile))
		if err != nil {
			return err
		}
		return r.cancel(data, s.Has(o.preserveThrot))
	case o.list:
		return r.listText()
	}
	return newJavaError("java.lang.RuntimeException", "Unsupported action.")
}

// executionError is how a failed admin future surfaces: ExecutionException whose message is
// the cause's toString.
func executionError(je *javaError) *javaError {
	return newJavaError("java.util.concurrent.ExecutionException", "%s", je.String())
}

// cluster describes the live brokers (describeCluster) as id -> rack ("" when none).
func (r *adminReassigner) cluster() (map[int32]*string, error) {
	ctx, cancel := r.a.ctx()
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{}
	resp, err := untilTimeout(ctx, "describeCluster", func(ctx context.Context) (*kmsg.MetadataResponse, error) {
		return req.RequestWith(ctx, r.a.cl)
	})
	if err != nil {
		return nil, executionError(toolError(err, "describeCluster"))
	}
	out := map[int32]*string{}
	for _, b := range resp.Brokers {
		out[b.NodeID] = b.Rack
	}
	return out, nil
}

// describeTopics returns every partition's replicas of the given topics, failing on the first
// unknown topic as describeTopics(...).all().get() does.
func (r *adminReassigner) describeTopics(topics []string) (map[tpKey][]int32, error) {
	out := map[tpKey][]int32{}
	if len(topics) == 0 {
		return out, nil
	}
	ctx, cancel := r.a.ctx()
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	req.AllowAutoTopicCreation = false
	resp, err := untilTimeout(ctx, "describeTopics", func(ctx context.Context) (*kmsg.MetadataResponse, error) {
		return req.RequestWith(ctx, r.a.cl)
	})
	if err != nil {
		return nil, executionError(toolError(err, "describeTopics"))
	}
	for _, t := range resp.Topics {
		if t.ErrorCode != 0 {
			return nil, executionError(apiError(t.ErrorCode, nil))
		}
		for _, p := range t.Partitions {
			out[tpKey{*t.Topic, p.Partition}] = p.Replicas
		}
	}
	return out, nil
}

// listReassignments is listPartitionReassignments; tps nil lists all.
func (r *adminReassigner) listReassignments(tps []tpKey) (map[tpKey]reassignmentInfo, error) {
	ctx, cancel := r.a.ctx()
	defer cancel()
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	req.TimeoutMillis = int32(r.a.timeout.Milliseconds())
	if tps != nil {
		req.Topics = []kmsg.ListPartitionReassignmentsRequestTopic{}
		idx := map[string]int{}
		for _, tp := range tps {
			i, ok := idx[tp.Topic]
			if !ok {
				rt := kmsg.NewListPartitionReassignmentsRequestTopic()
				rt.Topic = tp.Topic
				req.Topics = append(req.Topics, rt)
				i = len(req.Topics) - 1
				idx[tp.Topic] = i
			}
			req.Topics[i].Partitions = append(req.Topics[i].Partitions, tp.Partition)
		}
	}
	resp, err := untilTimeout(ctx, "listPartitionReassignments", func(ctx context.Context) (*kmsg.ListPartitionReassignmentsResponse, error) {
		return req.RequestWith(ctx, r.a.cl)
	})
	if err != nil {
		return nil, executionError(toolError(err, "listPartitionReassignments"))
	}
	if resp.ErrorCode != 0 {
		return nil, executionError(apiError(resp.ErrorCode, resp.ErrorMessage))
	}
	out := map[tpKey]reassignmentInfo{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out[tpKey{t.Topic, p.Partition}] = reassignmentInfo{p.Replicas, p.AddingReplicas, p.RemovingReplicas}
		}
	}
	return out, nil
}

// alterReassignments sends AlterPartitionReassignments; a nil target cancels. It returns the
// per-partition failures.
func (r *adminReassigner) alterReassignments(targets map[tpKey][]int32) (map[tpKey]*javaError, error) {
	ctx, cancel := r.a.ctx()
	defer cancel()
	req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	req.TimeoutMillis = int32(r.a.timeout.Milliseconds())
	idx := map[string]int{}
	for _, tp := range sortedTPKeys(targets) {
		i, ok := idx[tp.Topic]
		if !ok {
			rt := kmsg.NewAlterPartitionAssignmentsRequestTopic()
			rt.Topic = tp.Topic
			req.Topics = append(req.Topics, rt)
			i = len(req.Topics) - 1
			idx[tp.Topic] = i
		}
		rp := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
		rp.Partition, rp.Replicas = tp.Partition, targets[tp]
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	resp, err := untilTimeout(ctx, "alterPartitionReassignments", func(ctx context.Context) (*kmsg.AlterPartitionAssignmentsResponse, error) {
		return req.RequestWith(ctx, r.a.cl)
	})
	errs := map[tpKey]*javaError{}
	if err != nil {
		je := toolError(err, "alterPartitionReassignments")
		for tp := range targets {
			errs[tp] = je
		}
		return errs, nil
	}
	if resp.ErrorCode != 0 {
		je := apiError(resp.ErrorCode, resp.ErrorMessage)
		for tp := range targets {
			errs[tp] = je
		}
		return errs, nil
	}
	answered := map[tpKey]bool{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			tp := tpKey{t.Topic, p.Partition}
			answered[tp] = true
			if p.ErrorCode != 0 {
				errs[tp] = apiError(p.ErrorCode, p.ErrorMessage)
			}
		}
	}
	for tp := range targets {
		if !answered[tp] {
			errs[tp] = apiError(kerr.UnknownServerError.Code, kmsg.StringPtr("Failed to find response for partition "+tp.String()))
		}
	}
	return errs, nil
}

func (r *adminReassigner) generate(topicsJSON []byte, brokerList string, rackAware bool) error {
	brokers, topics, err := parseGenerateArgs(topicsJSON, brokerList)
	if err != nil {
		return err
	}
	current, err := r.describeTopics(topics)
	if err != nil {
		return err
	}
	nodes, err := r.cluster()
	if err != nil {
		return err
	}
	want := map[int32]bool{}
	for _, b := range brokers {
		want[b] = true
	}
	var metas []zkmeta.BrokerMeta
	rackless := 0
	for id, rack := range nodes {
		if !want[id] {
			continue
		}
		m := zkmeta.BrokerMeta{ID: id}
		if rackAware && rack != nil {
			m.Rack = *rack
		} else {
			rackless++
		}
		metas = append(metas, m)
	}
	sort.Slice(metas, func(i, j int) bool { return metas[i].ID < metas[j].ID })
	if rackAware && rackless != 0 && rackless != len(metas) {
		return adminOperation("Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.")
	}
	return printProposal(r.e, current, metas)
}

func (r *adminReassigner) execute(data []byte, additional bool, throttle, logDirThrottle int64) error {
	proposed, moves, err := parseExecuteArgs(data)
	if err != nil {
		return err
	}
	ongoing, err := r.listReassignments(nil)
	if err != nil {
		return err
	}
	if !additional && len(ongoing) > 0 {
		return &terseFailure{cannotExecuteBecauseOfExisting}
	}
	nodes, err := r.cluster()
	if err != nil {
		return err
	}
	var ids []int32
	for _, replicas := range proposed {
		ids = append(ids, replicas...)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if _, ok := nodes[id]; !ok {
			return adminCommandFailed("Unknown broker id %d", id)
		}
	}
	topicSet := map[string]bool{}
	for tp := range proposed {
		topicSet[tp.Topic] = true
	}
	all, err := r.describeTopics(sortedStringKeys(topicSet))
	if err != nil {
		return err
	}
	current := map[tpKey][]int32{}
	for tp := range proposed {
		if rs, ok := all[tp]; ok {
			current[tp] = rs
		}
	}
	fmt.Fprintln(r.e.Stdout, currentAssignmentText(proposed, current))
	if throttle >= 0 || logDirThrottle >= 0 {
		fmt.Fprintln(r.e.Stdout, mustRunVerifyPeriodically)
		if throttle >= 0 {
			for tp := range proposed {
				if _, ok := current[tp]; !ok {
					if _, busy := ongoing[tp]; !busy {
						return newJavaError("java.lang.RuntimeException", "Trying to reassign a topic partition %s with 0 replicas", tp)
					}
				}
			}
			mm := proposedMoveMap(ongoing, proposed, current)
			if err := r.setThrottles(mm, throttle); err != nil {
				return err
			}
			fmt.Fprintf(r.e.Stdout, "The inter-broker throttle limit was set to %d B/s\n", throttle)
		}
		if logDirThrottle >= 0 {
			fmt.Fprintf(r.e.Stdout, "The replica-alter-dir throttle limit was set to %d B/s\n", logDirThrottle)
		}
	}
	errs, err := r.alterReassignments(proposed)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		var lines []string
		for _, tp := range sortedTPKeys(errs) {
			lines = append(lines, fmt.Sprintf("%s: %s", tp, errs[tp].Msg))
		}
		return &terseFailure{"Error reassigning partition(s):\n" + strings.Join(lines, "\n")}
	}
	tps := sortedTPKeys(proposed)
	fmt.Fprintf(r.e.Stdout, "Successfully started partition reassignment%s for %s\n", plural(len(tps), "s"), joinTPs(tps, ","))
	if len(moves) > 0 {
		// Moving replicas between log directories needs AlterReplicaLogDirs, which this
		// broker does not serve.
		return &terseFailure{"Timed out before log directory moves could be started for: " + strings.Join(sortedStringKeys(boolSet(moves)), ",")}
	}
	return nil
}

func boolSet(m map[string]string) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func sortedStringKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// incrementalAlter sends one IncrementalAlterConfigs with op (0 SET, 1 DELETE) per resource.
func (r *adminReassigner) incrementalAlter(resources map[string]map[string]*string, typ kmsg.ConfigResourceType) error {
	if len(resources) == 0 {
		return nil
	}
	ctx, cancel := r.a.ctx()
	defer cancel()
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	for _, name := range sortedStringKeys(boolSetOf(resources)) {
		rr := kmsg.NewIncrementalAlterConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = typ, name
		keys := make([]string, 0, len(resources[name]))
		for k := range resources[name] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
			c.Name, c.Value = k, resources[name][k]
			if c.Value == nil {
				c.Op = kmsg.IncrementalAlterConfigOpDelete
			} else {
				c.Op = kmsg.IncrementalAlterConfigOpSet
			}
			rr.Configs = append(rr.Configs, c)
		}
		req.Resources = append(req.Resources, rr)
	}
	shards := r.a.cl.RequestSharded(ctx, req)
	for _, sh := range shards {
		if sh.Err != nil {
			return executionError(toolError(sh.Err, "incrementalAlterConfigs"))
		}
		for _, res := range sh.Resp.(*kmsg.IncrementalAlterConfigsResponse).Resources {
			if res.ErrorCode != 0 {
				return executionError(apiError(res.ErrorCode, res.ErrorMessage))
			}
		}
	}
	return nil
}

func boolSetOf[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func (r *adminReassigner) setThrottles(mm moveMap, rate int64) error {
	leaders, followers := mm.throttleValues(true), mm.throttleValues(false)
	topics := map[string]map[string]*string{}
	for t, v := range leaders {
		if topics[t] == nil {
			topics[t] = map[string]*string{}
		}
		topics[t][topicLeaderThrottle] = kmsg.StringPtr(v)
	}
	for t, v := range followers {
		if topics[t] == nil {
			topics[t] = map[string]*string{}
		}
		topics[t][topicFollowerThrottle] = kmsg.StringPtr(v)
	}
	if err := r.incrementalAlter(topics, kmsg.ConfigResourceTypeTopic); err != nil {
		return err
	}
	brokers := map[string]map[string]*string{}
	val := strconv.FormatInt(rate, 10)
	for _, b := range mm.brokers() {
		brokers[strconv.Itoa(int(b))] = map[string]*string{brokerLeaderThrottle: &val, brokerFollowerThrottle: &val}
	}
	return r.incrementalAlter(brokers, kmsg.ConfigResourceTypeBroker)
}

// clearAllThrottles removes the broker throttles of every live and target broker and the
// topic throttles of every target topic.
func (r *adminReassigner) clearAllThrottles(targets []reassignEntry) error {
	nodes, err := r.cluster()
	if err != nil {
		return err
	}
	brokerSet := map[int32]bool{}
	for id := range nodes {
		brokerSet[id] = true
	}
	topicSet := map[string]bool{}
	for _, en := range targets {
		topicSet[en.tp.Topic] = true
		for _, b := range en.replicas {
			brokerSet[b] = true
		}
	}
	brokers := sortedIntKeys(brokerSet)
	fmt.Fprintf(r.e.Stdout, "Clearing broker-level throttles on broker%s %s\n", plural(len(brokers), "s"), joinInts(brokers, ","))
	bres := map[string]map[string]*string{}
	for _, b := range brokers {
		m := map[string]*string{}
		for _, k := range brokerLevelThrottles {
			m[k] = nil
		}
		bres[strconv.Itoa(int(b))] = m
	}
	if err := r.incrementalAlter(bres, kmsg.ConfigResourceTypeBroker); err != nil {
		return err
	}
	topics := sortedStringKeys(topicSet)
	fmt.Fprintf(r.e.Stdout, "Clearing topic-level throttles on topic%s %s\n", plural(len(topics), "s"), strings.Join(topics, ","))
	tres := map[string]map[string]*string{}
	for _, t := range topics {
		m := map[string]*string{}
		for _, k := range topicLevelThrottles {
			m[k] = nil
		}
		tres[t] = m
	}
	return r.incrementalAlter(tres, kmsg.ConfigResourceTypeTopic)
}

func (r *adminReassigner) verify(data []byte, preserveThrottles bool) error {
	targets, moves, err := parseReassignmentJSON(data)
	if err != nil {
		return err
	}
	ongoing, err := r.listReassignments(nil)
	if err != nil {
		return err
	}
	states := map[tpKey]partitionState{}
	topicSet := map[string]bool{}
	for _, en := range targets {
		if cur, ok := ongoing[en.tp]; ok {
			states[en.tp] = partitionState{current: cur.replicas, target: en.replicas}
		} else {
			topicSet[en.tp.Topic] = true
		}
	}
	described := map[tpKey][]int32{}
	for _, topic := range sortedStringKeys(topicSet) {
		d, err := r.describeTopics([]string{topic})
		if err != nil {
			var je *javaError
			if errors.As(err, &je) && strings.Contains(je.Msg, "UnknownTopicOrPartitionException") {
				continue
			}
			return err
		}
		for tp, rs := range d {
			described[tp] = rs
		}
	}
	for _, en := range targets {
		if _, ok := states[en.tp]; ok {
			continue
		}
		states[en.tp] = partitionState{current: described[en.tp], target: en.replicas, done: true}
	}
	fmt.Fprintln(r.e.Stdout, reassignmentStatesText(states))
	// Replica log-dir moves: none can be pending here (AlterReplicaLogDirs is not served),
	// so the move summary is the empty line Kafka prints when there are none.
	movesPending := len(moves) > 0
	var moveLines []string
	for _, k := range sortedStringKeys(boolSet(moves)) {
		moveLines = append(moveLines, fmt.Sprintf("Partition %s cannot be found in any live log directory on broker %s.", k[:strings.LastIndex(k, "-")], k[strings.LastIndex(k, "-")+1:]))
	}
	fmt.Fprintln(r.e.Stdout, strings.Join(moveLines, "\n"))
	if len(ongoing) == 0 && !movesPending && !preserveThrottles {
		return r.clearAllThrottles(targets)
	}
	return nil
}

func (r *adminReassigner) cancel(data []byte, preserveThrottles bool) error {
	targets, _, err := parseReassignmentJSON(data)
	if err != nil {
		return err
	}
	tps := make([]tpKey, 0, len(targets))
	seen := map[tpKey]bool{}
	for _, en := range targets {
		if !seen[en.tp] {
			seen[en.tp] = true
			tps = append(tps, en.tp)
		}
	}
	ongoing, err := r.listReassignments(tps)
	if err != nil {
		return err
	}
	cancelling := map[tpKey][]int32{}
	for tp, info := range ongoing {
		if len(info.adding) > 0 || len(info.removing) > 0 {
			cancelling[tp] = nil
		}
	}
	if len(cancelling) > 0 {
		errs, err := r.alterReassignments(cancelling)
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			var lines []string
			for _, tp := range sortedTPKeys(errs) {
				lines = append(lines, fmt.Sprintf("%s: %s", tp, errs[tp].Msg))
			}
			return &terseFailure{fmt.Sprintf("Error cancelling partition reassignment%s for:\n%s", plural(len(errs), "s"), strings.Join(lines, "\n"))}
		}
		done := sortedTPKeys(cancelling)
		fmt.Fprintf(r.e.Stdout, "Successfully cancelled partition reassignment%s for: %s\n", plural(len(done), "s"), joinTPs(done, ","))
	} else {
		fmt.Fprintln(r.e.Stdout, "None of the specified partition reassignments are active.")
	}
	fmt.Fprintln(r.e.Stdout, "None of the specified partition moves are active.")
	if !preserveThrottles {
		return r.clearAllThrottles(targets)
	}
	return nil
}

func (r *adminReassigner) listText() error {
	ongoing, err := r.listReassignments(nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(r.e.Stdout, currentReassignmentsText(ongoing))
	return nil
}

// currentReassignmentsText is curReassignmentsToString.
func currentReassignmentsText(ongoing map[tpKey]reassignmentInfo) string {
	if len(ongoing) == 0 {
		return "No partition reassignments found."
	}
	lines := []string{"Current partition reassignments:"}
	for _, tp := range sortedTPKeys(ongoing) {
		info := ongoing[tp]
		line := fmt.Sprintf("%s: replicas: %s.", tp, joinInts(info.replicas, ","))
		if len(info.adding) > 0 {
			line += fmt.Sprintf(" adding: %s.", joinInts(info.adding, ","))
		}
		if len(info.removing) > 0 {
			line += fmt.Sprintf(" removing: %s.", joinInts(info.removing, ","))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------------------------------
// ZooKeeper mode (deprecated in 2.8, still what the classic tutorials use)

type zkReassigner struct {
	e *env
	c *zkmeta.Client
}

// ZooKeeper mode has no cancel or list in 2.8 (the argument checks refuse them before this);
// --additional and the log-dir throttle need the Admin API.
func (r *zkReassigner) cancel([]byte, bool) error {
	return newJavaError("java.lang.RuntimeException", "Unsupported action.")
}

func (r *zkReassigner) listText() error {
	return newJavaError("java.lang.RuntimeException", "Unsupported action.")
}

// assignments is getReplicaAssignmentForTopics: missing topics are simply absent.
func (r *zkReassigner) assignments(topics []string) (map[tpKey][]int32, error) {
	as, err := r.c.GetTopicAssignments(topics)
	if err != nil {
		return nil, zkError(err)
	}
	out := map[tpKey][]int32{}
	for topic, a := range as {
		for p, rs := range a.Partitions {
			out[tpKey{topic, p}] = rs
		}
	}
	return out, nil
}

func (r *zkReassigner) pending() (map[tpKey][]int32, error) {
	m, err := r.c.GetReassignment()
	if errors.Is(err, zkmeta.ErrNoNode) {
		return map[tpKey][]int32{}, nil
	}
	if err != nil {
		return nil, zkError(err)
	}
	out := make(map[tpKey][]int32, len(m))
	for tp, rs := range m {
		out[tpKey{tp.Topic, tp.Partition}] = rs
	}
	return out, nil
}

func (r *zkReassigner) generate(topicsJSON []byte, brokerList string, rackAware bool) error {
	brokers, topics, err := parseGenerateArgs(topicsJSON, brokerList)
	if err != nil {
		return err
	}
	current, err := r.assignments(topics)
	if err != nil {
		return err
	}
	all, err := r.c.GetAllBrokers()
	if err != nil {
		return zkError(err)
	}
	want := map[int32]bool{}
	for _, b := range brokers {
		want[b] = true
	}
	var chosen []zkmeta.BrokerInfo
	for _, b := range all {
		if want[b.ID] {
			chosen = append(chosen, b)
		}
	}
	mode := zkmeta.RackAwareEnforced
	if !rackAware {
		mode = zkmeta.RackAwareDisabled
	}
	metas, err := zkmeta.BrokerMetas(chosen, mode)
	if err != nil {
		return zkError(err)
	}
	return printProposal(r.e, current, metas)
}

func (r *zkReassigner) execute(data []byte, _ bool, throttle, _ int64) error {
	proposed, moves, err := parseExecuteArgs(data)
	if err != nil {
		return err
	}
	if len(moves) > 0 {
		return adminCommandFailed("bootstrap-server needs to be provided when replica reassignments are present.")
	}
	topicSet := map[string]bool{}
	for tp := range proposed {
		topicSet[tp.Topic] = true
	}
	existing, err := r.assignments(sortedStringKeys(topicSet))
	if err != nil {
		return err
	}
	var missing []string
	for _, tp := range sortedTPKeys(proposed) {
		if _, ok := existing[tp]; !ok {
			missing = append(missing, tp.String())
		}
	}
	if len(missing) > 0 {
		return adminCommandFailed("The proposed assignment contains non-existent partitions: %s", scalaList(missing))
	}
	all, err := r.c.GetAllBrokers()
	if err != nil {
		return zkError(err)
	}
	live := map[int32]bool{}
	for _, b := range all {
		live[b.ID] = true
	}
	bad := map[int32]bool{}
	for _, rs := range proposed {
		for _, id := range rs {
			if !live[id] {
				bad[id] = true
			}
		}
	}
	if len(bad) > 0 {
		return adminCommandFailed("The proposed assignment contains non-existent brokerIDs: %s", joinInts(sortedIntKeys(bad), ","))
	}
	if ok, _, err := r.c.Exists(zkmeta.ReassignPartitionsPath); err != nil {
		return zkError(err)
	} else if ok {
		return &terseFailure{cannotExecuteBecauseOfExisting}
	}
	fmt.Fprintln(r.e.Stdout, currentAssignmentText(proposed, existing))
	if throttle >= 0 {
		fmt.Fprintln(r.e.Stdout, mustRunVerifyPeriodically)
		mm := proposedMoveMap(nil, proposed, existing)
		if err := r.setThrottles(mm, throttle); err != nil {
			return err
		}
		fmt.Fprintf(r.e.Stdout, "The inter-broker throttle limit was set to %d B/s\n", throttle)
	}
	m := make(map[zkmeta.TP][]int32, len(proposed))
	for tp, rs := range proposed {
		m[zkmeta.TP{Topic: tp.Topic, Partition: tp.Partition}] = rs
	}
	if err := r.c.CreateReassignment(m); err != nil {
		if errors.Is(err, zkmeta.ErrReassignmentInProgress) {
			return &terseFailure{cannotExecuteBecauseOfExisting}
		}
		return zkError(err)
	}
	tps := sortedTPKeys(proposed)
	fmt.Fprintf(r.e.Stdout, "Successfully started partition reassignment%s for %s\n", plural(len(tps), "s"), joinTPs(tps, ","))
	return nil
}

func (r *zkReassigner) setThrottles(mm moveMap, rate int64) error {
	leaders, followers := mm.throttleValues(true), mm.throttleValues(false)
	topics := boolSetOf(leaders)
	for t := range followers {
		topics[t] = true
	}
	for _, t := range sortedStringKeys(topics) {
		cfg, err := r.c.GetEntityConfig("topics", t)
		if err != nil {
			return zkError(err)
		}
		if v, ok := leaders[t]; ok {
			cfg[topicLeaderThrottle] = v
		}
		if v, ok := followers[t]; ok {
			cfg[topicFollowerThrottle] = v
		}
		if err := r.c.SetEntityConfig("topics", t, cfg); err != nil {
			return zkError(err)
		}
	}
	val := strconv.FormatInt(rate, 10)
	for _, b := range mm.brokers() {
		name := strconv.Itoa(int(b))
		cfg, err := r.c.GetEntityConfig("brokers", name)
		if err != nil {
			return zkError(err)
		}
		cfg[brokerLeaderThrottle], cfg[brokerFollowerThrottle] = val, val
		if err := r.c.SetEntityConfig("brokers", name, cfg); err != nil {
			return zkError(err)
		}
	}
	return nil
}

func (r *zkReassigner) verify(data []byte, preserveThrottles bool) error {
	targets, moves, err := parseReassignmentJSON(data)
	if err != nil {
		return err
	}
	if len(moves) > 0 {
		return adminCommandFailed("bootstrap-server needs to be provided when replica reassignments are present.")
	}
	fmt.Fprintln(r.e.Stdout, "Warning: because you are using the deprecated --zookeeper option, the results may be incomplete.  Use --bootstrap-server instead for more accurate results.")
	pending, err := r.pending()
	if err != nil {
		return err
	}
	topicSet := map[string]bool{}
	for _, en := range targets {
		topicSet[en.tp.Topic] = true
	}
	current, err := r.assignments(sortedStringKeys(topicSet))
	if err != nil {
		return err
	}
	states := map[tpKey]partitionState{}
	for _, en := range targets {
		_, inProgress := pending[en.tp]
		states[en.tp] = partitionState{current: current[en.tp], target: en.replicas, done: !inProgress}
	}
	fmt.Fprintln(r.e.Stdout, reassignmentStatesText(states))
	if len(pending) == 0 && !preserveThrottles {
		return r.clearAllThrottles(targets)
	}
	return nil
}

func (r *zkReassigner) clearAllThrottles(targets []reassignEntry) error {
	all, err := r.c.GetAllBrokers()
	if err != nil {
		return zkError(err)
	}
	brokerSet := map[int32]bool{}
	for _, b := range all {
		brokerSet[b.ID] = true
	}
	topicSet := map[string]bool{}
	for _, en := range targets {
		topicSet[en.tp.Topic] = true
		for _, b := range en.replicas {
			brokerSet[b] = true
		}
	}
	brokers := sortedIntKeys(brokerSet)
	fmt.Fprintf(r.e.Stdout, "Clearing broker-level throttles on broker%s %s\n", plural(len(brokers), "s"), joinInts(brokers, ","))
	for _, b := range brokers {
		if err := r.removeConfigs("brokers", strconv.Itoa(int(b)), brokerLevelThrottles); err != nil {
			return err
		}
	}
	topics := sortedStringKeys(topicSet)
	fmt.Fprintf(r.e.Stdout, "Clearing topic-level throttles on topic%s %s\n", plural(len(topics), "s"), strings.Join(topics, ","))
	for _, t := range topics {
		if err := r.removeConfigs("topics", t, topicLevelThrottles); err != nil {
			return err
		}
	}
	return nil
}

// removeConfigs rewrites an entity's config only when one of keys was set.
func (r *zkReassigner) removeConfigs(entityType, name string, keys []string) error {
	cfg, err := r.c.GetEntityConfig(entityType, name)
	if err != nil {
		return zkError(err)
	}
	changed := false
	for _, k := range keys {
		if _, ok := cfg[k]; ok {
			delete(cfg, k)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return zkError(r.c.SetEntityConfig(entityType, name, cfg))
}

// printProposal is --generate's output in both modes: the current assignment and the one
// AdminUtils would compute over the chosen brokers.
func printProposal(e *env, current map[tpKey][]int32, metas []zkmeta.BrokerMeta) error {
	proposed, err := calculateAssignment(current, metas)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "Current partition replica assignment\n%s\n\n", formatReassignmentJSON(current, nil))
	fmt.Fprintf(e.Stdout, "Proposed partition reassignment configuration\n%s\n", formatReassignmentJSON(proposed, nil))
	return nil
}
