package main

import (
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/kafka-classic/kafka-classic/broker"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"
)

// connectWarner logs failed broker connections as the Java clients' NetworkClient does at
// WARN, the line learners see when a broker is down:
// "[Producer clientId=console-producer] Connection to node -1 (localhost/127.0.0.1:9092)
// could not be established. Broker may not be available."
type connectWarner struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	last   map[int32]time.Time
}

func newConnectWarner(w io.Writer, prefix string) *connectWarner {
	return &connectWarner{w: w, prefix: prefix, last: map[int32]time.Time{}}
}

// javaNodeID maps kgo's seed ids (MinInt32+i) to the Java client's bootstrap ids (-1-i).
func javaNodeID(id int32) int32 {
	if id < math.MinInt32/2 {
		return -1 - (id - math.MinInt32)
	}
	return id
}

// javaSocketAddress is InetSocketAddress.toString: "host/ip:port", or "/ip:port" for a literal.
func javaSocketAddress(host string, port int32) string {
	p := strconv.Itoa(int(port))
	if ip := net.ParseIP(host); ip != nil {
		return "/" + host + ":" + p
	}
	if addrs, err := net.LookupHost(host); err == nil && len(addrs) > 0 {
		return host + "/" + addrs[0] + ":" + p
	}
	return host + ":" + p
}

func (c *connectWarner) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// The Java client's reconnect backoff grows to a second; keep the log at that pace.
	if time.Since(c.last[meta.NodeID]) < time.Second {
		return
	}
	c.last[meta.NodeID] = time.Now()
	log := broker.NewLogger(c.w, zerolog.WarnLevel)
	log.Warn().Str(broker.LoggerField, "org.apache.kafka.clients.NetworkClient").
		Msg(fmt.Sprintf("[%s] Connection to node %d (%s) could not be established. Broker may not be available.",
			c.prefix, javaNodeID(meta.NodeID), javaSocketAddress(meta.Host, meta.Port)))
}
