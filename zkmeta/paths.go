package zkmeta

import (
	"strconv"
	"strings"
)

// Znode paths from Kafka's ZkData, relative to the chroot.
const (
	ClusterPath                  = "/cluster"
	ClusterIDPath                = "/cluster/id"
	ControllerPath               = "/controller"
	ControllerEpochPath          = "/controller_epoch"
	BrokersPath                  = "/brokers"
	BrokerIDsPath                = "/brokers/ids"
	BrokerTopicsPath             = "/brokers/topics"
	BrokerSeqIDPath              = "/brokers/seqid"
	ConfigPath                   = "/config"
	ConfigChangesPath            = "/config/changes"
	ConfigChangePrefix           = "config_change_"
	AdminPath                    = "/admin"
	DeleteTopicsPath             = "/admin/delete_topics"
	ReassignPartitionsPath       = "/admin/reassign_partitions"
	PreferredReplicaElectionPath = "/admin/preferred_replica_election"
	IsrChangeNotificationPath    = "/isr_change_notification"
	IsrChangePrefix              = "isr_change_"
	LogDirEventNotificationPath  = "/log_dir_event_notification"
	LogDirEventPrefix            = "log_dir_event_"
	ProducerIDBlockPath          = "/latest_producer_id_block"
	ConsumersPath                = "/consumers"
	FeaturePath                  = "/feature"
)

// Entity types under /config (ConfigType).
const (
	ConfigTypeTopic  = "topics"
	ConfigTypeClient = "clients"
	ConfigTypeUser   = "users"
	ConfigTypeBroker = "brokers"
	ConfigTypeIP     = "ips"
)

// DefaultEntityName is ConfigEntityName.Default, used for broker/user/client defaults.
const DefaultEntityName = "<default>"

// PersistentPaths is ZkData.PersistentZkPaths, in Kafka's order.
var PersistentPaths = []string{
	ConsumersPath,
	BrokerIDsPath,
	BrokerTopicsPath,
	ConfigChangesPath,
	DeleteTopicsPath,
	BrokerSeqIDPath,
	IsrChangeNotificationPath,
	ProducerIDBlockPath,
	LogDirEventNotificationPath,
	"/config/" + ConfigTypeTopic,
	"/config/" + ConfigTypeClient,
	"/config/" + ConfigTypeUser,
	"/config/" + ConfigTypeBroker,
	"/config/" + ConfigTypeIP,
}

func BrokerPath(id int32) string              { return BrokerIDsPath + "/" + strconv.Itoa(int(id)) }
func TopicPath(topic string) string           { return BrokerTopicsPath + "/" + topic }
func TopicPartitionsPath(topic string) string { return TopicPath(topic) + "/partitions" }
func TopicPartitionPath(topic string, p int32) string {
	return TopicPartitionsPath(topic) + "/" + strconv.Itoa(int(p))
}
func PartitionStatePath(topic string, p int32) string { return TopicPartitionPath(topic, p) + "/state" }
func EntityConfigPath(entityType, name string) string {
	return "/config/" + entityType + "/" + name
}
func EntityTypePath(entityType string) string { return "/config/" + entityType }
func DeleteTopicPath(topic string) string     { return DeleteTopicsPath + "/" + topic }

// sequenceNumber parses the 10-digit counter ZooKeeper appended to a
// sequential child name such as config_change_0000000042.
func sequenceNumber(child, prefix string) (int64, bool) {
	if !strings.HasPrefix(child, prefix) {
		return 0, false
	}
	n, err := strconv.ParseInt(child[len(prefix):], 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
