// Package coordinator is the group coordinator: Kafka's kafka.coordinator.group.GroupCoordinator
// together with GroupMetadata (per-group state machine), GroupMetadataManager (the group and offset
// cache backed by the __consumer_offsets partitions, loading, retention) and MemberMetadata.
//
// The broker owns the __consumer_offsets logs and implements Storage over them; it calls OnElection
// and OnResignation as this broker gains and loses leadership of offsets partitions and forwards the
// group APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ListGroups,
// DescribeGroups, DeleteGroups, OffsetDelete) as kmsg structs. Record keys and values use Kafka's own
// schemas (codec.go) so logs written by either implementation load in the other.
//
// Locking follows Kafka: one mutex per group guards all of that group's state; the coordinator-wide
// mutex only guards the partition and group maps and is never held while waiting for a group lock.
package coordinator
