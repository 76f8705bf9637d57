package protocol

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestClientDefaultsToOurMaxVersion(t *testing.T) {
	ts := startServer(t, nil)
	c := dialClient(t, ts.addr)
	for _, req := range []kmsg.Request{
		kmsg.NewPtrLeaderAndISRRequest(), kmsg.NewPtrUpdateMetadataRequest(), kmsg.NewPtrStopReplicaRequest(),
		kmsg.NewPtrFetchRequest(), kmsg.NewPtrOffsetForLeaderEpochRequest(), kmsg.NewPtrListOffsetsRequest(),
	} {
		kresp, err := c.Request(ctx5s(t), req)
		if err != nil {
			t.Fatalf("%T: %v", req, err)
		}
		want, _ := MaxVersion(req.Key())
		if req.GetVersion() != want || kresp.GetVersion() != want {
			t.Errorf("%T sent v%d answered v%d, want v%d", req, req.GetVersion(), kresp.GetVersion(), want)
		}
		if rc := ts.svc.lastCall(); rc.ClientID != "test-client" {
			t.Errorf("client id %q", rc.ClientID)
		}
	}
}

func TestClientAcksZeroReturnsNil(t *testing.T) {
	ts := startServer(t, nil)
	ts.svc.topics["t"] = 1
	c := dialClient(t, ts.addr)
	p := kmsg.NewPtrProduceRequest()
	p.Acks = 0
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = oneBatch(0)
	rt.Partitions = append(rt.Partitions, rp)
	p.Topics = append(p.Topics, rt)
	resp, err := c.Request(ctx5s(t), p)
	if err != nil || resp != nil {
		t.Fatalf("acks=0: %v %v", resp, err)
	}
	// The next request still pairs up with its own response.
	if _, err := c.Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest()); err != nil {
		t.Fatal(err)
	}
	if ts.svc.producedCount("t", 0) != 1 {
		t.Error("acks=0 batch not delivered")
	}
}

func TestClientContextDeadline(t *testing.T) {
	ts := startServer(t, nil)
	release := make(chan struct{})
	ts.svc.heartbeat = func(context.Context) *kmsg.HeartbeatResponse {
		<-release
		return kmsg.NewPtrHeartbeatResponse()
	}
	defer close(release)
	c := dialClient(t, ts.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Request(ctx, kmsg.NewPtrHeartbeatRequest())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v", el)
	}
	// The timed-out connection is dropped; the next request dials a new one.
	kresp, err := c.Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest())
	if err != nil {
		t.Fatalf("after timeout: %v", err)
	}
	if r := kresp.(*kmsg.ApiVersionsResponse); r.ErrorCode != 0 || r.Version != 3 {
		t.Errorf("ApiVersions via Request: v%d error %d", r.Version, r.ErrorCode)
	}
	waitFor(t, 5*time.Second, "two accepted connections", func() bool { return ts.accepted.Load() == 2 })
}

func TestClientRedialsIdleConnection(t *testing.T) {
	ts := startServer(t, func(c *ServerConfig) { c.IdleTimeout = 200 * time.Millisecond })
	c := dialClient(t, ts.addr)
	c.idleAfter = 100 * time.Millisecond
	if _, err := c.Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "server idle close", func() bool { return ts.ConnectionCount() == 0 })
	if _, err := c.Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest()); err != nil {
		t.Fatalf("request after the broker closed the idle connection: %v", err)
	}
}

func TestClientCloseInterruptsRequest(t *testing.T) {
	ts := startServer(t, nil)
	entered := make(chan struct{})
	release := make(chan struct{})
	ts.svc.heartbeat = func(context.Context) *kmsg.HeartbeatResponse {
		close(entered)
		<-release
		return kmsg.NewPtrHeartbeatResponse()
	}
	defer close(release)
	c := dialClient(t, ts.addr)
	go func() { <-entered; c.Close() }()
	if _, err := c.Request(context.Background(), kmsg.NewPtrHeartbeatRequest()); !errors.Is(err, ErrClientClosed) {
		t.Fatalf("err = %v, want ErrClientClosed", err)
	}
	if _, err := c.Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest()); !errors.Is(err, ErrClientClosed) {
		t.Fatalf("after Close: %v, want ErrClientClosed", err)
	}
}

func TestClientCancel(t *testing.T) {
	ts := startServer(t, nil)
	entered := make(chan struct{})
	release := make(chan struct{})
	ts.svc.heartbeat = func(context.Context) *kmsg.HeartbeatResponse {
		close(entered)
		<-release
		return kmsg.NewPtrHeartbeatResponse()
	}
	defer close(release)
	c := dialClient(t, ts.addr)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-entered; cancel() }()
	if _, err := c.Request(ctx, kmsg.NewPtrHeartbeatRequest()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want canceled", err)
	}
}

func TestClientCorrelationMismatch(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		buf := make([]byte, 512)
		nc.Read(buf)
		// size 6: correlation id 999, error code 0 (a truncated but framed v0 ApiVersions)
		nc.Write([]byte{0, 0, 0, 6, 0, 0, 3, 0xe7, 0, 0})
		nc.Read(buf)
	}()
	c := dialClient(t, ln.Addr().String())
	_, err = c.Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest())
	if !errors.Is(err, ErrCorrelationMismatch) {
		t.Fatalf("err = %v, want ErrCorrelationMismatch", err)
	}
}

func TestDialFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Dial(ctx5s(t), addr, "x"); err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
}
