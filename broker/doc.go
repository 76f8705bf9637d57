// Package broker is the composition root of one Kafka broker, mirroring kafka.server in
// Kafka 2.8 (ZooKeeper mode): KafkaServer's start-up and shutdown sequence, the
// ReplicaManager (partitions, leadership, high watermarks, the delayed produce and fetch
// purgatories), the MetadataCache kept current by the controller's UpdateMetadata requests,
// the ZkAdminManager behind CreateTopics/DeleteTopics/CreatePartitions/AlterConfigs, the
// DynamicConfigManager that applies /config/changes notifications, and the producer-id
// manager. It implements protocol.Services; the controller lives in broker/controller,
// storage in logstore, ZooKeeper access in zkmeta and group coordination in coordinator.
package broker
