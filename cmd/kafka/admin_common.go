package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/kafka-classic/kafka-classic/config"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// adminConn is what the Admin-API tools share: one kgo client (plus kadm over it) built
// from --bootstrap-server and an optional --command-config file, as Admin.create(props) does.
type adminConn struct {
	cl      *kgo.Client
	adm     *kadm.Client
	timeout time.Duration
}

func newAdminConn(bootstrap, commandConfig string, extra ...kgo.Opt) (*adminConn, error) {
	props := config.Properties{}
	if commandConfig != "" {
		p, err := config.LoadProperties(commandConfig)
		if err != nil {
			return nil, newJavaError("java.nio.file.NoSuchFileException", "%s", commandConfig)
		}
		props = p
	}
	opts, timeout := adminClientOptions(props, bootstrap)
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, newJavaError("org.apache.kafka.common.KafkaException", "Failed to create new KafkaAdminClient: %v", err)
	}
	return &adminConn{cl: cl, adm: kadm.NewClient(cl), timeout: timeout}, nil
}

func (a *adminConn) close() { a.cl.Close() }

func (a *adminConn) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), a.timeout)
}

// javaFormat pads like Java's %-Ns: left-aligned in a column of at least n characters.
func leftPad(s string, n int) string {
	if l := len([]rune(s)); l < n {
		return s + strings.Repeat(" ", n-l)
	}
	return s
}

// tpKey orders topic partitions the way the tools print them.
type tpKey struct {
	Topic     string
	Partition int32
}

func (t tpKey) String() string { return fmt.Sprintf("%s-%d", t.Topic, t.Partition) }

func sortTPs(tps []tpKey) {
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// toolError is clientError plus the two failures the Java admin client words differently:
// an unreachable bootstrap server (it keeps retrying until its timeout) and a request the
// broker does not support.
func toolError(err error, call string) *javaError {
	var je *javaError
	if errors.As(err, &je) {
		return je
	}
	var ne *net.OpError
	if errors.As(err, &ne) && ne.Op == "dial" {
		return newJavaError("org.apache.kafka.common.errors.TimeoutException", "Timed out waiting for a node assignment. Call: %s", call)
	}
	if strings.Contains(err.Error(), "broker is too old") {
		return newJavaError("org.apache.kafka.common.errors.UnsupportedVersionException", "The broker does not support the request needed by %s", call)
	}
	return clientError(err, call)
}
