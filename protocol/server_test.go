package protocol

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/config"
)

// syncBuffer collects log output from connection goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testServer struct {
	*Server
	addr string
	svc  *fakeServices
	logs *syncBuffer
}

func startServer(t *testing.T, mod func(*ServerConfig)) *testServer {
	t.Helper()
	cfg := ServerConfig{Listeners: []config.Listener{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 0}}}
	if mod != nil {
		mod(&cfg)
	}
	logs := &syncBuffer{}
	svc := newFakeServices()
	s := NewServer(cfg, svc, zerolog.New(logs).Level(zerolog.DebugLevel))
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	addr := s.BoundAddrs()["PLAINTEXT"]
	host, port, _ := net.SplitHostPort(addr)
	svc.addr = func() (string, int32) { p, _ := strconv.Atoi(port); return host, int32(p) }
	return &testServer{Server: s, addr: addr, svc: svc, logs: logs}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawConn speaks framed bytes so tests can send what no client library would.
type rawConn struct {
	t  *testing.T
	nc net.Conn
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc}
}

func (r *rawConn) write(b []byte) {
	r.t.Helper()
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

func (r *rawConn) send(req kmsg.Request, corr int32) {
	r.t.Helper()
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw"))
	r.write(f.AppendRequest(nil, req, corr))
}

// readFrame returns the next response body (correlation id first) or the read error.
func (r *rawConn) readFrame() ([]byte, error) {
	r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(r.nc, size[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	_, err := io.ReadFull(r.nc, b)
	return b, err
}

// expectClosed asserts the server closed the connection (EOF or reset, not a timeout).
func (r *rawConn) expectClosed() {
	r.t.Helper()
	b, err := r.readFrame()
	if err == nil {
		r.t.Fatalf("expected the connection to be closed, got a %d byte frame", len(b))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		r.t.Fatalf("expected the connection to be closed, read timed out instead")
	}
}

// readResponse decodes the next frame as resp (header v0 or v1 per resp's flexibility).
func (r *rawConn) readResponse(resp kmsg.Response) int32 {
	r.t.Helper()
	b, err := r.readFrame()
	if err != nil {
		r.t.Fatalf("read response: %v", err)
	}
	rd := kbin.Reader{Src: b}
	corr := rd.Int32()
	if resp.IsFlexible() && resp.Key() != 18 {
		kmsg.SkipTags(&rd)
	}
	if err := resp.ReadFrom(rd.Src); err != nil {
		r.t.Fatalf("decode %T: %v", resp, err)
	}
	return corr
}

func dialClient(t *testing.T, addr string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, "test-client")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctx5s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// kafka28ZkAPIs is what we implement of §8's table: key -> max version (min is 0 for all).
var kafka28ZkAPIs = map[int16]int16{
	0: 9, 1: 12, 2: 6, 3: 11, 4: 5, 5: 3, 6: 7, 7: 3, 8: 8, 9: 7, 10: 3, 11: 7, 12: 4, 13: 4,
	14: 5, 15: 5, 16: 4, 18: 3, 19: 7, 20: 6, 21: 2, 22: 4, 23: 4, 32: 4, 33: 2, 35: 2, 37: 3,
	42: 2, 43: 2, 44: 1, 45: 0, 46: 0, 47: 0, 60: 0,
}

func assertAPIList(t *testing.T, keys []kmsg.ApiVersionsResponseApiKey) {
	t.Helper()
	if len(keys) != len(kafka28ZkAPIs) {
		t.Errorf("advertised %d APIs, want %d", len(keys), len(kafka28ZkAPIs))
	}
	prev := int16(-1)
	for _, k := range keys {
		if k.ApiKey <= prev {
			t.Errorf("API keys not sorted: %d after %d", k.ApiKey, prev)
		}
		prev = k.ApiKey
		want, ok := kafka28ZkAPIs[k.ApiKey]
		if !ok {
			t.Errorf("advertised unexpected key %d", k.ApiKey)
			continue
		}
		if k.MinVersion != 0 || k.MaxVersion != want {
			t.Errorf("key %d (%s): advertised v%d-%d, want v0-%d", k.ApiKey, kmsg.NameForKey(k.ApiKey), k.MinVersion, k.MaxVersion, want)
		}
	}
}

func TestApiVersionsAllVersions(t *testing.T) {
	ts := startServer(t, nil)
	c := dialClient(t, ts.addr)
	for v := int16(0); v <= 3; v++ {
		req := kmsg.NewPtrApiVersionsRequest()
		req.SetVersion(v)
		req.ClientSoftwareName, req.ClientSoftwareVersion = "kafka-classic", "2.8.0"
		kresp, err := c.RequestExact(ctx5s(t), req)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		resp := kresp.(*kmsg.ApiVersionsResponse)
		if resp.ErrorCode != 0 {
			t.Fatalf("v%d: error %d", v, resp.ErrorCode)
		}
		if resp.FinalizedFeaturesEpoch != -1 || len(resp.SupportedFeatures) != 0 || len(resp.FinalizedFeatures) != 0 {
			t.Errorf("v%d: features = %v/%v epoch %d, want none and -1", v, resp.SupportedFeatures, resp.FinalizedFeatures, resp.FinalizedFeaturesEpoch)
		}
		assertAPIList(t, resp.ApiKeys)
	}
}

func TestApiVersionsWithKgo(t *testing.T) {
	ts := startServer(t, nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(ts.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	kresp, err := cl.Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest())
	if err != nil {
		t.Fatal(err)
	}
	resp := kresp.(*kmsg.ApiVersionsResponse)
	if resp.Version != 3 {
		t.Errorf("kgo negotiated ApiVersions v%d, want v3", resp.Version)
	}
	assertAPIList(t, resp.ApiKeys)
}

func TestApiVersionsInvalidSoftwareName(t *testing.T) {
	ts := startServer(t, nil)
	c := dialClient(t, ts.addr)
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(3)
	req.ClientSoftwareName, req.ClientSoftwareVersion = "-bad name", "1.0"
	kresp, err := c.RequestExact(ctx5s(t), req)
	if err != nil {
		t.Fatal(err)
	}
	resp := kresp.(*kmsg.ApiVersionsResponse)
	if resp.ErrorCode != kerr.InvalidRequest.Code || len(resp.ApiKeys) != 0 {
		t.Errorf("got error %d with %d keys, want INVALID_REQUEST and none", resp.ErrorCode, len(resp.ApiKeys))
	}
}

func TestApiVersionsTooNewGetsV0UnsupportedVersion(t *testing.T) {
	ts := startServer(t, nil)
	r := dialRaw(t, ts.addr)
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(4)
	req.ClientSoftwareName, req.ClientSoftwareVersion = "x", "1"
	r.send(req, 77)

	b, err := r.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	// v0 body under header v0: corr, error code, [key, min, max].
	want := []byte{0, 0, 0, 77, 0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3}
	if !bytes.Equal(b, want) {
		t.Fatalf("response = % x, want % x", b, want)
	}
	// The client retries at a version we serve, on the same connection.
	req.SetVersion(3)
	r.send(req, 78)
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(3)
	if corr := r.readResponse(resp); corr != 78 || resp.ErrorCode != 0 {
		t.Fatalf("retry: corr %d error %d", corr, resp.ErrorCode)
	}
}

func TestOversizeFrameClosesOnlyThatConnection(t *testing.T) {
	ts := startServer(t, func(c *ServerConfig) { c.MaxRequestBytes = 1024 })
	good := dialClient(t, ts.addr)
	bad := dialRaw(t, ts.addr)

	bad.write([]byte{0, 0, 8, 0}) // 2048 bytes announced
	bad.expectClosed()
	waitFor(t, 5*time.Second, "log line", func() bool {
		return strings.Contains(ts.logs.String(), "Invalid receive (size = 2048 larger than 1024)")
	})

	if _, err := good.Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest()); err != nil {
		t.Fatalf("other connection broken: %v", err)
	}
}

func TestUnknownAPIKeyCloses(t *testing.T) {
	ts := startServer(t, nil)
	for _, key := range []int16{17, 52, 58, 1000} { // SaslHandshake (not built), Vote, Envelope, nonsense
		r := dialRaw(t, ts.addr)
		frame := kbin.AppendInt32(nil, 0)
		frame = kbin.AppendInt16(frame, key)
		frame = kbin.AppendInt16(frame, 0)
		frame = kbin.AppendInt32(frame, 1)
		frame = kbin.AppendNullableString(frame, nil)
		binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
		r.write(frame)
		r.expectClosed()
	}
	if !strings.Contains(ts.logs.String(), "Unknown API key 52") {
		t.Errorf("no log line for the unknown key:\n%s", ts.logs)
	}
}

func TestUnsupportedVersionOfOtherAPICloses(t *testing.T) {
	ts := startServer(t, nil)
	r := dialRaw(t, ts.addr)
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(12)
	r.send(req, 1)
	r.expectClosed()
}

func TestGarbageBodyClosesConnection(t *testing.T) {
	ts := startServer(t, nil)
	r := dialRaw(t, ts.addr)
	frame := kbin.AppendInt32(nil, 0)
	frame = kbin.AppendInt16(frame, 3) // Metadata
	frame = kbin.AppendInt16(frame, 1)
	frame = kbin.AppendInt32(frame, 5)
	frame = kbin.AppendNullableString(frame, kmsg.StringPtr("junk"))
	frame = append(frame, 0x7f, 0xff, 0xff, 0xff, 0xde, 0xad) // topic array length 2^31-1
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	r.write(frame)
	r.expectClosed()
	waitFor(t, 5*time.Second, "malformed log", func() bool { return strings.Contains(ts.logs.String(), "malformed request") })

	// Short header too.
	r2 := dialRaw(t, ts.addr)
	r2.write([]byte{0, 0, 0, 3, 0, 3, 0})
	r2.expectClosed()

	c := dialClient(t, ts.addr)
	if _, err := c.Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest()); err != nil {
		t.Fatalf("server unusable after garbage: %v", err)
	}
}

func TestPanickingServiceClosesOnlyThatConnection(t *testing.T) {
	ts := startServer(t, nil)
	ts.svc.heartbeat = func(context.Context) *kmsg.HeartbeatResponse { panic("boom") }
	victim := dialClient(t, ts.addr)
	bystander := dialClient(t, ts.addr)

	if _, err := victim.Request(ctx5s(t), kmsg.NewPtrHeartbeatRequest()); err == nil {
		t.Fatal("expected an error from the panicking request")
	}
	logs := ts.logs.String()
	if !strings.Contains(logs, "panic: boom") || !strings.Contains(logs, "goroutine") {
		t.Errorf("panic not logged with a stack:\n%s", logs)
	}
	if _, err := bystander.Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest()); err != nil {
		t.Fatalf("bystander broken: %v", err)
	}
	if _, err := dialClient(t, ts.addr).Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest()); err != nil {
		t.Fatalf("new connection broken: %v", err)
	}
}

