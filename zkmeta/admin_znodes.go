package zkmeta

import (
	"errors"
	"fmt"
	"sort"

	"github.com/go-zookeeper/zk"
)

func sortTPs(tps []TP) {
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
}

// EncodeReassignment renders /admin/reassign_partitions (§1.11), partitions
// sorted by topic then partition.
func EncodeReassignment(m map[TP][]int32) []byte {
	tps := make([]TP, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	sortTPs(tps)
	b := []byte("[")
	for i, tp := range tps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, newObj().str("topic", tp.Topic).num("partition", int64(tp.Partition)).raw("replicas", jsonInts(m[tp])).bytes()...)
	}
	b = append(b, ']')
	return newObj().num("version", 1).raw("partitions", b).bytes()
}

// DecodeReassignment parses /admin/reassign_partitions.
func DecodeReassignment(data []byte) (map[TP][]int32, error) {
	var j struct {
		Partitions []struct {
			Topic     string  `json:"topic"`
			Partition int32   `json:"partition"`
			Replicas  []int32 `json:"replicas"`
		} `json:"partitions"`
	}
	if err := decodeJSON(ReassignPartitionsPath, data, &j); err != nil {
		return nil, err
	}
	out := make(map[TP][]int32, len(j.Partitions))
	for _, p := range j.Partitions {
		out[TP{p.Topic, p.Partition}] = p.Replicas
	}
	return out, nil
}

// CreateReassignment starts a legacy ZooKeeper-triggered reassignment; an
// existing node means one is in progress.
func (c *Client) CreateReassignment(m map[TP][]int32) error {
	err := c.CreateRecursive(ReassignPartitionsPath, EncodeReassignment(m))
	if errors.Is(err, ErrNodeExists) {
		return kerr(ErrReassignmentInProgress, "There is an existing assignment running.")
	}
	return err
}

// GetReassignment reads /admin/reassign_partitions (wraps ErrNoNode).
func (c *Client) GetReassignment() (map[TP][]int32, error) {
	data, _, err := c.Get(ReassignPartitionsPath)
	if err != nil {
		return nil, err
	}
	return DecodeReassignment(data)
}

// SetReassignmentFenced rewrites the pending reassignments, deleting the node
// once none remain (the controller's progress bookkeeping).
func (c *Client) SetReassignmentFenced(epochZkVersion int32, m map[TP][]int32) error {
	if len(m) == 0 {
		return c.deleteFenced(epochZkVersion, ReassignPartitionsPath)
	}
	_, err := c.fencedMulti(epochZkVersion, &zk.SetDataRequest{Path: ReassignPartitionsPath, Data: EncodeReassignment(m), Version: -1})
	return err
}

// DeleteReassignmentFenced removes /admin/reassign_partitions.
func (c *Client) DeleteReassignmentFenced(epochZkVersion int32) error {
	return c.deleteFenced(epochZkVersion, ReassignPartitionsPath)
}

// EncodePreferredReplicaElection renders /admin/preferred_replica_election (§1.12).
func EncodePreferredReplicaElection(tps []TP) []byte {
	b := []byte("[")
	for i, tp := range tps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, newObj().str("topic", tp.Topic).num("partition", int64(tp.Partition)).bytes()...)
	}
	b = append(b, ']')
	return newObj().num("version", 1).raw("partitions", b).bytes()
}

// DecodePreferredReplicaElection parses /admin/preferred_replica_election.
func DecodePreferredReplicaElection(data []byte) ([]TP, error) {
	return decodeTPList(PreferredReplicaElectionPath, data)
}

// CreatePreferredReplicaElection is the legacy tool's trigger.
func (c *Client) CreatePreferredReplicaElection(tps []TP) error {
	err := c.CreateRecursive(PreferredReplicaElectionPath, EncodePreferredReplicaElection(tps))
	if errors.Is(err, ErrNodeExists) {
		return kerr(ErrAdminOperation, "Preferred replica leader election currently in progress for %v. Aborting operation", tps)
	}
	return err
}

// GetPreferredReplicaElection reads the pending election (wraps ErrNoNode).
func (c *Client) GetPreferredReplicaElection() ([]TP, error) {
	data, _, err := c.Get(PreferredReplicaElectionPath)
	if err != nil {
		return nil, err
	}
	return DecodePreferredReplicaElection(data)
}

// DeletePreferredReplicaElectionFenced removes the trigger after the election.
func (c *Client) DeletePreferredReplicaElectionFenced(epochZkVersion int32) error {
	return c.deleteFenced(epochZkVersion, PreferredReplicaElectionPath)
}

// EncodeFeatureZNode renders /feature with no finalized features (§1.17).
func EncodeFeatureZNode(enabled bool) []byte {
	status := int64(0)
	if enabled {
		status = 1
	}
	return newObj().raw("features", []byte("{}")).num("version", 1).num("status", status).bytes()
}

// EnsureFeatureZNode creates /feature (enabled, no features) if missing, as
// the 2.8 controller does on failover, and returns its dataVersion (the
// finalized-features epoch).
func (c *Client) EnsureFeatureZNode() (int32, error) {
	_, st, err := c.Get(FeaturePath)
	if err == nil {
		return st.Version, nil
	}
	if !errors.Is(err, ErrNoNode) {
		return -1, err
	}
	_, err = c.Create(FeaturePath, EncodeFeatureZNode(true), zk.FlagPersistent)
	if err != nil && !errors.Is(err, ErrNodeExists) {
		return -1, fmt.Errorf("zkmeta: creating %s: %w", FeaturePath, err)
	}
	_, st, err = c.Get(FeaturePath)
	if err != nil {
		return -1, err
	}
	return st.Version, nil
}
