package main

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kafka-classic/kafka-classic/config"
	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// zkTopicService is TopicCommand.ZookeeperTopicService: every read and write goes through
// zkmeta, which owns the znode formats.
type zkTopicService struct {
	e *env
	c *zkmeta.Client
}

func newZkTopicService(e *env, connect string) (topicService, error) {
	// TopicCommand builds its KafkaZkClient with 30 s session and connection timeouts.
	c, err := zkmeta.Connect(connect, 30*time.Second, 30*time.Second, toolLogger(e))
	if err != nil {
		return nil, zkError(err)
	}
	return &zkTopicService{e: e, c: c}, nil
}

func (z *zkTopicService) close() { z.c.Close() }

// zkExceptionClass names the Java exception behind each zkmeta sentinel.
var zkExceptionClass = []struct {
	err   error
	class string
}{
	{zkmeta.ErrTopicExists, "org.apache.kafka.common.errors.TopicExistsException"},
	{zkmeta.ErrInvalidTopic, "org.apache.kafka.common.errors.InvalidTopicException"},
	{zkmeta.ErrInvalidReplicationFactor, "org.apache.kafka.common.errors.InvalidReplicationFactorException"},
	{zkmeta.ErrInvalidPartitions, "org.apache.kafka.common.errors.InvalidPartitionsException"},
	{zkmeta.ErrInvalidReplicaAssignment, "org.apache.kafka.common.errors.InvalidReplicaAssignmentException"},
	{zkmeta.ErrBrokerNotAvailable, "org.apache.kafka.common.errors.BrokerNotAvailableException"},
	{zkmeta.ErrUnknownTopicOrPartition, "org.apache.kafka.common.errors.UnknownTopicOrPartitionException"},
	{zkmeta.ErrAdminOperation, "kafka.admin.AdminOperationException"},
	{zkmeta.ErrConnectionTimeout, "kafka.zookeeper.ZooKeeperClientTimeoutException"},
}

func zkError(err error) error {
	if err == nil {
		return nil
	}
	var je *javaError
	if errors.As(err, &je) {
		return je
	}
	for _, m := range zkExceptionClass {
		if errors.Is(err, m.err) {
			return &javaError{Class: m.class, Msg: zkmeta.Message(err)}
		}
	}
	return &javaError{Class: "org.apache.zookeeper.KeeperException", Msg: zkmeta.Message(err)}
}

func (z *zkTopicService) getTopics(t *topicOptions) ([]string, error) {
	all, err := z.c.GetAllTopics()
	if err != nil {
		return nil, zkError(err)
	}
	return filterTopics(all, t.topicPattern(), t.s.Has(t.excludeInternal))
}

func (z *zkTopicService) markedForDeletion() (map[string]bool, error) {
	marked, err := z.c.TopicsMarkedForDeletion()
	if err != nil {
		return nil, zkError(err)
	}
	m := map[string]bool{}
	for _, tp := range marked {
		m[tp] = true
	}
	return m, nil
}

func (t *topicOptions) rackAwareMode() zkmeta.RackAwareMode {
	if t.s.Has(t.disableRackAware) {
		return zkmeta.RackAwareDisabled
	}
	return zkmeta.RackAwareEnforced
}

func (t *topicOptions) replicaAssignmentValue() (map[int32][]int32, error) {
	if !t.s.Has(t.replicaAssignment) || t.s.ValueOf(t.replicaAssignment) == "" {
		return nil, nil
	}
	return parseReplicaAssignment(t.s.ValueOf(t.replicaAssignment))
}

func (z *zkTopicService) createTopic(t *topicOptions) error {
	name := t.s.ValueOf(t.topic)
	configs, err := parseTopicConfigsToBeAdded(z.e, t.s.ValuesOf(t.config))
	if err != nil {
		return err
	}
	if _, err := parseTopicConfigsToBeDeleted(t.s.ValuesOf(t.deleteConfig)); err != nil {
		return err
	}
	assignment, err := t.replicaAssignmentValue()
	if err != nil {
		return err
	}
	var partitions, rf int64
	if assignment == nil {
		if partitions, err = t.s.IntValueOf(t.partitions); err != nil {
			return err
		}
		if rf, err = t.s.IntValueOf(t.replicationFactor); err != nil {
			return err
		}
	}
	warnCollision(z.e, name)
	if assignment == nil {
		brokers, err := z.c.GetAllBrokers()
		if err != nil {
			return zkError(err)
		}
		metas, err := zkmeta.BrokerMetas(brokers, t.rackAwareMode())
		if err != nil {
			return zkError(err)
		}
		if rf > 32767 && partitions > 0 {
			return newJavaError("org.apache.kafka.common.errors.InvalidReplicationFactorException",
				"Replication factor: %d larger than available brokers: %d.", rf, len(metas))
		}
		if assignment, err = zkmeta.AssignReplicas(metas, int32(partitions), int16(rf), -1, -1); err != nil {
			return zkError(err)
		}
	}
	if err := z.c.CreateTopic(name, assignment, configs, ""); err != nil {
		if errors.Is(err, zkmeta.ErrTopicExists) && t.s.Has(t.ifNotExists) {
			return nil
		}
		return zkError(err)
	}
	fmt.Fprintf(z.e.Stdout, "Created topic %s.\n", name)
	return nil
}

