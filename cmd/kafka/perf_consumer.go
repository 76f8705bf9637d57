package main

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kafka-classic/kafka-classic/config"
	"github.com/twmb/franz-go/pkg/kgo"
)

func init() {
	register(tool{name: "kafka-consumer-perf-test", short: "consumer-perf-test",
		usage: "performance test for the consumer", run: consumerPerfTool})
}

// javaDateFormat renders t with a SimpleDateFormat pattern (the letters the perf tool's
// default "yyyy-MM-dd HH:mm:ss:SSS" and common variants use).
func javaDateFormat(pattern string, t time.Time) string {
	var b strings.Builder
	rs := []rune(pattern)
	for i := 0; i < len(rs); {
		c := rs[i]
		j := i
		for j < len(rs) && rs[j] == c {
			j++
		}
		n := j - i
		pad := func(v, w int) string { return fmt.Sprintf("%0*d", w, v) }
		switch c {
		case 'y':
			if n == 2 {
				b.WriteString(pad(t.Year()%100, 2))
			} else {
				b.WriteString(pad(t.Year(), n))
			}
		case 'M':
			switch {
			case n >= 4:
				b.WriteString(t.Month().String())
			case n == 3:
				b.WriteString(t.Month().String()[:3])
			default:
				b.WriteString(pad(int(t.Month()), n))
			}
		case 'd':
			b.WriteString(pad(t.Day(), n))
		case 'H':
			b.WriteString(pad(t.Hour(), n))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(pad(h, n))
		case 'm':
			b.WriteString(pad(t.Minute(), n))
		case 's':
			b.WriteString(pad(t.Second(), n))
		case 'S':
			b.WriteString(pad(t.Nanosecond()/1e6, n))
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'z':
			b.WriteString(t.Format("MST"))
		case 'Z':
			b.WriteString(t.Format("-0700"))
		case '\'':
			k := j
			for k < len(rs) && rs[k] != '\'' {
				k++
			}
			b.WriteString(string(rs[j:k]))
			if n == 2 {
				b.WriteRune('\'')
			}
			j = min(k+1, len(rs))
		default:
			b.WriteString(string(rs[i:j]))
		}
		i = j
	}
	return b.String()
}

type consumerPerfConfig struct {
	topic, group, bootstrap, dateFormat string
	messages, timeoutMs                 int64
	reportingInterval                   int64
	detailed, hideHeader, fromLatest    bool
	fetchSize                           int64
	props                               config.Properties
}

