package controller

import (
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// requestBatch is ControllerBrokerRequestBatch: state-machine steps add requests, and
// sendRequestsToBrokers flushes them (LeaderAndIsr, then UpdateMetadata, then StopReplica).
type requestBatch struct {
	c            *Controller
	leaderAndIsr map[int32]map[zkmeta.TP]kmsg.LeaderAndISRRequestTopicPartition
	umrBrokers   map[int32]bool
	umrParts     map[zkmeta.TP]kmsg.UpdateMetadataRequestTopicPartition
	stopReplica  map[int32]map[zkmeta.TP]kmsg.StopReplicaRequestTopicPartitionState
}

func newRequestBatch(c *Controller) *requestBatch {
	b := &requestBatch{c: c}
	b.reset()
	return b
}

func (b *requestBatch) reset() {
	b.leaderAndIsr = map[int32]map[zkmeta.TP]kmsg.LeaderAndISRRequestTopicPartition{}
	b.umrBrokers = map[int32]bool{}
	b.umrParts = map[zkmeta.TP]kmsg.UpdateMetadataRequestTopicPartition{}
	b.stopReplica = map[int32]map[zkmeta.TP]kmsg.StopReplicaRequestTopicPartitionState{}
}

func (b *requestBatch) empty() bool {
	return len(b.leaderAndIsr) == 0 && len(b.umrBrokers) == 0 && len(b.stopReplica) == 0
}

// addLeaderAndIsr queues a LeaderAndIsr for tp to brokers and, as Kafka does, an
// UpdateMetadata for tp to every live broker.
func (b *requestBatch) addLeaderAndIsr(brokers []int32, tp zkmeta.TP, li zkmeta.LeaderIsr, a replicaAssignment, isNew bool) {
	for _, id := range brokers {
		if id < 0 {
			continue
		}
		m, ok := b.leaderAndIsr[id]
		if !ok {
			m = map[zkmeta.TP]kmsg.LeaderAndISRRequestTopicPartition{}
			b.leaderAndIsr[id] = m
		}
		old, had := m[tp]
		p := kmsg.NewLeaderAndISRRequestTopicPartition()
		p.Topic = tp.Topic
		p.Partition = tp.Partition
		p.ControllerEpoch = li.ControllerEpoch
		p.Leader = li.Leader
		p.LeaderEpoch = li.LeaderEpoch
		p.ISR = append([]int32{}, li.ISR...)
		p.ZKVersion = li.ZkVersion
		p.Replicas = append([]int32{}, a.replicas...)
		p.AddingReplicas = append([]int32{}, a.adding...)
		p.RemovingReplicas = append([]int32{}, a.removing...)
		p.IsNew = isNew || (had && old.IsNew)
		m[tp] = p
	}
	b.addUpdateMetadata(b.c.ctx.liveOrShuttingDownBrokerIDs(), []zkmeta.TP{tp})
}

// addUpdateMetadata adds brokers to the UpdateMetadata recipients and tps' current states
// (leader -2 while the topic is being deleted) to its partition list.
func (b *requestBatch) addUpdateMetadata(brokers []int32, tps []zkmeta.TP) {
	cc := b.c.ctx
	for _, id := range brokers {
		b.umrBrokers[id] = true
	}
	for _, tp := range tps {
		li, ok := cc.leadership[tp]
		if !ok {
			b.c.log.Info().Msgf("Leader not yet assigned for partition %s. Skip sending UpdateMetadataRequest.", tpString(tp))
			continue
		}
		replicas := cc.replicas(tp)
		p := kmsg.NewUpdateMetadataRequestTopicPartition()
		p.Topic = tp.Topic
		p.Partition = tp.Partition
		p.ControllerEpoch = li.ControllerEpoch
		if cc.topicsToBeDeleted[tp.Topic] {
			p.Leader, p.LeaderEpoch, p.ZKVersion = leaderDuringDelete, 0, 0
		} else {
			p.Leader, p.LeaderEpoch, p.ZKVersion = li.Leader, li.LeaderEpoch, li.ZkVersion
		}
		p.ISR = append([]int32{}, li.ISR...)
		p.Replicas = append([]int32{}, replicas...)
		p.OfflineReplicas = filterIDs(replicas, func(r int32) bool { return !cc.isReplicaOnline(r, tp, false) })
		b.umrParts[tp] = p
	}
}

func (b *requestBatch) addStopReplica(brokers []int32, tp zkmeta.TP, deletePartition bool) {
	cc := b.c.ctx
	epoch := noEpoch
	if cc.topicsToBeDeleted[tp.Topic] {
		epoch = epochDuringDelete
	} else if li, ok := cc.leadership[tp]; ok {
		epoch = li.LeaderEpoch
	}
	for _, id := range brokers {
		m, ok := b.stopReplica[id]
		if !ok {
			m = map[zkmeta.TP]kmsg.StopReplicaRequestTopicPartitionState{}
			b.stopReplica[id] = m
		}
		s := kmsg.NewStopReplicaRequestTopicPartitionState()
		s.Partition = tp.Partition
		s.LeaderEpoch = epoch
		s.Delete = deletePartition || m[tp].Delete
		m[tp] = s
	}
}

// sendRequestsToBrokers flushes the batch into the per-broker channels: LeaderAndIsr, then
// UpdateMetadata, then StopReplica, as Kafka orders them.
func (b *requestBatch) sendRequestsToBrokers() {
	if b.c.channels != nil {
		b.sendLeaderAndIsr()
		b.sendUpdateMetadata()
		b.sendStopReplica()
	}
	b.reset()
}

func (b *requestBatch) sendLeaderAndIsr() {
	c := b.c
	cc := c.ctx
	for _, id := range sortedBrokerKeys(b.leaderAndIsr) {
		info, live := cc.liveBrokers[id]
		if !live {
			continue
		}
		parts := b.leaderAndIsr[id]
		tps := sortedTPKeys(parts)
		req := kmsg.NewPtrLeaderAndISRRequest()
		req.Version = leaderAndIsrVersion
		req.ControllerID = c.cfg.BrokerID
		req.ControllerEpoch = cc.epoch
		req.BrokerEpoch = info.Epoch
		leaders := map[int32]bool{}
		leaderCount := 0
		topicIdx := map[string]int{}
		for _, tp := range tps {
			p := parts[tp]
			kind := "become-follower"
			if p.Leader == id {
				kind = "become-leader"
				leaderCount++
			}
			c.stateChange(zerolog.TraceLevel, "Sending %s LeaderAndIsr request %s to broker %d for partition %s", kind, lirPartitionString(p), id, tpString(tp))
			if p.Leader >= 0 {
				leaders[p.Leader] = true
			}
			i, ok := topicIdx[tp.Topic]
			if !ok {
				ts := kmsg.NewLeaderAndISRRequestTopicState()
				ts.Topic = tp.Topic
				ts.TopicID = topicIDBytes(cc.topicIDs[tp.Topic])
				req.TopicStates = append(req.TopicStates, ts)
				i = len(req.TopicStates) - 1
				topicIdx[tp.Topic] = i
			}
			req.TopicStates[i].PartitionStates = append(req.TopicStates[i].PartitionStates, p)
		}
		for _, lid := range sortedBoolKeys(leaders) {
			lb, ok := cc.liveBrokers[lid]
			if !ok {
				continue
			}
			host, port := interBrokerEndpoint(lb, c.cfg.InterBrokerListener)
			ll := kmsg.NewLeaderAndISRRequestLiveLeader()
			ll.BrokerID, ll.Host, ll.Port = lid, host, int32(port)
			req.LiveLeaders = append(req.LiveLeaders, ll)
		}
		c.stateChange(zerolog.InfoLevel, "Sending LeaderAndIsr request to broker %d with %d become-leader and %d become-follower partitions",
			id, leaderCount, len(tps)-leaderCount)
		brokerID := id
		c.channels.send(id, req, func(r kmsg.Response) { c.onLeaderAndIsrResponse(brokerID, r) })
	}
}

// sendUpdateMetadata sends the same partition states and the full live-broker list to every
// recipient.
func (b *requestBatch) sendUpdateMetadata() {
	c := b.c
	cc := c.ctx
	if len(b.umrBrokers) == 0 {
		return
	}
	var targets []int32
	for _, id := range sortedBoolKeys(b.umrBrokers) {
		if _, ok := cc.liveBrokers[id]; ok {
			targets = append(targets, id)
		}
	}
	tps := sortedTPKeys(b.umrParts)
	c.stateChange(zerolog.InfoLevel, "Sending UpdateMetadata request to brokers Set(%s) for %d partitions", joinIDsComma(targets), len(tps))
	liveBrokers := c.liveBrokersForUMR()
	for _, id := range targets {
		req := kmsg.NewPtrUpdateMetadataRequest()
		req.Version = updateMetadataVersion
		req.ControllerID = c.cfg.BrokerID
		req.ControllerEpoch = cc.epoch
		req.BrokerEpoch = cc.liveBrokers[id].Epoch
		topicIdx := map[string]int{}
		for _, tp := range tps {
			i, ok := topicIdx[tp.Topic]
			if !ok {
				ts := kmsg.NewUpdateMetadataRequestTopicState()
				ts.Topic = tp.Topic
				ts.TopicID = topicIDBytes(cc.topicIDs[tp.Topic])
				req.TopicStates = append(req.TopicStates, ts)
				i = len(req.TopicStates) - 1
				topicIdx[tp.Topic] = i
			}
			req.TopicStates[i].PartitionStates = append(req.TopicStates[i].PartitionStates, b.umrParts[tp])
		}
		req.LiveBrokers = liveBrokers
		brokerID := id
		c.channels.send(id, req, func(r kmsg.Response) {
			if resp, ok := r.(*kmsg.UpdateMetadataResponse); ok && resp.ErrorCode != 0 {
				c.log.Error().Msgf("Received error %s in UpdateMetadata response from broker %d", kerr.ErrorForCode(resp.ErrorCode), brokerID)
			}
		})
	}
}

// sendStopReplica sends one v3 request per broker carrying per-partition delete flags.
func (b *requestBatch) sendStopReplica() {
	c := b.c
	cc := c.ctx
	for _, id := range sortedBrokerKeys(b.stopReplica) {
		info, live := cc.liveBrokers[id]
		if !live {
			continue
		}
		parts := b.stopReplica[id]
		tps := sortedTPKeys(parts)
		req := kmsg.NewPtrStopReplicaRequest()
		req.Version = stopReplicaVersion
		req.ControllerID = c.cfg.BrokerID
		req.ControllerEpoch = cc.epoch
		req.BrokerEpoch = info.Epoch
		topicIdx := map[string]int{}
		deleting := map[zkmeta.TP]bool{}
		for _, tp := range tps {
			i, ok := topicIdx[tp.Topic]
			if !ok {
				t := kmsg.NewStopReplicaRequestTopic()
				t.Topic = tp.Topic
				req.Topics = append(req.Topics, t)
				i = len(req.Topics) - 1
				topicIdx[tp.Topic] = i
			}
			s := parts[tp]
			req.Topics[i].PartitionStates = append(req.Topics[i].PartitionStates, s)
			if s.Delete {
				deleting[tp] = true
			}
		}
		c.stateChange(zerolog.InfoLevel, "Sending StopReplica request for %d replicas to broker %d", len(tps), id)
		brokerID := id
		c.channels.send(id, req, func(r kmsg.Response) { c.onStopReplicaResponse(brokerID, deleting, r) })
	}
}

// liveBrokersForUMR lists every live or shutting-down broker with all its endpoints.
func (c *Controller) liveBrokersForUMR() []kmsg.UpdateMetadataRequestLiveBroker {
	var out []kmsg.UpdateMetadataRequestLiveBroker
	for _, id := range c.ctx.liveOrShuttingDownBrokerIDs() {
		info := c.ctx.liveBrokers[id]
		lb := kmsg.NewUpdateMetadataRequestLiveBroker()
		lb.ID = id
		for _, ep := range info.Endpoints {
			e := kmsg.NewUpdateMetadataRequestLiveBrokerEndpoint()
			e.Port = int32(ep.Port)
			e.Host = ep.Host
			e.ListenerName = ep.Listener
			e.SecurityProtocol = securityProtocolID(ep.SecurityProtocol)
			lb.Endpoints = append(lb.Endpoints, e)
		}
		if info.Rack != "" {
			rack := info.Rack
			lb.Rack = &rack
		}
		out = append(out, lb)
	}
	return out
}
