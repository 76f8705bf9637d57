package zkmeta

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ValidateTopicCreate is AdminZkClient.validateTopicCreate minus the config
// check (the caller validates configs): name rules, deletion marker,
// existence, '.'/'_' collisions and the assignment's shape.
func (c *Client) ValidateTopicCreate(topic string, assignment map[int32][]int32) error {
	if err := ValidateTopicName(topic); err != nil {
		return err
	}
	marked, err := c.IsTopicMarkedForDeletion(topic)
	if err != nil {
		return err
	}
	if marked {
		return kerr(ErrTopicExists, "Topic '%s' is marked for deletion.", topic)
	}
	exists, err := c.TopicExists(topic)
	if err != nil {
		return err
	}
	if exists {
		return kerr(ErrTopicExists, "Topic '%s' already exists.", topic)
	}
	if TopicHasCollisionChars(topic) {
		all, err := c.GetAllTopics()
		if err != nil {
			return err
		}
		var colliding []string
		for _, t := range all {
			if t == topic {
				// Created meanwhile; do not report it as colliding with itself.
				return kerr(ErrTopicExists, "Topic '%s' already exists.", topic)
			}
			if TopicsCollide(topic, t) {
				colliding = append(colliding, t)
			}
		}
		if len(colliding) > 0 {
			return kerr(ErrInvalidTopic, "Topic '%s' collides with existing topics: %s", topic, strings.Join(colliding, ", "))
		}
	}
	return ValidateAssignmentShape(assignment)
}

// ValidateAssignmentShape checks a new topic's assignment: same replica count
// everywhere, no duplicate broker in a partition, partitions 0..n-1.
func ValidateAssignmentShape(assignment map[int32][]int32) error {
	sizes := map[int]bool{}
	for _, reps := range assignment {
		sizes[len(reps)] = true
	}
	if len(sizes) != 1 {
		return kerr(ErrInvalidReplicaAssignment, "All partitions should have the same number of replicas")
	}
	for _, reps := range assignment {
		if hasDuplicates(reps) {
			return kerr(ErrInvalidReplicaAssignment, "Duplicate replica assignment found: %s", formatAssignment(assignment))
		}
	}
	n := int32(len(assignment))
	for p := range assignment {
		if p < 0 || p >= n {
			return kerr(ErrInvalidReplicaAssignment, "partitions should be a consecutive 0-based integer sequence")
		}
	}
	return nil
}

func hasDuplicates(reps []int32) bool {
	seen := make(map[int32]bool, len(reps))
	for _, r := range reps {
		if seen[r] {
			return true
		}
		seen[r] = true
	}
	return false
}

// formatAssignment renders like a Scala Map: Map(0 -> List(1, 2), ...).
func formatAssignment(a map[int32][]int32) string {
	ps := sortedPartitions(a)
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%d -> %s", p, scalaList(a[p]))
	}
	return "Map(" + strings.Join(parts, ", ") + ")"
}

func scalaList(v []int32) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(int(x))
	}
	return "List(" + strings.Join(s, ", ") + ")"
}

