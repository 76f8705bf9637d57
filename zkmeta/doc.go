// Package zkmeta is the broker's view of ZooKeeper: the connection, the
// layout and exact JSON of every znode Kafka 2.8 uses, and the admin writes
// shared by the CreateTopics handler and the `kafka-topics --zookeeper` tool.
//
// Kafka counterparts:
//   - ZooKeeperClient: Client's session handling (chroot, waiting for a
//     connection, noticing a NEW session after expiry, retrying requests
//     after connection loss).
//   - ZkData: paths.go and the *_znode.go files (one type per znode with
//     Encode/Decode; decoders parse by key and accept older versions).
//   - KafkaZkClient: broker registration as a checked ephemeral, controller
//     election and epoch fencing (every controller write is a multi whose
//     first op checks /controller_epoch's version), partition state, ISR
//     change and log-dir notifications, producer-id blocks.
//   - AdminZkClient: topic creation, partition addition, deletion markers,
//     entity configs with config_change_ notifications.
//   - AdminUtils: replica assignment (rack-unaware and rack-aware).
//   - ZkNodeChangeNotificationListener: WatchConfigChanges.
//   - Topic / Sanitizer (clients): name validation and entity-name encoding.
//
// The package owns no policy: it never decides leaders or validates topic
// configs; it reads and writes ZooKeeper exactly as Kafka does and reports
// Kafka's exception messages through errors wrapping its sentinels (Message
// returns the bare text).
package zkmeta
