package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-classic/kafka-classic/broker"
	"github.com/kafka-classic/kafka-classic/zkmeta"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(tool{name: "kafka-consumer-groups", short: "consumer-groups",
		usage: "list, describe, delete consumer groups or reset their offsets", run: consumerGroupsTool})
}

const missingColumn = "-"

type groupOptions struct {
	*toolOptions
	bootstrap, group, topic, allTopics, list, describe, allGroups, deleteOpt *Opt
	timeout, commandConfig, resetOffsets, deleteOffsets, dryRun, execute     *Opt
	export, toOffset, fromFile, toDatetime, byDuration, toEarliest           *Opt
	toLatest, toCurrent, shiftBy, members, verbose, offsets, state           *Opt
	s                                                                        *OptionSet
}

func newGroupOptions(args []string) *groupOptions {
	g := &groupOptions{toolOptions: newToolOptions(args)}
	p := g.Parser
	nl := "\n"
	g.bootstrap = p.Accepts("bootstrap-server", "REQUIRED: The server(s) to connect to.").WithRequiredArg().DescribedAs("server to connect to")
	g.group = p.Accepts("group", "The consumer group we wish to act on.").WithRequiredArg().DescribedAs("consumer group")
	g.topic = p.Accepts("topic", "The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. Reset-offsets also supports multiple topic inputs.").
		WithRequiredArg().DescribedAs("topic")
	g.allTopics = p.Accepts("all-topics", "Consider all topics assigned to a group in the `reset-offsets` process.")
	g.list = p.Accepts("list", "List all consumer groups.")
	g.describe = p.Accepts("describe", "Describe consumer group and list offset lag (number of messages not yet processed) related to given group.")
	g.allGroups = p.Accepts("all-groups", "Apply to all consumer groups.")
	g.deleteOpt = p.Accepts("delete", "Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2")
	g.timeout = p.Accepts("timeout", "The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes (when the group is just created, or is going through some changes).").
		WithRequiredArg().DescribedAs("timeout (ms)").OfType("Long").DefaultsTo("5000")
	g.commandConfig = p.Accepts("command-config", "Property file containing configs to be passed to Admin Client and Consumer.").
		WithRequiredArg().DescribedAs("command config property file")
	g.resetOffsets = p.Accepts("reset-offsets", "Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive"+nl+
		"Has 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. Additionally, the --export option is used to export the results to a CSV format."+nl+
		"You must choose one of the following reset specifications: --to-datetime, --by-period, --to-earliest, --to-latest, --shift-by, --from-file, --to-current."+nl+
		"To define the scope use --all-topics or --topic. One scope must be specified unless you use '--from-file'.")
	g.deleteOffsets = p.Accepts("delete-offsets", "Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.")
	g.dryRun = p.Accepts("dry-run", "Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets.")
	g.execute = p.Accepts("execute", "Execute operation. Supported operations: reset-offsets.")
	g.export = p.Accepts("export", "Export operation execution to a CSV file. Supported operations: reset-offsets.")
	g.toOffset = p.Accepts("to-offset", "Reset offsets to a specific offset.").WithRequiredArg().DescribedAs("offset").OfType("Long")
	g.fromFile = p.Accepts("from-file", "Reset offsets to values defined in CSV file.").WithRequiredArg().DescribedAs("path to CSV file")
	g.toDatetime = p.Accepts("to-datetime", "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'").WithRequiredArg().DescribedAs("datetime")
	g.byDuration = p.Accepts("by-duration", "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'").WithRequiredArg().DescribedAs("duration")
	g.toEarliest = p.Accepts("to-earliest", "Reset offsets to earliest offset.")
	g.toLatest = p.Accepts("to-latest", "Reset offsets to latest offset.")
	g.toCurrent = p.Accepts("to-current", "Reset offsets to current offset.")
	g.shiftBy = p.Accepts("shift-by", "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.").WithRequiredArg().DescribedAs("number-of-offsets").OfType("Long")
	g.members = p.Accepts("members", "Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only."+nl+
		"Example: --bootstrap-server localhost:9092 --describe --group group1 --members")
	g.verbose = p.Accepts("verbose", "Provide additional information, if any, when describing the group. This option may be used with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only."+nl+
		"Example: --bootstrap-server localhost:9092 --describe --group group1 --members --verbose")
	g.offsets = p.Accepts("offsets", "Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with '--describe' and '--bootstrap-server' options only."+nl+
		"Example: --bootstrap-server localhost:9092 --describe --group group1 --offsets")
	g.state = p.Accepts("state", "When specified with '--describe', includes the state of the group."+nl+
		"Example: --bootstrap-server localhost:9092 --describe --group group1 --state"+nl+
		"When specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states."+nl+
		"Example: --bootstrap-server localhost:9092 --list --state stable,empty"+nl+
		"This option may be used with '--describe', '--list' and '--bootstrap-server' options only.").WithOptionalArg()
	return g
}

// zookeeperFallback handles the seed tutorial's `--zookeeper host:port`, which Kafka 2.x
// removed from this tool: it is taken out of the arguments and replaced by a
// --bootstrap-server pointing at the live brokers registered in ZooKeeper.
func zookeeperFallback(e *env, args []string) ([]string, error) {
	var zk string
	found := false
	var rest []string
	hasBootstrap := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, val, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && len(name) >= 3 && strings.HasPrefix("zookeeper", name) {
			found = true
			if inline {
				zk = val
			} else if i+1 < len(args) {
				zk = args[i+1]
				i++
			}
			continue
		}
		if strings.HasPrefix(a, "--") && len(name) >= 2 && strings.HasPrefix("bootstrap-server", name) {
			hasBootstrap = true
		}
		rest = append(rest, a)
	}
	if !found || hasBootstrap {
		return rest, nil
	}
	if zk == "" {
		return nil, fmt.Errorf("Option zookeeper requires an argument")
	}
	zc, err := zkmeta.Connect(zk, 30*time.Second, 30*time.Second, toolLogger(e))
	if err != nil {
		return nil, zkError(err)
	}
	defer zc.Close()
	brokers, err := zc.GetAllBrokers()
	if err != nil {
		return nil, zkError(err)
	}
	var addrs []string
	for _, b := range brokers {
		if ep, ok := pickEndpoint(b.Endpoints); ok {
			addrs = append(addrs, ep)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("Note: --zookeeper is not supported for consumer groups since Kafka 2.x, and no live brokers are registered in ZooKeeper at %s", zk)
	}
	bs := strings.Join(addrs, ",")
	fmt.Fprintf(e.Stderr, "Note: --zookeeper is not supported for consumer groups since Kafka 2.x; using broker(s) found in ZooKeeper: %s\n", bs)
	return append([]string{"--bootstrap-server", bs}, rest...), nil
}

