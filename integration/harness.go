package integration

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Paths of the Debian zookeeper package; NOTES.md records that this classpath is enough.
const (
	zookeeperJar   = "/usr/share/java/zookeeper.jar"
	slf4jSimpleJar = "/usr/share/java/slf4j-simple.jar"
	zookeeperMain  = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
)

// Deadlines are generous because the machines running these tests are small and shared:
// a JVM or a broker that is merely slow must not look like a broken one.
const (
	zkStartTimeout     = 60 * time.Second
	brokerStartTimeout = 90 * time.Second
	stopGrace          = 60 * time.Second
	toolTimeout        = 120 * time.Second
)

var (
	workDir    string // per-run scratch: the built binary lives here
	moduleRoot string

	buildOnce sync.Once
	kafkaBin  string
	buildErr  error
)

// setup prepares the per-run scratch directory and finds the module root; TestMain (in
// main_test.go, where go test looks for it) calls it and teardown.
func setup() error {
	var err error
	workDir, err = os.MkdirTemp("", "kafka-classic-it-")
	if err != nil {
		return fmt.Errorf("integration: scratch dir: %w", err)
	}
	moduleRoot, err = findModuleRoot()
	return err
}

func teardown() {
	if os.Getenv("KEEP_TEST_DIRS") == "" {
		os.RemoveAll(workDir)
	}
}

func findModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("integration: no go.mod above the test directory")
		}
		dir = parent
	}
}

// KafkaBinary returns the path of the cmd/kafka binary, building it on first use.
// $KAFKA_CLASSIC_BIN points at a prebuilt one instead.
func KafkaBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv("KAFKA_CLASSIC_BIN"); p != "" {
			kafkaBin = p
			return
		}
		out := filepath.Join(workDir, "kafka")
		cmd := exec.Command("go", "build", "-o", out, "./cmd/kafka")
		cmd.Dir = moduleRoot
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/kafka: %v\n%s", err, buf.String())
			return
		}
		kafkaBin = out
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return kafkaBin
}

// inCI reports whether missing prerequisites are failures (CI) or reasons to skip (laptops).
func inCI() bool { return os.Getenv("CI") == "true" }

func requirePrereq(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if inCI() {
		t.Fatalf("prerequisite missing under CI: %s", what)
	}
	t.Skipf("prerequisite missing: %s", what)
}

// ---------------------------------------------------------------------------------------
// Processes

// proc is a child process in its own process group, so that a wrapper script and whatever it
// starts (a JVM, the Go binary) are signalled together and none outlives the test.
type proc struct {
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	done    chan struct{}
	state   *os.ProcessState
}

func startProc(path string, argv []string, dir, logPath string, env []string, stdin io.Reader) (*proc, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Dir: dir, Env: append(os.Environ(), env...), Stdout: lf, Stderr: lf, Stdin: stdin}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, logPath: logPath, logFile: lf, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		p.state = cmd.ProcessState
		lf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) signal(sig syscall.Signal) {
	// Negative pid: the whole group; the leader may already be gone while a child lingers.
	_ = syscall.Kill(-p.pid(), sig)
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) wait(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// exitCode is meaningful once exited() is true; a death by signal reads as -1.
func (p *proc) exitCode() int {
	if p.state == nil {
		return -1
	}
	return p.state.ExitCode()
}

// stop asks politely (SIGTERM), then insists (SIGKILL). A stopped (SIGSTOP) group is
// continued first, or it could never act on the SIGTERM.
func (p *proc) stop(grace time.Duration) {
	p.signal(syscall.SIGCONT)
	p.signal(syscall.SIGTERM)
	if !p.wait(grace) {
		p.signal(syscall.SIGKILL)
		p.wait(10 * time.Second)
	}
	// Stragglers in the group (children of a wrapper) must not survive the leader.
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
}

func (p *proc) kill() {
	p.signal(syscall.SIGKILL)
	p.wait(10 * time.Second)
}

// ProcessAlive reports whether a pid still names a running (non-zombie) process.
func ProcessAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// Field 3 is the state; a zombie has exited already.
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] != 'Z'
	}
	return true
}

