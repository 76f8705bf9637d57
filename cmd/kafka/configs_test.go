package main

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestParseAddConfig(t *testing.T) {
	got, order, err := parseAddConfig("retention.ms=1000, cleanup.policy=[compact,delete],k3 = v3,ssl.endpoint.identification.algorithm=")
	want := map[string]string{"retention.ms": "1000", "cleanup.policy": "compact,delete", "k3": "v3", "ssl.endpoint.identification.algorithm": ""}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v %v", got, err)
	}
	if !reflect.DeepEqual(order, []string{"retention.ms", "cleanup.policy", "k3", "ssl.endpoint.identification.algorithm"}) {
		t.Errorf("order %v", order)
	}
	if _, _, err := parseAddConfig("novalue"); err == nil || err.Error() != `Invalid entity config: all configs to be added must be in the format "key=val".` {
		t.Errorf("bad pair: %v", err)
	}
	if got := splitOutsideBrackets("a=[1,2],b=3,", ','); !reflect.DeepEqual(got, []string{"a=[1,2]", "b=3"}) {
		t.Errorf("split %q", got)
	}
}

func TestConfigEntryLine(t *testing.T) {
	cfg := kmsg.NewDescribeConfigsResponseResourceConfig()
	cfg.Name, cfg.Value = "retention.ms", kmsg.StringPtr("1000")
	s1 := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
	s1.Name, s1.Value, s1.Source = "retention.ms", kmsg.StringPtr("1000"), kmsg.ConfigSourceDynamicTopicConfig
	s2 := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
	s2.Name, s2.Value, s2.Source = "log.retention.hours", kmsg.StringPtr("168"), kmsg.ConfigSourceStaticBrokerConfig
	cfg.ConfigSynonyms = append(cfg.ConfigSynonyms, s1, s2)
	want := "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, STATIC_BROKER_CONFIG:log.retention.hours=168}"
	if got := formatConfigEntry(cfg); got != want {
		t.Errorf("got %q", got)
	}
	cfg.Value, cfg.IsSensitive, cfg.ConfigSynonyms = nil, true, nil
	if got := formatConfigEntry(cfg); got != "  retention.ms=null sensitive=true synonyms={}" {
		t.Errorf("got %q", got)
	}
}

func TestZkEntityNames(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		full string
	}{
		{[]string{"--entity-type", "topics", "--entity-name", "orders"}, "topic 'orders'", "orders"},
		{[]string{"--entity-type", "brokers", "--entity-default"}, "default brokers", "<default>"},
		{[]string{"--broker", "0"}, "brokers '0'", "0"},
		{[]string{"--entity-type", "users", "--entity-name", "alice"}, "user-principal 'alice'", "alice"},
		{[]string{"--entity-type", "clients", "--entity-name", "app", "--entity-type", "users", "--entity-name", "alice"},
			"user-principal 'alice', client-id 'app'", "alice/clients/app"},
		{[]string{"--entity-type", "users", "--entity-default", "--entity-type", "clients", "--entity-name", "app"},
			"default user-principal, client-id 'app'", "<default>/clients/app"},
		{[]string{"--user", "alice", "--client", "app"}, "user-principal 'alice', client-id 'app'", "alice/clients/app"},
	} {
		c := newConfigsOptions(tc.args)
		s, err := c.Parse(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		c.s = s
		c.computeEntities()
		ent, err := c.parseZkEntity()
		if err != nil || ent.String() != tc.want || ent.fullName() != tc.full {
			t.Errorf("%v: %q %q %v", tc.args, ent.String(), ent.fullName(), err)
		}
	}
}

func TestConfigsArgChecks(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"--zookeeper", "z:1", "--entity-type", "topics"}, "Command must include exactly one action: --describe, --alter"},
		{[]string{"--describe"}, "At least one entity type must be specified"},
		{[]string{"--describe", "--entity-type", "topics"}, "One of the required --bootstrap-server or --zookeeper arguments must be specified"},
		{[]string{"--describe", "--entity-type", "topics", "--zookeeper", "z", "--bootstrap-server", "b"}, "Only one of --bootstrap-server or --zookeeper must be specified"},
		{[]string{"--describe", "--entity-type", "nodes", "--zookeeper", "z"}, "Invalid entity type nodes, the entity type must be one of topics,clients,users,brokers,ips with the --zookeeper argument"},
		{[]string{"--describe", "--entity-type", "topics", "--zookeeper", "z", "--all"}, "--bootstrap-server must be specified for --all"},
		{[]string{"--alter", "--entity-type", "topics", "--zookeeper", "z", "--add-config", "a=b"}, "an entity name must be specified with --alter of topics"},
		{[]string{"--alter", "--entity-type", "brokers", "--zookeeper", "z", "--add-config", "a=b"}, "an entity-name or default entity must be specified with --alter of users, clients, brokers or ips"},
		{[]string{"--alter", "--topic", "t", "--zookeeper", "z"}, "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter"},
		{[]string{"--describe", "--entity-type", "topics", "--entity-type", "topics", "--zookeeper", "z"}, "Duplicate entity type(s) specified: topics"},
		{[]string{"--describe", "--entity-type", "topics", "--topic", "t", "--zookeeper", "z"}, "Duplicate entity type(s) specified: topics"},
		{[]string{"--describe", "--entity-type", "brokers", "--entity-name", "x", "--zookeeper", "z"}, "The entity name for brokers must be a valid integer broker id, but it is: x"},
		{[]string{"--describe", "--entity-type", "topics", "--zookeeper", "z", "--frob"}, "frob is not a recognized option"},
	} {
		out, errOut, code := runIn(t, "kafka-configs", "", tc.args...)
		if code != 1 || out != "" || firstLine(errOut) != tc.stderr {
			t.Errorf("%v: exit %d out %q err %q want %q", tc.args, code, out, firstLine(errOut), tc.stderr)
		}
	}
}

func TestScramCredential(t *testing.T) {
	// RFC 7677's SCRAM-SHA-256 example: user "user", password "pencil", 4096 iterations.
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	got, err := scramCredential(scramMechanisms[0], "pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	// StoredKey = H(ClientKey) and ServerKey from the RFC's worked exchange.
	want := "salt=W22ZaJ0SNY7soEsUEjb6gQ==,stored_key=WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,server_key=wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=,iterations=4096"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	cfg := map[string]string{"SCRAM-SHA-512": "iterations=8192,password=alice-secret", "producer_byte_rate": "1024"}
	if err := preProcessScram(cfg); err != nil || !strings.HasSuffix(cfg["SCRAM-SHA-512"], ",iterations=8192") || !strings.HasPrefix(cfg["SCRAM-SHA-512"], "salt=") {
		t.Errorf("%v %v", cfg, err)
	}
	if err := preProcessScram(map[string]string{"SCRAM-SHA-256": "iterations=10,password=x"}); err == nil || err.Error() != "Iterations 10 is less than the minimum 4096 required for SCRAM_SHA_256" {
		t.Errorf("%v", err)
	}
	if err := preProcessScram(map[string]string{"SCRAM-SHA-256": "pw"}); err == nil || err.Error() != "Invalid credential property SCRAM_SHA_256=pw" {
		t.Errorf("%v", err)
	}
}
