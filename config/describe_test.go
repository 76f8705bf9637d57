package config

import (
	"reflect"
	"testing"
)

func entryMap(entries []Entry) map[string]Entry {
	m := make(map[string]Entry, len(entries))
	for _, e := range entries {
		m[e.Name] = e
	}
	return m
}

func val(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func syn(name, value string, source int8) Synonym {
	return Synonym{Name: name, Value: &value, Source: source}
}

func TestDescribeTopicSourcesAndSynonyms(t *testing.T) {
	b := mustBroker(t, Properties{
		"log.retention.hours": "168",
		"log.segment.bytes":   "1073741824",
		"log.roll.ms":         "3600000",
	})
	entries := b.DescribeTopic(map[string]string{"retention.ms": "1000", "cleanup.policy": "compact, delete"})

	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name
	}
	if !reflect.DeepEqual(names, TopicConfigNames()) {
		t.Fatalf("entries not every topic config in name order: %v", names)
	}

	tests := []struct {
		name     string
		value    string
		source   int8
		typ      Type
		synonyms []Synonym
	}{
		// log.retention.hours outranks nothing named log.retention.ms, so Kafka drops it.
		{"retention.ms", "1000", SourceDynamicTopicConfig, TypeLong, []Synonym{
			syn("retention.ms", "1000", SourceDynamicTopicConfig),
		}},
		{"cleanup.policy", "compact,delete", SourceDynamicTopicConfig, TypeList, []Synonym{
			syn("cleanup.policy", "compact,delete", SourceDynamicTopicConfig),
			syn("log.cleanup.policy", "delete", SourceDefaultConfig),
		}},
		{"segment.bytes", "1073741824", SourceStaticBrokerConfig, TypeInt, []Synonym{
			syn("log.segment.bytes", "1073741824", SourceStaticBrokerConfig),
			syn("log.segment.bytes", "1073741824", SourceDefaultConfig),
		}},
		{"segment.ms", "3600000", SourceStaticBrokerConfig, TypeLong, []Synonym{
			syn("log.roll.ms", "3600000", SourceStaticBrokerConfig),
			syn("log.roll.hours", "168", SourceDefaultConfig),
		}},
		{"max.message.bytes", "1048588", SourceDefaultConfig, TypeInt, []Synonym{
			syn("message.max.bytes", "1048588", SourceDefaultConfig),
		}},
		{"flush.ms", "9223372036854775807", SourceDefaultConfig, TypeLong, nil},
		{"segment.jitter.ms", "0", SourceDefaultConfig, TypeLong, nil},
		{"min.cleanable.dirty.ratio", "0.5", SourceDefaultConfig, TypeDouble, []Synonym{
			syn("log.cleaner.min.cleanable.ratio", "0.5", SourceDefaultConfig),
		}},
		{"unclean.leader.election.enable", "false", SourceDefaultConfig, TypeBoolean, []Synonym{
			syn("unclean.leader.election.enable", "false", SourceDefaultConfig),
		}},
		{"message.format.version", "2.8-IV1", SourceDefaultConfig, TypeString, []Synonym{
			syn("log.message.format.version", "2.8-IV1", SourceDefaultConfig),
		}},
		{"leader.replication.throttled.replicas", "", SourceDefaultConfig, TypeList, nil},
	}
	m := entryMap(entries)
	for _, tt := range tests {
		e, ok := m[tt.name]
		if !ok {
			t.Errorf("%s missing", tt.name)
			continue
		}
		if val(e.Value) != tt.value || e.Source != tt.source || e.Type != int8(tt.typ) || e.ReadOnly || e.Sensitive {
			t.Errorf("%s = value %s source %d type %d ro %v sens %v; want %s %d %d", tt.name,
				val(e.Value), e.Source, e.Type, e.ReadOnly, e.Sensitive, tt.value, tt.source, tt.typ)
		}
		if !reflect.DeepEqual(e.Synonyms, tt.synonyms) {
			t.Errorf("%s synonyms = %s, want %s", tt.name, fmtSyns(e.Synonyms), fmtSyns(tt.synonyms))
		}
		if e.Doc == "" {
			t.Errorf("%s has no doc", tt.name)
		}
	}
}

