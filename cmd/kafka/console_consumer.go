package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kafka-classic/kafka-classic/broker"
	"github.com/kafka-classic/kafka-classic/config"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func init() {
	register(tool{name: "kafka-console-consumer", short: "console-consumer",
		usage: "read records from topics and print them to standard output", run: consoleConsumer})
}

type consumerOptions struct {
	*toolOptions
	topic, whitelist, partition, offset, consumerProperty, consumerConfig  *Opt
	formatter, property, fromBeginning, maxMessages                        *Opt
	timeoutMs, skipOnError, bootstrapServer, keyDeser, valueDeser, systest *Opt
	isolationLevel, group                                                  *Opt
}

// newConsumerOptions is ConsoleConsumer.ConsumerConfig's option table.
func newConsumerOptions(args []string) *consumerOptions {
	o := &consumerOptions{toolOptions: newToolOptions(args)}
	p := o.Parser
	o.topic = p.Accepts("topic", "The topic id to consume on.").WithRequiredArg().DescribedAs("topic")
	o.whitelist = p.Accepts("whitelist", "Regular expression specifying whitelist of topics to include for consumption.").
		WithRequiredArg().DescribedAs("whitelist")
	o.partition = p.Accepts("partition", "The partition to consume from. Consumption starts from the end of the partition unless '--offset' is specified.").
		WithRequiredArg().DescribedAs("partition").OfType("Integer")
	o.offset = p.Accepts("offset", "The offset id to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end").
		WithRequiredArg().DescribedAs("consume offset").DefaultsTo("latest")
	o.consumerProperty = p.Accepts("consumer-property", "A mechanism to pass user-defined properties in the form key=value to the consumer.").
		WithRequiredArg().DescribedAs("consumer_prop")
	o.consumerConfig = p.Accepts("consumer.config", "Consumer config properties file. Note that [consumer-property] takes precedence over this config.").
		WithRequiredArg().DescribedAs("config file")
	o.formatter = p.Accepts("formatter", "The name of a class to use for formatting kafka messages for display.").
		WithRequiredArg().DescribedAs("class").DefaultsTo("kafka.tools.DefaultMessageFormatter")
	o.property = p.Accepts("property", "The properties to initialize the message formatter. Default properties include: \n"+
		" print.timestamp=true|false\n"+
		" print.key=true|false\n"+
		" print.offset=true|false\n"+
		" print.partition=true|false\n"+
		" print.headers=true|false\n"+
		" print.value=true|false\n"+
		" key.separator=<key.separator>\n"+
		" line.separator=<line.separator>\n"+
		" headers.separator=<line.separator>\n"+
		" null.literal=<null.literal>\n"+
		" key.deserializer=<key.deserializer>\n"+
		" value.deserializer=<value.deserializer>\n"+
		" header.deserializer=<header.deserializer>\n"+
		"\nUsers can also pass in customized properties for their formatter; more specifically, users can pass in properties keyed with 'key.deserializer.', 'value.deserializer.' and 'headers.deserializer.' prefixes to configure their deserializers.").
		WithRequiredArg().DescribedAs("prop")
	o.fromBeginning = p.Accepts("from-beginning", "If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message.")
	o.maxMessages = p.Accepts("max-messages", "The maximum number of messages to consume before exiting. If not set, consumption is continual.").
		WithRequiredArg().DescribedAs("num_messages").OfType("Integer")
	o.timeoutMs = p.Accepts("timeout-ms", "If specified, exit if no message is available for consumption for the specified interval.").
		WithRequiredArg().DescribedAs("timeout_ms").OfType("Integer")
	o.skipOnError = p.Accepts("skip-message-on-error", "If there is an error when processing a message, skip it instead of halt.")
	o.bootstrapServer = p.Accepts("bootstrap-server", "REQUIRED: The server(s) to connect to.").
		WithRequiredArg().DescribedAs("server to connect to")
	o.keyDeser = p.Accepts("key-deserializer", "").WithRequiredArg().DescribedAs("deserializer for key")
	o.valueDeser = p.Accepts("value-deserializer", "").WithRequiredArg().DescribedAs("deserializer for values")
	o.systest = p.Accepts("enable-systest-events", "Log lifecycle events of the consumer in addition to logging consumed messages. (This is specific for system tests.)")
	o.isolationLevel = p.Accepts("isolation-level", "Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages.").
		WithRequiredArg().DefaultsTo("read_uncommitted")
	o.group = p.Accepts("group", "The consumer group id of the consumer.").WithRequiredArg().DescribedAs("consumer group id")
	return o
}

