package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ParseProperties reads the java.util.Properties text format: '#' and '!' comment lines, keys
// separated from values by '=', ':' or whitespace, backslash line continuation and backslash
// escapes (\t \n \r \f \uXXXX; any other escaped character stands for itself). A later
// duplicate key replaces an earlier one, as Properties.load does.
//
// Java reads .properties streams as ISO-8859-1. Files written today are almost always UTF-8, so
// input that is valid UTF-8 is taken as such and anything else falls back to ISO-8859-1.
func ParseProperties(r io.Reader) (Properties, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("config: read properties: %w", err)
	}
	text := decodeText(raw)
	props := Properties{}
	lines := splitNaturalLines(text)
	for i := 0; i < len(lines); i++ {
		line := trimLeadingSpace(lines[i])
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue // a comment never continues onto the next line, even with a trailing '\'
		}
		// Join continuation lines: an odd number of trailing backslashes escapes the newline.
		var logical strings.Builder
		for {
			if !endsWithOddBackslashes(line) {
				logical.WriteString(line)
				break
			}
			logical.WriteString(line[:len(line)-1])
			i++
			if i >= len(lines) {
				break
			}
			line = trimLeadingSpace(lines[i])
		}
		key, value, err := splitKeyValue(logical.String())
		if err != nil {
			return nil, fmt.Errorf("config: properties line %d: %w", i+1, err)
		}
		props[key] = value
	}
	return props, nil
}

// LoadProperties parses the properties file at path.
func LoadProperties(path string) (Properties, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: load %s: %w", path, err)
	}
	defer f.Close()
	p, err := ParseProperties(f)
	if err != nil {
		return nil, fmt.Errorf("config: load %s: %w", path, err)
	}
	return p, nil
}

// Clone returns an independent copy, so callers can layer --override values on a loaded file.
func (p Properties) Clone() Properties {
	out := make(Properties, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

func decodeText(raw []byte) string {
	if utf8.Valid(raw) {
		return string(raw)
	}
	var b strings.Builder
	b.Grow(len(raw))
	for _, c := range raw {
		b.WriteRune(rune(c))
	}
	return b.String()
}

// splitNaturalLines splits on \n, \r and \r\n, the three terminators Java accepts.
func splitNaturalLines(s string) []string {
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 0, 64*1024), len(s)+1)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if atEOF && len(data) == 0 {
			return 0, nil, nil
		}
		if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
			if data[i] == '\r' {
				if i+1 < len(data) {
					if data[i+1] == '\n' {
						return i + 2, data[:i], nil
					}
					return i + 1, data[:i], nil
				}
				if !atEOF {
					return 0, nil, nil // need one more byte to tell \r from \r\n
				}
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	var out []string
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func isPropSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

func trimLeadingSpace(s string) string {
	i := 0
	for i < len(s) && isPropSpace(s[i]) {
		i++
	}
	return s[i:]
}

func endsWithOddBackslashes(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitKeyValue finds the end of the key (first unescaped '=', ':' or whitespace), skips the
// separator and surrounding whitespace, and unescapes both halves. Trailing whitespace of the
// value is kept, as Java does; typed parsing trims it later.
func splitKeyValue(line string) (string, string, error) {
	keyEnd := len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++ // the escaped character belongs to the key
			continue
		}
		if c == '=' || c == ':' || isPropSpace(c) {
			keyEnd = i
			break
		}
	}
	rest := trimLeadingSpace(line[keyEnd:])
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = trimLeadingSpace(rest[1:])
	}
	key, err := unescape(line[:keyEnd])
	if err != nil {
		return "", "", err
	}
	value, err := unescape(rest)
	if err != nil {
		return "", "", err
	}
	return key, value, nil
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, "\\") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			break // a lone trailing backslash escapes nothing
		}
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, ok := hexRune(s, i+1)
			if !ok {
				return "", errMalformedUnicode
			}
			i += 4
			// Java strings are UTF-16, so characters outside the BMP arrive as two escapes.
			if utf16.IsSurrogate(r) && i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				if lo, ok := hexRune(s, i+3); ok {
					if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
						r = pair
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			// Multi-byte UTF-8 characters pass through byte by byte, which is still correct.
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

var errMalformedUnicode = errors.New("Malformed \\uxxxx encoding.")

// hexRune decodes the four hex digits at s[at:at+4].
func hexRune(s string, at int) (rune, bool) {
	if at+4 > len(s) {
		return 0, false
	}
	var r rune
	for i := at; i < at+4; i++ {
		d, ok := hexDigit(s[i])
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// WithOverrides returns a copy of p with kafka-server-start's `--override key=value` arguments
// applied. Only the first '=' separates; a missing value means the empty string, as Kafka's
// CommandLineUtils.parseKeyValueArgs allows for overrides.
func (p Properties) WithOverrides(args []string) Properties {
	out := p.Clone()
	for _, a := range args {
		if a == "" {
			continue
		}
		k, v, _ := strings.Cut(a, "=")
		out[k] = v
	}
	return out
}
