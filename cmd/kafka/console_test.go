package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/kafka-classic/kafka-classic/config"
)

func format(t *testing.T, props map[string]string, r consumedRecord) string {
	t.Helper()
	f := newDefaultMessageFormatter()
	if err := f.configure(props); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.writeTo(r, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestDefaultMessageFormatter(t *testing.T) {
	rec := consumedRecord{Topic: "t", Partition: 0, Offset: 3, Timestamp: 1614556800123, TimestampType: 0,
		Key: []byte("key"), Value: []byte("value")}
	all := map[string]string{"print.timestamp": "true", "print.partition": "true", "print.offset": "true", "print.key": "true"}
	for _, tc := range []struct {
		props map[string]string
		rec   consumedRecord
		want  string
	}{
		{nil, rec, "value\n"},
		{map[string]string{"print.key": "true"}, rec, "key\tvalue\n"},
		{all, rec, "CreateTime:1614556800123\tPartition:0\tOffset:3\tkey\tvalue\n"},
		{map[string]string{"print.key": "true", "key.separator": " => ", "line.separator": "|"}, rec, "key => value|"},
		{map[string]string{"print.key": "true", "print.value": "false"}, rec, "key\n"},
		{map[string]string{"print.value": "false"}, rec, ""},
		{map[string]string{"print.timestamp": "TRUE ", "print.value": "false"}, rec, "CreateTime:1614556800123\n"},
		{map[string]string{"print.key": "true"}, consumedRecord{Key: nil, Value: nil}, "null\tnull\n"},
		{map[string]string{"print.key": "true", "null.literal": "<nil>"}, consumedRecord{Value: []byte("v")}, "<nil>\tv\n"},
		{map[string]string{"print.timestamp": "true"}, consumedRecord{Timestamp: 5, TimestampType: 1, Value: []byte("v")}, "LogAppendTime:5\tv\n"},
		{map[string]string{"print.timestamp": "true"}, consumedRecord{Timestamp: -1, TimestampType: -1, Value: []byte("v")}, "NO_TIMESTAMP\tv\n"},
		{map[string]string{"print.headers": "true"}, consumedRecord{Value: []byte("v")}, "NO_HEADERS\tv\n"},
		{map[string]string{"print.headers": "true", "headers.separator": ";"},
			consumedRecord{Value: []byte("v"), Headers: []recordHeader{{"h1", []byte("a")}, {"h2", nil}}}, "h1:a;h2:null\tv\n"},
		{map[string]string{"print.offset": "true", "print.partition": "true"}, consumedRecord{Partition: 7, Offset: 42, Value: []byte("v")}, "Partition:7\tOffset:42\tv\n"},
		{map[string]string{"value.deserializer": "org.apache.kafka.common.serialization.LongDeserializer"},
			consumedRecord{Value: []byte{0, 0, 0, 0, 0, 0, 1, 0}}, "256\n"},
		{map[string]string{"value.deserializer": "org.apache.kafka.common.serialization.IntegerDeserializer"},
			consumedRecord{Value: []byte{0xff, 0xff, 0xff, 0xfe}}, "-2\n"},
		{map[string]string{"value.deserializer": "org.apache.kafka.common.serialization.BytesDeserializer"},
			consumedRecord{Value: []byte("a\x00\\")}, "a\\x00\\x5C\n"},
		{map[string]string{"value.deserializer": "org.apache.kafka.common.serialization.DoubleDeserializer"},
			consumedRecord{Value: []byte{0x3f, 0xf8, 0, 0, 0, 0, 0, 0}}, "1.5\n"},
	} {
		if got := format(t, tc.props, tc.rec); got != tc.want {
			t.Errorf("%v: got %q want %q", tc.props, got, tc.want)
		}
	}
	f := newDefaultMessageFormatter()
	_ = f.configure(map[string]string{"value.deserializer": "org.apache.kafka.common.serialization.LongDeserializer"})
	err := f.writeTo(consumedRecord{Value: []byte("abc")}, &bytes.Buffer{})
	if err == nil || err.(*javaError).String() != "org.apache.kafka.common.errors.SerializationException: Size of data received by LongDeserializer is not 8" {
		t.Errorf("bad long: %v", err)
	}
	if err := newDefaultMessageFormatter().configure(map[string]string{"key.deserializer": "com.example.Nope"}); err == nil ||
		err.(*javaError).String() != "java.lang.ClassNotFoundException: com.example.Nope" {
		t.Errorf("unknown deserializer: %v", err)
	}
}

func TestJavaDouble(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 0.5: "0.5", 1e7: "1.0E7", 1.25e-4: "1.25E-4", 123456.789: "123456.789"} {
		if got := javaDouble(f); got != want {
			t.Errorf("%v: %q want %q", f, got, want)
		}
	}
}

func TestConsumerArgChecks(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bootstrap-server", "b:9092"}, "Exactly one of whitelist/topic is required."},
		{[]string{"--bootstrap-server", "b:9092", "--topic", "t", "--whitelist", "x"}, "Exactly one of whitelist/topic is required."},
		{[]string{"--bootstrap-server", "b:9092", "--whitelist", "x", "--partition", "0"}, "The topic is required when partition is specified."},
		{[]string{"--bootstrap-server", "b:9092", "--topic", "t", "--partition", "0", "--offset", "1", "--from-beginning"}, "Options from-beginning and offset cannot be specified together."},
		{[]string{"--bootstrap-server", "b:9092", "--topic", "t", "--offset", "1"}, "The partition is required when offset is specified."},
		{[]string{"--bootstrap-server", "b:9092", "--topic", "t", "--partition", "0", "--offset", "-5"},
			"The provided offset value '-5' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."},
		{[]string{"--bootstrap-server", "b:9092", "--topic", "t", "--partition", "0", "--offset", "Soon"},
			"The provided offset value 'soon' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."},
		{[]string{"--topic", "t"}, `Missing required argument "[bootstrap-server]"`},
		{[]string{"--bootstrap-server", "b:9092", "--topic", "t", "--group", "g", "--partition", "0"}, "Options group and partition cannot be specified together."},
		{[]string{"--bootstrap-server", "b:9092", "--topic", "t", "--group", "g", "--consumer-property", "group.id=h"},
			"The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: 'g', 'h'"},
		{[]string{"--bootstrap-server", "b:9092", "--topic", "t", "--nope"}, "nope is not a recognized option"},
	} {
		out, errOut, code := runIn(t, "kafka-console-consumer", "", tc.args...)
		if code != 1 || out != "" || firstLine(errOut) != tc.want || !strings.Contains(errOut, "\nOption ") {
			t.Errorf("%q: exit %d stdout %q stderr first line %q, want %q with usage", tc.args, code, out, firstLine(errOut), tc.want)
		}
	}
	_, errOut, code := runIn(t, "kafka-console-consumer", "", "--bootstrap-server", "b:9092", "--topic", "t", "--from-beginning",
		"--consumer-property", "auto.offset.reset=latest")
	if code != 1 || errOut != "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', please remove one option\n" {
		t.Errorf("reset conflict: %d %q", code, errOut)
	}
	_, errOut, code = runIn(t, "kafka-console-consumer", "", "--bootstrap-server", "b:9092", "--topic", "t", "--formatter", "x.Y")
	if code != 1 || errOut != "Exception in thread \"main\" java.lang.ClassNotFoundException: x.Y\n" {
		t.Errorf("formatter: %d %q", code, errOut)
	}
}

