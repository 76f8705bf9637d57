// Package logstore is the broker's storage engine: Kafka's kafka.log package re-done in Go.
//
// Kafka counterparts: Log (one partition's log, here Log), LogSegment (segment), LogManager
// (Manager: dirs, locking, loading, recovery, retention, checkpoints), OffsetIndex (.index),
// TimeIndex (.timeindex), TransactionIndex (.txnindex), LeaderEpochFileCache (leader-epoch-checkpoint), ProducerStateManager
// (idempotent producer state and .snapshot files), OffsetCheckpointFile (the per-dir checkpoint
// files), LogValidator (the in-place offset assignment on leader append) and the log cleaner
// (LogCleaner, Cleaner, LogCleanerManager, SkimpyOffsetMap: compaction of cleanup.policy=compact
// logs, cleaner-offset-checkpoint, .cleaned/.swap files).
//
// The on-disk layout is byte-compatible with Kafka 2.8 so that kafka-dump-log and a real broker
// can read what this package writes and vice versa.
package logstore