// tailFile returns the last n lines of a file, for failure reports.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------------------------------
// Ports

// FreePorts reserves n distinct ports by holding listeners on all of them at once, then
// releases them for the server to bind. The window between close and bind is small.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// FreePort reserves one port; see FreePorts.
func FreePort(t testing.TB) int { return FreePorts(t, 1)[0] }

// ---------------------------------------------------------------------------------------
// ZooKeeper

// ZooKeeper is what a broker needs from a standalone server or an ensemble.
type ZooKeeper interface {
	// ConnectString is the zookeeper.connect value (without chroot).
	ConnectString() string
	zkConn(t testing.TB) *zk.Conn
}

// zkClient caches one go-zookeeper session per server (or ensemble) for the test's reads.
type zkClient struct {
	mu      sync.Mutex
	servers []string
	conn    *zk.Conn
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...interface{}) {}

func (c *zkClient) get(t testing.TB) *zk.Conn {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		return c.conn
	}
	conn, events, err := zk.Connect(c.servers, 10*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		t.Fatalf("zk connect %v: %v", c.servers, err)
	}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				c.conn = conn
				go func() {
					for range events {
					}
				}()
				return conn
			}
		case <-deadline:
			conn.Close()
			t.Fatalf("zk connect %v: no session within 30s", c.servers)
		}
	}
}

func (c *zkClient) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// ZK is one real Apache ZooKeeper server process.
type ZK struct {
	Addr         string // 127.0.0.1:clientPort
	Port         int
	Pid          int
	Dir          string // holds zoo.cfg, data/ and zookeeper.log
	MyID         int    // 0 when standalone
	PeerPort     int    // ensemble only
	ElectionPort int    // ensemble only

	cfgPath string
	p       *proc
	client  zkClient
}

func (z *ZK) ConnectString() string        { return z.Addr }
func (z *ZK) zkConn(t testing.TB) *zk.Conn { return z.client.get(t) }
func (z *ZK) LogPath() string              { return filepath.Join(z.Dir, "zookeeper.log") }
func (z *ZK) Exited() bool                 { return z.p == nil || z.p.exited() }

func requireZooKeeper(t testing.TB) {
	t.Helper()
	_, err := os.Stat(zookeeperJar)
	requirePrereq(t, err == nil, zookeeperJar+" (apt-get install zookeeper)")
	_, err = exec.LookPath("java")
	requirePrereq(t, err == nil, "java on PATH")
}

func zkBaseConfig(dataDir string, clientPort int) string {
	return fmt.Sprintf(`tickTime=2000
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
`, dataDir, clientPort)
}

