package main

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-classic/kafka-classic/broker"
	"github.com/kafka-classic/kafka-classic/config"
	"github.com/rs/zerolog"
)

func init() {
	register(tool{name: "kafka-topics", short: "topics",
		usage: "create, delete, describe, or change a topic", run: topicsTool})
}

const kafkaConfigsCanAlterTopicConfigsViaBootstrapServer = " (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option)"

// topicOptions is TopicCommand.TopicCommandOptions.
type topicOptions struct {
	*toolOptions
	bootstrapServer, commandConfig, zkConnect                      *Opt
	list, create, delete, alter, describe                          *Opt
	topic, config, deleteConfig, partitions, replicationFactor     *Opt
	replicaAssignment                                              *Opt
	underReplicated, unavailable, underMinIsr, atMinIsr, overrides *Opt
	ifExists, ifNotExists, disableRackAware, excludeInternal       *Opt
	s                                                              *OptionSet
}

func newTopicOptions(args []string) *topicOptions {
	t := &topicOptions{toolOptions: newToolOptions(args)}
	p := t.Parser
	t.bootstrapServer = p.Accepts("bootstrap-server", "REQUIRED: The Kafka server to connect to. In case of providing this, a direct Zookeeper connection won't be required.").
		WithRequiredArg().DescribedAs("server to connect to")
	t.commandConfig = p.Accepts("command-config", "Property file containing configs to be passed to Admin Client. This is used only with --bootstrap-server option for describing and altering broker configs.").
		WithRequiredArg().DescribedAs("command config property file")
	t.zkConnect = p.Accepts("zookeeper", "DEPRECATED, The connection string for the zookeeper connection in the form host:port. Multiple hosts can be given to allow fail-over.").
		WithRequiredArg().DescribedAs("hosts")
	t.list = p.Accepts("list", "List all available topics.")
	t.create = p.Accepts("create", "Create a new topic.")
	t.delete = p.Accepts("delete", "Delete a topic")
	t.alter = p.Accepts("alter", "Alter the number of partitions, replica assignment, and/or configuration for the topic.")
	t.describe = p.Accepts("describe", "List details for the given topics.")
	t.topic = p.Accepts("topic", "The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option. Put topic name in double quotes and use the '\\' prefix to escape regular expression symbols; e.g. \"test\\.topic\".").
		WithRequiredArg().DescribedAs("topic")
	var names strings.Builder
	for _, n := range config.TopicConfigNames() {
		names.WriteString("\t" + n + "\n")
	}
	t.config = p.Accepts("config", "A topic configuration override for the topic being created or altered. The following is a list of valid configurations: \n"+
		names.String()+"See the Kafka documentation for full details on the topic configs. It is supported only in combination with --create if --bootstrap-server option is used"+
		kafkaConfigsCanAlterTopicConfigsViaBootstrapServer+".").
		WithRequiredArg().DescribedAs("name=value")
	t.deleteConfig = p.Accepts("delete-config", "A topic configuration override to be removed for an existing topic (see the list of configurations under the --config option). Not supported with the --bootstrap-server option.").
		WithRequiredArg().DescribedAs("name")
	t.partitions = p.Accepts("partitions", "The number of partitions for the topic being created or altered (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected). If not supplied for create, defaults to the cluster default.").
		WithRequiredArg().DescribedAs("# of partitions").OfType("Integer")
	t.replicationFactor = p.Accepts("replication-factor", "The replication factor for each partition in the topic being created. If not supplied, defaults to the cluster default.").
		WithRequiredArg().DescribedAs("replication factor").OfType("Integer")
	t.replicaAssignment = p.Accepts("replica-assignment", "A list of manual partition-to-broker assignments for the topic being created or altered.").
		WithRequiredArg().DescribedAs("broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...")
	t.underReplicated = p.Accepts("under-replicated-partitions", "if set when describing topics, only show under replicated partitions")
	t.unavailable = p.Accepts("unavailable-partitions", "if set when describing topics, only show partitions whose leader is not available")
	t.underMinIsr = p.Accepts("under-min-isr-partitions", "if set when describing topics, only show partitions whose isr count is less than the configured minimum. Not supported with the --zookeeper option.")
	t.atMinIsr = p.Accepts("at-min-isr-partitions", "if set when describing topics, only show partitions whose isr count is equal to the configured minimum. Not supported with the --zookeeper option.")
	t.overrides = p.Accepts("topics-with-overrides", "if set when describing topics, only show topics that have overridden configs")
	t.ifExists = p.Accepts("if-exists", "if set when altering or deleting or describing topics, the action will only execute if the topic exists.")
	t.ifNotExists = p.Accepts("if-not-exists", "if set when creating topics, the action will only execute if the topic does not already exist.")
	t.disableRackAware = p.Accepts("disable-rack-aware", "Disable rack aware replica assignment")
	p.Accepts("force", "Suppress console prompts")
	t.excludeInternal = p.Accepts("exclude-internal", "exclude internal topics when running list or describe command. The internal topics will be listed by default")
	return t
}

