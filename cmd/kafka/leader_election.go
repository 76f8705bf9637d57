package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// kafka-leader-election (kafka.admin.LeaderElectionCommand) and the deprecated
// kafka-preferred-replica-election (kafka.admin.PreferredReplicaLeaderElectionCommand).

func init() {
	register(tool{name: "kafka-leader-election", short: "leader-election",
		usage: "elect preferred or unclean leaders for topic partitions", run: leaderElectionTool})
	register(tool{name: "kafka-preferred-replica-election", short: "preferred-replica-election",
		usage: "move leadership back to the preferred replicas (deprecated)", run: preferredReplicaElectionTool})
}

// electionTimeout is the 30 s both tools give the admin client.
const electionTimeout = 30 * time.Second

// electionErrorClasses adds the election-specific exceptions to apiErrors.
var electionErrorClasses = map[int16]struct{ class, msg string }{
	80: {"PreferredLeaderNotAvailableException", "The preferred leader was not available."},
	83: {"EligibleLeadersNotAvailableException", "Eligible topic partition leaders are not available."},
	84: {"ElectionNotNeededException", "Leader election not needed for topic partition."},
	85: {"NoReassignmentInProgressException", "No partition reassignment is in progress."},
}

func electionError(code int16, msg *string) *javaError {
	if e, ok := electionErrorClasses[code]; ok {
		m := e.msg
		if msg != nil && *msg != "" {
			m = *msg
		}
		return &javaError{Class: "org.apache.kafka.common.errors." + e.class, Msg: m}
	}
	return apiError(code, msg)
}

