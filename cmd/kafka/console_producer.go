package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kafka-classic/kafka-classic/broker"
	"github.com/kafka-classic/kafka-classic/config"
	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func init() {
	register(tool{name: "kafka-console-producer", short: "console-producer",
		usage: "read lines from standard input and publish them to a topic", run: consoleProducer})
}

type producerOptions struct {
	*toolOptions
	topic, brokerList, bootstrapServer, sync, compressionCodec, batchSize         *Opt
	messageSendMaxRetries, retryBackoffMs, sendTimeout, requestRequiredAcks       *Opt
	requestTimeoutMs, metadataExpiryMs, maxBlockMs, maxMemoryBytes, maxPartMemory *Opt
	lineReader, socketBufferSize, property, producerProperty, producerConfig      *Opt
}

// newProducerOptions is ConsoleProducer.ProducerConfig's option table.
func newProducerOptions(args []string) *producerOptions {
	o := &producerOptions{toolOptions: newToolOptions(args)}
	p := o.Parser
	o.topic = p.Accepts("topic", "REQUIRED: The topic id to produce messages to.").WithRequiredArg().DescribedAs("topic")
	o.brokerList = p.Accepts("broker-list", "DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.  The broker list string in the form HOST1:PORT1,HOST2:PORT2.").
		WithRequiredArg().DescribedAs("broker-list")
	o.bootstrapServer = p.Accepts("bootstrap-server", "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.").
		WithRequiredArg().DescribedAs("server to connect to")
	p.RequiredUnless(o.bootstrapServer, "broker-list")
	o.sync = p.Accepts("sync", "If set message send requests to the brokers are synchronously, one at a time as they arrive.")
	o.compressionCodec = p.Accepts("compression-codec", "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'.If specified without value, then it defaults to 'gzip'").
		WithOptionalArg().DescribedAs("compression-codec")
	o.batchSize = p.Accepts("batch-size", "Number of messages to send in a single batch if they are not being sent synchronously.").
		WithRequiredArg().DescribedAs("size").OfType("Integer").DefaultsTo("200")
	o.messageSendMaxRetries = p.Accepts("message-send-max-retries", "Brokers can fail receiving the message for multiple reasons, and being unavailable transiently is just one of them. This property specifies the number of retries before the producer give up and drop this message.").
		WithRequiredArg().OfType("Integer").DefaultsTo("3")
	o.retryBackoffMs = p.Accepts("retry-backoff-ms", "Before each retry, the producer refreshes the metadata of relevant topics. Since leader election takes a bit of time, this property specifies the amount of time that the producer waits before refreshing the metadata.").
		WithRequiredArg().OfType("Integer").DefaultsTo("100")
	o.sendTimeout = p.Accepts("timeout", "If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will queue awaiting sufficient batch size. The value is given in ms.").
		WithRequiredArg().DescribedAs("timeout_ms").OfType("Integer").DefaultsTo("1000")
	o.requestRequiredAcks = p.Accepts("request-required-acks", "The required acks of the producer requests").
		WithRequiredArg().DescribedAs("request required acks").DefaultsTo("1")
	o.requestTimeoutMs = p.Accepts("request-timeout-ms", "The ack timeout of the producer requests. Value must be non-negative and non-zero").
		WithRequiredArg().DescribedAs("request timeout ms").OfType("Integer").DefaultsTo("1500")
	o.metadataExpiryMs = p.Accepts("metadata-expiry-ms", "The period of time in milliseconds after which we force a refresh of metadata even if we haven't seen any leadership changes.").
		WithRequiredArg().DescribedAs("metadata expiration interval").OfType("Long").DefaultsTo("300000")
	o.maxBlockMs = p.Accepts("max-block-ms", "The max time that the producer will block for during a send request").
		WithRequiredArg().DescribedAs("max block on send").OfType("Long").DefaultsTo("60000")
	o.maxMemoryBytes = p.Accepts("max-memory-bytes", "The total memory used by the producer to buffer records waiting to be sent to the server.").
		WithRequiredArg().DescribedAs("total memory in bytes").OfType("Long").DefaultsTo("33554432")
	o.maxPartMemory = p.Accepts("max-partition-memory-bytes", "The buffer size allocated for a partition. When records are received which are smaller than this size the producer will attempt to optimistically group them together until this size is reached.").
		WithRequiredArg().DescribedAs("memory in bytes per partition").OfType("Long").DefaultsTo("16384")
	o.lineReader = p.Accepts("line-reader", "The class name of the class to use for reading lines from standard in. By default each line is read as a separate message.").
		WithRequiredArg().DescribedAs("reader_class").DefaultsTo("kafka.tools.ConsoleProducer$LineMessageReader")
	o.socketBufferSize = p.Accepts("socket-buffer-size", "The size of the tcp RECV size.").
		WithRequiredArg().DescribedAs("size").OfType("Integer").DefaultsTo("102400")
	o.property = p.Accepts("property", "A mechanism to pass user-defined properties in the form key=value to the message reader. This allows custom configuration for a user-defined message reader. Default properties include:\n\tparse.key=true|false\n\tkey.separator=<key.separator>\n\tignore.error=true|false").
		WithRequiredArg().DescribedAs("prop")
	o.producerProperty = p.Accepts("producer-property", "A mechanism to pass user-defined properties in the form key=value to the producer. ").
		WithRequiredArg().DescribedAs("producer_prop")
	o.producerConfig = p.Accepts("producer.config", "Producer config properties file. Note that [producer-property] takes precedence over this config.").
		WithRequiredArg().DescribedAs("config file")
	return o
}

