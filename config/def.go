package config

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidConfig is wrapped by every validation failure, so request handlers can map it to
// INVALID_CONFIG while still showing Kafka's wording from the message.
var ErrInvalidConfig = errors.New("config: invalid config")

// Error is one rejected configuration. Msg is the text Kafka would put in its exception, e.g.
// "Invalid value abc for configuration num.partitions: Not a number of type INT"; Exception is
// that exception's Java class, for tools that print it the way Kafka's startup does. Error()
// prefixes Msg with ErrInvalidConfig's text.
type Error struct {
	Key       string
	Msg       string
	Exception string
}

// Java exception classes Kafka's config checks throw.
const (
	ConfigException               = "org.apache.kafka.common.config.ConfigException"
	InvalidConfigurationException = "org.apache.kafka.common.errors.InvalidConfigurationException"
	IllegalArgumentException      = "java.lang.IllegalArgumentException"
)

func (e *Error) Error() string { return ErrInvalidConfig.Error() + ": " + e.Msg }
func (e *Error) Unwrap() error { return ErrInvalidConfig }

// Message returns the Kafka-worded part of a config error (what goes into an error_message
// field or a tool's output), or err.Error() for any other error.
func Message(err error) string {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Msg
	}
	return err.Error()
}

// JavaException renders a config error as Kafka's logs show the exception:
// "org.apache.kafka.common.config.ConfigException: Invalid value ...".
func JavaException(err error) string {
	var ce *Error
	if errors.As(err, &ce) && ce.Exception != "" {
		return ce.Exception + ": " + ce.Msg
	}
	return err.Error()
}

func invalidValue(key, value, why string) error {
	msg := "Invalid value " + value + " for configuration " + key
	if why != "" {
		msg += ": " + why
	}
	return &Error{Key: key, Msg: msg, Exception: ConfigException}
}

// configErrorf is a ConfigException built from a bare message (no "Invalid value" prefix).
func configErrorf(key, format string, args ...any) error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...), Exception: ConfigException}
}

// requiref mirrors a failed Scala require(...) in KafkaConfig.validateValues.
func requiref(key, format string, args ...any) error {
	return &Error{Key: key, Msg: "requirement failed: " + fmt.Sprintf(format, args...), Exception: IllegalArgumentException}
}

func illegalArgf(key, format string, args ...any) error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...), Exception: IllegalArgumentException}
}

func invalidConfigf(key, format string, args ...any) error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...), Exception: InvalidConfigurationException}
}

// Type is Kafka's ConfigDef.Type as numbered by DescribeConfigs (ConfigEntry.ConfigType).
type Type int8

const (
	TypeUnknown  Type = 0
	TypeBoolean  Type = 1
	TypeString   Type = 2
	TypeInt      Type = 3
	TypeShort    Type = 4
	TypeLong     Type = 5
	TypeDouble   Type = 6
	TypeList     Type = 7
	TypeClass    Type = 8
	TypePassword Type = 9
)

func (t Type) String() string {
	switch t {
	case TypeBoolean:
		return "BOOLEAN"
	case TypeString:
		return "STRING"
	case TypeInt:
		return "INT"
	case TypeShort:
		return "SHORT"
	case TypeLong:
		return "LONG"
	case TypeDouble:
		return "DOUBLE"
	case TypeList:
		return "LIST"
	case TypeClass:
		return "CLASS"
	case TypePassword:
		return "PASSWORD"
	}
	return "UNKNOWN"
}

// parseValue converts a raw string the way ConfigDef.parseType does: surrounding whitespace is
// ignored, numbers must fit their Java type, booleans are case-insensitive true/false, and lists
// split on commas with the blanks around them dropped.
func parseValue(key string, t Type, raw string) (any, error) {
	s := strings.TrimSpace(raw)
	switch t {
	case TypeBoolean:
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, invalidValue(key, raw, "Expected value to be either true or false")
	case TypeInt, TypeShort, TypeLong:
		bits := map[Type]int{TypeInt: 32, TypeShort: 16, TypeLong: 64}[t]
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, invalidValue(key, raw, "Not a number of type "+t.String())
		}
		return n, nil
	case TypeDouble:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || strings.ContainsAny(s, "_xXpP") {
			return nil, invalidValue(key, raw, "Not a number of type DOUBLE")
		}
		return f, nil
	case TypeList:
		return splitList(s), nil
	default:
		return s, nil
	}
}

