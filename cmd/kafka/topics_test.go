package main

import (
	"reflect"
	"strings"
	"testing"
)

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func TestTopicsArgChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string // first line
	}{
		{"no args", nil, "Create, delete, describe, or change a topic."},
		{"no action", []string{"--zookeeper", "z:2181", "--topic", "t"},
			"Command must include exactly one action: --list, --describe, --create, --alter or --delete"},
		{"two actions", []string{"--zookeeper", "z:2181", "--list", "--describe"},
			"Command must include exactly one action: --list, --describe, --create, --alter or --delete"},
		{"no connection", []string{"--list"},
			"Exception in thread \"main\" java.lang.IllegalArgumentException: Only one of --bootstrap-server or --zookeeper must be specified"},
		{"both connections", []string{"--list", "--zookeeper", "z:2181", "--bootstrap-server", "b:9092"},
			"Exception in thread \"main\" java.lang.IllegalArgumentException: Only one of --bootstrap-server or --zookeeper must be specified"},
		{"create needs topic", []string{"--zookeeper", "z:2181", "--create"}, `Missing required argument "[topic]"`},
		{"zk create needs partitions", []string{"--zookeeper", "z:2181", "--create", "--topic", "t"}, `Missing required argument "[partitions]"`},
		{"zk create needs rf", []string{"--zookeeper", "z:2181", "--create", "--topic", "t", "--partitions", "1"}, `Missing required argument "[replication-factor]"`},
		{"describe if-exists needs topic", []string{"--zookeeper", "z:2181", "--describe", "--if-exists"}, `Missing required argument "[topic]"`},
		{"bootstrap alter config", []string{"--bootstrap-server", "b:9092", "--alter", "--topic", "t", "--config", "a=b"},
			`Option combination "[bootstrap-server],[config]" can't be used with option "[alter]" (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option)`},
		{"bootstrap alter needs partitions", []string{"--bootstrap-server", "b:9092", "--alter", "--topic", "t"}, `Missing required argument "[partitions]"`},
		{"assignment with partitions", []string{"--zookeeper", "z:2181", "--create", "--topic", "t", "--replica-assignment", "0", "--partitions", "1"},
			`Option "[replica-assignment]" can't be used with option "[partitions]"`},
		{"rf on alter", []string{"--zookeeper", "z:2181", "--alter", "--topic", "t", "--replication-factor", "1"},
			`Option "[replication-factor]" can't be used with option "[alter]"`},
		{"delete-config with bootstrap", []string{"--bootstrap-server", "b:9092", "--alter", "--topic", "t", "--partitions", "2", "--delete-config", "x"},
			`Option "[delete-config]" can't be used with option "[bootstrap-server]"`},
		{"min isr with zk", []string{"--zookeeper", "z:2181", "--describe", "--under-min-isr-partitions"},
			`Option "[under-min-isr-partitions]" can't be used with option "[zookeeper]"`},
		{"two reports", []string{"--zookeeper", "z:2181", "--describe", "--under-replicated-partitions", "--unavailable-partitions"},
			`Option "[under-replicated-partitions]" can't be used with option "[unavailable-partitions]"`},
		{"if-not-exists on delete", []string{"--zookeeper", "z:2181", "--delete", "--topic", "t", "--if-not-exists"},
			`Option "[if-not-exists]" can't be used with option "[delete]"`},
		{"exclude-internal on create", []string{"--zookeeper", "z:2181", "--create", "--topic", "t", "--partitions", "1", "--replication-factor", "1", "--exclude-internal"},
			`Option "[exclude-internal]" can't be used with option "[create]"`},
		{"unknown option", []string{"--list", "--frobnicate"},
			`Exception in thread "main" joptsimple.UnrecognizedOptionException: frobnicate is not a recognized option`},
		{"missing argument", []string{"--list", "--zookeeper"},
			`Exception in thread "main" joptsimple.OptionMissingRequiredArgumentException: Option zookeeper requires an argument`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runIn(t, "kafka-topics", "", tc.args...)
			if code != 1 {
				t.Errorf("exit %d", code)
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
			if got := firstLine(errOut); got != tc.stderr {
				t.Errorf("stderr first line\n got %q\nwant %q", got, tc.stderr)
			}
			usage := strings.Contains(errOut, "\nOption ")
			wantUsage := !strings.HasPrefix(tc.stderr, "Exception")
			if usage != wantUsage {
				t.Errorf("usage printed = %v, want %v", usage, wantUsage)
			}
		})
	}
}