func fmtSyns(s []Synonym) string {
	out := "["
	for _, x := range s {
		out += x.Name + "=" + val(x.Value) + "/" + string(rune('0'+x.Source)) + " "
	}
	return out + "]"
}

func TestDescribeTopicRetentionSynonymOrder(t *testing.T) {
	b := mustBroker(t, Properties{
		"log.retention.hours":   "10",
		"log.retention.minutes": "20",
		"log.retention.ms":      "30",
	})
	e := entryMap(b.DescribeTopic(nil))["retention.ms"]
	want := []Synonym{
		syn("log.retention.ms", "30", SourceStaticBrokerConfig),
		syn("log.retention.minutes", "20", SourceStaticBrokerConfig),
		syn("log.retention.hours", "10", SourceStaticBrokerConfig),
		syn("log.retention.hours", "168", SourceDefaultConfig),
	}
	if val(e.Value) != "30" || e.Source != SourceStaticBrokerConfig || !reflect.DeepEqual(e.Synonyms, want) {
		t.Fatalf("retention.ms = %s source %d synonyms %s", val(e.Value), e.Source, fmtSyns(e.Synonyms))
	}
}

// With the shipped server.properties, Kafka 2.8 reports retention.ms as a plain default with
// no synonyms even though log.retention.hours=168 is in the file (ConfigHelper only lists
// synonyms from the topic config's primary broker key onwards).
func TestDescribeTopicRetentionFromHoursOnly(t *testing.T) {
	p, err := LoadProperties("server.properties")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBroker(p)
	if err != nil {
		t.Fatal(err)
	}
	m := entryMap(b.DescribeTopic(nil))
	if e := m["retention.ms"]; val(e.Value) != "604800000" || e.Source != SourceDefaultConfig || e.Synonyms != nil {
		t.Errorf("retention.ms = %s source %d synonyms %s", val(e.Value), e.Source, fmtSyns(e.Synonyms))
	}
	want := []Synonym{
		syn("log.segment.bytes", "1073741824", SourceStaticBrokerConfig),
		syn("log.segment.bytes", "1073741824", SourceDefaultConfig),
	}
	if e := m["segment.bytes"]; e.Source != SourceStaticBrokerConfig || !reflect.DeepEqual(e.Synonyms, want) {
		t.Errorf("segment.bytes source %d synonyms %s", e.Source, fmtSyns(e.Synonyms))
	}
}

func TestDescribeTopicDefaults(t *testing.T) {
	b := mustBroker(t, Properties{})
	m := entryMap(b.DescribeTopic(nil))
	for name, want := range map[string]string{
		"retention.ms":                        "604800000",
		"retention.bytes":                     "-1",
		"segment.bytes":                       "1073741824",
		"segment.ms":                          "604800000",
		"cleanup.policy":                      "delete",
		"compression.type":                    "producer",
		"preallocate":                         "false",
		"message.downconversion.enable":       "true",
		"message.timestamp.type":              "CreateTime",
		"message.timestamp.difference.max.ms": "9223372036854775807",
		"min.insync.replicas":                 "1",
		"delete.retention.ms":                 "86400000",
		"file.delete.delay.ms":                "60000",
	} {
		e := m[name]
		if val(e.Value) != want || e.Source != SourceDefaultConfig {
			t.Errorf("%s = %s (source %d), want %s from DEFAULT_CONFIG", name, val(e.Value), e.Source, want)
		}
	}
}

func TestDescribeTopicInvalidStoredOverride(t *testing.T) {
	b := mustBroker(t, Properties{})
	m := entryMap(b.DescribeTopic(map[string]string{"retention.ms": "bogus", "segment.bytes": "2048"}))
	if e := m["retention.ms"]; val(e.Value) != "bogus" || e.Source != SourceDynamicTopicConfig {
		t.Errorf("retention.ms = %s source %d", val(e.Value), e.Source)
	}
	if e := m["segment.bytes"]; val(e.Value) != "2048" || e.Source != SourceDynamicTopicConfig {
		t.Errorf("segment.bytes = %s source %d", val(e.Value), e.Source)
	}
}

