package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(tool{name: "kafka-broker-api-versions", short: "broker-api-versions",
		usage: "retrieve broker version information", run: brokerAPIVersionsTool})
}

// javaAPI is one ApiKeys entry of the 2.8 Java client: its name, the newest version it
// speaks, and whether a ZooKeeper-mode broker is expected to serve it.
type javaAPI struct {
	name     string
	latest   int16
	zkBroker bool
}

// javaAPIs are the 2.8 client's ApiKeys (names and latest versions from the 2.8 message
// definitions).
var javaAPIs = map[int16]javaAPI{
	0: {"Produce", 9, true}, 1: {"Fetch", 12, true}, 2: {"ListOffsets", 6, true}, 3: {"Metadata", 11, true},
	4: {"LeaderAndIsr", 5, true}, 5: {"StopReplica", 3, true}, 6: {"UpdateMetadata", 7, true},
	7: {"ControlledShutdown", 3, true}, 8: {"OffsetCommit", 8, true}, 9: {"OffsetFetch", 7, true},
	10: {"FindCoordinator", 3, true}, 11: {"JoinGroup", 7, true}, 12: {"Heartbeat", 4, true},
	13: {"LeaveGroup", 4, true}, 14: {"SyncGroup", 5, true}, 15: {"DescribeGroups", 5, true},
	16: {"ListGroups", 4, true}, 17: {"SaslHandshake", 1, true}, 18: {"ApiVersions", 3, true},
	19: {"CreateTopics", 7, true}, 20: {"DeleteTopics", 6, true}, 21: {"DeleteRecords", 2, true},
	22: {"InitProducerId", 4, true}, 23: {"OffsetForLeaderEpoch", 4, true}, 24: {"AddPartitionsToTxn", 3, true},
	25: {"AddOffsetsToTxn", 3, true}, 26: {"EndTxn", 3, true}, 27: {"WriteTxnMarkers", 1, true},
	28: {"TxnOffsetCommit", 3, true}, 29: {"DescribeAcls", 2, true}, 30: {"CreateAcls", 2, true},
	31: {"DeleteAcls", 2, true}, 32: {"DescribeConfigs", 4, true}, 33: {"AlterConfigs", 2, true},
	34: {"AlterReplicaLogDirs", 2, true}, 35: {"DescribeLogDirs", 2, true}, 36: {"SaslAuthenticate", 2, true},
	37: {"CreatePartitions", 3, true}, 38: {"CreateDelegationToken", 2, true}, 39: {"RenewDelegationToken", 2, true},
	40: {"ExpireDelegationToken", 2, true}, 41: {"DescribeDelegationToken", 2, true}, 42: {"DeleteGroups", 2, true},
	43: {"ElectLeaders", 2, true}, 44: {"IncrementalAlterConfigs", 1, true}, 45: {"AlterPartitionReassignments", 0, true},
	46: {"ListPartitionReassignments", 0, true}, 47: {"OffsetDelete", 0, true}, 48: {"DescribeClientQuotas", 1, true},
	49: {"AlterClientQuotas", 1, true}, 50: {"DescribeUserScramCredentials", 0, true}, 51: {"AlterUserScramCredentials", 0, true},
	52: {"Vote", 0, false}, 53: {"BeginQuorumEpoch", 0, false}, 54: {"EndQuorumEpoch", 0, false},
	55: {"DescribeQuorum", 0, false}, 56: {"AlterIsr", 0, true}, 57: {"UpdateFeatures", 0, true},
	58: {"Envelope", 0, false}, 59: {"FetchSnapshot", 0, false}, 60: {"DescribeCluster", 0, true},
	61: {"DescribeProducers", 0, true}, 62: {"BrokerRegistration", 0, false}, 63: {"BrokerHeartbeat", 0, false},
	64: {"UnregisterBroker", 0, false},
}

type apiRange struct{ key, min, max int16 }