func consumerPerfTool(e *env, args []string) error {
	t := newToolOptions(args)
	p := t.Parser
	messages := p.Accepts("messages", "REQUIRED: The number of messages to send or consume").WithRequiredArg().DescribedAs("count").OfType("Long")
	reporting := p.Accepts("reporting-interval", "Interval in milliseconds at which to print progress info.").WithRequiredArg().DescribedAs("interval_ms").OfType("Integer").DefaultsTo("5000")
	dateFormat := p.Accepts("date-format", "The date format to use for formatting the time field. See java.text.SimpleDateFormat for options.").WithRequiredArg().DescribedAs("date format").DefaultsTo("yyyy-MM-dd HH:mm:ss:SSS")
	hideHeader := p.Accepts("hide-header", "If set, skips printing the header for the stats ")
	brokerList := p.Accepts("broker-list", "DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.  The broker list string in the form HOST1:PORT1,HOST2:PORT2.").WithRequiredArg().DescribedAs("broker-list")
	bootstrap := p.Accepts("bootstrap-server", "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.").WithRequiredArg().DescribedAs("server to connect to")
	p.RequiredUnless(bootstrap, "broker-list")
	topic := p.Accepts("topic", "REQUIRED: The topic to consume from.").WithRequiredArg().DescribedAs("topic")
	group := p.Accepts("group", "The group id to consume on.").WithRequiredArg().DescribedAs("gid").DefaultsTo("perf-consumer-" + strconv.Itoa(rand.Intn(100000)))
	fetchSize := p.Accepts("fetch-size", "The amount of data to fetch in a single request.").WithRequiredArg().DescribedAs("size").OfType("Integer").DefaultsTo("1048576")
	fromLatest := p.Accepts("from-latest", "If the consumer does not already have an established offset to consume from, start with the latest message present in the log rather than the earliest message.")
	p.Accepts("socket-buffer-size", "The size of the tcp RECV size.").WithRequiredArg().DescribedAs("size").OfType("Integer").DefaultsTo("2097152")
	threads := p.Accepts("threads", "DEPRECATED AND IGNORED: Number of processing threads.").WithRequiredArg().DescribedAs("count").OfType("Integer").DefaultsTo("10")
	fetchers := p.Accepts("num-fetch-threads", "DEPRECATED AND IGNORED: Number of fetcher threads.").WithRequiredArg().DescribedAs("count").OfType("Integer").DefaultsTo("1")
	consumerConfig := p.Accepts("consumer.config", "Consumer config properties file.").WithRequiredArg().DescribedAs("config file")
	p.Accepts("print-metrics", "Print out the metrics.")
	detailed := p.Accepts("show-detailed-stats", "If set, stats are reported for each reporting interval as configured by reporting-interval")
	timeout := p.Accepts("timeout", "The maximum allowed time in milliseconds between returned records.").WithOptionalArg().DescribedAs("milliseconds").OfType("Long").DefaultsTo("10000")

	s, err := p.Parse(args)
	if err != nil {
		return e.usageAndDie(p, err.Error())
	}
	if s.Has(threads) || s.Has(fetchers) {
		fmt.Fprintln(e.Stdout, "WARNING: option [threads] and [num-fetch-threads] have been deprecated and will be ignored by the test")
	}
	if err := e.helpAndExitIfNeeded(t, s, "This tool helps in performance test for the full zookeeper consumer"); err != nil {
		return err
	}
	if err := e.checkRequired(p, s, topic, messages); err != nil {
		return err
	}
	cfg := consumerPerfConfig{topic: s.ValueOf(topic), group: s.ValueOf(group), dateFormat: s.ValueOf(dateFormat),
		detailed: s.Has(detailed), hideHeader: s.Has(hideHeader), fromLatest: s.Has(fromLatest), props: config.Properties{}}
	for _, o := range []struct {
		opt *Opt
		dst *int64
	}{{messages, &cfg.messages}, {reporting, &cfg.reportingInterval}, {fetchSize, &cfg.fetchSize}, {timeout, &cfg.timeoutMs}} {
		v, err := s.IntValueOf(o.opt)
		if err != nil {
			return e.usageAndDie(p, err.Error())
		}
		*o.dst = v
	}
	if cfg.reportingInterval <= 0 {
		return e.uncaught(illegalArgument("Reporting interval must be greater than 0."))
	}
	if s.Has(consumerConfig) {
		props, err := config.LoadProperties(s.ValueOf(consumerConfig))
		if err != nil {
			return e.uncaught(newJavaError("java.nio.file.NoSuchFileException", "%s", s.ValueOf(consumerConfig)))
		}
		cfg.props = props
	}
	cfg.bootstrap = s.ValueOf(bootstrap)
	if !s.Has(bootstrap) {
		cfg.bootstrap = s.ValueOf(brokerList)
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(splitServers(cfg.bootstrap)...),
		kgo.ConsumerGroup(cfg.group),
		kgo.ConsumeTopics(cfg.topic),
		kgo.FetchMaxPartitionBytes(int32(cfg.fetchSize)),
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.ClientID(propOr(cfg.props, "client.id", "consumer-"+cfg.group+"-1")),
	}
	if cfg.fromLatest {
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	} else {
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	}
	if v, err := strconv.Atoi(cfg.props["fetch.max.wait.ms"]); err == nil {
		opts = append(opts, kgo.FetchMaxWait(time.Duration(v)*time.Millisecond))
	}
	if v, err := strconv.Atoi(cfg.props["fetch.min.bytes"]); err == nil {
		opts = append(opts, kgo.FetchMinBytes(int32(v)))
	}
	if v, err := strconv.Atoi(cfg.props["fetch.max.bytes"]); err == nil {
		opts = append(opts, kgo.FetchMaxBytes(int32(v)))
	}
	var joinStart, joinTotal, joinRound atomic.Int64
	joinStart.Store(time.Now().UnixMilli())
	opts = append(opts,
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			d := time.Now().UnixMilli() - joinStart.Load()
			joinTotal.Add(d)
			joinRound.Add(d)
		}),
		kgo.OnPartitionsRevoked(func(context.Context, *kgo.Client, map[string][]int32) {
			joinStart.Store(time.Now().UnixMilli())
		}))
	if !cfg.hideHeader {
		printPerfHeader(e.Stdout, cfg.detailed)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return e.uncaught(newJavaError("org.apache.kafka.common.KafkaException", "Failed to construct kafka consumer: %v", err))
	}
	start := time.Now()
	msgs, bytesRead := consumePerf(e.Stdout, cl, &cfg, &joinRound)
	end := time.Now()
	cl.Close()
	if !cfg.detailed {
		fmt.Fprintln(e.Stdout, consumerPerfSummary(cfg.dateFormat, start, end, msgs, bytesRead, joinTotal.Load()))
	}
	return nil
}