func splitList(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return []string{}
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// renderValue formats a parsed value as ConfigDef.convertToString would, which is what
// DescribeConfigs reports.
func renderValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		return javaDouble(x)
	case []string:
		return strings.Join(x, ",")
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// javaDouble mimics Double.toString: at least one fractional digit, scientific notation ("1.0E-5")
// outside [1e-3, 1e7).
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	abs := math.Abs(f)
	if f == 0 || (abs >= 1e-3 && abs < 1e7) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // e.g. 1e-05, 1.5e+07
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// validator checks a parsed value; it returns the reason Kafka's validator would give.
type validator func(key string, v any) error

func atLeast(min int64) validator {
	return func(key string, v any) error {
		switch x := v.(type) {
		case int64:
			if x < min {
				return invalidValue(key, renderValue(v), "Value must be at least "+strconv.FormatInt(min, 10))
			}
		case float64:
			if x < float64(min) {
				return invalidValue(key, renderValue(v), "Value must be at least "+strconv.FormatInt(min, 10))
			}
		}
		return nil
	}
}

func between(min, max int64) validator {
	return func(key string, v any) error {
		if err := atLeast(min)(key, v); err != nil {
			return err
		}
		tooBig := false
		switch x := v.(type) {
		case int64:
			tooBig = x > max
		case float64:
			tooBig = x > float64(max)
		}
		if tooBig {
			return invalidValue(key, renderValue(v), "Value must be no more than "+strconv.FormatInt(max, 10))
		}
		return nil
	}
}

func oneOf(options ...string) validator {
	return func(key string, v any) error {
		s, _ := v.(string)
		for _, o := range options {
			if s == o {
				return nil
			}
		}
		return invalidValue(key, s, "String must be one of: "+strings.Join(options, ", "))
	}
}

// listOf checks every element, reporting the first offending element as the value, as
// ConfigDef.ValidList does.
func listOf(options ...string) validator {
	each := oneOf(options...)
	return func(key string, v any) error {
		l, _ := v.([]string)
		for _, s := range l {
			if err := each(key, s); err != nil {
				return err
			}
		}
		return nil
	}
}

// apiVersions are the message format / inter-broker protocol versions a 2.8 broker recognises
// (ApiVersion.allVersions); "2.8" alone stands for its latest sub-version.
var apiVersions = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range []string{
		"0.8.0", "0.8.1", "0.8.2", "0.9.0",
		"0.10.0-IV0", "0.10.0-IV1", "0.10.0", "0.10.1-IV0", "0.10.1-IV1", "0.10.1-IV2", "0.10.1",
		"0.10.2-IV0", "0.10.2", "0.11.0-IV0", "0.11.0-IV1", "0.11.0-IV2", "0.11.0",
		"1.0-IV0", "1.0", "1.1-IV0", "1.1", "2.0-IV0", "2.0-IV1", "2.0",
		"2.1-IV0", "2.1-IV1", "2.1-IV2", "2.1", "2.2-IV0", "2.2-IV1", "2.2",
		"2.3-IV0", "2.3-IV1", "2.3", "2.4-IV0", "2.4-IV1", "2.4", "2.5-IV0", "2.5",
		"2.6-IV0", "2.6", "2.7-IV0", "2.7-IV1", "2.7-IV2", "2.7", "2.8-IV0", "2.8-IV1", "2.8",
	} {
		m[v] = true
	}
	return m
}()

// validAPIVersion follows ApiVersion.apply: only the leading two segments (three for 0.x)
// matter, so "2.8.1" is 2.8.
func validAPIVersion(key string, v any) error {
	s, _ := v.(string)
	segs := strings.Split(s, ".")
	n := 2
	if strings.HasPrefix(s, "0.") {
		n = 3
	}
	if len(segs) > n {
		segs = segs[:n]
	}
	if !apiVersions[strings.Join(segs, ".")] {
		return invalidValue(key, s, "Version `"+s+"` is not a valid version")
	}
	return nil
}

var throttledReplicaRE = regexp.MustCompile(`^([0-9]+:[0-9]+)?$`)

// validThrottledReplicas accepts "*" or a list of partition:broker pairs (empty entries
// allowed), as ThrottledReplicaListValidator does. The rejected value is shown as Java prints
// a list: "[0:1, x]".
func validThrottledReplicas(key string, v any) error {
	l, _ := v.([]string)
	if strings.Join(l, "") == "*" {
		return nil
	}
	for _, s := range l {
		if !throttledReplicaRE.MatchString(s) {
			return invalidValue(key, "["+strings.Join(l, ", ")+"]", key+" must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...")
		}
	}
	return nil
}

// compressionTypes is BrokerCompressionCodec.brokerCompressionOptions in Kafka's order.
var compressionTypes = []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}

// msDuration turns Kafka's millisecond longs into a Duration, saturating instead of overflowing:
// several defaults are Long.MAX_VALUE ms, meaning "never".
func msDuration(ms int64) time.Duration {
	const maxMs = math.MaxInt64 / int64(time.Millisecond)
	switch {
	case ms > maxMs:
		return time.Duration(math.MaxInt64)
	case ms < -maxMs:
		return time.Duration(math.MinInt64)
	}
	return time.Duration(ms) * time.Millisecond
}

func strPtr(s string) *string { return &s }
