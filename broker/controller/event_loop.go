package controller

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// eventQueue is ControllerEventManager's queue: unbounded, so that watch goroutines and
// request callbacks never block on the loop.
type eventQueue struct {
	mu     sync.Mutex
	items  []queuedEvent
	signal chan struct{}
}

type queuedEvent struct {
	ev       event
	enqueued time.Time
}

func newEventQueue() *eventQueue {
	return &eventQueue{signal: make(chan struct{}, 1)}
}

func (q *eventQueue) put(ev event) {
	q.mu.Lock()
	q.items = append(q.items, queuedEvent{ev: ev, enqueued: time.Now()})
	q.mu.Unlock()
	q.wake()
}

// clearAndPut drops every queued event (answering the ones a caller waits on) and queues ev
// first, as Kafka does on session expiry and shutdown.
func (q *eventQueue) clearAndPut(ev event) {
	q.mu.Lock()
	dropped := q.items
	q.items = []queuedEvent{{ev: ev, enqueued: time.Now()}}
	q.mu.Unlock()
	for _, d := range dropped {
		if p, ok := d.ev.(preemptible); ok {
			p.preempt(ErrNotController)
		}
	}
	q.wake()
}

func (q *eventQueue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *eventQueue) take() (queuedEvent, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return queuedEvent{}, false
	}
	e := q.items[0]
	q.items[0] = queuedEvent{}
	q.items = q.items[1:]
	return e, true
}

func (q *eventQueue) size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// run is the controller-event-thread: one event at a time, each to completion.
func (c *Controller) run() {
	defer close(c.loopDone)
	for {
		qe, ok := c.queue.take()
		if !ok {
			<-c.queue.signal
			continue
		}
		if _, stop := qe.ev.(*shutdownEvent); stop {
			c.processShutdown()
			c.drainAfterShutdown()
			return
		}
		start := time.Now()
		c.process(qe.ev)
		c.updateMetrics()
		c.metrics.recordEvent(qe.ev.state(), start.Sub(qe.enqueued), time.Since(start))
		c.log.Debug().Str("event", eventName(qe.ev)).Str("state", qe.ev.state()).
			Dur("queue_time", start.Sub(qe.enqueued)).Dur("process_time", time.Since(start)).
			Msg("Processed event")
	}
}

func (c *Controller) drainAfterShutdown() {
	for {
		qe, ok := c.queue.take()
		if !ok {
			return
		}
		if p, ok := qe.ev.(preemptible); ok {
			p.preempt(ErrShutdown)
		}
	}
}

func eventName(ev event) string {
	t := reflect.TypeOf(ev)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// process dispatches one event; a ControllerMovedException-equivalent anywhere makes the
// controller resign, any other error is logged (Kafka's "Error processing event").
func (c *Controller) process(ev event) {
	err := c.dispatch(ev)
	if err == nil {
		return
	}
	if errors.Is(err, zkmeta.ErrControllerMoved) {
		c.log.Info().Err(err).Msgf("Controller moved to another broker when processing %s.", eventName(ev))
		c.maybeResign()
		return
	}
	c.log.Error().Err(err).Msgf("Error processing event %s", eventName(ev))
	c.retryLater(ev)
}

// retryLater re-queues an event whose handler failed (typically ZooKeeper unavailable for
// longer than zkmeta retries): its watch was not re-armed, so without a retry the change and
// every later one would go unnoticed. Controller-only events are dropped if the term ended.
func (c *Controller) retryLater(ev event) {
	var again event
	persistent := false
	switch ev.(type) {
	case *startupEvent, *reelectEvent, *controllerChangeEvent:
		again, persistent = &reelectEvent{}, true
	case *brokerChangeEvent, *brokerModificationsEvent, *topicChangeEvent, *partitionModificationsEvent,
		*topicDeletionEvent, *isrChangeNotificationEvent, *logDirEventNotificationEvent,
		*zkPartitionReassignmentEvent, *preferredReplicaElectionEvent, *partitionReassignmentIsrChangeEvent:
		again = ev
	default:
		return
	}
	gen := c.watchGen.Load()
	time.AfterFunc(c.cfg.RetryBackoff*10, func() {
		if c.stopped.Load() || (!persistent && c.watchGen.Load() != gen) {
			return
		}
		c.queue.put(again)
	})
}

func (c *Controller) dispatch(ev event) error {
	switch e := ev.(type) {
	case *startupEvent:
		return c.processStartup()
	case *reelectEvent:
		return c.processReelect()
	case *controllerChangeEvent:
		return c.processControllerChange()
	case *expireEvent:
		c.processExpire(e.seq)
		return nil
	case *brokerChangeEvent:
		return c.processBrokerChange()
	case *brokerModificationsEvent:
		return c.processBrokerModifications(e.brokerID)
	case *topicChangeEvent:
		return c.processTopicChange()
	case *partitionModificationsEvent:
		return c.processPartitionModifications(e.topic)
	case *topicDeletionEvent:
		return c.processTopicDeletion()
	case *topicDeletionStopReplicaResponseEvent:
		return c.processTopicDeletionStopReplicaResponse(e)
	case *leaderAndIsrResponseEvent:
		c.processLeaderAndIsrResponse(e)
		return nil
	case *isrChangeNotificationEvent:
		return c.processIsrChangeNotification()
	case *logDirEventNotificationEvent:
		return c.processLogDirEventNotification()
	case *controlledShutdownEvent:
		c.processControlledShutdown(e)
		return nil
	case *preferredReplicaElectionEvent:
		return c.processPreferredReplicaElection()
	case *autoPreferredReplicaLeaderElectionEvent:
		return c.processAutoPreferredReplicaLeaderElection()
	case *zkPartitionReassignmentEvent:
		return c.processZkPartitionReassignment()
	case *partitionReassignmentIsrChangeEvent:
		return c.processPartitionReassignmentIsrChange(e.tp)
	case *apiEvent:
		e.run(c)
		return nil
	default:
		return fmt.Errorf("controller: unknown event %T", ev)
	}
}
