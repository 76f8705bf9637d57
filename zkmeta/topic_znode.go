package zkmeta

import (
	"errors"
	"fmt"
	"sync"

	"github.com/go-zookeeper/zk"
)

// TopicAssignment is /brokers/topics/<topic> (§1.6). Adding/Removing hold only
// partitions under reassignment. ZkVersion is the znode's dataVersion (-1
// when unknown, e.g. for decoded bytes).
type TopicAssignment struct {
	Topic      string
	Partitions map[int32][]int32
	Adding     map[int32][]int32
	Removing   map[int32][]int32
	TopicID    string // base64url, 22 chars, or ""
	ZkVersion  int32
}

// TopicAssignmentVersion is what 2.8 writes, with or without topic_id.
const TopicAssignmentVersion = 3

// Encode renders {"version":3,"partitions":{..},"adding_replicas":{..},
// "removing_replicas":{..}[,"topic_id":".."]} with partitions in numeric order.
func (a TopicAssignment) Encode() []byte {
	o := newObj()
	o.num("version", TopicAssignmentVersion)
	o.raw("partitions", jsonPartitionMap(a.Partitions))
	o.raw("adding_replicas", jsonPartitionMap(a.Adding))
	o.raw("removing_replicas", jsonPartitionMap(a.Removing))
	if a.TopicID != "" {
		o.str("topic_id", a.TopicID)
	}
	return o.bytes()
}

// NumPartitions is len(Partitions).
func (a TopicAssignment) NumPartitions() int { return len(a.Partitions) }

// DecodeTopicAssignment accepts versions 1-3; missing adding/removing maps
// and topic_id read as empty.
func DecodeTopicAssignment(topic string, data []byte) (TopicAssignment, error) {
	var j struct {
		Version  int              `json:"version"`
		Parts    partitionMapJSON `json:"partitions"`
		Adding   partitionMapJSON `json:"adding_replicas"`
		Removing partitionMapJSON `json:"removing_replicas"`
		TopicID  *string          `json:"topic_id"`
	}
	if err := decodeJSON(TopicPath(topic), data, &j); err != nil {
		return TopicAssignment{}, err
	}
	a := TopicAssignment{Topic: topic, ZkVersion: -1}
	var err error
	if a.Partitions, err = j.Parts.toMap(); err != nil {
		return a, fmt.Errorf("%w: %s: %v", ErrBadData, TopicPath(topic), err)
	}
	if a.Adding, err = j.Adding.toMap(); err != nil {
		return a, fmt.Errorf("%w: %s: %v", ErrBadData, TopicPath(topic), err)
	}
	if a.Removing, err = j.Removing.toMap(); err != nil {
		return a, fmt.Errorf("%w: %s: %v", ErrBadData, TopicPath(topic), err)
	}
	if j.TopicID != nil {
		a.TopicID = *j.TopicID
	}
	return a, nil
}

// GetAllTopics returns the sorted children of /brokers/topics.
func (c *Client) GetAllTopics() ([]string, error) {
	kids, err := c.Children(BrokerTopicsPath)
	if errors.Is(err, ErrNoNode) {
		return nil, nil
	}
	return kids, err
}

// TopicExists reports whether /brokers/topics/<topic> exists.
func (c *Client) TopicExists(topic string) (bool, error) {
	ok, _, err := c.Exists(TopicPath(topic))
	return ok, err
}

// GetTopicAssignment reads a topic znode with its zkVersion (wraps ErrNoNode).
func (c *Client) GetTopicAssignment(topic string) (TopicAssignment, error) {
	data, st, err := c.Get(TopicPath(topic))
	if err != nil {
		return TopicAssignment{}, err
	}
	a, err := DecodeTopicAssignment(topic, data)
	if err != nil {
		return TopicAssignment{}, err
	}
	a.ZkVersion = st.Version
	return a, nil
}

// GetTopicAssignmentW is GetTopicAssignment plus a data watch (the
// controller's partition-modification watch).
func (c *Client) GetTopicAssignmentW(topic string) (TopicAssignment, <-chan zk.Event, error) {
	data, st, ch, err := c.GetW(TopicPath(topic))
	if err != nil {
		return TopicAssignment{}, nil, err
	}
	a, err := DecodeTopicAssignment(topic, data)
	if err != nil {
		return TopicAssignment{}, ch, err
	}
	a.ZkVersion = st.Version
	return a, ch, nil
}