// uncaught prints what the JVM prints for an exception escaping main, and exits 1.
func (e *env) uncaught(je *javaError) error {
	fmt.Fprintf(e.Stderr, "Exception in thread \"main\" %s\n", je.String())
	return exitCode(1)
}

// checkArgs is TopicCommandOptions.checkArgs.
func (t *topicOptions) checkArgs(e *env) error {
	s := t.s
	if len(t.args) == 0 {
		return e.usageAndDie(t.Parser, "Create, delete, describe, or change a topic.")
	}
	if err := e.helpAndExitIfNeeded(t.toolOptions, s, "This tool helps to create, delete, describe, or change a topic."); err != nil {
		return err
	}
	actions := 0
	for _, o := range []*Opt{t.create, t.list, t.alter, t.describe, t.delete} {
		if s.Has(o) {
			actions++
		}
	}
	if actions != 1 {
		return e.usageAndDie(t.Parser, "Command must include exactly one action: --list, --describe, --create, --alter or --delete")
	}
	if s.Has(t.bootstrapServer) == s.Has(t.zkConnect) {
		return e.uncaught(illegalArgument("Only one of --bootstrap-server or --zookeeper must be specified"))
	}
	if s.Has(t.describe) && s.Has(t.ifExists) {
		if err := e.checkRequired(t.Parser, s, t.topic); err != nil {
			return err
		}
	}
	if !s.Has(t.list) && !s.Has(t.describe) {
		if err := e.checkRequired(t.Parser, s, t.topic); err != nil {
			return err
		}
	}
	if s.Has(t.create) && !s.Has(t.replicaAssignment) && s.Has(t.zkConnect) {
		if err := e.checkRequired(t.Parser, s, t.partitions, t.replicationFactor); err != nil {
			return err
		}
	}
	if s.Has(t.bootstrapServer) && s.Has(t.alter) {
		if s.Has(t.config) {
			return e.usageAndDie(t.Parser, fmt.Sprintf("Option combination \"%s,%s\" can't be used with option \"%s\"%s",
				t.bootstrapServer, t.config, t.alter, kafkaConfigsCanAlterTopicConfigsViaBootstrapServer))
		}
		if err := e.checkRequired(t.Parser, s, t.partitions); err != nil {
			return err
		}
	}
	all := []*Opt{t.alter, t.create, t.describe, t.list, t.delete}
	except := func(set []*Opt, drop ...*Opt) []*Opt {
		var out []*Opt
		for _, o := range set {
			keep := true
			for _, d := range drop {
				keep = keep && o != d
			}
			if keep {
				out = append(out, o)
			}
		}
		return out
	}
	reports := []*Opt{t.underReplicated, t.underMinIsr, t.atMinIsr, t.unavailable}
	checks := []struct {
		used    *Opt
		invalid []*Opt
	}{
		{t.config, except(all, t.alter, t.create)},
		{t.deleteConfig, append(except(all, t.alter), t.bootstrapServer)},
		{t.partitions, except(all, t.alter, t.create)},
		{t.replicationFactor, except(all, t.create)},
		{t.replicaAssignment, except(all, t.create, t.alter)},
	}
	if s.Has(t.create) {
		checks = append(checks, struct {
			used    *Opt
			invalid []*Opt
		}{t.replicaAssignment, []*Opt{t.partitions, t.replicationFactor}})
	}
	checks = append(checks, []struct {
		used    *Opt
		invalid []*Opt
	}{
		{t.underReplicated, append(append(except(all, t.describe), except(reports, t.underReplicated)...), t.overrides)},
		{t.underMinIsr, append(append(except(all, t.describe), except(reports, t.underMinIsr)...), t.overrides, t.zkConnect)},
		{t.atMinIsr, append(append(except(all, t.describe), except(reports, t.atMinIsr)...), t.overrides, t.zkConnect)},
		{t.unavailable, append(append(except(all, t.describe), except(reports, t.unavailable)...), t.overrides)},
		{t.overrides, append(except(all, t.describe), reports...)},
		{t.ifExists, except(all, t.alter, t.delete, t.describe)},
		{t.ifNotExists, except(all, t.create)},
		{t.excludeInternal, except(all, t.list, t.describe)},
	}...)
	for _, c := range checks {
		if err := e.checkInvalid(t.Parser, s, c.used, c.invalid...); err != nil {
			return err
		}
	}
	return nil
}