// consumerSettings is what ConsumerConfig derives from the options.
type consumerSettings struct {
	topic, whitelist string
	partition        *int32
	offset           int64 // -2 earliest, -1 latest, else an offset
	maxMessages      int64 // -1: no limit
	timeout          time.Duration
	skipOnError      bool
	props            config.Properties
	groupGiven       bool
	formatter        messageFormatter
}

const (
	earliestTimestamp = -2
	latestTimestamp   = -1
)

// parseConsumerArgs is ConsumerConfig's constructor: parse, validate, derive the settings.
func parseConsumerArgs(e *env, args []string) (*consumerSettings, error) {
	o := newConsumerOptions(args)
	s, err := o.Parse(args)
	if err != nil {
		return nil, e.usageAndDie(o.Parser, err.Error())
	}
	if err := e.helpAndExitIfNeeded(o.toolOptions, s, "This tool helps to read data from Kafka topics and outputs it to standard output."); err != nil {
		return nil, err
	}
	if err := s.CheckSingle(o.topic, o.whitelist, o.partition, o.offset, o.consumerConfig, o.formatter, o.maxMessages,
		o.timeoutMs, o.bootstrapServer, o.keyDeser, o.valueDeser, o.isolationLevel, o.group); err != nil {
		return nil, e.uncaught(joptException(err))
	}
	cs := &consumerSettings{maxMessages: -1, timeout: -1, skipOnError: s.Has(o.skipOnError)}
	extraProps := parseKeyValueArgs(s.ValuesOf(o.consumerProperty))
	props := config.Properties{}
	if s.Has(o.consumerConfig) {
		if props, err = config.LoadProperties(s.ValueOf(o.consumerConfig)); err != nil {
			return nil, e.uncaught(newJavaError("java.nio.file.NoSuchFileException", "%s", s.ValueOf(o.consumerConfig)))
		}
	}
	if s.Has(o.partition) {
		n, err := s.IntValueOf(o.partition)
		if err != nil {
			return nil, e.uncaught(joptException(err))
		}
		p := int32(n)
		cs.partition = &p
	}
	formatter, ok := newMessageFormatter(s.ValueOf(o.formatter))
	if !ok {
		return nil, e.uncaught(newJavaError("java.lang.ClassNotFoundException", "%s", s.ValueOf(o.formatter)))
	}
	formatterArgs := map[string]string{}
	for k, v := range parseKeyValueArgs(s.ValuesOf(o.property)) {
		formatterArgs[k] = v
	}
	if s.Has(o.maxMessages) {
		if cs.maxMessages, err = s.IntValueOf(o.maxMessages); err != nil {
			return nil, e.uncaught(joptException(err))
		}
	}
	if s.Has(o.timeoutMs) {
		n, err := s.IntValueOf(o.timeoutMs)
		if err != nil {
			return nil, e.uncaught(joptException(err))
		}
		cs.timeout = time.Duration(n) * time.Millisecond
	}
	if v := s.ValueOf(o.keyDeser); v != "" {
		formatterArgs["key.deserializer"] = v
	}
	if v := s.ValueOf(o.valueDeser); v != "" {
		formatterArgs["value.deserializer"] = v
	}
	if err := formatter.configure(formatterArgs); err != nil {
		var je *javaError
		if errors.As(err, &je) {
			return nil, e.uncaught(je)
		}
		return nil, err
	}
	cs.formatter = formatter

	n := 0
	for _, opt := range []*Opt{o.topic, o.whitelist} {
		if s.Has(opt) {
			n++
		}
	}
	if n != 1 {
		return nil, e.usageAndDie(o.Parser, "Exactly one of whitelist/topic is required.")
	}
	cs.topic, cs.whitelist = s.ValueOf(o.topic), s.ValueOf(o.whitelist)
	fromBeginning := s.Has(o.fromBeginning)
	if cs.partition != nil {
		if !s.Has(o.topic) {
			return nil, e.usageAndDie(o.Parser, "The topic is required when partition is specified.")
		}
		if fromBeginning && s.Has(o.offset) {
			return nil, e.usageAndDie(o.Parser, "Options from-beginning and offset cannot be specified together.")
		}
	} else if s.Has(o.offset) {
		return nil, e.usageAndDie(o.Parser, "The partition is required when offset is specified.")
	}
	switch {
	case s.Has(o.offset):
		v := strings.ToLower(s.ValueOf(o.offset))
		switch v {
		case "earliest":
			cs.offset = earliestTimestamp
		case "latest":
			cs.offset = latestTimestamp
		default:
			off, err := strconv.ParseInt(v, 10, 64)
			if err != nil || off < 0 {
				return nil, e.usageAndDie(o.Parser, fmt.Sprintf("The provided offset value '%s' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.", v))
			}
			cs.offset = off
		}
	case fromBeginning:
		cs.offset = earliestTimestamp
	default:
		cs.offset = latestTimestamp
	}
	if err := e.checkRequired(o.Parser, s, o.bootstrapServer); err != nil {
		return nil, err
	}

	// The group id may come from --group, --consumer.config or --consumer-property; all
	// that are given must agree.
	var groups []string
	seen := map[string]bool{}
	for _, g := range []struct {
		v  string
		ok bool
	}{
		{s.ValueOf(o.group), s.Has(o.group)},
		{props["group.id"], hasKey(props, "group.id")},
		{extraProps["group.id"], hasKey(extraProps, "group.id")},
	} {
		if g.ok && !seen[g.v] {
			seen[g.v] = true
			groups = append(groups, g.v)
		}
	}
	if len(groups) > 1 {
		return nil, e.usageAndDie(o.Parser, "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: '"+strings.Join(groups, "', '")+"'")
	}
	if len(groups) == 1 {
		props["group.id"] = groups[0]
		cs.groupGiven = true
	} else {
		props["group.id"] = fmt.Sprintf("console-consumer-%d", rand.IntN(100000))
		// The generated group is not meant to be reused; avoid filling the coordinator with it.
		if !hasKey(props, "enable.auto.commit") {
			props["enable.auto.commit"] = "false"
		}
	}
	if cs.groupGiven && cs.partition != nil {
		return nil, e.usageAndDie(o.Parser, "Options group and partition cannot be specified together.")
	}

	// ConsoleConsumer.consumerProps
	for k, v := range extraProps {
		props[k] = v
	}
	if v, ok := props["auto.offset.reset"]; ok {
		if fromBeginning && v != "earliest" {
			fmt.Fprintf(e.Stderr, "Can't simultaneously specify --from-beginning and 'auto.offset.reset=%s', please remove one option\n", v)
			return nil, exitCode(1)
		}
	} else if fromBeginning {
		props["auto.offset.reset"] = "earliest"
	} else {
		props["auto.offset.reset"] = "latest"
	}
	props["bootstrap.servers"] = s.ValueOf(o.bootstrapServer)
	if props["client.id"] == "" {
		props["client.id"] = "console-consumer"
	}
	maybeMerge(props, "isolation.level", s, o.isolationLevel)
	cs.props = props
	return cs, nil
}

