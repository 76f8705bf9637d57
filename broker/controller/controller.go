package controller

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// Sender delivers one controller request to a broker (the broker wires it to a Kafka-protocol
// client on the target's inter-broker listener, including the controller's own broker).
type Sender interface {
	Send(ctx context.Context, broker zkmeta.BrokerInfo, req kmsg.Request) (kmsg.Response, error)
}

// Config is the part of KafkaConfig the controller reads.
type Config struct {
	BrokerID int32
	// BrokerEpoch returns this broker's current registration czxid (kept for callers that want
	// to compare; the controller reads every broker's epoch from ZooKeeper).
	BrokerEpoch func() int64
	// InterBrokerListener names the listener whose endpoint goes into LeaderAndIsr LiveLeaders
	// (inter.broker.listener.name, default PLAINTEXT).
	InterBrokerListener string

	DeleteTopicEnable           bool // delete.topic.enable
	UncleanLeaderElectionEnable bool // unclean.leader.election.enable (broker default)
	AutoLeaderRebalanceEnable   bool // auto.leader.rebalance.enable
	// LeaderImbalanceCheckInterval is leader.imbalance.check.interval.seconds (300 s).
	LeaderImbalanceCheckInterval time.Duration
	// LeaderImbalancePerBrokerPercentage is leader.imbalance.per.broker.percentage (10); 0 means 10.
	LeaderImbalancePerBrokerPercentage int
	// SocketTimeout is controller.socket.timeout.ms (30 s): the deadline of one request attempt.
	SocketTimeout time.Duration
	// RetryBackoff is the pause between attempts to a broker that failed (Kafka uses 100 ms).
	RetryBackoff time.Duration
	// StateChangeLogger receives the state-change log; nil derives one from the main logger.
	StateChangeLogger *zerolog.Logger
}

// Errors returned to callers of the request-style methods. They wrap the kerr error the
// broker should put into its response, so errors.As(err, **kerr.Error) finds the code.
var (
	ErrNotController      = fmt.Errorf("controller: not the active controller: %w", kerr.NotController)
	ErrStaleBrokerEpoch   = fmt.Errorf("controller: stale broker epoch: %w", kerr.StaleBrokerEpoch)
	ErrBrokerNotAvailable = fmt.Errorf("controller: broker not available: %w", kerr.BrokerNotAvailable)
	ErrShutdown           = fmt.Errorf("controller: shut down: %w", kerr.NotController)
)

// Controller is one broker's controller module (KafkaController).
type Controller struct {
	cfg    Config
	zk     *zkmeta.Client
	sender Sender
	log    zerolog.Logger
	scl    zerolog.Logger // state.change.logger, without the per-epoch prefix

	queue    *eventQueue
	loopDone chan struct{}
	// expiries counts ZooKeeper session expiries announced by OnSessionExpired;
	// electedAfterExpiry (loop-owned) is its value when the current term was won.
	expiries           atomic.Uint64
	electedAfterExpiry uint64
	started            atomic.Bool
	stopped            atomic.Bool
	stopOnce           sync.Once

	// Published for other goroutines; written only by the event loop.
	active     atomic.Bool
	epoch      atomic.Int32
	activeID   atomic.Int32
	watchGen   atomic.Uint64
	watchMu    sync.Mutex
	watchArmed map[string]uint64 // watch key -> token of the pending watch
	watchToken uint64

	// Owned by the event loop.
	ctx            *controllerContext
	channels       *channelManager
	batch          *requestBatch
	rebalanceTimer *time.Timer
	metrics        metricsHolder
	// firstRebalanceDelay is Kafka's fixed 5 s before the first imbalance check (tests shorten it).
	firstRebalanceDelay time.Duration
	mutedTopicWatch     map[string]bool
}