// oneBatch builds a minimal valid-looking v2 record batch of n bytes after the length field.
func oneBatch(compression byte) []byte {
	b := make([]byte, 61)
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12))
	b[16] = 2 // magic
	b[22] = compression
	return b
}

func TestAcksZeroProduceNoResponseThenInOrder(t *testing.T) {
	ts := startServer(t, nil)
	ts.svc.topics["t"] = 1
	r := dialRaw(t, ts.addr)

	p := kmsg.NewPtrProduceRequest()
	p.SetVersion(7)
	p.Acks = 0
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = oneBatch(0)
	rt.Partitions = append(rt.Partitions, rp)
	p.Topics = append(p.Topics, rt)

	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw"))
	// AppendRequest writes its size at dst[0], so each request gets its own slice.
	buf := f.AppendRequest(nil, p, 1)
	av := kmsg.NewPtrApiVersionsRequest()
	av.SetVersion(2)
	buf = append(buf, f.AppendRequest(nil, av, 2)...)
	r.write(buf) // both in one write

	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(2)
	if corr := r.readResponse(resp); corr != 2 {
		t.Fatalf("first response has correlation id %d, want 2 (acks=0 produce must not answer)", corr)
	}
	if n := ts.svc.producedCount("t", 0); n != 1 {
		t.Fatalf("produced %d batches, want 1", n)
	}

	// An acks=0 produce the handler rejects closes the connection (Kafka forces a metadata refresh).
	rp.Records = rp.Records[:30]
	p.Topics[0].Partitions[0] = rp
	r.send(p, 3)
	r.expectClosed()
}

