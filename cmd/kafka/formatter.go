package main

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"strconv"
	"strings"
)

// consumedRecord is what a message formatter sees of a ConsumerRecord.
type consumedRecord struct {
	Topic         string
	Partition     int32
	Offset        int64
	Timestamp     int64
	TimestampType int8 // -1 none, 0 CreateTime, 1 LogAppendTime
	Key, Value    []byte
	Headers       []recordHeader
}

type recordHeader struct {
	Key   string
	Value []byte
}

// messageFormatter is kafka.common.MessageFormatter.
type messageFormatter interface {
	configure(props map[string]string) error
	writeTo(r consumedRecord, w io.Writer) error
}

// newMessageFormatter instantiates a formatter by its Kafka class name.
func newMessageFormatter(class string) (messageFormatter, bool) {
	switch class {
	case "kafka.tools.DefaultMessageFormatter", "kafka.tools.LoggingMessageFormatter":
		// LoggingMessageFormatter also logs each record at INFO, which the tools' log4j
		// configuration (WARN) hides; what reaches the terminal is the default output.
		return newDefaultMessageFormatter(), true
	case "kafka.tools.NoOpMessageFormatter":
		return noOpFormatter{}, true
	case "kafka.coordinator.group.GroupMetadataManager$OffsetsMessageFormatter":
		return offsetsMessageFormatter{}, true
	}
	return nil, false
}

type noOpFormatter struct{}

func (noOpFormatter) configure(map[string]string) error       { return nil }
func (noOpFormatter) writeTo(consumedRecord, io.Writer) error { return nil }

// deserializer is the part of a Kafka Deserializer the formatter uses: bytes in, the
// toString of the deserialized object out.
type deserializer func(topic string, data []byte) (string, error)

// defaultMessageFormatter is kafka.tools.DefaultMessageFormatter.
type defaultMessageFormatter struct {
	printTimestamp, printKey, printValue, printPartition, printOffset, printHeaders bool
	keySeparator, lineSeparator, headersSeparator, nullLiteral                      []byte
	keyDeserializer, valueDeserializer, headersDeserializer                         deserializer
}

func newDefaultMessageFormatter() *defaultMessageFormatter {
	return &defaultMessageFormatter{
		printValue:       true,
		keySeparator:     []byte("\t"),
		lineSeparator:    []byte("\n"),
		headersSeparator: []byte(","),
		nullLiteral:      []byte("null"),
	}
}

func (f *defaultMessageFormatter) configure(props map[string]string) error {
	boolProp := func(key string, dst *bool) {
		if v, ok := props[key]; ok {
			*dst = strings.EqualFold(strings.TrimSpace(v), "true")
		}
	}
	byteProp := func(key string, dst *[]byte) {
		if v, ok := props[key]; ok {
			*dst = []byte(v)
		}
	}
	boolProp("print.timestamp", &f.printTimestamp)
	boolProp("print.key", &f.printKey)
	boolProp("print.offset", &f.printOffset)
	boolProp("print.partition", &f.printPartition)
	boolProp("print.headers", &f.printHeaders)
	boolProp("print.value", &f.printValue)
	byteProp("key.separator", &f.keySeparator)
	byteProp("line.separator", &f.lineSeparator)
	byteProp("headers.separator", &f.headersSeparator)
	byteProp("null.literal", &f.nullLiteral)
	for _, d := range []struct {
		key string
		dst *deserializer
	}{{"key.deserializer", &f.keyDeserializer}, {"value.deserializer", &f.valueDeserializer}, {"headers.deserializer", &f.headersDeserializer}} {
		if cls, ok := props[d.key]; ok && cls != "" {
			ds, ok := newDeserializer(cls)
			if !ok {
				return newJavaError("java.lang.ClassNotFoundException", "%s", cls)
			}
			*d.dst = ds
		}
	}
	return nil
}

func timestampTypeName(t int8) string {
	switch t {
	case 0:
		return "CreateTime"
	case 1:
		return "LogAppendTime"
	}
	return "NO_TIMESTAMP"
}

