package broker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// LoggerField names the Kafka class a line is attributed to; it is printed in parentheses at
// the end of the line as log4j's "%c" does in Kafka's shipped log4j.properties.
const LoggerField = "logger"

// NewLogger returns a zerolog logger that prints lines in Kafka's log4j layout,
// "[2021-06-01 12:00:00,123] INFO message (kafka.server.KafkaServer)", so that what the
// tutorials tell learners to look for appears verbatim.
func NewLogger(w io.Writer, level zerolog.Level) zerolog.Logger {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	return zerolog.New(&kafkaLayout{w: w}).Level(level).With().Timestamp().Logger()
}

type kafkaLayout struct {
	mu sync.Mutex
	w  io.Writer
}

func (k *kafkaLayout) Write(p []byte) (int, error) {
	var ev map[string]any
	if err := json.Unmarshal(p, &ev); err != nil {
		k.mu.Lock()
		defer k.mu.Unlock()
		return k.w.Write(p)
	}
	var b bytes.Buffer
	ts := time.Now()
	if s, ok := ev[zerolog.TimestampFieldName].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			ts = t
		}
	}
	fmt.Fprintf(&b, "[%s,%03d] ", ts.Format("2006-01-02 15:04:05"), ts.Nanosecond()/1e6)
	lvl, _ := ev[zerolog.LevelFieldName].(string)
	switch lvl {
	case "warn":
		lvl = "WARN"
	case "":
		lvl = "INFO"
	default:
		lvl = strings.ToUpper(lvl)
	}
	b.WriteString(lvl)
	b.WriteByte(' ')
	msg, _ := ev[zerolog.MessageFieldName].(string)
	b.WriteString(msg)
	// Kafka's lines carry their identities inside the message text; structured fields stay in
	// the JSON event, and only an attached error or stack is worth showing on the line.
	for _, key := range []string{zerolog.ErrorFieldName, zerolog.ErrorStackFieldName, "stack"} {
		if v, ok := ev[key]; ok {
			fmt.Fprintf(&b, " %s=%v", key, v)
		}
	}
	if lg, ok := ev[LoggerField].(string); ok {
		fmt.Fprintf(&b, " (%s)", lg)
	}
	b.WriteByte('\n')
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.w.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// prefixedLogger writes Kafka's per-object log identity ("[Partition t-0 broker=1] ") in
// front of each message, as Kafka's Logging.logIdent does.
type prefixedLogger struct {
	log    zerolog.Logger
	prefix string
}

func (l *prefixedLogger) Info() prefixedEvent { return prefixedEvent{l.log.Info(), l.prefix} }

type prefixedEvent struct {
	e      *zerolog.Event
	prefix string
}

func (e prefixedEvent) Msgf(format string, args ...any) { e.e.Msgf(e.prefix+format, args...) }