func hasKey[M ~map[string]string](m M, k string) bool {
	_, ok := m[k]
	return ok
}

// consumerClientOptions maps Java consumer properties onto franz-go, including the 2.8
// client's range assignor so `kafka-consumer-groups --describe --state` shows "range".
func consumerClientOptions(cs *consumerSettings) ([]kgo.Opt, error) {
	props := cs.props
	bad := func(key, why string) error {
		return newJavaError("org.apache.kafka.common.config.ConfigException", "Invalid value %s for configuration %s: %s", props[key], key, why)
	}
	num := func(key string, def int64) (int64, error) {
		v, ok := props[key]
		if !ok || strings.TrimSpace(v) == "" {
			return def, nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, bad(key, "Not a number of type INT")
		}
		return n, nil
	}
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	opts := []kgo.Opt{
		kgo.SeedBrokers(splitServers(props["bootstrap.servers"])...),
		kgo.ClientID(props["client.id"]),
	}
	// allow.auto.create.topics defaults to true in the 2.8 consumer.
	if !strings.EqualFold(strings.TrimSpace(props["allow.auto.create.topics"]), "false") {
		opts = append(opts, kgo.AllowAutoTopicCreation())
	}
	switch props["auto.offset.reset"] {
	case "earliest":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	case "latest":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	case "none":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NoResetOffset()))
	default:
		return nil, bad("auto.offset.reset", "String must be one of: latest, earliest, none")
	}
	switch props["isolation.level"] {
	case "read_committed":
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	case "read_uncommitted", "":
	default:
		return nil, bad("isolation.level", "String must be one of: read_committed, read_uncommitted")
	}
	for _, d := range []struct {
		key string
		def int64
		set func(int64) kgo.Opt
	}{
		{"fetch.max.wait.ms", 500, func(n int64) kgo.Opt { return kgo.FetchMaxWait(ms(n)) }},
		{"fetch.min.bytes", 1, func(n int64) kgo.Opt { return kgo.FetchMinBytes(int32(n)) }},
		{"fetch.max.bytes", 52428800, func(n int64) kgo.Opt { return kgo.FetchMaxBytes(int32(n)) }},
		{"max.partition.fetch.bytes", 1048576, func(n int64) kgo.Opt { return kgo.FetchMaxPartitionBytes(int32(n)) }},
		{"metadata.max.age.ms", 300000, func(n int64) kgo.Opt { return kgo.MetadataMaxAge(ms(n)) }},
	} {
		n, err := num(d.key, d.def)
		if err != nil {
			return nil, err
		}
		opts = append(opts, d.set(n))
	}
	if cs.partition != nil {
		// assign(): no group membership, positions from --offset.
		var at kgo.Offset
		switch cs.offset {
		case earliestTimestamp:
			at = kgo.NewOffset().AtStart()
		case latestTimestamp:
			at = kgo.NewOffset().AtEnd()
		default:
			at = kgo.NewOffset().At(cs.offset)
		}
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{cs.topic: {*cs.partition: at}}))
		return opts, nil
	}
	if cs.whitelist != "" {
		re, err := includeList(cs.whitelist)
		if err != nil {
			return nil, err
		}
		// exclude.internal.topics=true: pattern subscriptions never match internal topics.
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics(re.String()),
			kgo.ConsumeExcludeTopics("^__consumer_offsets$", "^__transaction_state$"))
	} else {
		opts = append(opts, kgo.ConsumeTopics(cs.topic))
	}
	opts = append(opts, kgo.ConsumerGroup(props["group.id"]), kgo.Balancers(kgo.RangeBalancer()))
	if autoCommits(props) {
		n, err := num("auto.commit.interval.ms", 5000)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.AutoCommitInterval(ms(n)))
	} else {
		opts = append(opts, kgo.DisableAutoCommit())
	}
	for _, d := range []struct {
		key string
		def int64
		set func(int64) kgo.Opt
	}{
		{"session.timeout.ms", 10000, func(n int64) kgo.Opt { return kgo.SessionTimeout(ms(n)) }},
		{"heartbeat.interval.ms", 3000, func(n int64) kgo.Opt { return kgo.HeartbeatInterval(ms(n)) }},
		{"max.poll.interval.ms", 300000, func(n int64) kgo.Opt { return kgo.RebalanceTimeout(ms(n)) }},
	} {
		n, err := num(d.key, d.def)
		if err != nil {
			return nil, err
		}
		opts = append(opts, d.set(n))
	}
	if id := props["group.instance.id"]; id != "" {
		opts = append(opts, kgo.InstanceID(id))
	}
	return opts, nil
}