// parseElectionJSON is parseReplicaElectionData / parsePreferredReplicaElectionData; the
// messages differ between the two tools.
func parseElectionJSON(data []byte, preferredTool bool) ([]tpKey, error) {
	empty, missing, dupPrefix := "Replica election data is empty", "Replica election data is missing \"partitions\" field",
		"Replica election data contains duplicate partitions: "
	if preferredTool {
		empty, missing, dupPrefix = "Preferred replica election data is empty", "Preferred replica election data is empty",
			"Preferred replica election data contains duplicate partitions: "
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil || doc == nil {
		return nil, adminOperation("%s", empty)
	}
	raw, ok := doc["partitions"]
	if !ok {
		return nil, adminOperation("%s", missing)
	}
	var parts []struct {
		Topic     *string `json:"topic"`
		Partition *int32  `json:"partition"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, adminOperation("%s", empty)
	}
	var out []tpKey
	seen := map[tpKey]int{}
	var dups []string
	for _, p := range parts {
		if p.Topic == nil {
			return nil, newJavaError("kafka.utils.json.JsonValue$JsonObjectMissingKeyException", "No such key exists: topic")
		}
		if p.Partition == nil {
			return nil, newJavaError("kafka.utils.json.JsonValue$JsonObjectMissingKeyException", "No such key exists: partition")
		}
		tp := tpKey{*p.Topic, *p.Partition}
		seen[tp]++
		switch seen[tp] {
		case 1:
			out = append(out, tp)
		case 2:
			dups = append(dups, tp.String())
		}
	}
	if len(dups) > 0 {
		return nil, adminOperation("%s%s", dupPrefix, strings.Join(dups, ","))
	}
	return out, nil
}

// electionResult is one partition's answer; err nil means a new leader was elected.
type electionOutcome struct {
	succeeded, noop []tpKey
	failed          map[tpKey]*javaError
}

// electLeaders sends ElectLeaders (routed to the controller) and sorts the answers the way
// both tools do. tps nil elects every partition.
func electLeaders(a *adminConn, electionType int8, tps []tpKey) (*electionOutcome, error) {
	ctx, cancel := context.WithTimeout(context.Background(), electionTimeout)
	defer cancel()
	req := kmsg.NewPtrElectLeadersRequest()
	req.ElectionType = electionType
	req.TimeoutMillis = int32(electionTimeout.Milliseconds() / 2)
	if tps != nil {
		req.Topics = []kmsg.ElectLeadersRequestTopic{}
		idx := map[string]int{}
		for _, tp := range tps {
			i, ok := idx[tp.Topic]
			if !ok {
				rt := kmsg.NewElectLeadersRequestTopic()
				rt.Topic = tp.Topic
				req.Topics = append(req.Topics, rt)
				i = len(req.Topics) - 1
				idx[tp.Topic] = i
			}
			req.Topics[i].Partitions = append(req.Topics[i].Partitions, tp.Partition)
		}
	}
	resp, err := untilTimeout(ctx, "electLeaders", func(ctx context.Context) (*kmsg.ElectLeadersResponse, error) {
		return req.RequestWith(ctx, a.cl)
	})
	if err != nil {
		return nil, toolError(err, "electLeaders")
	}
	if resp.ErrorCode != 0 {
		return nil, electionError(resp.ErrorCode, nil)
	}
	out := &electionOutcome{failed: map[tpKey]*javaError{}}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			tp := tpKey{t.Topic, p.Partition}
			switch p.ErrorCode {
			case 0:
				out.succeeded = append(out.succeeded, tp)
			case kerr.ElectionNotNeeded.Code:
				out.noop = append(out.noop, tp)
			default:
				out.failed[tp] = electionError(p.ErrorCode, p.ErrorMessage)
			}
		}
	}
	sortTPs(out.succeeded)
	sortTPs(out.noop)
	return out, nil
}

// isTimeout tells the Java TimeoutException apart, which both tools report specially.
func isTimeout(je *javaError) bool {
	return je.Class == "org.apache.kafka.common.errors.TimeoutException" || je.Class == "org.apache.kafka.common.errors.RequestTimedOutException"
}

func leaderElectionTool(e *env, args []string) error {
	t := newToolOptions(args)
	p := t.Parser
	bootstrap := p.Accepts("bootstrap-server", "A hostname and port for the broker to connect to, in the form host:port. Multiple comma separated URLs can be given. REQUIRED.").
		WithRequiredArg().DescribedAs("host:port")
	adminConfig := p.Accepts("admin.config", "Configuration properties files to pass to the admin client").
		WithRequiredArg().DescribedAs("config file")
	jsonFile := p.Accepts("path-to-json-file", "The JSON file with the list  of partition for which leader elections should be performed. This is an example format. \n"+
		"{\"partitions\":\n\t[{\"topic\": \"foo\", \"partition\": 1},\n\t {\"topic\": \"foobar\", \"partition\": 2}]\n}\nNot allowed if --all-topic-partitions or --topic flags are specified.").
		WithRequiredArg().DescribedAs("Path to JSON file")
	topic := p.Accepts("topic", "Name of topic for which to perform an election. Not allowed if --path-to-json-file or --all-topic-partitions is specified.").
		WithRequiredArg().DescribedAs("topic name")
	partition := p.Accepts("partition", "Partition id for which to perform an election. REQUIRED if --topic is specified.").
		WithRequiredArg().DescribedAs("partition id").OfType("Integer")
	allPartitions := p.Accepts("all-topic-partitions", "Perform election on all of the eligible topic partitions based on the type of election (see the --election-type flag). Not allowed if --topic or --path-to-json-file is specified.")
	electionTypeOpt := p.Accepts("election-type", "Type of election to attempt. Possible values are \"preferred\" for preferred leader election or \"unclean\" for unclean leader election. If preferred election is selection, the election is only performed if the current leader is not the preferred leader for the topic partition. If unclean election is selected, the election is only performed if there are no leader for the topic partition. REQUIRED.").
		WithRequiredArg().DescribedAs("election type").OfType("[PREFERRED,UNCLEAN]")
	s, err := p.Parse(args)
	if err != nil {
		return e.uncaught(joptException(err))
	}
	if err := e.helpAndExitIfNeeded(t, s, "This tool attempts to elect a new leader for a set of topic partitions. The type of elections supported are preferred replicas and unclean replicas."); err != nil {
		return err
	}
	// validate
	var missing []string
	if !s.Has(bootstrap) {
		missing = append([]string{bootstrap.Name}, missing...)
	}
	if !s.Has(electionTypeOpt) {
		missing = append([]string{electionTypeOpt.Name}, missing...)
	}
	if len(missing) > 0 {
		return e.uncaught(adminCommandFailed("Missing required option(s): %s", strings.Join(missing, ", ")))
	}
	exclusive := 0
	for _, o := range []*Opt{topic, allPartitions, jsonFile} {
		if s.Has(o) {
			exclusive++
		}
	}
	if exclusive != 1 {
		return e.uncaught(adminCommandFailed("One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file"))
	}
	switch {
	case s.Has(topic) && !s.Has(partition):
		return e.uncaught(adminCommandFailed("Missing required option(s): partition"))
	case !s.Has(topic) && s.Has(partition):
		return e.uncaught(adminCommandFailed("Option partition is only allowed if topic is used"))
	}
	var electionType int8
	label := ""
	switch strings.ToUpper(s.ValueOf(electionTypeOpt)) {
	case "PREFERRED":
		electionType, label = 0, "PREFERRED"
	case "UNCLEAN":
		electionType, label = 1, "UNCLEAN"
	default:
		return e.uncaught(newJavaError("joptsimple.OptionArgumentConversionException", "Cannot parse argument '%s' of option election-type", s.ValueOf(electionTypeOpt)))
	}
	var tps []tpKey
	if s.Has(jsonFile) {
		data, err := readFileAsString(s.ValueOf(jsonFile))
		if err != nil {
			return e.uncaught(err.(*javaError))
		}
		if tps, err = parseElectionJSON(data, false); err != nil {
			return e.uncaught(err.(*javaError))
		}
	} else if s.Has(topic) {
		n, err := s.IntValueOf(partition)
		if err != nil {
			return e.uncaught(joptException(err))
		}
		tps = []tpKey{{s.ValueOf(topic), int32(n)}}
	}
	a, err := newAdminConn(s.ValueOf(bootstrap), s.ValueOf(adminConfig))
	if err != nil {
		return e.uncaught(asJavaError(err))
	}
	defer a.close()
	out, err := electLeaders(a, electionType, tps)
	if err != nil {
		je := asJavaError(err)
		switch {
		case isTimeout(je):
			fmt.Fprintln(e.Stdout, "Timeout waiting for election results")
			return e.uncaught(adminCommandFailed("Timeout waiting for election results"))
		case je.Class == "org.apache.kafka.common.errors.ClusterAuthorizationException":
			fmt.Fprintln(e.Stdout, "Not authorized to perform leader election")
			return e.uncaught(adminCommandFailed("Not authorized to perform leader election"))
		}
		return e.uncaught(executionError(je))
	}
	if len(out.succeeded) > 0 {
		fmt.Fprintf(e.Stdout, "Successfully completed leader election (%s) for partitions %s\n", label, joinTPs(out.succeeded, ", "))
	}
	if len(out.noop) > 0 {
		// Kafka 2.8 prints the succeeded set here, not the no-op one (a known slip).
		fmt.Fprintf(e.Stdout, "Valid replica already elected for partitions %s\n", joinTPs(out.succeeded, ", "))
	}
	if len(out.failed) > 0 {
		for _, tp := range sortedTPKeys(out.failed) {
			fmt.Fprintf(e.Stdout, "Error completing leader election (%s) for partition: %s: %s\n", label, tp, out.failed[tp].String())
		}
		return e.uncaught(adminCommandFailed("%d replica(s) could not be elected", len(out.failed)))
	}
	return nil
}

// scalaSet renders a Scala 2.13 immutable Set's toString: Set(...) up to four elements,
// HashSet(...) beyond.
func scalaSet(tps []tpKey) string {
	name := "Set"
	if len(tps) > 4 {
		name = "HashSet"
	}
	return name + "(" + joinTPs(tps, ", ") + ")"
}

func preferredReplicaElectionTool(e *env, args []string) error {
	fmt.Fprintln(e.Stdout, "This tool is deprecated. Please use kafka-leader-election tool. Tracking issue: KAFKA-8405")
	t := newToolOptions(args)
	p := t.Parser
	jsonFile := p.Accepts("path-to-json-file", "The JSON file with the list of partitions for which preferred replica leader election should be done, in the following format - \n"+
		"{\"partitions\":\n\t[{\"topic\": \"foo\", \"partition\": 1},\n\t {\"topic\": \"foobar\", \"partition\": 2}]\n}\nDefaults to all existing partitions").
		WithRequiredArg().DescribedAs("list of partitions for which preferred replica leader election needs to be triggered")
	zkOpt := p.Accepts("zookeeper", "DEPRECATED. The connection string for the zookeeper connection in the form host:port. Multiple URLS can be given to allow fail-over. Replaced by --bootstrap-server, REQUIRED unless --bootstrap-server is given.").
		WithRequiredArg().DescribedAs("urls")
	bootstrap := p.Accepts("bootstrap-server", "A hostname and port for the broker to connect to, in the form host:port. Multiple comma-separated URLs can be given. REQUIRED unless --zookeeper is given.").
		WithRequiredArg().DescribedAs("host:port")
	adminConfig := p.Accepts("admin.config", "Admin client config properties file to pass to the admin client when --bootstrap-server is given.").
		WithRequiredArg().DescribedAs("config file")
	s, err := p.Parse(args)
	if err != nil {
		return e.uncaught(joptException(err))
	}
	// jopt's mutuallyExclusive / availableIf constraints, checked at parse time.
	switch {
	case s.Has(zkOpt) && s.Has(bootstrap):
		return e.uncaught(newJavaError("joptsimple.UnavailableOptionException", "Option(s) [zookeeper, bootstrap-server] are unavailable given other options on the command line"))
	case s.Has(adminConfig) && !s.Has(bootstrap):
		return e.uncaught(newJavaError("joptsimple.UnavailableOptionException", "Option(s) [admin.config] are unavailable given other options on the command line"))
	}
	if err := e.helpAndExitIfNeeded(t, s, "This tool helps to causes leadership for each partition to be transferred back to the 'preferred replica', it can be used to balance leadership among the servers."); err != nil {
		return err
	}
	if s.Has(bootstrap) == s.Has(zkOpt) {
		return e.usageAndDie(p, "Exactly one of '[bootstrap-server]' or '[zookeeper]' must be provided")
	}
	var fromUser []tpKey
	if s.Has(jsonFile) {
		data, err := readFileAsString(s.ValueOf(jsonFile))
		if err != nil {
			return e.uncaught(err.(*javaError))
		}
		if fromUser, err = parseElectionJSON(data, true); err != nil {
			return e.uncaught(err.(*javaError))
		}
	}
	if s.Has(zkOpt) {
		fmt.Fprintln(e.Stdout, "Warning: --zookeeper is deprecated and will be removed in a future version of Kafka.")
		fmt.Fprintln(e.Stdout, "Use --bootstrap-server instead to specify a broker to connect to.")
		c, err := zkmeta.Connect(s.ValueOf(zkOpt), electionTimeout, electionTimeout, toolLogger(e))
		if err != nil {
			return e.uncaught(asJavaError(zkError(err)))
		}
		defer c.Close()
		if err := zkPreferredElection(e, c, fromUser, s.Has(jsonFile)); err != nil {
			fmt.Fprintf(e.Stderr, "Exception in thread \"main\" kafka.common.AdminCommandFailedException: Admin command failed\nCaused by: %s\n", asJavaError(err).String())
			return exitCode(1)
		}
		return nil
	}
	a, err := newAdminConn(s.ValueOf(bootstrap), s.ValueOf(adminConfig))
	if err != nil {
		return e.uncaught(asJavaError(err))
	}
	defer a.close()
	var tps []tpKey
	if s.Has(jsonFile) {
		tps = fromUser
	}
	out, err := electLeaders(a, 0, tps)
	if err != nil {
		je := asJavaError(err)
		switch {
		case isTimeout(je):
			fmt.Fprintln(e.Stdout, "Timeout waiting for election results")
			return e.uncaught(adminCommandFailed("Timeout waiting for election results"))
		case je.Class == "org.apache.kafka.common.errors.ClusterAuthorizationException":
			fmt.Fprintln(e.Stdout, "Not authorized to perform leader election")
			return e.uncaught(adminCommandFailed("Not authorized to perform leader election"))
		}
		// Kafka prints the stack trace and returns normally here.
		fmt.Fprintln(e.Stdout, "Error while making request")
		fmt.Fprintln(e.Stderr, executionError(je).String())
		return nil
	}
	if len(out.succeeded) > 0 {
		fmt.Fprintf(e.Stdout, "Successfully completed preferred leader election for partitions %s\n", joinTPs(out.succeeded, ", "))
	}
	if len(out.noop) > 0 {
		// As in 2.8, this line lists the succeeded partitions.
		fmt.Fprintf(e.Stdout, "Preferred replica already elected for partitions %s\n", joinTPs(out.succeeded, ", "))
	}
	if len(out.failed) > 0 {
		for _, tp := range sortedTPKeys(out.failed) {
			fmt.Fprintf(e.Stdout, "Error completing preferred leader election for partition: %s: %s\n", tp, out.failed[tp].String())
		}
		return e.uncaught(adminCommandFailed("%d preferred replica(s) could not be elected", len(out.failed)))
	}
	return nil
}

// zkPreferredElection is PreferredReplicaLeaderElectionCommand.ZkCommand: keep the partitions
// that exist, write /admin/preferred_replica_election, report the ones skipped.
func zkPreferredElection(e *env, c *zkmeta.Client, fromUser []tpKey, haveList bool) error {
	var topics []string
	if haveList {
		set := map[string]bool{}
		for _, tp := range fromUser {
			set[tp.Topic] = true
		}
		topics = sortedStringKeys(set)
	} else {
		all, err := c.GetAllTopics()
		if err != nil {
			return zkError(err)
		}
		topics = all
	}
	as, err := c.GetTopicAssignments(topics)
	if err != nil {
		return zkError(err)
	}
	existing := map[tpKey]bool{}
	for topic, a := range as {
		for p := range a.Partitions {
			existing[tpKey{topic, p}] = true
		}
	}
	var valid, invalid []tpKey
	if haveList {
		for _, tp := range fromUser {
			if existing[tp] {
				valid = append(valid, tp)
			} else {
				invalid = append(invalid, tp)
			}
		}
	} else {
		for tp := range existing {
			valid = append(valid, tp)
		}
	}
	sortTPs(valid)
	zkTPs := make([]zkmeta.TP, len(valid))
	for i, tp := range valid {
		zkTPs[i] = zkmeta.TP{Topic: tp.Topic, Partition: tp.Partition}
	}
	if err := c.CreatePreferredReplicaElection(zkTPs); err != nil {
		if errors.Is(err, zkmeta.ErrAdminOperation) {
			pending, _ := c.GetPreferredReplicaElection()
			names := make([]tpKey, len(pending))
			for i, tp := range pending {
				names[i] = tpKey{tp.Topic, tp.Partition}
			}
			return adminOperation("Preferred replica leader election currently in progress for %s. Aborting operation", joinTPs(names, ","))
		}
		return adminOperation("%s", zkError(err).Error())
	}
	fmt.Fprintf(e.Stdout, "Created preferred replica election path with %s\n", joinTPs(valid, ","))
	fmt.Fprintf(e.Stdout, "Successfully started preferred replica election for partitions %s\n", scalaSet(valid))
	for _, tp := range invalid {
		fmt.Fprintf(e.Stdout, "Skipping preferred replica leader election for partition %s since it doesn't exist.\n", tp)
	}
	return nil
}
