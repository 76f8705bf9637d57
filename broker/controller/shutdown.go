package controller

import (
	"errors"
	"fmt"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// processControlledShutdown is the controller side of §2.11.
func (c *Controller) processControlledShutdown(e *controlledShutdownEvent) {
	remaining, err := c.doControlledShutdown(e.brokerID, e.brokerEpoch)
	if err != nil && errors.Is(err, zkmeta.ErrControllerMoved) {
		c.maybeResign()
		err = ErrNotController
	}
	e.reply(controlledShutdownResult{remaining: remaining, err: err})
}

func (c *Controller) doControlledShutdown(id int32, brokerEpoch int64) ([]zkmeta.TP, error) {
	if !c.active.Load() {
		return nil, ErrNotController
	}
	cc := c.ctx
	b, known := cc.liveBrokers[id]
	if brokerEpoch != -1 && known && brokerEpoch < b.Epoch {
		msg := fmt.Sprintf("Received controlled shutdown request from an old broker epoch %d for broker %d. Current broker epoch is %d.", brokerEpoch, id, b.Epoch)
		c.log.Info().Msg(msg)
		return nil, fmt.Errorf("%w: %s", ErrStaleBrokerEpoch, msg)
	}
	c.log.Info().Msgf("Shutting down broker %d", id)
	if !known {
		return nil, fmt.Errorf("%w: Broker id %d does not exist.", ErrBrokerNotAvailable, id)
	}
	cc.shuttingDown[id] = true
	var shutting []int32
	for sid := range cc.shuttingDown {
		shutting = append(shutting, sid)
	}
	sortIDs(shutting)
	c.log.Debug().Msgf("All shutting down brokers: %s", joinIDs(shutting))
	c.log.Debug().Msgf("Live brokers: %s", joinIDs(cc.liveBrokerIDs()))

	var led, followed []zkmeta.TP
	for _, tp := range cc.partitionsOnBroker(id) {
		li, ok := cc.leadership[tp]
		if len(cc.replicas(tp)) <= 1 || !ok || cc.topicsToBeDeleted[tp.Topic] {
			continue
		}
		if li.Leader == id {
			led = append(led, tp)
		} else {
			followed = append(followed, tp)
		}
	}
	if _, err := c.handlePartitionStateChanges(led, OnlinePartition, controlledShutdownElection); err != nil {
		return nil, err
	}
	for _, tp := range followed {
		c.batch.addStopReplica([]int32{id}, tp, false)
	}
	c.batch.sendRequestsToBrokers()
	offline := make([]partitionReplica, len(followed))
	for i, tp := range followed {
		offline[i] = partitionReplica{tp, id}
	}
	if err := c.handleReplicaStateChanges(offline, OfflineReplica); err != nil {
		return nil, err
	}
	// Like Kafka's replicatedPartitionsBrokerLeads: a single-replica partition has nowhere to
	// move, so it never keeps a controlled shutdown waiting.
	var remaining []zkmeta.TP
	for _, tp := range cc.partitionLeadersOnBroker(id) {
		if len(cc.replicas(tp)) > 1 {
			remaining = append(remaining, tp)
		}
	}
	return remaining, nil
}
