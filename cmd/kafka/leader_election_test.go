package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseElectionJSON(t *testing.T) {
	got, err := parseElectionJSON([]byte(`{"partitions":[{"topic":"foo","partition":1},{"topic":"bar","partition":2}]}`), false)
	if err != nil || !reflect.DeepEqual(got, []tpKey{{"foo", 1}, {"bar", 2}}) {
		t.Errorf("%v %v", got, err)
	}
	for _, c := range []struct {
		in        string
		preferred bool
		msg       string
	}{
		{`nope`, false, "Replica election data is empty"},
		{`{"version":1}`, false, `Replica election data is missing "partitions" field`},
		{`{"version":1}`, true, "Preferred replica election data is empty"},
		{`{"partitions":[{"topic":"a","partition":0},{"topic":"a","partition":0}]}`, false, "Replica election data contains duplicate partitions: a-0"},
		{`{"partitions":[{"topic":"a","partition":0},{"topic":"a","partition":0}]}`, true, "Preferred replica election data contains duplicate partitions: a-0"},
	} {
		if _, err := parseElectionJSON([]byte(c.in), c.preferred); err == nil || err.Error() != c.msg {
			t.Errorf("%s (preferred tool %v): %v", c.in, c.preferred, err)
		}
	}
}

func TestScalaSet(t *testing.T) {
	if got := scalaSet(nil); got != "Set()" {
		t.Error(got)
	}
	if got := scalaSet([]tpKey{{"t", 0}, {"t", 1}}); got != "Set(t-0, t-1)" {
		t.Error(got)
	}
	if got := scalaSet([]tpKey{{"t", 0}, {"t", 1}, {"t", 2}, {"t", 3}, {"t", 4}}); !strings.HasPrefix(got, "HashSet(") {
		t.Error(got)
	}
}

func TestLeaderElectionArgumentErrors(t *testing.T) {
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{nil, "This tool attempts to elect a new leader for a set of topic partitions. The type of elections supported are preferred replicas and unclean replicas."},
		{[]string{"--all-topic-partitions"}, `Exception in thread "main" kafka.common.AdminCommandFailedException: Missing required option(s): election-type, bootstrap-server`},
		{[]string{"--bootstrap-server", "b:1", "--all-topic-partitions"}, `Exception in thread "main" kafka.common.AdminCommandFailedException: Missing required option(s): election-type`},
		{[]string{"--bootstrap-server", "b:1", "--election-type", "PREFERRED"}, `Exception in thread "main" kafka.common.AdminCommandFailedException: One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file`},
		{[]string{"--bootstrap-server", "b:1", "--election-type", "PREFERRED", "--all-topic-partitions", "--topic", "t"}, `Exception in thread "main" kafka.common.AdminCommandFailedException: One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file`},
		{[]string{"--bootstrap-server", "b:1", "--election-type", "PREFERRED", "--topic", "t"}, `Exception in thread "main" kafka.common.AdminCommandFailedException: Missing required option(s): partition`},
		{[]string{"--bootstrap-server", "b:1", "--election-type", "PREFERRED", "--all-topic-partitions", "--partition", "1"}, `Exception in thread "main" kafka.common.AdminCommandFailedException: Option partition is only allowed if topic is used`},
		{[]string{"--bootstrap-server", "b:1", "--election-type", "best", "--all-topic-partitions"}, `Exception in thread "main" joptsimple.OptionArgumentConversionException: Cannot parse argument 'best' of option election-type`},
		{[]string{"--bootstrap-server", "b:1", "--election-type", "preferred", "--topic", "t", "--partition", "x"}, `Exception in thread "main" joptsimple.OptionArgumentConversionException: Cannot parse argument 'x' of option partition`},
	} {
		_, errOut, code := runIn(t, "kafka-leader-election", "", c.args...)
		if code != 1 || firstLine(errOut) != c.stderr {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errOut)
		}
	}
}

func TestPreferredReplicaElectionArgumentErrors(t *testing.T) {
	const deprecated = "This tool is deprecated. Please use kafka-leader-election tool. Tracking issue: KAFKA-8405"
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{nil, "This tool helps to causes leadership for each partition to be transferred back to the 'preferred replica', it can be used to balance leadership among the servers."},
		{[]string{"--path-to-json-file", "x.json"}, "Exactly one of '[bootstrap-server]' or '[zookeeper]' must be provided"},
		{[]string{"--zookeeper", "z:1", "--bootstrap-server", "b:1"}, `Exception in thread "main" joptsimple.UnavailableOptionException: Option(s) [zookeeper, bootstrap-server] are unavailable given other options on the command line`},
		{[]string{"--zookeeper", "z:1", "--admin.config", "a.properties"}, `Exception in thread "main" joptsimple.UnavailableOptionException: Option(s) [admin.config] are unavailable given other options on the command line`},
	} {
		out, errOut, code := runIn(t, "kafka-preferred-replica-election", "", c.args...)
		if code != 1 || firstLine(out) != deprecated || firstLine(errOut) != c.stderr {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", c.args, code, out, errOut)
		}
	}
}
