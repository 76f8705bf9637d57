package protocol

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Client errors.
var (
	ErrClientClosed        = errors.New("protocol: client closed")
	ErrCorrelationMismatch = errors.New("protocol: correlation id mismatch")
)

// ClientIdleTimeout is how long a Client connection may sit unused before the next request dials
// afresh. It is Kafka's client connections.max.idle.ms (9 minutes), kept below the broker's
// 10 so that the broker never closes a connection the client is about to reuse.
const ClientIdleTimeout = 9 * time.Minute

// Client is a minimal Kafka protocol client for broker-to-broker traffic (Kafka's NetworkClient
// as used by the ControllerChannelManager's RequestSendThread and the ReplicaFetcherThread's
// BrokerBlockingSender): one connection, one request at a time, no version negotiation (both
// ends are 2.8 brokers). After an I/O failure the connection is dropped, because the stream
// position is no longer known, and the failed request is not retried; the next request dials
// again. Close is final.
type Client struct {
	addr      string
	fmtr      *kmsg.RequestFormatter
	idleAfter time.Duration

	reqMu    sync.Mutex // one request at a time; guards the fields below
	corr     int32
	wbuf     []byte
	br       *bufio.Reader
	lastUsed time.Time

	mu     sync.Mutex // guards nc and closed; Close takes only this, so it interrupts a request
	nc     net.Conn
	closed bool
}

// Dial connects to addr ("host:port"). clientID goes into every request header (Kafka uses
// "broker-<id>-fetcher-<n>" for replica fetchers and the controller's id for its channel).
func Dial(ctx context.Context, addr, clientID string) (*Client, error) {
	c := &Client{
		addr:      addr,
		fmtr:      kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID)),
		idleAfter: ClientIdleTimeout,
	}
	if _, err := c.connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Addr is the address this client dials.
func (c *Client) Addr() string { return c.addr }

// Close closes the connection; an in-flight request and all later ones fail with
// ErrClientClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	nc := c.nc
	c.nc, c.closed = nil, true
	c.mu.Unlock()
	if nc != nil {
		return nc.Close()
	}
	return nil
}

// connect returns the live connection, dialling when there is none or it sat idle too long.
// reqMu must be held (or the Client not yet shared).
func (c *Client) connect(ctx context.Context) (net.Conn, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClientClosed
	}
	nc := c.nc
	if nc != nil && c.idleAfter > 0 && time.Since(c.lastUsed) > c.idleAfter {
		nc.Close()
		nc, c.nc = nil, nil
	}
	c.mu.Unlock()
	if nc != nil {
		return nc, nil
	}

	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("protocol: dial %s: %w", c.addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		nc.Close()
		return nil, ErrClientClosed
	}
	c.nc = nc
	c.br = bufio.NewReaderSize(nc, 32<<10)
	c.lastUsed = time.Now()
	return nc, nil
}

// drop forgets nc after a failed exchange and reports whether Close caused the failure.
func (c *Client) drop(nc net.Conn) (closedByUser bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nc == nc {
		c.nc = nil
	}
	nc.Close()
	return c.closed
}

// Request sends req and waits for its response. A request left at version 0 (the kmsg
// default) is sent at the highest version this package serves for its key, which is what a 2.8
// broker with IBP 2.8 sends; use RequestExact to send a real v0. ApiVersions v3 without client
// software fields is sent as "kafka-classic" "2.8.0". An acks=0 produce returns (nil, nil)
// without waiting. ctx bounds the whole exchange.
func (c *Client) Request(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	if req.GetVersion() == 0 {
		if v, ok := MaxVersion(req.Key()); ok {
			req.SetVersion(min(v, req.MaxVersion()))
		}
	}
	if av, ok := req.(*kmsg.ApiVersionsRequest); ok && av.Version >= 3 {
		if av.ClientSoftwareName == "" {
			av.ClientSoftwareName = "kafka-classic"
		}
		if av.ClientSoftwareVersion == "" {
			av.ClientSoftwareVersion = "2.8.0"
		}
	}
	return c.RequestExact(ctx, req)
}

// RequestExact sends req at exactly the version it carries.
func (c *Client) RequestExact(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	c.reqMu.Lock()
	defer c.reqMu.Unlock()
	nc, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.roundTrip(ctx, nc, req)
	if err != nil {
		if c.drop(nc) {
			return nil, ErrClientClosed
		}
		if cerr := ctx.Err(); cerr != nil {
			err = fmt.Errorf("%w (%w)", cerr, err)
		} else if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
			// The socket deadline is the context's and can fire a moment before ctx notices.
			if _, has := ctx.Deadline(); has {
				err = fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
			}
		}
		return nil, fmt.Errorf("protocol: %s request to %s: %w", kmsg.NameForKey(req.Key()), c.addr, err)
	}
	c.lastUsed = time.Now()
	return resp, nil
}

// roundTrip must be called with reqMu held.
func (c *Client) roundTrip(ctx context.Context, nc net.Conn, req kmsg.Request) (kmsg.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	nc.SetDeadline(deadline) // zero time clears a deadline left by an earlier request
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c.corr++
	corr := c.corr
	c.wbuf = c.appendRequest(c.wbuf[:0], req, corr)
	if _, err := nc.Write(c.wbuf); err != nil {
		return nil, err
	}
	if cap(c.wbuf) > maxPooledBuf {
		c.wbuf = nil // do not keep a large produce around between requests
	}
	if p, ok := req.(*kmsg.ProduceRequest); ok && p.Acks == 0 {
		return nil, nil
	}

	var size [4]byte
	if _, err := io.ReadFull(c.br, size[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 4 {
		return nil, fmt.Errorf("invalid response size %d", n)
	}
	// A fresh buffer per response: decoded byte fields (fetched records) alias it and the
	// caller keeps them.
	body := make([]byte, n)
	if _, err := io.ReadFull(c.br, body); err != nil {
		return nil, err
	}
	r := kbin.Reader{Src: body}
	if got := r.Int32(); got != corr {
		return nil, fmt.Errorf("%w: sent %d, received %d", ErrCorrelationMismatch, corr, got)
	}
	resp := req.ResponseKind()
	if resp.IsFlexible() && resp.Key() != 18 {
		kmsg.SkipTags(&r)
		if !r.Ok() {
			return nil, kbin.ErrNotEnoughData
		}
	}
	if err := resp.ReadFrom(r.Src); err != nil {
		return nil, fmt.Errorf("decode %s v%d response: %w", kmsg.NameForKey(resp.Key()), resp.GetVersion(), err)
	}
	return resp, nil
}

// appendRequest frames req. kmsg's formatter stops after the header for ControlledShutdown v0
// (whose header has no client id) and never writes the body or size, so that one is framed here.
func (c *Client) appendRequest(dst []byte, req kmsg.Request, corr int32) []byte {
	if req.Key() != 7 || req.GetVersion() != 0 {
		return c.fmtr.AppendRequest(dst, req, corr)
	}
	dst = append(dst, 0, 0, 0, 0)
	dst = kbin.AppendInt16(dst, 7)
	dst = kbin.AppendInt16(dst, 0)
	dst = kbin.AppendInt32(dst, corr)
	dst = req.AppendTo(dst)
	binary.BigEndian.PutUint32(dst, uint32(len(dst)-4))
	return dst
}
