package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kafka-classic/kafka-classic/zkmeta"
)

func init() {
	register(tool{name: "zookeeper-shell", short: "zk-shell",
		usage: "ZooKeeper's command-line client (ls, get, stat, create, set, delete, ...)", run: zookeeperShell})
}

// zookeeper-shell.sh runs ZooKeeperMain (ZooKeeper 3.5.9) with "-server" prepended to its
// arguments; this reproduces that client's output for the commands learners use.

const zkShellUsage = `ZooKeeper -server host:port cmd args
	addauth scheme auth
	close 
	config [-c] [-w] [-s]
	connect host:port
	create [-s] [-e] [-c] [-t ttl] path [data] [acl]
	delete [-v version] path
	deleteall path
	delquota [-n|-b] path
	get [-s] [-w] path
	getAcl [-s] path
	history 
	listquota path
	ls [-s] [-w] [-R] path
	ls2 path [watch]
	printwatches on|off
	quit 
	reconfig [-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]
	redo cmdno
	removewatches path [-c|-d|-a] [-l]
	rmr path
	set [-s] [-v version] path data
	setAcl [-s] [-v version] [-R] path acl
	setquota -n|-b val path
	stat [-w] path
	sync path
`

type zkShell struct {
	e       *env
	c       *zkmeta.Client
	server  string
	count   int
	history []string
}

func zookeeperShell(e *env, args []string) error {
	var server string
	var cmd []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-server" && i+1 < len(args):
			server = args[i+1]
			i++
		case a == "-zk-tls-config-file" && i+1 < len(args):
			i++ // TLS is not supported by this build; the option is accepted and ignored
		case a == "-timeout" && i+1 < len(args), a == "-client-configuration" && i+1 < len(args):
			i++
		case a == "-r":
		case server == "" && !strings.HasPrefix(a, "-"):
			server = a
		default:
			cmd = append(cmd, a)
		}
	}
	if server == "" {
		fmt.Fprintln(e.Stderr, "USAGE: "+e.Argv0+" zookeeper_host:port[/path] [-zk-tls-config-file <file>] [args...]")
		return exitCode(1)
	}
	fmt.Fprintf(e.Stdout, "Connecting to %s\n", server)
	interactive := len(cmd) == 0
	terminal := interactive && isTerminal(e.Stdin)
	if interactive {
		fmt.Fprintln(e.Stdout, "Welcome to ZooKeeper!")
		if terminal {
			fmt.Fprintln(e.Stdout, "JLine support is enabled")
		} else {
			fmt.Fprintln(e.Stdout, "JLine support is disabled")
		}
	}
	c, err := zkmeta.Connect(server, 30*time.Second, 30*time.Second, toolLogger(e))
	if err != nil {
		fmt.Fprintln(e.Stderr, zkmeta.Message(err))
		return exitCode(1)
	}
	defer c.Close()
	fmt.Fprint(e.Stdout, "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n")
	sh := &zkShell{e: e, c: c, server: server}
	if !interactive {
		quit, code := sh.execute(cmd)
		_ = quit
		return exitCodeOrNil(code)
	}
	r := bufio.NewReader(e.Stdin)
	code := 0
	for {
		if terminal {
			fmt.Fprint(e.Stdout, sh.prompt())
		}
		line, err := r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) != "" {
			sh.history = append(sh.history, line)
			quit, c := sh.execute(strings.Fields(line))
			sh.count++
			code = c
			if quit {
				break
			}
		}
		if err != nil {
			if err != io.EOF {
				return err
			}
			break
		}
	}
	return exitCodeOrNil(code)
}

func exitCodeOrNil(code int) error {
	if code == 0 {
		return nil
	}
	return exitCode(code)
}

func (sh *zkShell) prompt() string {
	return fmt.Sprintf("[zk: %s(CONNECTED) %d] ", sh.server, sh.count)
}

