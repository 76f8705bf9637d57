package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kafka-classic/kafka-classic/config"
	"github.com/twmb/franz-go/pkg/kgo"
)

func init() {
	register(tool{name: "kafka-producer-perf-test", short: "producer-perf-test",
		usage: "verify the producer performance", run: producerPerfTool})
}

// ProducerPerformance parses with argparse4j, not jopt: "--opt value", options may take
// several values (--producer-props a=b c=d), errors are "producer-performance: error: ...".

const producerPerfUsage = `usage: producer-performance [-h] --topic TOPIC --num-records NUM-RECORDS
                            [--payload-delimiter PAYLOAD-DELIMITER]
                            --throughput THROUGHPUT
                            [--producer-props PROP-NAME=PROP-VALUE [PROP-NAME=PROP-VALUE ...]]
                            [--producer.config CONFIG-FILE] [--print-metrics]
                            [--transactional-id TRANSACTIONAL-ID]
                            [--transaction-duration-ms TRANSACTION-DURATION]
                            (--record-size RECORD-SIZE | --payload-file PAYLOAD-FILE)
`

const producerPerfHelp = producerPerfUsage + `
This tool is used to verify the producer performance.

optional arguments:
  -h, --help             show this help message and exit
  --topic TOPIC          produce messages to this topic
  --num-records NUM-RECORDS
                         number of messages to produce
  --payload-delimiter PAYLOAD-DELIMITER
                         provides delimiter to be used when --payload-file is
                         provided. Defaults to new line. Note that this
                         parameter will be ignored if --payload-file is not
                         provided. (default: \n)
  --throughput THROUGHPUT
                         throttle maximum message throughput  to  *approximately*
                         THROUGHPUT messages/sec. Set this to -1 to disable
                         throttling.
  --producer-props PROP-NAME=PROP-VALUE [PROP-NAME=PROP-VALUE ...]
                         kafka producer related configuration properties  like
                         bootstrap.servers,client.id etc. These configs take
                         precedence over those passed via --producer.config.
  --producer.config CONFIG-FILE
                         producer config properties file.
  --print-metrics        print out metrics at the end of the test. (default:
                         false)
  --transactional-id TRANSACTIONAL-ID
                         The transactionalId to use if transaction-duration-ms
                         is > 0. Useful when testing the performance of
                         concurrent transactions. (default: performance-
                         producer-default-transactional-id)
  --transaction-duration-ms TRANSACTION-DURATION
                         The max age of each transaction. The commitTransaction
                         will be called after this time has elapsed.
                         Transactions are only enabled if this value is
                         positive. (default: 0)

  either --record-size or --payload-file must be specified but not both.

  --record-size RECORD-SIZE
                         message size in bytes. Note that you must provide
                         exactly one of --record-size or --payload-file.
  --payload-file PAYLOAD-FILE
                         file to read the message payloads from. This  works
                         only for UTF-8 encoded text files. Payloads  will  be
                         read from this file and a payload will be randomly
                         selected when sending messages. Note that you must
                         provide exactly one of --record-size or --payload-
                         file.
`

type producerPerfArgs struct {
	topic               string
	numRecords          int64
	recordSize          int // -1 when --payload-file
	payloadFile         string
	delimiter           string
	throughput          int64
	props               []string
	hasProps            bool
	configFile          string
	printMetrics        bool
	transactionalID     string
	transactionDuration int64
}

type argparseError struct{ msg string }

func (a *argparseError) Error() string { return a.msg }