func (z *zkTopicService) listTopics(t *topicOptions) error {
	topics, err := z.getTopics(t)
	if err != nil {
		return err
	}
	marked, err := z.markedForDeletion()
	if err != nil {
		return err
	}
	for _, tp := range topics {
		if marked[tp] {
			fmt.Fprintf(z.e.Stdout, "%s - marked for deletion\n", tp)
		} else {
			fmt.Fprintln(z.e.Stdout, tp)
		}
	}
	return nil
}

func (z *zkTopicService) alterTopic(t *topicOptions) error {
	topics, err := z.getTopics(t)
	if err != nil {
		return err
	}
	configsToAdd, err := parseTopicConfigsToBeAdded(z.e, t.s.ValuesOf(t.config))
	if err != nil {
		return err
	}
	configsToDelete, err := parseTopicConfigsToBeDeleted(t.s.ValuesOf(t.deleteConfig))
	if err != nil {
		return err
	}
	if err := ensureTopicExists(topics, t.topicPattern(), !t.s.Has(t.ifExists)); err != nil {
		return err
	}
	for _, topic := range topics {
		if t.s.Has(t.config) || t.s.Has(t.deleteConfig) {
			fmt.Fprintln(z.e.Stdout, "WARNING: Altering topic configuration from this script has been deprecated and may be removed in future releases.")
			fmt.Fprintln(z.e.Stdout, "         Going forward, please use kafka-configs.sh for this functionality")
			cur, err := z.c.GetEntityConfig(zkmeta.ConfigTypeTopic, topic)
			if err != nil {
				return zkError(err)
			}
			for k, v := range configsToAdd {
				cur[k] = v
			}
			for _, k := range configsToDelete {
				delete(cur, k)
			}
			if err := validateTopicConfigs(cur); err != nil {
				return err
			}
			if err := z.c.SetEntityConfig(zkmeta.ConfigTypeTopic, topic, cur); err != nil {
				return zkError(err)
			}
			fmt.Fprintf(z.e.Stdout, "Updated config for topic %s.\n", topic)
		}
		if t.s.Has(t.partitions) {
			if isInternalTopic(topic) {
				return illegalArgument("The number of partitions for the internal topic %s cannot be changed.", topic)
			}
			fmt.Fprintln(z.e.Stdout, "WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected")
			current, err := z.c.GetTopicAssignment(topic)
			if err != nil {
				if errors.Is(err, zkmeta.ErrNoNode) {
					return newJavaError("org.apache.kafka.common.errors.InvalidTopicException", "The topic %s does not exist", topic)
				}
				return zkError(err)
			}
			manual, err := t.replicaAssignmentValue()
			if err != nil {
				return err
			}
			if manual != nil {
				// The option lists every partition; only those past the current count are new.
				newOnes := map[int32][]int32{}
				for p, r := range manual {
					if int(p) >= len(current.Partitions) {
						newOnes[p] = r
					}
				}
				manual = newOnes
				if len(manual) == 0 {
					manual = nil
				}
			}
			n, err := t.s.IntValueOf(t.partitions)
			if err != nil {
				return err
			}
			brokers, err := z.c.GetAllBrokers()
			if err != nil {
				return zkError(err)
			}
			metas, err := zkmeta.BrokerMetas(brokers, zkmeta.RackAwareEnforced)
			if err != nil {
				return zkError(err)
			}
			added, err := zkmeta.PlanAddPartitions(current, metas, int32(n), manual)
			if err != nil {
				return zkError(err)
			}
			if err := z.c.AddPartitions(topic, current, added); err != nil {
				return zkError(err)
			}
			fmt.Fprintln(z.e.Stdout, "Adding partitions succeeded!")
		}
	}
	return nil
}

