package logstore

import (
	"errors"
	"fmt"
)

// Sentinel errors; the broker maps each to a Kafka error code.
var (
	ErrOffsetOutOfRange     = errors.New("logstore: offset out of range")
	ErrCorruptMessage       = errors.New("logstore: corrupt message")
	ErrInvalidRecord        = errors.New("logstore: invalid record")
	ErrRecordTooLarge       = errors.New("logstore: record too large")
	ErrRecordListTooLarge   = errors.New("logstore: record list too large")
	ErrInvalidTimestamp     = errors.New("logstore: invalid timestamp")
	ErrOutOfOrderSequence   = errors.New("logstore: out of order sequence number")
	ErrInvalidProducerEpoch = errors.New("logstore: invalid producer epoch")
	ErrUnknownProducerID    = errors.New("logstore: unknown producer id")
	ErrInvalidTxnState      = errors.New("logstore: invalid transaction state")
	ErrUnsupportedMagic     = errors.New("logstore: unsupported message format")
	// ErrUnexpectedAppendOffset (follower append below the LEO) also matches ErrCorruptMessage.
	ErrUnexpectedAppendOffset = &refinedError{"logstore: unexpected append offset", ErrCorruptMessage}
	ErrClosed                 = errors.New("logstore: log closed")
	ErrLogDirLocked           = errors.New("logstore: log dir is locked by another process")
	ErrInconsistentMeta       = errors.New("logstore: inconsistent broker metadata")
)

func corruptf(format string, args ...interface{}) error {
	return fmt.Errorf("%w: "+format, append([]interface{}{ErrCorruptMessage}, args...)...)
}

// refinedError is a more specific error that still matches a broader sentinel with errors.Is, so
// callers that only know the contract's sentinels map it to a sensible code.
type refinedError struct {
	msg    string
	parent error
}

func (e *refinedError) Error() string { return e.msg }
func (e *refinedError) Unwrap() error { return e.parent }