// parseProducerPerfArgs implements the argparse4j parser of ProducerPerformance.
func parseProducerPerfArgs(args []string) (*producerPerfArgs, bool, error) {
	p := &producerPerfArgs{recordSize: -1, delimiter: `\n`, transactionalID: "performance-producer-default-transactional-id"}
	single := map[string]bool{"--topic": true, "--num-records": true, "--record-size": true, "--payload-file": true,
		"--payload-delimiter": true, "--throughput": true, "--producer.config": true, "--transactional-id": true, "--transaction-duration-ms": true}
	seen := map[string]bool{}
	vals := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, inline, hasInline := strings.Cut(a, "=")
		switch {
		case a == "-h" || a == "--help":
			return nil, true, nil
		case a == "--print-metrics":
			p.printMetrics = true
		case name == "--producer-props":
			p.hasProps = true
			if hasInline {
				p.props = append(p.props, inline)
			}
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
				i++
				p.props = append(p.props, args[i])
			}
			if len(p.props) == 0 {
				return nil, false, &argparseError{"argument --producer-props: expected at least one argument"}
			}
		case single[name]:
			if hasInline {
				vals[name] = inline
			} else {
				if i+1 >= len(args) || strings.HasPrefix(args[i+1], "--") {
					return nil, false, &argparseError{fmt.Sprintf("argument %s: expected one argument", name)}
				}
				i++
				vals[name] = args[i]
			}
			seen[name] = true
		default:
			return nil, false, &argparseError{fmt.Sprintf("unrecognized arguments: '%s'", a)}
		}
	}
	if seen["--record-size"] && seen["--payload-file"] {
		return nil, false, &argparseError{"argument --payload-file: not allowed with argument --record-size"}
	}
	for _, req := range []string{"--topic", "--num-records", "--throughput"} {
		if !seen[req] {
			return nil, false, &argparseError{fmt.Sprintf("argument %s is required", req)}
		}
	}
	if !seen["--record-size"] && !seen["--payload-file"] {
		return nil, false, &argparseError{"one of the arguments --record-size --payload-file is required"}
	}
	num := func(name string, bits int, typ string) (int64, error) {
		n, err := strconv.ParseInt(vals[name], 10, bits)
		if err != nil {
			return 0, &argparseError{fmt.Sprintf("argument %s: could not convert '%s' to %s", name, vals[name], typ)}
		}
		return n, nil
	}
	var err error
	p.topic = vals["--topic"]
	if p.numRecords, err = num("--num-records", 64, "Long"); err != nil {
		return nil, false, err
	}
	if p.throughput, err = num("--throughput", 32, "Integer"); err != nil {
		return nil, false, err
	}
	if seen["--record-size"] {
		n, err := num("--record-size", 32, "Integer")
		if err != nil {
			return nil, false, err
		}
		p.recordSize = int(n)
	}
	p.payloadFile = vals["--payload-file"]
	if v, ok := vals["--payload-delimiter"]; ok {
		p.delimiter = v
	}
	p.configFile = vals["--producer.config"]
	if v, ok := vals["--transactional-id"]; ok {
		p.transactionalID = v
	}
	if seen["--transaction-duration-ms"] {
		if p.transactionDuration, err = num("--transaction-duration-ms", 64, "Long"); err != nil {
			return nil, false, err
		}
	}
	return p, false, nil
}

// perfStats is ProducerPerformance.Stats.
type perfStats struct {
	mu                                           sync.Mutex
	out                                          io.Writer
	now                                          func() time.Time
	start, windowStart                           time.Time
	latencies                                    []int
	sampling                                     int64
	index                                        int
	count, bytes, totalLatency                   int64
	maxLatency                                   int
	windowCount, windowBytes, windowTotalLatency int64
	windowMaxLatency                             int
	reportingInterval                            time.Duration
}

func newPerfStats(out io.Writer, numRecords int64, interval time.Duration, now func() time.Time) *perfStats {
	sampling := int64(1)
	if numRecords > 0 {
		sampling = numRecords / min(numRecords, 500000)
	}
	t := now()
	return &perfStats{out: out, now: now, start: t, windowStart: t, sampling: sampling,
		latencies: make([]int, numRecords/sampling+1), reportingInterval: interval}
}