func TestConsumerSettings(t *testing.T) {
	var out, errb bytes.Buffer
	e := &env{Stdout: &out, Stderr: &errb}
	cs, err := parseConsumerArgs(e, []string{"--bootstrap-server", "b:9092", "--topic", "t"})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^console-consumer-\d{1,5}$`).MatchString(cs.props["group.id"]) || cs.groupGiven {
		t.Errorf("generated group %q given=%v", cs.props["group.id"], cs.groupGiven)
	}
	want := config.Properties{"group.id": cs.props["group.id"], "enable.auto.commit": "false", "auto.offset.reset": "latest",
		"bootstrap.servers": "b:9092", "client.id": "console-consumer", "isolation.level": "read_uncommitted"}
	if !equalProps(cs.props, want) {
		t.Errorf("props %v", cs.props)
	}
	cs, err = parseConsumerArgs(e, []string{"--bootstrap-server", "b:9092", "--whitelist", "a.*", "--from-beginning",
		"--consumer-property", "group.id=my-group", "--max-messages", "10", "--timeout-ms", "500"})
	if err != nil {
		t.Fatal(err)
	}
	if !cs.groupGiven || cs.props["group.id"] != "my-group" || cs.props["auto.offset.reset"] != "earliest" ||
		hasKey(cs.props, "enable.auto.commit") || cs.maxMessages != 10 || cs.timeout.Milliseconds() != 500 || cs.offset != earliestTimestamp {
		t.Errorf("settings %+v", cs)
	}
	cs, err = parseConsumerArgs(e, []string{"--bootstrap-server", "b:9092", "--topic", "t", "--partition", "2", "--offset", "17"})
	if err != nil || *cs.partition != 2 || cs.offset != 17 {
		t.Errorf("partition settings %+v %v", cs, err)
	}
}

func equalProps(a, b config.Properties) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestLineMessageReader(t *testing.T) {
	r := newLineMessageReader(strings.NewReader("k1\tv1\r\nk2\t\nnokey\n"), map[string]string{"topic": "t", "parse.key": "true"})
	rec, err := r.readMessage()
	if err != nil || string(rec.Key) != "k1" || string(rec.Value) != "v1" || rec.Topic != "t" {
		t.Fatalf("first: %+v %v", rec, err)
	}
	rec, err = r.readMessage()
	if err != nil || string(rec.Key) != "k2" || rec.Value == nil || len(rec.Value) != 0 {
		t.Fatalf("second: %+v %v", rec, err)
	}
	_, err = r.readMessage()
	if err == nil || err.(*javaError).String() != "org.apache.kafka.common.KafkaException: No key found on line 3: nokey" {
		t.Fatalf("third: %v", err)
	}

	r = newLineMessageReader(strings.NewReader("a:b:c\nplain\nlast"), map[string]string{"topic": "t", "parse.key": "true", "key.separator": ":", "ignore.error": "true"})
	var got []string
	for {
		rec, err := r.readMessage()
		if err != nil {
			t.Fatal(err)
		}
		if rec == nil {
			break
		}
		key := "null"
		if rec.Key != nil {
			key = string(rec.Key)
		}
		got = append(got, key+"="+string(rec.Value))
	}
	if strings.Join(got, ",") != "a=b:c,null=plain,null=last" {
		t.Errorf("got %q", got)
	}

	var prompt bytes.Buffer
	r = newLineMessageReader(strings.NewReader("x\n"), map[string]string{"topic": "t"})
	r.prompt, r.out = true, &prompt
	for rec, _ := r.readMessage(); rec != nil; rec, _ = r.readMessage() {
	}
	if prompt.String() != ">>" {
		t.Errorf("prompt %q", prompt.String())
	}
}

func TestProducerArgChecks(t *testing.T) {
	_, errOut, code := runIn(t, "kafka-console-producer", "", "--topic", "t")
	if code != 1 || firstLine(errOut) != "Missing required option(s) [bootstrap-server]" {
		t.Errorf("missing bootstrap: %d %q", code, firstLine(errOut))
	}
	_, errOut, code = runIn(t, "kafka-console-producer", "", "--bootstrap-server", "b:9092")
	if code != 1 || firstLine(errOut) != `Missing required argument "[topic]"` {
		t.Errorf("missing topic: %d %q", code, firstLine(errOut))
	}
	_, errOut, code = runIn(t, "kafka-console-producer", "", "--bootstrap-server", "localhost", "--topic", "t")
	if code != 1 || !strings.HasPrefix(errOut, "Please provide valid host:port like host1:9091,host2:9092\n \nOption ") {
		t.Errorf("bad host:port: %d %q", code, errOut)
	}
	_, errOut, code = runIn(t, "kafka-console-producer", "", "--bootstrap-server", "b:9092", "--topic", "t", "--batch-size", "x")
	if code != 1 || errOut != "Cannot parse argument 'x' of option batch-size\n" {
		t.Errorf("bad integer: %d %q", code, errOut)
	}
	_, errOut, code = runIn(t, "kafka-console-producer", "", "--bootstrap-server", "b:9092", "--topic", "t", "--request-required-acks", "2")
	if code != 1 || errOut != "org.apache.kafka.common.config.ConfigException: Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1\n" {
		t.Errorf("bad acks: %d %q", code, errOut)
	}
	_, errOut, code = runIn(t, "kafka-console-producer", "", "--bootstrap-server", "b:9092", "--topic", "t", "--compression-codec", "brotli")
	if code != 1 || errOut != "org.apache.kafka.common.config.ConfigException: Invalid value brotli for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd\n" {
		t.Errorf("bad codec: %d %q", code, errOut)
	}
}

func TestMaybeMerge(t *testing.T) {
	o := newProducerOptions([]string{"x"})
	s, err := o.Parse([]string{"--topic", "t", "--broker-list", "b:1", "--timeout", "5"})
	if err != nil {
		t.Fatal(err)
	}
	props := config.Properties{"acks": "all", "linger.ms": "100"}
	maybeMerge(props, "acks", s, o.requestRequiredAcks)      // file wins over the default
	maybeMerge(props, "linger.ms", s, o.sendTimeout)         // explicit option wins over the file
	maybeMerge(props, "retries", s, o.messageSendMaxRetries) // default fills a gap
	if props["acks"] != "all" || props["linger.ms"] != "5" || props["retries"] != "3" {
		t.Errorf("props %v", props)
	}
}

func TestServerStartUsage(t *testing.T) {
	out, errOut, code := runIn(t, "kafka-server-start", "")
	if code != 1 || out != "USAGE: bin/kafka-server-start.sh [-daemon] server.properties [--override property=value]*\n" || errOut != "" {
		t.Errorf("usage: %d %q %q", code, out, errOut)
	}
	out, _, code = runIn(t, "zookeeper-server-start", "")
	if code != 1 || out != "USAGE: bin/zookeeper-server-start.sh [-daemon] zookeeper.properties\n" {
		t.Errorf("zk usage: %d %q", code, out)
	}
	_, errOut, code = runIn(t, "kafka-server-start", "", "--help")
	if code != 1 || !strings.HasPrefix(errOut, "USAGE: java [options] KafkaServer server.properties [--override property=value]*\nOption") ||
		!strings.Contains(errOut, "--override <String>") {
		t.Errorf("--help: %d %q", code, errOut)
	}
}

func TestBrokerPropsFromArgs(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/server.properties"
	if err := writeFile(path, "broker.id=0\nlog.dirs=/tmp/a\n"); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	e := &env{Stdout: &out, Stderr: &errb}
	props, err := brokerPropsFromArgs(e, []string{path, "--override", "broker.id=3", "--override=log.dirs=/tmp/b"})
	if err != nil {
		t.Fatal(err)
	}
	if props["broker.id"] != "3" || props["log.dirs"] != "/tmp/b" {
		t.Errorf("props %v", props)
	}
	_, err = brokerPropsFromArgs(e, []string{path, "extra"})
	if err == nil || !strings.HasPrefix(errb.String(), "Found non argument parameters: extra\n") {
		t.Errorf("non-option: %v %q", err, errb.String())
	}
	out.Reset()
	_, err = brokerPropsFromArgs(e, []string{dir + "/missing.properties"})
	if err == nil || !strings.Contains(out.String(), "ERROR Exiting Kafka due to fatal exception (kafka.Kafka$)\njava.nio.file.NoSuchFileException: "+dir+"/missing.properties\n") {
		t.Errorf("missing file: %v %q", err, out.String())
	}
}

func TestZookeeperCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := dir + "/zookeeper.properties"
	if err := writeFile(cfg, "dataDir="+dir+"/data\nclientPort=2181\nadmin.enableServer=false\n"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LOG_DIR", dir+"/logs")
	t.Setenv("KAFKA_HEAP_OPTS", "-Xmx64m")
	argv, err := zookeeperCommand("/usr/bin/java", []string{cfg})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(argv, " ")
	for _, want := range []string{"/usr/bin/java -Xmx64m -Dkafka.logs.dir=" + dir + "/logs ", "-Dzookeeper.admin.enableServer=false",
		"-cp " + zkJar, zkMainCls + " " + cfg} {
		if !strings.Contains(joined, want) {
			t.Errorf("argv %q lacks %q", joined, want)
		}
	}
	if err := prepareZkDataDir(cfg); err != nil {
		t.Fatal(err)
	}
	if !fileExists(dir + "/data") {
		t.Error("dataDir not created")
	}
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }

func TestOffsetsMessageFormatter(t *testing.T) {
	be16 := func(v int16) []byte { return []byte{byte(v >> 8), byte(v)} }
	be32 := func(v int32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }
	be64 := func(v int64) []byte { return append(be32(int32(v>>32)), be32(int32(v))...) }
	str := func(s string) []byte { return append(be16(int16(len(s))), s...) }
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	key := cat(be16(1), str("my-group"), str("orders"), be32(2))
	v3 := cat(be16(3), be64(42), be32(5), str(""), be64(1614556800000))
	v1 := cat(be16(1), be64(7), str("meta"), be64(100), be64(200))
	f, ok := newMessageFormatter("kafka.coordinator.group.GroupMetadataManager$OffsetsMessageFormatter")
	if !ok {
		t.Fatal("formatter not known")
	}
	var b bytes.Buffer
	for _, r := range []consumedRecord{
		{Key: key, Value: v3},
		{Key: key, Value: v1},
		{Key: key, Value: nil},
		{Key: cat(be16(2), str("my-group")), Value: []byte{0, 3}},
	} {
		if err := f.writeTo(r, &b); err != nil {
			t.Fatal(err)
		}
	}
	want := "[my-group,orders,2]::OffsetAndMetadata(offset=42, leaderEpoch=Optional[5], metadata=, commitTimestamp=1614556800000, expireTimestamp=None)\n" +
		"[my-group,orders,2]::OffsetAndMetadata(offset=7, leaderEpoch=Optional.empty, metadata=meta, commitTimestamp=100, expireTimestamp=Some(200))\n" +
		"[my-group,orders,2]::NULL\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