func propOr(p config.Properties, k, def string) string {
	if v, ok := p[k]; ok && v != "" {
		return v
	}
	return def
}

func printPerfHeader(w io.Writer, detailed bool) {
	tail := ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
	if detailed {
		fmt.Fprintln(w, "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec"+tail)
	} else {
		fmt.Fprintln(w, "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec"+tail)
	}
}

// consumerPerfSummary is the values line printed after the run.
func consumerPerfSummary(dateFormat string, start, end time.Time, msgs, bytesRead, joinMs int64) string {
	elapsedSecs := float64(end.Sub(start).Milliseconds()) / 1000.0
	fetchMs := end.Sub(start).Milliseconds() - joinMs
	mb := float64(bytesRead) / (1024 * 1024)
	return fmt.Sprintf("%s, %s, %s, %s, %d, %s, %d, %d, %s, %s",
		javaDateFormat(dateFormat, start), javaDateFormat(dateFormat, end),
		javaFixed(mb, 4), javaFixed(mb/elapsedSecs, 4), msgs, javaFixed(float64(msgs)/elapsedSecs, 4),
		joinMs, fetchMs, javaFixed(mb/(float64(fetchMs)/1000.0), 4), javaFixed(float64(msgs)/(float64(fetchMs)/1000.0), 4))
}

// consumePerf is ConsumerPerformance.consume: poll until enough messages arrived or none
// came for the timeout, with a detailed progress line per reporting interval.
func consumePerf(out io.Writer, cl *kgo.Client, cfg *consumerPerfConfig, joinRound *atomic.Int64) (int64, int64) {
	var msgs, bytesRead, lastMsgs, lastBytes int64
	now := time.Now()
	lastReport, lastConsumed := now, now
	timeout := time.Duration(cfg.timeoutMs) * time.Millisecond
	interval := time.Duration(cfg.reportingInterval) * time.Millisecond
	for msgs < cfg.messages && now.Sub(lastConsumed) <= timeout {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		fetches := cl.PollFetches(ctx)
		cancel()
		now = time.Now()
		n := 0
		fetches.EachRecord(func(r *kgo.Record) {
			n++
			msgs++
			bytesRead += int64(len(r.Key) + len(r.Value))
			if now.Sub(lastReport) >= interval {
				if cfg.detailed {
					fmt.Fprintln(out, consumerProgressLine(cfg.dateFormat, bytesRead, lastBytes, msgs, lastMsgs, lastReport, now, joinRound.Load()))
				}
				joinRound.Store(0)
				lastReport, lastMsgs, lastBytes = now, msgs, bytesRead
			}
		})
		if n > 0 {
			lastConsumed = now
		}
	}
	if msgs < cfg.messages {
		fmt.Fprintf(out, "WARNING: Exiting before consuming the expected number of messages: timeout (%d ms) exceeded. You can use the --timeout option to increase the timeout.\n", cfg.timeoutMs)
	}
	return msgs, bytesRead
}

func consumerProgressLine(dateFormat string, bytesRead, lastBytes, msgs, lastMsgs int64, start, end time.Time, joinMs int64) string {
	el := float64(end.Sub(start).Milliseconds())
	totalMb := float64(bytesRead) / (1024 * 1024)
	intervalMb := float64(bytesRead-lastBytes) / (1024 * 1024)
	basic := fmt.Sprintf("%s, %d, %s, %s, %d, %s", javaDateFormat(dateFormat, end), 0, javaFixed(totalMb, 4),
		javaFixed(1000.0*intervalMb/el, 4), msgs, javaFixed(float64(msgs-lastMsgs)/el*1000.0, 4))
	fetchMs := end.Sub(start).Milliseconds() - joinMs
	mbs, nms := 0.0, 0.0
	if fetchMs > 0 {
		mbs = 1000.0 * intervalMb / float64(fetchMs)
		nms = 1000.0 * float64(msgs-lastMsgs) / float64(fetchMs)
	}
	return basic + fmt.Sprintf(", %d, %d, %s, %s", joinMs, fetchMs, javaFixed(mbs, 4), javaFixed(nms, 4))
}
