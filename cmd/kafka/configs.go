package main

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-classic/kafka-classic/config"
	"github.com/kafka-classic/kafka-classic/zkmeta"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(tool{name: "kafka-configs", short: "configs",
		usage: "manipulate and describe entity config for a topic, client, user, broker or ip", run: configsTool})
}

const brokerLoggerConfigType = "broker-loggers"

var (
	zkSupportedConfigTypes     = []string{"topics", "clients", "users", "brokers", "ips"}
	brokerSupportedConfigTypes = []string{"topics", "clients", "users", "brokers", "ips", brokerLoggerConfigType}
	// ConfigCommand lets these broker keys go through ZooKeeper while brokers run.
	zkWritableWhileBrokerRunning = map[string]bool{
		"leader.replication.throttled.rate":              true,
		"follower.replication.throttled.rate":            true,
		"replica.alter.log.dirs.io.max.bytes.per.second": true,
	}
	clientQuotaConfigs = []string{"consumer_byte_rate", "controller_mutation_rate", "producer_byte_rate", "request_percentage"}
	userConfigs        = []string{"SCRAM-SHA-256", "SCRAM-SHA-512", "consumer_byte_rate", "controller_mutation_rate", "producer_byte_rate", "request_percentage"}
	ipConfigs          = []string{"connection_creation_rate"}
	brokerDynamicNames = []string{"follower.replication.throttled.rate", "leader.replication.throttled.rate", "replica.alter.log.dirs.io.max.bytes.per.second"}
)

type configsOptions struct {
	*toolOptions
	zk, bootstrap, commandConfig, alter, describe, all        *Opt
	entityType, entityName, entityDefault, addConfig          *Opt
	addConfigFile, deleteConfig, force                        *Opt
	topic, client, clientDefaults, user, userDefaults, broker *Opt
	brokerDefaults, brokerLogger, ipDefaults, ip, zkTLS       *Opt
	s                                                         *OptionSet
	entityTypes, entityNames                                  []string
}

func newConfigsOptions(args []string) *configsOptions {
	c := &configsOptions{toolOptions: newToolOptions(args)}
	p := c.Parser
	c.zk = p.Accepts("zookeeper", "DEPRECATED. The connection string for the zookeeper connection in the form host:port. Multiple URLS can be given to allow fail-over. Replaced by --bootstrap-server, REQUIRED unless --bootstrap-server is given.").
		WithRequiredArg().DescribedAs("urls")
	c.bootstrap = p.Accepts("bootstrap-server", "The Kafka server to connect to. This is required for describing and altering broker configs.").
		WithRequiredArg().DescribedAs("server to connect to")
	c.commandConfig = p.Accepts("command-config", "Property file containing configs to be passed to Admin Client. This is used only with --bootstrap-server option for describing and altering broker configs.").
		WithRequiredArg().DescribedAs("command config property file")
	c.alter = p.Accepts("alter", "Alter the configuration for the entity.")
	c.describe = p.Accepts("describe", "List configs for the given entity.")
	c.all = p.Accepts("all", "List all configs for the given topic, broker, or broker-logger entity (includes static configuration when the entity type is brokers)")
	c.entityType = p.Accepts("entity-type", "Type of entity (topics/clients/users/brokers/broker-loggers/ips)").WithRequiredArg()
	c.entityName = p.Accepts("entity-name", "Name of entity (topic name/client id/user principal name/broker id/ip)").WithRequiredArg()
	c.entityDefault = p.Accepts("entity-default", "Default entity name for clients/users/brokers/ips (applies to corresponding entity type in command line)")
	list := func(names []string) string {
		var b strings.Builder
		b.WriteString("\n")
		for _, n := range names {
			b.WriteString("\t" + n + "\n")
		}
		return b.String()
	}
	c.addConfig = p.Accepts("add-config", "Key Value pairs of configs to add. Square brackets can be used to group values which contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'. The following is a list of valid configurations: "+
		"For entity-type 'topics': "+list(config.TopicConfigNames())+
		"For entity-type 'brokers': "+list(brokerDynamicNames)+
		"For entity-type 'users': "+list(userConfigs)+
		"For entity-type 'clients': "+list(clientQuotaConfigs)+
		"For entity-type 'ips': "+list(ipConfigs)+
		"Entity types 'users' and 'clients' may be specified together to update config for clients of a specific user.").WithRequiredArg()
	c.addConfigFile = p.Accepts("add-config-file", "Path to a properties file with configs to add. See add-config for a list of valid configurations.").WithRequiredArg()
	c.deleteConfig = p.Accepts("delete-config", "config keys to remove 'k1,k2'").WithRequiredArg()
	c.force = p.Accepts("force", "Suppress console prompts")
	c.topic = p.Accepts("topic", "The topic's name.").WithRequiredArg()
	c.client = p.Accepts("client", "The client's ID.").WithRequiredArg()
	c.clientDefaults = p.Accepts("client-defaults", "The config defaults for all clients.")
	c.user = p.Accepts("user", "The user's principal name.").WithRequiredArg()
	c.userDefaults = p.Accepts("user-defaults", "The config defaults for all users.")
	c.broker = p.Accepts("broker", "The broker's ID.").WithRequiredArg()
	c.brokerDefaults = p.Accepts("broker-defaults", "The config defaults for all brokers.")
	c.brokerLogger = p.Accepts("broker-logger", "The broker's ID for its logger config.").WithRequiredArg()
	c.ipDefaults = p.Accepts("ip-defaults", "The config defaults for all IPs.")
	c.ip = p.Accepts("ip", "The IP address.").WithRequiredArg()
	c.zkTLS = p.Accepts("zk-tls-config-file", "Identifies the file where ZooKeeper client TLS connectivity properties are defined.  Any properties other than zookeeper.clientCnxnSocket, zookeeper.ssl.cipher.suites, zookeeper.ssl.client.enable, zookeeper.ssl.crl.enable, zookeeper.ssl.enabled.protocols, zookeeper.ssl.endpoint.identification.algorithm, zookeeper.ssl.keystore.location, zookeeper.ssl.keystore.password, zookeeper.ssl.keystore.type, zookeeper.ssl.ocsp.enable, zookeeper.ssl.protocol, zookeeper.ssl.truststore.location, zookeeper.ssl.truststore.password, zookeeper.ssl.truststore.type are ignored.").
		WithRequiredArg().DescribedAs("ZooKeeper TLS configuration")
	return c
}

