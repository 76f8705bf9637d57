package controller

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-zookeeper/zk"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// ZooKeeper paths the controller watches or edits directly (the rest go through zkmeta).
const (
	controllerPath        = "/controller"
	brokerIDsPath         = "/brokers/ids"
	topicsPath            = "/brokers/topics"
	deleteTopicsPath      = "/admin/delete_topics"
	isrChangePath         = "/isr_change_notification"
	logDirEventPath       = "/log_dir_event_notification"
	preferredElectionPath = "/admin/preferred_replica_election"
	reassignPartitionPath = "/admin/reassign_partitions"
)

// Every armed watch is recorded under a key with a unique token, so that a re-read does not
// stack a second goroutine on the same ZooKeeper watch, and a firing only clears its own entry.
// Controller-only watches also carry the watch generation of the term that armed them: a
// resignation bumps watchGen so that late firings are dropped (Kafka's unregister*Handler).
// The /controller watch every broker keeps is generation-independent.

func (c *Controller) arm(key string) (token uint64, ok bool) {
	c.watchMu.Lock()
	defer c.watchMu.Unlock()
	if _, armed := c.watchArmed[key]; armed {
		return 0, false
	}
	c.watchToken++
	c.watchArmed[key] = c.watchToken
	return c.watchToken, true
}

func (c *Controller) disarm(key string) {
	c.watchMu.Lock()
	delete(c.watchArmed, key)
	c.watchMu.Unlock()
}

func (c *Controller) disarmToken(key string, token uint64) {
	c.watchMu.Lock()
	if t, ok := c.watchArmed[key]; ok && t == token {
		delete(c.watchArmed, key)
	}
	c.watchMu.Unlock()
}

// waitWatch turns one watch firing into one queued event. Session loss (EventNotWatching) is
// not an event: OnSessionReestablished re-arms everything.
func (c *Controller) waitWatch(key string, token uint64, persistent bool, ch <-chan zk.Event, mk func(zk.Event) event) {
	gen := c.watchGen.Load()
	go func() {
		ev, ok := <-ch
		c.disarmToken(key, token)
		if !ok || ev.Type == zk.EventNotWatching {
			return
		}
		if !persistent && c.watchGen.Load() != gen {
			return
		}
		if e := mk(ev); e != nil {
			c.queue.put(e)
		}
	}()
}

// childrenW reads path's children, leaving a child watch that queues mk().
func (c *Controller) childrenW(path string, mk func() event) ([]string, error) {
	key := "children:" + path
	token, ok := c.arm(key)
	if !ok {
		return c.zk.Children(path)
	}
	kids, ch, err := c.zk.ChildrenW(path)
	if err != nil {
		c.disarmToken(key, token)
		return nil, err
	}
	c.waitWatch(key, token, false, ch, func(zk.Event) event { return mk() })
	return kids, nil
}

// existsW leaves an exists/data watch on path (fires on create, delete and data change).
func (c *Controller) existsW(path string, mk func() event) (bool, error) {
	key := "exists:" + path
	token, ok := c.arm(key)
	if !ok {
		exists, _, err := c.zk.Exists(path)
		return exists, err
	}
	exists, _, ch, err := c.zk.ExistsW(path)
	if err != nil {
		c.disarmToken(key, token)
		return false, err
	}
	c.waitWatch(key, token, false, ch, func(zk.Event) event { return mk() })
	return exists, nil
}

// watchControllerNode keeps every broker's exists-watch on /controller: deletion means
// re-elect, creation or change means "maybe resign".
func (c *Controller) watchControllerNode() error {
	key := "controller:" + controllerPath
	token, ok := c.arm(key)
	if !ok {
		return nil
	}
	_, _, ch, err := c.zk.ExistsW(controllerPath)
	if err != nil {
		c.disarmToken(key, token)
		return err
	}
	c.waitWatch(key, token, true, ch, func(ev zk.Event) event {
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
	for k := range c.watchArmed {
		if !strings.HasPrefix(k, "controller:") {
			delete(c.watchArmed, k)
		}
	}
	c.watchMu.Unlock()
}

// forgetAllWatches is for a new ZooKeeper session: the old session's watches are gone, so
// everything (including /controller) must be armed again.
func (c *Controller) forgetAllWatches() {
	c.watchMu.Lock()
	c.watchGen.Add(1)
	c.watchArmed = map[string]uint64{}
	c.watchMu.Unlock()
}

func isNoNode(err error) bool {
	return errors.Is(err, zk.ErrNoNode) || errors.Is(err, zkmeta.ErrNoNode)
}

func isBadVersion(err error) bool {
	return errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zkmeta.ErrBadVersion)
}

func brokerPath(id int32) string { return fmt.Sprintf("%s/%d", brokerIDsPath, id) }
func topicPath(t string) string  { return topicsPath + "/" + t }
func itoa(id int32) string       { return fmt.Sprint(id) }

func isControllerMoved(err error) bool { return errors.Is(err, zkmeta.ErrControllerMoved) }