// hostPortRE is Utils.getPort's pattern: something, a colon, digits.
var hostPortRE = regexp.MustCompile(`^.*?\[?([0-9a-zA-Z\-%._:]*)\]?:([0-9]+)$`)

// validatePortOrDie is ToolsUtils.validatePortOrDie.
func (e *env) validatePortOrDie(p *Parser, hostPort string) error {
	parts := []string{hostPort}
	if strings.Contains(hostPort, ",") {
		parts = javaSplit(hostPort, ",")
	}
	valid := len(parts) > 0
	for _, hp := range parts {
		valid = valid && hostPortRE.MatchString(hp)
	}
	if !valid {
		return e.usageAndDie(p, "Please provide valid host:port like host1:9091,host2:9092\n ")
	}
	return nil
}

// maybeMerge is CommandLineUtils.maybeMergeOptions: an explicit option wins, otherwise its
// default fills a key the properties left unset.
func maybeMerge(props config.Properties, key string, s *OptionSet, o *Opt) {
	if _, set := props[key]; s.Has(o) || !set {
		if v := s.ValueOf(o); v != "" || s.Has(o) {
			props[key] = v
		}
	}
}

func consoleProducer(e *env, args []string) error {
	o := newProducerOptions(args)
	s, err := o.Parse(args)
	if err != nil {
		return e.usageAndDie(o.Parser, err.Error())
	}
	if err := e.helpAndExitIfNeeded(o.toolOptions, s, "This tool helps to read data from standard input and publish it to Kafka."); err != nil {
		return err
	}
	if err := e.checkRequired(o.Parser, s, o.topic); err != nil {
		return err
	}
	if err := s.CheckSingle(o.topic, o.brokerList, o.bootstrapServer, o.compressionCodec, o.batchSize, o.messageSendMaxRetries,
		o.retryBackoffMs, o.sendTimeout, o.requestRequiredAcks, o.requestTimeoutMs, o.metadataExpiryMs, o.maxBlockMs,
		o.maxMemoryBytes, o.maxPartMemory, o.lineReader, o.socketBufferSize, o.producerConfig); err != nil {
		fmt.Fprintln(e.Stderr, err)
		return exitCode(1)
	}
	hostPorts := s.ValueOf(o.brokerList)
	if s.Has(o.bootstrapServer) {
		hostPorts = s.ValueOf(o.bootstrapServer)
	}
	if err := e.validatePortOrDie(o.Parser, hostPorts); err != nil {
		return err
	}
	// Typed options are converted while the config object is built; a bad number is a jopt
	// exception whose message alone is printed.
	for _, opt := range []*Opt{o.batchSize, o.messageSendMaxRetries, o.retryBackoffMs, o.sendTimeout, o.requestTimeoutMs,
		o.metadataExpiryMs, o.maxBlockMs, o.maxMemoryBytes, o.maxPartMemory, o.socketBufferSize} {
		if _, err := s.IntValueOf(opt); err != nil {
			fmt.Fprintln(e.Stderr, err)
			return exitCode(1)
		}
	}
	if r := s.ValueOf(o.lineReader); r != "kafka.tools.ConsoleProducer$LineMessageReader" {
		fmt.Fprintf(e.Stderr, "java.lang.ClassNotFoundException: %s\n", r)
		return exitCode(1)
	}
	codec := "none"
	if s.Has(o.compressionCodec) {
		codec = "gzip"
		if v := s.ValueOf(o.compressionCodec); v != "" {
			codec = v
		}
	}

	props := config.Properties{}
	if s.Has(o.producerConfig) {
		if props, err = config.LoadProperties(s.ValueOf(o.producerConfig)); err != nil {
			fmt.Fprintf(e.Stderr, "java.nio.file.NoSuchFileException: %s\n", s.ValueOf(o.producerConfig))
			return exitCode(1)
		}
	}
	for k, v := range parseKeyValueArgs(s.ValuesOf(o.producerProperty)) {
		props[k] = v
	}
	props["bootstrap.servers"] = hostPorts
	props["compression.type"] = codec
	if props["client.id"] == "" {
		props["client.id"] = "console-producer"
	}
	maybeMerge(props, "linger.ms", s, o.sendTimeout)
	maybeMerge(props, "acks", s, o.requestRequiredAcks)
	maybeMerge(props, "request.timeout.ms", s, o.requestTimeoutMs)
	maybeMerge(props, "retries", s, o.messageSendMaxRetries)
	maybeMerge(props, "retry.backoff.ms", s, o.retryBackoffMs)
	maybeMerge(props, "send.buffer.bytes", s, o.socketBufferSize)
	maybeMerge(props, "buffer.memory", s, o.maxMemoryBytes)
	maybeMerge(props, "batch.size", s, o.maxPartMemory)
	maybeMerge(props, "metadata.max.age.ms", s, o.metadataExpiryMs)
	maybeMerge(props, "max.block.ms", s, o.maxBlockMs)

	kopts, err := producerClientOptions(props)
	if err != nil {
		fmt.Fprintln(e.Stderr, err.(*javaError).String())
		return exitCode(1)
	}
	kopts = append(kopts, kgo.WithHooks(newConnectWarner(e.Stderr, "Producer clientId="+props["client.id"])))
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		fmt.Fprintf(e.Stderr, "org.apache.kafka.common.KafkaException: Failed to construct kafka producer: %v\n", err)
		return exitCode(1)
	}

	readerProps := map[string]string{"topic": s.ValueOf(o.topic)}
	for k, v := range parseKeyValueArgs(s.ValuesOf(o.property)) {
		readerProps[k] = v
	}
	reader := newLineMessageReader(e.Stdin, readerProps)
	reader.prompt = isTerminal(e.Stdin) && isTerminal(e.Stdout)
	reader.out = e.Stdout

	maxBlock, _ := strconv.Atoi(props["max.block.ms"])
	pr := &consoleSender{e: e, cl: cl, topic: s.ValueOf(o.topic), maxBlock: time.Duration(maxBlock) * time.Millisecond}
	code := pr.run(reader, s.Has(o.sync))
	return exitCode(code)
}

