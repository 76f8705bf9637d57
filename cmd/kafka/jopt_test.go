package main

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

// runIn runs a tool in-process and returns stdout, stderr and the exit status.
func runIn(t *testing.T, name string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	tl, ok := tools[name]
	if !ok {
		t.Fatalf("no tool %s", name)
	}
	var out, errb bytes.Buffer
	e := &env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Name: name + ".sh", Argv0: "bin/" + name + ".sh"}
	code := runTool(tl, e, args)
	return out.String(), errb.String(), code
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func TestParseForms(t *testing.T) {
	p := NewParser()
	topic := p.Accepts("topic", "").WithRequiredArg()
	cfg := p.Accepts("config", "").WithRequiredArg()
	list := p.Accepts("list", "")
	codec := p.Accepts("compression-codec", "").WithOptionalArg()
	s, err := p.Parse([]string{"--topic", "--list", "--config=a=b", "-config", "c=d", "--li", "pos", "--compression-codec", "--", "--topic"})
	if err != nil {
		t.Fatal(err)
	}
	// A required argument takes the next token even when it looks like an option.
	if got := s.ValueOf(topic); got != "--list" {
		t.Errorf("topic = %q", got)
	}
	if got := s.ValuesOf(cfg); !reflect.DeepEqual(got, []string{"a=b", "c=d"}) {
		t.Errorf("config = %q", got)
	}
	if !s.Has(list) {
		t.Error("abbreviation --li not recognised as --list")
	}
	if !s.Has(codec) || s.HasValue(codec) {
		t.Errorf("optional argument: has=%v value=%v", s.Has(codec), s.ValuesOf(codec))
	}
	if !reflect.DeepEqual(s.NonOptions, []string{"pos", "--topic"}) {
		t.Errorf("non-options = %q", s.NonOptions)
	}

	s, err = p.Parse([]string{"--compression-codec", "lz4"})
	if err != nil || s.ValueOf(codec) != "lz4" {
		t.Errorf("optional with value: %v %q", err, s.ValueOf(codec))
	}
}

func TestParseErrors(t *testing.T) {
	p := NewParser()
	p.Accepts("topic", "").WithRequiredArg()
	p.Accepts("topics-with-overrides", "")
	n := p.Accepts("partitions", "").WithRequiredArg().OfType("Integer")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--foo"}, "foo is not a recognized option"},
		{[]string{"--foo=bar"}, "foo is not a recognized option"},
		{[]string{"--topic"}, "Option topic requires an argument"},
		{[]string{"--top", "x"}, "top is not a recognized option"}, // ambiguous prefix
		{[]string{"-x"}, "x is not a recognized option"},
	} {
		_, err := p.Parse(tc.args)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	s, err := p.Parse([]string{"--partitions", "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.IntValueOf(n); err == nil || err.Error() != "Cannot parse argument 'abc' of option partitions" {
		t.Errorf("conversion error = %v", err)
	}
}

func TestRequiredUnless(t *testing.T) {
	o := newProducerOptions([]string{"x"})
	if _, err := o.Parse([]string{"--topic", "t"}); err == nil || err.Error() != "Missing required option(s) [bootstrap-server]" {
		t.Errorf("err = %v", err)
	}
	if _, err := o.Parse([]string{"--broker-list", "h:1"}); err != nil {
		t.Errorf("broker-list should waive bootstrap-server: %v", err)
	}
	if _, err := o.Parse([]string{"--help"}); err != nil {
		t.Errorf("help should waive required options: %v", err)
	}
}

func TestLineBreakWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"The server(s) to", []string{"The ", "server", "(s) ", "to"}},
		{"with --create if", []string{"with ", "--", "create ", "if"}},
		{"the --bootstrap-server option", []string{"the ", "--", "bootstrap-", "server ", "option"}},
		{"e.g. \"x\"", []string{"e.", "g. ", "\"x\""}},
		{"HOST1:PORT1,HOST2:PORT2.", []string{"HOST1:", "PORT1,", "HOST2:", "PORT2."}},
		{"version 1.5 is", []string{"version ", "1.5 ", "is"}},
		{"a non-negative", []string{"a ", "non-", "negative"}},
	} {
		if got := lineBreakWords(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %q want %q", tc.in, got, tc.want)
		}
	}
}