// computeEntities fills entityTypes/entityNames as ConfigCommandOptions does: --entity-type
// values, then shortcut flags; names follow the command-line order of --entity-name and
// --entity-default, then the shortcut flags.
func (c *configsOptions) computeEntities() {
	s := c.s
	c.entityTypes = append([]string(nil), s.ValuesOf(c.entityType)...)
	flags := []struct {
		o   *Opt
		typ string
	}{{c.topic, "topics"}, {c.client, "clients"}, {c.user, "users"}, {c.broker, "brokers"}, {c.brokerLogger, brokerLoggerConfigType}, {c.ip, "ips"}}
	defaults := []struct {
		o   *Opt
		typ string
	}{{c.clientDefaults, "clients"}, {c.userDefaults, "users"}, {c.brokerDefaults, "brokers"}, {c.ipDefaults, "ips"}}
	for _, f := range flags {
		if s.Has(f.o) {
			c.entityTypes = append(c.entityTypes, f.typ)
		}
	}
	for _, f := range defaults {
		if s.Has(f.o) {
			c.entityTypes = append(c.entityTypes, f.typ)
		}
	}
	names := s.ValuesOf(c.entityName)
	ni := 0
	for _, a := range c.args {
		if !looksLikeOption(a) || a == "--" {
			continue
		}
		body := strings.TrimLeft(a, "-")
		name, _, _ := strings.Cut(body, "=")
		o, ok := c.Parser.lookup(name)
		if !ok {
			continue
		}
		switch o {
		case c.entityName:
			if ni < len(names) {
				c.entityNames = append(c.entityNames, names[ni])
				ni++
			}
		case c.entityDefault:
			c.entityNames = append(c.entityNames, "")
		}
	}
	for _, f := range flags {
		if s.Has(f.o) {
			c.entityNames = append(c.entityNames, s.ValueOf(f.o))
		}
	}
	for _, f := range defaults {
		if s.Has(f.o) {
			c.entityNames = append(c.entityNames, "")
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkArgs is ConfigCommandOptions.checkArgs; IllegalArgumentExceptions come back as
// *javaError, usage failures as exitCode.
func (c *configsOptions) checkArgs(e *env) error {
	s := c.s
	actions := 0
	for _, o := range []*Opt{c.alter, c.describe} {
		if s.Has(o) {
			actions++
		}
	}
	if actions != 1 {
		return e.usageAndDie(c.Parser, "Command must include exactly one action: --describe, --alter")
	}
	if err := e.checkInvalid(c.Parser, s, c.alter, c.describe); err != nil {
		return err
	}
	if err := e.checkInvalid(c.Parser, s, c.describe, c.alter, c.addConfig, c.deleteConfig); err != nil {
		return err
	}
	types := c.entityTypes
	seen := map[string]bool{}
	var dups []string
	for _, t := range types {
		if seen[t] {
			dups = append(dups, t)
		}
		seen[t] = true
	}
	if len(dups) > 0 {
		return illegalArgument("Duplicate entity type(s) specified: %s", strings.Join(dups, ","))
	}
	allowed, connect := zkSupportedConfigTypes, "--zookeeper"
	if s.Has(c.bootstrap) {
		allowed, connect = brokerSupportedConfigTypes, "--bootstrap-server"
	}
	for _, t := range types {
		if !contains(allowed, t) {
			return illegalArgument("Invalid entity type %s, the entity type must be one of %s with the %s argument", t, strings.Join(allowed, ","), connect)
		}
	}
	if len(types) == 0 {
		return illegalArgument("At least one entity type must be specified")
	}
	if len(types) > 1 && !(len(types) == 2 && seen["users"] && seen["clients"]) {
		return illegalArgument("Only 'users' and 'clients' entity types may be specified together")
	}
	specific := false
	for _, o := range []*Opt{c.topic, c.client, c.user, c.broker, c.brokerLogger, c.ip, c.clientDefaults, c.userDefaults, c.brokerDefaults, c.ipDefaults} {
		if s.Has(o) {
			specific = true
		}
	}
	if (s.Has(c.entityName) || s.Has(c.entityType) || s.Has(c.entityDefault)) && specific {
		return illegalArgument("--entity-{type,name,default} should not be used in conjunction with specific entity flags")
	}
	hasName, hasDefault := false, false
	for _, n := range c.entityNames {
		if n == "" {
			hasDefault = true
		} else {
			hasName = true
		}
	}
	if !s.Has(c.bootstrap) && !s.Has(c.zk) {
		return illegalArgument("One of the required --bootstrap-server or --zookeeper arguments must be specified")
	} else if s.Has(c.bootstrap) && s.Has(c.zk) {
		return illegalArgument("Only one of --bootstrap-server or --zookeeper must be specified")
	}
	if s.Has(c.all) && s.Has(c.zk) {
		return illegalArgument("--bootstrap-server must be specified for --all")
	}
	if hasName && (seen["brokers"] || seen[brokerLoggerConfigType]) {
		for _, o := range []*Opt{c.entityName, c.broker, c.brokerLogger} {
			if !s.Has(o) {
				continue
			}
			if _, err := strconv.ParseInt(s.ValueOf(o), 10, 32); err != nil {
				return illegalArgument("The entity name for %s must be a valid integer broker id, but it is: %s", types[0], s.ValueOf(o))
			}
		}
	}
	if s.Has(c.describe) && seen[brokerLoggerConfigType] && !hasName {
		return illegalArgument("an entity name must be specified with --describe of %s", strings.Join(types, ","))
	}
	if s.Has(c.alter) {
		if seen["users"] || seen["clients"] || seen["brokers"] || seen["ips"] {
			if !hasName && !hasDefault {
				return illegalArgument("an entity-name or default entity must be specified with --alter of users, clients, brokers or ips")
			}
		} else if !hasName {
			return illegalArgument("an entity name must be specified with --alter of %s", strings.Join(types, ","))
		}
		if s.Has(c.addConfig) && s.Has(c.addConfigFile) {
			return illegalArgument("Only one of --add-config or --add-config-file must be specified")
		}
		if !s.Has(c.addConfig) && !s.Has(c.addConfigFile) && !s.Has(c.deleteConfig) {
			return illegalArgument("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter")
		}
	}
	return nil
}

func configsTool(e *env, args []string) error {
	c := newConfigsOptions(args)
	s, err := c.Parse(args)
	if err != nil {
		fmt.Fprintln(e.Stderr, err.Error())
		return exitCode(1)
	}
	c.s = s
	if err := e.helpAndExitIfNeeded(c.toolOptions, s, "This tool helps to manipulate and describe entity config for a topic, client, user, broker or ip"); err != nil {
		return err
	}
	c.computeEntities()
	err = c.checkArgs(e)
	if err == nil {
		if s.Has(c.zk) {
			fmt.Fprintln(e.Stdout, "Warning: --zookeeper is deprecated and will be removed in a future version of Kafka.")
			fmt.Fprintln(e.Stdout, "Use --bootstrap-server instead to specify a broker to connect to.")
			err = c.runZk(e)
		} else {
			err = c.runAdmin(e)
		}
	}
	return c.finish(e, err)
}

// finish is ConfigCommand.main's catch: IllegalArgument/InvalidConfiguration/jopt errors print
// their message alone; anything else the generic line plus the exception.
func (c *configsOptions) finish(e *env, err error) error {
	if err == nil {
		return nil
	}
	var code exitCode
	if errors.As(err, &code) {
		return code
	}
	var je *javaError
	if !errors.As(err, &je) {
		je = toolError(err, "configCommand")
	}
	switch je.Class {
	case "java.lang.IllegalArgumentException", "org.apache.kafka.common.errors.InvalidConfigurationException":
		fmt.Fprintln(e.Stderr, je.Msg)
	default:
		fmt.Fprintf(e.Stderr, "Error while executing config command with args '%s'\n", strings.Join(c.args, " "))
		fmt.Fprintln(e.Stderr, je.String())
	}
	return exitCode(1)
}

func invalidConfiguration(format string, args ...any) *javaError {
	return newJavaError("org.apache.kafka.common.errors.InvalidConfigurationException", format, args...)
}

// splitOutsideBrackets splits s at sep where the rest of the string, up to the next '[' (or
// the end), holds no ']' — the lookahead ConfigCommand uses.
func splitOutsideBrackets(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] != sep {
			continue
		}
		rest := s[i+1:]
		j := strings.IndexByte(rest, '[')
		if j < 0 {
			j = len(rest)
		}
		if !strings.Contains(rest[:j], "]") {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	// Java's split drops trailing empty strings.
	out = append(out, s[start:])
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// parseAddConfig is parseConfigsToBeAdded for --add-config: "k1=v1,k2=[a,b]".
func parseAddConfig(v string) (map[string]string, []string, error) {
	props := map[string]string{}
	var order []string
	for _, pair := range splitOutsideBrackets(v, ',') {
		kv := splitKV(pair)
		if len(kv) != 2 {
			return nil, nil, illegalArgument("Invalid entity config: all configs to be added must be in the format \"key=val\".")
		}
		k := strings.TrimSpace(kv[0])
		val := strings.TrimSpace(strings.NewReplacer("[", "", "]", "").Replace(kv[1]))
		if _, ok := props[k]; !ok {
			order = append(order, k)
		}
		props[k] = val
	}
	return props, order, nil
}

// splitKV splits at '=' (with surrounding spaces) outside brackets, keeping trailing empties.
func splitKV(pair string) []string {
	var out []string
	start := 0
	for i := 0; i < len(pair); i++ {
		if pair[i] != '=' {
			continue
		}
		rest := pair[i+1:]
		j := strings.IndexByte(rest, '[')
		if j < 0 {
			j = len(rest)
		}
		if strings.Contains(rest[:j], "]") {
			continue
		}
		out = append(out, strings.TrimRight(pair[start:i], " \t"))
		k := i + 1
		for k < len(pair) && (pair[k] == ' ' || pair[k] == '\t') {
			k++
		}
		start = k
		i = k - 1
	}
	return append(out, pair[start:])
}

func (c *configsOptions) configsToAdd(e *env) (map[string]string, error) {
	props := map[string]string{}
	if c.s.Has(c.addConfigFile) {
		p, err := config.LoadProperties(c.s.ValueOf(c.addConfigFile))
		if err != nil {
			return nil, newJavaError("java.nio.file.NoSuchFileException", "%s", c.s.ValueOf(c.addConfigFile))
		}
		for k, v := range p {
			props[k] = v
		}
	}
	if c.s.Has(c.addConfig) {
		m, _, err := parseAddConfig(c.s.ValueOf(c.addConfig))
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			props[k] = v
		}
	}
	if v, ok := props["message.format.version"]; ok {
		fmt.Fprintf(e.Stdout, "WARNING: The configuration message.format.version=%s is specified. This configuration will be ignored if the version is newer than the inter.broker.protocol.version specified in the broker.\n", v)
	}
	return props, nil
}

func (c *configsOptions) configsToDelete() []string {
	var out []string
	for _, v := range c.s.ValuesOf(c.deleteConfig) {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				out = append(out, k)
			}
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------
// ZooKeeper mode.

// zkConfigEntity is ConfigCommand.ConfigEntity: a root entity and, for user+client quotas,
// a child. Names are raw (unsanitized); "" means no name, "<default>" the default entity.
type zkConfigEntity struct {
	rootType, rootName   string
	childType, childName string
	hasRootName          bool
	hasChild, hasChildNm bool
}

func entityTypeName(t string) string {
	switch t {
	case "users":
		return "user-principal"
	case "clients":
		return "client-id"
	case "topics":
		return "topic"
	}
	return t
}

func entityString(t, name string, hasName bool) string {
	if !hasName {
		return t
	}
	if name == zkmeta.DefaultEntityName {
		return "default " + entityTypeName(t)
	}
	return fmt.Sprintf("%s '%s'", entityTypeName(t), name)
}

func (z zkConfigEntity) String() string {
	s := entityString(z.rootType, z.rootName, z.hasRootName)
	if z.hasChild {
		s += ", " + entityString(z.childType, z.childName, z.hasChildNm)
	}
	return s
}

// fullName is the name zkmeta expects: "<user>/clients/<client>" for user+client.
func (z zkConfigEntity) fullName() string {
	if z.hasChild {
		return z.rootName + "/clients/" + z.childName
	}
	return z.rootName
}

func (c *configsOptions) parseZkEntity() (zkConfigEntity, error) {
	types, names := c.entityTypes, c.entityNames
	def := func(n string) string {
		if n == "" {
			return zkmeta.DefaultEntityName
		}
		return n
	}
	if types[0] != "users" && types[0] != "clients" {
		ent := zkConfigEntity{rootType: types[0]}
		if len(names) > 0 {
			ent.rootName, ent.hasRootName = def(names[0]), true
		}
		return ent, nil
	}
	if c.s.Has(c.alter) && len(names) != len(types) {
		return zkConfigEntity{}, illegalArgument("--entity-name or --entity-default must be specified with each --entity-type for --alter")
	}
	if len(types) == 2 && types[0] == "clients" {
		types = []string{types[1], types[0]}
		if len(names) == 2 {
			names = []string{names[1], names[0]}
		}
	}
	ent := zkConfigEntity{rootType: types[0]}
	if len(names) > 0 {
		ent.rootName, ent.hasRootName = def(names[0]), true
	}
	if len(types) > 1 {
		ent.hasChild, ent.childType = true, types[1]
		if len(names) > 1 {
			ent.childName, ent.hasChildNm = def(names[1]), true
		}
	}
	return ent, nil
}

func (c *configsOptions) runZk(e *env) error {
	zc, err := zkmeta.Connect(c.s.ValueOf(c.zk), 30*time.Second, 30*time.Second, toolLogger(e))
	if err != nil {
		return zkError(err)
	}
	defer zc.Close()
	ent, err := c.parseZkEntity()
	if err != nil {
		return err
	}
	if c.s.Has(c.alter) {
		return c.alterZk(e, zc, ent)
	}
	return c.describeZk(e, zc, ent)
}

func (c *configsOptions) alterZk(e *env, zc *zkmeta.Client, ent zkConfigEntity) error {
	add, err := c.configsToAdd(e)
	if err != nil {
		return err
	}
	del := c.configsToDelete()
	switch ent.rootType {
	case "brokers":
		var dynamic []string
		for k := range add {
			if !zkWritableWhileBrokerRunning[k] {
				dynamic = append(dynamic, k)
			}
		}
		if len(dynamic) > 0 {
			sort.Strings(dynamic)
			msg := fmt.Sprintf("--bootstrap-server option must be specified to update broker configs Set(%s)", strings.Join(dynamic, ", "))
			info := "Broker configuration updates using ZooKeeper are supported for bootstrapping before brokers are started to enable encrypted password configs to be stored in ZooKeeper."
			if ent.rootName != zkmeta.DefaultEntityName {
				id, _ := strconv.Atoi(ent.rootName)
				if _, err := zc.GetBroker(int32(id)); err == nil {
					return illegalArgument("requirement failed: %s when broker %s is running. %s", msg, ent.rootName, info)
				}
			} else if bs, _ := zc.GetAllBrokers(); len(bs) > 0 {
				return illegalArgument("requirement failed: %s for default cluster if any broker is running. %s", msg, info)
			}
		}
	case "users":
		if err := preProcessScram(add); err != nil {
			return err
		}
	}
	current, err := zc.GetEntityConfig(ent.rootType, ent.fullName())
	if err != nil {
		return zkError(err)
	}
	var invalid []string
	for _, k := range del {
		if _, ok := current[k]; !ok {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		return invalidConfiguration("Invalid config(s): %s", strings.Join(invalid, ","))
	}
	for k, v := range add {
		current[k] = v
	}
	for _, k := range del {
		delete(current, k)
	}
	switch ent.rootType {
	case "topics":
		if err := zkmeta.ValidateTopicName(ent.rootName); err != nil {
			return zkError(err)
		}
		if _, err := zc.GetTopicAssignment(ent.rootName); err != nil {
			if errors.Is(err, zkmeta.ErrNoNode) {
				return newJavaError("org.apache.kafka.common.errors.UnknownTopicOrPartitionException", "Topic '%s' does not exist.", ent.rootName)
			}
			return zkError(err)
		}
		if err := config.ValidateTopicConfigs(current); err != nil {
			var ce *config.Error
			if errors.As(err, &ce) && ce.Exception != "" {
				return newJavaError(ce.Exception, "%s", ce.Msg)
			}
			return invalidConfiguration("%s", config.Message(err))
		}
	case "clients", "users", "ips":
		allowed := clientQuotaConfigs
		if ent.rootType == "users" && !ent.hasChild && ent.rootName != zkmeta.DefaultEntityName {
			allowed = userConfigs
		}
		if ent.rootType == "ips" {
			allowed = ipConfigs
		}
		for _, k := range sortedKeysOf(current) {
			if !contains(allowed, k) {
				return newJavaError("org.apache.kafka.common.config.ConfigException", "Unknown Dynamic Configuration '%s'.", k)
			}
			if strings.HasPrefix(k, "SCRAM-") {
				continue
			}
			if _, err := strconv.ParseFloat(current[k], 64); err != nil {
				return newJavaError("org.apache.kafka.common.config.ConfigException", "Invalid value %s for configuration %s: Not a number of type DOUBLE", current[k], k)
			}
		}
	}
	if err := zc.SetEntityConfig(ent.rootType, ent.fullName(), current); err != nil {
		return zkError(err)
	}
	fmt.Fprintf(e.Stdout, "Completed updating config for entity: %s.\n", ent)
	return nil
}

func sortedKeysOf(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c *configsOptions) describeZk(e *env, zc *zkmeta.Client, ent zkConfigEntity) error {
	var entities []zkConfigEntity
	switch {
	case !ent.hasRootName:
		names, err := zc.GetEntityNames(ent.rootType)
		if err != nil {
			return zkError(err)
		}
		sort.Strings(names)
		for _, n := range names {
			if ent.rootType == "users" && strings.Contains(n, "/clients/") {
				continue
			}
			r := zkConfigEntity{rootType: ent.rootType, rootName: n, hasRootName: true}
			if ent.hasChild {
				kids, err := zc.Children(zkmeta.EntityConfigPath(ent.rootType, zkmeta.SanitizeEntityName(ent.rootType, n)) + "/clients")
				if err != nil && !errors.Is(err, zkmeta.ErrNoNode) {
					return zkError(err)
				}
				for _, k := range kids {
					d, _ := zkmeta.Desanitize(k)
					if k == zkmeta.DefaultEntityName {
						d = k
					}
					entities = append(entities, zkConfigEntity{rootType: r.rootType, rootName: n, hasRootName: true,
						hasChild: true, childType: ent.childType, childName: d, hasChildNm: true})
				}
				continue
			}
			entities = append(entities, r)
		}
	case ent.hasChild && !ent.hasChildNm:
		kids, err := zc.Children(zkmeta.EntityConfigPath(ent.rootType, zkmeta.SanitizeEntityName(ent.rootType, ent.rootName)) + "/clients")
		if err != nil && !errors.Is(err, zkmeta.ErrNoNode) {
			return zkError(err)
		}
		for _, k := range kids {
			d, _ := zkmeta.Desanitize(k)
			if k == zkmeta.DefaultEntityName {
				d = k
			}
			ch := ent
			ch.childName, ch.hasChildNm = d, true
			entities = append(entities, ch)
		}
	default:
		entities = []zkConfigEntity{ent}
	}
	describeAllUsers := ent.rootType == "users" && !ent.hasRootName && !ent.hasChild
	for _, en := range entities {
		cfg, err := zc.GetEntityConfig(en.rootType, en.fullName())
		if err != nil {
			return zkError(err)
		}
		if len(cfg) == 0 && describeAllUsers {
			continue
		}
		parts := make([]string, 0, len(cfg))
		for _, k := range sortedKeysOf(cfg) {
			parts = append(parts, k+"="+cfg[k])
		}
		fmt.Fprintf(e.Stdout, "Configs for %s are %s\n", en, strings.Join(parts, ","))
	}
	return nil
}

// ---------------------------------------------------------------------------------------
// Admin API mode.

func (c *configsOptions) runAdmin(e *env) error {
	a, err := newAdminConn(c.s.ValueOf(c.bootstrap), c.s.ValueOf(c.commandConfig))
	if err != nil {
		return err
	}
	defer a.close()
	if c.s.Has(c.alter) {
		if len(c.entityTypes) != len(c.entityNames) {
			return illegalArgument("An entity name must be specified for every entity type")
		}
		return c.alterAdmin(e, a)
	}
	return c.describeAdmin(e, a)
}

func resourceTypeOf(entityType string) kmsg.ConfigResourceType {
	switch entityType {
	case "topics":
		return kmsg.ConfigResourceTypeTopic
	case "brokers":
		return kmsg.ConfigResourceTypeBroker
	}
	return kmsg.ConfigResourceTypeBrokerLogger
}

// describeResource is getResourceConfig: DescribeConfigs with synonyms, filtered to the
// entity's dynamic source unless describeAll.
func (c *configsOptions) describeResource(a *adminConn, entityType, name string, describeAll bool) ([]kmsg.DescribeConfigsResponseResourceConfig, error) {
	var want kmsg.ConfigSource = -1
	switch entityType {
	case "topics":
		if name != "" {
			if err := zkmeta.ValidateTopicName(name); err != nil {
				return nil, newJavaError("org.apache.kafka.common.errors.InvalidTopicException", "%s", zkmeta.Message(err))
			}
		}
		want = kmsg.ConfigSourceDynamicTopicConfig
	case "brokers":
		if name == "" {
			want = kmsg.ConfigSourceDynamicDefaultBrokerConfig
		} else {
			if _, err := strconv.Atoi(name); err != nil {
				return nil, illegalArgument("The entity name for %s must be a valid integer broker id, found: %s", entityType, name)
			}
			want = kmsg.ConfigSourceDynamicBrokerConfig
		}
	case brokerLoggerConfigType:
		if name != "" {
			if _, err := strconv.Atoi(name); err != nil {
				return nil, illegalArgument("The entity name for %s must be a valid integer broker id, found: %s", entityType, name)
			}
		}
	default:
		return nil, illegalArgument("Invalid entity type: %s", entityType)
	}
	if describeAll {
		want = -1
	}
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = true
	rr := kmsg.NewDescribeConfigsRequestResource()
	rr.ResourceType = resourceTypeOf(entityType)
	rr.ResourceName = name
	req.Resources = append(req.Resources, rr)
	ctx, cancel := a.ctx()
	defer cancel()
	var resp *kmsg.DescribeConfigsResponse
	var err error
	if id, perr := strconv.Atoi(name); perr == nil && entityType != "topics" {
		resp, err = req.RequestWith(ctx, a.cl.Broker(id))
	} else {
		resp, err = req.RequestWith(ctx, a.cl)
	}
	if err != nil {
		return nil, execution(toolError(err, "describeConfigs"))
	}
	if len(resp.Resources) == 0 {
		return nil, nil
	}
	r := resp.Resources[0]
	if r.ErrorCode != 0 {
		return nil, execution(apiError(r.ErrorCode, r.ErrorMessage))
	}
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, cfg := range r.Configs {
		if want == -1 || cfg.Source == want {
			out = append(out, cfg)
		}
	}
	return out, nil
}

func javaStringPtr(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

// formatConfigEntry is one describe line: "  k=v sensitive=false synonyms={SRC:k=v, ...}".
func formatConfigEntry(cfg kmsg.DescribeConfigsResponseResourceConfig) string {
	syn := make([]string, 0, len(cfg.ConfigSynonyms))
	for _, s := range cfg.ConfigSynonyms {
		syn = append(syn, fmt.Sprintf("%s:%s=%s", s.Source, s.Name, javaStringPtr(s.Value)))
	}
	return fmt.Sprintf("  %s=%s sensitive=%t synonyms={%s}", cfg.Name, javaStringPtr(cfg.Value), cfg.IsSensitive, strings.Join(syn, ", "))
}

func (c *configsOptions) describeAdmin(e *env, a *adminConn) error {
	head := c.entityTypes[0]
	describeAll := c.s.Has(c.all)
	switch head {
	case "topics", "brokers", brokerLoggerConfigType:
	case "users", "clients", "ips":
		return c.describeQuotas(e, a)
	default:
		return illegalArgument("Invalid entity type: %s", head)
	}
	var entities []string
	if len(c.entityNames) > 0 {
		entities = []string{c.entityNames[0]}
	} else {
		ctx, cancel := a.ctx()
		defer cancel()
		if head == "topics" {
			req := kmsg.NewPtrMetadataRequest()
			resp, err := req.RequestWith(ctx, a.cl)
			if err != nil {
				return execution(toolError(err, "listTopics"))
			}
			for _, t := range resp.Topics {
				if t.Topic != nil && t.ErrorCode == 0 {
					entities = append(entities, *t.Topic)
				}
			}
			sort.Strings(entities)
		} else {
			req := kmsg.NewPtrMetadataRequest()
			req.Topics = []kmsg.MetadataRequestTopic{}
			resp, err := req.RequestWith(ctx, a.cl)
			if err != nil {
				return execution(toolError(err, "describeCluster"))
			}
			for _, b := range resp.Brokers {
				entities = append(entities, strconv.Itoa(int(b.NodeID)))
			}
			entities = append(entities, "")
		}
	}
	for _, name := range entities {
		if name == "" {
			fmt.Fprintf(e.Stdout, "Default configs for %s in the cluster are:\n", head)
		} else {
			src := "Dynamic"
			if describeAll {
				src = "All"
			}
			fmt.Fprintf(e.Stdout, "%s configs for %s %s are:\n", src, strings.TrimSuffix(head, "s"), name)
		}
		cfgs, err := c.describeResource(a, head, name, describeAll)
		if err != nil {
			return err
		}
		for _, cfg := range cfgs {
			fmt.Fprintln(e.Stdout, formatConfigEntry(cfg))
		}
	}
	return nil
}

func (c *configsOptions) alterAdmin(e *env, a *adminConn) error {
	head, name := c.entityTypes[0], c.entityNames[0]
	add, err := c.configsToAdd(e)
	if err != nil {
		return err
	}
	del := c.configsToDelete()
	ctx, cancel := a.ctx()
	defer cancel()
	switch head {
	case "topics", brokerLoggerConfigType:
		old, err := c.describeResource(a, head, name, false)
		if err != nil {
			return err
		}
		oldNames := map[string]bool{}
		for _, o := range old {
			oldNames[o.Name] = true
		}
		if head == brokerLoggerConfigType {
			all, err := c.describeResource(a, head, name, true)
			if err != nil {
				return err
			}
			for _, o := range all {
				oldNames[o.Name] = true
			}
			var bad []string
			for _, k := range del {
				if !oldNames[k] {
					bad = append(bad, k)
				}
			}
			for _, k := range sortedKeysOf(add) {
				if !oldNames[k] {
					bad = append(bad, k)
				}
			}
			if len(bad) > 0 {
				return invalidConfiguration("Invalid broker logger(s): %s", strings.Join(bad, ","))
			}
		} else {
			var bad []string
			for _, k := range del {
				if !oldNames[k] {
					bad = append(bad, k)
				}
			}
			if len(bad) > 0 {
				return invalidConfiguration("Invalid config(s): %s", strings.Join(bad, ","))
			}
		}
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		rr := kmsg.NewIncrementalAlterConfigsRequestResource()
		rr.ResourceType = resourceTypeOf(head)
		rr.ResourceName = name
		for _, k := range sortedKeysOf(add) {
			cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
			cfg.Name, cfg.Value, cfg.Op = k, kmsg.StringPtr(add[k]), kmsg.IncrementalAlterConfigOpSet
			rr.Configs = append(rr.Configs, cfg)
		}
		for _, k := range del {
			cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
			cfg.Name, cfg.Value, cfg.Op = k, kmsg.StringPtr(""), kmsg.IncrementalAlterConfigOpDelete
			rr.Configs = append(rr.Configs, cfg)
		}
		req.Resources = append(req.Resources, rr)
		var resp *kmsg.IncrementalAlterConfigsResponse
		if head == brokerLoggerConfigType {
			id, _ := strconv.Atoi(name)
			resp, err = req.RequestWith(ctx, a.cl.Broker(id))
		} else {
			resp, err = req.RequestWith(ctx, a.cl)
		}
		if err != nil {
			return execution(toolError(err, "incrementalAlterConfigs"))
		}
		for _, r := range resp.Resources {
			if r.ErrorCode != 0 {
				return alterError(r.ErrorCode, r.ErrorMessage)
			}
		}
	case "brokers":
		old, err := c.describeResource(a, head, name, false)
		if err != nil {
			return err
		}
		oldMap := map[string]*string{}
		for _, o := range old {
			oldMap[o.Name] = o.Value
		}
		var bad []string
		for _, k := range del {
			if _, ok := oldMap[k]; !ok {
				bad = append(bad, k)
			}
		}
		if len(bad) > 0 {
			return invalidConfiguration("Invalid config(s): %s", strings.Join(bad, ","))
		}
		for k, v := range add {
			oldMap[k] = kmsg.StringPtr(v)
		}
		for _, k := range del {
			delete(oldMap, k)
		}
		var sensitive []string
		for _, k := range sortedKeysOf(ptrKeys(oldMap)) {
			if oldMap[k] == nil {
				sensitive = append(sensitive, k)
			}
		}
		if len(sensitive) > 0 {
			return invalidConfiguration("All sensitive broker config entries must be specified for --alter, missing entries: Set(%s)", strings.Join(sensitive, ", "))
		}
		req := kmsg.NewPtrAlterConfigsRequest()
		rr := kmsg.NewAlterConfigsRequestResource()
		rr.ResourceType = kmsg.ConfigResourceTypeBroker
		rr.ResourceName = name
		for _, k := range sortedKeysOf(ptrKeys(oldMap)) {
			cfg := kmsg.NewAlterConfigsRequestResourceConfig()
			cfg.Name, cfg.Value = k, oldMap[k]
			rr.Configs = append(rr.Configs, cfg)
		}
		req.Resources = append(req.Resources, rr)
		var resp *kmsg.AlterConfigsResponse
		if name != "" {
			id, _ := strconv.Atoi(name)
			resp, err = req.RequestWith(ctx, a.cl.Broker(id))
		} else {
			resp, err = req.RequestWith(ctx, a.cl)
		}
		if err != nil {
			return execution(toolError(err, "alterConfigs"))
		}
		for _, r := range resp.Resources {
			if r.ErrorCode != 0 {
				return alterError(r.ErrorCode, r.ErrorMessage)
			}
		}
	case "users", "clients", "ips":
		if err := c.alterQuotas(a, add, del); err != nil {
			return err
		}
	default:
		return illegalArgument("Unsupported entity type: %s", head)
	}
	if name != "" {
		fmt.Fprintf(e.Stdout, "Completed updating config for %s %s.\n", strings.TrimSuffix(head, "s"), name)
	} else {
		fmt.Fprintf(e.Stdout, "Completed updating default config for %s in the cluster.\n", head)
	}
	return nil
}

// alterError is a resource-level failure of an alter call.
func alterError(code int16, msg *string) error {
	return execution(apiError(code, msg))
}

// execution wraps a failed admin future as the ExecutionException KafkaFuture.get throws;
// ConfigCommand reports those through its generic "Error while executing" path.
func execution(je *javaError) *javaError {
	return newJavaError("java.util.concurrent.ExecutionException", "%s", je.String())
}

func ptrKeys(m map[string]*string) map[string]string {
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = ""
	}
	return out
}

func quotaEntityType(t string) string {
	switch t {
	case "users":
		return "user"
	case "clients":
		return "client-id"
	}
	return "ip"
}

func (c *configsOptions) quotaComponents() []kadm.DescribeClientQuotaComponent {
	var comps []kadm.DescribeClientQuotaComponent
	for i, t := range c.entityTypes {
		comp := kadm.DescribeClientQuotaComponent{Type: quotaEntityType(t)}
		if i < len(c.entityNames) {
			if c.entityNames[i] == "" {
				comp.MatchType = kmsg.QuotasMatchTypeDefault
			} else {
				comp.MatchType = kmsg.QuotasMatchTypeExact
				comp.MatchName = kmsg.StringPtr(c.entityNames[i])
			}
		} else {
			comp.MatchType = kmsg.QuotasMatchTypeAny
		}
		comps = append(comps, comp)
	}
	return comps
}

func javaDoubleString(f float64) string { return javaDouble(f) }

func (c *configsOptions) describeQuotas(e *env, a *adminConn) error {
	ctx, cancel := a.ctx()
	defer cancel()
	res, err := a.adm.DescribeClientQuotas(ctx, true, c.quotaComponents())
	if err != nil {
		return execution(toolError(err, "describeClientQuotas"))
	}
	for _, q := range res {
		var parts []string
		for _, want := range []string{"user", "client-id", "ip"} {
			for _, comp := range q.Entity {
				if comp.Type != want {
					continue
				}
				label := map[string]string{"user": "user-principal", "client-id": "client-id", "ip": "ip"}[want]
				if comp.Name == nil {
					parts = append(parts, "the default "+label)
				} else {
					parts = append(parts, fmt.Sprintf("%s '%s'", label, *comp.Name))
				}
			}
		}
		var vals []string
		for _, v := range q.Values {
			vals = append(vals, fmt.Sprintf("%s=%s", v.Key, javaDoubleString(v.Value)))
		}
		fmt.Fprintf(e.Stdout, "Quota configs for %s are %s\n", strings.Join(parts, ", "), strings.Join(vals, ", "))
	}
	return nil
}

func (c *configsOptions) alterQuotas(a *adminConn, add map[string]string, del []string) error {
	head := c.entityTypes[0]
	for k := range add {
		allowed := clientQuotaConfigs
		if head == "ips" {
			allowed = ipConfigs
		}
		if !contains(allowed, k) {
			if head == "ips" {
				return illegalArgument("Only connection quota configs can be added for 'ips' using --bootstrap-server. Unexpected config names: %s", k)
			}
			return illegalArgument("Only quota configs can be added for '%s' using --bootstrap-server. Unexpected config names: Set(%s)", head, k)
		}
	}
	ctx, cancel := a.ctx()
	defer cancel()
	existing, err := a.adm.DescribeClientQuotas(ctx, true, c.quotaComponents())
	if err != nil {
		return execution(toolError(err, "describeClientQuotas"))
	}
	have := map[string]bool{}
	for _, q := range existing {
		for _, v := range q.Values {
			have[v.Key] = true
		}
	}
	var bad []string
	for _, k := range del {
		if !have[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		return invalidConfiguration("Invalid config(s): %s", strings.Join(bad, ","))
	}
	entry := kadm.AlterClientQuotaEntry{}
	for i, t := range c.entityTypes {
		comp := kadm.ClientQuotaEntityComponent{Type: quotaEntityType(t)}
		if c.entityNames[i] != "" {
			comp.Name = kmsg.StringPtr(c.entityNames[i])
		}
		entry.Entity = append(entry.Entity, comp)
	}
	for _, k := range sortedKeysOf(add) {
		f, err := strconv.ParseFloat(add[k], 64)
		if err != nil {
			return illegalArgument("Cannot parse quota configuration value for %s: %s", k, add[k])
		}
		entry.Ops = append(entry.Ops, kadm.AlterClientQuotaOp{Key: k, Value: f})
	}
	for _, k := range del {
		entry.Ops = append(entry.Ops, kadm.AlterClientQuotaOp{Key: k, Remove: true})
	}
	res, err := a.adm.AlterClientQuotas(ctx, []kadm.AlterClientQuotaEntry{entry})
	if err != nil {
		return execution(toolError(err, "alterClientQuotas"))
	}
	for _, r := range res {
		if r.Err != nil {
			var ke *kerr.Error
			if errors.As(r.Err, &ke) {
				return execution(apiError(ke.Code, kmsg.StringPtr(r.ErrMessage)))
			}
			return r.Err
		}
	}
	return nil
}
