package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(tool{name: "kafka-delete-records", short: "delete-records",
		usage: "delete records of the given partitions down to the specified offset", run: deleteRecordsTool})
}

type deleteRecordsEntry struct {
	tp     tpKey
	offset int64
}

func adminOperation(format string, args ...any) *javaError {
	return newJavaError("kafka.admin.AdminOperationException", format, args...)
}

// parseOffsetJSON is DeleteRecordsCommand.parseOffsetJsonStringWithoutDedup.
func parseOffsetJSON(data []byte) ([]deleteRecordsEntry, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, adminOperation("The input string is not a valid JSON")
	}
	version := 1
	if v, ok := doc["version"]; ok {
		if err := json.Unmarshal(v, &version); err != nil {
			return nil, adminOperation("The input string is not a valid JSON")
		}
	}
	if version != 1 {
		return nil, adminOperation("Not supported version field value %d", version)
	}
	raw, ok := doc["partitions"]
	if !ok {
		return nil, adminOperation("Missing partitions field")
	}
	var parts []struct {
		Topic     *string `json:"topic"`
		Partition *int32  `json:"partition"`
		Offset    *int64  `json:"offset"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, adminOperation("The input string is not a valid JSON")
	}
	out := make([]deleteRecordsEntry, 0, len(parts))
	for _, p := range parts {
		if p.Topic == nil || p.Partition == nil || p.Offset == nil {
			return nil, newJavaError("kafka.utils.json.JsonValue$JsonObjectMissingKeyException", "Missing required key in partition entry")
		}
		out = append(out, deleteRecordsEntry{tpKey{*p.Topic, *p.Partition}, *p.Offset})
	}
	return out, nil
}

func deleteRecordsTool(e *env, args []string) error {
	t := newToolOptions(args)
	p := t.Parser
	bootstrap := p.Accepts("bootstrap-server", "REQUIRED: The server to connect to.").
		WithRequiredArg().DescribedAs("server(s) to use for bootstrapping")
	offsetFile := p.Accepts("offset-json-file", "REQUIRED: The JSON file with offset per partition. The format to use is:\n"+
		"{\"partitions\":\n  [{\"topic\": \"foo\", \"partition\": 1, \"offset\": 1}],\n \"version\":1\n}").
		WithRequiredArg().DescribedAs("Offset json file path")
	commandConfig := p.Accepts("command-config", "A property file containing configs to be passed to Admin Client.").
		WithRequiredArg().DescribedAs("command config property file path")
	s, err := p.Parse(args)
	if err != nil {
		return e.uncaught(joptException(err))
	}
	if err := e.helpAndExitIfNeeded(t, s, "This tool helps to delete records of the given partitions down to the specified offset."); err != nil {
		return err
	}
	if err := e.checkRequired(p, s, bootstrap, offsetFile); err != nil {
		return err
	}
	a, err := newAdminConn(s.ValueOf(bootstrap), s.ValueOf(commandConfig))
	if err != nil {
		return e.uncaught(toolError(err, "createClient"))
	}
	defer a.close()
	data, err := os.ReadFile(s.ValueOf(offsetFile))
	if err != nil {
		return e.uncaught(newJavaError("java.nio.file.NoSuchFileException", "%s", s.ValueOf(offsetFile)))
	}
	entries, err := parseOffsetJSON(data)
	if err != nil {
		return e.uncaught(err.(*javaError))
	}
	seen := map[tpKey]int{}
	var dups []string
	for _, en := range entries {
		seen[en.tp]++
		if seen[en.tp] == 2 {
			dups = append(dups, en.tp.String())
		}
	}
	if len(dups) > 0 {
		return e.uncaught(newJavaError("kafka.common.AdminCommandFailedException", "Offset json file contains duplicate topic partitions: %s", strings.Join(dups, ",")))
	}
	fmt.Fprintln(e.Stdout, "Executing records delete operation")
	results := deleteRecords(a, entries)
	fmt.Fprintln(e.Stdout, "Records delete operation completed:")
	tps := make([]tpKey, 0, len(entries))
	for _, en := range entries {
		tps = append(tps, en.tp)
	}
	sortTPs(tps)
	for _, tp := range tps {
		r := results[tp]
		if r.err != nil {
			fmt.Fprintf(e.Stdout, "partition: %s\terror: %s\n", tp, r.err.Msg)
		} else {
			fmt.Fprintf(e.Stdout, "partition: %s\tlow_watermark: %d\n", tp, r.low)
		}
	}
	return nil
}

type deleteResult struct {
	low int64
	err *javaError
}

// deleteRecords sends DeleteRecords to each partition's leader (kgo shards the request).
func deleteRecords(a *adminConn, entries []deleteRecordsEntry) map[tpKey]deleteResult {
	out := map[tpKey]deleteResult{}
	ctx, cancel := a.ctx()
	defer cancel()
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.TimeoutMillis = int32(a.timeout.Milliseconds())
	byTopic := map[string]int{}
	for _, en := range entries {
		i, ok := byTopic[en.tp.Topic]
		if !ok {
			rt := kmsg.NewDeleteRecordsRequestTopic()
			rt.Topic = en.tp.Topic
			req.Topics = append(req.Topics, rt)
			i = len(req.Topics) - 1
			byTopic[en.tp.Topic] = i
		}
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Partition, rp.Offset = en.tp.Partition, en.offset
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	for _, sh := range a.cl.RequestSharded(ctx, req) {
		if sh.Err != nil {
			je := newJavaError("java.util.concurrent.ExecutionException", "%s", toolError(sh.Err, "deleteRecords").String())
			if r, ok := sh.Req.(*kmsg.DeleteRecordsRequest); ok {
				for _, t := range r.Topics {
					for _, p := range t.Partitions {
						out[tpKey{t.Topic, p.Partition}] = deleteResult{err: je}
					}
				}
			}
			continue
		}
		for _, t := range sh.Resp.(*kmsg.DeleteRecordsResponse).Topics {
			for _, p := range t.Partitions {
				tp := tpKey{t.Topic, p.Partition}
				if p.ErrorCode != 0 {
					out[tp] = deleteResult{err: newJavaError("java.util.concurrent.ExecutionException", "%s", apiError(p.ErrorCode, nil).String())}
				} else {
					out[tp] = deleteResult{low: p.LowWatermark}
				}
			}
		}
	}
	for _, en := range entries {
		if _, ok := out[en.tp]; !ok {
			out[en.tp] = deleteResult{err: newJavaError("java.util.concurrent.ExecutionException", "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.")}
		}
	}
	return out
}

var _ = sort.Strings
