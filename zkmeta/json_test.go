package zkmeta

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// sameJSON compares two documents structurally (key order ignored).
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("our output is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("reference is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}

func exact(t *testing.T, got []byte, want string) {
	t.Helper()
	if string(got) != want {
		t.Fatalf("bytes differ\n got: %s\nwant: %s", got, want)
	}
}

// Reference examples (kafka-classic.md §1).
const (
	refClusterID   = `{"version":"1","id":"IOejp_IKSbWbySJc0sRrKw"}`
	refController  = `{"version":1,"brokerid":0,"timestamp":"1614570663255"}`
	refBrokerV5    = `{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://localhost:9092"],"jmx_port":-1,"port":9092,"host":"localhost","version":5,"timestamp":"1625140000000"}`
	refTopic       = `{"version":3,"partitions":{"0":[1,2,3],"1":[2,3,1]},"adding_replicas":{},"removing_replicas":{},"topic_id":"3kPU2tNRTz2cZnlvYF5mLg"}`
	refState       = `{"controller_epoch":1,"leader":0,"version":1,"leader_epoch":0,"isr":[0,1,2]}`
	refConfig      = `{"version":1,"config":{"retention.ms":"86400000","cleanup.policy":"compact"}}`
	refChange      = `{"version":2,"entity_path":"topics/my-topic"}`
	refReassign    = `{"version":1,"partitions":[{"topic":"foo","partition":1,"replicas":[1,2,3]}]}`
	refPreferred   = `{"version":1,"partitions":[{"topic":"foo","partition":0},{"topic":"bar","partition":2}]}`
	refIsrChange   = `{"version":1,"partitions":[{"topic":"foo","partition":0},{"topic":"foo","partition":3}]}`
	refProducerIDs = `{"version":1,"broker":0,"block_start":"0","block_end":"999"}`
	refFeature     = `{"features":{},"version":1,"status":1}`
)

func TestClusterIDJSON(t *testing.T) {
	exact(t, EncodeClusterID("IOejp_IKSbWbySJc0sRrKw"), refClusterID)
	id, err := DecodeClusterID([]byte(refClusterID))
	if err != nil || id != "IOejp_IKSbWbySJc0sRrKw" {
		t.Fatalf("got %q %v", id, err)
	}
	// Tolerate a numeric version and other key orders.
	id, err = DecodeClusterID([]byte(`{"id":"abc","version":1}`))
	if err != nil || id != "abc" {
		t.Fatalf("got %q %v", id, err)
	}
}

func TestControllerJSON(t *testing.T) {
	exact(t, EncodeController(0, 1614570663255), refController)
	id, err := DecodeController([]byte(refController))
	if err != nil || id != 0 {
		t.Fatalf("got %d %v", id, err)
	}
	id, err = DecodeController([]byte(`{"timestamp":"1","brokerid":7,"version":1}`))
	if err != nil || id != 7 {
		t.Fatalf("got %d %v", id, err)
	}
	if id, err := DecodeController([]byte("3")); err != nil || id != 3 {
		t.Fatalf("bare int: %d %v", id, err)
	}
	if _, err := DecodeController([]byte(`{"version":1}`)); !errors.Is(err, ErrBadData) {
		t.Fatalf("missing brokerid: %v", err)
	}
}