func (s *perfStats) record(iter int64, latency int, bytes int, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	s.bytes += int64(bytes)
	s.totalLatency += int64(latency)
	s.maxLatency = max(s.maxLatency, latency)
	s.windowCount++
	s.windowBytes += int64(bytes)
	s.windowTotalLatency += int64(latency)
	s.windowMaxLatency = max(s.windowMaxLatency, latency)
	if iter%s.sampling == 0 && s.index < len(s.latencies) {
		s.latencies[s.index] = latency
		s.index++
	}
	if t.Sub(s.windowStart) >= s.reportingInterval {
		s.printWindow()
		s.windowStart = s.now()
		s.windowCount, s.windowMaxLatency, s.windowTotalLatency, s.windowBytes = 0, 0, 0, 0
	}
}

// javaFixed is String.format("%.Nf") including Java's Infinity/NaN spellings.
func javaFixed(f float64, prec int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

func elapsedMs(from, to time.Time) float64 { return float64(to.Sub(from).Milliseconds()) }

func (s *perfStats) printWindow() {
	el := elapsedMs(s.windowStart, s.now())
	recs := 1000.0 * float64(s.windowCount) / el
	mb := 1000.0 * float64(s.windowBytes) / el / (1024.0 * 1024.0)
	fmt.Fprintf(s.out, "%d records sent, %s records/sec (%s MB/sec), %s ms avg latency, %s ms max latency.\n",
		s.windowCount, javaFixed(recs, 1), javaFixed(mb, 2),
		javaFixed(float64(s.windowTotalLatency)/float64(s.windowCount), 1), javaFixed(float64(s.windowMaxLatency), 1))
}

func (s *perfStats) totalLine() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	el := elapsedMs(s.start, s.now())
	recs := 1000.0 * float64(s.count) / el
	mb := 1000.0 * float64(s.bytes) / el / (1024.0 * 1024.0)
	p := percentiles(s.latencies, s.index, 0.5, 0.95, 0.99, 0.999)
	return fmt.Sprintf("%d records sent, %s records/sec (%s MB/sec), %s ms avg latency, %s ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.\n",
		s.count, javaFixed(recs, 6), javaFixed(mb, 2), javaFixed(float64(s.totalLatency)/float64(s.count), 2),
		javaFixed(float64(s.maxLatency), 2), p[0], p[1], p[2], p[3])
}

func percentiles(lat []int, count int, ps ...float64) []int {
	size := min(count, len(lat))
	sorted := append([]int(nil), lat[:size]...)
	sort.Ints(sorted)
	out := make([]int, len(ps))
	for i, p := range ps {
		idx := int(p * float64(size))
		if idx < len(sorted) {
			out[i] = sorted[idx]
		}
	}
	return out
}

// throttler is ThroughputThrottler: it sleeps so that the send rate stays near target.
type throttler struct {
	target int64
	start  time.Time
}

func (t throttler) wait(sent int64, now time.Time) {
	if t.target < 0 {
		return
	}
	if t.target == 0 {
		select {} // Kafka's throttler waits forever at 0 msg/s
	}
	due := t.start.Add(time.Duration(float64(sent) / float64(t.target) * float64(time.Second)))
	if d := due.Sub(now); d > 0 {
		time.Sleep(d)
	}
}