func isTerminal(x any) bool {
	f, ok := x.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// producerClientOptions maps Java producer properties onto franz-go, with the 2.8 client's
// defaults (no idempotence, acks=1, range of retries given by the tool).
func producerClientOptions(props config.Properties) ([]kgo.Opt, error) {
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
			return 0, bad(key, "Not a number of type LONG")
		}
		return n, nil
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(splitServers(props["bootstrap.servers"])...),
		kgo.ClientID(props["client.id"]),
		kgo.AllowAutoTopicCreation(), // the Java producer's metadata requests allow auto-creation
	}
	acks := strings.TrimSpace(props["acks"])
	switch acks {
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	case "1", "":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	case "-1", "all":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	default:
		return nil, bad("acks", "String must be one of: all, -1, 0, 1")
	}
	if strings.EqualFold(strings.TrimSpace(props["enable.idempotence"]), "true") {
		if acks != "-1" && acks != "all" {
			return nil, newJavaError("org.apache.kafka.common.config.ConfigException",
				"Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.")
		}
	} else {
		opts = append(opts, kgo.DisableIdempotentWrite())
		if n, err := num("max.in.flight.requests.per.connection", 5); err != nil {
			return nil, err
		} else {
			opts = append(opts, kgo.MaxProduceRequestsInflightPerBroker(int(n)))
		}
	}
	switch c := strings.TrimSpace(props["compression.type"]); c {
	case "none", "":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.NoCompression()))
	case "gzip":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.GzipCompression()))
	case "snappy":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.SnappyCompression()))
	case "lz4":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	case "zstd":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	default:
		return nil, bad("compression.type", "String must be one of: none, gzip, snappy, lz4, zstd")
	}
	type durOpt struct {
		key string
		def int64
		set func(time.Duration) kgo.Opt
	}
	for _, d := range []durOpt{
		{"linger.ms", 0, func(t time.Duration) kgo.Opt { return kgo.ProducerLinger(t) }},
		{"request.timeout.ms", 30000, func(t time.Duration) kgo.Opt { return kgo.ProduceRequestTimeout(t) }},
		{"metadata.max.age.ms", 300000, func(t time.Duration) kgo.Opt { return kgo.MetadataMaxAge(t) }},
		{"delivery.timeout.ms", 120000, func(t time.Duration) kgo.Opt { return kgo.RecordDeliveryTimeout(t) }},
		{"retry.backoff.ms", 100, func(t time.Duration) kgo.Opt {
			return kgo.RetryBackoffFn(func(int) time.Duration { return t })
		}},
	} {
		n, err := num(d.key, d.def)
		if err != nil {
			return nil, err
		}
		opts = append(opts, d.set(time.Duration(n)*time.Millisecond))
	}
	if n, err := num("retries", 2147483647); err != nil {
		return nil, err
	} else {
		opts = append(opts, kgo.RecordRetries(int(n)))
	}
	if n, err := num("buffer.memory", 33554432); err != nil {
		return nil, err
	} else {
		opts = append(opts, kgo.MaxBufferedBytes(int(n)))
	}
	if n, err := num("max.request.size", 1048576); err != nil {
		return nil, err
	} else {
		opts = append(opts, kgo.ProducerBatchMaxBytes(int32(n)))
	}
	return opts, nil
}

