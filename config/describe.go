package config

import "sort"

// Config sources as DescribeConfigs numbers them (ConfigEntry.ConfigSource).
const (
	SourceUnknown                    int8 = 0
	SourceDynamicTopicConfig         int8 = 1
	SourceDynamicBrokerConfig        int8 = 2
	SourceDynamicDefaultBrokerConfig int8 = 3
	SourceStaticBrokerConfig         int8 = 4
	SourceDefaultConfig              int8 = 5
)

// Entry is one config in a DescribeConfigs answer. A nil Value means null on the wire: no
// value, or a sensitive one.
type Entry struct {
	Name      string
	Value     *string
	Source    int8
	ReadOnly  bool
	Sensitive bool
	Type      int8 // Kafka's ConfigType (see the Type constants)
	Doc       string
	Synonyms  []Synonym
}

// Synonym is one place a config's value may come from, most specific first.
type Synonym struct {
	Name   string
	Value  *string
	Source int8
}

// brokerSynonymGroup lists the broker keys that set the same thing, highest precedence first
// (DynamicBrokerConfig.brokerConfigSynonyms).
func brokerSynonymGroup(name string) []string {
	switch name {
	case "log.roll.ms", "log.roll.hours":
		return []string{"log.roll.ms", "log.roll.hours"}
	case "log.roll.jitter.ms", "log.roll.jitter.hours":
		return []string{"log.roll.jitter.ms", "log.roll.jitter.hours"}
	case "log.flush.interval.ms": // the scheduler interval is only its fallback, not the reverse
		return []string{"log.flush.interval.ms", "log.flush.scheduler.interval.ms"}
	case "log.retention.ms", "log.retention.minutes", "log.retention.hours":
		return []string{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}
	}
	return []string{name}
}

// configSynonyms collects the values the broker keys in name's synonym group have: static
// (server.properties) entries first, then built-in defaults, each tier in precedence order.
// Like Kafka's ConfigHelper it then drops everything ahead of the first entry for name itself,
// so keys that outrank name only show when name is set somewhere. One visible consequence,
// faithful to 2.8: with only log.retention.hours set, a topic's retention.ms (whose synonym is
// log.retention.ms) reports DEFAULT_CONFIG and no synonyms.
func (b *Broker) configSynonyms(name string, sensitive bool) []Synonym {
	group := brokerSynonymGroup(name)
	var out []Synonym
	for _, n := range group {
		if v, ok := b.Props[n]; ok {
			out = append(out, Synonym{Name: n, Value: maskedValue(v, sensitive), Source: SourceStaticBrokerConfig})
		}
	}
	for _, n := range group {
		if k, ok := brokerKeyIndex[n]; ok && k.def != nil {
			out = append(out, Synonym{Name: n, Value: maskedValue(*k.def, sensitive), Source: SourceDefaultConfig})
		}
	}
	for len(out) > 0 && out[0].Name != name {
		out = out[1:]
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func maskedValue(v string, sensitive bool) *string {
	if sensitive {
		return nil
	}
	return strPtr(v)
}

// DescribeTopic answers DescribeConfigs for a topic whose /config/topics entry is overrides:
// every topic config, sorted by name, with its effective value, source and synonyms.
func (b *Broker) DescribeTopic(overrides map[string]string) []Entry {
	// A stored override that no longer validates must not hide the rest: WithOverrides still
	// applies the good ones, and the bad one is shown as written.
	eff, _ := b.Log.WithOverrides(overrides)
	out := make([]Entry, 0, len(topicKeys))
	for _, name := range TopicConfigNames() {
		k := topicKeyIndex[name]
		value := renderValue(k.get(&eff))
		if raw, ok := overrides[name]; ok {
			if _, err := parseTopicValue(k, raw); err != nil {
				value = raw
			}
		}
		var syns []Synonym
		if _, ok := overrides[name]; ok {
			syns = append(syns, Synonym{Name: name, Value: strPtr(value), Source: SourceDynamicTopicConfig})
		}
		if k.broker != "" {
			syns = append(syns, b.configSynonyms(k.broker, false)...)
		}
		source := SourceDefaultConfig
		if len(syns) > 0 {
			source = syns[0].Source
		}
		out = append(out, Entry{
			Name:     name,
			Value:    strPtr(value),
			Source:   source,
			Type:     int8(k.typ),
			Doc:      k.doc,
			Synonyms: syns,
		})
	}
	return out
}

// DescribeBroker answers DescribeConfigs for this broker: every broker key this implementation
// knows plus any other key the properties set, sorted by name. Keys Kafka does not know are
// reported as sensitive with no value, as Kafka does for configs of unknown type.
func (b *Broker) DescribeBroker() []Entry {
	names := BrokerConfigNames()
	for name := range b.Props {
		if _, ok := brokerKeyIndex[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)

	out := make([]Entry, 0, len(names))
	for _, name := range names {
		k, known := brokerKeyIndex[name]
		if !known {
			out = append(out, Entry{
				Name:      name,
				Source:    SourceStaticBrokerConfig,
				ReadOnly:  true,
				Sensitive: true,
				Synonyms:  []Synonym{{Name: name, Source: SourceStaticBrokerConfig}},
			})
			continue
		}
		sensitive := k.typ == TypePassword
		var value *string
		if raw, ok := b.Props[name]; ok {
			if v, err := parseValue(name, k.typ, raw); err == nil {
				value = strPtr(renderValue(v))
			} else {
				value = strPtr(raw)
			}
		} else if k.def != nil {
			value = strPtr(*k.def)
		}
		if sensitive {
			value = nil
		}
		syns := b.configSynonyms(name, sensitive)
		source := SourceDefaultConfig
		if len(syns) > 0 {
			source = syns[0].Source
		}
		out = append(out, Entry{
			Name:      name,
			Value:     value,
			Source:    source,
			ReadOnly:  !k.dynamic,
			Sensitive: sensitive,
			Type:      int8(k.typ),
			Synonyms:  syns,
		})
	}
	return out
}