// The help tables must match what Kafka 2.8.1 prints (captured from a real installation;
// trailing blanks trimmed there, so they are trimmed here too).
func TestHelpMatchesKafka(t *testing.T) {
	for _, tc := range []struct {
		tool   string
		golden string
	}{
		{"kafka-topics", "testdata/topics_help_2.8.1.txt"},
		{"kafka-console-producer", "testdata/console_producer_help_2.8.1.txt"},
		{"kafka-console-consumer", "testdata/console_consumer_help_2.8.1.txt"},
	} {
		want, err := os.ReadFile(tc.golden)
		if err != nil {
			t.Fatal(err)
		}
		out, errOut, code := runIn(t, tc.tool, "")
		if code != 1 || out != "" {
			t.Errorf("%s: exit %d, stdout %q", tc.tool, code, out)
		}
		if got := trimLines(errOut); got != string(want) {
			t.Errorf("%s help differs:\n%s", tc.tool, got)
		}
		// jopt pads both columns: every line is 39 + 2 + 39 wide unless a word overflows.
		for _, l := range strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")[1:] {
			if n := len([]rune(l)); n < 80 {
				t.Errorf("%s: line not padded to 80: %q", tc.tool, l)
				break
			}
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	out, errOut, code := runIn(t, "kafka-topics", "", "--help")
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "This tool helps to create, delete, describe, or change a topic.\nOption ") {
		t.Errorf("--help: exit %d stdout %q stderr %.80q", code, out, errOut)
	}
	out, errOut, code = runIn(t, "kafka-console-consumer", "", "--version")
	if code != 0 || out != "2.8.2\n" || errOut != "" {
		t.Errorf("--version: exit %d stdout %q stderr %q", code, out, errOut)
	}
	out, errOut, code = runIn(t, "kafka-console-producer", "", "--version")
	if code != 0 || out != "2.8.2\n" || errOut != "" {
		t.Errorf("producer --version: exit %d stdout %q stderr %q", code, out, errOut)
	}
}

func TestToolName(t *testing.T) {
	for in, want := range map[string]string{
		"kafka-topics.sh":                 "kafka-topics",
		"kafka-topics":                    "kafka-topics",
		"/opt/kafka/bin/kafka-topics.sh":  "kafka-topics",
		"bin/zookeeper-server-start":      "zookeeper-server-start",
		"/work/main/bin/.kafka":           ".kafka",
		"./kafka-console-consumer.sh.bak": "kafka-console-consumer.sh.bak",
	} {
		if got := toolName(in); got != want {
			t.Errorf("toolName(%q) = %q, want %q", in, got, want)
		}
	}
	for _, n := range []string{"kafka-server-start", "kafka-server-stop", "zookeeper-server-start", "zookeeper-server-stop",
		"kafka-topics", "kafka-console-producer", "kafka-console-consumer"} {
		if _, ok := tools[n]; !ok {
			t.Errorf("tool %s not registered", n)
		}
	}
}

func TestSwitchArgumentAndSingleValues(t *testing.T) {
	p := NewParser()
	list := p.Accepts("list", "")
	topic := p.Accepts("topic", "").WithRequiredArg()
	s, err := p.Parse([]string{"--list=ignored", "--topic", "a", "--topic", "b"})
	if err != nil || !s.Has(list) {
		t.Fatalf("switch with attached argument: %v", err)
	}
	if err := s.CheckSingle(topic); err == nil || err.Error() != "Found multiple arguments for option topic, but you asked for only one" {
		t.Errorf("CheckSingle = %v", err)
	}
	_, _, code := runIn(t, "kafka-topics", "", "--zookeeper", "z:1", "--list", "--topic", "a", "--topic", "b")
	if code != 1 {
		t.Errorf("exit %d", code)
	}
}

func TestJavaNodeAndAddress(t *testing.T) {
	if got := javaNodeID(-2147483648); got != -1 {
		t.Errorf("first seed = %d", got)
	}
	if got := javaNodeID(-2147483647); got != -2 {
		t.Errorf("second seed = %d", got)
	}
	if got := javaNodeID(3); got != 3 {
		t.Errorf("broker id = %d", got)
	}
	if got := javaSocketAddress("127.0.0.1", 9092); got != "/127.0.0.1:9092" {
		t.Errorf("literal address = %q", got)
	}
}