// launchZK starts the JVM with a heap and JIT settings chosen for a fast, light start.
func launchZK(t testing.TB, z *ZK, cfg string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(z.Dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	z.cfgPath = filepath.Join(z.Dir, "zoo.cfg")
	if err := os.WriteFile(z.cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	java, _ := exec.LookPath("java")
	argv := []string{"java",
		"-Xms16m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
		"-Djava.awt.headless=true", "-Dzookeeper.admin.enableServer=false",
		"-cp", zookeeperJar + ":" + slf4jSimpleJar,
		zookeeperMain, z.cfgPath}
	p, err := startProc(java, argv, z.Dir, z.LogPath(), nil, nil)
	if err != nil {
		t.Fatalf("start zookeeper: %v", err)
	}
	z.p = p
	z.Pid = p.pid()
	z.client.servers = []string{z.Addr}
}

// FourLetter sends a ZooKeeper four-letter command and returns the whole answer.
func FourLetter(addr, cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write([]byte(cmd)); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// zkServing: `ruok` only proves the JVM listens; `srvr` naming a Mode proves it serves
// requests (a quorum member without a quorum says it is not serving).
func zkServing(addr string) (bool, string) {
	out, err := FourLetter(addr, "ruok")
	if err != nil || out != "imok" {
		return false, fmt.Sprintf("ruok -> %q, %v", out, err)
	}
	out, err = FourLetter(addr, "srvr")
	if err != nil || !strings.Contains(out, "Mode: ") {
		return false, fmt.Sprintf("srvr -> %q, %v", out, err)
	}
	return true, ""
}

func (z *ZK) waitServing(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		if z.p.exited() {
			t.Fatalf("zookeeper %s exited with code %d:\n%s", z.Addr, z.p.exitCode(), tailFile(z.LogPath(), 40))
		}
		ok, msg := zkServing(z.Addr)
		if ok {
			return
		}
		last = msg
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("zookeeper %s not serving after %v (%s):\n%s", z.Addr, timeout, last, tailFile(z.LogPath(), 40))
}

// StartZooKeeper starts a standalone server on a free port; it is stopped (and its log shown
// if the test failed) when the test ends.
func StartZooKeeper(t testing.TB) *ZK {
	t.Helper()
	requireZooKeeper(t)
	port := FreePort(t)
	z := &ZK{Port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: t.TempDir()}
	launchZK(t, z, zkBaseConfig(filepath.Join(z.Dir, "data"), port))
	t.Cleanup(func() {
		z.Stop()
		if t.Failed() {
			t.Logf("---- zookeeper %s log tail ----\n%s", z.Addr, tailFile(z.LogPath(), 30))
		}
	})
	z.waitServing(t, zkStartTimeout)
	return z
}

// Stop ends the server (SIGTERM, then SIGKILL) and waits for it. Safe to call twice.
func (z *ZK) Stop() {
	z.client.close()
	if z.p != nil && !z.p.exited() {
		z.p.stop(20 * time.Second)
	}
}

// Kill ends the server with SIGKILL, as a crash would.
func (z *ZK) Kill() {
	z.client.close()
	if z.p != nil {
		z.p.kill()
	}
}

// Restart starts the same server (same port and data) again and waits until it serves.
func (z *ZK) Restart(t testing.TB) {
	t.Helper()
	z.Stop()
	cfg, err := os.ReadFile(z.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	launchZK(t, z, string(cfg))
	z.waitServing(t, zkStartTimeout)
}

// Ensemble is a ZooKeeper quorum of separate server processes on one machine.
type Ensemble struct {
	Nodes  []*ZK
	client zkClient
}

func (e *Ensemble) ConnectString() string {
	addrs := make([]string, len(e.Nodes))
	for i, n := range e.Nodes {
		addrs[i] = n.Addr
	}
	return strings.Join(addrs, ",")
}

func (e *Ensemble) zkConn(t testing.TB) *zk.Conn { return e.client.get(t) }

// StartEnsemble starts an n-node quorum (distinct client, peer and election ports; a myid
// file per data dir) and waits until every node serves.
func StartEnsemble(t testing.TB, n int) *Ensemble {
	t.Helper()
	requireZooKeeper(t)
	ports := FreePorts(t, 3*n)
	e := &Ensemble{}
	var servers strings.Builder
	for i := 0; i < n; i++ {
		z := &ZK{MyID: i + 1, Port: ports[3*i], PeerPort: ports[3*i+1], ElectionPort: ports[3*i+2], Dir: t.TempDir()}
		z.Addr = fmt.Sprintf("127.0.0.1:%d", z.Port)
		e.Nodes = append(e.Nodes, z)
		fmt.Fprintf(&servers, "server.%d=127.0.0.1:%d:%d\n", z.MyID, z.PeerPort, z.ElectionPort)
	}
	for _, z := range e.Nodes {
		data := filepath.Join(z.Dir, "data")
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte(strconv.Itoa(z.MyID)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := zkBaseConfig(data, z.Port) + "initLimit=10\nsyncLimit=5\n" + servers.String()
		launchZK(t, z, cfg)
	}
	e.client.servers = strings.Split(e.ConnectString(), ",")
	t.Cleanup(func() {
		e.client.close()
		for _, z := range e.Nodes {
			z.Stop()
			if t.Failed() {
				t.Logf("---- zookeeper node %d (%s) log tail ----\n%s", z.MyID, z.Addr, tailFile(z.LogPath(), 20))
			}
		}
	})
	for _, z := range e.Nodes {
		z.waitServing(t, zkStartTimeout)
	}
	return e
}

// ---------------------------------------------------------------------------------------
// ZooKeeper reads for assertions (the harness talks to ZooKeeper directly; it is test code)

// zkRetry repeats a read across a lost connection: go-zookeeper fails in-flight requests
// with ErrConnectionClosed while it reconnects, which says nothing about the broker under test.
func zkRetry(op func() error) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := op()
		if err == nil || !(errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer)) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ZKGetOK returns a znode's data and whether it exists.
func ZKGetOK(t testing.TB, z ZooKeeper, path string) (string, bool) {
	t.Helper()
	var data []byte
	err := zkRetry(func() (err error) { data, _, err = z.zkConn(t).Get(path); return err })
	if errors.Is(err, zk.ErrNoNode) {
		return "", false
	}
	if err != nil {
		t.Fatalf("zk get %s: %v", path, err)
	}
	return string(data), true
}

// ZKGet returns a znode's data; a missing znode fails the test.
func ZKGet(t testing.TB, z ZooKeeper, path string) string {
	t.Helper()
	s, ok := ZKGetOK(t, z, path)
	if !ok {
		t.Fatalf("znode %s does not exist", path)
	}
	return s
}

// ZKStat returns a znode's stat, or nil when it does not exist.
func ZKStat(t testing.TB, z ZooKeeper, path string) *zk.Stat {
	t.Helper()
	var ok bool
	var st *zk.Stat
	err := zkRetry(func() (err error) { ok, st, err = z.zkConn(t).Exists(path); return err })
	if err != nil {
		t.Fatalf("zk exists %s: %v", path, err)
	}
	if !ok {
		return nil
	}
	return st
}

// ZKExists reports whether a znode exists.
func ZKExists(t testing.TB, z ZooKeeper, path string) bool {
	t.Helper()
	return ZKStat(t, z, path) != nil
}

// ZKChildren returns a znode's children sorted; a missing znode gives nil.
func ZKChildren(t testing.TB, z ZooKeeper, path string) []string {
	t.Helper()
	var ch []string
	err := zkRetry(func() (err error) { ch, _, err = z.zkConn(t).Children(path); return err })
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		t.Fatalf("zk children %s: %v", path, err)
	}
	sort.Strings(ch)
	return ch
}

// ZKCreate creates a persistent znode (parents must exist).
func ZKCreate(t testing.TB, z ZooKeeper, path, data string) {
	t.Helper()
	if _, err := z.zkConn(t).Create(path, []byte(data), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("zk create %s: %v", path, err)
	}
}

// ---------------------------------------------------------------------------------------
// Brokers

// Broker is one broker process started from the built binary as `kafka-server-start.sh`.
type Broker struct {
	ID         int32
	Addr       string // 127.0.0.1:port, the PLAINTEXT listener
	Port       int
	LogDir     string // log.dirs (single dir)
	Dir        string // holds server.properties and the process output of every run
	ConfigPath string
	Pid        int
	ZK         ZooKeeper

	t       testing.TB
	p       *proc
	runs    int
	logPath string // output of the current run

	script    string   // when set, start through this bin/ wrapper instead of the built binary
	extraArgs []string // after the properties file, e.g. --override k=v
}

// brokerProps is the configuration the harness uses for every broker; overrides win.
// log.segment.delete.delay.ms is shortened so deleted topics and segments vanish from disk
// within a test's patience; everything else is Kafka's shipped server.properties or default.
func brokerProps(zkConnect string, id int32, port int, logDir string, overrides map[string]string) map[string]string {
	p := map[string]string{
		"broker.id":                                strconv.Itoa(int(id)),
		"listeners":                                fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", port),
		"log.dirs":                                 logDir,
		"zookeeper.connect":                        zkConnect,
		"zookeeper.connection.timeout.ms":          "30000",
		"num.partitions":                           "1",
		"offsets.topic.replication.factor":         "1",
		"transaction.state.log.replication.factor": "1",
		"transaction.state.log.min.isr":            "1",
		"group.initial.rebalance.delay.ms":         "0",
		"log.segment.delete.delay.ms":              "1000",
	}
	for k, v := range overrides {
		p[k] = v
	}
	return p
}

func writeProperties(path string, props map[string]string) error {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# written by the integration harness\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, props[k])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// listenerPort extracts the port of the first listener in a listeners value.
func listenerPort(listeners string) (string, int, error) {
	first := strings.Split(listeners, ",")[0]
	i := strings.Index(first, "://")
	if i < 0 {
		return "", 0, fmt.Errorf("listener %q has no ://", first)
	}
	host, port, err := net.SplitHostPort(first[i+3:])
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(port)
	if host == "" {
		host = "127.0.0.1"
	}
	return host, n, err
}

// LaunchBroker writes server.properties and starts the process without waiting for it to
// become ready: for tests that expect a start-up to fail. Overrides may replace any key,
// including log.dirs and listeners.
func LaunchBroker(t testing.TB, z ZooKeeper, id int32, overrides map[string]string) *Broker {
	t.Helper()
	return launchBroker(t, z, id, overrides, "")
}

// LaunchBrokerScript is LaunchBroker through a start script (e.g. the repository's
// bin/kafka-server-start.sh) with extra command-line arguments after the properties file.
func LaunchBrokerScript(t testing.TB, z ZooKeeper, id int32, overrides map[string]string, script string, extraArgs ...string) *Broker {
	t.Helper()
	return launchBroker(t, z, id, overrides, script, extraArgs...)
}

func launchBroker(t testing.TB, z ZooKeeper, id int32, overrides map[string]string, script string, extraArgs ...string) *Broker {
	t.Helper()
	KafkaBinary(t) // a build failure should be the reported cause, not a missing process
	dir := t.TempDir()
	props := brokerProps(z.ConnectString(), id, FreePort(t), filepath.Join(dir, "kafka-logs"), overrides)
	host, port, err := listenerPort(props["listeners"])
	if err != nil {
		t.Fatalf("listeners: %v", err)
	}
	b := &Broker{ID: id, Port: port, Addr: net.JoinHostPort(host, strconv.Itoa(port)), LogDir: props["log.dirs"],
		Dir: dir, ConfigPath: filepath.Join(dir, "server.properties"), ZK: z, t: t, script: script, extraArgs: extraArgs}
	if err := writeProperties(b.ConfigPath, props); err != nil {
		t.Fatal(err)
	}
	b.launch(t)
	t.Cleanup(func() {
		if b.p != nil && !b.p.exited() {
			b.p.stop(stopGrace)
		}
		if t.Failed() {
			for i := 1; i <= b.runs; i++ {
				t.Logf("---- broker %d run %d log tail (%s) ----\n%s", b.ID, i, b.runLogPath(i), tailFile(b.runLogPath(i), 60))
			}
		}
	})
	return b
}

func (b *Broker) runLogPath(run int) string {
	return filepath.Join(b.Dir, fmt.Sprintf("server-run%d.log", run))
}

func (b *Broker) launch(t testing.TB) {
	t.Helper()
	b.runs++
	b.logPath = b.runLogPath(b.runs)
	path, argv := KafkaBinary(t), []string{"kafka-server-start.sh", b.ConfigPath}
	if b.script != "" {
		path, argv = b.script, []string{b.script, b.ConfigPath}
	}
	argv = append(argv, b.extraArgs...)
	// LOG_DIR keeps any file logging of the binary inside the test's temp dir.
	p, err := startProc(path, argv, b.Dir, b.logPath, []string{"LOG_DIR=" + filepath.Join(b.Dir, "applogs")}, nil)
	if err != nil {
		t.Fatalf("start broker %d: %v", b.ID, err)
	}
	b.p = p
	b.Pid = p.pid()
}

// StartBroker launches a broker and waits until it accepts connections, answers ApiVersions
// and has registered /brokers/ids/<id>.
func StartBroker(t testing.TB, z ZooKeeper, id int32, overrides map[string]string) *Broker {
	t.Helper()
	b := LaunchBroker(t, z, id, overrides)
	if err := b.WaitReady(brokerStartTimeout); err != nil {
		t.Fatalf("broker %d not ready: %v\n%s", id, err, tailFile(b.logPath, 40))
	}
	return b
}

// StartBrokers starts brokers with ids 0..n-1 on one ZooKeeper (or ensemble), in parallel.
func StartBrokers(t testing.TB, z ZooKeeper, n int, overrides map[string]string) []*Broker {
	t.Helper()
	bs := make([]*Broker, n)
	for i := range bs {
		bs[i] = LaunchBroker(t, z, int32(i), overrides)
	}
	for _, b := range bs {
		if err := b.WaitReady(brokerStartTimeout); err != nil {
			t.Fatalf("broker %d not ready: %v\n%s", b.ID, err, tailFile(b.logPath, 40))
		}
	}
	return bs
}

// WaitReady polls until the broker is usable or the deadline passes.
func (b *Broker) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := "not tried"
	for time.Now().Before(deadline) {
		if b.p.exited() {
			return fmt.Errorf("broker process exited with code %d", b.p.exitCode())
		}
		ok, msg := b.readyOnce()
		if ok {
			return nil
		}
		last = msg
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v: %s", timeout, last)
}

func (b *Broker) readyOnce() (bool, string) {
	c, err := net.DialTimeout("tcp", b.Addr, time.Second)
	if err != nil {
		return false, "port: " + err.Error()
	}
	c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.DialTimeout(2*time.Second), kgo.RequestRetries(0))
	if err != nil {
		return false, err.Error()
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cl.Request(ctx, NewApiVersionsRequest())
	if err != nil {
		return false, "ApiVersions: " + err.Error()
	}
	if code := resp.(*kmsg.ApiVersionsResponse).ErrorCode; code != 0 {
		return false, fmt.Sprintf("ApiVersions error code %d", code)
	}
	var ok bool
	err = zkRetry(func() (err error) {
		ok, _, err = b.ZK.zkConn(b.t).Exists(fmt.Sprintf("/brokers/ids/%d", b.ID))
		return err
	})
	if err != nil {
		return false, "zk: " + err.Error()
	}
	if !ok {
		return false, fmt.Sprintf("/brokers/ids/%d absent", b.ID)
	}
	return true, ""
}

// Exited reports whether the current run's process has ended.
func (b *Broker) Exited() bool { return b.p.exited() }

// WaitExit waits for the process to end on its own and returns its exit code.
func (b *Broker) WaitExit(timeout time.Duration) (code int, exited bool) {
	if !b.p.wait(timeout) {
		return 0, false
	}
	return b.p.exitCode(), true
}

// Stop sends SIGTERM (a clean, controlled shutdown) and waits; SIGKILL after stopGrace.
// It returns the exit code.
func (b *Broker) Stop() int {
	b.p.stop(stopGrace)
	return b.p.exitCode()
}

// Kill ends the broker with SIGKILL, as a crash would.
func (b *Broker) Kill() {
	b.p.kill()
}

// Pause freezes the process group (SIGSTOP): alive but silent, e.g. to let a ZooKeeper
// session expire. Resume continues it.
func (b *Broker) Pause()  { b.p.signal(syscall.SIGSTOP) }
func (b *Broker) Resume() { b.p.signal(syscall.SIGCONT) }

// Restart stops the broker if it runs, starts it again with the same configuration (same
// port, same log dir) and waits until it is ready. After Kill, use a short
// zookeeper.session.timeout.ms or the wait for the old session to expire is long.
func (b *Broker) Restart(t testing.TB) {
	t.Helper()
	if !b.p.exited() {
		b.Stop()
	}
	// After a kill -9 the old registration lives until its ZooKeeper session expires, and a
	// broker, like Kafka's, refuses to start while another session holds its id: wait as an
	// operator would.
	path := fmt.Sprintf("/brokers/ids/%d", b.ID)
	WaitFor(t, 90*time.Second, func() (bool, string) {
		return !ZKExists(t, b.ZK, path), path + " of the previous run still registered (session not expired)"
	})
	b.launch(t)
	if err := b.WaitReady(brokerStartTimeout); err != nil {
		t.Fatalf("broker %d not ready after restart: %v\n%s", b.ID, err, tailFile(b.logPath, 40))
	}
}

// Log returns everything the current run has printed.
func (b *Broker) Log() string {
	data, _ := os.ReadFile(b.logPath)
	return string(data)
}

// LogPath is the current run's output file.
func (b *Broker) LogPath() string { return b.logPath }

// LogContains reports whether the current run printed substr.
func (b *Broker) LogContains(substr string) bool { return strings.Contains(b.Log(), substr) }

// LogLines returns the current run's lines containing substr.
func (b *Broker) LogLines(substr string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(b.Log()))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// WaitForLog polls the current run's output for substr.
func (b *Broker) WaitForLog(t testing.TB, substr string, timeout time.Duration) {
	t.Helper()
	WaitFor(t, timeout, func() (bool, string) {
		return b.LogContains(substr), fmt.Sprintf("broker %d log never printed %q", b.ID, substr)
	})
}

// PartitionDir is where the broker keeps topic-partition's segments.
func (b *Broker) PartitionDir(topic string, partition int32) string {
	return filepath.Join(b.LogDir, fmt.Sprintf("%s-%d", topic, partition))
}

// Seeds returns the bootstrap addresses of brokers.
func Seeds(brokers ...*Broker) []string {
	s := make([]string, len(brokers))
	for i, b := range brokers {
		s[i] = b.Addr
	}
	return s
}

// ---------------------------------------------------------------------------------------
// Clients

// NewClient returns a kgo client closed at the end of the test.
func NewClient(t testing.TB, seeds []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	base := []kgo.Opt{kgo.SeedBrokers(seeds...), kgo.DialTimeout(5 * time.Second), kgo.RetryTimeout(30 * time.Second)}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Client returns a default kgo client bootstrapped from brokers.
func Client(t testing.TB, brokers ...*Broker) *kgo.Client {
	t.Helper()
	return NewClient(t, Seeds(brokers...))
}

// Admin returns a kadm client bootstrapped from brokers.
func Admin(t testing.TB, brokers ...*Broker) *kadm.Client {
	t.Helper()
	return kadm.NewClient(Client(t, brokers...))
}

// Ctx returns a context that ends after d or with the test.
func Ctx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// WaitFor polls cond every 100 ms until it holds; on timeout the test fails with cond's
// last explanation. Tests wait with this, never with bare sleeps.
func WaitFor(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var msg string
	for {
		var ok bool
		ok, msg = cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("condition not met within %v: %s", timeout, msg)
}

// ---------------------------------------------------------------------------------------
// Command-line tools

// RunTool runs one of the binary's tools (argv[0] dispatch, e.g. "kafka-topics.sh") and
// returns its output and exit code. It runs in a temp dir so nothing lands in the repository.
func RunTool(t testing.TB, name string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	return RunToolInput(t, "", name, args...)
}

// RunToolInput is RunTool with stdin.
func RunToolInput(t testing.TB, stdin, name string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	cmd := &exec.Cmd{Path: KafkaBinary(t), Args: append([]string{name}, args...), Dir: t.TempDir()}
	return runCmd(t, cmd, stdin)
}

func runCmd(t testing.TB, cmd *exec.Cmd, stdin string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader(stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Args[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(toolTimeout):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("%s %q did not finish within %v\nstdout:\n%s\nstderr:\n%s", cmd.Args[0], cmd.Args[1:], toolTimeout, out.String(), errb.String())
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// Kcat runs librdkafka's kcat; the test skips without it (fails under CI).
func Kcat(t testing.TB, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	return KcatInput(t, "", args...)
}

// KcatInput is Kcat with stdin.
func KcatInput(t testing.TB, stdin string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	path, err := exec.LookPath("kcat")
	requirePrereq(t, err == nil, "kcat on PATH (apt-get install kcat)")
	cmd := exec.Command(path, args...)
	cmd.Dir = t.TempDir()
	return runCmd(t, cmd, stdin)
}

// Lines splits tool output into lines without the trailing empty one.
func Lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// ---------------------------------------------------------------------------------------
// Produce / consume helpers

// ProduceSync produces records and fails the test on any error; records come back with
// their partitions and offsets filled in.
func ProduceSync(t testing.TB, cl *kgo.Client, recs ...*kgo.Record) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	return recs
}

// ConsumeN reads topic from the start (no group) until n records arrived, then returns them
// ordered per partition by offset. Fewer than n before the timeout fails the test.
func ConsumeN(t testing.TB, seeds []string, topic string, n int, timeout time.Duration, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	base := []kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(500 * time.Millisecond)}
	cl := NewClient(t, seeds, append(base, opts...)...)
	defer cl.Close()
	var out []*kgo.Record
	deadline := time.Now().Add(timeout)
	for len(out) < n && time.Now().Before(deadline) {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachError(func(tp string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Logf("fetch %s-%d: %v", tp, p, err)
			}
		})
		out = append(out, fs.Records()...)
	}
	if len(out) < n {
		t.Fatalf("consumed %d of %d records from %s within %v", len(out), n, topic, timeout)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Offset < out[j].Offset
	})
	return out
}

// BrokerRequest sends a raw request to one broker (no sharding, no retries), after loading
// metadata so the client knows the broker by id.
func BrokerRequest(t testing.TB, cl *kgo.Client, id int32, req kmsg.Request) kmsg.Response {
	t.Helper()
	resp, err := BrokerRequestErr(cl, id, req, 30*time.Second)
	if err != nil {
		t.Fatalf("%s request to broker %d: %v", kmsg.NameForKey(req.Key()), id, err)
	}
	return resp
}

// BrokerRequestErr is BrokerRequest returning the error.
func BrokerRequestErr(cl *kgo.Client, id int32, req kmsg.Request, timeout time.Duration) (kmsg.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if _, err := cl.Request(ctx, kmsg.NewPtrMetadataRequest()); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return cl.Broker(int(id)).Request(ctx, req)
}

// NewApiVersionsRequest carries a client software name and version, which brokers (Kafka's
// and ours) require to match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? from v3 on.
func NewApiVersionsRequest() *kmsg.ApiVersionsRequest {
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "kafka-classic-it", "1.0"
	return req
}

// ReadProperties parses a simple Java properties file (comments, key=value), enough for
// meta.properties.
func ReadProperties(t testing.TB, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		if i := strings.IndexAny(line, "=:"); i >= 0 {
			m[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i+1:])
		}
	}
	return m
}
