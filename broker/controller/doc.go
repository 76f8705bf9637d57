// Package controller is the ZooKeeper-mode cluster controller of a Kafka 2.8 broker.
//
// Every broker runs one; the one that wins the /controller election is active. It mirrors
// these Kafka classes (core/src/main/scala/kafka/controller):
//
//   - KafkaController: Controller, the process* handlers and the on* reactions
//     (onControllerFailover, onBrokerStartup, onBrokerFailure, onNewPartitionCreation, ...).
//   - ControllerEventManager: event_loop.go — one goroutine drains a queue of events; ZooKeeper
//     watches, timers and RPC callbacks only enqueue, so the controller state needs no mutex.
//   - ControllerContext: context.go.
//   - PartitionStateMachine (ZkPartitionStateMachine): partition_state.go.
//   - ReplicaStateMachine (ZkReplicaStateMachine): replica_state.go.
//   - Election / PartitionLeaderElectionAlgorithms: election.go.
//   - ControllerChannelManager and ControllerBrokerRequestBatch: channel.go.
//   - TopicDeletionManager: topic_deletion.go.
//   - StateChangeLogger: statechange.go ("[Controller id=0 epoch=1] Changed partition ...").
//
// The controller never talks to the network itself: requests (LeaderAndIsr v5, UpdateMetadata
// v7, StopReplica v3) go through the injected Sender, and every ZooKeeper write goes through
// zkmeta's fenced methods, which check the /controller_epoch zkVersion so that a deposed
// controller cannot write.
//
// Wiring by the broker: New after the broker registered in /brokers/ids, then Start. Forward
// zkmeta session events: SessionExpired -> OnSessionExpired; SessionExpiredAndReconnected ->
// re-register the broker, then OnSessionReestablished. Call Shutdown before closing the
// ZooKeeper client. Errors from ControlledShutdown, ElectLeaders and the reassignment methods
// wrap *kerr.Error values (errors.As) carrying the code for the response.
package controller