func sortedPartitions(a map[int32][]int32) []int32 {
	ps := make([]int32, 0, len(a))
	for p := range a {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return ps
}

// CreateTopic is AdminZkClient.createTopicWithAssignment: validate, write
// /config/topics/<t> (always, even with no overrides; no change
// notification), then create /brokers/topics/<t> recursively. topicID "" means
// no topic_id field (the --zookeeper tool); the controller adds one later.
func (c *Client) CreateTopic(topic string, assignment map[int32][]int32, configs map[string]string, topicID string) error {
	if err := c.ValidateTopicCreate(topic, assignment); err != nil {
		return err
	}
	if configs == nil {
		configs = map[string]string{}
	}
	c.log.Info().Msgf("Creating topic %s with configuration %s and initial partition assignment %s",
		topic, formatProps(configs), formatAssignment(assignment))
	if err := c.setOrCreateEntityConfig(ConfigTypeTopic, topic, configs); err != nil {
		return kerr(ErrAdminOperation, "%v", err)
	}
	a := TopicAssignment{Topic: topic, Partitions: assignment, TopicID: topicID}
	err := c.CreateRecursive(TopicPath(topic), a.Encode())
	if errors.Is(err, ErrNodeExists) {
		return kerr(ErrTopicExists, "Topic '%s' already exists.", topic)
	}
	if err != nil {
		return kerr(ErrAdminOperation, "%v", err)
	}
	return nil
}

// formatProps renders like java.util.Properties.toString: {k=v, k2=v2}.
func formatProps(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// PlanAddPartitions is AdminZkClient.createNewPartitionsAssignment: checks
// that numPartitions grows the topic and either validates a manual
// assignment for the new partitions or computes one with AssignReplicas,
// starting at the broker that leads partition 0 and at partition id
// len(current).
func PlanAddPartitions(current TopicAssignment, brokers []BrokerMeta, numPartitions int32, manual map[int32][]int32) (map[int32][]int32, error) {
	p0, ok := current.Partitions[0]
	if !ok {
		return nil, kerr(ErrAdminOperation, "Unexpected existing replica assignment for topic '%s', partition id 0 is missing. Assignment: %s",
			current.Topic, formatAssignment(current.Partitions))
	}
	existing := int32(len(current.Partitions))
	toAdd := numPartitions - existing
	if toAdd <= 0 {
		return nil, kerr(ErrInvalidPartitions, "The number of partitions for a topic can only be increased. Topic %s currently has %d partitions, %d would not be an increase.",
			current.Topic, existing, numPartitions)
	}
	if manual != nil {
		if err := validateNewPartitionsAssignment(manual, len(p0), brokers, existing, numPartitions); err != nil {
			return nil, err
		}
		return manual, nil
	}
	start := 0
	if len(p0) > 0 {
		start = -1
		for i, b := range brokers {
			if b.ID >= p0[0] {
				start = i
				break
			}
		}
		start = max(0, start)
	}
	return AssignReplicas(brokers, toAdd, int16(len(p0)), int32(start), existing)
}

func validateNewPartitionsAssignment(a map[int32][]int32, rf int, brokers []BrokerMeta, existing, numPartitions int32) error {
	avail := map[int32]bool{}
	var availList []string
	for _, b := range brokers {
		avail[b.ID] = true
		availList = append(availList, strconv.Itoa(int(b.ID)))
	}
	for _, p := range sortedPartitions(a) {
		reps := a[p]
		list := joinInts(reps, ", ")
		if len(reps) == 0 {
			return kerr(ErrInvalidReplicaAssignment, "Cannot have replication factor of 0 for partition id %d.", p)
		}
		if hasDuplicates(reps) {
			return kerr(ErrInvalidReplicaAssignment, "Duplicate brokers not allowed in replica assignment: %s for partition id %d.", list, p)
		}
		for _, r := range reps {
			if !avail[r] {
				return kerr(ErrBrokerNotAvailable, "Some brokers specified for partition id %d are not available. Specified brokers: %s, available brokers: %s.",
					p, list, strings.Join(availList, ", "))
			}
		}
		if len(reps) != rf {
			return kerr(ErrInvalidReplicaAssignment, "Inconsistent replication factor between partitions, partition 0 has %d while partition %d has %d replicas.", rf, p, len(reps))
		}
	}
	ps := sortedPartitions(a)
	var unexpected []string
	for i, p := range ps {
		if p != existing+int32(i) {
			unexpected = append(unexpected, strconv.Itoa(int(p)))
		}
	}
	if len(unexpected) > 0 {
		return kerr(ErrInvalidReplicaAssignment, "Unexpected partition ids: %s. Partition ids must be consecutive and start at %d.", strings.Join(unexpected, ", "), existing)
	}
	if int32(len(ps)) != numPartitions-existing {
		return kerr(ErrInvalidReplicaAssignment, "Increasing the number of partitions by %d but %d assignments provided.", numPartitions-existing, len(ps))
	}
	return nil
}

func joinInts(v []int32, sep string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(int(x))
	}
	return strings.Join(s, sep)
}

// AddPartitions rewrites the topic znode with current's partitions plus
// added, keeping topic_id and reassignment state, conditional on
// current.ZkVersion (-1 = any). The controller notices via its data watch.
func (c *Client) AddPartitions(topic string, current TopicAssignment, added map[int32][]int32) error {
	combined := make(map[int32][]int32, len(current.Partitions)+len(added))
	for p, r := range current.Partitions {
		combined[p] = r
	}
	for p, r := range added {
		if _, dup := combined[p]; dup {
			return kerr(ErrInvalidPartitions, "Partition %d of topic %s already exists.", p, topic)
		}
		combined[p] = r
	}
	c.log.Info().Msgf("Creating %d partitions for '%s' with the following replica assignment: %s.", len(added), topic, formatAssignment(added))
	a := current
	a.Topic = topic
	a.Partitions = combined
	_, err := c.Set(TopicPath(topic), a.Encode(), current.ZkVersion)
	if errors.Is(err, ErrNoNode) {
		return kerr(ErrUnknownTopicOrPartition, "Topic '%s' does not exist.", topic)
	}
	return err
}