func TestDescribeLines(t *testing.T) {
	d := topicDescription{Topic: "orders", TopicID: "3kPU2tNRTz2cZnlvYF5mLg", NumPartitions: 3, ReplicationFactor: 2,
		Configs: [][2]string{{"segment.bytes", "1073741824"}}}
	if got, want := d.String(), "Topic: orders\tTopicId: 3kPU2tNRTz2cZnlvYF5mLg\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: segment.bytes=1073741824"; got != want {
		t.Errorf("topic line\n got %q\nwant %q", got, want)
	}
	d = topicDescription{Topic: "t", NumPartitions: 1, ReplicationFactor: 1, MarkedForDeletion: true,
		Configs: [][2]string{{"cleanup.policy", "compact"}, {"retention.ms", "1000"}}}
	if got, want := d.String(), "Topic: t\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,retention.ms=1000\tMarkedForDeletion: true"; got != want {
		t.Errorf("topic line\n got %q\nwant %q", got, want)
	}
	d = topicDescription{Topic: "t", NumPartitions: 1, ReplicationFactor: 1}
	if got, want := d.String(), "Topic: t\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: "; got != want {
		t.Errorf("topic line\n got %q\nwant %q", got, want)
	}

	p := partitionDescription{Topic: "orders", Partition: 0, Leader: 1, HasLeader: true, Replicas: []int32{1, 2}, ISR: []int32{1, 2}}
	if got, want := p.String(), "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2"; got != want {
		t.Errorf("partition line\n got %q\nwant %q", got, want)
	}
	p = partitionDescription{Topic: "orders", Partition: 2, Replicas: []int32{2, 0}, ISR: nil, MarkedForDeletion: true}
	if got, want := p.String(), "\tTopic: orders\tPartition: 2\tLeader: none\tReplicas: 2,0\tIsr: \tMarkedForDeletion: true"; got != want {
		t.Errorf("partition line\n got %q\nwant %q", got, want)
	}
	p = partitionDescription{Topic: "o", Partition: 1, Leader: 3, HasLeader: true, Replicas: []int32{3, 1, 2}, ISR: []int32{3, 1},
		Reassigning: true, Adding: []int32{2}, Removing: []int32{1}}
	if got, want := p.String(), "\tTopic: o\tPartition: 1\tLeader: 3\tReplicas: 3,1,2\tIsr: 3,1\tAdding Replicas: 2\tRemoving Replicas: 1"; got != want {
		t.Errorf("partition line\n got %q\nwant %q", got, want)
	}
	if p.replicationFactor() != 2 || p.underReplicated() {
		t.Errorf("reassigning partition: rf %d under-replicated %v", p.replicationFactor(), p.underReplicated())
	}
}

func TestPartitionFilters(t *testing.T) {
	live := map[int32]bool{1: true, 2: true}
	full := partitionDescription{Leader: 1, HasLeader: true, Replicas: []int32{1, 2}, ISR: []int32{1, 2}, MinISR: 2}
	under := partitionDescription{Leader: 1, HasLeader: true, Replicas: []int32{1, 2}, ISR: []int32{1}, MinISR: 2}
	deadLeader := partitionDescription{Leader: 3, HasLeader: true, Replicas: []int32{3}, ISR: []int32{3}}
	none := partitionDescription{Replicas: []int32{1}}
	if full.underReplicated() || !under.underReplicated() {
		t.Error("underReplicated")
	}
	if full.unavailable(live) || !deadLeader.unavailable(live) || !none.unavailable(live) {
		t.Error("unavailable")
	}
	if full.underMinIsr() || !under.underMinIsr() || !none.underMinIsr() {
		t.Error("underMinIsr")
	}
	if !full.atMinIsr() || under.atMinIsr() {
		t.Error("atMinIsr")
	}
}

