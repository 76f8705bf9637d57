package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/kafka-classic/kafka-classic/config"
	"github.com/twmb/franz-go/pkg/kerr"
)

func isConfigError(err error) bool { return errors.Is(err, config.ErrInvalidConfig) }

func asPathError(err error, pe **os.PathError) bool { return errors.As(err, pe) }

// javaError is an exception as a Kafka tool would print it: class and message.
type javaError struct {
	Class string
	Msg   string
}

func (e *javaError) Error() string { return e.Msg }

// String is Throwable.toString: "class: message".
func (e *javaError) String() string {
	if e.Msg == "" {
		return e.Class
	}
	return e.Class + ": " + e.Msg
}

func newJavaError(class, format string, args ...any) *javaError {
	return &javaError{Class: class, Msg: fmt.Sprintf(format, args...)}
}

func illegalArgument(format string, args ...any) *javaError {
	return newJavaError("java.lang.IllegalArgumentException", format, args...)
}

// apiErrors gives, per Kafka error code, the client exception class and its default
// message (org.apache.kafka.common.protocol.Errors), used when a response carries no
// error message of its own.
var apiErrors = map[int16]struct{ class, msg string }{
	-1: {"UnknownServerException", "The server experienced an unexpected error when processing the request."},
	2:  {"CorruptRecordException", "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt."},
	3:  {"UnknownTopicOrPartitionException", "This server does not host this topic-partition."},
	5:  {"LeaderNotAvailableException", "There is no leader for this topic-partition as we are in the middle of a leadership election."},
	6:  {"NotLeaderOrFollowerException", "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition."},
	7:  {"TimeoutException", "The request timed out."},
	8:  {"BrokerNotAvailableException", "The broker is not available."},
	10: {"RecordTooLargeException", "The request included a message larger than the max message size the server will accept."},
	13: {"NetworkException", "The server disconnected before a response was received."},
	15: {"CoordinatorNotAvailableException", "The coordinator is not available."},
	16: {"NotCoordinatorException", "This is not the correct coordinator."},
	17: {"InvalidTopicException", "The request attempted to perform an operation on an invalid topic."},
	18: {"RecordBatchTooLargeException", "The request included message batch larger than the configured segment size on the server."},
	19: {"NotEnoughReplicasException", "Messages are rejected since there are fewer in-sync replicas than required."},
	20: {"NotEnoughReplicasAfterAppendException", "Messages are written to the log, but to fewer in-sync replicas than required."},
	21: {"InvalidRequiredAcksException", "Produce request specified an invalid value for required acks."},
	24: {"InvalidGroupIdException", "The configured groupId is invalid."},
	29: {"TopicAuthorizationException", "Topic authorization failed."},
	30: {"GroupAuthorizationException", "Group authorization failed."},
	31: {"ClusterAuthorizationException", "Cluster authorization failed."},
	35: {"UnsupportedVersionException", "The version of API is not supported."},
	36: {"TopicExistsException", "Topic with this name already exists."},
	37: {"InvalidPartitionsException", "Number of partitions is below 1."},
	38: {"InvalidReplicationFactorException", "Replication factor is below 1 or larger than the number of available brokers."},
	39: {"InvalidReplicaAssignmentException", "Replica assignment is invalid."},
	40: {"InvalidConfigurationException", "Configuration is invalid."},
	41: {"NotControllerException", "This is not the correct controller for this cluster."},
	42: {"InvalidRequestException", "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details."},
	44: {"PolicyViolationException", "Request parameters do not satisfy the configured policy."},
	73: {"TopicDeletionDisabledException", "Topic deletion is disabled."},
	87: {"InvalidRecordException", "This record has failed the validation on broker and hence will be rejected."},
	89: {"ThrottlingQuotaExceededException", "The throttling quota has been exceeded."},
}

// apiError turns a response error code (and optional message) into the exception the Java
// admin client would raise.
func apiError(code int16, msg *string) *javaError {
	class, def := "org.apache.kafka.common.errors.UnknownServerException", ""
	if e, ok := apiErrors[code]; ok {
		class, def = "org.apache.kafka.common.errors."+e.class, e.msg
	} else if ke := kerr.ErrorForCode(code); ke != nil {
		def = ke.Error()
	}
	if msg != nil && *msg != "" {
		def = *msg
	}
	return &javaError{Class: class, Msg: def}
}

// clientError maps an error from a franz-go call to the Java exception shown to the user;
// call names the admin call for Kafka's "Timed out waiting for a node assignment" wording.
func clientError(err error, call string) *javaError {
	var je *javaError
	if errors.As(err, &je) {
		return je
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return apiError(ke.Code, nil)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return newJavaError("org.apache.kafka.common.errors.TimeoutException",
			"Timed out waiting for a node assignment. Call: %s", call)
	}
	return newJavaError("org.apache.kafka.common.KafkaException", "%s", err.Error())
}
