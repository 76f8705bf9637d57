package controller

import (
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// ZooKeeper paths the controller watches or edits directly (the rest go through zkmeta).
const (
	controllerPath        = "/controller"
	controllerEpochPath   = "/controller_epoch"
	brokerIDsPath         = "/brokers/ids"
	topicsPath            = "/brokers/topics"
	deleteTopicsPath      = "/admin/delete_topics"
	isrChangePath         = "/isr_change_notification"
	logDirEventPath       = "/log_dir_event_notification"
	preferredElectionPath = "/admin/preferred_replica_election"
	reassignPartitionPath = "/admin/reassign_partitions"
)

// persistentGen marks watches that survive resignation (the /controller watch every broker
// keeps); controller-only watches carry the generation of the term that armed them, and a
// resignation bumps watchGen so that late firings are dropped (Kafka's unregister*Handler).
const persistentGen = 0

// arm records that a watch on key is pending; it returns false when one already is, so that a
// re-read does not stack a second goroutine on the same ZooKeeper watch.
func (c *Controller) arm(key string, gen uint64) bool {
	c.watchMu.Lock()
	defer c.watchMu.Unlock()
	if g, ok := c.watchArmed[key]; ok && g == gen {
		return false
	}
	c.watchArmed[key] = gen
	return true
}

func (c *Controller) disarm(key string) {
	c.watchMu.Lock()
	delete(c.watchArmed, key)
	c.watchMu.Unlock()
}

// waitWatch turns one watch firing into one queued event. Session loss (EventNotWatching) is
// not an event: OnSessionReestablished re-arms everything.
func (c *Controller) waitWatch(key string, gen uint64, ch <-chan zk.Event, mk func(zk.Event) event) {
	go func() {
		ev, ok := <-ch
		c.watchMu.Lock()
		if g, armed := c.watchArmed[key]; armed && g == gen {
			delete(c.watchArmed, key)
		}
		c.watchMu.Unlock()
		if !ok || ev.Type == zk.EventNotWatching {
			return
		}
		if gen != persistentGen && c.watchGen.Load() != gen {
			return
		}
		if e := mk(ev); e != nil {
			c.queue.put(e)
		}
	}()
}

func (c *Controller) currentGen() uint64 { return c.watchGen.Load() }

// childrenW reads path's children, leaving a child watch that queues mk().
func (c *Controller) childrenW(path string, mk func() event) ([]string, error) {
	gen := c.currentGen()
	key := "children:" + path
	if !c.arm(key, gen) {
		return c.zk.Children(path)
	}
	kids, ch, err := c.zk.ChildrenW(path)
	if err != nil {
		c.disarm(key)
		return nil, err
	}
	c.waitWatch(key, gen, ch, func(zk.Event) event { return mk() })
	return kids, nil
}

// existsW leaves an exists/data watch on path (fires on create, delete and data change).
func (c *Controller) existsW(path string, mk func() event) (bool, error) {
	gen := c.currentGen()
	key := "exists:" + path
	if !c.arm(key, gen) {
		ok, _, err := c.zk.Exists(path)
		return ok, err
	}
	ok, _, ch, err := c.zk.ExistsW(path)
	if err != nil {
		c.disarm(key)
		return false, err
	}
	c.waitWatch(key, gen, ch, func(zk.Event) event { return mk() })
	return ok, nil
}

// watchControllerNode keeps every broker's exists-watch on /controller: deletion means
// re-elect, creation or change means "maybe resign".
func (c *Controller) watchControllerNode() error {
	key := "controller:" + controllerPath
	if !c.arm(key, persistentGen) {
		return nil
	}
	_, _, ch, err := c.zk.ExistsW(controllerPath)
	if err != nil {
		c.disarm(key)
		return err
	}
	c.waitWatch(key, persistentGen, ch, func(ev zk.Event) event {
		if ev.Type == zk.EventNodeDeleted {
			return &reelectEvent{}
		}
		return &controllerChangeEvent{}
	})
	return nil
}

// unwatchAll forgets every controller-only watch (resignation).
func (c *Controller) unwatchAll() {
	c.watchMu.Lock()
	c.watchGen.Add(1)
	for k, g := range c.watchArmed {
		if g != persistentGen {
			delete(c.watchArmed, k)
		}
	}
	c.watchMu.Unlock()
}

// deleteFenced deletes path in a multi guarded by the /controller_epoch zkVersion; a missing
// node is not an error.
func (c *Controller) deleteFenced(path string) error {
	resp, err := c.zk.Multi(
		&zk.CheckVersionRequest{Path: controllerEpochPath, Version: c.ctx.epochZkVersion},
		&zk.DeleteRequest{Path: path, Version: -1},
	)
	return c.fencedResult(resp, err)
}

// setFenced overwrites path's data in a fenced multi.
func (c *Controller) setFenced(path string, data []byte) error {
	resp, err := c.zk.Multi(
		&zk.CheckVersionRequest{Path: controllerEpochPath, Version: c.ctx.epochZkVersion},
		&zk.SetDataRequest{Path: path, Data: data, Version: -1},
	)
	return c.fencedResult(resp, err)
}

func (c *Controller) fencedResult(resp []zk.MultiResponse, err error) error {
	if len(resp) > 0 && resp[0].Error != nil {
		if isBadVersion(resp[0].Error) {
			return fmt.Errorf("controller: epoch zkVersion %d check failed: %w", c.ctx.epochZkVersion, zkmeta.ErrControllerMoved)
		}
		return resp[0].Error
	}
	if len(resp) > 1 && resp[1].Error != nil {
		if isNoNode(resp[1].Error) {
			return nil
		}
		return resp[1].Error
	}
	if err != nil {
		switch {
		case isNoNode(err):
			return nil
		case isBadVersion(err):
			return fmt.Errorf("controller: epoch zkVersion %d check failed: %w", c.ctx.epochZkVersion, zkmeta.ErrControllerMoved)
		}
		return err
	}
	return nil
}

func isNoNode(err error) bool {
	return errors.Is(err, zk.ErrNoNode) || errors.Is(err, zkmeta.ErrNoNode)
}

func isBadVersion(err error) bool {
	return errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zkmeta.ErrBadVersion)
}

func isNodeExists(err error) bool {
	return errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zkmeta.ErrNodeExists)
}

// deleteChildrenFenced removes every child of path (notification queues).
func (c *Controller) deleteChildrenFenced(path string) error {
	kids, err := c.zk.Children(path)
	if err != nil {
		if isNoNode(err) {
			return nil
		}
		return err
	}
	for _, k := range kids {
		if err := c.deleteFenced(path + "/" + k); err != nil {
			return err
		}
	}
	return nil
}

func brokerPath(id int32) string  { return fmt.Sprintf("%s/%d", brokerIDsPath, id) }
func topicPath(t string) string   { return topicsPath + "/" + t }
func itoa(id int32) string         { return fmt.Sprint(id) }