// topicService is TopicCommand.TopicService, implemented over ZooKeeper and over the Admin API.
type topicService interface {
	createTopic(t *topicOptions) error
	listTopics(t *topicOptions) error
	alterTopic(t *topicOptions) error
	describeTopic(t *topicOptions) error
	deleteTopic(t *topicOptions) error
	close()
}

func topicsTool(e *env, args []string) error {
	t := newTopicOptions(args)
	s, err := t.Parse(args)
	if err != nil {
		return e.uncaught(joptException(err))
	}
	t.s = s
	if err := t.checkArgs(e); err != nil {
		return err
	}
	// TopicCommand reads these with valueOf, which throws inside its try block.
	if err := s.CheckSingle(t.topic, t.partitions, t.replicationFactor, t.replicaAssignment); err != nil {
		fmt.Fprintln(e.Stdout, "Error while executing topic command : "+err.Error())
		return exitCode(1)
	}
	if err := s.CheckSingle(t.zkConnect, t.bootstrapServer, t.commandConfig); err != nil {
		return e.uncaught(joptException(err))
	}
	var svc topicService
	if s.Has(t.zkConnect) {
		svc, err = newZkTopicService(e, s.ValueOf(t.zkConnect))
	} else {
		svc, err = newAdminTopicService(e, s.ValueOf(t.commandConfig), s.ValueOf(t.bootstrapServer))
	}
	if err != nil {
		return e.uncaught(clientError(err, "createClient"))
	}
	defer svc.close()
	switch {
	case s.Has(t.create):
		err = svc.createTopic(t)
	case s.Has(t.list):
		err = svc.listTopics(t)
	case s.Has(t.alter):
		err = svc.alterTopic(t)
	case s.Has(t.describe):
		err = svc.describeTopic(t)
	case s.Has(t.delete):
		err = svc.deleteTopic(t)
	}
	if err != nil {
		je := clientError(err, "topicCommand")
		fmt.Fprintln(e.Stdout, "Error while executing topic command : "+je.Msg)
		log := toolLogger(e)
		log.Error().Str(broker.LoggerField, "kafka.admin.TopicCommand$").Msg(je.String())
		return exitCode(1)
	}
	return nil
}

// toolLogger is the tools' log4j setup (tools-log4j.properties): WARN and above on stderr.
func toolLogger(e *env) zerolog.Logger {
	return broker.NewLogger(e.Stderr, zerolog.WarnLevel)
}

func joptException(err error) *javaError {
	msg := err.Error()
	class := "joptsimple.OptionException"
	switch {
	case strings.HasSuffix(msg, "is not a recognized option"):
		class = "joptsimple.UnrecognizedOptionException"
	case strings.HasSuffix(msg, "requires an argument"):
		class = "joptsimple.OptionMissingRequiredArgumentException"
	case strings.HasPrefix(msg, "Missing required option"):
		class = "joptsimple.MissingRequiredOptionsException"
	case strings.HasPrefix(msg, "Cannot parse argument"):
		class = "joptsimple.OptionArgumentConversionException"
	case strings.HasPrefix(msg, "Found multiple arguments"):
		class = "joptsimple.MultipleArgumentsForOptionException"
	}
	return &javaError{Class: class, Msg: msg}
}

// warnCollision is printed once the command's topic settings are parsed, before creating.
func warnCollision(e *env, name string) {
	if topicHasCollisionChars(name) {
		fmt.Fprintln(e.Stdout, "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.")
	}
}

func topicHasCollisionChars(name string) bool {
	return strings.ContainsAny(name, "._")
}

func isInternalTopic(name string) bool {
	return name == "__consumer_offsets" || name == "__transaction_state"
}

// includeList is kafka.utils.IncludeList (Whitelist): commas mean alternation, blanks and
// surrounding quotes are dropped, and the whole name must match.
func includeList(raw string) (*regexp.Regexp, error) {
	r := strings.TrimSpace(raw)
	r = strings.ReplaceAll(r, ",", "|")
	r = strings.ReplaceAll(r, " ", "")
	r = strings.TrimLeft(r, "\"'")
	r = strings.TrimRight(r, "\"'")
	re, err := regexp.Compile("^(?:" + r + ")$")
	if err != nil {
		return nil, newJavaError("java.lang.RuntimeException", "%s is an invalid regex.", r)
	}
	return re, nil
}

