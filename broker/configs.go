package broker

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/kafka-classic/kafka-classic/config"
	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/kafka-classic/kafka-classic/zkmeta"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicConfigs caches each topic's ZooKeeper overrides (/config/topics/<t>); the dynamic config
// manager refreshes an entry when a config_change notification names the topic.
type topicConfigs struct {
	mu        sync.Mutex
	overrides map[string]map[string]string
}

func (s *Server) topicOverrides(topic string) map[string]string {
	s.topicCfg.mu.Lock()
	o, ok := s.topicCfg.overrides[topic]
	s.topicCfg.mu.Unlock()
	if ok {
		return o
	}
	o, err := s.zk.GetEntityConfig("topics", topic)
	if err != nil {
		s.log.Warn().Err(err).Msgf("Could not read config overrides of topic %s; using broker defaults", topic)
		return map[string]string{}
	}
	s.topicCfg.mu.Lock()
	s.topicCfg.overrides[topic] = o
	s.topicCfg.mu.Unlock()
	return o
}

// topicLogConfig is the effective LogConfig of a topic.
func (s *Server) topicLogConfig(topic string) config.Log {
	cfg, err := s.cfg.Log.WithOverrides(s.topicOverrides(topic))
	if err != nil {
		s.log.Warn().Err(err).Msgf("Invalid config overrides for topic %s; using broker defaults", topic)
		return s.cfg.Log
	}
	return cfg
}

// onConfigChange is the DynamicConfigManager callback: re-read the entity and apply it.
func (s *Server) onConfigChange(ch zkmeta.ConfigChange) {
	if ch.EntityType != "topics" {
		s.log.Info().Msgf("Processing override for entityPath: %s/%s", ch.EntityType, ch.EntityName)
		return
	}
	o, err := s.zk.GetEntityConfig("topics", ch.EntityName)
	if err != nil {
		s.log.Warn().Err(err).Msgf("Could not read config of topic %s", ch.EntityName)
		return
	}
	s.topicCfg.mu.Lock()
	s.topicCfg.overrides[ch.EntityName] = o
	s.topicCfg.mu.Unlock()
	cfg := s.topicLogConfig(ch.EntityName)
	n := 0
	for _, p := range s.replicas.allPartitions() {
		if p.tp.Topic != ch.EntityName {
			continue
		}
		p.mu.RLock()
		if p.log != nil {
			p.log.SetConfig(cfg)
			n++
		}
		p.mu.RUnlock()
	}
	s.log.Info().Str(LoggerField, "kafka.server.TopicConfigHandler").Msgf("Processing override for entityPath: topics/%s with config: %s (applied to %d local logs)", ch.EntityName, fmtConfig(o), n)
}

func fmtConfig(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " -> " + m[k]
	}
	return "HashMap(" + strings.Join(parts, ", ") + ")"
}