// formatNodeAPIVersions is NodeApiVersions.toString(true).
func formatNodeAPIVersions(ranges []apiRange) string {
	text := map[int16]string{}
	for _, r := range ranges {
		var b strings.Builder
		api, known := javaAPIs[r.key]
		if known {
			fmt.Fprintf(&b, "%s(%d): ", api.name, r.key)
		} else {
			fmt.Fprintf(&b, "UNKNOWN(%d): ", r.key)
		}
		if r.min == r.max {
			fmt.Fprintf(&b, "%d", r.min)
		} else {
			fmt.Fprintf(&b, "%d to %d", r.min, r.max)
		}
		if known {
			switch {
			case api.latest < r.min:
				b.WriteString(" [unusable: node too new]")
			case r.max < 0:
				b.WriteString(" [unusable: node too old]")
			default:
				fmt.Fprintf(&b, " [usable: %d]", min(api.latest, r.max))
			}
		}
		text[r.key] = b.String()
	}
	for k, api := range javaAPIs {
		if _, ok := text[k]; !ok && api.zkBroker {
			text[k] = fmt.Sprintf("%s(%d): UNSUPPORTED", api.name, k)
		}
	}
	keys := make([]int, 0, len(text))
	for k := range text {
		keys = append(keys, int(k))
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = text[int16(k)]
	}
	return "(\n\t" + strings.Join(parts, ",\n\t") + "\n)"
}

func brokerAPIVersionsTool(e *env, args []string) error {
	t := newToolOptions(args)
	p := t.Parser
	commandConfig := p.Accepts("command-config", "A property file containing configs to be passed to Admin Client.").
		WithRequiredArg().DescribedAs("command config property file")
	bootstrap := p.Accepts("bootstrap-server", "REQUIRED: The server to connect to.").
		WithRequiredArg().DescribedAs("server(s) to use for bootstrapping")
	s, err := p.Parse(args)
	if err != nil {
		return e.uncaught(joptException(err))
	}
	if err := e.helpAndExitIfNeeded(t, s, "This tool helps to retrieve broker version information."); err != nil {
		return err
	}
	if err := e.checkRequired(p, s, bootstrap); err != nil {
		return err
	}
	a, err := newAdminConn(s.ValueOf(bootstrap), s.ValueOf(commandConfig))
	if err != nil {
		return e.uncaught(toolError(err, "createClient"))
	}
	defer a.close()
	ctx, cancel := a.ctx()
	defer cancel()
	meta := kmsg.NewPtrMetadataRequest()
	meta.Topics = []kmsg.MetadataRequestTopic{}
	mresp, err := meta.RequestWith(ctx, a.cl)
	if err != nil {
		return e.uncaught(toolError(err, "listNodes"))
	}
	brokers := append([]kmsg.MetadataResponseBroker(nil), mresp.Brokers...)
	sort.Slice(brokers, func(i, j int) bool { return brokers[i].NodeID < brokers[j].NodeID })
	for _, b := range brokers {
		rack := "null"
		if b.Rack != nil {
			rack = *b.Rack
		}
		node := fmt.Sprintf("%s:%d (id: %d rack: %s)", b.Host, b.Port, b.NodeID, rack)
		ranges, err := apiVersionsOf(ctx, a, b.NodeID)
		if err != nil {
			fmt.Fprintf(e.Stdout, "%s -> ERROR: %s\n", node, toolError(err, "apiVersions").String())
			continue
		}
		fmt.Fprintf(e.Stdout, "%s -> %s\n", node, formatNodeAPIVersions(ranges))
	}
	return nil
}

func apiVersionsOf(ctx context.Context, a *adminConn, id int32) ([]apiRange, error) {
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName = "apache-kafka-java"
	req.ClientSoftwareVersion = kafkaVersion
	resp, err := req.RequestWith(ctx, a.cl.Broker(int(id)))
	if err != nil {
		return nil, err
	}
	if resp.ErrorCode != 0 {
		return nil, apiError(resp.ErrorCode, nil)
	}
	out := make([]apiRange, 0, len(resp.ApiKeys))
	for _, k := range resp.ApiKeys {
		out = append(out, apiRange{k.ApiKey, k.MinVersion, k.MaxVersion})
	}
	return out, nil
}
