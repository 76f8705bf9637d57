package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Kafka's tools parse their arguments with jopt-simple 5 and print help with its
// BuiltinHelpFormatter. Learners compare what they see against tutorials, so this file
// reproduces jopt's observable behaviour: long options only (`--opt value`, `--opt=value`,
// also `-opt` when the name is known), unambiguous abbreviations, repeatable options,
// required arguments that swallow the next token whatever it looks like, optional
// arguments that only take a token that does not look like an option, and jopt's
// exception messages.

type argKind int

const (
	noArg argKind = iota
	requiredArg
	optionalArg
)

// Opt is one option spec (jopt's OptionSpec). Its String form is jopt's "[name]", which
// Kafka pastes into messages such as `Missing required argument "[topic]"`.
type Opt struct {
	Name     string
	Desc     string
	kind     argKind
	argDesc  string
	typ      string // "String", "Integer", "Long", "Double"
	defaults []string
	forHelp  bool
}

func (o *Opt) String() string { return "[" + o.Name + "]" }

// WithRequiredArg makes the option take exactly one argument per occurrence.
func (o *Opt) WithRequiredArg() *Opt { o.kind = requiredArg; return o }

// WithOptionalArg makes the argument optional (`--compression-codec` alone is legal).
func (o *Opt) WithOptionalArg() *Opt { o.kind = optionalArg; return o }

// DescribedAs sets the argument hint shown as `<String: hint>`.
func (o *Opt) DescribedAs(s string) *Opt { o.argDesc = s; return o }

// OfType sets the Java type named in the help and checked on conversion.
func (o *Opt) OfType(t string) *Opt { o.typ = t; return o }

// DefaultsTo sets the value(s) returned when the option is absent; help shows "(default: x)".
func (o *Opt) DefaultsTo(v ...string) *Opt { o.defaults = v; return o }

// Parser is jopt's OptionParser.
type Parser struct {
	opts           []*Opt
	byName         map[string]*Opt
	requiredUnless map[string][]string // option -> options whose presence waives it
}

// NewParser returns a parser without any option. Kafka's CommandDefaultOptions add --help
// and --version; use NewToolParser for that.
func NewParser() *Parser {
	return &Parser{byName: map[string]*Opt{}, requiredUnless: map[string][]string{}}
}

// Accepts declares a switch; chain WithRequiredArg etc. to make it take a value.
func (p *Parser) Accepts(name, desc string) *Opt {
	o := &Opt{Name: name, Desc: desc, typ: "String"}
	p.opts = append(p.opts, o)
	p.byName[name] = o
	return o
}

// RequiredUnless mirrors jopt's requiredUnless: parsing fails unless one of the options
// named is present (help options excepted).
func (p *Parser) RequiredUnless(o *Opt, others ...string) {
	p.requiredUnless[o.Name] = others
}

// OptionError is a jopt OptionException; its message is jopt's wording.
type OptionError struct{ Msg string }

func (e *OptionError) Error() string { return e.Msg }

// OptionSet is the result of a parse (jopt's OptionSet).
type OptionSet struct {
	vals       map[*Opt][]string
	seen       map[*Opt]bool
	NonOptions []string
}

// Has reports whether the option appeared on the command line.
func (s *OptionSet) Has(o *Opt) bool { return s.seen[o] }

// ValueOf returns the first value given, else the first default, else "".
func (s *OptionSet) ValueOf(o *Opt) string {
	if v := s.vals[o]; len(v) > 0 {
		return v[0]
	}
	if len(o.defaults) > 0 {
		return o.defaults[0]
	}
	return ""
}

// HasValue reports whether the option was given with an argument (matters for optional
// arguments such as --compression-codec).
func (s *OptionSet) HasValue(o *Opt) bool { return len(s.vals[o]) > 0 }

// CheckSingle is what jopt's valueOf throws when an option meant to be read once was given
// several times.
func (s *OptionSet) CheckSingle(opts ...*Opt) error {
	for _, o := range opts {
		if len(s.vals[o]) > 1 {
			return &OptionError{Msg: fmt.Sprintf("Found multiple arguments for option %s, but you asked for only one", o.Name)}
		}
	}
	return nil
}

