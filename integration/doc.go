// Package integration holds black-box tests of the whole system: a real Apache ZooKeeper (the
// OS package, started as a Java process), real broker processes built from cmd/kafka, and
// unmodified clients (franz-go's kgo/kadm and librdkafka's kcat). Nothing is mocked at the
// protocol or ZooKeeper boundary.
//
// Kafka counterpart: the system tests and core/src/test/scala/integration (KafkaServerTestHarness,
// ZooKeeperTestHarness), which likewise start servers on free ports and drive them with clients.
//
// Run with plain `go test ./integration/`. The binary is built once per run (or taken from
// $KAFKA_CLASSIC_BIN). ZooKeeper comes from /usr/share/java/zookeeper.jar; without it the tests
// skip, except under CI=true where a missing prerequisite is a failure.
package integration
