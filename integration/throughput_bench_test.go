package integration

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The throughput figures in the README come from BenchmarkThroughput: the same franz-go
// producer and consumer run against this broker (a real process writing segment files, with a
// real ZooKeeper) and against franz-go's in-memory kfake broker, each in a process of its own.
//
//	go test ./integration -run '^$' -bench Throughput -benchtime 1x
//
// b.SetBytes makes `go test` print MB/s; records/s is reported as an extra metric.

const kfakeServeEnv = "KAFKA_CLASSIC_KFAKE_SERVE"

// When the test binary is re-executed with kfakeServeEnv set it becomes a kfake server: it
// prints its address and serves until stdin closes, so kfake runs in its own process exactly
// like the real broker does.
func init() {
	if os.Getenv(kfakeServeEnv) == "" {
		return
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1))
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	fmt.Println("ADDR", c.ListenAddrs()[0])
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	c.Close()
	os.Exit(0)
}

func startKfakeProcess(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), kfakeServeEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		b.Fatalf("kfake server did not start: %q %v", line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
}

func BenchmarkThroughput(b *testing.B) {
	records := map[int]int{100: 1_000_000, 1024: 200_000}
	targets := []struct {
		name  string
		start func(b *testing.B) string
	}{
		{"broker=kafka-classic", func(b *testing.B) string {
			z := StartZooKeeper(b)
			br := StartBroker(b, z, 0, map[string]string{"num.partitions": "1"})
			return br.Addr
		}},
		{"broker=kfake", startKfakeProcess},
	}
	for _, tg := range targets {
		b.Run(tg.name, func(b *testing.B) {
			addr := tg.start(b)
			for _, size := range []int{100, 1024} {
				n := records[size]
				topic := fmt.Sprintf("bench-%d", size)
				benchCreateTopic(b, addr, topic)
				b.Run(fmt.Sprintf("size=%d/produce", size), func(b *testing.B) {
					b.SetBytes(int64(n * size))
					for i := 0; i < b.N; i++ {
						produceN(b, addr, topic, n, size)
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
				})
				b.Run(fmt.Sprintf("size=%d/consume", size), func(b *testing.B) {
					b.SetBytes(int64(n * size))
					for i := 0; i < b.N; i++ {
						consumeN(b, addr, topic, n)
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
				})
			}
		})
	}
}

// benchCreateTopic makes the one-partition topic before the clock starts, so neither broker is
// timed on topic creation and the client's metadata retries.
func benchCreateTopic(b *testing.B, addr, topic string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		b.Fatalf("create %s: %v", topic, err)
	}
}

// produceN sends n records with acks=1 and waits for every acknowledgement.
func produceN(b *testing.B, addr, topic string, n, size int) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(), kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.AllowAutoTopicCreation())
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	value := make([]byte, size)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ferr error
	)
	wg.Add(n)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i := 0; i < n; i++ {
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				ferr = err
				mu.Unlock()
			}
			wg.Done()
		})
	}
	wg.Wait()
	if ferr != nil {
		b.Fatalf("produce: %v", ferr)
	}
}

// consumeN reads the topic from the beginning until n records arrived.
func consumeN(b *testing.B, addr, topic string, n int) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	got := 0
	for got < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			b.Fatalf("consumed %d of %d records: %v", got, n, err)
		}
		fs.EachError(func(t string, p int32, err error) { b.Fatalf("fetch %s-%d: %v", t, p, err) })
		got += fs.NumRecords()
	}
}