func TestBrokerInfoJSON(t *testing.T) {
	b := BrokerInfo{ID: 0, Endpoints: []Endpoint{{Listener: "PLAINTEXT", Host: "localhost", Port: 9092, SecurityProtocol: "PLAINTEXT"}},
		JmxPort: -1, Timestamp: 1625140000000}
	exact(t, b.Encode(), refBrokerV5)
	sameJSON(t, b.Encode(), refBrokerV5)

	got, err := DecodeBrokerInfo(0, []byte(refBrokerV5))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, b) {
		t.Fatalf("decoded %+v want %+v", got, b)
	}

	// No PLAINTEXT endpoint: host null, port -1; rack only when set; IPv6 bracketed.
	b2 := BrokerInfo{ID: 3, Rack: "r1", Timestamp: 5, Endpoints: []Endpoint{
		{Listener: "INTERNAL", Host: "::1", Port: 9093, SecurityProtocol: "SSL"},
		{Listener: "EXTERNAL", Host: "h", Port: 9094, SecurityProtocol: "SASL_SSL"},
	}}
	exact(t, b2.Encode(), `{"features":{},"listener_security_protocol_map":{"INTERNAL":"SSL","EXTERNAL":"SASL_SSL"},"endpoints":["INTERNAL://[::1]:9093","EXTERNAL://h:9094"],"jmx_port":-1,"port":-1,"host":null,"rack":"r1","version":5,"timestamp":"5"}`)
	got2, err := DecodeBrokerInfo(3, b2.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b2.JmxPort = -1
	if !reflect.DeepEqual(got2, b2) {
		t.Fatalf("decoded %+v want %+v", got2, b2)
	}

	// A named PLAINTEXT-protocol listener provides host/port.
	b3 := BrokerInfo{ID: 1, JmxPort: 9999, Timestamp: 1, Endpoints: []Endpoint{
		{Listener: "CLIENT", Host: "a", Port: 1, SecurityProtocol: "PLAINTEXT"}}}
	exact(t, b3.Encode(), `{"features":{},"listener_security_protocol_map":{"CLIENT":"PLAINTEXT"},"endpoints":["CLIENT://a:1"],"jmx_port":9999,"port":1,"host":"a","version":5,"timestamp":"1"}`)

	// v4 in the order observed on 2.x clusters.
	v4 := `{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://kafka1:9092"],"jmx_port":-1,"host":"kafka1","timestamp":"1558000000000","port":9092,"version":4}`
	got4, err := DecodeBrokerInfo(1, []byte(v4))
	if err != nil {
		t.Fatal(err)
	}
	if got4.Timestamp != 1558000000000 || len(got4.Endpoints) != 1 || got4.Endpoints[0] != (Endpoint{"PLAINTEXT", "kafka1", 9092, "PLAINTEXT"}) {
		t.Fatalf("v4 decoded %+v", got4)
	}
	// v1/v2: host and port only.
	got1, err := DecodeBrokerInfo(2, []byte(`{"jmx_port":-1,"timestamp":"1","host":"old","version":1,"port":9092}`))
	if err != nil || len(got1.Endpoints) != 1 || got1.Endpoints[0].Host != "old" || got1.Endpoints[0].Listener != "PLAINTEXT" {
		t.Fatalf("v1 decoded %+v %v", got1, err)
	}
	// v3: endpoints without a protocol map; the listener name is the protocol.
	got3, err := DecodeBrokerInfo(2, []byte(`{"endpoints":["SSL://h:9093"],"host":null,"port":-1,"version":3,"rack":"x"}`))
	if err != nil || got3.Endpoints[0].SecurityProtocol != "SSL" || got3.Rack != "x" {
		t.Fatalf("v3 decoded %+v %v", got3, err)
	}
	if _, err := DecodeBrokerInfo(2, []byte(`{"endpoints":["FOO://h:1"],"listener_security_protocol_map":{},"version":4}`)); !errors.Is(err, ErrBadData) {
		t.Fatalf("unmapped listener: %v", err)
	}
}

func TestTopicAssignmentJSON(t *testing.T) {
	a := TopicAssignment{Topic: "t", Partitions: map[int32][]int32{0: {1, 2, 3}, 1: {2, 3, 1}}, TopicID: "3kPU2tNRTz2cZnlvYF5mLg"}
	exact(t, a.Encode(), refTopic)
	got, err := DecodeTopicAssignment("t", []byte(refTopic))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Partitions, a.Partitions) || got.TopicID != a.TopicID || len(got.Adding) != 0 || got.ZkVersion != -1 {
		t.Fatalf("decoded %+v", got)
	}
	// The --zookeeper tool writes no topic_id; partitions sort numerically.
	b := TopicAssignment{Partitions: map[int32][]int32{10: {0}, 2: {1}, 1: {2}}}
	exact(t, b.Encode(), `{"version":3,"partitions":{"1":[2],"2":[1],"10":[0]},"adding_replicas":{},"removing_replicas":{}}`)
	// Reassignment state round-trips.
	c := TopicAssignment{Partitions: map[int32][]int32{0: {1, 2, 3}}, Adding: map[int32][]int32{0: {3}}, Removing: map[int32][]int32{0: {1}}}
	exact(t, c.Encode(), `{"version":3,"partitions":{"0":[1,2,3]},"adding_replicas":{"0":[3]},"removing_replicas":{"0":[1]}}`)
	// v1 without the reassignment maps.
	v1, err := DecodeTopicAssignment("t", []byte(`{"partitions":{"0":[0,1]},"version":1}`))
	if err != nil || !reflect.DeepEqual(v1.Partitions, map[int32][]int32{0: {0, 1}}) || v1.Adding == nil || len(v1.Removing) != 0 || v1.TopicID != "" {
		t.Fatalf("v1 decoded %+v %v", v1, err)
	}
	if _, err := DecodeTopicAssignment("t", []byte(`{"version":3,"partitions":{"x":[1]}}`)); !errors.Is(err, ErrBadData) {
		t.Fatalf("bad partition key: %v", err)
	}
	if _, err := DecodeTopicAssignment("t", nil); !errors.Is(err, ErrBadData) {
		t.Fatalf("null data: %v", err)
	}
}

