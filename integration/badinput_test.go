package integration

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// rawConn opens a plain TCP connection to the broker, closed with the test.
func rawConn(t testing.TB, b *Broker) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", b.Addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", b.Addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// requestHeaderV1 is int16 key, int16 version, int32 correlation id, nullable string client id.
func requestHeaderV1(key, version int16, correlation int32, clientID string) []byte {
	h := binary.BigEndian.AppendUint16(nil, uint16(key))
	h = binary.BigEndian.AppendUint16(h, uint16(version))
	h = binary.BigEndian.AppendUint32(h, uint32(correlation))
	h = binary.BigEndian.AppendUint16(h, uint16(len(clientID)))
	return append(h, clientID...)
}

func writeFrame(t testing.TB, c net.Conn, payload []byte) {
	t.Helper()
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
	if _, err := c.Write(append(frame, payload...)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func readFrame(c net.Conn, timeout time.Duration) ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n > 1<<26 {
		return nil, fmt.Errorf("response size %d", n)
	}
	buf := make([]byte, n)
	_, err := io.ReadFull(c, buf)
	return buf, err
}

// expectClosed fails unless the broker closes the connection without answering.
func expectClosed(t testing.TB, c net.Conn, what string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	var ne net.Error
	switch {
	case n > 0:
		t.Errorf("%s: broker answered %x instead of closing", what, buf[:n])
	case errors.As(err, &ne) && ne.Timeout():
		t.Errorf("%s: connection still open after 15s", what)
	case err == nil:
		t.Errorf("%s: empty read without error", what)
	}
}

// apiVersionsV0 checks a fresh connection still gets ApiVersions answered.
func apiVersionsV0(t testing.TB, b *Broker) {
	t.Helper()
	c := rawConn(t, b)
	writeFrame(t, c, requestHeaderV1(18, 0, 4242, "raw"))
	resp, err := readFrame(c, 10*time.Second)
	if err != nil {
		t.Fatalf("ApiVersions v0 on a fresh connection: %v", err)
	}
	if len(resp) < 6 || binary.BigEndian.Uint32(resp) != 4242 || binary.BigEndian.Uint16(resp[4:]) != 0 {
		t.Fatalf("ApiVersions v0 response %x", resp)
	}
}

// TestBadInput: malformed traffic costs only the offending connection; the broker logs it and
// keeps serving every other client.
func TestBadInput(t *testing.T) {
	z := StartZooKeeper(t)
	const maxBytes = 1048576
	b := StartBroker(t, z, 0, map[string]string{"socket.request.max.bytes": fmt.Sprint(maxBytes)})
	createTopic(t, b, "healthy", 1, nil)
	healthy := NewClient(t, Seeds(b), kgo.DefaultProduceTopic("healthy"))
	produced := 0
	stillServing := func(t *testing.T) {
		t.Helper()
		ProduceSync(t, healthy, &kgo.Record{Value: []byte(fmt.Sprint(produced))})
		produced++
		if e := endOffset(t, b, "healthy", 0); e != int64(produced) {
			t.Errorf("healthy client: end offset %d, want %d", e, produced)
		}
		apiVersionsV0(t, b)
	}
	stillServing(t)

	t.Run("frame over socket.request.max.bytes", func(t *testing.T) {
		other := rawConn(t, b) // opened before, must survive
		c := rawConn(t, b)
		frame := binary.BigEndian.AppendUint32(nil, maxBytes+1)
		if _, err := c.Write(append(frame, make([]byte, 64)...)); err != nil {
			t.Fatal(err)
		}
		expectClosed(t, c, "oversized frame")
		writeFrame(t, other, requestHeaderV1(18, 0, 7, "other"))
		if resp, err := readFrame(other, 10*time.Second); err != nil || binary.BigEndian.Uint32(resp) != 7 {
			t.Errorf("a connection opened before the oversized frame stopped working: %x %v", resp, err)
		}
		b.WaitForLog(t, fmt.Sprint(maxBytes+1), 10*time.Second)
		stillServing(t)
	})

	t.Run("negative size", func(t *testing.T) {
		c := rawConn(t, b)
		if _, err := c.Write([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		expectClosed(t, c, "negative frame size")
		stillServing(t)
	})

	t.Run("unknown api key", func(t *testing.T) {
		c := rawConn(t, b)
		writeFrame(t, c, requestHeaderV1(999, 0, 1, "raw"))
		expectClosed(t, c, "API key 999")
		c = rawConn(t, b)
		writeFrame(t, c, requestHeaderV1(52, 0, 1, "raw")) // Vote: KRaft only, not enabled on a ZK broker
		expectClosed(t, c, "API key 52 (Vote)")
		stillServing(t)
	})

	t.Run("unsupported version", func(t *testing.T) {
		c := rawConn(t, b)
		writeFrame(t, c, requestHeaderV1(3, 99, 1, "raw"))
		expectClosed(t, c, "Metadata v99")

		// ApiVersions is the exception: a v0 answer with UNSUPPORTED_VERSION and the real list.
		c = rawConn(t, b)
		// v99 counts as flexible, so the header carries an (empty) tagged-field section.
		writeFrame(t, c, append(requestHeaderV1(18, 99, 31, "raw"), 0))
		resp, err := readFrame(c, 10*time.Second)
		if err != nil {
			t.Fatalf("ApiVersions v99: %v", err)
		}
		if len(resp) < 10 || binary.BigEndian.Uint32(resp) != 31 || int16(binary.BigEndian.Uint16(resp[4:])) != kerr.UnsupportedVersion.Code {
			t.Fatalf("ApiVersions v99 response %x, want correlation 31 and UNSUPPORTED_VERSION", resp)
		}
		n := int(binary.BigEndian.Uint32(resp[6:]))
		found := false
		for i := 0; i < n && 10+6*i+6 <= len(resp); i++ {
			e := resp[10+6*i:]
			if int16(binary.BigEndian.Uint16(e)) == 18 && binary.BigEndian.Uint16(e[4:]) == 3 {
				found = true
			}
		}
		if !found {
			t.Errorf("ApiVersions v99 answer lists no ApiVersions 0-3 among %d keys", n)
		}
		stillServing(t)
	})

	t.Run("garbage body", func(t *testing.T) {
		c := rawConn(t, b)
		// Metadata v1 whose topic array claims 2^31-1 entries and holds one byte.
		writeFrame(t, c, append(requestHeaderV1(3, 1, 5, "raw"), 0x7f, 0xff, 0xff, 0xff, 0x01))
		expectClosed(t, c, "Metadata with a garbage body")
		c = rawConn(t, b)
		writeFrame(t, c, []byte{0x00}) // shorter than any request header
		expectClosed(t, c, "one-byte request")
		stillServing(t)
	})

	t.Run("corrupt batch", func(t *testing.T) {
		batch := BuildBatch(-1, -1, -1, time.Now().UnixMilli(), RawRecord{Value: []byte("intact?")})
		batch[len(batch)-1] ^= 0xff // CRC no longer matches
		req := kmsg.NewPtrProduceRequest()
		req.Acks, req.TimeoutMillis = 1, 10000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = "healthy"
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition, rp.Records = 0, batch
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		cl := Client(t, b)
		resp := BrokerRequest(t, cl, 0, req).(*kmsg.ProduceResponse)
		if code := resp.Topics[0].Partitions[0].ErrorCode; code != kerr.CorruptMessage.Code {
			t.Errorf("batch with a bad CRC: error code %d, want CORRUPT_MESSAGE (%d)", code, kerr.CorruptMessage.Code)
		}
		// The same connection keeps working (an error code, not a closed socket).
		if _, err := BrokerRequestErr(cl, 0, NewApiVersionsRequest(), 10*time.Second); err != nil {
			t.Errorf("request after the corrupt batch: %v", err)
		}
		stillServing(t)
		if e := endOffset(t, b, "healthy", 0); e != int64(produced) {
			t.Errorf("the corrupt batch was appended: end offset %d, want %d", e, produced)
		}
	})

	if b.Exited() {
		t.Fatalf("broker exited during bad input")
	}
	if !ProcessAlive(b.Pid) {
		t.Fatalf("broker process %d gone", b.Pid)
	}
}
