package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// baseDir is what Kafka's scripts call base_dir/..: the repository (or installation) root,
// found from the binary's own location (<root>/bin/.kafka).
func baseDir() string {
	exe, err := os.Executable()
	if err != nil {
		wd, _ := os.Getwd()
		return wd
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return filepath.Dir(filepath.Dir(exe))
}

// logDir is kafka-run-class.sh's LOG_DIR: $LOG_DIR, else <base>/logs.
func logDir() string {
	if d := os.Getenv("LOG_DIR"); d != "" {
		return d
	}
	return filepath.Join(baseDir(), "logs")
}

// daemonize re-executes this binary as the same tool without "-daemon", detached in its own
// session with stdout and stderr appended to LOG_DIR/<name>.out and stdin from /dev/null,
// as kafka-run-class.sh does with nohup. It records the child's pid in LOG_DIR/<name>.pid.
func daemonize(e *env, name string, args []string) error {
	dir := logDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create log directory %s: %w", dir, err)
	}
	out, err := os.OpenFile(filepath.Join(dir, name+".out"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = e.Argv0
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, out, out
	cmd.Env = append(os.Environ(), "LOG_DIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	return os.WriteFile(pidFile(name), []byte(strconv.Itoa(pid)+"\n"), 0o644)
}

func pidFile(name string) string { return filepath.Join(logDir(), name+".pid") }

// readPidFile returns the pid recorded for name if that process is still alive.
func readPidFile(name string) (int, bool) {
	b, err := os.ReadFile(pidFile(name))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, syscall.Kill(pid, 0) == nil
}

// procArgv reads a process's argv from /proc.
func procArgv(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return nil
	}
	parts := bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0})
	argv := make([]string, len(parts))
	for i, p := range parts {
		argv[i] = string(p)
	}
	return argv
}

// isOurBinary tells whether pid runs this program (bin/.kafka or a kafka build), so that
// shells and editors whose argv merely mention a tool name are never signalled.
func isOurBinary(pid int) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	if self, err := os.Executable(); err == nil && exe == self {
		return true
	}
	switch filepath.Base(exe) {
	case ".kafka", "kafka":
		return true
	}
	return false
}

// procEnv returns one variable of a process's environment.
func procEnv(pid int, key string) (string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return "", false
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// procLogDir is the LOG_DIR another process of this binary works with: its LOG_DIR
// variable, else <its binary's root>/logs. Stop tools only signal processes that share
// ours, so one installation never stops another's servers on a shared machine.
func procLogDir(pid int) string {
	if d, ok := procEnv(pid, "LOG_DIR"); ok && d != "" {
		return filepath.Clean(d)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return ""
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	return filepath.Join(filepath.Dir(filepath.Dir(exe)), "logs")
}

// findToolProcesses lists live processes of this binary running the given tool (started as
// `kafka-server-start[.sh] ...` or `kafka kafka-server-start ...`) with our LOG_DIR.
func findToolProcesses(name, short string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	mine := filepath.Clean(logDir())
	var pids []int
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == self {
			continue
		}
		argv := procArgv(pid)
		if len(argv) == 0 {
			continue
		}
		match := toolName(argv[0]) == name ||
			(len(argv) > 1 && (argv[1] == name || argv[1] == short) && toolName(argv[0]) == "kafka")
		if match && isOurBinary(pid) && procLogDir(pid) == mine {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids
}

// signalFromEnv honours the SIGNAL variable of Kafka's stop scripts (default TERM).
func signalFromEnv() (syscall.Signal, error) {
	s := strings.TrimPrefix(strings.ToUpper(os.Getenv("SIGNAL")), "SIG")
	switch s {
	case "", "TERM":
		return syscall.SIGTERM, nil
	case "KILL":
		return syscall.SIGKILL, nil
	case "INT":
		return syscall.SIGINT, nil
	case "HUP":
		return syscall.SIGHUP, nil
	case "STOP":
		return syscall.SIGSTOP, nil
	case "CONT":
		return syscall.SIGCONT, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return syscall.Signal(n), nil
	}
	return 0, fmt.Errorf("unknown signal %q", os.Getenv("SIGNAL"))
}

// stopProcesses signals every pid; pid files naming a dead process are removed.
// The pid file's process is only trusted if verify accepts it (pids get reused).
func stopProcesses(e *env, pidName string, pids []int, verify func(int) bool, none string) error {
	if pid, ok := readPidFile(pidName); ok {
		found := false
		for _, p := range pids {
			found = found || p == pid
		}
		if !found && verify(pid) {
			pids = append(pids, pid)
		}
	} else {
		_ = os.Remove(pidFile(pidName))
	}
	if len(pids) == 0 {
		fmt.Fprintln(e.Stdout, none)
		return exitCode(1)
	}
	sig, err := signalFromEnv()
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return exitCode(1)
	}
	failed := false
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil {
			fmt.Fprintf(e.Stderr, "kill: (%d) - %v\n", pid, err)
			failed = true
		}
	}
	if failed {
		return exitCode(1)
	}
	return nil
}
