package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(tool{name: "kafka-log-dirs", short: "log-dirs",
		usage: "query log directory usage on the specified brokers", run: logDirsTool})
}

type logDirPartition struct {
	Partition string `json:"partition"`
	Size      int64  `json:"size"`
	OffsetLag int64  `json:"offsetLag"`
	IsFuture  bool   `json:"isFuture"`
}

type logDirJSON struct {
	LogDir     string            `json:"logDir"`
	Error      *string           `json:"error"`
	Partitions []logDirPartition `json:"partitions"`
}

type logDirBroker struct {
	Broker  int32        `json:"broker"`
	LogDirs []logDirJSON `json:"logDirs"`
}

type logDirsDoc struct {
	Version int            `json:"version"`
	Brokers []logDirBroker `json:"brokers"`
}

// logDirErrorClass names the exception class LogDirDescription.error carries.
func logDirErrorClass(code int16) string {
	switch code {
	case 57:
		return "org.apache.kafka.common.errors.KafkaStorageException"
	}
	return apiError(code, nil).Class
}

// formatLogDirsJSON builds LogDirsCommand's one-line JSON; topics filters partitions.
func formatLogDirsJSON(brokers []int32, resp map[int32]*kmsg.DescribeLogDirsResponse, topics map[string]bool) string {
	doc := logDirsDoc{Version: 1, Brokers: []logDirBroker{}}
	for _, id := range brokers {
		r := resp[id]
		if r == nil {
			continue
		}
		b := logDirBroker{Broker: id, LogDirs: []logDirJSON{}}
		for _, d := range r.Dirs {
			ld := logDirJSON{LogDir: d.Dir, Partitions: []logDirPartition{}}
			if d.ErrorCode != 0 {
				cls := logDirErrorClass(d.ErrorCode)
				ld.Error = &cls
			}
			for _, t := range d.Topics {
				if len(topics) > 0 && !topics[t.Topic] {
					continue
				}
				for _, p := range t.Partitions {
					ld.Partitions = append(ld.Partitions, logDirPartition{
						Partition: t.Topic + "-" + strconv.Itoa(int(p.Partition)), Size: p.Size, OffsetLag: p.OffsetLag, IsFuture: p.IsFuture})
				}
			}
			sort.Slice(ld.Partitions, func(i, j int) bool { return ld.Partitions[i].Partition < ld.Partitions[j].Partition })
			b.LogDirs = append(b.LogDirs, ld)
		}
		doc.Brokers = append(doc.Brokers, b)
	}
	out, _ := json.Marshal(doc)
	return string(out)
}

func logDirsTool(e *env, args []string) error {
	t := newToolOptions(args)
	p := t.Parser
	bootstrap := p.Accepts("bootstrap-server", "REQUIRED: the server(s) to use for bootstrapping").
		WithRequiredArg().DescribedAs("The server(s) to use for bootstrapping")
	commandConfig := p.Accepts("command-config", "Property file containing configs to be passed to Admin Client.").
		WithRequiredArg().DescribedAs("Admin client property file")
	describe := p.Accepts("describe", "Describe the specified log directories on the specified brokers.")
	topicList := p.Accepts("topic-list", "The list of topics to be queried in the form \"topic1,topic2,topic3\". All topics will be queried if no topic list is specified").
		WithRequiredArg().DescribedAs("Topic list").DefaultsTo("")
	brokerList := p.Accepts("broker-list", "The list of brokers to be queried in the form \"0,1,2\". All brokers in the cluster will be queried if no broker list is specified").
		WithRequiredArg().DescribedAs("Broker list")
	s, err := p.Parse(args)
	if err != nil {
		return e.uncaught(joptException(err))
	}
	if err := e.helpAndExitIfNeeded(t, s, "This tool helps to query log directory usage on the specified brokers."); err != nil {
		return err
	}
	if err := e.checkRequired(p, s, bootstrap, describe); err != nil {
		return err
	}
	topics := map[string]bool{}
	for _, tp := range strings.Split(s.ValueOf(topicList), ",") {
		if tp != "" {
			topics[tp] = true
		}
	}
	a, err := newAdminConn(s.ValueOf(bootstrap), s.ValueOf(commandConfig))
	if err != nil {
		return e.uncaught(toolError(err, "createClient"))
	}
	defer a.close()
	ctx, cancel := a.ctx()
	defer cancel()
	var brokers []int32
	if s.Has(brokerList) {
		for _, b := range strings.Split(s.ValueOf(brokerList), ",") {
			if b == "" {
				continue
			}
			n, err := strconv.ParseInt(b, 10, 32)
			if err != nil {
				return e.uncaught(newJavaError("java.lang.NumberFormatException", "For input string: \"%s\"", b))
			}
			brokers = append(brokers, int32(n))
		}
	} else {
		meta := kmsg.NewPtrMetadataRequest()
		meta.Topics = []kmsg.MetadataRequestTopic{}
		mresp, err := meta.RequestWith(ctx, a.cl)
		if err != nil {
			return e.uncaught(toolError(err, "describeCluster"))
		}
		for _, b := range mresp.Brokers {
			brokers = append(brokers, b.NodeID)
		}
		sort.Slice(brokers, func(i, j int) bool { return brokers[i] < brokers[j] })
	}
	fmt.Fprintln(e.Stdout, "Querying brokers for log directories information")
	resps := map[int32]*kmsg.DescribeLogDirsResponse{}
	for _, id := range brokers {
		req := kmsg.NewPtrDescribeLogDirsRequest()
		req.Topics = nil
		resp, err := req.RequestWith(ctx, a.cl.Broker(int(id)))
		if err != nil {
			return e.uncaught(newJavaError("java.util.concurrent.ExecutionException", "%s", toolError(err, "describeLogDirs").String()))
		}
		resps[id] = resp
	}
	ids := make([]string, len(brokers))
	for i, b := range brokers {
		ids[i] = strconv.Itoa(int(b))
	}
	fmt.Fprintf(e.Stdout, "Received log directory information from brokers %s\n", strings.Join(ids, ","))
	fmt.Fprintln(e.Stdout, formatLogDirsJSON(brokers, resps, topics))
	return nil
}