// SetTopicAssignmentFenced rewrites a topic znode as the controller (topic
// ids, reassignment progress), conditional on a.ZkVersion (-1 = any).
// Returns the new zkVersion.
func (c *Client) SetTopicAssignmentFenced(epochZkVersion int32, a TopicAssignment) (int32, error) {
	res, err := c.fencedMulti(epochZkVersion,
		&zk.SetDataRequest{Path: TopicPath(a.Topic), Data: a.Encode(), Version: a.ZkVersion})
	if err != nil {
		return -1, err
	}
	return res[0].Stat.Version, nil
}

// IsTopicMarkedForDeletion reports whether /admin/delete_topics/<t> exists.
func (c *Client) IsTopicMarkedForDeletion(topic string) (bool, error) {
	ok, _, err := c.Exists(DeleteTopicPath(topic))
	return ok, err
}

// MarkTopicForDeletion is AdminZkClient.deleteTopic: it creates the null-data
// marker /admin/delete_topics/<t> for the controller to act on.
func (c *Client) MarkTopicForDeletion(topic string) error {
	ok, err := c.TopicExists(topic)
	if err != nil {
		return err
	}
	if !ok {
		return kerr(ErrUnknownTopicOrPartition, "Topic `%s` to delete does not exist", topic)
	}
	err = c.CreateRecursive(DeleteTopicPath(topic), nil)
	if errors.Is(err, ErrNodeExists) {
		return kerr(ErrTopicAlreadyMarkedForDeletion, "topic %s is already marked for deletion", topic)
	}
	if err != nil {
		return kerr(ErrAdminOperation, "%v", err)
	}
	return nil
}

// TopicsMarkedForDeletion lists the children of /admin/delete_topics.
func (c *Client) TopicsMarkedForDeletion() ([]string, error) {
	kids, err := c.Children(DeleteTopicsPath)
	if errors.Is(err, ErrNoNode) {
		return nil, nil
	}
	return kids, err
}

// DeleteTopicDeletionMarkersFenced removes /admin/delete_topics/<t> for each
// topic (e.g. markers for topics that no longer exist).
func (c *Client) DeleteTopicDeletionMarkersFenced(epochZkVersion int32, topics []string) error {
	for _, t := range topics {
		if err := c.deleteFenced(epochZkVersion, DeleteTopicPath(t)); err != nil {
			return err
		}
	}
	return nil
}

// DeleteTopicFenced is the controller's final step of topic deletion: the
// topic znode subtree, its config and its deletion marker, each write fenced.
func (c *Client) DeleteTopicFenced(epochZkVersion int32, topic string) error {
	if err := c.deleteRecursiveFenced(epochZkVersion, TopicPath(topic)); err != nil {
		return err
	}
	if err := c.deleteFenced(epochZkVersion, EntityConfigPath(ConfigTypeTopic, topic)); err != nil {
		return err
	}
	return c.deleteFenced(epochZkVersion, DeleteTopicPath(topic))
}

func (c *Client) deleteFenced(epochZkVersion int32, path string) error {
	_, err := c.fencedMulti(epochZkVersion, &zk.DeleteRequest{Path: path, Version: -1})
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	return err
}

func (c *Client) deleteRecursiveFenced(epochZkVersion int32, path string) error {
	kids, err := c.Children(path)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := c.deleteRecursiveFenced(epochZkVersion, path+"/"+k); err != nil {
			return err
		}
	}
	return c.deleteFenced(epochZkVersion, path)
}

// GetTopicAssignments reads many topic znodes concurrently (controller
// failover); topics that do not exist are absent from the result.
func (c *Client) GetTopicAssignments(topics []string) (map[string]TopicAssignment, error) {
	out := make(map[string]TopicAssignment, len(topics))
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for _, t := range topics {
		wg.Add(1)
		sem <- struct{}{}
		go func(t string) {
			defer wg.Done()
			defer func() { <-sem }()
			a, err := c.GetTopicAssignment(t)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				out[t] = a
			case errors.Is(err, ErrNoNode):
			case firstErr == nil:
				firstErr = err
			}
		}(t)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}