// DescribeConfigs reports topic configs with their sources, and the broker's own configs.
func (s *Server) DescribeConfigs(ctx context.Context, rc *protocol.RequestContext, req *kmsg.DescribeConfigsRequest) *kmsg.DescribeConfigsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	resp.Version = req.Version
	for _, r := range req.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		var entries []config.Entry
		switch r.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			if s.cache.PartitionCount(r.ResourceName) == 0 {
				rr.ErrorCode = kerr.UnknownTopicOrPartition.Code
				resp.Resources = append(resp.Resources, rr)
				continue
			}
			entries = s.cfg.DescribeTopic(s.topicOverrides(r.ResourceName))
		case kmsg.ConfigResourceTypeBroker:
			if r.ResourceName != "" && r.ResourceName != strconv.Itoa(int(s.cfg.BrokerID)) {
				rr.ErrorCode = kerr.InvalidRequest.Code
				msg := fmt.Sprintf("Unexpected broker id, expected %d or empty string, but received %s", s.cfg.BrokerID, r.ResourceName)
				rr.ErrorMessage = &msg
				resp.Resources = append(resp.Resources, rr)
				continue
			}
			entries = s.cfg.DescribeBroker()
		default:
			rr.ErrorCode = kerr.InvalidRequest.Code
			msg := fmt.Sprintf("Unsupported resource type: %v", r.ResourceType)
			rr.ErrorMessage = &msg
			resp.Resources = append(resp.Resources, rr)
			continue
		}
		want := map[string]bool{}
		for _, n := range r.ConfigNames {
			want[n] = true
		}
		for _, e := range entries {
			if r.ConfigNames != nil && !want[e.Name] {
				continue
			}
			c := kmsg.NewDescribeConfigsResponseResourceConfig()
			c.Name, c.Value, c.ReadOnly, c.IsSensitive = e.Name, e.Value, e.ReadOnly, e.Sensitive
			c.Source = kmsg.ConfigSource(e.Source)
			c.IsDefault = e.Source == 5
			c.ConfigType = kmsg.ConfigType(e.Type)
			if req.IncludeDocumentation && e.Doc != "" {
				d := e.Doc
				c.Documentation = &d
			}
			if req.IncludeSynonyms {
				for _, syn := range e.Synonyms {
					cs := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
					cs.Name, cs.Value, cs.Source = syn.Name, syn.Value, kmsg.ConfigSource(syn.Source)
					c.ConfigSynonyms = append(c.ConfigSynonyms, cs)
				}
			}
			rr.Configs = append(rr.Configs, c)
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

// AlterConfigs replaces an entity's whole override set (the legacy, non-incremental API).
func (s *Server) AlterConfigs(ctx context.Context, rc *protocol.RequestContext, req *kmsg.AlterConfigsRequest) *kmsg.AlterConfigsResponse {
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	resp.Version = req.Version
	for _, r := range req.Resources {
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		next := map[string]string{}
		for _, c := range r.Configs {
			if c.Value != nil {
				next[c.Name] = *c.Value
			}
		}
		s.writeEntityConfig(r.ResourceType, r.ResourceName, next, req.ValidateOnly, &rr.ErrorCode, &rr.ErrorMessage)
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

// IncrementalAlterConfigs applies SET/DELETE/APPEND/SUBTRACT to an entity's current overrides.
func (s *Server) IncrementalAlterConfigs(ctx context.Context, rc *protocol.RequestContext, req *kmsg.IncrementalAlterConfigsRequest) *kmsg.IncrementalAlterConfigsResponse {
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	resp.Version = req.Version
	for _, r := range req.Resources {
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		entityType, name, ok := s.entityFor(r.ResourceType, r.ResourceName)
		if !ok {
			rr.ErrorCode = kerr.InvalidRequest.Code
			resp.Resources = append(resp.Resources, rr)
			continue
		}
		cur, err := s.zk.GetEntityConfig(entityType, name)
		if err != nil {
			rr.ErrorCode = kerr.UnknownServerError.Code
			resp.Resources = append(resp.Resources, rr)
			continue
		}
		next := make(map[string]string, len(cur))
		for k, v := range cur {
			next[k] = v
		}
		for _, c := range r.Configs {
			val := ""
			if c.Value != nil {
				val = *c.Value
			}
			switch c.Op {
			case kmsg.IncrementalAlterConfigOpSet:
				next[c.Name] = val
			case kmsg.IncrementalAlterConfigOpDelete:
				delete(next, c.Name)
			case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
				items := splitList(next[c.Name])
				if c.Op == kmsg.IncrementalAlterConfigOpAppend {
					for _, v := range splitList(val) {
						if !containsStr(items, v) {
							items = append(items, v)
						}
					}
				} else {
					var kept []string
					for _, it := range items {
						if !containsStr(splitList(val), it) {
							kept = append(kept, it)
						}
					}
					items = kept
				}
				next[c.Name] = strings.Join(items, ",")
			}
		}
		s.writeEntityConfig(r.ResourceType, r.ResourceName, next, req.ValidateOnly, &rr.ErrorCode, &rr.ErrorMessage)
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func (s *Server) entityFor(t kmsg.ConfigResourceType, name string) (string, string, bool) {
	switch t {
	case kmsg.ConfigResourceTypeTopic:
		return "topics", name, true
	case kmsg.ConfigResourceTypeBroker:
		if name == "" {
			return "brokers", "<default>", true
		}
		return "brokers", name, true
	}
	return "", "", false
}

// writeEntityConfig validates and stores a full override set plus its change notification.
func (s *Server) writeEntityConfig(t kmsg.ConfigResourceType, name string, next map[string]string, validateOnly bool, code *int16, msg **string) {
	entityType, entity, ok := s.entityFor(t, name)
	if !ok {
		*code = kerr.InvalidRequest.Code
		m := fmt.Sprintf("Unsupported resource type: %v", t)
		*msg = &m
		return
	}
	if entityType == "topics" {
		if s.cache.PartitionCount(name) == 0 {
			*code = kerr.UnknownTopicOrPartition.Code
			return
		}
		if err := config.ValidateTopicConfigs(next); err != nil {
			*code = kerr.InvalidConfig.Code
			m := config.Message(err)
			*msg = &m
			return
		}
	}
	if validateOnly {
		return
	}
	if err := s.zk.SetEntityConfig(entityType, entity, next); err != nil {
		*code = kerr.UnknownServerError.Code
		m := zkmeta.Message(err)
		*msg = &m
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func containsStr(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
