package protocol

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-classic/kafka-classic/config"
)

// Defaults used when ServerConfig leaves a field zero (Kafka 2.8's socket.request.max.bytes and
// connections.max.idle.ms).
const (
	DefaultMaxRequestBytes = 100 * 1024 * 1024
	DefaultIdleTimeout     = 10 * time.Minute
)

// ErrServerClosed is returned by Start after Close.
var ErrServerClosed = errors.New("protocol: server closed")

// ServerConfig is the socket server's slice of KafkaConfig.
type ServerConfig struct {
	Listeners       []config.Listener // Host "" binds every interface; Port 0 picks a free port
	MaxRequestBytes int32             // socket.request.max.bytes; <= 0 means DefaultMaxRequestBytes
	IdleTimeout     time.Duration     // connections.max.idle.ms; 0 means DefaultIdleTimeout, < 0 never
}

// Server is Kafka's SocketServer plus the request dispatch of KafkaApis: it owns the listeners,
// reads framed requests, hands them to the registered handlers and writes responses in order.
type Server struct {
	cfg ServerConfig
	svc Services
	log zerolog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	started   bool
	closed    bool
	listeners []net.Listener
	bound     map[string]string
	conns     map[*conn]struct{}

	requests [maxAPIKey + 1]atomic.Uint64
	accepted atomic.Uint64
}

// maxAPIKey bounds the per-key counters; keys above it are never registered by a 2.8 broker.
const maxAPIKey = 127

// NewServer prepares a server; nothing is bound until Start.
func NewServer(cfg ServerConfig, svc Services, log zerolog.Logger) *Server {
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		cfg:    cfg,
		svc:    svc,
		log:    log,
		ctx:    ctx,
		cancel: cancel,
		bound:  map[string]string{},
		conns:  map[*conn]struct{}{},
	}
}

// Start binds every listener and starts accepting. If any bind fails, the ones already bound
// are closed and the error names the listener, as KafkaServer fails startup on a taken port.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrServerClosed
	}
	if s.started {
		return errors.New("protocol: server already started")
	}
	lns := make([]net.Listener, 0, len(s.cfg.Listeners))
	for _, l := range s.cfg.Listeners {
		addr := net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, o := range lns {
				o.Close()
			}
			s.bound = map[string]string{}
			return fmt.Errorf("protocol: Socket server failed to bind to %s: %w", addr, err)
		}
		lns = append(lns, ln)
		s.bound[l.Name] = ln.Addr().String()
	}
	s.started = true
	s.listeners = lns
	for i, ln := range lns {
		name := s.cfg.Listeners[i].Name
		s.log.Info().Str("listener", name).Str("address", ln.Addr().String()).
			Msgf("Awaiting socket connections on %s.", ln.Addr())
		s.wg.Add(1)
		go s.acceptLoop(ln, name)
	}
	return nil
}

// BoundAddrs maps listener name to the bound "host:port" (port 0 resolved).
func (s *Server) BoundAddrs() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.bound))
	for k, v := range s.bound {
		out[k] = v
	}
	return out
}

// Close stops accepting, closes every connection, cancels in-flight handler contexts and waits
// for the connection goroutines to finish.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	lns := s.listeners
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	s.cancel()
	for _, ln := range lns {
		ln.Close()
	}
	for _, c := range conns {
		c.nc.Close()
	}
	s.wg.Wait()
	return nil
}

// RequestCounts is a snapshot of requests received per API key since start (Kafka's
// RequestsPerSec{request=...} meter, as a total). Keys never seen are absent.
func (s *Server) RequestCounts() map[int16]uint64 {
	out := map[int16]uint64{}
	for k := range s.requests {
		if n := s.requests[k].Load(); n > 0 {
			out[int16(k)] = n
		}
	}
	return out
}

// ConnectionCount is the number of open client connections.
func (s *Server) ConnectionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) acceptLoop(ln net.Listener, listener string) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient failures such as running out of file descriptors: back off rather than spin.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff < time.Second {
				backoff *= 2
			}
			s.log.Error().Err(err).Str("listener", listener).Msg("Error occurred while accepting connection")
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
				return
			}
			continue
		}
		backoff = 0
		c := newConn(s, nc, listener)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.accepted.Add(1)
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

func (s *Server) countRequest(key int16) {
	if key >= 0 && int(key) < len(s.requests) {
		s.requests[key].Add(1)
	}
}

// respBufPool holds response encoding buffers; a response is fully written before its buffer
// goes back, so nothing else can still reference it.
var respBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBuf keeps one huge Fetch response from pinning memory in the pool forever.
const maxPooledBuf = 1 << 20

func getRespBuf() *[]byte { return respBufPool.Get().(*[]byte) }

func putRespBuf(b *[]byte) {
	if cap(*b) > maxPooledBuf {
		return
	}
	*b = (*b)[:0]
	respBufPool.Put(b)
}

// apiVersionsResponse builds the ApiVersions answer from the registry. KafkaApis answers a
// too-new request version with a v0 UNSUPPORTED_VERSION response that lists only ApiVersions'
// own range (KIP-511), so the client can retry with a version we understand.
func apiVersionsResponse(version int16, unsupported bool) *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = version
	if unsupported {
		h, _ := lookup(18)
		resp.Version = 0
		resp.ErrorCode = kerr.UnsupportedVersion.Code
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = 18, h.MinVersion, h.MaxVersion
		resp.ApiKeys = []kmsg.ApiVersionsResponseApiKey{k}
		return resp
	}
	resp.ApiKeys = SupportedAPIs()
	// 2.8 in ZooKeeper mode with no /feature node finalized: no supported features, epoch -1.
	resp.FinalizedFeaturesEpoch = -1
	return resp
}
