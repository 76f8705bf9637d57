package zkmeta

import (
	"errors"
	"fmt"
	"sync"

	"github.com/go-zookeeper/zk"
)

// TP names a partition.
type TP struct {
	Topic     string
	Partition int32
}

func (tp TP) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// LeaderIsr is /brokers/topics/<t>/partitions/<p>/state (§1.7); ZkVersion is
// the znode's dataVersion, the partition's fencing token.
type LeaderIsr struct {
	Leader          int32
	LeaderEpoch     int32
	ISR             []int32
	ControllerEpoch int32
	ZkVersion       int32
}

// Encode renders the state JSON in the key order seen on real clusters.
func (l LeaderIsr) Encode() []byte {
	isr := l.ISR
	if isr == nil {
		isr = []int32{}
	}
	return newObj().num("controller_epoch", int64(l.ControllerEpoch)).num("leader", int64(l.Leader)).
		num("version", 1).num("leader_epoch", int64(l.LeaderEpoch)).raw("isr", jsonInts(isr)).bytes()
}

// EqualIgnoringZkVersion compares everything but ZkVersion.
func (l LeaderIsr) EqualIgnoringZkVersion(o LeaderIsr) bool {
	if l.Leader != o.Leader || l.LeaderEpoch != o.LeaderEpoch || l.ControllerEpoch != o.ControllerEpoch || len(l.ISR) != len(o.ISR) {
		return false
	}
	for i := range l.ISR {
		if l.ISR[i] != o.ISR[i] {
			return false
		}
	}
	return true
}

// DecodeLeaderIsr parses a state znode (ZkVersion set to -1).
func DecodeLeaderIsr(data []byte) (LeaderIsr, error) {
	var j struct {
		Leader          *int32  `json:"leader"`
		LeaderEpoch     int32   `json:"leader_epoch"`
		ISR             []int32 `json:"isr"`
		ControllerEpoch int32   `json:"controller_epoch"`
	}
	if err := decodeJSON("partition state", data, &j); err != nil {
		return LeaderIsr{}, err
	}
	if j.Leader == nil {
		return LeaderIsr{}, fmt.Errorf("%w: partition state without leader", ErrBadData)
	}
	if j.ISR == nil {
		j.ISR = []int32{}
	}
	return LeaderIsr{Leader: *j.Leader, LeaderEpoch: j.LeaderEpoch, ISR: j.ISR, ControllerEpoch: j.ControllerEpoch, ZkVersion: -1}, nil
}

// GetPartitionState reads one state znode (wraps ErrNoNode).
func (c *Client) GetPartitionState(topic string, p int32) (LeaderIsr, error) {
	data, st, err := c.Get(PartitionStatePath(topic, p))
	if err != nil {
		return LeaderIsr{}, err
	}
	li, err := DecodeLeaderIsr(data)
	if err != nil {
		return LeaderIsr{}, fmt.Errorf("%s: %w", PartitionStatePath(topic, p), err)
	}
	li.ZkVersion = st.Version
	return li, nil
}

// maxInFlight mirrors zookeeper.max.in.flight.requests (10): batch reads are
// pipelined over the one connection rather than issued one round trip at a time.
const maxInFlight = 10

