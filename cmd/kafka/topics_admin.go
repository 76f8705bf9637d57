package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kafka-classic/kafka-classic/config"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// adminTopicService is TopicCommand.AdminClientTopicService, speaking the Admin API
// (Metadata, CreateTopics, CreatePartitions, DeleteTopics, DescribeConfigs) through franz-go.
type adminTopicService struct {
	e       *env
	cl      *kgo.Client
	timeout time.Duration
}

// adminClientOptions turns admin client properties (--command-config) into kgo options.
func adminClientOptions(props config.Properties, bootstrap string) ([]kgo.Opt, time.Duration) {
	timeout := adminTimeout
	if v, err := strconv.Atoi(props["default.api.timeout.ms"]); err == nil && v > 0 {
		timeout = time.Duration(v) * time.Millisecond
	}
	clientID := props["client.id"]
	if clientID == "" {
		clientID = "adminclient-1"
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(splitServers(bootstrap)...),
		kgo.ClientID(clientID),
	}
	if v, err := strconv.Atoi(props["request.timeout.ms"]); err == nil && v > 0 {
		opts = append(opts, kgo.RequestTimeoutOverhead(time.Duration(v)*time.Millisecond))
	}
	return opts, timeout
}

func splitServers(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func newAdminTopicService(e *env, commandConfig, bootstrap string) (topicService, error) {
	props := config.Properties{}
	if commandConfig != "" {
		p, err := config.LoadProperties(commandConfig)
		if err != nil {
			return nil, newJavaError("java.nio.file.NoSuchFileException", "%s", commandConfig)
		}
		props = p
	}
	opts, timeout := adminClientOptions(props, bootstrap)
	clientID := props["client.id"]
	if clientID == "" {
		clientID = "adminclient-1"
	}
	opts = append(opts, kgo.WithHooks(newConnectWarner(e.Stderr, "AdminClient clientId="+clientID)))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, newJavaError("org.apache.kafka.common.KafkaException", "Failed to create new KafkaAdminClient: %v", err)
	}
	return &adminTopicService{e: e, cl: cl, timeout: timeout}, nil
}

func (a *adminTopicService) close() { a.cl.Close() }

func (a *adminTopicService) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), a.timeout)
}

func (a *adminTopicService) metadata(topics []string) (*kmsg.MetadataResponse, error) {
	ctx, cancel := a.ctx()
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	if topics != nil {
		req.Topics = []kmsg.MetadataRequestTopic{}
		for _, tp := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(tp)
			req.Topics = append(req.Topics, rt)
		}
	}
	call := "listTopics"
	if topics != nil {
		call = "describeTopics"
	}
	resp, err := untilTimeout(ctx, call, func(ctx context.Context) (*kmsg.MetadataResponse, error) { return req.RequestWith(ctx, a.cl) })
	if err != nil {
		return nil, clientError(err, call)
	}
	return resp, nil
}

func (a *adminTopicService) getTopics(t *topicOptions) ([]string, error) {
	resp, err := a.metadata(nil)
	if err != nil {
		return nil, err
	}
	var all []string
	for _, tp := range resp.Topics {
		// Kafka's listTopics keeps topics whose metadata carries an error (e.g. no leader yet).
		if tp.Topic == nil {
			continue
		}
		if tp.IsInternal && t.s.Has(t.excludeInternal) {
			continue
		}
		all = append(all, *tp.Topic)
	}
	return filterTopics(all, t.topicPattern(), t.s.Has(t.excludeInternal))
}

