package protocol

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxKeptReadBuf is the largest read buffer a connection keeps between requests; bigger frames
// (large produce batches) get a one-off buffer so idle connections do not pin megabytes.
const maxKeptReadBuf = 1 << 20

// conn is one client connection. Kafka's Processor mutes a channel while its request is in
// flight; here a single goroutine reads a frame, handles it and writes the answer before it reads
// the next one, which gives the same one-at-a-time, in-order guarantee. Pipelined requests simply
// wait in the socket buffer.
type conn struct {
	s        *Server
	nc       net.Conn
	br       *bufio.Reader
	listener string
	remote   string // "ip:port" for log lines
	host     string // ip only, for RequestContext.ClientHost
	log      zerolog.Logger

	buf []byte // read buffer, reused while no decoded request can still point into it
}

func newConn(s *Server, nc net.Conn, listener string) *conn {
	remote := nc.RemoteAddr().String()
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	return &conn{
		s:        s,
		nc:       nc,
		br:       bufio.NewReaderSize(nc, 16<<10),
		listener: listener,
		remote:   remote,
		host:     host,
		log:      s.log.With().Str("listener", listener).Str("remote", remote).Logger(),
	}
}

// errCloseConn marks failures already logged by the time serve sees them.
var errCloseConn = errors.New("protocol: close connection")

func (c *conn) serve() {
	defer c.nc.Close()
	ctx, cancel := context.WithCancel(c.s.ctx)
	defer cancel()
	var size [4]byte
	for {
		if err := c.readFull(size[:]); err != nil {
			c.logReadError(err)
			return
		}
		n := int32(binary.BigEndian.Uint32(size[:]))
		if n < 0 || n > c.s.cfg.MaxRequestBytes {
			msg := fmt.Sprintf("Invalid receive (size = %d larger than %d)", n, c.s.cfg.MaxRequestBytes)
			if n < 0 {
				msg = fmt.Sprintf("Invalid receive (size = %d)", n)
			}
			c.log.Warn().Msgf("Closing socket connection to %s because of error: %s", c.remote, msg)
			return
		}
		frame := c.frameBuf(int(n))
		if err := c.readFull(frame); err != nil {
			c.logReadError(err)
			return
		}
		if err := c.handle(ctx, frame); err != nil {
			return
		}
	}
}

func (c *conn) frameBuf(n int) []byte {
	if cap(c.buf) >= n {
		return c.buf[:n]
	}
	b := make([]byte, n)
	if n <= maxKeptReadBuf {
		c.buf = b
	}
	return b
}

// readFull reads with the idle deadline armed: connections.max.idle.ms counts time spent waiting
// for the client, never time spent in a handler.
func (c *conn) readFull(p []byte) error {
	if d := c.s.cfg.IdleTimeout; d > 0 {
		c.nc.SetReadDeadline(time.Now().Add(d))
	}
	_, err := io.ReadFull(c.br, p)
	return err
}

func (c *conn) logReadError(err error) {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.log.Debug().Msgf("About to close the idle connection from %s due to being idle for %d millis",
			c.remote, c.s.cfg.IdleTimeout.Milliseconds())
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		c.log.Debug().Msgf("Connection with %s disconnected", c.remote)
	case errors.Is(err, io.ErrUnexpectedEOF):
		c.log.Debug().Msgf("Connection with %s disconnected mid-request", c.remote)
	default:
		c.log.Debug().Err(err).Msgf("Connection with %s disconnected", c.remote)
	}
}