func TestPipelinedRequestsAnsweredInOrder(t *testing.T) {
	ts := startServer(t, nil)
	ts.svc.topics["t"] = 3
	// The first request is slow; later ones must still come back after it.
	ts.svc.heartbeat = func(context.Context) *kmsg.HeartbeatResponse {
		time.Sleep(50 * time.Millisecond)
		r := kmsg.NewPtrHeartbeatResponse()
		r.ErrorCode = kerr.RebalanceInProgress.Code
		return r
	}
	r := dialRaw(t, ts.addr)
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("pipeline"))
	var reqs []kmsg.Request
	var buf []byte
	for i := 0; i < 30; i++ {
		var req kmsg.Request
		switch i % 3 {
		case 0:
			hb := kmsg.NewPtrHeartbeatRequest()
			hb.SetVersion(4)
			req = hb
		case 1:
			md := kmsg.NewPtrMetadataRequest()
			md.SetVersion(int16(i % 12))
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr("t")
			md.Topics = append(md.Topics, rt)
			req = md
		default:
			av := kmsg.NewPtrApiVersionsRequest()
			av.SetVersion(3)
			av.ClientSoftwareName, av.ClientSoftwareVersion = "p", "1"
			req = av
		}
		reqs = append(reqs, req)
		buf = append(buf, f.AppendRequest(nil, req, int32(100+i))...)
	}
	r.write(buf)
	for i, req := range reqs {
		resp := req.ResponseKind()
		if corr := r.readResponse(resp); corr != int32(100+i) {
			t.Fatalf("response %d has correlation id %d, want %d", i, corr, 100+i)
		}
		switch resp := resp.(type) {
		case *kmsg.HeartbeatResponse:
			if resp.ErrorCode != kerr.RebalanceInProgress.Code {
				t.Errorf("heartbeat %d: error %d", i, resp.ErrorCode)
			}
		case *kmsg.MetadataResponse:
			if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 3 {
				t.Errorf("metadata %d: %+v", i, resp.Topics)
			}
		}
	}
	if got := ts.RequestCounts(); got[12] != 10 || got[3] != 10 || got[18] != 10 {
		t.Errorf("request counts = %v", got)
	}
}