// zkCliError is a CliException: its message goes to stderr.
func (sh *zkShell) fail(err error, path string) int {
	msg := err.Error()
	switch {
	case errors.Is(err, zk.ErrNoNode):
		msg = "Node does not exist: " + path
	case errors.Is(err, zk.ErrNodeExists):
		msg = "Node already exists: " + path
	case errors.Is(err, zk.ErrNotEmpty):
		msg = "Node not empty: " + path
	case errors.Is(err, zk.ErrBadVersion):
		msg = "version No is not valid : " + path
	case errors.Is(err, zk.ErrNoChildrenForEphemerals):
		msg = "Ephemerals cannot have children: " + path
	}
	fmt.Fprintln(sh.e.Stderr, msg)
	return 1
}

// splitFlags separates leading "-x" flags (and the values of flags that take one) from
// positional arguments.
func splitFlags(args []string, withValue map[string]bool) (map[string]string, []string) {
	flags := map[string]string{}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 && len(pos) == 0 {
			if withValue[a] && i+1 < len(args) {
				flags[a] = args[i+1]
				i++
			} else {
				flags[a] = ""
			}
			continue
		}
		pos = append(pos, a)
	}
	return flags, pos
}

func javaDate(ms int64) string {
	return time.UnixMilli(ms).Format("Mon Jan 02 15:04:05 MST 2006")
}

func formatStat(st *zk.Stat) string {
	hex := func(v int64) string { return "0x" + strconv.FormatUint(uint64(v), 16) }
	return fmt.Sprintf("cZxid = %s\nctime = %s\nmZxid = %s\nmtime = %s\npZxid = %s\ncversion = %d\ndataVersion = %d\naclVersion = %d\nephemeralOwner = %s\ndataLength = %d\nnumChildren = %d\n",
		hex(st.Czxid), javaDate(st.Ctime), hex(st.Mzxid), javaDate(st.Mtime), hex(st.Pzxid),
		st.Cversion, st.Version, st.Aversion, hex(st.EphemeralOwner), st.DataLength, st.NumChildren)
}

func validPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("Path must start with / character")
	}
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		return fmt.Errorf("Path must not end with / character")
	}
	return nil
}

