package controller

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

const (
	zkJar     = "/usr/share/java/zookeeper.jar"
	slf4jJars = "/usr/share/java/slf4j-nop.jar:/usr/share/java/slf4j-api.jar"
)

// startZooKeeper runs a standalone ZooKeeper in its own process group and returns host:port.
func startZooKeeper(t *testing.T) string {
	t.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed")
	}
	if _, err := os.Stat(zkJar); err != nil {
		t.Skip("zookeeper jar not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	body := fmt.Sprintf("dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\ntickTime=2000\nmaxSessionTimeout=60000\nminSessionTimeout=500\n", filepath.Join(dir, "data"), port)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(java, "-Xmx128m", "-cp", zkJar+":"+slf4jJars, "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logf, _ := os.Create(filepath.Join(dir, "zk.out"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		logf.Close()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if zkServing(addr) {
			return addr
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "zk.out"))
	t.Fatalf("zookeeper did not start on %s: %s", addr, out)
	return ""
}

// zkServing asks "srvr": the client port opens before the server can take sessions, and a
// client connecting in that window may stall for seconds.
func zkServing(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return false
	}
	out, _ := io.ReadAll(c)
	return strings.Contains(string(out), "Mode:")
}

func testLogger(t *testing.T) zerolog.Logger {
	if os.Getenv("CONTROLLER_TEST_LOG") != "" {
		return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).Level(zerolog.TraceLevel).With().Timestamp().Logger()
	}
	return zerolog.Nop()
}

func connectZK(t *testing.T, addr string) *zkmeta.Client {
	t.Helper()
	// A loaded machine occasionally stalls a first connect; a fresh client gets through.
	var c *zkmeta.Client
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if c, err = zkmeta.Connect(addr+"/kafka", 6*time.Second, 10*time.Second, testLogger(t)); err == nil {
			break
		}
		t.Logf("connect attempt %d: %v", attempt+1, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.EnsurePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	return c
}

func registerBroker(t *testing.T, zc *zkmeta.Client, id int32) int64 {
	t.Helper()
	epoch, err := zc.RegisterBroker(zkmeta.BrokerInfo{
		ID:        id,
		Endpoints: []zkmeta.Endpoint{{Listener: "PLAINTEXT", Host: "127.0.0.1", Port: 9092 + int(id), SecurityProtocol: "PLAINTEXT"}},
		JmxPort:   -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return epoch
}

// fakeSender records every request and answers with success.
type fakeSender struct {
	mu   sync.Mutex
	sent []sentRequest
}

type sentRequest struct {
	broker int32
	req    kmsg.Request
}

func (f *fakeSender) Send(ctx context.Context, b zkmeta.BrokerInfo, req kmsg.Request) (kmsg.Response, error) {
	f.mu.Lock()
	f.sent = append(f.sent, sentRequest{broker: b.ID, req: req})
	f.mu.Unlock()
	resp := req.ResponseKind()
	switch r := req.(type) {
	case *kmsg.StopReplicaRequest:
		sr := resp.(*kmsg.StopReplicaResponse)
		for _, t := range r.Topics {
			for _, p := range t.PartitionStates {
				rp := kmsg.NewStopReplicaResponsePartition()
				rp.Topic, rp.Partition = t.Topic, p.Partition
				sr.Partitions = append(sr.Partitions, rp)
			}
		}
	case *kmsg.LeaderAndISRRequest:
		lr := resp.(*kmsg.LeaderAndISRResponse)
		for _, t := range r.TopicStates {
			rt := kmsg.NewLeaderAndISRResponseTopic()
			rt.TopicID = t.TopicID
			for _, p := range t.PartitionStates {
				rp := kmsg.NewLeaderAndISRResponseTopicPartition()
				rp.Partition = p.Partition
				rt.Partitions = append(rt.Partitions, rp)
			}
			lr.Topics = append(lr.Topics, rt)
		}
	}
	return resp, nil
}

func (f *fakeSender) requests() []sentRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentRequest(nil), f.sent...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// findLeaderAndIsr returns the partition state for tp in any LeaderAndIsr sent to broker
// matching pred.
func findLeaderAndIsr(reqs []sentRequest, broker int32, tp zkmeta.TP, pred func(kmsg.LeaderAndISRRequestTopicPartition) bool) (*kmsg.LeaderAndISRRequest, *kmsg.LeaderAndISRRequestTopicPartition) {
	for _, s := range reqs {
		r, ok := s.req.(*kmsg.LeaderAndISRRequest)
		if !ok || s.broker != broker {
			continue
		}
		for _, ts := range r.TopicStates {
			if ts.Topic != tp.Topic {
				continue
			}
			for i := range ts.PartitionStates {
				p := ts.PartitionStates[i]
				if p.Partition == tp.Partition && (pred == nil || pred(p)) {
					return r, &p
				}
			}
		}
	}
	return nil, nil
}

func findStopReplica(reqs []sentRequest, broker int32, tp zkmeta.TP, del bool) *kmsg.StopReplicaRequestTopicPartitionState {
	for _, s := range reqs {
		r, ok := s.req.(*kmsg.StopReplicaRequest)
		if !ok || s.broker != broker {
			continue
		}
		for _, t := range r.Topics {
			if t.Topic != tp.Topic {
				continue
			}
			for i := range t.PartitionStates {
				if t.PartitionStates[i].Partition == tp.Partition && t.PartitionStates[i].Delete == del {
					p := t.PartitionStates[i]
					return &p
				}
			}
		}
	}
	return nil
}

func findUpdateMetadata(reqs []sentRequest, broker int32, pred func(*kmsg.UpdateMetadataRequest) bool) *kmsg.UpdateMetadataRequest {
	for _, s := range reqs {
		r, ok := s.req.(*kmsg.UpdateMetadataRequest)
		if ok && s.broker == broker && pred(r) {
			return r
		}
	}
	return nil
}

func newTestController(t *testing.T, zc *zkmeta.Client, id int32, sender Sender, mod func(*Config)) *Controller {
	cfg := Config{BrokerID: id, DeleteTopicEnable: true, SocketTimeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c := New(cfg, zc, sender, testLogger(t))
	c.Start()
	t.Cleanup(c.Shutdown)
	return c
}

// waitActive waits until c finished its failover (metrics are published after each event), so
// that later ZooKeeper changes reach it through watches rather than through the failover reads.
func waitActive(t *testing.T, c *Controller) {
	t.Helper()
	waitFor(t, "controller active", func() bool { return c.IsActive() && c.Metrics().ActiveControllerCount == 1 })
}
