package zkmeta

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"
)

// SessionEvent is a ZooKeeper session state change as the broker needs it.
type SessionEvent int

const (
	// SessionConnected: a session is usable (first connect or a reconnect that
	// kept the same session, so ephemerals and watches survived).
	SessionConnected SessionEvent = iota
	// SessionDisconnected: the TCP connection was lost; the session may survive.
	SessionDisconnected
	// SessionExpiredAndReconnected: the old session expired and a NEW one is
	// established. Ephemeral nodes are gone and watches were dropped: the
	// broker must re-register, re-elect and re-arm its watches.
	SessionExpiredAndReconnected
	// SessionExpired: the server reported the session expired; a new session
	// is being established (Kafka's controller resigns at this point).
	SessionExpired
)

func (e SessionEvent) String() string {
	switch e {
	case SessionConnected:
		return "Connected"
	case SessionDisconnected:
		return "Disconnected"
	case SessionExpiredAndReconnected:
		return "ExpiredAndReconnected"
	case SessionExpired:
		return "Expired"
	}
	return fmt.Sprintf("SessionEvent(%d)", int(e))
}

// Client is Kafka's KafkaZkClient: a ZooKeeper connection with chroot
// handling plus typed accessors for Kafka's znodes.
type Client struct {
	conn           *zk.Conn
	chroot         string
	servers        []string
	log            zerolog.Logger
	sessionTimeout time.Duration
	connTimeout    time.Duration
	acl            []zk.ACL

	ready chan struct{} // closed once conn is assigned
	done  chan struct{} // closed by Close

	qmu    sync.Mutex
	queue  []zk.Event
	notify chan struct{}

	mu           sync.Mutex
	hasSession   bool
	connCh       chan struct{} // closed while a session is usable
	sessionID    int64
	expired      bool
	prevSessions []int64
	generation   uint64 // bumped whenever a NEW session is established
	genCh        chan struct{}
	closed       bool
	subs         []chan SessionEvent
	events       chan SessionEvent
	closeOnce    sync.Once
}

// zkLogger routes go-zookeeper's chatter to debug level: its lines repeat on
// every reconnect attempt and Kafka's own wording is logged by us instead.
type zkLogger struct{ log zerolog.Logger }

func (l zkLogger) Printf(format string, args ...any) {
	l.log.Debug().Msgf(strings.TrimRight(format, "\n"), args...)
}

// ParseConnect splits zookeeper.connect ("h1:2181,h2:2181/kafka") into the
// server list and the chroot ("" when absent or "/").
func ParseConnect(connect string) (servers []string, chroot string, err error) {
	connect = strings.TrimSpace(connect)
	hosts := connect
	if i := strings.IndexByte(connect, '/'); i >= 0 {
		hosts, chroot = connect[:i], connect[i:]
		chroot = strings.TrimRight(chroot, "/")
		if strings.Contains(chroot, "//") {
			return nil, "", fmt.Errorf("zkmeta: invalid chroot in zookeeper.connect %q", connect)
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h != "" {
			servers = append(servers, h)
		}
	}
	if len(servers) == 0 {
		return nil, "", fmt.Errorf("zkmeta: no servers in zookeeper.connect %q", connect)
	}
	return servers, chroot, nil
}

// Connect opens a session like Kafka's ZooKeeperClient: it keeps retrying
// while ZooKeeper is unreachable, logging "Waiting until connected." and
// fails after connTimeout (<= 0 means sessionTimeout). A chroot in connect is
// created (recursively, null data) if missing and prefixed to every path.
func Connect(connect string, sessionTimeout, connTimeout time.Duration, log zerolog.Logger) (*Client, error) {
	servers, chroot, err := ParseConnect(connect)
	if err != nil {
		return nil, err
	}
	if sessionTimeout <= 0 {
		sessionTimeout = 18 * time.Second // zookeeper.session.timeout.ms default
	}
	if connTimeout <= 0 {
		connTimeout = sessionTimeout
	}
	c := &Client{
		chroot:         chroot,
		servers:        servers,
		log:            log,
		sessionTimeout: sessionTimeout,
		connTimeout:    connTimeout,
		acl:            zk.WorldACL(zk.PermAll),
		ready:          make(chan struct{}),
		done:           make(chan struct{}),
		notify:         make(chan struct{}, 1),
		connCh:         make(chan struct{}),
		genCh:          make(chan struct{}),
		events:         make(chan SessionEvent, 64),
	}
	c.subs = append(c.subs, c.events)
	log.Info().Msgf("Initializing a new session to %s.", strings.Join(servers, ","))
	conn, _, err := zk.Connect(servers, sessionTimeout,
		zk.WithLogger(zkLogger{log}), zk.WithLogInfo(false), zk.WithEventCallback(c.onEvent))
	if err != nil {
		return nil, fmt.Errorf("zkmeta: connect %s: %w", connect, err)
	}
	c.conn = conn
	close(c.ready)
	go c.processEvents()

	if !c.waitUntilConnected(connTimeout) {
		c.Close()
		return nil, kerr(ErrConnectionTimeout, "Timed out waiting for connection while in state: CONNECTING")
	}
	log.Info().Msg("Connected.")

	if chroot != "" {
		created, err := c.ensureRaw(chroot)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("zkmeta: creating chroot %s: %w", chroot, err)
		}
		if created {
			log.Info().Msgf("Created zookeeper path %s", chroot)
		}
	}
	return c, nil
}