// ValuesOf returns every value given, or the defaults.
func (s *OptionSet) ValuesOf(o *Opt) []string {
	if v := s.vals[o]; len(v) > 0 {
		return v
	}
	return o.defaults
}

// IntValueOf converts like jopt's valueOf for an Integer option; the error message is
// jopt's OptionArgumentConversionException.
func (s *OptionSet) IntValueOf(o *Opt) (int64, error) {
	v := s.ValueOf(o)
	bits := 32
	if o.typ == "Long" {
		bits = 64
	}
	n, err := strconv.ParseInt(v, 10, bits)
	if err != nil {
		return 0, &OptionError{Msg: fmt.Sprintf("Cannot parse argument '%s' of option %s", v, o.Name)}
	}
	return n, nil
}

func (p *Parser) lookup(name string) (*Opt, bool) {
	if o, ok := p.byName[name]; ok {
		return o, true
	}
	// jopt accepts any unambiguous prefix of a long option.
	var found *Opt
	for _, o := range p.opts {
		if strings.HasPrefix(o.Name, name) {
			if found != nil {
				return nil, false
			}
			found = o
		}
	}
	return found, found != nil
}

// looksLikeOption is jopt's looksLikeAnOption; "--" counts (it ends the options).
func looksLikeOption(s string) bool {
	return len(s) > 1 && s[0] == '-'
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// Parse parses args the way jopt-simple does with abbreviations allowed and POSIX
// ordering off (options may follow non-option arguments).
func (p *Parser) Parse(args []string) (*OptionSet, error) {
	s := &OptionSet{vals: map[*Opt][]string{}, seen: map[*Opt]bool{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			s.NonOptions = append(s.NonOptions, args[i+1:]...)
			break
		}
		if !looksLikeOption(a) {
			s.NonOptions = append(s.NonOptions, a)
			continue
		}
		body := strings.TrimPrefix(a, "-")
		long := strings.HasPrefix(a, "--")
		if long {
			body = a[2:]
		}
		name, inline, hasInline := strings.Cut(body, "=")
		o, ok := p.lookup(name)
		if !ok {
			if long {
				return nil, &OptionError{Msg: name + " is not a recognized option"}
			}
			// A short-option cluster: jopt reports the first unknown character.
			for _, c := range body {
				if _, ok := p.lookup(string(c)); !ok {
					return nil, &OptionError{Msg: string(c) + " is not a recognized option"}
				}
			}
			return nil, &OptionError{Msg: body + " is not a recognized option"}
		}
		s.seen[o] = true
		switch o.kind {
		case noArg:
			// jopt silently drops an argument attached to a switch (--list=x).
		case requiredArg:
			if hasInline {
				s.vals[o] = append(s.vals[o], inline)
				continue
			}
			if i+1 >= len(args) {
				return nil, &OptionError{Msg: fmt.Sprintf("Option %s requires an argument", o.Name)}
			}
			i++
			s.vals[o] = append(s.vals[o], args[i])
		case optionalArg:
			if hasInline {
				s.vals[o] = append(s.vals[o], inline)
				continue
			}
			if i+1 < len(args) {
				next := args[i+1]
				if !looksLikeOption(next) || (o.typ != "String" && isNumber(next)) {
					i++
					s.vals[o] = append(s.vals[o], next)
				}
			}
		}
	}
	helpGiven := false
	for o := range s.seen {
		if o.forHelp {
			helpGiven = true
		}
	}
	if !helpGiven {
		var missing []string
		for _, o := range p.opts {
			others, ok := p.requiredUnless[o.Name]
			if !ok || s.seen[o] {
				continue
			}
			waived := false
			for _, n := range others {
				if oo, ok := p.byName[n]; ok && s.seen[oo] {
					waived = true
				}
			}
			if !waived {
				missing = append(missing, o.Name)
			}
		}
		if len(missing) > 0 {
			return nil, &OptionError{Msg: "Missing required option(s) [" + strings.Join(missing, ", ") + "]"}
		}
	}
	return s, nil
}

// ---------------------------------------------------------------------------------------
// Help, as jopt's BuiltinHelpFormatter(80, 2) renders it: options sorted by name, a two-column
// table whose columns are each at most 39 characters, continuation lines indented by two,
// every line padded to the column widths.

const (
	helpOverallWidth = 80
	helpColumnSep    = 2
	helpIndent       = 2
)

func (o *Opt) display() string {
	var b strings.Builder
	b.WriteString("--")
	b.WriteString(o.Name)
	if o.kind != noArg || o.argDesc != "" {
		open, close := "<", ">"
		if o.kind == optionalArg {
			open, close = "[", "]"
		}
		b.WriteString(" " + open + o.typ)
		if o.argDesc != "" {
			b.WriteString(": " + o.argDesc)
		}
		b.WriteString(close)
	}
	return b.String()
}

func (o *Opt) descDisplay() string {
	if len(o.defaults) == 0 {
		return o.Desc
	}
	d := o.defaults[0]
	if len(o.defaults) > 1 {
		d = "[" + strings.Join(o.defaults, ", ") + "]"
	}
	return strings.TrimSpace(o.Desc + " (default: " + d + ")")
}

type helpRow struct{ opt, desc string }

func runeLen(s string) int { return len([]rune(s)) }

// Help returns the option table exactly as jopt prints it.
func (p *Parser) Help() string {
	sorted := append([]*Opt(nil), p.opts...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	rows := []helpRow{{"Option", "Description"}, {"------", "-----------"}}
	for _, o := range sorted {
		rows = append(rows, helpRow{o.display(), o.descDisplay()})
	}
	half := (helpOverallWidth - helpColumnSep) / 2
	widths := func(rs []helpRow) (int, int) {
		ow, dw := 0, 0
		for _, r := range rs {
			ow = max(ow, runeLen(r.opt))
			dw = max(dw, runeLen(r.desc))
		}
		return min(half, ow), min(half, dw)
	}
	ow, dw := widths(rows)
	var fitted []helpRow
	for _, r := range rows {
		ops := piecesOf(r.opt, ow)
		ds := piecesOf(r.desc, dw)
		for i := 0; i < max(len(ops), len(ds)); i++ {
			var fr helpRow
			if i < len(ops) {
				fr.opt = ops[i]
			}
			if i < len(ds) {
				fr.desc = ds[i]
			}
			fitted = append(fitted, fr)
		}
	}
	ow, dw = widths(fitted)
	var b strings.Builder
	for _, r := range fitted {
		b.WriteString(pad(r.opt, ow))
		b.WriteString(strings.Repeat(" ", helpColumnSep))
		b.WriteString(pad(r.desc, dw))
		b.WriteString("\n")
	}
	return b.String()
}

func pad(s string, w int) string {
	if n := runeLen(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

func piecesOf(raw string, width int) []string {
	var pieces []string
	for _, line := range strings.Split(strings.TrimSpace(raw), "\n") {
		pieces = append(pieces, piecesOfLine(line, width)...)
	}
	return pieces
}

func piecesOfLine(line string, width int) []string {
	var pieces []string
	next := ""
	for _, word := range lineBreakWords(line) {
		if runeLen(next)+runeLen(word) > width {
			pieces = append(pieces, strings.TrimRightFunc(next, unicode.IsSpace))
			next = strings.Repeat(" ", helpIndent) + word
		} else {
			next += word
		}
	}
	if next != "" {
		pieces = append(pieces, next)
	}
	return pieces
}

// Java's legacy line BreakIterator treats opening brackets as attached to the word
// that follows, closing punctuation (.,:;!?) as attached to the word before, and allows a
// break after a hyphen; observed in Kafka's help: "e.| g.", "HOST2:| PORT2.", "server| (s)",
// "--bootstrap-| server", "--| create".
func isPreWord(r rune) bool {
	switch r {
	case '(', '[', '{':
		return true
	}
	return false
}

func isPostWord(r rune) bool {
	switch r {
	case ')', ']', '}', '.', ',', ':', ';', '!', '?', '%':
		return true
	}
	return false
}

func isLetterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// lineBreakWords splits a line into the pieces between break opportunities; each piece
// keeps its trailing white space.
func lineBreakWords(line string) []string {
	rs := []rune(line)
	var words []string
	start := 0
	i := 0
	n := len(rs)
	for i < n {
		// pre-word characters
		for i < n && isPreWord(rs[i]) {
			i++
		}
		// core
		for i < n {
			r := rs[i]
			if unicode.IsSpace(r) || isPreWord(r) && i > start {
				break
			}
			if r == '-' {
				for i < n && rs[i] == '-' {
					i++
				}
				if i < n && unicode.IsLetter(rs[i]) {
					goto done
				}
				continue
			}
			if isPostWord(r) {
				// "1.5" and "1,000" stay whole
				if (r == '.' || r == ',') && i > start && i+1 < n && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1]) {
					i++
					continue
				}
				for i < n && isPostWord(rs[i]) {
					i++
				}
				if i < n && !unicode.IsSpace(rs[i]) && (isLetterOrDigit(rs[i]) || isPreWord(rs[i])) {
					goto done
				}
				continue
			}
			i++
		}
		for i < n && unicode.IsSpace(rs[i]) {
			i++
		}
	done:
		if i == start { // never loop forever on an unexpected character
			i++
		}
		words = append(words, string(rs[start:i]))
		start = i
	}
	return words
}

// ---------------------------------------------------------------------------------------
// CommandLineUtils equivalents.

// toolOptions bundles a parser with the standard --help/--version of CommandDefaultOptions.
type toolOptions struct {
	*Parser
	help    *Opt
	version *Opt
	args    []string
}

func newToolOptions(args []string) *toolOptions {
	p := NewParser()
	t := &toolOptions{Parser: p, args: args}
	t.help = p.Accepts("help", "Print usage information.")
	t.help.forHelp = true
	t.version = p.Accepts("version", "Display Kafka version.")
	t.version.forHelp = true
	return t
}

// usageError carries an exit code out of a tool once its message and usage are printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// usageAndDie is CommandLineUtils.printUsageAndDie: message and help on stderr, exit 1.
func (e *env) usageAndDie(p *Parser, msg string) error {
	fmt.Fprintln(e.Stderr, msg)
	fmt.Fprint(e.Stderr, p.Help())
	return exitCode(1)
}

// helpAndExitIfNeeded is CommandLineUtils.printHelpAndExitIfNeeded.
func (e *env) helpAndExitIfNeeded(t *toolOptions, s *OptionSet, msg string) error {
	if len(t.args) == 0 || s.Has(t.help) {
		return e.usageAndDie(t.Parser, msg)
	}
	if s.Has(t.version) {
		fmt.Fprintln(e.Stdout, kafkaVersion)
		return exitCode(0)
	}
	return nil
}

// checkRequired is CommandLineUtils.checkRequiredArgs.
func (e *env) checkRequired(p *Parser, s *OptionSet, required ...*Opt) error {
	for _, o := range required {
		if !s.Has(o) {
			return e.usageAndDie(p, fmt.Sprintf("Missing required argument \"%s\"", o))
		}
	}
	return nil
}

// checkInvalid is CommandLineUtils.checkInvalidArgs.
func (e *env) checkInvalid(p *Parser, s *OptionSet, used *Opt, invalid ...*Opt) error {
	if !s.Has(used) {
		return nil
	}
	for _, o := range invalid {
		if s.Has(o) {
			return e.usageAndDie(p, fmt.Sprintf("Option \"%s\" can't be used with option \"%s\"", used, o))
		}
	}
	return nil
}

// parseKeyValueArgs is CommandLineUtils.parseKeyValueArgs (missing values become "").
func parseKeyValueArgs(args []string) map[string]string {
	m := map[string]string{}
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		m[k] = v
	}
	return m
}