func (f *defaultMessageFormatter) deserialize(d deserializer, data []byte, topic string) ([]byte, error) {
	if data == nil {
		data = f.nullLiteral
	}
	if d == nil {
		return data, nil
	}
	s, err := d(topic, data)
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// writeTo prints the enabled fields in Kafka's order, each followed by key.separator when
// another field follows on the line, and line.separator after the last.
func (f *defaultMessageFormatter) writeTo(r consumedRecord, w io.Writer) error {
	var b []byte
	sep := func(more bool) {
		if more {
			b = append(b, f.keySeparator...)
		} else {
			b = append(b, f.lineSeparator...)
		}
	}
	if f.printTimestamp {
		if r.TimestampType >= 0 {
			b = append(b, fmt.Sprintf("%s:%d", timestampTypeName(r.TimestampType), r.Timestamp)...)
		} else {
			b = append(b, "NO_TIMESTAMP"...)
		}
		sep(f.printOffset || f.printPartition || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printPartition {
		b = append(b, "Partition:"+strconv.Itoa(int(r.Partition))...)
		sep(f.printOffset || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printOffset {
		b = append(b, "Offset:"+strconv.FormatInt(r.Offset, 10)...)
		sep(f.printHeaders || f.printKey || f.printValue)
	}
	if f.printHeaders {
		if len(r.Headers) == 0 {
			b = append(b, "NO_HEADERS"...)
		}
		for i, h := range r.Headers {
			b = append(b, h.Key+":"...)
			v, err := f.deserialize(f.headersDeserializer, h.Value, r.Topic)
			if err != nil {
				return err
			}
			b = append(b, v...)
			if i < len(r.Headers)-1 {
				b = append(b, f.headersSeparator...)
			}
		}
		sep(f.printKey || f.printValue)
	}
	if f.printKey {
		k, err := f.deserialize(f.keyDeserializer, r.Key, r.Topic)
		if err != nil {
			return err
		}
		b = append(b, k...)
		sep(f.printValue)
	}
	if f.printValue {
		v, err := f.deserialize(f.valueDeserializer, r.Value, r.Topic)
		if err != nil {
			return err
		}
		b = append(b, v...)
		b = append(b, f.lineSeparator...)
	}
	_, err := w.Write(b)
	return err
}

func serializationError(format string, args ...any) error {
	return newJavaError("org.apache.kafka.common.errors.SerializationException", format, args...)
}

// newDeserializer knows the deserializers of org.apache.kafka.common.serialization.
func newDeserializer(class string) (deserializer, bool) {
	const pkg = "org.apache.kafka.common.serialization."
	fixed := func(name string, size int, render func([]byte) string) deserializer {
		return func(_ string, d []byte) (string, error) {
			if len(d) != size {
				return "", serializationError("Size of data received by %s is not %d", name, size)
			}
			return render(d), nil
		}
	}
	switch strings.TrimPrefix(class, pkg) {
	case "StringDeserializer":
		return func(_ string, d []byte) (string, error) { return string(d), nil }, true
	case "ByteArrayDeserializer":
		// byte[].toString(): type tag and identity hash.
		return func(_ string, d []byte) (string, error) {
			h := fnv.New32a()
			h.Write(d)
			return fmt.Sprintf("[B@%x", h.Sum32()), nil
		}, true
	case "BytesDeserializer":
		return func(_ string, d []byte) (string, error) { return bytesToString(d), nil }, true
	case "LongDeserializer":
		return fixed("LongDeserializer", 8, func(d []byte) string {
			return strconv.FormatInt(int64(binary.BigEndian.Uint64(d)), 10)
		}), true
	case "IntegerDeserializer":
		return fixed("IntegerDeserializer", 4, func(d []byte) string {
			return strconv.Itoa(int(int32(binary.BigEndian.Uint32(d))))
		}), true
	case "ShortDeserializer":
		return fixed("ShortDeserializer", 2, func(d []byte) string {
			return strconv.Itoa(int(int16(binary.BigEndian.Uint16(d))))
		}), true
	case "DoubleDeserializer":
		return fixed("DoubleDeserializer", 8, func(d []byte) string {
			return javaDouble(math.Float64frombits(binary.BigEndian.Uint64(d)))
		}), true
	case "FloatDeserializer":
		return fixed("FloatDeserializer", 4, func(d []byte) string {
			return javaDouble(float64(math.Float32frombits(binary.BigEndian.Uint32(d))))
		}), true
	case "UUIDDeserializer":
		return func(_ string, d []byte) (string, error) { return string(d), nil }, true
	case "VoidDeserializer":
		return func(_ string, d []byte) (string, error) {
			if d != nil {
				return "", newJavaError("java.lang.IllegalArgumentException", "Data should be null for a VoidDeserializer.")
			}
			return "null", nil
		}, true
	}
	return nil, false
}

// bytesToString is org.apache.kafka.common.utils.Bytes.toString: printable ASCII as is,
// everything else as \xNN.
func bytesToString(d []byte) string {
	var b strings.Builder
	for _, c := range d {
		if c >= ' ' && c <= '~' && c != '\\' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "\\x%02X", c)
		}
	}
	return b.String()
}

// javaDouble renders a double as Double.toString does for common values.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-3 || a >= 1e7) {
		s := strconv.FormatFloat(f, 'E', -1, 64)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		exp = strings.TrimPrefix(exp, "+")
		neg := strings.HasPrefix(exp, "-")
		exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
		if neg {
			exp = "-" + exp
		}
		return mant + "E" + exp
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// offsetsMessageFormatter is GroupMetadataManager$OffsetsMessageFormatter: for each offset
// commit record of __consumer_offsets, "[group,topic,partition]::OffsetAndMetadata(...)" or
// "::NULL" for a tombstone; group metadata records are skipped.
type offsetsMessageFormatter struct{}

func (offsetsMessageFormatter) configure(map[string]string) error { return nil }

type byteReader struct {
	b   []byte
	err bool
}

func (r *byteReader) take(n int) []byte {
	if r.err || n < 0 || len(r.b) < n {
		r.err = true
		return make([]byte, max(n, 0))
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}
func (r *byteReader) i16() int16  { return int16(binary.BigEndian.Uint16(r.take(2))) }
func (r *byteReader) i32() int32  { return int32(binary.BigEndian.Uint32(r.take(4))) }
func (r *byteReader) i64() int64  { return int64(binary.BigEndian.Uint64(r.take(8))) }
func (r *byteReader) str() string { return string(r.take(int(r.i16()))) }

func (offsetsMessageFormatter) writeTo(rec consumedRecord, w io.Writer) error {
	if rec.Key == nil {
		return nil
	}
	k := &byteReader{b: rec.Key}
	version := k.i16()
	if version != 0 && version != 1 {
		return nil // group metadata key (version 2)
	}
	group, topic, partition := k.str(), k.str(), k.i32()
	if k.err {
		return serializationError("Found unknown message key version %d", version)
	}
	value := "NULL"
	if rec.Value != nil {
		v := &byteReader{b: rec.Value}
		vv := v.i16()
		offset := v.i64()
		leaderEpoch := "Optional.empty"
		if vv >= 3 {
			if e := v.i32(); e >= 0 {
				leaderEpoch = fmt.Sprintf("Optional[%d]", e)
			}
		}
		metadata := v.str()
		commit := v.i64()
		expire := "None"
		if vv == 1 {
			if x := v.i64(); x != -1 {
				expire = fmt.Sprintf("Some(%d)", x)
			}
		}
		if v.err || vv < 0 || vv > 3 {
			return newJavaError("java.lang.IllegalStateException", "Unknown offset message version %d", vv)
		}
		value = fmt.Sprintf("OffsetAndMetadata(offset=%d, leaderEpoch=%s, metadata=%s, commitTimestamp=%d, expireTimestamp=%s)",
			offset, leaderEpoch, metadata, commit, expire)
	}
	_, err := fmt.Fprintf(w, "[%s,%s,%d]::%s\n", group, topic, partition, value)
	return err
}
