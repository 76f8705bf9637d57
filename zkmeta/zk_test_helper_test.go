package zkmeta

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

const (
	zkJar  = "/usr/share/java/zookeeper.jar"
	nopJar = "/usr/share/java/slf4j-nop.jar"
)

// testZK is a standalone ZooKeeper server (the Debian package) running in its
// own process group under t.TempDir().
type testZK struct {
	Addr string
	cmd  *exec.Cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// startZK starts a server and waits until it answers "ruok"; it is killed by
// pid (its whole process group) in t.Cleanup. Skips without java or the jar.
func startZK(t *testing.T) *testZK {
	t.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed")
	}
	for _, j := range []string{zkJar, nopJar} {
		if _, err := os.Stat(j); err != nil {
			t.Skipf("%s missing", j)
		}
	}
	dir := t.TempDir()
	port := freePort(t)
	cfg := filepath.Join(dir, "zoo.cfg")
	conf := fmt.Sprintf("dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=*\ntickTime=2000\n",
		filepath.Join(dir, "data"), port)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "zk.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(java, "-Xmx128m", "-cp", zkJar+":"+nopJar,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	z := &testZK{Addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		logf.Close()
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ruok(z.Addr) {
			return z
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(filepath.Join(dir, "zk.log"))
			t.Fatalf("zookeeper exited early: %s", b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("zookeeper at %s not ready after 60s", z.Addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ruok(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ruok")); err != nil {
		return false
	}
	b, _ := io.ReadAll(c)
	return string(b) == "imok"
}

// proxy is a TCP relay to ZooKeeper whose traffic the test can cut, which is
// how a session is made to expire on the server while the client lives on.
type proxy struct {
	Addr    string
	target  string
	l       net.Listener
	mu      sync.Mutex
	blocked bool
	conns   []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{Addr: l.Addr().String(), target: target, l: l}
	t.Cleanup(func() { l.Close(); p.block() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.blocked {
				p.mu.Unlock()
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close(); c.Close() }()
			go func() { _, _ = io.Copy(c, s); s.Close(); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) block() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) unblock() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = false
}

// testLogger sends the client's log lines to t.Log and to a buffer the test
// can search.
type testLogger struct {
	t    *testing.T
	mu   sync.Mutex
	b    strings.Builder
	done bool // set when the test ends: t.Log would panic afterwards
}

func (l *testLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if !l.done {
		l.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (l *testLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestLogger(t *testing.T) (*testLogger, zerolog.Logger) {
	tl := &testLogger{t: t}
	t.Cleanup(func() { tl.mu.Lock(); tl.done = true; tl.mu.Unlock() })
	return tl, zerolog.New(tl).Level(zerolog.InfoLevel)
}

func connectT(t *testing.T, connect string) *Client {
	t.Helper()
	_, log := newTestLogger(t)
	c, err := Connect(connect, 6*time.Second, 20*time.Second, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
