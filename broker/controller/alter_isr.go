package controller

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// AlterIsr is the controller side of AlterIsr v0 (api key 56, kmsg.AlterPartitionRequest), the
// IBP >= 2.7-IV2 way for leaders to change an ISR (§2.12). This project's brokers use the
// classic path (direct state-znode write plus /isr_change_notification), so this is only for
// a broker that chooses AlterIsr. The response is always filled; the error is ctx's.
func (c *Controller) AlterIsr(ctx context.Context, req *kmsg.AlterPartitionRequest) (*kmsg.AlterPartitionResponse, error) {
	resp := req.ResponseKind().(*kmsg.AlterPartitionResponse)
	err := c.call(ctx, "IsrChange", func(c *Controller) { c.processAlterIsr(req, resp) })
	if errors.Is(err, ErrNotController) || errors.Is(err, ErrShutdown) {
		resp.ErrorCode = kerr.NotController.Code
		return resp, nil
	}
	return resp, err
}

func (c *Controller) processAlterIsr(req *kmsg.AlterPartitionRequest, resp *kmsg.AlterPartitionResponse) {
	if !c.active.Load() {
		resp.ErrorCode = kerr.NotController.Code
		return
	}
	cc := c.ctx
	b, ok := cc.liveBrokers[req.BrokerID]
	if !ok {
		c.log.Info().Msgf("Ignoring AlterIsr due to unknown broker %d", req.BrokerID)
		resp.ErrorCode = kerr.StaleBrokerEpoch.Code
		return
	}
	if b.Epoch != req.BrokerEpoch {
		c.log.Info().Msgf("Ignoring AlterIsr due to stale broker epoch %d for broker %d", req.BrokerEpoch, req.BrokerID)
		resp.ErrorCode = kerr.StaleBrokerEpoch.Code
		return
	}
	var changed, all []zkmeta.TP
	for _, t := range req.Topics {
		rt := kmsg.NewAlterPartitionResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			tp := zkmeta.TP{Topic: t.Topic, Partition: p.Partition}
			all = append(all, tp)
			rp := kmsg.NewAlterPartitionResponseTopicPartition()
			rp.Partition = p.Partition
			cur, known := cc.leadership[tp]
			switch {
			case !known:
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case p.LeaderEpoch < cur.LeaderEpoch:
				rp.ErrorCode = kerr.FencedLeaderEpoch.Code
			case p.LeaderEpoch == cur.LeaderEpoch && cur.Leader == req.BrokerID && sameSet(p.NewISR, cur.ISR) && len(p.NewISR) == len(cur.ISR):
				fillAlterIsrPartition(&rp, cur)
			default:
				ns := zkmeta.LeaderIsr{Leader: req.BrokerID, LeaderEpoch: p.LeaderEpoch, ISR: append([]int32{}, p.NewISR...),
					ControllerEpoch: cc.epoch, ZkVersion: p.PartitionEpoch}
				v, err := c.zk.UpdatePartitionState(cc.epochZkVersion, tp, ns)
				switch {
				case err == nil:
					ns.ZkVersion = v
					cc.leadership[tp] = ns
					c.log.Debug().Msgf("ISR for partition %s updated to [%s] and zkVersion updated to [%d]", tpString(tp), joinIDs(ns.ISR), v)
					fillAlterIsrPartition(&rp, ns)
					changed = append(changed, tp)
				case isBadVersion(err):
					c.log.Debug().Msgf("Failed to update ISR for partition %s, bad ZK version", tpString(tp))
					rp.ErrorCode = kerr.InvalidUpdateVersion.Code
				case isControllerMoved(err):
					_ = c.maybeResign()
					resp.Topics = nil
					resp.ErrorCode = kerr.NotController.Code
					return
				default:
					c.log.Error().Err(err).Msgf("Failed to update ISR for partition %s", tpString(tp))
					rp.ErrorCode = kerr.UnknownServerError.Code
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	sortTPs(all)
	_ = c.sendUpdateMetadataRequest(cc.liveOrShuttingDownBrokerIDs(), all)
	for _, tp := range changed {
		if cc.partitionsBeingReassigned[tp] {
			if err := c.maybeCompleteReassignment(tp); err != nil {
				c.log.Error().Err(err).Msgf("Error completing reassignment of partition %s", tpString(tp))
			}
		}
	}
}

func fillAlterIsrPartition(rp *kmsg.AlterPartitionResponseTopicPartition, li zkmeta.LeaderIsr) {
	rp.LeaderID = li.Leader
	rp.LeaderEpoch = li.LeaderEpoch
	rp.ISR = append([]int32{}, li.ISR...)
	rp.PartitionEpoch = li.ZkVersion
}