func consoleConsumer(e *env, args []string) error {
	cs, err := parseConsumerArgs(e, args)
	if err != nil {
		return err
	}
	opts, err := consumerClientOptions(cs)
	if err != nil {
		var je *javaError
		if errors.As(err, &je) {
			return e.uncaught(je)
		}
		return err
	}
	prefix := "Consumer clientId=" + cs.props["client.id"] + ", groupId=" + cs.props["group.id"]
	opts = append(opts, kgo.WithHooks(newConnectWarner(e.Stderr, prefix)))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return e.uncaught(newJavaError("org.apache.kafka.common.KafkaException", "Failed to construct kafka consumer: %v", err))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	// With SIGPIPE caught, a closed standard output shows up as a write error, which the
	// loop reports as Kafka does instead of the process dying silently.
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)
	var caught atomic.Int32
	go func() {
		select {
		case s := <-sigs:
			caught.Store(int32(s.(syscall.Signal)))
			cancel() // consumer.wakeup()
		case <-ctx.Done():
		}
	}()

	count := consumeLoop(ctx, e, cl, cs)
	if autoCommits(cs.props) {
		// The Java consumer commits its position when it closes with auto commit on, so a
		// group read with --max-messages can be described (and resumed) afterwards.
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = cl.CommitUncommittedOffsets(cctx)
		ccancel()
	}
	cl.Close() // leaves the group
	fmt.Fprintf(e.Stderr, "Processed a total of %d messages\n", count)
	if sig := caught.Load(); sig != 0 {
		return exitCode(128 + int(sig))
	}
	return nil
}