// lineMessageReader is ConsoleProducer.LineMessageReader.
type lineMessageReader struct {
	topic        string
	r            *bufio.Reader
	parseKey     bool
	keySeparator string
	ignoreError  bool
	lineNumber   int
	prompt       bool
	out          io.Writer
}

func newLineMessageReader(in io.Reader, props map[string]string) *lineMessageReader {
	l := &lineMessageReader{topic: props["topic"], r: bufio.NewReaderSize(in, 64*1024), keySeparator: "\t"}
	if v, ok := props["parse.key"]; ok {
		l.parseKey = strings.EqualFold(strings.TrimSpace(v), "true")
	}
	if v, ok := props["key.separator"]; ok {
		l.keySeparator = v
	}
	if v, ok := props["ignore.error"]; ok {
		l.ignoreError = strings.EqualFold(strings.TrimSpace(v), "true")
	}
	return l
}

// readLine is BufferedReader.readLine: a line ends at \n, \r or \r\n; nil at end of input.
func (l *lineMessageReader) readLine() (string, bool) {
	var b strings.Builder
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			if b.Len() == 0 {
				return "", false
			}
			return b.String(), true
		}
		switch c {
		case '\n':
			return b.String(), true
		case '\r':
			if next, err := l.r.Peek(1); err == nil && next[0] == '\n' {
				_, _ = l.r.ReadByte()
			}
			return b.String(), true
		}
		b.WriteByte(c)
	}
}