// GetPartitionStates reads many state znodes concurrently; partitions whose
// state node is missing are absent from the result.
func (c *Client) GetPartitionStates(tps []TP) (map[TP]LeaderIsr, error) {
	out := make(map[TP]LeaderIsr, len(tps))
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for _, tp := range tps {
		wg.Add(1)
		sem <- struct{}{}
		go func(tp TP) {
			defer wg.Done()
			defer func() { <-sem }()
			li, err := c.GetPartitionState(tp.Topic, tp.Partition)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				out[tp] = li
			case errors.Is(err, ErrNoNode):
			case firstErr == nil:
				firstErr = err
			}
		}(tp)
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// CreatePartitionStatesFenced creates the partitions/<p> parents (null data)
// and the initial state znodes, each write fenced by the controller epoch.
// It returns the new zkVersion (0) of every state created; if any creation
// failed (e.g. ErrNodeExists because the state already exists) the first
// such error is returned alongside the successes. ErrControllerMoved aborts.
func (c *Client) CreatePartitionStatesFenced(epochZkVersion int32, states map[TP]LeaderIsr) (map[TP]int32, error) {
	topics := map[string]bool{}
	for tp := range states {
		if !topics[tp.Topic] {
			topics[tp.Topic] = true
			if err := c.createFencedIgnoreExists(epochZkVersion, TopicPartitionsPath(tp.Topic)); err != nil {
				return nil, err
			}
		}
	}
	out := make(map[TP]int32, len(states))
	var mu sync.Mutex
	var firstErr, moved error
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for tp, li := range states {
		wg.Add(1)
		sem <- struct{}{}
		go func(tp TP, li LeaderIsr) {
			defer wg.Done()
			defer func() { <-sem }()
			err := c.createFencedIgnoreExists(epochZkVersion, TopicPartitionPath(tp.Topic, tp.Partition))
			if err == nil {
				_, err = c.fencedMulti(epochZkVersion, &zk.CreateRequest{
					Path: PartitionStatePath(tp.Topic, tp.Partition), Data: li.Encode(), Flags: zk.FlagPersistent})
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				out[tp] = 0
			case errors.Is(err, ErrControllerMoved):
				moved = err
			case firstErr == nil:
				firstErr = fmt.Errorf("%s: %w", tp, err)
			}
		}(tp, li)
	}
	wg.Wait()
	if moved != nil {
		return nil, moved
	}
	return out, firstErr
}

func (c *Client) createFencedIgnoreExists(epochZkVersion int32, path string) error {
	_, err := c.fencedMulti(epochZkVersion, &zk.CreateRequest{Path: path, Data: nil, Flags: zk.FlagPersistent})
	if errors.Is(err, ErrNodeExists) {
		return nil
	}
	return err
}

// UpdatePartitionState writes li conditional on li.ZkVersion and returns the
// new zkVersion. epochZkVersion >= 0: a controller write, fenced. -1: a
// leader's own ISR change (pre-AlterIsr path); there a BADVERSION whose
// stored state already equals li is treated as our own lost write, as
// ReplicationUtils' checker does.
func (c *Client) UpdatePartitionState(epochZkVersion int32, tp TP, li LeaderIsr) (int32, error) {
	path := PartitionStatePath(tp.Topic, tp.Partition)
	if epochZkVersion >= 0 {
		res, err := c.fencedMulti(epochZkVersion, &zk.SetDataRequest{Path: path, Data: li.Encode(), Version: li.ZkVersion})
		if err != nil {
			return -1, err
		}
		return res[0].Stat.Version, nil
	}
	st, err := c.Set(path, li.Encode(), li.ZkVersion)
	if err == nil {
		return st.Version, nil
	}
	if errors.Is(err, ErrBadVersion) {
		if cur, gerr := c.GetPartitionState(tp.Topic, tp.Partition); gerr == nil && cur.EqualIgnoringZkVersion(li) {
			return cur.ZkVersion, nil
		}
	}
	return -1, err
}

// EncodeIsrChangeNotification renders {"version":1,"partitions":[{"topic":..,"partition":..}]}.
func EncodeIsrChangeNotification(tps []TP) []byte {
	return encodeTPList(tps)
}

func encodeTPList(tps []TP) []byte {
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

func decodeTPList(what string, data []byte) ([]TP, error) {
	var j struct {
		Partitions []struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
		} `json:"partitions"`
	}
	if err := decodeJSON(what, data, &j); err != nil {
		return nil, err
	}
	out := make([]TP, 0, len(j.Partitions))
	for _, p := range j.Partitions {
		out = append(out, TP{p.Topic, p.Partition})
	}
	return out, nil
}

// DecodeIsrChangeNotification parses one isr_change_ node.
func DecodeIsrChangeNotification(data []byte) ([]TP, error) {
	return decodeTPList(IsrChangeNotificationPath, data)
}

// WriteIsrChangeNotification creates a sequential isr_change_ node (leaders,
// IBP < 2.7-IV2).
func (c *Client) WriteIsrChangeNotification(tps []TP) error {
	return c.createSequential(IsrChangeNotificationPath, IsrChangePrefix, EncodeIsrChangeNotification(tps))
}

func (c *Client) createSequential(parent, prefix string, data []byte) error {
	_, err := c.Create(parent+"/"+prefix, data, zk.FlagSequence)
	if errors.Is(err, ErrNoNode) {
		if err := c.makeSurePersistentPathExists(parent); err != nil {
			return err
		}
		_, err = c.Create(parent+"/"+prefix, data, zk.FlagSequence)
	}
	return err
}

// ReadAndDeleteIsrChangeNotifications returns the partitions named by all
// pending notifications (deduplicated, in notification order) and deletes
// those notifications, fenced when epochZkVersion >= 0.
func (c *Client) ReadAndDeleteIsrChangeNotifications(epochZkVersion int32) ([]TP, error) {
	kids, err := c.Children(IsrChangeNotificationPath)
	if errors.Is(err, ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	seen := map[TP]bool{}
	var out []TP
	for _, k := range kids {
		path := IsrChangeNotificationPath + "/" + k
		data, _, err := c.Get(path)
		if errors.Is(err, ErrNoNode) {
			continue
		}
		if err != nil {
			return nil, err
		}
		tps, err := DecodeIsrChangeNotification(data)
		if err != nil {
			c.log.Warn().Msgf("Ignoring malformed ISR change notification %s: %v", path, err)
		}
		for _, tp := range tps {
			if !seen[tp] {
				seen[tp] = true
				out = append(out, tp)
			}
		}
	}
	for _, k := range kids {
		if err := c.deleteMaybeFenced(epochZkVersion, IsrChangeNotificationPath+"/"+k); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (c *Client) deleteMaybeFenced(epochZkVersion int32, path string) error {
	if epochZkVersion >= 0 {
		return c.deleteFenced(epochZkVersion, path)
	}
	err := c.Delete(path, -1)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	return err
}

// LogDirFailureEvent is the only log_dir_event_notification event type.
const LogDirFailureEvent = 1

// WriteLogDirEventNotification records that brokerID lost a log dir (§1.14).
func (c *Client) WriteLogDirEventNotification(brokerID int32) error {
	data := newObj().num("version", 1).num("broker", int64(brokerID)).num("event", LogDirFailureEvent).bytes()
	return c.createSequential(LogDirEventNotificationPath, LogDirEventPrefix, data)
}

// ReadAndDeleteLogDirEventNotifications returns the brokers named by pending
// log-dir failure notifications and deletes them (fenced when >= 0).
func (c *Client) ReadAndDeleteLogDirEventNotifications(epochZkVersion int32) ([]int32, error) {
	kids, err := c.Children(LogDirEventNotificationPath)
	if errors.Is(err, ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	seen := map[int32]bool{}
	var out []int32
	for _, k := range kids {
		path := LogDirEventNotificationPath + "/" + k
		data, _, err := c.Get(path)
		if errors.Is(err, ErrNoNode) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var j struct {
			Broker int32 `json:"broker"`
		}
		if err := decodeJSON(path, data, &j); err == nil && !seen[j.Broker] {
			seen[j.Broker] = true
			out = append(out, j.Broker)
		}
	}
	for _, k := range kids {
		if err := c.deleteMaybeFenced(epochZkVersion, LogDirEventNotificationPath+"/"+k); err != nil {
			return out, err
		}
	}
	return out, nil
}