func TestParseReplicaAssignment(t *testing.T) {
	got, err := parseReplicaAssignment("0:1:2, 1:2:0,2 :0:1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32][]int32{0: {0, 1, 2}, 1: {1, 2, 0}, 2: {2, 0, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	for in, msg := range map[string]string{
		"0:a":     `For input string: "a"`,
		"0:0":     "Partition replica lists may not contain duplicate entries: 0",
		"0::1":    `For input string: ""`,
		"1:2,3":   "Partition 1 has different replication factor: [I@",
		"1,2:3,4": "Partition 1 has different replication factor: [I@",
	} {
		_, err := parseReplicaAssignment(in)
		if err == nil || !strings.HasPrefix(err.Error(), msg) {
			t.Errorf("%q: err %v, want prefix %q", in, err, msg)
		}
	}
}

func TestFilterTopics(t *testing.T) {
	all := []string{"orders", "__consumer_offsets", "orders.eu", "payments", "__transaction_state"}
	pat := "orders.*,pay.*"
	got, err := filterTopics(all, &pat, false)
	if err != nil || !reflect.DeepEqual(got, []string{"orders", "orders.eu", "payments"}) {
		t.Errorf("regex filter: %v %v", got, err)
	}
	exact := "order"
	if got, _ := filterTopics(all, &exact, false); len(got) != 0 {
		t.Errorf("the whole name must match: %v", got)
	}
	got, _ = filterTopics(all, nil, true)
	if !reflect.DeepEqual(got, []string{"orders", "orders.eu", "payments"}) {
		t.Errorf("exclude internal: %v", got)
	}
	got, _ = filterTopics(all, nil, false)
	if got[0] != "__consumer_offsets" || len(got) != 5 {
		t.Errorf("all sorted: %v", got)
	}
	quoted := `"orders"`
	if got, _ := filterTopics(all, &quoted, false); !reflect.DeepEqual(got, []string{"orders"}) {
		t.Errorf("quotes stripped: %v", got)
	}
	if err := ensureTopicExists(nil, &exact, true); err == nil || err.Error() != "Topic 'order' does not exist as expected" {
		t.Errorf("ensureTopicExists: %v", err)
	}
	if err := ensureTopicExists(nil, &exact, false); err != nil {
		t.Errorf("ensureTopicExists with if-exists: %v", err)
	}
}

func TestParseTopicConfigs(t *testing.T) {
	var e env
	var sb strings.Builder
	e.Stdout = &sb
	got, err := parseTopicConfigsToBeAdded(&e, []string{"cleanup.policy = compact", "retention.ms=1000"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, map[string]string{"cleanup.policy": "compact", "retention.ms": "1000"}) {
		t.Errorf("got %v", got)
	}
	for _, bad := range []string{"retention.ms", "a=b=c", "retention.ms="} {
		_, err := parseTopicConfigsToBeAdded(&e, []string{bad})
		if err == nil || err.Error() != `requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".` {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := parseTopicConfigsToBeDeleted([]string{"no.such.config"}); err == nil || err.Error() != "Unknown topic config name: no.such.config" {
		t.Errorf("delete unknown: %v", err)
	}
}

func TestCollisionWarningText(t *testing.T) {
	if !topicHasCollisionChars("a.b") || !topicHasCollisionChars("a_b") || topicHasCollisionChars("ab-c") {
		t.Error("collision chars")
	}
}