// readMessage returns the next record, nil at end of input, or the KafkaException Kafka
// throws for a line without a key.
func (l *lineMessageReader) readMessage() (*kgo.Record, error) {
	l.lineNumber++
	if l.prompt && l.out != nil {
		fmt.Fprint(l.out, ">")
	}
	line, ok := l.readLine()
	if !ok {
		return nil, nil
	}
	if !l.parseKey {
		return &kgo.Record{Topic: l.topic, Value: []byte(line)}, nil
	}
	n := strings.Index(line, l.keySeparator)
	if n < 0 {
		if l.ignoreError {
			return &kgo.Record{Topic: l.topic, Value: []byte(line)}, nil
		}
		return nil, newJavaError("org.apache.kafka.common.KafkaException", "No key found on line %d: %s", l.lineNumber, line)
	}
	value := ""
	if n+len(l.keySeparator) <= len(line) {
		value = line[n+len(l.keySeparator):]
	}
	return &kgo.Record{Topic: l.topic, Key: []byte(line[:n]), Value: []byte(value)}, nil
}

// consoleSender sends what the reader produces, logging asynchronous failures the way
// Kafka's ErrorLoggingCallback does.
type consoleSender struct {
	e        *env
	cl       *kgo.Client
	topic    string
	maxBlock time.Duration
	mu       sync.Mutex
}

// producerException maps a produce failure to the Java exception the callback would log.
func (p *consoleSender) producerException(err error, topic string) *javaError {
	var ke *kerr.Error
	// The Java producer waits max.block.ms for the topic's metadata and then fails the send
	// with this message; franz-go gives up on unknown or unreachable topics on its own.
	if (errors.As(err, &ke) && ke.Code == kerr.UnknownTopicOrPartition.Code) || isConnectivityError(err) ||
		strings.Contains(err.Error(), "no partitions available") {
		return newJavaError("org.apache.kafka.common.errors.TimeoutException",
			"Topic %s not present in metadata after %d ms.", topic, p.maxBlock.Milliseconds())
	}
	if errors.Is(err, kgo.ErrRecordTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return newJavaError("org.apache.kafka.common.errors.TimeoutException",
			"Expiring 1 record(s) for %s: %s has passed since batch creation", topic, "120000 ms")
	}
	return clientError(err, "send")
}

func (p *consoleSender) logSendError(r *kgo.Record, err error) {
	key := "null"
	if r.Key != nil {
		key = fmt.Sprintf("%d bytes", len(r.Key))
	}
	value := "null"
	if r.Value != nil {
		value = fmt.Sprintf("%d bytes", len(r.Value))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	log := broker.NewLogger(p.e.Stderr, zerolog.WarnLevel)
	log.Error().Str(broker.LoggerField, "org.apache.kafka.clients.producer.internals.ErrorLoggingCallback").
		Msgf("Error when sending message to topic %s with key: %s, value: %s with error:", r.Topic, key, value)
	fmt.Fprintln(p.e.Stderr, p.producerException(err, r.Topic).String())
}

// run reads until end of input or a signal, then closes the producer, which (like
// KafkaProducer.close in the shutdown hook) waits for records already handed over.
func (p *consoleSender) run(reader *lineMessageReader, syncSend bool) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	type item struct {
		rec *kgo.Record
		err error
	}
	items := make(chan item)
	go func() {
		for {
			rec, err := reader.readMessage()
			items <- item{rec, err}
			if rec == nil || err != nil {
				return
			}
		}
	}()

	status := 0
	ctx := context.Background()
loop:
	for {
		select {
		case sig := <-sigs:
			status = 128 + int(sig.(syscall.Signal))
			break loop
		case it := <-items:
			if it.err != nil {
				fmt.Fprintln(p.e.Stderr, it.err.(*javaError).String())
				status = 1
				break loop
			}
			if it.rec == nil {
				break loop
			}
			if syncSend {
				if err := p.cl.ProduceSync(ctx, it.rec).FirstErr(); err != nil {
					fmt.Fprintf(p.e.Stderr, "java.util.concurrent.ExecutionException: %s\n", p.producerException(err, it.rec.Topic).String())
					status = 1
					break loop
				}
				continue
			}
			// The context travels with the record (cancelling it would fail the record), so
			// the send is not bounded here; kgo's buffer limits stand in for max.block.ms.
			p.cl.Produce(ctx, it.rec, func(r *kgo.Record, err error) {
				if err != nil {
					p.logSendError(r, err)
				}
			})
		}
	}
	_ = p.cl.Flush(context.Background())
	p.cl.Close()
	return status
}
