// Command kafka is the command-line side of kafka-classic: one binary holding Kafka 2.8's
// scripts and tools (bin/*.sh with kafka.Kafka, kafka.admin.TopicCommand,
// kafka.tools.ConsoleProducer, kafka.tools.ConsoleConsumer, and the ZooKeeper launchers).
//
// It picks the tool from argv[0] ("kafka-topics.sh", "kafka-topics") or from its first
// argument ("kafka topics ..."). Each tool parses its arguments as jopt-simple does and
// prints what the Java tool prints, so tutorial commands and their output carry over.
package main