func TestLeaderIsrJSON(t *testing.T) {
	li := LeaderIsr{Leader: 0, LeaderEpoch: 0, ISR: []int32{0, 1, 2}, ControllerEpoch: 1}
	exact(t, li.Encode(), refState)
	got, err := DecodeLeaderIsr([]byte(`{"isr":[0,1,2],"leader_epoch":0,"version":1,"leader":0,"controller_epoch":1}`))
	if err != nil {
		t.Fatal(err)
	}
	li.ZkVersion = -1
	if !reflect.DeepEqual(got, li) {
		t.Fatalf("decoded %+v", got)
	}
	exact(t, LeaderIsr{Leader: -1, LeaderEpoch: 4, ControllerEpoch: 2}.Encode(),
		`{"controller_epoch":2,"leader":-1,"version":1,"leader_epoch":4,"isr":[]}`)
}

func TestEntityConfigJSON(t *testing.T) {
	cfg := map[string]string{"retention.ms": "86400000", "cleanup.policy": "compact"}
	sameJSON(t, EncodeEntityConfig(cfg), refConfig)
	exact(t, EncodeEntityConfig(cfg), `{"version":1,"config":{"cleanup.policy":"compact","retention.ms":"86400000"}}`)
	exact(t, EncodeEntityConfig(nil), `{"version":1,"config":{}}`)
	exact(t, EncodeEntityConfig(map[string]string{"k": `a"<b>&\`}), `{"version":1,"config":{"k":"a\"<b>&\\"}}`)
	got, err := DecodeEntityConfig([]byte(refConfig))
	if err != nil || !reflect.DeepEqual(got, cfg) {
		t.Fatalf("decoded %v %v", got, err)
	}
	got, err = DecodeEntityConfig(nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("null: %v %v", got, err)
	}
}

func TestConfigChangeJSON(t *testing.T) {
	exact(t, EncodeConfigChange("topics/my-topic"), refChange)
	for _, tc := range []struct{ in, typ, name string }{
		{refChange, "topics", "my-topic"},
		{`{"version":1,"entity_type":"topics","entity_name":"x"}`, "topics", "x"},
		{`{"entity_path":"users/alice/clients/app%201","version":2}`, "users", "alice/clients/app 1"},
		{`{"version":2,"entity_path":"brokers/<default>"}`, "brokers", "<default>"},
		{`{"version":2,"entity_path":"clients/a%2Ab"}`, "clients", "a*b"},
	} {
		typ, name, err := DecodeConfigChange([]byte(tc.in))
		if err != nil || typ != tc.typ || name != tc.name {
			t.Errorf("%s: got %q %q %v", tc.in, typ, name, err)
		}
	}
	if _, _, err := DecodeConfigChange([]byte(`{"version":2,"entity_path":"topics"}`)); !errors.Is(err, ErrBadData) {
		t.Fatalf("bad entity path: %v", err)
	}
}

func TestAdminZnodesJSON(t *testing.T) {
	exact(t, EncodeReassignment(map[TP][]int32{{"foo", 1}: {1, 2, 3}}), refReassign)
	m, err := DecodeReassignment([]byte(refReassign))
	if err != nil || !reflect.DeepEqual(m, map[TP][]int32{{"foo", 1}: {1, 2, 3}}) {
		t.Fatalf("reassign decoded %v %v", m, err)
	}
	exact(t, EncodePreferredReplicaElection([]TP{{"foo", 0}, {"bar", 2}}), refPreferred)
	tps, err := DecodePreferredReplicaElection([]byte(refPreferred))
	if err != nil || !reflect.DeepEqual(tps, []TP{{"foo", 0}, {"bar", 2}}) {
		t.Fatalf("preferred decoded %v %v", tps, err)
	}
	exact(t, EncodeIsrChangeNotification([]TP{{"foo", 0}, {"foo", 3}}), refIsrChange)
	tps, err = DecodeIsrChangeNotification([]byte(`{"partitions":[{"partition":0,"topic":"foo"}],"version":1}`))
	if err != nil || !reflect.DeepEqual(tps, []TP{{"foo", 0}}) {
		t.Fatalf("isr change decoded %v %v", tps, err)
	}
	exact(t, ProducerIDBlock{BrokerID: 0, Start: 0, End: 999}.Encode(), refProducerIDs)
	b, err := DecodeProducerIDBlock([]byte(`{"block_end":"1999","broker":2,"version":1,"block_start":"1000"}`))
	if err != nil || b != (ProducerIDBlock{2, 1000, 1999}) {
		t.Fatalf("producer block decoded %+v %v", b, err)
	}
	exact(t, EncodeFeatureZNode(true), refFeature)
}

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"alice", "alice"},
		{"User:alice", "User%3Aalice"},
		{"a b", "a%20b"},
		{"a*b", "a%2Ab"},
		{"a+b", "a%2Bb"},
		{"x.y-z_w", "x.y-z_w"},
		{"é", "%C3%A9"},
		{"CN=a,O=b", "CN%3Da%2CO%3Db"},
	} {
		if got := Sanitize(tc.in); got != tc.out {
			t.Errorf("Sanitize(%q) = %q want %q", tc.in, got, tc.out)
		}
		if back, err := Desanitize(tc.out); err != nil || back != tc.in {
			t.Errorf("Desanitize(%q) = %q %v", tc.out, back, err)
		}
	}
	if got, _ := Desanitize("a+b"); got != "a b" {
		t.Errorf("URLDecoder treats + as space, got %q", got)
	}
	if _, err := Desanitize("a%2"); err == nil {
		t.Error("incomplete escape accepted")
	}
	if got := SanitizeEntityName(ConfigTypeUser, "User:a/clients/c 1"); got != "User%3Aa/clients/c%201" {
		t.Errorf("user/client: %q", got)
	}
	if got := SanitizeEntityName(ConfigTypeUser, "<default>/clients/<default>"); got != "<default>/clients/<default>" {
		t.Errorf("defaults: %q", got)
	}
	if got := SanitizeEntityName(ConfigTypeTopic, "a.b"); got != "a.b" {
		t.Errorf("topics are not sanitized: %q", got)
	}
}

func TestTopicID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := NewTopicID()
		if len(id) != 22 || id[0] == '-' || seen[id] {
			t.Fatalf("bad id %q", id)
		}
		seen[id] = true
		u, err := ParseTopicID(id)
		if err != nil || FormatTopicID(u) != id || u[6]>>4 != 4 {
			t.Fatalf("round trip %q: %v", id, err)
		}
	}
	if FormatTopicID([16]byte{}) != "" {
		t.Fatal("zero uuid should format as empty")
	}
}

func TestParseConnect(t *testing.T) {
	for _, tc := range []struct {
		in      string
		servers []string
		chroot  string
	}{
		{"localhost:2181", []string{"localhost:2181"}, ""},
		{"a:1,b:2/kafka", []string{"a:1", "b:2"}, "/kafka"},
		{"a:1/kafka/prod/", []string{"a:1"}, "/kafka/prod"},
		{"a:1/", []string{"a:1"}, ""},
	} {
		s, c, err := ParseConnect(tc.in)
		if err != nil || !reflect.DeepEqual(s, tc.servers) || c != tc.chroot {
			t.Errorf("%q: %v %q %v", tc.in, s, c, err)
		}
	}
	if _, _, err := ParseConnect("/kafka"); err == nil {
		t.Error("no servers accepted")
	}
}
