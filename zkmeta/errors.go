package zkmeta

import (
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
)

// The ZooKeeper-level sentinels wrap go-zookeeper's own errors so callers may
// test against either package's value with errors.Is.
var (
	ErrNoNode         = fmt.Errorf("zkmeta: %w", zk.ErrNoNode)
	ErrNodeExists     = fmt.Errorf("zkmeta: %w", zk.ErrNodeExists)
	ErrBadVersion     = fmt.Errorf("zkmeta: %w", zk.ErrBadVersion)
	ErrNotEmpty       = fmt.Errorf("zkmeta: %w", zk.ErrNotEmpty)
	ErrClosed         = errors.New("zkmeta: client closed")
	ErrConnectionLoss = errors.New("zkmeta: connection loss")
	// ErrConnectionTimeout is Kafka's ZooKeeperClientTimeoutException.
	ErrConnectionTimeout = errors.New("zkmeta: timed out waiting for connection")

	ErrBrokerIDInUse                 = errors.New("zkmeta: broker id already registered")
	ErrTopicExists                   = errors.New("zkmeta: topic already exists")
	ErrTopicAlreadyMarkedForDeletion = errors.New("zkmeta: topic already marked for deletion")
	ErrUnknownTopicOrPartition       = errors.New("zkmeta: unknown topic or partition")
	ErrControllerMoved               = errors.New("zkmeta: controller moved")
	ErrInvalidTopic                  = errors.New("zkmeta: invalid topic")
	ErrInvalidReplicationFactor      = errors.New("zkmeta: invalid replication factor")
	ErrInvalidPartitions             = errors.New("zkmeta: invalid partitions")
	ErrInvalidReplicaAssignment      = errors.New("zkmeta: invalid replica assignment")
	ErrBrokerNotAvailable            = errors.New("zkmeta: broker not available")
	// ErrAdminOperation is Kafka's AdminOperationException (e.g. partial rack
	// information); the CreateTopics handler reports it as UNKNOWN_SERVER_ERROR.
	ErrAdminOperation = errors.New("zkmeta: admin operation failed")
	// ErrReassignmentInProgress: /admin/reassign_partitions already exists.
	ErrReassignmentInProgress = errors.New("zkmeta: partition reassignment in progress")
	ErrProducerIDsExhausted   = errors.New("zkmeta: have exhausted all producerIds")
	ErrBadData                = errors.New("zkmeta: malformed znode data")
)

// kafkaError carries Kafka's exception message verbatim while still matching
// the package sentinel, so handlers can send Error() as the error message.
type kafkaError struct {
	sentinel error
	msg      string
}

func (e *kafkaError) Error() string { return e.msg }
func (e *kafkaError) Unwrap() error { return e.sentinel }

func kerr(sentinel error, format string, args ...any) error {
	return &kafkaError{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}
}

// Message returns Kafka's message for an error produced by this package
// (without the "zkmeta:" prefix), or err.Error() for anything else.
func Message(err error) string {
	var ke *kafkaError
	if errors.As(err, &ke) {
		return ke.msg
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// mapErr turns a go-zookeeper error into this package's sentinels, naming the path.
func mapErr(err error, path string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, zk.ErrNoNode):
		return fmt.Errorf("%w: %s", ErrNoNode, path)
	case errors.Is(err, zk.ErrNodeExists):
		return fmt.Errorf("%w: %s", ErrNodeExists, path)
	case errors.Is(err, zk.ErrBadVersion):
		return fmt.Errorf("%w: %s", ErrBadVersion, path)
	case errors.Is(err, zk.ErrNotEmpty):
		return fmt.Errorf("%w: %s", ErrNotEmpty, path)
	default:
		return fmt.Errorf("zkmeta: %s: %w", path, err)
	}
}

// isConnectionLoss reports errors after which a request may be retried once a
// session is (re)established, like Kafka's retryRequestUntilConnected.
func isConnectionLoss(err error) bool {
	return errors.Is(err, zk.ErrNoServer) || errors.Is(err, zk.ErrConnectionClosed) ||
		errors.Is(err, zk.ErrSessionExpired) || errors.Is(err, zk.ErrSessionMoved)
}