// handle parses one frame, runs its handler and writes the response. A non-nil error closes the
// connection; the reason has already been logged.
func (c *conn) handle(ctx context.Context, frame []byte) error {
	r := kbin.Reader{Src: frame}
	key := r.Int16()
	version := r.Int16()
	corr := r.Int32()
	var clientID string
	if key != 7 || version != 0 { // ControlledShutdown v0 predates the client id in the header
		if id := r.NullableString(); id != nil {
			clientID = *id
		}
	}
	if !r.Ok() {
		c.log.Warn().Msgf("Closing socket connection to %s because of error: invalid request header", c.remote)
		return errCloseConn
	}
	c.s.countRequest(key)

	h, ok := lookup(key)
	if !ok {
		c.log.Warn().Int16("api_key", key).Int32("correlation_id", corr).Str("client_id", clientID).
			Msgf("Closing socket connection to %s because of error: Unknown API key %d", c.remote, key)
		return errCloseConn
	}
	if version < h.MinVersion || version > h.MaxVersion {
		if key == 18 && version > h.MaxVersion {
			return c.writeResponse(corr, apiVersionsResponse(0, true), nil)
		}
		c.log.Warn().Int16("api_key", key).Int32("correlation_id", corr).Str("client_id", clientID).
			Msgf("Closing socket connection to %s because of error: Unsupported version %d for %s (supported %d-%d)",
				c.remote, version, kmsg.NameForKey(key), h.MinVersion, h.MaxVersion)
		return errCloseConn
	}

	req := kmsg.RequestForKey(key)
	req.SetVersion(version)
	if req.IsFlexible() {
		kmsg.SkipTags(&r)
	}
	if !r.Ok() {
		c.logMalformed(key, version, corr, clientID, kbin.ErrNotEnoughData)
		return errCloseConn
	}
	if err := req.ReadFrom(r.Src); err != nil {
		c.logMalformed(key, version, corr, clientID, err)
		return errCloseConn
	}
	if h.aliases {
		// The decoded request points into frame and a service may keep it (group metadata,
		// assignments): give the buffer away.
		c.buf = nil
	}

	rc := &RequestContext{
		ClientID:      clientID,
		ClientHost:    c.host,
		Listener:      c.listener,
		APIKey:        key,
		APIVersion:    version,
		CorrelationID: corr,
	}
	resp, err := c.call(ctx, h, rc, req)
	if err != nil {
		return errCloseConn
	}
	if resp == nil {
		return nil // acks=0 produce
	}
	if resp.Key() != key {
		c.log.Error().Int16("api_key", key).Msgf("Closing socket connection to %s because of error: handler for %s returned a %s response",
			c.remote, kmsg.NameForKey(key), kmsg.NameForKey(resp.Key()))
		return errCloseConn
	}
	resp.SetVersion(version)
	return c.writeResponse(corr, resp, rc.regions)
}

func (c *conn) logMalformed(key, version int16, corr int32, clientID string, err error) {
	c.log.Warn().Err(err).Int16("api_key", key).Int16("api_version", version).Int32("correlation_id", corr).
		Str("client_id", clientID).
		Msgf("Closing socket connection to %s because of error: malformed request %s v%d", c.remote, kmsg.NameForKey(key), version)
}

// call runs the handler, turning a panic anywhere below it into a logged error that closes this
// connection only: one bad request must not take the broker down.
func (c *conn) call(ctx context.Context, h *handler, rc *RequestContext, req kmsg.Request) (resp kmsg.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error().Str("stack", string(debug.Stack())).
				Msgf("Error when handling request: clientId=%s, correlationId=%d, api=%s, version=%d: panic: %v",
					rc.ClientID, rc.CorrelationID, kmsg.NameForKey(rc.APIKey), rc.APIVersion, p)
			resp, err = nil, fmt.Errorf("protocol: handler panic: %v", p)
		}
	}()
	resp, err = h.Func(ctx, c.s.svc, rc, req)
	if err != nil {
		c.log.Warn().Err(err).Msgf("Closing socket connection to %s because of error: request %s v%d (correlation id %d) failed",
			c.remote, kmsg.NameForKey(rc.APIKey), rc.APIVersion, rc.CorrelationID)
	}
	return resp, err
}

// writeResponse frames resp with the response header: v0 is the correlation id, v1 (flexible
// versions) adds an empty tag section, except that ApiVersions always uses v0 so a client that
// does not yet know our versions can parse it.
func (c *conn) writeResponse(corr int32, resp kmsg.Response, regions []attachedRegion) error {
	bp := getRespBuf()
	defer putRespBuf(bp)
	b := append((*bp)[:0], 0, 0, 0, 0)
	b = kbin.AppendInt32(b, corr)
	if resp.IsFlexible() && resp.Key() != 18 {
		b = append(b, 0)
	}
	b, err := appendResponse(b, resp)
	if err != nil {
		c.log.Error().Str("stack", string(debug.Stack())).
			Msgf("Closing socket connection to %s because of error: cannot encode %s v%d response: %v",
				c.remote, kmsg.NameForKey(resp.Key()), resp.GetVersion(), err)
		return errCloseConn
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	*bp = b
	if d := c.s.cfg.IdleTimeout; d > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(d))
	}
	if len(regions) > 0 {
		if err := c.writeWithRegions(b, resp.IsFlexible(), regions); err != nil {
			c.log.Warn().Err(err).Msgf("Closing socket connection to %s because of error: sending %s response", c.remote, kmsg.NameForKey(resp.Key()))
			return errCloseConn
		}
		return nil
	}
	if _, err := c.nc.Write(b); err != nil {
		c.log.Debug().Err(err).Msgf("Connection with %s disconnected while sending a response", c.remote)
		return errCloseConn
	}
	return nil
}

// appendResponse encodes resp, turning an encoder panic (a service put something kmsg cannot
// write) into an error for this connection alone.
func appendResponse(b []byte, resp kmsg.Response) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = b, fmt.Errorf("protocol: encode panic: %v", p)
		}
	}()
	return resp.AppendTo(b), nil
}