func (a *adminTopicService) createTopic(t *topicOptions) error {
	name := t.s.ValueOf(t.topic)
	var partitions, rf int64 = -1, -1
	var err error
	if t.s.Has(t.partitions) {
		if partitions, err = t.s.IntValueOf(t.partitions); err != nil {
			return err
		}
	}
	if t.s.Has(t.replicationFactor) {
		if rf, err = t.s.IntValueOf(t.replicationFactor); err != nil {
			return err
		}
	}
	assignment, err := t.replicaAssignmentValue()
	if err != nil {
		return err
	}
	configs, err := parseTopicConfigsToBeAdded(a.e, t.s.ValuesOf(t.config))
	if err != nil {
		return err
	}
	warnCollision(a.e, name)
	if t.s.Has(t.replicationFactor) && (rf > 32767 || rf < 1) {
		return illegalArgument("The replication factor must be between 1 and 32767 inclusive")
	}
	if t.s.Has(t.partitions) && partitions < 1 {
		return illegalArgument("The partitions must be greater than 0")
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = int32(a.timeout / time.Millisecond)
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = name
	rt.NumPartitions, rt.ReplicationFactor = int32(partitions), int16(rf)
	if assignment != nil {
		rt.NumPartitions, rt.ReplicationFactor = -1, -1
		for _, p := range sortedPartitionIDs(assignment) {
			ra := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
			ra.Partition, ra.Replicas = p, assignment[p]
			rt.ReplicaAssignment = append(rt.ReplicaAssignment, ra)
		}
	}
	for _, kv := range sortedConfigs(configs) {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = kv[0], kmsg.StringPtr(kv[1])
		rt.Configs = append(rt.Configs, c)
	}
	req.Topics = append(req.Topics, rt)
	ctx, cancel := a.ctx()
	defer cancel()
	resp, err := untilTimeout(ctx, "createTopics", func(ctx context.Context) (*kmsg.CreateTopicsResponse, error) { return req.RequestWith(ctx, a.cl) })
	if err != nil {
		return clientError(err, "createTopics")
	}
	for _, r := range resp.Topics {
		if r.ErrorCode == 36 && t.s.Has(t.ifNotExists) {
			return nil
		}
		if r.ErrorCode != 0 {
			return apiError(r.ErrorCode, r.ErrorMessage)
		}
	}
	fmt.Fprintf(a.e.Stdout, "Created topic %s.\n", name)
	return nil
}

func (a *adminTopicService) listTopics(t *topicOptions) error {
	topics, err := a.getTopics(t)
	if err != nil {
		return err
	}
	for _, tp := range topics {
		fmt.Fprintln(a.e.Stdout, tp)
	}
	return nil
}

func (a *adminTopicService) alterTopic(t *topicOptions) error {
	topics, err := a.getTopics(t)
	if err != nil {
		return err
	}
	if err := ensureTopicExists(topics, t.topicPattern(), !t.s.Has(t.ifExists)); err != nil {
		return err
	}
	if len(topics) == 0 {
		return nil
	}
	count, err := t.s.IntValueOf(t.partitions)
	if err != nil {
		return err
	}
	manual, err := t.replicaAssignmentValue()
	if err != nil {
		return err
	}
	var current map[string]int
	if manual != nil {
		md, err := a.metadata(topics)
		if err != nil {
			return err
		}
		current = map[string]int{}
		for _, tp := range md.Topics {
			if tp.Topic != nil {
				current[*tp.Topic] = len(tp.Partitions)
			}
		}
	}
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = int32(a.timeout / time.Millisecond)
	for _, name := range topics {
		rt := kmsg.NewCreatePartitionsRequestTopic()
		rt.Topic, rt.Count = name, int32(count)
		if manual != nil {
			for _, p := range sortedPartitionIDs(manual) {
				if int(p) < current[name] {
					continue
				}
				as := kmsg.NewCreatePartitionsRequestTopicAssignment()
				as.Replicas = manual[p]
				rt.Assignment = append(rt.Assignment, as)
			}
		}
		req.Topics = append(req.Topics, rt)
	}
	ctx, cancel := a.ctx()
	defer cancel()
	resp, err := untilTimeout(ctx, "createPartitions", func(ctx context.Context) (*kmsg.CreatePartitionsResponse, error) { return req.RequestWith(ctx, a.cl) })
	if err != nil {
		return clientError(err, "createPartitions")
	}
	for _, r := range resp.Topics {
		if r.ErrorCode != 0 {
			return apiError(r.ErrorCode, r.ErrorMessage)
		}
	}
	return nil
}

func (a *adminTopicService) deleteTopic(t *topicOptions) error {
	topics, err := a.getTopics(t)
	if err != nil {
		return err
	}
	if err := ensureTopicExists(topics, t.topicPattern(), !t.s.Has(t.ifExists)); err != nil {
		return err
	}
	if len(topics) == 0 {
		return nil
	}
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = int32(a.timeout / time.Millisecond)
	req.TopicNames = topics
	for _, name := range topics {
		rt := kmsg.NewDeleteTopicsRequestTopic()
		rt.Topic = kmsg.StringPtr(name)
		req.Topics = append(req.Topics, rt)
	}
	ctx, cancel := a.ctx()
	defer cancel()
	resp, err := untilTimeout(ctx, "deleteTopics", func(ctx context.Context) (*kmsg.DeleteTopicsResponse, error) { return req.RequestWith(ctx, a.cl) })
	if err != nil {
		return clientError(err, "deleteTopics")
	}
	for _, r := range resp.Topics {
		if r.ErrorCode != 0 {
			return apiError(r.ErrorCode, r.ErrorMessage)
		}
	}
	return nil
}

// formatUUID is org.apache.kafka.common.Uuid.toString: URL-safe base64 without padding.
func formatUUID(id [16]byte) string {
	if id == ([16]byte{}) {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(id[:])
}

func (a *adminTopicService) describeTopic(t *topicOptions) error {
	topics, err := a.getTopics(t)
	if err != nil {
		return err
	}
	requireExists := !(t.s.Has(t.topic) && t.s.Has(t.ifExists))
	if err := ensureTopicExists(topics, t.topicPattern(), requireExists); err != nil {
		return err
	}
	if len(topics) == 0 {
		return nil
	}
	ctx, cancel := a.ctx()
	defer cancel()

	cfgReq := kmsg.NewPtrDescribeConfigsRequest()
	for _, name := range topics {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, name
		cfgReq.Resources = append(cfgReq.Resources, r)
	}
	cfgResp, err := untilTimeout(ctx, "describeConfigs", func(ctx context.Context) (*kmsg.DescribeConfigsResponse, error) {
		return cfgReq.RequestWith(ctx, a.cl)
	})
	if err != nil {
		return clientError(err, "describeConfigs")
	}
	configs := map[string][][2]string{}
	minISR := map[string]int{}
	for _, r := range cfgResp.Resources {
		if r.ErrorCode != 0 {
			return apiError(r.ErrorCode, r.ErrorMessage)
		}
		var kvs [][2]string
		for _, c := range r.Configs {
			if c.Name == "min.insync.replicas" && c.Value != nil {
				minISR[r.ResourceName], _ = strconv.Atoi(*c.Value)
			}
			if c.Source == kmsg.ConfigSourceDefaultConfig || (cfgReq.Version == 0 && c.IsDefault) {
				continue
			}
			v := "null"
			if c.Value != nil {
				v = *c.Value
			}
			kvs = append(kvs, [2]string{c.Name, v})
		}
		configs[r.ResourceName] = kvs
	}

	md, err := a.metadata(topics)
	if err != nil {
		return err
	}
	live := map[int32]bool{}
	for _, b := range md.Brokers {
		live[b.NodeID] = true
	}
	reassigning := a.reassignments(ctx)
	opts := describeOptions{t: t, live: live}

	byName := map[string]kmsg.MetadataResponseTopic{}
	for _, tp := range md.Topics {
		if tp.Topic != nil {
			byName[*tp.Topic] = tp
		}
	}
	for _, name := range topics {
		tp, ok := byName[name]
		if !ok {
			continue
		}
		if tp.ErrorCode != 0 {
			return apiError(tp.ErrorCode, nil)
		}
		parts := append([]kmsg.MetadataResponseTopicPartition(nil), tp.Partitions...)
		sort.Slice(parts, func(i, j int) bool { return parts[i].Partition < parts[j].Partition })
		descs := make([]partitionDescription, len(parts))
		for i, p := range parts {
			d := partitionDescription{Topic: name, Partition: p.Partition, Replicas: p.Replicas, ISR: p.ISR, MinISR: minISR[name]}
			if p.Leader >= 0 && live[p.Leader] {
				d.Leader, d.HasLeader = p.Leader, true
			}
			if r, ok := reassigning[topicPartition{name, p.Partition}]; ok {
				d.Reassigning, d.Adding, d.Removing = true, r[0], r[1]
			}
			descs[i] = d
		}
		if opts.describeConfigs() {
			if !t.s.Has(t.overrides) || len(configs[name]) > 0 {
				rf := 0
				if len(descs) > 0 {
					rf = descs[0].replicationFactor()
				}
				fmt.Fprintln(a.e.Stdout, topicDescription{
					Topic: name, TopicID: formatUUID(tp.TopicID), NumPartitions: len(parts),
					ReplicationFactor: rf, Configs: configs[name],
				})
			}
		}
		if opts.describePartitions() {
			for _, d := range descs {
				if opts.shouldPrint(d) {
					fmt.Fprintln(a.e.Stdout, d)
				}
			}
		}
	}
	return nil
}

type topicPartition struct {
	topic     string
	partition int32
}

// reassignments lists ongoing reassignments (adding, removing replicas); brokers that do not
// support the call simply report none, as Kafka's tool tolerates.
func (a *adminTopicService) reassignments(ctx context.Context) map[topicPartition][2][]int32 {
	out := map[topicPartition][2][]int32{}
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	req.TimeoutMillis = 30000
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := req.RequestWith(sctx, a.cl)
	if err != nil || resp.ErrorCode != 0 {
		return out
	}
	for _, tp := range resp.Topics {
		for _, p := range tp.Partitions {
			out[topicPartition{tp.Topic, p.Partition}] = [2][]int32{p.AddingReplicas, p.RemovingReplicas}
		}
	}
	return out
}

// untilTimeout retries a request while the cluster cannot be reached, as the Java admin
// client does until default.api.timeout.ms, and then reports its TimeoutException.
func untilTimeout[R any](ctx context.Context, call string, do func(context.Context) (R, error)) (R, error) {
	for {
		resp, err := do(ctx)
		if err == nil || !isConnectivityError(err) {
			return resp, err
		}
		select {
		case <-ctx.Done():
			var zero R
			return zero, newJavaError("org.apache.kafka.common.errors.TimeoutException",
				"Timed out waiting for a node assignment. Call: %s", call)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func isConnectivityError(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "unable to dial")
}