func producerPerfTool(e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.Stdout, producerPerfHelp)
		return nil
	}
	pa, help, err := parseProducerPerfArgs(args)
	if help {
		fmt.Fprint(e.Stdout, producerPerfHelp)
		return nil
	}
	if err != nil {
		fmt.Fprint(e.Stderr, producerPerfUsage)
		fmt.Fprintf(e.Stderr, "producer-performance: error: %s\n", err)
		return exitCode(1)
	}
	if !pa.hasProps && pa.configFile == "" {
		fmt.Fprint(e.Stderr, producerPerfUsage)
		fmt.Fprintln(e.Stderr, "producer-performance: error: Either --producer-props or --producer.config must be specified.")
		return exitCode(1)
	}
	var payloads [][]byte
	if pa.payloadFile != "" {
		abs, _ := filepath.Abs(pa.payloadFile)
		fmt.Fprintf(e.Stdout, "Reading payloads from: %s\n", abs)
		data, err := os.ReadFile(pa.payloadFile)
		if err != nil || len(data) == 0 {
			return e.uncaught(illegalArgument("File does not exist or empty file provided."))
		}
		delim := pa.delimiter
		if delim == `\n` {
			delim = "\n"
		}
		parts := strings.Split(string(data), delim)
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		fmt.Fprintf(e.Stdout, "Number of messages read: %d\n", len(parts))
		for _, s := range parts {
			payloads = append(payloads, []byte(s))
		}
	}
	props := config.Properties{}
	if pa.configFile != "" {
		p, err := config.LoadProperties(pa.configFile)
		if err != nil {
			return e.uncaught(newJavaError("java.nio.file.NoSuchFileException", "%s", pa.configFile))
		}
		props = p
	}
	for _, kv := range pa.props {
		pieces := strings.Split(kv, "=")
		if len(pieces) != 2 {
			return e.uncaught(illegalArgument("Invalid property: %s", kv))
		}
		props[pieces[0]] = pieces[1]
	}
	if strings.TrimSpace(props["bootstrap.servers"]) == "" {
		return e.uncaught(newJavaError("org.apache.kafka.common.config.ConfigException", "Missing required configuration \"bootstrap.servers\" which has no default value."))
	}
	if props["client.id"] == "" {
		props["client.id"] = "producer-1"
	}
	transactions := pa.transactionDuration > 0
	opts, err := producerClientOptions(props)
	if err != nil {
		return e.uncaught(clientError(err, "producer"))
	}
	if transactions {
		opts = append(opts, kgo.TransactionalID(pa.transactionalID))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return e.uncaught(newJavaError("org.apache.kafka.common.KafkaException", "Failed to construct kafka producer: %v", err))
	}
	defer cl.Close()
	return runProducerPerf(e, cl, pa, payloads, transactions)
}

func runProducerPerf(e *env, cl *kgo.Client, pa *producerPerfArgs, payloads [][]byte, transactions bool) error {
	rng := rand.New(rand.NewSource(0))
	var payload []byte
	if pa.recordSize >= 0 {
		payload = make([]byte, pa.recordSize)
		for i := range payload {
			payload[i] = byte(rng.Intn(26) + 65)
		}
	}
	ctx := context.Background()
	stats := newPerfStats(e.Stdout, pa.numRecords, 5*time.Second, time.Now)
	th := throttler{target: pa.throughput, start: time.Now()}
	var failed sync.Once
	inTxn := 0
	var txnStart time.Time
	for i := int64(0); i < pa.numRecords; i++ {
		if transactions && inTxn == 0 {
			if err := cl.BeginTransaction(); err != nil {
				return e.uncaught(clientError(err, "beginTransaction"))
			}
			txnStart = time.Now()
		}
		if payloads != nil {
			payload = payloads[rng.Intn(len(payloads))]
		}
		sendStart := time.Now()
		iter, size := i, len(payload)
		cl.Produce(ctx, &kgo.Record{Topic: pa.topic, Value: payload}, func(_ *kgo.Record, err error) {
			now := time.Now()
			stats.record(iter, int(now.Sub(sendStart).Milliseconds()), size, now)
			if err != nil {
				failed.Do(func() {
					fmt.Fprintln(e.Stderr, clientError(err, "send").String())
				})
			}
		})
		inTxn++
		if transactions && time.Since(txnStart).Milliseconds() >= pa.transactionDuration {
			if err := cl.Flush(ctx); err != nil {
				return e.uncaught(clientError(err, "flush"))
			}
			if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
				return e.uncaught(clientError(err, "commitTransaction"))
			}
			inTxn = 0
		}
		th.wait(i+1, time.Now())
	}
	if err := cl.Flush(ctx); err != nil {
		return e.uncaught(clientError(err, "flush"))
	}
	if transactions && inTxn != 0 {
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			return e.uncaught(clientError(err, "commitTransaction"))
		}
	}
	fmt.Fprint(e.Stdout, stats.totalLine())
	return nil
}
