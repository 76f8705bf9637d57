package protocol

import (
	"context"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// discardConn swallows responses so handle can be measured without a socket.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error)      { return len(p), nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }
func (discardConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (discardConn) Close() error                     { return nil }
func (discardConn) SetReadDeadline(time.Time) error  { return nil }

func BenchmarkHandleProduce(b *testing.B) {
	svc := newFakeServices()
	svc.topics["t"] = 1
	svc.produce = func(req *kmsg.ProduceRequest) *kmsg.ProduceResponse {
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = "t"
		rt.Partitions = append(rt.Partitions, kmsg.NewProduceResponseTopicPartition())
		resp.Topics = append(resp.Topics, rt)
		return resp
	}
	s := NewServer(ServerConfig{}, svc, zerolog.Nop())
	c := newConn(s, discardConn{}, "PLAINTEXT")
	p := kmsg.NewPtrProduceRequest()
	p.SetVersion(9)
	p.Acks = 1
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = make([]byte, 16<<10)
	copy(rp.Records, oneBatch(0))
	binary.BigEndian.PutUint32(rp.Records[8:], uint32(len(rp.Records)-12))
	rt.Partitions = append(rt.Partitions, rp)
	p.Topics = append(p.Topics, rt)
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("bench")).AppendRequest(nil, p, 1)[4:]
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf := c.frameBuf(len(frame))
		copy(buf, frame)
		if err := c.handle(ctx, buf); err != nil {
			b.Fatal(err)
		}
	}
}