// consumeLoop is ConsoleConsumer.process: receive, format, stop at max messages, timeout,
// wakeup, a consumer error or a closed standard output.
func consumeLoop(ctx context.Context, e *env, cl *kgo.Client, cs *consumerSettings) int64 {
	out := bufio.NewWriter(e.Stdout)
	defer out.Flush()
	log := broker.NewLogger(e.Stderr, zerolog.WarnLevel)
	var pending []*kgo.Record
	var count int64
	for cs.maxMessages < 0 || count < cs.maxMessages {
		if len(pending) == 0 {
			recs, err := receive(ctx, cl, cs.timeout)
			if err != nil {
				if ctx.Err() == nil {
					log.Error().Str(broker.LoggerField, "kafka.tools.ConsoleConsumer$").
						Msg("Error processing message, terminating consumer process: ")
					fmt.Fprintln(e.Stderr, clientError(err, "poll").String())
				}
				return count
			}
			pending = recs
			continue
		}
		r := pending[0]
		pending = pending[1:]
		count++
		if err := cs.formatter.writeTo(toConsumed(r), out); err != nil {
			var je *javaError
			if !errors.As(err, &je) {
				fmt.Fprintln(e.Stderr, "Unable to write to standard out, closing consumer.")
				return count
			}
			if !cs.skipOnError {
				log.Error().Str(broker.LoggerField, "kafka.tools.ConsoleConsumer$").
					Msg("Unknown error when running consumer: ")
				fmt.Fprintln(e.Stderr, je.String())
				return count
			}
			log.Error().Str(broker.LoggerField, "kafka.tools.ConsoleConsumer$").
				Msg("Error processing message, skipping this message: ")
			fmt.Fprintln(e.Stderr, je.String())
		}
		if err := out.Flush(); err != nil {
			fmt.Fprintln(e.Stderr, "Unable to write to standard out, closing consumer.")
			return count
		}
	}
	return count
}

// errConsumerTimeout is the TimeoutException ConsumerWrapper.receive throws.
var errConsumerTimeout = &javaError{Class: "org.apache.kafka.common.errors.TimeoutException"}

// receive polls until records arrive, timing out like ConsumerWrapper.receive.
func receive(ctx context.Context, cl *kgo.Client, timeout time.Duration) ([]*kgo.Record, error) {
	start := time.Now()
	for {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if timeout >= 0 {
			pctx, cancel = context.WithTimeout(ctx, timeout)
		}
		fetches := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var fatal error
		fetches.EachError(func(_ string, _ int32, err error) {
			// Unreachable brokers are retried forever, as the Java consumer does; the
			// connect hook logs them.
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || isConnectivityError(err) {
				return
			}
			var ke *kerr.Error
			if errors.As(err, &ke) && ke.Retriable {
				return
			}
			if fatal == nil {
				fatal = err
			}
		})
		if fatal != nil {
			return nil, fatal
		}
		if recs := fetches.Records(); len(recs) > 0 {
			return recs, nil
		}
		if fetches.IsClientClosed() {
			return nil, kgo.ErrClientClosed
		}
		if timeout >= 0 && time.Since(start) > timeout {
			return nil, errConsumerTimeout
		}
	}
}

func toConsumed(r *kgo.Record) consumedRecord {
	c := consumedRecord{
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Timestamp: r.Timestamp.UnixMilli(), TimestampType: 0,
		Key: r.Key, Value: r.Value,
	}
	if r.Attrs.TimestampType() == 1 {
		c.TimestampType = 1
	}
	for _, h := range r.Headers {
		c.Headers = append(c.Headers, recordHeader{Key: h.Key, Value: h.Value})
	}
	return c
}

// autoCommits tells whether enable.auto.commit is on (its default) for a group consumer.
func autoCommits(props map[string]string) bool {
	if props["group.id"] == "" {
		return false
	}
	v, ok := props["enable.auto.commit"]
	return !ok || !strings.EqualFold(strings.TrimSpace(v), "false")
}