// waitUntilConnected logs Kafka's "Waiting until connected." now and every
// few seconds so an operator sees why startup is stuck.
func (c *Client) waitUntilConnected(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	c.log.Info().Msg("Waiting until connected.")
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		if c.hasSession {
			c.mu.Unlock()
			return true
		}
		ch := c.connCh
		c.mu.Unlock()
		select {
		case <-ch:
		case <-tick.C:
			c.log.Info().Msgf("Waiting until connected. (zookeeper %s, state %s, %s left)",
				strings.Join(c.servers, ","), c.conn.State(), time.Until(deadline).Round(time.Second))
		case <-timer.C:
			return false
		case <-c.done:
			return false
		}
	}
}

// onEvent runs on go-zookeeper's goroutine and must not block.
func (c *Client) onEvent(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	c.qmu.Lock()
	c.queue = append(c.queue, ev)
	c.qmu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *Client) processEvents() {
	defer func() {
		c.mu.Lock()
		for _, s := range c.subs {
			close(s)
		}
		c.subs = nil
		c.mu.Unlock()
	}()
	for {
		select {
		case <-c.done:
			return
		case <-c.notify:
		}
		c.qmu.Lock()
		evs := c.queue
		c.queue = nil
		c.qmu.Unlock()
		for _, ev := range evs {
			c.handleState(ev.State)
		}
	}
}

func (c *Client) handleState(s zk.State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	switch s {
	case zk.StateHasSession:
		sid := c.conn.SessionID()
		var ev SessionEvent
		switch {
		case c.sessionID == 0 && !c.expired:
			ev = SessionConnected
			c.bumpGeneration()
		case c.expired || sid != c.sessionID:
			if c.sessionID != 0 {
				c.prevSessions = append(c.prevSessions, c.sessionID)
			}
			c.log.Info().Msgf("Session re-established with new session id 0x%x.", sid)
			ev = SessionExpiredAndReconnected
			c.bumpGeneration()
		default:
			ev = SessionConnected
		}
		c.sessionID = sid
		c.expired = false
		c.hasSession = true
		close(c.connCh)
		c.emit(ev)
	case zk.StateExpired:
		if c.hasSession {
			c.hasSession = false
			c.connCh = make(chan struct{})
		}
		if !c.expired {
			c.log.Warn().Msgf("Session 0x%x expired; creating a new session.", c.sessionID)
			if c.sessionID != 0 {
				c.prevSessions = append(c.prevSessions, c.sessionID)
				c.sessionID = 0
			}
			c.expired = true
			c.emit(SessionExpired)
		}
	case zk.StateDisconnected:
		if c.hasSession {
			c.hasSession = false
			c.connCh = make(chan struct{})
			c.log.Info().Msg("Disconnected from ZooKeeper; reconnecting.")
			c.emit(SessionDisconnected)
		}
	}
}

func (c *Client) bumpGeneration() {
	c.generation++
	close(c.genCh)
	c.genCh = make(chan struct{})
}

// emit never blocks: a subscriber that does not drain its buffer loses events
// rather than stalling ZooKeeper processing.
func (c *Client) emit(ev SessionEvent) {
	for _, s := range c.subs {
		select {
		case s <- ev:
		default:
			c.log.Warn().Msgf("Dropping ZooKeeper session event %s: subscriber not keeping up.", ev)
		}
	}
}

// SessionEvents is the broker's feed of session changes (buffered; closed by Close).
func (c *Client) SessionEvents() <-chan SessionEvent { return c.events }

// sessionGeneration returns a counter bumped on every new session and a
// channel closed when it next changes.
func (c *Client) sessionGeneration() (uint64, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.generation, c.genCh
}

// Close ends the session (ephemerals go away immediately).
func (c *Client) Close() {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.done)
		c.conn.Close()
	})
}

// SessionID is the current session id (0 while none is established).
func (c *Client) SessionID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

// Chroot returns the chroot path ("" if none).
func (c *Client) Chroot() string { return c.chroot }

func (c *Client) isPreviousSession(owner int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.prevSessions {
		if s == owner {
			return true
		}
	}
	return false
}
