// Package config owns broker and topic configuration, the parts Kafka spreads over KafkaConfig,
// LogConfig and ConfigDef:
//
//   - reading Java .properties files (server.properties, zookeeper.properties, --override);
//   - the typed Broker (KafkaConfig): 2.8 defaults, the ms/minutes/hours precedence rules,
//     listeners, and the cross-key checks of KafkaConfig.validateValues;
//   - the effective per-topic Log (LogConfig): broker-derived defaults overlaid with
//     /config/topics overrides, and topic config validation;
//   - parsing and range checks with ConfigDef's wording, so errors read like Kafka's
//     ("Invalid value abc for configuration num.partitions: Not a number of type INT");
//   - the entries, sources and synonyms DescribeConfigs reports.
//
// It knows nothing about ZooKeeper, sockets or logs: callers hand it string maps and get typed
// values, or errors wrapping ErrInvalidConfig. Dynamic broker configs (/config/brokers) are not
// layered here, so the only sources reported are topic override, static broker config and
// default.
package config
