package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// No YAML library is in go.sum, so docker-compose.yml is checked with a small block-style
// reader that understands what compose files use: nested maps, "- item" lists, [a, b] flow
// lists, folded/literal scalars, anchors (&a), aliases (*a) and merge keys (<<: *a).

type ynode struct {
	key      string
	value    string // scalar (folded scalars joined with spaces)
	anchor   string
	alias    string
	children []*ynode // map entries
	items    []string // list items (scalars only)
	line     int
}

func (n *ynode) child(key string) *ynode {
	for _, c := range n.children {
		if c.key == key {
			return c
		}
	}
	return nil
}

type yline struct {
	indent int
	text   string
	num    int
}

func parseComposeYAML(src string) (*ynode, error) {
	var lines []yline
	for i, raw := range strings.Split(src, "\n") {
		if strings.Contains(strings.SplitN(raw, "#", 2)[0], "\t") {
			return nil, fmt.Errorf("line %d: tab character (YAML forbids tabs for indentation)", i+1)
		}
		trimmed := strings.TrimSpace(raw)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		lines = append(lines, yline{indent: len(raw) - len(strings.TrimLeft(raw, " ")), text: strings.TrimRight(raw, " "), num: i + 1})
	}
	root := &ynode{}
	pos := 0
	if err := parseBlock(lines, &pos, 0, root); err != nil {
		return nil, err
	}
	if pos != len(lines) {
		return nil, fmt.Errorf("line %d: unexpected indentation", lines[pos].num)
	}
	return root, nil
}

var ykeyRe = regexp.MustCompile(`^("[^"]+"|'[^']+'|[^\s:][^:]*?):(?:\s+(.*))?$`)

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