// filterTopics is TopicCommand.doGetTopics.
func filterTopics(all []string, pattern *string, excludeInternal bool) ([]string, error) {
	sorted := append([]string(nil), all...)
	sort.Strings(sorted)
	var re *regexp.Regexp
	if pattern != nil {
		var err error
		if re, err = includeList(*pattern); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, tp := range sorted {
		if excludeInternal && isInternalTopic(tp) {
			continue
		}
		if re != nil && !re.MatchString(tp) {
			continue
		}
		out = append(out, tp)
	}
	return out, nil
}

func (t *topicOptions) topicPattern() *string {
	if !t.s.Has(t.topic) {
		return nil
	}
	v := t.s.ValueOf(t.topic)
	return &v
}

// ensureTopicExists is TopicCommand.ensureTopicExists.
func ensureTopicExists(found []string, requested *string, requireExists bool) error {
	if requested != nil && requireExists && len(found) == 0 {
		return illegalArgument("Topic '%s' does not exist as expected", *requested)
	}
	return nil
}

// javaSplit is String.split: trailing empty strings are removed.
func javaSplit(s, sep string) []string {
	if !strings.Contains(s, sep) {
		return []string{s}
	}
	parts := strings.Split(s, sep)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func javaParseInt(s string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, newJavaError("java.lang.NumberFormatException", "For input string: \"%s\"", s)
	}
	return int32(n), nil
}

// parseReplicaAssignment is TopicCommand.parseReplicaAssignment: "0:1,1:2" -> {0:[0,1],1:[1,2]}.
func parseReplicaAssignment(s string) (map[int32][]int32, error) {
	parts := javaSplit(s, ",")
	if len(parts) == 0 {
		parts = []string{""}
	}
	out := map[int32][]int32{}
	for i, part := range parts {
		var brokers []int32
		fields := javaSplit(part, ":")
		if len(fields) == 0 {
			fields = []string{""}
		}
		for _, f := range fields {
			n, err := javaParseInt(strings.TrimSpace(f))
			if err != nil {
				return nil, err
			}
			brokers = append(brokers, n)
		}
		var dups []string
		seen := map[int32]int{}
		for _, b := range brokers {
			seen[b]++
			if seen[b] == 2 {
				dups = append(dups, strconv.Itoa(int(b)))
			}
		}
		if len(dups) > 0 {
			return nil, newJavaError("kafka.common.AdminCommandFailedException",
				"Partition replica lists may not contain duplicate entries: %s", strings.Join(dups, ","))
		}
		out[int32(i)] = brokers
		if len(brokers) != len(out[0]) {
			// Scala prints the Array[Int] with its identity hash; mimic the shape.
			h := fnv.New32a()
			h.Write([]byte(part))
			return nil, newJavaError("kafka.admin.AdminOperationException",
				"Partition %d has different replication factor: [I@%x", i, h.Sum32())
		}
	}
	return out, nil
}

// parseTopicConfigsToBeAdded is TopicCommand.parseTopicConfigsToBeAdded.
func parseTopicConfigsToBeAdded(e *env, values []string) (map[string]string, error) {
	sep := regexp.MustCompile(`\s*=\s*`)
	props := map[string]string{}
	var pairs [][]string
	for _, v := range values {
		kv := sep.Split(v, -1)
		for len(kv) > 0 && kv[len(kv)-1] == "" {
			kv = kv[:len(kv)-1]
		}
		if len(kv) != 2 {
			return nil, illegalArgument("requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".")
		}
		pairs = append(pairs, kv)
	}
	for _, kv := range pairs {
		props[strings.TrimSpace(kv[0])] = strings.TrimSpace(kv[1])
	}
	if err := config.ValidateTopicConfigs(props); err != nil {
		return nil, newJavaError("org.apache.kafka.common.errors.InvalidConfigurationException", "%s", config.Message(err))
	}
	if v, ok := props["message.format.version"]; ok {
		fmt.Fprintf(e.Stdout, "WARNING: The configuration message.format.version=%s is specified. This configuration will be ignored if the version is newer than the inter.broker.protocol.version specified in the broker.\n", v)
	}
	return props, nil
}

// parseTopicConfigsToBeDeleted is TopicCommand.parseTopicConfigsToBeDeleted.
func parseTopicConfigsToBeDeleted(values []string) ([]string, error) {
	var out []string
	known := map[string]bool{}
	for _, n := range config.TopicConfigNames() {
		known[n] = true
	}
	for _, v := range values {
		v = strings.TrimSpace(v)
		if !known[v] {
			return nil, newJavaError("org.apache.kafka.common.errors.InvalidConfigurationException", "Unknown topic config name: %s", v)
		}
		out = append(out, v)
	}
	return out, nil
}

// ---------------------------------------------------------------------------------------
// Describe output, shared by both services.

type topicDescription struct {
	Topic             string
	TopicID           string // "" when unknown or the zero UUID
	NumPartitions     int
	ReplicationFactor int
	Configs           [][2]string
	MarkedForDeletion bool
}

func (d topicDescription) String() string {
	var b strings.Builder
	b.WriteString("Topic: " + d.Topic)
	if d.TopicID != "" {
		b.WriteString("\tTopicId: " + d.TopicID)
	}
	fmt.Fprintf(&b, "\tPartitionCount: %d", d.NumPartitions)
	fmt.Fprintf(&b, "\tReplicationFactor: %d", d.ReplicationFactor)
	kvs := make([]string, len(d.Configs))
	for i, kv := range d.Configs {
		kvs[i] = kv[0] + "=" + kv[1]
	}
	b.WriteString("\tConfigs: " + strings.Join(kvs, ","))
	if d.MarkedForDeletion {
		b.WriteString("\tMarkedForDeletion: true")
	}
	return b.String()
}

type partitionDescription struct {
	Topic             string
	Partition         int32
	Leader            int32
	HasLeader         bool
	Replicas, ISR     []int32
	Reassigning       bool
	Adding, Removing  []int32
	MarkedForDeletion bool
	MinISR            int // 0 when unknown
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

func (d partitionDescription) String() string {
	var b strings.Builder
	b.WriteString("\tTopic: " + d.Topic)
	fmt.Fprintf(&b, "\tPartition: %d", d.Partition)
	if d.HasLeader {
		fmt.Fprintf(&b, "\tLeader: %d", d.Leader)
	} else {
		b.WriteString("\tLeader: none")
	}
	b.WriteString("\tReplicas: " + joinIDs(d.Replicas))
	b.WriteString("\tIsr: " + joinIDs(d.ISR))
	if d.Reassigning {
		b.WriteString("\tAdding Replicas: " + joinIDs(d.Adding))
		b.WriteString("\tRemoving Replicas: " + joinIDs(d.Removing))
	}
	if d.MarkedForDeletion {
		b.WriteString("\tMarkedForDeletion: true")
	}
	return b.String()
}

func (d partitionDescription) replicationFactor() int {
	if d.Reassigning && len(d.Replicas) > 0 {
		return len(d.Replicas) - len(d.Adding)
	}
	return len(d.Replicas)
}

func (d partitionDescription) underReplicated() bool { return d.replicationFactor()-len(d.ISR) > 0 }

func (d partitionDescription) unavailable(live map[int32]bool) bool {
	return !d.HasLeader || !live[d.Leader]
}

func (d partitionDescription) underMinIsr() bool {
	return !d.HasLeader || (d.MinISR > 0 && len(d.ISR) < d.MinISR)
}

func (d partitionDescription) atMinIsr() bool { return d.MinISR > 0 && len(d.ISR) == d.MinISR }

// describeOptions is TopicCommand.DescribeOptions.
type describeOptions struct {
	t    *topicOptions
	live map[int32]bool
}

func (o describeOptions) describeConfigs() bool {
	s := o.t.s
	return !s.Has(o.t.unavailable) && !s.Has(o.t.underReplicated) && !s.Has(o.t.underMinIsr) && !s.Has(o.t.atMinIsr)
}

func (o describeOptions) describePartitions() bool { return !o.t.s.Has(o.t.overrides) }

func (o describeOptions) shouldPrint(d partitionDescription) bool {
	s := o.t.s
	if o.describeConfigs() {
		return true
	}
	return (s.Has(o.t.underReplicated) && d.underReplicated()) ||
		(s.Has(o.t.unavailable) && d.unavailable(o.live)) ||
		(s.Has(o.t.underMinIsr) && d.underMinIsr()) ||
		(s.Has(o.t.atMinIsr) && d.atMinIsr())
}

// adminTimeout is default.api.timeout.ms of the Java admin client.
const adminTimeout = 60 * time.Second
