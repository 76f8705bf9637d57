package controller

import "github.com/kafka-classic/kafka-classic/zkmeta"

// processIsrChangeNotification handles /isr_change_notification children written by leaders
// that changed an ISR themselves (the classic pre-AlterIsr path, §2.12): refresh the cache from
// the state znodes, tell every broker, check reassignments, delete the notifications.
func (c *Controller) processIsrChangeNotification() error {
	if !c.active.Load() {
		return nil
	}
	if _, err := c.childrenW(isrChangePath, func() event { return &isrChangeNotificationEvent{} }); err != nil {
		return err
	}
	tps, err := c.zk.ReadAndDeleteIsrChangeNotifications(c.ctx.epochZkVersion)
	if err != nil {
		return err
	}
	var known []zkmeta.TP
	seen := map[zkmeta.TP]bool{}
	for _, tp := range tps {
		if _, ok := c.ctx.assignment(tp); ok && !seen[tp] {
			seen[tp] = true
			known = append(known, tp)
		}
	}
	if len(known) == 0 {
		return nil
	}
	sortTPs(known)
	if err := c.updateLeaderAndIsrCache(known); err != nil {
		return err
	}
	c.log.Debug().Msgf("Sending MetadataRequest to Brokers: %s for TopicPartitions: %s", joinIDs(c.ctx.liveOrShuttingDownBrokerIDs()), joinTPs(known))
	if err := c.sendUpdateMetadataRequest(c.ctx.liveOrShuttingDownBrokerIDs(), known); err != nil {
		return err
	}
	for _, tp := range known {
		if c.ctx.partitionsBeingReassigned[tp] {
			if err := c.maybeCompleteReassignment(tp); err != nil {
				return err
			}
		}
	}
	return nil
}