func parseBlock(lines []yline, pos *int, indent int, parent *ynode) error {
	for *pos < len(lines) {
		l := lines[*pos]
		if l.indent < indent {
			return nil
		}
		if l.indent > indent {
			return fmt.Errorf("line %d: unexpected indentation %d (block at %d)", l.num, l.indent, indent)
		}
		text := strings.TrimSpace(l.text)
		if strings.HasPrefix(text, "- ") || text == "-" {
			parent.items = append(parent.items, unquote(strings.TrimPrefix(text, "-")))
			*pos++
			continue
		}
		m := ykeyRe.FindStringSubmatch(text)
		if m == nil {
			return fmt.Errorf("line %d: not a key: %q", l.num, text)
		}
		n := &ynode{key: unquote(m[1]), line: l.num}
		parent.children = append(parent.children, n)
		val := strings.TrimSpace(m[2])
		if strings.HasPrefix(val, "&") {
			parts := strings.SplitN(val, " ", 2)
			n.anchor = parts[0][1:]
			val = ""
			if len(parts) == 2 {
				val = strings.TrimSpace(parts[1])
			}
		}
		*pos++
		switch {
		case strings.HasPrefix(val, "*"):
			n.alias = val[1:]
		case val == ">" || val == "|" || val == ">-" || val == "|-":
			var parts []string
			for *pos < len(lines) && lines[*pos].indent > l.indent {
				parts = append(parts, strings.TrimSpace(lines[*pos].text))
				*pos++
			}
			n.value = strings.Join(parts, " ")
		case strings.HasPrefix(val, "["):
			inner := strings.TrimSuffix(strings.TrimPrefix(val, "["), "]")
			for _, it := range strings.Split(inner, ",") {
				if it = unquote(it); it != "" {
					n.items = append(n.items, it)
				}
			}
		case val != "":
			n.value = unquote(val)
		default:
			if *pos < len(lines) && lines[*pos].indent > l.indent {
				if err := parseBlock(lines, pos, lines[*pos].indent, n); err != nil {
					return err
				}
			} else if *pos < len(lines) && lines[*pos].indent == l.indent && strings.HasPrefix(strings.TrimSpace(lines[*pos].text), "- ") {
				// a list may sit at its key's own indentation
				if err := parseBlock(lines, pos, l.indent, n); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// resolveMerges applies `<<: *anchor` merge keys (entries already present win).
func resolveMerges(n *ynode, anchors map[string]*ynode) error {
	var out []*ynode
	var merged []*ynode
	for _, c := range n.children {
		if c.key == "<<" {
			src, ok := anchors[c.alias]
			if !ok {
				return fmt.Errorf("line %d: unknown anchor *%s", c.line, c.alias)
			}
			merged = append(merged, src.children...)
			continue
		}
		if c.alias != "" {
			src, ok := anchors[c.alias]
			if !ok {
				return fmt.Errorf("line %d: unknown anchor *%s", c.line, c.alias)
			}
			cp := *src
			cp.key, cp.anchor, cp.line = c.key, "", c.line
			c = &cp
		}
		out = append(out, c)
	}
	for _, m := range merged {
		if n.child(m.key) == nil {
			found := false
			for _, o := range out {
				if o.key == m.key {
					found = true
				}
			}
			if !found {
				out = append(out, m)
			}
		}
	}
	n.children = out
	for _, c := range n.children {
		if err := resolveMerges(c, anchors); err != nil {
			return err
		}
	}
	return nil
}

func collectAnchors(n *ynode, anchors map[string]*ynode) {
	if n.anchor != "" {
		anchors[n.anchor] = n
	}
	for _, c := range n.children {
		collectAnchors(c, anchors)
	}
}

// TestDockerCompose checks the structure of docker-compose.yml (no Docker engine here): a
// ZooKeeper ensemble whose ids and server list agree, brokers with distinct ids pointing at
// that ensemble, published ports matching the advertised external listeners, and commands
// naming files that exist in the repository.
func TestDockerCompose(t *testing.T) {
	path := filepath.Join(moduleRoot, "docker-compose.yml")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("%s not written yet", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	root, err := parseComposeYAML(string(data))
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	anchors := map[string]*ynode{}
	collectAnchors(root, anchors)
	if err := resolveMerges(root, anchors); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	services := root.child("services")
	if services == nil || len(services.children) == 0 {
		t.Fatal("no services")
	}
	names := map[string]bool{}
	for _, s := range services.children {
		names[s.key] = true
	}

	var zks, brokers []*ynode
	for _, s := range services.children {
		img, build := s.child("image"), s.child("build")
		if img == nil && build == nil {
			t.Errorf("service %s has neither image nor build", s.key)
		}
		if dep := s.child("depends_on"); dep != nil {
			deps := dep.items
			for _, c := range dep.children {
				deps = append(deps, c.key)
			}
			for _, d := range deps {
				if !names[d] {
					t.Errorf("service %s depends on undefined service %q", s.key, d)
				}
			}
		}
		cmd := ""
		if c := s.child("command"); c != nil {
			cmd = c.value + " " + strings.Join(c.items, " ")
		}
		switch {
		case img != nil && strings.Contains(img.value, "zookeeper"):
			zks = append(zks, s)
		case strings.Contains(cmd, "kafka-server-start"):
			brokers = append(brokers, s)
			// The command runs from the repository (mounted at working_dir): its files must exist.
			for _, f := range strings.Fields(cmd) {
				if strings.HasPrefix(f, "bin/") || strings.HasPrefix(f, "config/") {
					if _, err := os.Stat(filepath.Join(moduleRoot, f)); err != nil {
						t.Errorf("service %s runs %s, missing from the repository", s.key, f)
					}
				}
			}
		}
	}
	if len(zks) == 0 || len(brokers) == 0 {
		t.Fatalf("found %d ZooKeeper and %d broker services", len(zks), len(brokers))
	}

	envOf := func(s *ynode) map[string]string {
		m := map[string]string{}
		if e := s.child("environment"); e != nil {
			for _, c := range e.children {
				m[c.key] = c.value
			}
			for _, it := range e.items {
				kv := strings.SplitN(it, "=", 2)
				if len(kv) == 2 {
					m[kv[0]] = kv[1]
				}
			}
		}
		return m
	}
	if len(zks) > 1 {
		ids := map[string]string{}
		var serverList string
		for _, z := range zks {
			env := envOf(z)
			id := env["ZOO_MY_ID"]
			if id == "" {
				t.Errorf("ensemble member %s has no ZOO_MY_ID", z.key)
			}
			if other, dup := ids[id]; dup {
				t.Errorf("ZOO_MY_ID %s used by %s and %s", id, other, z.key)
			}
			ids[id] = z.key
			if serverList == "" {
				serverList = env["ZOO_SERVERS"]
			} else if env["ZOO_SERVERS"] != serverList {
				t.Errorf("%s has a different ZOO_SERVERS", z.key)
			}
		}
		for id, name := range ids {
			want := fmt.Sprintf("server.%s=%s:", id, name)
			if !strings.Contains(serverList, want) {
				t.Errorf("ZOO_SERVERS %q lacks %s...", serverList, want)
			}
		}
	}

	brokerIDs := map[string]string{}
	overrideRe := regexp.MustCompile(`--override\s+([^=\s]+)=(\S+)`)
	for _, b := range brokers {
		cmd := b.child("command").value
		ov := map[string]string{}
		for _, m := range overrideRe.FindAllStringSubmatch(cmd, -1) {
			ov[m[1]] = m[2]
		}
		id := ov["broker.id"]
		if id == "" {
			t.Errorf("broker %s sets no broker.id", b.key)
		} else if other, dup := brokerIDs[id]; dup {
			t.Errorf("broker.id %s used by %s and %s", id, other, b.key)
		}
		brokerIDs[id] = b.key
		for _, hp := range strings.Split(strings.SplitN(ov["zookeeper.connect"], "/", 2)[0], ",") {
			host := strings.Split(hp, ":")[0]
			if !names[host] {
				t.Errorf("broker %s: zookeeper.connect names %q, not a service", b.key, host)
			}
		}
		var published []string
		if p := b.child("ports"); p != nil {
			published = p.items
		}
		for _, l := range strings.Split(ov["advertised.listeners"], ",") {
			if i := strings.Index(l, "://localhost:"); i >= 0 {
				port := l[i+len("://localhost:"):]
				ok := false
				for _, p := range published {
					if strings.HasPrefix(p, port+":") {
						ok = true
					}
				}
				if !ok {
					t.Errorf("broker %s advertises %s but publishes %v", b.key, l, published)
				}
			}
		}
	}
	keys := make([]string, 0, len(brokerIDs))
	for k := range brokerIDs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("%d ZooKeeper services, brokers with ids %v", len(zks), keys)
}

// TestComposeReader checks the small YAML reader on the constructs compose files use.
func TestComposeReader(t *testing.T) {
	src := `x-base: &base
  image: zookeeper:3.8
  environment: &env
    A: "1"
services:
  one:
    <<: *base
    environment:
      <<: *env
      B: two
    ports: ["2181:2181", '8080:8080']
    command: >
      run this
      --override x=y
    depends_on:
      - two
  two:
    build: .
`
	root, err := parseComposeYAML(src)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]*ynode{}
	collectAnchors(root, anchors)
	if err := resolveMerges(root, anchors); err != nil {
		t.Fatal(err)
	}
	one := root.child("services").child("one")
	if one.child("image").value != "zookeeper:3.8" {
		t.Errorf("merged image = %q", one.child("image").value)
	}
	env := one.child("environment")
	if env.child("A").value != "1" || env.child("B").value != "two" {
		t.Errorf("environment merge: %+v", env.children)
	}
	if got := one.child("ports").items; len(got) != 2 || got[0] != "2181:2181" || got[1] != "8080:8080" {
		t.Errorf("ports = %q", got)
	}
	if got := one.child("command").value; got != "run this --override x=y" {
		t.Errorf("folded command = %q", got)
	}
	if got := one.child("depends_on").items; len(got) != 1 || got[0] != "two" {
		t.Errorf("depends_on = %q", got)
	}
	if root.child("services").child("two").child("build").value != "." {
		t.Errorf("build")
	}
	if _, err := parseComposeYAML("a:\n\tb: 1\n"); err == nil {
		t.Errorf("tab indentation accepted")
	}
}