// execute runs one command; it reports whether the shell should stop and the exit status.
func (sh *zkShell) execute(args []string) (bool, int) {
	out := sh.e.Stdout
	if len(args) == 0 {
		return false, 0
	}
	name, rest := args[0], args[1:]
	needPath := func(pos []string) (string, bool) {
		if len(pos) < 1 {
			fmt.Fprint(sh.e.Stderr, zkShellUsage)
			return "", false
		}
		if err := validPath(pos[0]); err != nil {
			fmt.Fprintln(sh.e.Stderr, err)
			return "", false
		}
		return pos[0], true
	}
	switch name {
	case "quit":
		return true, 0
	case "close":
		return false, 0
	case "history":
		for i, h := range sh.history {
			fmt.Fprintf(out, "%d - %s\n", i, h)
		}
		return false, 0
	case "ls", "ls2":
		flags, pos := splitFlags(rest, nil)
		path, ok := needPath(pos)
		if !ok {
			return false, 1
		}
		if name == "ls2" {
			flags["-s"] = ""
		}
		if _, rec := flags["-R"]; rec {
			return false, sh.lsRecursive(path)
		}
		kids, err := sh.c.Children(path)
		if err != nil {
			return false, sh.fail(err, path)
		}
		sort.Strings(kids)
		fmt.Fprintf(out, "[%s]\n", strings.Join(kids, ", "))
		if _, s := flags["-s"]; s {
			_, st, err := sh.c.Exists(path)
			if err == nil && st != nil {
				fmt.Fprint(out, formatStat(st))
			}
		}
	case "get":
		flags, pos := splitFlags(rest, nil)
		path, ok := needPath(pos)
		if !ok {
			return false, 1
		}
		data, st, err := sh.c.Get(path)
		if err != nil {
			return false, sh.fail(err, path)
		}
		if data == nil {
			data = []byte("null")
		}
		fmt.Fprintln(out, string(data))
		if _, s := flags["-s"]; s {
			fmt.Fprint(out, formatStat(st))
		}
	case "stat":
		_, pos := splitFlags(rest, nil)
		path, ok := needPath(pos)
		if !ok {
			return false, 1
		}
		exists, st, err := sh.c.Exists(path)
		if err != nil {
			return false, sh.fail(err, path)
		}
		if !exists {
			return false, sh.fail(zk.ErrNoNode, path)
		}
		fmt.Fprint(out, formatStat(st))
	case "create":
		flags, pos := splitFlags(rest, map[string]bool{"-t": true})
		path, ok := needPath(pos)
		if !ok {
			return false, 1
		}
		var data []byte
		if len(pos) > 1 {
			data = []byte(pos[1])
		}
		var f int32
		if _, ok := flags["-e"]; ok {
			f |= zk.FlagEphemeral
		}
		if _, ok := flags["-s"]; ok {
			f |= zk.FlagSequence
		}
		created, err := sh.c.Create(path, data, f)
		if err != nil {
			return false, sh.fail(err, path)
		}
		fmt.Fprintf(out, "Created %s\n", created)
	case "set":
		flags, pos := splitFlags(rest, map[string]bool{"-v": true})
		path, ok := needPath(pos)
		if !ok {
			return false, 1
		}
		if len(pos) < 2 {
			fmt.Fprint(sh.e.Stderr, zkShellUsage)
			return false, 1
		}
		version := int32(-1)
		if v, ok := flags["-v"]; ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				fmt.Fprintln(sh.e.Stderr, "version "+v+" has wrong format")
				return false, 1
			}
			version = int32(n)
		}
		st, err := sh.c.Set(path, []byte(pos[1]), version)
		if err != nil {
			return false, sh.fail(err, path)
		}
		if _, s := flags["-s"]; s {
			fmt.Fprint(out, formatStat(st))
		}
	case "delete":
		flags, pos := splitFlags(rest, map[string]bool{"-v": true})
		path, ok := needPath(pos)
		if !ok {
			return false, 1
		}
		version := int32(-1)
		if v, ok := flags["-v"]; ok {
			n, _ := strconv.Atoi(v)
			version = int32(n)
		}
		if err := sh.c.Delete(path, version); err != nil {
			return false, sh.fail(err, path)
		}
	case "rmr", "deleteall":
		if name == "rmr" {
			fmt.Fprintln(out, "The command 'rmr' has been deprecated. Please use 'deleteall' instead.")
		}
		_, pos := splitFlags(rest, nil)
		path, ok := needPath(pos)
		if !ok {
			return false, 1
		}
		if exists, _, err := sh.c.Exists(path); err == nil && !exists {
			return false, sh.fail(zk.ErrNoNode, path)
		}
		if err := sh.c.DeleteRecursive(path); err != nil {
			return false, sh.fail(err, path)
		}
	case "sync":
		_, pos := splitFlags(rest, nil)
		path, ok := needPath(pos)
		if !ok {
			return false, 1
		}
		fmt.Fprintf(out, "Sync is OK\n")
		_ = path
	case "getAcl":
		_, pos := splitFlags(rest, nil)
		path, ok := needPath(pos)
		if !ok {
			return false, 1
		}
		if exists, _, err := sh.c.Exists(path); err != nil || !exists {
			return false, sh.fail(zk.ErrNoNode, path)
		}
		fmt.Fprint(out, "'world,'anyone\n: cdrwa\n")
	case "printwatches", "connect", "addauth", "redo":
		// accepted for compatibility; these change nothing a one-connection shell can show
	default:
		fmt.Fprint(sh.e.Stderr, zkShellUsage)
		return false, 1
	}
	return false, 0
}

func (sh *zkShell) lsRecursive(path string) int {
	var walk func(p string) error
	walk = func(p string) error {
		fmt.Fprintln(sh.e.Stdout, p)
		kids, err := sh.c.Children(p)
		if err != nil {
			return err
		}
		for _, k := range kids {
			child := p + "/" + k
			if p == "/" {
				child = "/" + k
			}
			if err := walk(child); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(path); err != nil {
		return sh.fail(err, path)
	}
	return 0
}
