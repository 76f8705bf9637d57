package zkmeta

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// Chroot-aware ZooKeeper primitives. Every path argument and result is
// relative to the chroot; requests that fail for connection loss are retried
// once a session is usable again.

func (c *Client) abs(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == "/" {
		return c.chroot
	}
	return c.chroot + p
}

func (c *Client) rel(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == c.chroot {
		return "/"
	}
	return strings.TrimPrefix(p, c.chroot)
}

// retry re-issues op after connection loss once a session is usable again,
// as Kafka's retryRequestUntilConnected does, giving up after connTimeout
// without a session.
func (c *Client) retry(op func() error) error {
	var deadline time.Time
	for {
		err := op()
		if err == nil || !isConnectionLoss(err) {
			return err
		}
		select {
		case <-c.done:
			return ErrClosed
		default:
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(c.connTimeout)
		}
		// Let the connection loop notice the failure before polling state.
		time.Sleep(50 * time.Millisecond)
		c.mu.Lock()
		ok := c.hasSession
		ch := c.connCh
		c.mu.Unlock()
		if ok {
			if time.Now().After(deadline) {
				return fmt.Errorf("%w: %v", ErrConnectionLoss, err)
			}
			continue
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return fmt.Errorf("%w: %v", ErrConnectionLoss, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ch:
			t.Stop()
		case <-t.C:
			return fmt.Errorf("%w: %v", ErrConnectionLoss, err)
		case <-c.done:
			t.Stop()
			return ErrClosed
		}
	}
}

// wrapWatch rewrites the chroot out of a one-shot watch event.
func (c *Client) wrapWatch(in <-chan zk.Event) <-chan zk.Event {
	if c.chroot == "" {
		return in
	}
	out := make(chan zk.Event, 1)
	go func() {
		defer close(out)
		ev, ok := <-in
		if !ok {
			return
		}
		if ev.Path != "" {
			ev.Path = c.rel(ev.Path)
		}
		out <- ev
	}()
	return out
}

// Get reads a node's data; null data is returned as nil.
func (c *Client) Get(path string) ([]byte, *zk.Stat, error) {
	var data []byte
	var st *zk.Stat
	err := c.retry(func() (err error) {
		data, st, err = c.conn.Get(c.abs(path))
		return err
	})
	return data, st, mapErr(err, path)
}

func (c *Client) GetW(path string) ([]byte, *zk.Stat, <-chan zk.Event, error) {
	var data []byte
	var st *zk.Stat
	var ch <-chan zk.Event
	err := c.retry(func() (err error) {
		data, st, ch, err = c.conn.GetW(c.abs(path))
		return err
	})
	if err != nil {
		return nil, nil, nil, mapErr(err, path)
	}
	return data, st, c.wrapWatch(ch), nil
}

// Children returns the sorted child names.
func (c *Client) Children(path string) ([]string, error) {
	var kids []string
	err := c.retry(func() (err error) {
		kids, _, err = c.conn.Children(c.abs(path))
		return err
	})
	if err != nil {
		return nil, mapErr(err, path)
	}
	sort.Strings(kids)
	return kids, nil
}

func (c *Client) ChildrenW(path string) ([]string, <-chan zk.Event, error) {
	var kids []string
	var ch <-chan zk.Event
	err := c.retry(func() (err error) {
		kids, _, ch, err = c.conn.ChildrenW(c.abs(path))
		return err
	})
	if err != nil {
		return nil, nil, mapErr(err, path)
	}
	sort.Strings(kids)
	return kids, c.wrapWatch(ch), nil
}

func (c *Client) Exists(path string) (bool, *zk.Stat, error) {
	var ok bool
	var st *zk.Stat
	err := c.retry(func() (err error) {
		ok, st, err = c.conn.Exists(c.abs(path))
		return err
	})
	return ok, st, mapErr(err, path)
}

func (c *Client) ExistsW(path string) (bool, *zk.Stat, <-chan zk.Event, error) {
	var ok bool
	var st *zk.Stat
	var ch <-chan zk.Event
	err := c.retry(func() (err error) {
		ok, st, ch, err = c.conn.ExistsW(c.abs(path))
		return err
	})
	if err != nil {
		return false, nil, nil, mapErr(err, path)
	}
	return ok, st, c.wrapWatch(ch), nil
}

// Create creates a node (flags: zk.FlagEphemeral, zk.FlagSequence, ...) and
// returns its chroot-relative path.
func (c *Client) Create(path string, data []byte, flags int32) (string, error) {
	var created string
	err := c.retry(func() (err error) {
		created, err = c.conn.Create(c.abs(path), data, flags, c.acl)
		return err
	})
	if err != nil {
		return "", mapErr(err, path)
	}
	return c.rel(created), nil
}

// CreateRecursive is Kafka's createRecursive: missing parents are created
// with null data; NodeExists on path itself is returned.
func (c *Client) CreateRecursive(path string, data []byte) error {
	_, err := c.Create(path, data, zk.FlagPersistent)
	if !errors.Is(err, ErrNoNode) {
		return err
	}
	if err := c.makeSurePersistentPathExists(parentOf(path)); err != nil {
		return err
	}
	_, err = c.Create(path, data, zk.FlagPersistent)
	return err
}

// makeSurePersistentPathExists creates path and its parents with null data,
// tolerating nodes that already exist.
func (c *Client) makeSurePersistentPathExists(path string) error {
	if path == "/" || path == "" {
		return nil
	}
	err := c.CreateRecursive(path, nil)
	if errors.Is(err, ErrNodeExists) {
		return nil
	}
	return err
}

// ensureRaw creates an absolute (non-chrooted) path recursively.
func (c *Client) ensureRaw(path string) (created bool, err error) {
	if path == "/" || path == "" {
		return false, nil
	}
	err = c.retry(func() error {
		_, err := c.conn.Create(path, nil, zk.FlagPersistent, c.acl)
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, zk.ErrNodeExists):
		return false, nil
	case errors.Is(err, zk.ErrNoNode):
		if _, err := c.ensureRaw(parentOf(path)); err != nil {
			return false, err
		}
		return c.ensureRaw(path)
	}
	return false, err
}

func parentOf(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

// Set writes data if the node's version matches (-1 = any).
func (c *Client) Set(path string, data []byte, version int32) (*zk.Stat, error) {
	var st *zk.Stat
	err := c.retry(func() (err error) {
		st, err = c.conn.Set(c.abs(path), data, version)
		return err
	})
	return st, mapErr(err, path)
}

// Delete removes a node if its version matches (-1 = any).
func (c *Client) Delete(path string, version int32) error {
	return mapErr(c.retry(func() error { return c.conn.Delete(c.abs(path), version) }), path)
}

// DeleteRecursive removes path and its subtree; a missing path is not an error.
func (c *Client) DeleteRecursive(path string) error {
	kids, err := c.Children(path)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := c.DeleteRecursive(path + "/" + k); err != nil {
			return err
		}
	}
	err = c.Delete(path, -1)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	return err
}

// Multi runs ops atomically. Ops are *zk.CreateRequest, *zk.SetDataRequest,
// *zk.DeleteRequest or *zk.CheckVersionRequest with chroot-relative paths.
// On failure the returned error is the first failing op's, mapped to this
// package's sentinels; the per-op responses are returned as well.
func (c *Client) Multi(ops ...interface{}) ([]zk.MultiResponse, error) {
	abs := make([]interface{}, len(ops))
	paths := make([]string, len(ops))
	for i, op := range ops {
		switch o := op.(type) {
		case *zk.CreateRequest:
			cp := *o
			if cp.Acl == nil {
				cp.Acl = c.acl
			}
			paths[i], cp.Path = o.Path, c.abs(o.Path)
			abs[i] = &cp
		case *zk.SetDataRequest:
			cp := *o
			paths[i], cp.Path = o.Path, c.abs(o.Path)
			abs[i] = &cp
		case *zk.DeleteRequest:
			cp := *o
			paths[i], cp.Path = o.Path, c.abs(o.Path)
			abs[i] = &cp
		case *zk.CheckVersionRequest:
			cp := *o
			paths[i], cp.Path = o.Path, c.abs(o.Path)
			abs[i] = &cp
		default:
			return nil, fmt.Errorf("zkmeta: unsupported multi op %T", op)
		}
	}
	var res []zk.MultiResponse
	err := c.retry(func() (err error) {
		res, err = c.conn.Multi(abs...)
		return err
	})
	for i := range res {
		if res[i].String != "" {
			res[i].String = c.rel(res[i].String)
		}
	}
	if err != nil {
		for i := range res {
			if res[i].Error != nil && i < len(paths) && !isRuntimeInconsistency(res[i].Error) {
				return res, mapErr(res[i].Error, paths[i])
			}
		}
		return res, mapErr(err, "multi")
	}
	return res, nil
}

// isRuntimeInconsistency: ZooKeeper marks the ops after the failing one of a
// multi with RUNTIMEINCONSISTENCY (-2), which go-zookeeper has no sentinel for.
func isRuntimeInconsistency(err error) bool {
	return err != nil && err.Error() == "unknown error: -2"
}

// fencedMulti prefixes ops with check(/controller_epoch, epochZkVersion), the
// way every write of Kafka's controller is fenced; a failed check is
// ErrControllerMoved.
func (c *Client) fencedMulti(epochZkVersion int32, ops ...interface{}) ([]zk.MultiResponse, error) {
	all := append([]interface{}{&zk.CheckVersionRequest{Path: ControllerEpochPath, Version: epochZkVersion}}, ops...)
	res, err := c.Multi(all...)
	if err != nil {
		if len(res) > 0 && res[0].Error != nil && !isRuntimeInconsistency(res[0].Error) {
			return nil, kerr(ErrControllerMoved,
				"Controller epoch zkVersion check fails. Expected zkVersion = %d", epochZkVersion)
		}
		if len(res) > 0 {
			res = res[1:]
		}
		return res, err
	}
	return res[1:], nil
}