// pickEndpoint prefers a PLAINTEXT listener, as the tool itself speaks plaintext.
func pickEndpoint(eps []zkmeta.Endpoint) (string, bool) {
	var chosen *zkmeta.Endpoint
	for i := range eps {
		proto := eps[i].SecurityProtocol
		if proto == "" {
			proto = eps[i].Listener
		}
		if proto == "PLAINTEXT" {
			chosen = &eps[i]
			break
		}
	}
	if chosen == nil {
		if len(eps) == 0 {
			return "", false
		}
		chosen = &eps[0]
	}
	host := chosen.Host
	if host == "" {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s:%d", host, chosen.Port), true
}

func consumerGroupsTool(e *env, args []string) error {
	args, err := zookeeperFallback(e, args)
	if err != nil {
		var je *javaError
		if errors.As(err, &je) {
			return e.uncaught(je)
		}
		fmt.Fprintln(e.Stderr, err)
		return exitCode(1)
	}
	g := newGroupOptions(args)
	s, err := g.Parse(args)
	if err != nil {
		return e.uncaught(joptException(err))
	}
	g.s = s
	if err := g.checkAvailable(); err != nil {
		return e.uncaught(err)
	}
	if err := g.checkArgs(e); err != nil {
		return err
	}
	if err := e.helpAndExitIfNeeded(g.toolOptions, s, "This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets."); err != nil {
		return err
	}
	actions := 0
	for _, o := range []*Opt{g.list, g.describe, g.deleteOpt, g.resetOffsets, g.deleteOffsets} {
		if s.Has(o) {
			actions++
		}
	}
	if actions != 1 {
		return e.usageAndDie(g.Parser, "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets")
	}
	timeoutMs, err := s.IntValueOf(g.timeout)
	if err != nil {
		return e.usageAndDie(g.Parser, err.Error())
	}
	a, err := newAdminConn(s.ValueOf(g.bootstrap), s.ValueOf(g.commandConfig))
	if err != nil {
		var je *javaError
		errors.As(err, &je)
		return e.uncaught(je)
	}
	defer a.close()
	a.timeout = time.Duration(timeoutMs) * time.Millisecond
	svc := &groupService{e: e, o: g, a: a}
	switch {
	case s.Has(g.list):
		err = svc.listGroups()
	case s.Has(g.describe):
		err = svc.describeGroups()
	case s.Has(g.deleteOpt):
		err = svc.deleteGroups()
	case s.Has(g.resetOffsets):
		var plan []groupResetPlan
		plan, err = svc.resetOffsets()
		if err == nil {
			if s.Has(g.export) {
				fmt.Fprintln(e.Stdout, svc.exportCSV(plan))
			} else {
				printOffsetsToReset(e, plan)
			}
		}
	case s.Has(g.deleteOffsets):
		err = svc.deleteOffsets()
	}
	if err != nil {
		var code exitCode
		if errors.As(err, &code) {
			return code
		}
		var ue *usageErr
		if errors.As(err, &ue) {
			return e.usageAndDie(g.Parser, ue.msg)
		}
		printGroupError(e, "Executing consumer group command failed due to "+failureMessage(err))
		return nil
	}
	return nil
}

// usageErr is an IllegalArgumentException inside the service, which the tool answers with
// its usage text.
type usageErr struct{ msg string }

func (u *usageErr) Error() string { return u.msg }

// failureMessage is Throwable.getMessage of the ExecutionException the Java admin client
// throws: the cause's toString.
func failureMessage(err error) string {
	var je *javaError
	if errors.As(err, &je) {
		return je.String()
	}
	return err.Error()
}

func printGroupError(e *env, msg string) { fmt.Fprintf(e.Stdout, "\nError: %s\n", msg) }

// checkAvailable mirrors jopt's availableIf on --members/--verbose/--offsets/--state.
func (g *groupOptions) checkAvailable() *javaError {
	var bad []string
	for _, o := range []*Opt{g.members, g.verbose, g.offsets} {
		if g.s.Has(o) && !g.s.Has(g.describe) {
			bad = append(bad, o.Name)
		}
	}
	if g.s.Has(g.state) && !g.s.Has(g.describe) && !g.s.Has(g.list) {
		bad = append(bad, g.state.Name)
	}
	if len(bad) == 0 {
		return nil
	}
	return newJavaError("joptsimple.UnavailableOptionException", "Option(s) [%s] are unavailable given other options on the command line", strings.Join(bad, ", "))
}

func optList(os ...*Opt) string {
	parts := make([]string, len(os))
	for i, o := range os {
		parts[i] = o.String()
	}
	return strings.Join(parts, ", ")
}

func (g *groupOptions) resetScenarios() []*Opt {
	return []*Opt{g.toOffset, g.shiftBy, g.toDatetime, g.byDuration, g.toEarliest, g.toLatest, g.toCurrent, g.fromFile}
}

func without(list []*Opt, o *Opt) []*Opt {
	var out []*Opt
	for _, x := range list {
		if x != o {
			out = append(out, x)
		}
	}
	return out
}

// checkArgs is ConsumerGroupCommandOptions.checkArgs.
func (g *groupOptions) checkArgs(e *env) error {
	s, p := g.s, g.Parser
	if err := e.checkRequired(p, s, g.bootstrap); err != nil {
		return err
	}
	scope := optList(g.group, g.allGroups)
	if s.Has(g.describe) {
		if !s.Has(g.group) && !s.Has(g.allGroups) {
			return e.usageAndDie(p, fmt.Sprintf("Option %s takes one of these options: %s", g.describe, scope))
		}
		n := 0
		for _, o := range []*Opt{g.members, g.offsets, g.state} {
			if s.Has(o) {
				n++
			}
		}
		if n > 1 {
			return e.usageAndDie(p, fmt.Sprintf("Option %s takes at most one of these options: %s", g.describe, optList(g.members, g.offsets, g.state)))
		}
		if s.Has(g.state) && s.HasValue(g.state) {
			return e.usageAndDie(p, fmt.Sprintf("Option %s does not take a value for %s", g.describe, g.state))
		}
	}
	if s.Has(g.deleteOpt) {
		if !s.Has(g.group) && !s.Has(g.allGroups) {
			return e.usageAndDie(p, fmt.Sprintf("Option %s takes one of these options: %s", g.deleteOpt, scope))
		}
		if s.Has(g.topic) {
			return e.usageAndDie(p, "The consumer does not support topic-specific offset deletion from a consumer group.")
		}
	}
	if s.Has(g.deleteOffsets) {
		if !s.Has(g.group) || !s.Has(g.topic) {
			return e.usageAndDie(p, fmt.Sprintf("Option %s takes the following options: %s", g.deleteOffsets, optList(g.group, g.topic)))
		}
	}
	if s.Has(g.resetOffsets) {
		if s.Has(g.dryRun) && s.Has(g.execute) {
			return e.usageAndDie(p, fmt.Sprintf("Option %s only accepts one of %s and %s", g.resetOffsets, g.execute, g.dryRun))
		}
		if !s.Has(g.dryRun) && !s.Has(g.execute) {
			fmt.Fprintln(e.Stderr, "WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.")
		}
		if !s.Has(g.group) && !s.Has(g.allGroups) {
			return e.usageAndDie(p, fmt.Sprintf("Option %s takes one of these options: %s", g.resetOffsets, scope))
		}
		all := g.resetScenarios()
		for _, o := range []*Opt{g.toOffset, g.toDatetime, g.byDuration, g.toEarliest, g.toLatest, g.toCurrent, g.shiftBy, g.fromFile} {
			if err := e.checkInvalid(p, s, o, without(all, o)...); err != nil {
				return err
			}
		}
	}
	if err := e.checkInvalid(p, s, g.group, g.allGroups); err != nil {
		return err
	}
	if err := e.checkInvalid(p, s, g.group, g.list); err != nil {
		return err
	}
	return e.checkInvalid(p, s, g.topic, g.list, g.describe)
}

// ---------------------------------------------------------------------------------------

type groupService struct {
	e *env
	o *groupOptions
	a *adminConn
}

func (svc *groupService) ctx() (context.Context, context.CancelFunc) { return svc.a.ctx() }

// groupStates are ConsumerGroupState's names in enum order (UNKNOWN excluded).
var groupStates = []string{"PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty"}

func parseGroupStates(input string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(input, ",") {
		s = strings.TrimSpace(s)
		found := ""
		for _, st := range groupStates {
			if strings.EqualFold(st, s) {
				found = st
			}
		}
		if found == "" {
			return nil, &usageErr{fmt.Sprintf("Invalid state list '%s'. Valid states are: %s", input, strings.Join(groupStates, ", "))}
		}
		if !contains(out, found) {
			out = append(out, found)
		}
	}
	return out, nil
}

type listedGroup struct{ id, state string }

func (svc *groupService) listConsumerGroups(states []string) ([]listedGroup, error) {
	ctx, cancel := svc.ctx()
	defer cancel()
	req := kmsg.NewPtrListGroupsRequest()
	req.StatesFilter = states
	shards := svc.a.cl.RequestSharded(ctx, req)
	var out []listedGroup
	for _, sh := range shards {
		if sh.Err != nil {
			return nil, toolError(sh.Err, "listConsumerGroups")
		}
		resp := sh.Resp.(*kmsg.ListGroupsResponse)
		if resp.ErrorCode != 0 {
			return nil, apiError(resp.ErrorCode, nil)
		}
		for _, g := range resp.Groups {
			if g.ProtocolType != "consumer" && g.ProtocolType != "" {
				continue
			}
			out = append(out, listedGroup{g.Group, g.GroupState})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

func (svc *groupService) listGroups() error {
	s, o := svc.o.s, svc.o
	if s.Has(o.state) {
		var states []string
		if v := s.ValueOf(o.state); v != "" {
			var err error
			if states, err = parseGroupStates(v); err != nil {
				return err
			}
		}
		groups, err := svc.listConsumerGroups(states)
		if err != nil {
			return err
		}
		width := 15
		for _, g := range groups {
			width = max(width, len(g.id))
		}
		fmt.Fprintf(svc.e.Stdout, "%s %s\n", leftPad("GROUP", width), "STATE")
		for _, g := range groups {
			st := g.state
			if st == "" {
				st = "Unknown"
			}
			fmt.Fprintf(svc.e.Stdout, "%s %s\n", leftPad(g.id, width), st)
		}
		return nil
	}
	groups, err := svc.listConsumerGroups(nil)
	if err != nil {
		return err
	}
	for _, g := range groups {
		fmt.Fprintln(svc.e.Stdout, g.id)
	}
	return nil
}

func (svc *groupService) groupIDs() ([]string, error) {
	if svc.o.s.Has(svc.o.allGroups) {
		gs, err := svc.listConsumerGroups(nil)
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(gs))
		for i, g := range gs {
			ids[i] = g.id
		}
		return ids, nil
	}
	return svc.o.s.ValuesOf(svc.o.group), nil
}

// describedGroup is ConsumerGroupDescription.
type describedGroup struct {
	id, state, assignor string
	coordinator         kadm.BrokerDetail
	members             []describedMember
}

type describedMember struct {
	consumerID, instanceID, clientID, host string
	assignment                             []tpKey
}

func (svc *groupService) describeConsumerGroups(ids []string) (map[string]describedGroup, error) {
	ctx, cancel := svc.ctx()
	defer cancel()
	// Raw DescribeGroups keeps members in the order the coordinator lists them, which is
	// the order the Java tool prints (kadm would re-sort them).
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Groups = ids
	got := map[string]kmsg.DescribeGroupsResponseGroup{}
	for _, sh := range svc.a.cl.RequestSharded(ctx, req) {
		if sh.Err != nil {
			return nil, toolError(sh.Err, "describeConsumerGroups")
		}
		for _, g := range sh.Resp.(*kmsg.DescribeGroupsResponse).Groups {
			got[g.Group] = g
		}
	}
	coords := svc.a.adm.FindGroupCoordinators(ctx, ids...)
	out := map[string]describedGroup{}
	for _, id := range ids {
		d, ok := got[id]
		if !ok {
			return nil, toolError(context.DeadlineExceeded, "describeConsumerGroups")
		}
		if d.ErrorCode != 0 {
			return nil, groupAPIError(d.ErrorCode, nil)
		}
		g := describedGroup{id: id, state: d.State, assignor: d.Protocol}
		if c, ok := coords[id]; ok && c.Err == nil {
			g.coordinator = kadm.BrokerDetail{NodeID: c.NodeID, Host: c.Host, Port: c.Port}
		}
		for _, m := range d.Members {
			dm := describedMember{consumerID: m.MemberID, clientID: m.ClientID, host: m.ClientHost}
			if m.InstanceID != nil {
				dm.instanceID = *m.InstanceID
			}
			if (d.ProtocolType == "consumer" || d.ProtocolType == "") && len(m.MemberAssignment) > 0 {
				var ca kmsg.ConsumerMemberAssignment
				if err := ca.ReadFrom(m.MemberAssignment); err == nil {
					for _, t := range ca.Topics {
						for _, p := range t.Partitions {
							dm.assignment = append(dm.assignment, tpKey{t.Topic, p})
						}
					}
				}
			}
			g.members = append(g.members, dm)
		}
		out[id] = g
	}
	return out, nil
}

func sortedGroupIDs(m map[string]describedGroup) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// shouldPrintMemberState prints the state notes; numRows < 0 means "no information".
func (svc *groupService) shouldPrintMemberState(group, state string, numRows int) bool {
	if numRows < 0 {
		printGroupError(svc.e, fmt.Sprintf("The consumer group '%s' does not exist.", group))
		return false
	}
	switch state {
	case "Dead":
		printGroupError(svc.e, fmt.Sprintf("Consumer group '%s' does not exist.", group))
	case "Empty":
		fmt.Fprintf(svc.e.Stderr, "\nConsumer group '%s' has no active members.\n", group)
	case "PreparingRebalance", "CompletingRebalance":
		fmt.Fprintf(svc.e.Stderr, "\nWarning: Consumer group '%s' is rebalancing.\n", group)
	case "Stable":
	default:
		printGroupError(svc.e, fmt.Sprintf("Executing consumer group command failed due to Expected a valid consumer group state, but found '%s'.", state))
		return false
	}
	return state != "Dead" && numRows > 0
}

// partitionRow is PartitionAssignmentState; nil pointers print as "-".
type partitionRow struct {
	group                      string
	topic                      *string
	partition                  *int32
	offset, lag, logEnd        *int64
	consumerID, host, clientID string
}

func optStr[T any](p *T) string {
	if p == nil {
		return missingColumn
	}
	return fmt.Sprint(*p)
}

// formatOffsetsTable renders the describe table exactly as printOffsets does.
func formatOffsetsTable(rows []partitionRow) string {
	gw, tw, cw, hw := 15, 15, 15, 15
	for _, r := range rows {
		gw = max(gw, len(r.group))
		tw = max(tw, len(optStr(r.topic)))
		cw = max(cw, len(r.consumerID))
		hw = max(hw, len(r.host))
	}
	var b strings.Builder
	line := func(cols ...string) {
		b.WriteString(leftPad(cols[0], gw) + " " + leftPad(cols[1], tw) + " " + leftPad(cols[2], 10) + " " +
			leftPad(cols[3], 15) + " " + leftPad(cols[4], 15) + " " + leftPad(cols[5], 15) + " " +
			leftPad(cols[6], cw) + " " + leftPad(cols[7], hw) + " " + cols[8] + "\n")
	}
	b.WriteString("\n")
	line("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID")
	for _, r := range rows {
		line(r.group, optStr(r.topic), optStr(r.partition), optStr(r.offset), optStr(r.logEnd), optStr(r.lag), r.consumerID, r.host, r.clientID)
	}
	return b.String()
}

func (svc *groupService) committedOffsets(group string) (map[tpKey]int64, error) {
	ctx, cancel := svc.ctx()
	defer cancel()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	req.Topics = nil
	resp, err := req.RequestWith(ctx, svc.a.cl)
	if err != nil {
		return nil, toolError(err, "listConsumerGroupOffsets")
	}
	if resp.ErrorCode != 0 {
		return nil, apiError(resp.ErrorCode, nil)
	}
	out := map[tpKey]int64{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 || p.Offset < 0 {
				continue
			}
			out[tpKey{t.Topic, p.Partition}] = p.Offset
		}
	}
	return out, nil
}

// listOffsets runs ListOffsets for the given partitions at timestamp ts (-1 latest,
// -2 earliest). Partitions that fail are absent from the result.
func (svc *groupService) listOffsets(tps []tpKey, ts int64) (map[tpKey]int64, error) {
	out := map[tpKey]int64{}
	if len(tps) == 0 {
		return out, nil
	}
	ctx, cancel := svc.ctx()
	defer cancel()
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	byTopic := map[string]int{}
	for _, tp := range tps {
		i, ok := byTopic[tp.Topic]
		if !ok {
			t := kmsg.NewListOffsetsRequestTopic()
			t.Topic = tp.Topic
			req.Topics = append(req.Topics, t)
			i = len(req.Topics) - 1
			byTopic[tp.Topic] = i
		}
		p := kmsg.NewListOffsetsRequestTopicPartition()
		p.Partition = tp.Partition
		p.Timestamp = ts
		p.CurrentLeaderEpoch = -1
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	shards := svc.a.cl.RequestSharded(ctx, req)
	for _, sh := range shards {
		if sh.Err != nil {
			return nil, toolError(sh.Err, "listOffsets")
		}
		resp := sh.Resp.(*kmsg.ListOffsetsResponse)
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode != 0 {
					return nil, apiError(p.ErrorCode, nil)
				}
				out[tpKey{t.Topic, p.Partition}] = p.Offset
			}
		}
	}
	return out, nil
}

func i64(v int64) *int64 { return &v }

func (svc *groupService) collectOffsets(g describedGroup) ([]partitionRow, error) {
	committed, err := svc.committedOffsets(g.id)
	if err != nil {
		return nil, err
	}
	members := make([]describedMember, 0, len(g.members))
	for _, m := range g.members {
		if len(m.assignment) > 0 {
			members = append(members, m)
		}
	}
	sort.SliceStable(members, func(i, j int) bool { return len(members[i].assignment) > len(members[j].assignment) })
	assigned := map[tpKey]bool{}
	var rows []partitionRow
	var all []tpKey
	for _, m := range members {
		all = append(all, m.assignment...)
	}
	var orphans []tpKey
	for tp := range committed {
		if !containsTP(all, tp) {
			orphans = append(orphans, tp)
		}
	}
	sortTPs(orphans)
	ends, err := svc.listOffsets(append(append([]tpKey(nil), all...), orphans...), -1)
	if err != nil {
		return nil, err
	}
	row := func(tp tpKey, cid, host, client string) partitionRow {
		t, p := tp.Topic, tp.Partition
		r := partitionRow{group: g.id, topic: &t, partition: &p, consumerID: cid, host: host, clientID: client}
		if off, ok := committed[tp]; ok {
			r.offset = i64(off)
		}
		if end, ok := ends[tp]; ok {
			r.logEnd = i64(end)
			if r.offset != nil && *r.offset != -1 {
				r.lag = i64(end - *r.offset)
			}
		}
		return r
	}
	for _, m := range members {
		tps := append([]tpKey(nil), m.assignment...)
		sort.SliceStable(tps, func(i, j int) bool {
			if tps[i].Partition != tps[j].Partition {
				return tps[i].Partition < tps[j].Partition
			}
			return tps[i].Topic < tps[j].Topic
		})
		for _, tp := range tps {
			assigned[tp] = true
			rows = append(rows, row(tp, m.consumerID, m.host, m.clientID))
		}
	}
	for _, tp := range orphans {
		rows = append(rows, row(tp, missingColumn, missingColumn, missingColumn))
	}
	return rows, nil
}

func containsTP(list []tpKey, tp tpKey) bool {
	for _, x := range list {
		if x == tp {
			return true
		}
	}
	return false
}

func (svc *groupService) describeGroups() error {
	ids, err := svc.groupIDs()
	if err != nil {
		return err
	}
	groups, err := svc.describeConsumerGroups(ids)
	if err != nil {
		return err
	}
	s, o := svc.o.s, svc.o
	switch {
	case s.Has(o.members):
		for _, id := range sortedGroupIDs(groups) {
			g := groups[id]
			if svc.shouldPrintMemberState(id, g.state, len(g.members)) {
				fmt.Fprint(svc.e.Stdout, formatMembersTable(g, s.Has(o.verbose)))
			}
		}
	case s.Has(o.state):
		for _, id := range sortedGroupIDs(groups) {
			g := groups[id]
			if svc.shouldPrintMemberState(id, g.state, 1) {
				fmt.Fprint(svc.e.Stdout, formatStateTable(g))
			}
		}
	default:
		for _, id := range sortedGroupIDs(groups) {
			g := groups[id]
			rows, err := svc.collectOffsets(g)
			if err != nil {
				return err
			}
			if svc.shouldPrintMemberState(id, g.state, len(rows)) {
				fmt.Fprint(svc.e.Stdout, formatOffsetsTable(rows))
			}
		}
	}
	return nil
}

func formatMembersTable(g describedGroup, verbose bool) string {
	gw, cw, iw, hw, clw := 15, 15, 17, 15, 15
	withInstance := false
	for _, m := range g.members {
		gw = max(gw, len(g.id))
		cw = max(cw, len(m.consumerID))
		iw = max(iw, len(m.instanceID))
		hw = max(hw, len(m.host))
		clw = max(clw, len(m.clientID))
		withInstance = withInstance || m.instanceID != ""
	}
	var b strings.Builder
	cols := func(group, cid, iid, host, client, n string) {
		b.WriteString(leftPad(group, gw) + " " + leftPad(cid, cw) + " ")
		if withInstance {
			b.WriteString(leftPad(iid, iw) + " ")
		}
		b.WriteString(leftPad(host, hw) + " " + leftPad(client, clw) + " " + leftPad(n, 15) + " ")
	}
	b.WriteString("\n")
	cols("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS")
	if verbose {
		b.WriteString("ASSIGNMENT")
	}
	b.WriteString("\n")
	for _, m := range g.members {
		cols(g.id, m.consumerID, m.instanceID, m.host, m.clientID, strconv.Itoa(len(m.assignment)))
		if verbose {
			b.WriteString(formatAssignmentList(m.assignment))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// formatAssignmentList is "t1(0,1), t2(2)" or "-".
func formatAssignmentList(tps []tpKey) string {
	if len(tps) == 0 {
		return missingColumn
	}
	by := map[string][]int32{}
	for _, tp := range tps {
		by[tp.Topic] = append(by[tp.Topic], tp.Partition)
	}
	var parts []string
	for t, ps := range by {
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		strs := make([]string, len(ps))
		for i, p := range ps {
			strs[i] = strconv.Itoa(int(p))
		}
		parts = append(parts, t+"("+strings.Join(strs, ",")+")")
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func formatStateTable(g describedGroup) string {
	coord := fmt.Sprintf("%s:%d (%d)", g.coordinator.Host, g.coordinator.Port, g.coordinator.NodeID)
	w := max(25, len(coord))
	row := func(a, b, c, d, e string) string {
		return leftPad(a, w) + " " + leftPad(b, 25) + " " + leftPad(c, 20) + " " + leftPad(d, 15) + " " + e
	}
	return "\n" + row("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS") +
		"\n" + row(g.id, coord, g.assignor, g.state, strconv.Itoa(len(g.members))) + "\n"
}

// ---------------------------------------------------------------------------------------
// Deletion.

// groupErrors are the Java exceptions for the group-level error codes not in apiErrors.
var groupErrors = map[int16]struct{ class, msg string }{
	25: {"UnknownMemberIdException", "The coordinator is not aware of this member."},
	68: {"GroupNotEmptyException", "The group is not empty."},
	69: {"GroupIdNotFoundException", "The group id does not exist."},
	86: {"GroupSubscribedToTopicException", "The consumer group is actively subscribed to the topic"},
}

func groupAPIError(code int16, msg *string) *javaError {
	if ge, ok := groupErrors[code]; ok {
		m := ge.msg
		if msg != nil && *msg != "" {
			m = *msg
		}
		return &javaError{Class: "org.apache.kafka.common.errors." + ge.class, Msg: m}
	}
	return apiError(code, msg)
}

func (svc *groupService) deleteGroups() error {
	ids, err := svc.groupIDs()
	if err != nil {
		return err
	}
	ctx, cancel := svc.ctx()
	defer cancel()
	req := kmsg.NewPtrDeleteGroupsRequest()
	req.Groups = ids
	shards := svc.a.cl.RequestSharded(ctx, req)
	results := map[string]*javaError{}
	for _, sh := range shards {
		if sh.Err != nil {
			je := toolError(sh.Err, "deleteConsumerGroups")
			if r, ok := sh.Req.(*kmsg.DeleteGroupsRequest); ok {
				for _, g := range r.Groups {
					results[g] = je
				}
			}
			continue
		}
		for _, g := range sh.Resp.(*kmsg.DeleteGroupsResponse).Groups {
			if g.ErrorCode != 0 {
				results[g.Group] = groupAPIError(g.ErrorCode, nil)
			} else {
				results[g.Group] = nil
			}
		}
	}
	var ok, failed []string
	for _, id := range ids {
		if je, seen := results[id]; seen && je == nil {
			ok = append(ok, id)
		} else if seen {
			failed = append(failed, id)
		}
	}
	quote := func(l []string) string { return "'" + strings.Join(l, "', '") + "'" }
	if len(failed) == 0 {
		fmt.Fprintf(svc.e.Stdout, "Deletion of requested consumer groups (%s) was successful.\n", quote(ok))
		return nil
	}
	printGroupError(svc.e, "Deletion of some consumer groups failed:")
	for _, id := range failed {
		fmt.Fprintf(svc.e.Stdout, "* Group '%s' could not be deleted due to: java.util.concurrent.ExecutionException: %s\n", id, results[id].String())
	}
	if len(ok) > 0 {
		fmt.Fprintf(svc.e.Stdout, "\nThese consumer groups were deleted successfully: %s\n", quote(ok))
	}
	return nil
}

// ---------------------------------------------------------------------------------------
// Offset deletion.

func (svc *groupService) topicPartitions(topics []string) (map[string][]int32, map[string]*javaError, error) {
	out := map[string][]int32{}
	errs := map[string]*javaError{}
	if len(topics) == 0 {
		return out, errs, nil
	}
	ctx, cancel := svc.ctx()
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, svc.a.cl)
	if err != nil {
		return nil, nil, toolError(err, "describeTopics")
	}
	for _, t := range resp.Topics {
		if t.Topic == nil {
			continue
		}
		if t.ErrorCode != 0 {
			errs[*t.Topic] = apiError(t.ErrorCode, nil)
			continue
		}
		for _, p := range t.Partitions {
			out[*t.Topic] = append(out[*t.Topic], p.Partition)
		}
		sort.Slice(out[*t.Topic], func(i, j int) bool { return out[*t.Topic][i] < out[*t.Topic][j] })
	}
	return out, errs, nil
}

// parseTopicArg splits "t:0,1" into the topic and its partitions (nil for "t").
func parseTopicArg(arg string) (string, []int32, error) {
	if !strings.Contains(arg, ":") {
		return arg, nil, nil
	}
	parts := strings.Split(arg, ":")
	var ps []int32
	for _, p := range strings.Split(parts[1], ",") {
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return "", nil, newJavaError("java.lang.NumberFormatException", "For input string: \"%s\"", p)
		}
		ps = append(ps, int32(n))
	}
	return parts[0], ps, nil
}

func (svc *groupService) deleteOffsets() error {
	s, o := svc.o.s, svc.o
	group := s.ValueOf(o.group)
	topics := s.ValuesOf(o.topic)
	var known []tpKey
	var bare []string
	for _, arg := range topics {
		t, ps, err := parseTopicArg(arg)
		if err != nil {
			return err
		}
		if ps == nil {
			bare = append(bare, t)
			continue
		}
		for _, p := range ps {
			known = append(known, tpKey{t, p})
		}
	}
	described, terrs, err := svc.topicPartitions(bare)
	if err != nil {
		return err
	}
	partResult := map[tpKey]*javaError{}
	for t, je := range terrs {
		partResult[tpKey{t, -1}] = je
	}
	all := append([]tpKey(nil), known...)
	for _, t := range bare {
		for _, p := range described[t] {
			all = append(all, tpKey{t, p})
		}
	}
	ctx, cancel := svc.ctx()
	defer cancel()
	req := kmsg.NewPtrOffsetDeleteRequest()
	req.Group = group
	byTopic := map[string]int{}
	for _, tp := range all {
		i, ok := byTopic[tp.Topic]
		if !ok {
			rt := kmsg.NewOffsetDeleteRequestTopic()
			rt.Topic = tp.Topic
			req.Topics = append(req.Topics, rt)
			i = len(req.Topics) - 1
			byTopic[tp.Topic] = i
		}
		rp := kmsg.NewOffsetDeleteRequestTopicPartition()
		rp.Partition = tp.Partition
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	var topCode int16
	resp, err := req.RequestWith(ctx, svc.a.cl)
	if err != nil {
		var ke *kerr.Error
		if !errors.As(err, &ke) {
			return toolError(err, "deleteConsumerGroupOffsets")
		}
		topCode = ke.Code
	} else {
		topCode = resp.ErrorCode
	}
	if topCode != 0 {
		je := groupAPIError(topCode, nil)
		for _, tp := range all {
			partResult[tp] = je
		}
	} else {
		for _, tp := range all {
			partResult[tp] = nil
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode != 0 {
					partResult[tpKey{t.Topic, p.Partition}] = groupAPIError(p.ErrorCode, nil)
					if topCode == 0 {
						topCode = p.ErrorCode
					}
				}
			}
		}
	}
	switch topCode {
	case 0:
		fmt.Fprintf(svc.e.Stdout, "Request succeed for deleting offsets with topic %s group %s\n", strings.Join(topics, ", "), group)
	case 24:
		printGroupError(svc.e, fmt.Sprintf("'%s' is not valid.", group))
	case 69:
		printGroupError(svc.e, fmt.Sprintf("'%s' does not exist.", group))
	case 30:
		printGroupError(svc.e, fmt.Sprintf("Access to '%s' is not authorized.", group))
	case 68:
		printGroupError(svc.e, fmt.Sprintf("Deleting offsets of a consumer group '%s' is forbidden if the group is not empty.", group))
	case 86, 29, 3:
		printGroupError(svc.e, "Encounter some partition level error, see the follow-up details:")
	default:
		printGroupError(svc.e, fmt.Sprintf("Encounter some unknown error: %s", kerr.ErrorForCode(topCode).(*kerr.Error).Message))
	}
	keys := make([]tpKey, 0, len(partResult))
	for tp := range partResult {
		keys = append(keys, tp)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].Topic+strconv.Itoa(int(keys[i].Partition)) < keys[j].Topic+strconv.Itoa(int(keys[j].Partition))
	})
	fmt.Fprintf(svc.e.Stdout, "\n%s %s %s\n", leftPad("TOPIC", 30), leftPad("PARTITION", 15), leftPad("STATUS", 15))
	for _, tp := range keys {
		part := "Not Provided"
		if tp.Partition >= 0 {
			part = strconv.Itoa(int(tp.Partition))
		}
		status := "Successful"
		if je := partResult[tp]; je != nil {
			status = "Error: " + je.String()
		}
		fmt.Fprintf(svc.e.Stdout, "%s %s %s\n", leftPad(tp.Topic, 30), leftPad(part, 15), leftPad(status, 15))
	}
	return nil
}

// ---------------------------------------------------------------------------------------
// Offset reset.

type groupResetPlan struct {
	group   string
	offsets map[tpKey]int64
}

func (p groupResetPlan) sortedTPs() []tpKey {
	tps := make([]tpKey, 0, len(p.offsets))
	for tp := range p.offsets {
		tps = append(tps, tp)
	}
	sortTPs(tps)
	return tps
}

func printOffsetsToReset(e *env, plans []groupResetPlan) {
	if len(plans) == 0 {
		return
	}
	row := func(a, b, c, d string) string {
		return leftPad(a, 30) + " " + leftPad(b, 30) + " " + leftPad(c, 10) + " " + leftPad(d, 15)
	}
	fmt.Fprintln(e.Stdout, "\n"+row("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"))
	for _, p := range plans {
		for _, tp := range p.sortedTPs() {
			fmt.Fprintln(e.Stdout, row(p.group, tp.Topic, strconv.Itoa(int(tp.Partition)), strconv.FormatInt(p.offsets[tp], 10)))
		}
	}
}

func (svc *groupService) exportCSV(plans []groupResetPlan) string {
	single := len(svc.o.s.ValuesOf(svc.o.group)) == 1
	var b strings.Builder
	for _, p := range plans {
		for _, tp := range p.sortedTPs() {
			if single {
				fmt.Fprintf(&b, "%s,%d,%d\n", tp.Topic, tp.Partition, p.offsets[tp])
			} else {
				fmt.Fprintf(&b, "%s,%s,%d,%d\n", p.group, tp.Topic, tp.Partition, p.offsets[tp])
			}
		}
	}
	return b.String()
}

// parseResetPlan reads --from-file: "topic,partition,offset" for a single --group, else
// "group,topic,partition,offset".
func parseResetPlan(csv string, groups []string) (map[string]map[tpKey]int64, error) {
	out := map[string]map[tpKey]int64{}
	lines := strings.Split(csv, "\n")
	oldFormat := false
	if len(groups) == 1 && len(lines) > 0 {
		f := strings.Split(strings.TrimSpace(lines[0]), ",")
		if len(f) == 3 {
			if _, err := strconv.Atoi(f[1]); err == nil {
				if _, err := strconv.ParseInt(f[2], 10, 64); err == nil {
					oldFormat = true
				}
			}
		}
	}
	for _, line := range lines {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, ",")
		var g, t, ps, os string
		if oldFormat {
			if len(f) != 3 {
				return nil, newJavaError("com.fasterxml.jackson.databind.RuntimeJsonMappingException", "Invalid reset plan line: %s", line)
			}
			g, t, ps, os = groups[0], f[0], f[1], f[2]
		} else {
			if len(f) != 4 {
				return nil, newJavaError("com.fasterxml.jackson.databind.RuntimeJsonMappingException", "Invalid reset plan line: %s", line)
			}
			g, t, ps, os = f[0], f[1], f[2], f[3]
		}
		p, err1 := strconv.ParseInt(ps, 10, 32)
		off, err2 := strconv.ParseInt(os, 10, 64)
		if err := firstErr(err1, err2); err != nil {
			return nil, newJavaError("com.fasterxml.jackson.databind.RuntimeJsonMappingException", "Invalid reset plan line: %s", line)
		}
		if out[g] == nil {
			out[g] = map[tpKey]int64{}
		}
		out[g][tpKey{t, int32(p)}] = off
	}
	return out, nil
}

func (svc *groupService) partitionsToReset(group string) ([]tpKey, error) {
	s, o := svc.o.s, svc.o
	switch {
	case s.Has(o.allTopics):
		c, err := svc.committedOffsets(group)
		if err != nil {
			return nil, err
		}
		tps := make([]tpKey, 0, len(c))
		for tp := range c {
			tps = append(tps, tp)
		}
		sortTPs(tps)
		return tps, nil
	case s.Has(o.topic):
		var tps []tpKey
		for _, arg := range s.ValuesOf(o.topic) {
			t, ps, err := parseTopicArg(arg)
			if err != nil {
				return nil, err
			}
			if ps != nil {
				for _, p := range ps {
					tps = append(tps, tpKey{t, p})
				}
				continue
			}
			desc, errs, err := svc.topicPartitions([]string{t})
			if err != nil {
				return nil, err
			}
			if je := errs[t]; je != nil {
				return nil, je
			}
			for _, p := range desc[t] {
				tps = append(tps, tpKey{t, p})
			}
		}
		return tps, nil
	case s.Has(o.fromFile):
		return nil, nil
	}
	return nil, &usageErr{"One of the reset scopes should be defined: --all-topics, --topic."}
}

// checkOffsetsRange clamps requested offsets into [earliest, latest] with Kafka's warnings.
func (svc *groupService) checkOffsetsRange(requested map[tpKey]int64) (map[tpKey]int64, error) {
	tps := make([]tpKey, 0, len(requested))
	for tp := range requested {
		tps = append(tps, tp)
	}
	sortTPs(tps)
	starts, err := svc.listOffsets(tps, -2)
	if err != nil {
		return nil, err
	}
	ends, err := svc.listOffsets(tps, -1)
	if err != nil {
		return nil, err
	}
	log := toolLogger(svc.e)
	out := map[tpKey]int64{}
	for _, tp := range tps {
		off := requested[tp]
		end, ok := ends[tp]
		if !ok {
			return nil, newJavaError("java.lang.IllegalStateException", "Unexpected non-existing offset value for topic partition %s", tp)
		}
		if off > end {
			log.Warn().Str(broker.LoggerField, "kafka.admin.ConsumerGroupCommand$").Msgf("New offset (%d) is higher than latest offset for topic partition %s. Value will be set to %d", off, tp, end)
			off = end
		} else if start, ok := starts[tp]; ok && off < start {
			log.Warn().Str(broker.LoggerField, "kafka.admin.ConsumerGroupCommand$").Msgf("New offset (%d) is lower than earliest offset for topic partition %s. Value will be set to %d", off, tp, start)
			off = start
		}
		out[tp] = off
	}
	return out, nil
}

// parseDateTime is Utils.getDateTime: ISO-8601 local date-time with milliseconds and an
// optional zone; no zone means UTC.
func parseDateTime(s string) (int64, error) {
	date, tpart, ok := strings.Cut(s, "T")
	if !ok {
		return 0, &usageErr{fmt.Sprintf("Error parsing timestamp. It does not contain a 'T' according to ISO8601 format (Yyyy-MM-ddTHH:mm:ss.SSS): %s", s)}
	}
	if tpart == "" {
		return 0, &usageErr{fmt.Sprintf("Error parsing timestamp. Time part after 'T' is null or empty: %s", s)}
	}
	if !strings.ContainsAny(tpart, "+-Z") {
		s = date + "T" + tpart + "Z"
	}
	for _, layout := range []string{"2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05.000Z07"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, newJavaError("java.text.ParseException", "Unparseable date: \"%s\"", s)
}

var durationRe = regexp.MustCompile(`^([-+]?)P(?:([-+]?[0-9]+)D)?(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?$`)

// parseJavaDuration is java.time.Duration.parse for "PnDTnHnMn.nS".
func parseJavaDuration(s string) (time.Duration, error) {
	m := durationRe.FindStringSubmatch(strings.ToUpper(s))
	if m == nil || (m[3] == "T" && m[4] == "" && m[5] == "" && m[6] == "") || (m[2] == "" && m[3] == "") {
		return 0, newJavaError("java.time.format.DateTimeParseException", "Text cannot be parsed to a Duration")
	}
	num := func(v string) int64 {
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	d := time.Duration(num(m[2]))*24*time.Hour + time.Duration(num(m[4]))*time.Hour +
		time.Duration(num(m[5]))*time.Minute + time.Duration(num(m[6]))*time.Second
	if m[7] != "" {
		frac := (m[7] + "000000000")[:9]
		ns := time.Duration(num(frac))
		if strings.HasPrefix(m[6], "-") {
			ns = -ns
		}
		d += ns
	}
	if m[1] == "-" {
		d = -d
	}
	return d, nil
}

func (svc *groupService) offsetsForTimestamp(tps []tpKey, ts int64) (map[tpKey]int64, error) {
	byTime, err := svc.listOffsets(tps, ts)
	if err != nil {
		return nil, err
	}
	var missing []tpKey
	out := map[tpKey]int64{}
	for _, tp := range tps {
		if off, ok := byTime[tp]; ok && off != -1 {
			out[tp] = off
		} else {
			missing = append(missing, tp)
		}
	}
	ends, err := svc.listOffsets(missing, -1)
	if err != nil {
		return nil, err
	}
	for tp, off := range ends {
		out[tp] = off
	}
	return out, nil
}

func (svc *groupService) prepareOffsets(group string, tps []tpKey, fromFile map[string]map[tpKey]int64) (map[tpKey]int64, error) {
	s, o := svc.o.s, svc.o
	fill := func(m map[tpKey]int64, what string) (map[tpKey]int64, error) {
		for _, tp := range tps {
			if _, ok := m[tp]; !ok {
				return nil, &usageErr{fmt.Sprintf("Error getting %s of topic partition: %s", what, tp)}
			}
		}
		return m, nil
	}
	switch {
	case s.Has(o.toOffset):
		off, err := s.IntValueOf(o.toOffset)
		if err != nil {
			return nil, &usageErr{err.Error()}
		}
		req := map[tpKey]int64{}
		for _, tp := range tps {
			req[tp] = off
		}
		return svc.checkOffsetsRange(req)
	case s.Has(o.toEarliest):
		m, err := svc.listOffsets(tps, -2)
		if err != nil {
			return nil, err
		}
		return fill(m, "starting offset")
	case s.Has(o.toLatest):
		m, err := svc.listOffsets(tps, -1)
		if err != nil {
			return nil, err
		}
		return fill(m, "ending offset")
	case s.Has(o.shiftBy):
		shift, err := s.IntValueOf(o.shiftBy)
		if err != nil {
			return nil, &usageErr{err.Error()}
		}
		cur, err := svc.committedOffsets(group)
		if err != nil {
			return nil, err
		}
		req := map[tpKey]int64{}
		for _, tp := range tps {
			c, ok := cur[tp]
			if !ok {
				return nil, &usageErr{fmt.Sprintf("Cannot shift offset for partition %s since there is no current committed offset", tp)}
			}
			req[tp] = c + shift
		}
		return svc.checkOffsetsRange(req)
	case s.Has(o.toDatetime):
		ts, err := parseDateTime(s.ValueOf(o.toDatetime))
		if err != nil {
			return nil, err
		}
		m, err := svc.offsetsForTimestamp(tps, ts)
		if err != nil {
			return nil, err
		}
		return fill(m, "offset by timestamp")
	case s.Has(o.byDuration):
		d, err := parseJavaDuration(s.ValueOf(o.byDuration))
		if err != nil {
			return nil, err
		}
		m, err := svc.offsetsForTimestamp(tps, time.Now().Add(-d).UnixMilli())
		if err != nil {
			return nil, err
		}
		return fill(m, "offset by timestamp")
	case fromFile != nil:
		plan, ok := fromFile[group]
		if !ok {
			printGroupError(svc.e, fmt.Sprintf("No reset plan for group %s found", group))
			return map[tpKey]int64{}, nil
		}
		return svc.checkOffsetsRange(plan)
	case s.Has(o.toCurrent):
		cur, err := svc.committedOffsets(group)
		if err != nil {
			return nil, err
		}
		out := map[tpKey]int64{}
		var without []tpKey
		for _, tp := range tps {
			if c, ok := cur[tp]; ok {
				out[tp] = c
			} else {
				without = append(without, tp)
			}
		}
		ends, err := svc.listOffsets(without, -1)
		if err != nil {
			return nil, err
		}
		for _, tp := range without {
			e, ok := ends[tp]
			if !ok {
				return nil, &usageErr{fmt.Sprintf("Error getting ending offset of topic partition: %s", tp)}
			}
			out[tp] = e
		}
		return out, nil
	}
	scen := o.resetScenarios()
	names := make([]string, len(scen))
	for i, x := range scen {
		names[i] = x.String()
	}
	return nil, &usageErr{fmt.Sprintf("Option '%s' requires one of the following scenarios: Set(%s)", o.resetOffsets, strings.Join(names, ", "))}
}

func (svc *groupService) resetOffsets() ([]groupResetPlan, error) {
	s, o := svc.o.s, svc.o
	ids, err := svc.groupIDs()
	if err != nil {
		return nil, err
	}
	var fromFile map[string]map[tpKey]int64
	if s.Has(o.fromFile) {
		data, err := os.ReadFile(s.ValueOf(o.fromFile))
		if err != nil {
			return nil, newJavaError("java.nio.file.NoSuchFileException", "%s", s.ValueOf(o.fromFile))
		}
		if fromFile, err = parseResetPlan(string(data), s.ValuesOf(o.group)); err != nil {
			return nil, err
		}
	}
	groups, err := svc.describeConsumerGroups(ids)
	if err != nil {
		return nil, err
	}
	var plans []groupResetPlan
	for _, id := range sortedGroupIDs(groups) {
		g := groups[id]
		switch g.state {
		case "Empty", "Dead":
			tps, err := svc.partitionsToReset(id)
			if err != nil {
				return nil, err
			}
			prepared, err := svc.prepareOffsets(id, tps, fromFile)
			if err != nil {
				return nil, err
			}
			if s.Has(o.execute) && !s.Has(o.dryRun) {
				if err := svc.commitOffsets(id, prepared); err != nil {
					return nil, err
				}
			}
			plans = append(plans, groupResetPlan{id, prepared})
		default:
			printGroupError(svc.e, fmt.Sprintf("Assignments can only be reset if the group '%s' is inactive, but the current state is %s.", id, g.state))
			plans = append(plans, groupResetPlan{id, map[tpKey]int64{}})
		}
	}
	return plans, nil
}

// commitOffsets is alterConsumerGroupOffsets: an OffsetCommit outside any generation.
func (svc *groupService) commitOffsets(group string, offsets map[tpKey]int64) error {
	if len(offsets) == 0 {
		return nil
	}
	ctx, cancel := svc.ctx()
	defer cancel()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group = group
	req.Generation = -1
	req.MemberID = ""
	req.RetentionTimeMillis = -1
	plan := groupResetPlan{group, offsets}
	byTopic := map[string]int{}
	for _, tp := range plan.sortedTPs() {
		i, ok := byTopic[tp.Topic]
		if !ok {
			rt := kmsg.NewOffsetCommitRequestTopic()
			rt.Topic = tp.Topic
			req.Topics = append(req.Topics, rt)
			i = len(req.Topics) - 1
			byTopic[tp.Topic] = i
		}
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition = tp.Partition
		rp.Offset = offsets[tp]
		rp.LeaderEpoch = -1
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	resp, err := req.RequestWith(ctx, svc.a.cl)
	if err != nil {
		return toolError(err, "alterConsumerGroupOffsets")
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return groupAPIError(p.ErrorCode, nil)
			}
		}
	}
	return nil
}