func TestIdleConnectionClosed(t *testing.T) {
	ts := startServer(t, func(c *ServerConfig) { c.IdleTimeout = 100 * time.Millisecond })
	r := dialRaw(t, ts.addr)
	start := time.Now()
	r.expectClosed()
	if el := time.Since(start); el < 80*time.Millisecond {
		t.Errorf("closed after %v, before the idle timeout", el)
	}
	waitFor(t, 5*time.Second, "connection count", func() bool { return ts.ConnectionCount() == 0 })
}

func TestCloseCancelsBlockedHandlers(t *testing.T) {
	ts := startServer(t, nil)
	entered := make(chan struct{})
	ts.svc.heartbeat = func(ctx context.Context) *kmsg.HeartbeatResponse {
		close(entered)
		<-ctx.Done()
		return kmsg.NewPtrHeartbeatResponse()
	}
	c := dialClient(t, ts.addr)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Request(context.Background(), kmsg.NewPtrHeartbeatRequest())
		errc <- err
	}()
	<-entered
	done := make(chan struct{})
	go func() { ts.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	select {
	case <-errc:
	case <-time.After(5 * time.Second):
		t.Fatal("client request did not finish after Close")
	}
}

func TestBindAllInterfacesAndBoundAddrs(t *testing.T) {
	s := NewServer(ServerConfig{Listeners: []config.Listener{
		{Name: "PLAINTEXT", Host: "", Port: 0},
		{Name: "INTERNAL", Host: "127.0.0.1", Port: 0},
	}}, newFakeServices(), zerolog.Nop())
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addrs := s.BoundAddrs()
	if len(addrs) != 2 {
		t.Fatalf("BoundAddrs = %v", addrs)
	}
	for name, a := range addrs {
		_, port, err := net.SplitHostPort(a)
		if err != nil || port == "0" {
			t.Errorf("%s bound to %q", name, a)
		}
	}
	_, port, _ := net.SplitHostPort(addrs["PLAINTEXT"])
	c := dialClient(t, net.JoinHostPort("127.0.0.1", port))
	if _, err := c.Request(ctx5s(t), kmsg.NewPtrApiVersionsRequest()); err != nil {
		t.Fatal(err)
	}

	// A taken port fails Start and names the address.
	s2 := NewServer(ServerConfig{Listeners: []config.Listener{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: mustPort(t, addrs["INTERNAL"])}}},
		newFakeServices(), zerolog.Nop())
	if err := s2.Start(); err == nil {
		s2.Close()
		t.Fatal("second bind to the same port succeeded")
	}
}