// New builds a controller; nothing happens until Start.
func New(cfg Config, zk *zkmeta.Client, sender Sender, log zerolog.Logger) *Controller {
	if cfg.InterBrokerListener == "" {
		cfg.InterBrokerListener = "PLAINTEXT"
	}
	if cfg.SocketTimeout <= 0 {
		cfg.SocketTimeout = 30 * time.Second
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 100 * time.Millisecond
	}
	if cfg.LeaderImbalanceCheckInterval <= 0 {
		cfg.LeaderImbalanceCheckInterval = 300 * time.Second
	}
	if cfg.LeaderImbalancePerBrokerPercentage <= 0 {
		cfg.LeaderImbalancePerBrokerPercentage = 10
	}
	if cfg.BrokerEpoch == nil {
		cfg.BrokerEpoch = func() int64 { return -1 }
	}
	c := &Controller{
		cfg:        cfg,
		zk:         zk,
		sender:     sender,
		log:        log.With().Str("component", "controller").Int32("broker", cfg.BrokerID).Logger(),
		queue:      newEventQueue(),
		loopDone:   make(chan struct{}),
		watchArmed: make(map[string]uint64),
	}
	if cfg.StateChangeLogger != nil {
		c.scl = *cfg.StateChangeLogger
	} else {
		c.scl = log.With().Str("logger", "state.change.logger").Logger()
	}
	c.activeID.Store(-1)
	c.ctx = newControllerContext()
	c.firstRebalanceDelay = 5 * time.Second
	return c
}

// Start runs the event loop and the first election (KafkaController.startup).
func (c *Controller) Start() {
	if !c.started.CompareAndSwap(false, true) {
		return
	}
	go c.run()
	c.queue.put(&startupEvent{})
}

// OnSessionExpired is called when ZooKeeper reports the session expired, before a new one
// exists (zkmeta.SessionExpired): like Kafka, the controller drops queued work and resigns.
func (c *Controller) OnSessionExpired() {
	if c.started.Load() {
		c.queue.clearAndPut(&expireEvent{seq: c.expiries.Add(1)})
	}
}

// OnSessionReestablished is called by the broker after a ZooKeeper session expired and a new
// one was established (and the broker re-registered): it re-runs the election. Resignation
// already happened on OnSessionExpired; queuing another expire here could undo an election
// that the re-armed /controller watch has won in the meantime and force a second one.
func (c *Controller) OnSessionReestablished() {
	c.queue.put(&reelectEvent{})
}

// IsActive reports whether this broker is the active controller.
func (c *Controller) IsActive() bool { return c.active.Load() }

// Epoch is the controller epoch of this broker's current term (0 before it ever won).
func (c *Controller) Epoch() int32 { return c.epoch.Load() }

// ActiveControllerID is the broker id read from /controller at the last check, -1 if none.
func (c *Controller) ActiveControllerID() int32 { return c.activeID.Load() }

// QueueSize is the number of events waiting (Kafka's EventQueueSize metric).
func (c *Controller) QueueSize() int { return c.queue.size() }

// ControlledShutdown runs the controller side of a broker's controlled shutdown and returns the
// partitions the broker still leads. Errors wrap NOT_CONTROLLER, STALE_BROKER_EPOCH or
// BROKER_NOT_AVAILABLE.
func (c *Controller) ControlledShutdown(ctx context.Context, brokerID int32, brokerEpoch int64) ([]zkmeta.TP, error) {
	ev := &controlledShutdownEvent{brokerID: brokerID, brokerEpoch: brokerEpoch, done: make(chan controlledShutdownResult, 1)}
	if !c.started.Load() {
		return nil, ErrNotController
	}
	c.queue.put(ev)
	select {
	case r := <-ev.done:
		return r.remaining, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Shutdown stops the event loop, resigning first if active (KafkaController.shutdown). The
// ephemeral /controller node goes away with the broker's ZooKeeper session.
func (c *Controller) Shutdown() {
	c.stopOnce.Do(func() {
		if !c.started.Load() {
			return
		}
		c.stopped.Store(true)
		c.queue.clearAndPut(&shutdownEvent{})
		<-c.loopDone
	})
}
