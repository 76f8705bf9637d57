package controller

import "github.com/kafka-classic/kafka-classic/zkmeta"

// event is one unit of controller work (Kafka's ControllerEvent). state names the
// ControllerState the loop is in while processing it, as Kafka's metrics and logs do.
type event interface {
	state() string
}

// preemptible events carry a caller waiting for an answer; when the queue is cleared
// (session expiry, shutdown) they are answered with an error instead of being processed.
type preemptible interface {
	preempt(err error)
}

type startupEvent struct{}
type reelectEvent struct{}
type controllerChangeEvent struct{}

// expireEvent carries the number of the session expiry it announces, so a term won after
// that expiry is never ended by it.
type expireEvent struct{ seq uint64 }
type shutdownEvent struct{}
type brokerChangeEvent struct{}
type brokerModificationsEvent struct{ brokerID int32 }
type topicChangeEvent struct{}
type partitionModificationsEvent struct{ topic string }
type topicDeletionEvent struct{}
type isrChangeNotificationEvent struct{}
type logDirEventNotificationEvent struct{}
type zkPartitionReassignmentEvent struct{}
type preferredReplicaElectionEvent struct{}
type autoPreferredReplicaLeaderElectionEvent struct{}
type topicDeletionStopReplicaResponseEvent struct {
	brokerID     int32
	requestError int16
	partitions   map[zkmeta.TP]int16 // error code per partition that was asked to delete
}
type leaderAndIsrResponseEvent struct {
	brokerID int32
	errCode  int16
	errors   map[zkmeta.TP]int16
}

type controlledShutdownResult struct {
	remaining []zkmeta.TP
	err       error
}

type controlledShutdownEvent struct {
	brokerID    int32
	brokerEpoch int64
	done        chan controlledShutdownResult
}

func (*startupEvent) state() string                            { return "ControllerChange" }
func (*reelectEvent) state() string                            { return "ControllerChange" }
func (*controllerChangeEvent) state() string                   { return "ControllerChange" }
func (*expireEvent) state() string                             { return "ControllerChange" }
func (*shutdownEvent) state() string                           { return "ControllerShutdown" }
func (*brokerChangeEvent) state() string                       { return "BrokerChange" }
func (*brokerModificationsEvent) state() string                { return "BrokerChange" }
func (*topicChangeEvent) state() string                        { return "TopicChange" }
func (*partitionModificationsEvent) state() string             { return "TopicChange" }
func (*topicDeletionEvent) state() string                      { return "TopicDeletion" }
func (*isrChangeNotificationEvent) state() string              { return "IsrChange" }
func (*logDirEventNotificationEvent) state() string            { return "LogDirChange" }
func (*zkPartitionReassignmentEvent) state() string            { return "AlterPartitionReassignment" }
func (*preferredReplicaElectionEvent) state() string           { return "ManualLeaderBalance" }
func (*autoPreferredReplicaLeaderElectionEvent) state() string { return "AutoLeaderBalance" }
func (*topicDeletionStopReplicaResponseEvent) state() string   { return "TopicDeletion" }
func (*leaderAndIsrResponseEvent) state() string               { return "LeaderAndIsrResponseReceived" }
func (*controlledShutdownEvent) state() string                 { return "ControlledShutdown" }

func (e *controlledShutdownEvent) preempt(err error) {
	select {
	case e.done <- controlledShutdownResult{err: err}:
	default:
	}
}

func (e *controlledShutdownEvent) reply(r controlledShutdownResult) {
	select {
	case e.done <- r:
	default:
	}
}