func mustPort(t *testing.T, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

func TestKgoProduceAndMetadata(t *testing.T) {
	ts := startServer(t, nil)
	ts.svc.topics["orders"] = 2
	cl, err := kgo.NewClient(kgo.SeedBrokers(ts.addr), kgo.DefaultProduceTopic("orders"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := 0; i < 3; i++ {
		rec := &kgo.Record{Value: []byte(fmt.Sprintf("v%d", i)), Partition: 1}
		if err := cl.ProduceSync(ctx5s(t), rec).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
		if rec.Offset != int64(i) {
			t.Errorf("record %d at offset %d", i, rec.Offset)
		}
	}
	if n := ts.svc.producedCount("orders", 1); n != 3 {
		t.Errorf("fake saw %d batches, want 3", n)
	}
	rc := ts.svc.lastCall()
	if rc == nil || rc.APIKey != 0 || rc.APIVersion != 9 || rc.ClientHost != "127.0.0.1" || rc.Listener != "PLAINTEXT" || rc.ClientID != "kgo" {
		t.Errorf("request context = %+v", rc)
	}
}

func TestKadmCreateAndDescribe(t *testing.T) {
	ts := startServer(t, nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(ts.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx := ctx5s(t)
	created, err := adm.CreateTopics(ctx, 3, 1, nil, "events")
	if err != nil || created["events"].Err != nil {
		t.Fatalf("create: %v %v", err, created["events"].Err)
	}
	ts.svc.mu.Lock()
	n := ts.svc.topics["events"]
	ts.svc.mu.Unlock()
	if n != 3 {
		t.Errorf("fake has %d partitions", n)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On("events", nil)
	if err != nil || len(rc.Configs) != 1 || rc.Configs[0].Key != "cleanup.policy" || rc.Configs[0].MaybeValue() != "delete" {
		t.Errorf("describe: %+v %v", rc, err)
	}
	meta, err := adm.Metadata(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	if d := meta.Topics["events"]; len(d.Partitions) != 3 || meta.Cluster != "fake-cluster" || meta.Controller != 0 {
		t.Errorf("metadata: %+v", meta)
	}
}
