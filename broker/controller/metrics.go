package controller

import (
	"sync"
	"sync/atomic"
	"time"
)

// Metrics is a snapshot of the gauges Kafka's controller exposes as MBeans
// (kafka.controller:type=KafkaController,name=...). Values are 0 on a non-active controller,
// as in Kafka.
type Metrics struct {
	ActiveControllerCount          int
	OfflinePartitionsCount         int
	PreferredReplicaImbalanceCount int
	GlobalTopicCount               int
	GlobalPartitionCount           int
	TopicsToDeleteCount            int
	ReplicasToDeleteCount          int
	TopicsIneligibleToDeleteCount  int
	EventQueueSize                 int
	// Events is per ControllerState: how many events ran and how long they took in total
	// (Kafka's per-state rate-and-time metrics, e.g. TopicChangeRateAndTimeMs).
	Events map[string]EventStat
}

// EventStat accumulates one controller state's event count and processing time.
type EventStat struct {
	Count     int64
	TotalTime time.Duration
	QueueTime time.Duration
}

type metricsHolder struct {
	v      atomic.Pointer[Metrics]
	mu     sync.Mutex
	events map[string]EventStat
}

func (h *metricsHolder) recordEvent(state string, queued, took time.Duration) {
	h.mu.Lock()
	if h.events == nil {
		h.events = map[string]EventStat{}
	}
	st := h.events[state]
	st.Count++
	st.TotalTime += took
	st.QueueTime += queued
	h.events[state] = st
	h.mu.Unlock()
}

// Metrics returns the gauges as of the last processed event.
func (c *Controller) Metrics() Metrics {
	m := Metrics{}
	if p := c.metrics.v.Load(); p != nil {
		m = *p
	}
	m.EventQueueSize = c.queue.size()
	c.metrics.mu.Lock()
	m.Events = make(map[string]EventStat, len(c.metrics.events))
	for k, v := range c.metrics.events {
		m.Events[k] = v
	}
	c.metrics.mu.Unlock()
	return m
}

// updateMetrics recomputes the gauges from the context (loop only).
func (c *Controller) updateMetrics() {
	m := &Metrics{}
	if c.active.Load() {
		cc := c.ctx
		m.ActiveControllerCount = 1
		m.GlobalTopicCount = len(cc.allTopics)
		for _, tp := range cc.allPartitions() {
			m.GlobalPartitionCount++
			deleting := cc.topicsToBeDeleted[tp.Topic]
			if cc.partitionState(tp) == OfflinePartition && !cc.topicsWithDeletionStarted[tp.Topic] {
				m.OfflinePartitionsCount++
			}
			if li, ok := cc.leadership[tp]; ok && !deleting {
				if r := cc.replicas(tp); len(r) > 0 && li.Leader != r[0] {
					m.PreferredReplicaImbalanceCount++
				}
			}
		}
		m.TopicsToDeleteCount = len(cc.topicsToBeDeleted)
		m.TopicsIneligibleToDeleteCount = len(cc.topicsIneligibleForDeletion)
		for t := range cc.topicsToBeDeleted {
			for _, r := range cc.replicasForTopic(t) {
				if cc.replicaState(r) != ReplicaDeletionSuccessful {
					m.ReplicasToDeleteCount++
				}
			}
		}
	}
	c.metrics.v.Store(m)
}
