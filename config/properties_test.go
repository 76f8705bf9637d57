package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Properties
	}{
		{"equals", "a=b\n", Properties{"a": "b"}},
		{"colon", "a:b", Properties{"a": "b"}},
		{"whitespace separator", "a b", Properties{"a": "b"}},
		{"spaces around separator", "a  =   b", Properties{"a": "b"}},
		{"tab and formfeed", "\ta\f=\tb", Properties{"a": "b"}},
		{"only first separator counts", "a=b=c:d", Properties{"a": "b=c:d"}},
		{"whitespace then equals", "a = = b", Properties{"a": "= b"}},
		{"trailing whitespace kept", "a=b  ", Properties{"a": "b  "}},
		{"key only", "a", Properties{"a": ""}},
		{"key and separator only", "a=", Properties{"a": ""}},
		{"hash comment", "# a=b\nc=d", Properties{"c": "d"}},
		{"bang comment", "! a=b\nc=d", Properties{"c": "d"}},
		{"indented comment", "   # a=b\nc=d", Properties{"c": "d"}},
		{"hash inside value", "a=b#c", Properties{"a": "b#c"}},
		{"blank lines", "\n\n  \na=b\n\n", Properties{"a": "b"}},
		{"last wins", "a=1\na=2", Properties{"a": "2"}},
		{"crlf", "a=1\r\nb=2\r\n", Properties{"a": "1", "b": "2"}},
		{"cr only", "a=1\rb=2", Properties{"a": "1", "b": "2"}},
		{"continuation", "a=one,\\\n    two,\\\n\tthree", Properties{"a": "one,two,three"}},
		{"continuation across crlf", "a=x\\\r\n  y", Properties{"a": "xy"}},
		{"even backslashes do not continue", "a=x\\\\\nb=y", Properties{"a": "x\\", "b": "y"}},
		{"continuation at eof", "a=x\\", Properties{"a": "x"}},
		{"comment does not continue", "# c \\\na=b", Properties{"a": "b"}},
		{"continued line starting with hash is data", "a=x\\\n#y", Properties{"a": "x#y"}},
		{"escaped separator in key", "a\\=b=c", Properties{"a=b": "c"}},
		{"escaped colon and space in key", "a\\:b\\ c d", Properties{"a:b c": "d"}},
		{"escapes", `a=\t\n\r\f\\\q`, Properties{"a": "\t\n\r\f\\q"}},
		{"unicode escape", `a=caf\u00e9`, Properties{"a": "café"}},
		{"surrogate pair", `a=\ud83d\ude00`, Properties{"a": "😀"}},
		{"utf8 passthrough", "a=naïve", Properties{"a": "naïve"}},
		{"latin1 fallback", "a=caf\xe9", Properties{"a": "café"}},
		{"windows path", `log.dirs=C:\\kafka\\logs`, Properties{"log.dirs": `C:\kafka\logs`}},
		{"empty input", "", Properties{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ParseProperties(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseProperties(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePropertiesMalformedUnicode(t *testing.T) {
	for _, in := range []string{`a=\u12`, `a=\uzzzz`, `\u00=b`} {
		_, err := ParseProperties(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), `Malformed \uxxxx encoding.`) {
			t.Errorf("ParseProperties(%q) error = %v, want malformed encoding", in, err)
		}
	}
}

func TestLoadProperties(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.properties")
	if err := os.WriteFile(path, []byte("broker.id=7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadProperties(path)
	if err != nil {
		t.Fatal(err)
	}
	if p["broker.id"] != "7" {
		t.Fatalf("broker.id = %q", p["broker.id"])
	}
	_, err = LoadProperties(filepath.Join(dir, "missing.properties"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file error = %v, want ErrNotExist", err)
	}
}

func TestPropertiesClone(t *testing.T) {
	p := Properties{"a": "1"}
	c := p.Clone()
	c["a"] = "2"
	if p["a"] != "1" {
		t.Fatal("Clone shares storage with the original")
	}
}

// FuzzParseProperties checks the parser never panics and that whatever it accepts is stable
// once written back in key=value form with escapes.
func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{"a=b", "a\\\n b", `\u0041=\u00`, "#x\\\ny", "a:b\r\nc d", "\\", "=", ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseProperties(strings.NewReader(in))
		if err != nil {
			return
		}
		var b strings.Builder
		for k, v := range p {
			b.WriteString(escapeForTest(k, true) + "=" + escapeForTest(v, false) + "\n")
		}
		again, err := ParseProperties(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("re-parse of %q failed: %v", b.String(), err)
		}
		if !reflect.DeepEqual(p, again) {
			t.Fatalf("round trip changed %#v into %#v", p, again)
		}
	})
}

func escapeForTest(s string, key bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\f':
			b.WriteString(`\f`)
		case key && (r == '=' || r == ':' || r == ' ' || r == '#' || r == '!'):
			b.WriteByte('\\')
			b.WriteRune(r)
		case !key && i == 0 && r == ' ':
			b.WriteString(`\ `)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