func validateTopicConfigs(m map[string]string) error {
	if err := config.ValidateTopicConfigs(m); err != nil {
		return newJavaError("org.apache.kafka.common.errors.InvalidConfigurationException", "%s", config.Message(err))
	}
	return nil
}

func (z *zkTopicService) describeTopic(t *topicOptions) error {
	topics, err := z.getTopics(t)
	if err != nil {
		return err
	}
	requireExists := !(t.s.Has(t.topic) && t.s.Has(t.ifExists))
	if err := ensureTopicExists(topics, t.topicPattern(), requireExists); err != nil {
		return err
	}
	brokers, err := z.c.GetAllBrokers()
	if err != nil {
		return zkError(err)
	}
	live := map[int32]bool{}
	for _, b := range brokers {
		live[b.ID] = true
	}
	opts := describeOptions{t: t, live: live}
	for _, topic := range topics {
		a, err := z.c.GetTopicAssignment(topic)
		if errors.Is(err, zkmeta.ErrNoNode) {
			fmt.Fprintf(z.e.Stdout, "Topic %s doesn't exist!\n", topic)
			continue
		}
		if err != nil {
			return zkError(err)
		}
		marked, err := z.c.IsTopicMarkedForDeletion(topic)
		if err != nil {
			return zkError(err)
		}
		if opts.describeConfigs() {
			cfg, err := z.c.GetEntityConfig(zkmeta.ConfigTypeTopic, topic)
			if err != nil {
				return zkError(err)
			}
			if !t.s.Has(t.overrides) || len(cfg) > 0 {
				rf := 0
				if r, ok := a.Partitions[0]; ok {
					rf = len(r)
				} else {
					for _, p := range sortedPartitionIDs(a.Partitions) {
						rf = len(a.Partitions[p])
						break
					}
				}
				fmt.Fprintln(z.e.Stdout, topicDescription{
					Topic: topic, TopicID: a.TopicID, NumPartitions: len(a.Partitions),
					ReplicationFactor: rf, Configs: sortedConfigs(cfg), MarkedForDeletion: marked,
				})
			}
		}
		if opts.describePartitions() {
			ids := sortedPartitionIDs(a.Partitions)
			tps := make([]zkmeta.TP, len(ids))
			for i, p := range ids {
				tps[i] = zkmeta.TP{Topic: topic, Partition: p}
			}
			states, err := z.c.GetPartitionStates(tps)
			if err != nil {
				return zkError(err)
			}
			for _, p := range ids {
				d := partitionDescription{Topic: topic, Partition: p, Replicas: a.Partitions[p], MarkedForDeletion: marked}
				if st, ok := states[zkmeta.TP{Topic: topic, Partition: p}]; ok {
					d.ISR = st.ISR
					if st.Leader >= 0 {
						d.Leader, d.HasLeader = st.Leader, true
					}
				}
				if opts.shouldPrint(d) {
					fmt.Fprintln(z.e.Stdout, d)
				}
			}
		}
	}
	return nil
}

func (z *zkTopicService) deleteTopic(t *topicOptions) error {
	topics, err := z.getTopics(t)
	if err != nil {
		return err
	}
	if err := ensureTopicExists(topics, t.topicPattern(), !t.s.Has(t.ifExists)); err != nil {
		return err
	}
	for _, topic := range topics {
		if isInternalTopic(topic) {
			return newJavaError("kafka.admin.AdminOperationException",
				"Topic %s is a kafka internal topic and is not allowed to be marked for deletion.", topic)
		}
		err := z.c.MarkTopicForDeletion(topic)
		switch {
		case errors.Is(err, zkmeta.ErrTopicAlreadyMarkedForDeletion):
			fmt.Fprintf(z.e.Stdout, "Topic %s is already marked for deletion.\n", topic)
		case err != nil:
			return newJavaError("kafka.admin.AdminOperationException", "Error while deleting topic %s", topic)
		default:
			fmt.Fprintf(z.e.Stdout, "Topic %s is marked for deletion.\n", topic)
			fmt.Fprintln(z.e.Stdout, "Note: This will have no impact if delete.topic.enable is not set to true.")
		}
	}
	return nil
}

func sortedPartitionIDs(m map[int32][]int32) []int32 {
	ids := make([]int32, 0, len(m))
	for p := range m {
		ids = append(ids, p)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// sortedConfigs orders overrides by name; Kafka prints them in hash order, which no reader
// can rely on, so a stable order is the faithful choice here.
func sortedConfigs(m map[string]string) [][2]string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{k, m[k]}
	}
	return out
}