func TestDescribeBroker(t *testing.T) {
	b := mustBroker(t, Properties{
		"broker.id":           "0",
		"log.retention.hours": "168",
		"log.retention.ms":    "5000",
		"ssl.key.password":    "secret",
		"my.custom.setting":   "x",
		"num.partitions":      " 3 ",
	})
	entries := b.DescribeBroker()
	for i := 1; i < len(entries); i++ {
		if entries[i-1].Name >= entries[i].Name {
			t.Fatalf("entries not sorted at %s", entries[i].Name)
		}
	}
	m := entryMap(entries)
	tests := []struct {
		name      string
		value     string
		source    int8
		sensitive bool
		readOnly  bool
		synonyms  []Synonym
	}{
		{"broker.id", "0", SourceStaticBrokerConfig, false, true, []Synonym{
			syn("broker.id", "0", SourceStaticBrokerConfig), syn("broker.id", "-1", SourceDefaultConfig)}},
		{"num.partitions", "3", SourceStaticBrokerConfig, false, true, []Synonym{
			syn("num.partitions", " 3 ", SourceStaticBrokerConfig), syn("num.partitions", "1", SourceDefaultConfig)}},
		{"log.retention.ms", "5000", SourceStaticBrokerConfig, false, false, []Synonym{
			syn("log.retention.ms", "5000", SourceStaticBrokerConfig),
			syn("log.retention.hours", "168", SourceStaticBrokerConfig),
			syn("log.retention.hours", "168", SourceDefaultConfig)}},
		{"log.retention.hours", "168", SourceStaticBrokerConfig, false, true, []Synonym{
			syn("log.retention.hours", "168", SourceStaticBrokerConfig),
			syn("log.retention.hours", "168", SourceDefaultConfig)}},
		{"log.retention.minutes", "<nil>", SourceDefaultConfig, false, true, nil},
		{"log.message.format.version", "2.8-IV1", SourceDefaultConfig, false, true, []Synonym{
			syn("log.message.format.version", "2.8-IV1", SourceDefaultConfig)}},
		{"num.io.threads", "8", SourceDefaultConfig, false, false, []Synonym{
			syn("num.io.threads", "8", SourceDefaultConfig)}},
		{"listeners", "<nil>", SourceDefaultConfig, false, false, nil},
		{"message.max.bytes", "1048588", SourceDefaultConfig, false, false, []Synonym{
			syn("message.max.bytes", "1048588", SourceDefaultConfig)}},
		{"zookeeper.connect", "localhost:2181", SourceStaticBrokerConfig, false, true, []Synonym{
			syn("zookeeper.connect", "localhost:2181", SourceStaticBrokerConfig)}},
		{"ssl.key.password", "<nil>", SourceStaticBrokerConfig, true, false, []Synonym{
			{Name: "ssl.key.password", Source: SourceStaticBrokerConfig}}},
		{"my.custom.setting", "<nil>", SourceStaticBrokerConfig, true, true, []Synonym{
			{Name: "my.custom.setting", Source: SourceStaticBrokerConfig}}},
	}
	for _, tt := range tests {
		e, ok := m[tt.name]
		if !ok {
			t.Errorf("%s missing", tt.name)
			continue
		}
		if val(e.Value) != tt.value || e.Source != tt.source || e.Sensitive != tt.sensitive || e.ReadOnly != tt.readOnly {
			t.Errorf("%s = value %s source %d sensitive %v readOnly %v; want %s %d %v %v", tt.name,
				val(e.Value), e.Source, e.Sensitive, e.ReadOnly, tt.value, tt.source, tt.sensitive, tt.readOnly)
		}
		if !reflect.DeepEqual(e.Synonyms, tt.synonyms) {
			t.Errorf("%s synonyms = %s, want %s", tt.name, fmtSyns(e.Synonyms), fmtSyns(tt.synonyms))
		}
	}
	if e := m["ssl.key.password"]; e.Type != int8(TypePassword) {
		t.Errorf("ssl.key.password type %d", e.Type)
	}
	if e := m["log.cleaner.min.cleanable.ratio"]; e.Type != int8(TypeDouble) || val(e.Value) != "0.5" {
		t.Errorf("log.cleaner.min.cleanable.ratio = %s type %d", val(e.Value), e.Type)
	}
}
