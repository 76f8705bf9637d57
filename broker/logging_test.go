package broker

import (
	"bytes"
	"errors"
	"regexp"
	"testing"

	"github.com/rs/zerolog"
)

func TestKafkaLayout(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, zerolog.InfoLevel)
	log.Info().Str(LoggerField, "kafka.server.KafkaServer").Str("partition", "t-0").Msg("[KafkaServer id=0] started")
	log.Warn().Err(errors.New("boom")).Str(LoggerField, "kafka.log.LogManager").Msg("Error while flushing")
	log.Debug().Msg("hidden")
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	want := []*regexp.Regexp{
		regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] INFO \[KafkaServer id=0\] started \(kafka\.server\.KafkaServer\)$`),
		regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] WARN Error while flushing error=boom \(kafka\.log\.LogManager\)$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, re := range want {
		if !re.Match(lines[i]) {
			t.Errorf("line %d = %q, want match %s", i, lines[i], re)
		}
	}
}
