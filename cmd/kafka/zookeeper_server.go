package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/kafka-classic/kafka-classic/config"
)

func init() {
	register(tool{name: "zookeeper-server-start", short: "zookeeper-start",
		usage: "run Apache ZooKeeper: [-daemon] zookeeper.properties", run: zookeeperStart})
	register(tool{name: "zookeeper-server-stop", short: "zookeeper-stop",
		usage: "stop the ZooKeeper started by zookeeper-server-start", run: zookeeperStop})
}

const (
	zkJar      = "/usr/share/java/zookeeper.jar"
	zkMainCls  = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
	log4jJar   = "/usr/share/java/log4j-1.2.jar"
	slf4jLog4j = "/usr/share/java/slf4j-log4j12.jar"
	slf4jSimpl = "/usr/share/java/slf4j-simple.jar"
)

// Kafka's config/log4j.properties console layout, so ZooKeeper's lines look as they do
// when started from a Kafka distribution.
const zkLog4jProperties = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
`

// zookeeperStart is bin/zookeeper-server-start.sh: exec java on QuorumPeerMain with the
// properties file (ZooKeeper reads it itself), replacing this process so that signals go
// straight to the JVM as with the real script's exec.
func zookeeperStart(e *env, args []string) error {
	if len(args) < 1 {
		fmt.Fprintf(e.Stdout, "USAGE: %s [-daemon] zookeeper.properties\n", e.Argv0)
		return exitCode(1)
	}
	daemon := args[0] == "-daemon"
	if daemon {
		args = args[1:]
	}
	java, err := exec.LookPath("java")
	if err != nil {
		fmt.Fprintln(e.Stderr, "ZooKeeper is not installed: apt-get install zookeeper (java was not found on PATH)")
		return exitCode(1)
	}
	if _, err := os.Stat(zkJar); err != nil {
		fmt.Fprintf(e.Stderr, "ZooKeeper is not installed: apt-get install zookeeper (%s is missing)\n", zkJar)
		return exitCode(1)
	}
	if len(args) > 0 {
		if err := prepareZkDataDir(args[0]); err != nil {
			fmt.Fprintln(e.Stderr, err)
			return exitCode(1)
		}
	}
	if daemon {
		return daemonize(e, "zookeeper", args)
	}
	argv, err := zookeeperCommand(java, args)
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return exitCode(1)
	}
	if err := syscall.Exec(java, argv, os.Environ()); err != nil {
		return fmt.Errorf("exec %s: %w", java, err)
	}
	return nil
}

// prepareZkDataDir creates dataDir (and dataLogDir) so that a fresh /tmp works.
func prepareZkDataDir(path string) error {
	props, err := config.LoadProperties(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			// QuorumPeerMain reports this itself, in its own words.
			return nil
		}
		return err
	}
	for _, k := range []string{"dataDir", "dataLogDir"} {
		if d := strings.TrimSpace(props[k]); d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("cannot create %s %s: %w", k, d, err)
			}
		}
	}
	return nil
}

// zookeeperCommand builds the JVM command line.
func zookeeperCommand(java string, args []string) ([]string, error) {
	cp := []string{zkJar}
	var jvm []string
	if fileExists(log4jJar) && fileExists(slf4jLog4j) {
		cfg := filepath.Join(os.TempDir(), "kafka-classic-zookeeper-log4j.properties")
		if err := os.WriteFile(cfg, []byte(zkLog4jProperties), 0o644); err != nil {
			return nil, err
		}
		cp = append(cp, slf4jLog4j, log4jJar)
		jvm = append(jvm, "-Dlog4j.configuration=file:"+cfg)
	} else if fileExists(slf4jSimpl) {
		cp = append(cp, slf4jSimpl)
		jvm = append(jvm, "-Dorg.slf4j.simpleLogger.logFile=System.out",
			"-Dorg.slf4j.simpleLogger.showDateTime=true",
			"-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss,SSS")
	}
	// ZooKeeper 3.5+ reads the admin server switches as system properties; pass the file's
	// values explicitly so `admin.enableServer=false` keeps port 8080 free.
	if len(args) > 0 {
		if props, err := config.LoadProperties(args[0]); err == nil {
			for _, k := range []string{"admin.enableServer", "admin.serverPort", "admin.serverAddress"} {
				if v, ok := props[k]; ok {
					jvm = append(jvm, "-Dzookeeper."+k+"="+strings.TrimSpace(v))
				}
			}
		}
	}
	heap := []string{"-Xmx512M", "-Xms512M"}
	if h := strings.Fields(os.Getenv("KAFKA_HEAP_OPTS")); len(h) > 0 {
		heap = h
	}
	argv := append([]string{java}, heap...)
	argv = append(argv, "-Dkafka.logs.dir="+filepath.Clean(logDir()))
	argv = append(argv, jvm...)
	argv = append(argv, "-cp", strings.Join(cp, ":"), zkMainCls)
	return append(argv, args...), nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// zookeeperStop is bin/zookeeper-server-stop.sh.
func zookeeperStop(e *env, args []string) error {
	pids := findJavaZooKeepers()
	verify := func(pid int) bool {
		for _, p := range findJavaZooKeepers() {
			if p == pid {
				return true
			}
		}
		return false
	}
	return stopProcesses(e, "zookeeper", pids, verify, "No zookeeper server to stop")
}

// findJavaZooKeepers finds the JVMs our zookeeper-server-start exec'ed for this LOG_DIR:
// QuorumPeerMain with -Dkafka.logs.dir=<LOG_DIR>, the property kafka-run-class.sh passes to
// every JVM. ZooKeepers started by other means, or for another LOG_DIR, are left alone.
func findJavaZooKeepers() []int {
	var pids []int
	marker := "-Dkafka.logs.dir=" + filepath.Clean(logDir())
	entries, _ := os.ReadDir("/proc")
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		argv := procArgv(pid)
		hasMain, hasMarker := false, false
		for _, a := range argv {
			hasMain = hasMain || a == zkMainCls
			hasMarker = hasMarker || a == marker
		}
		if hasMain && hasMarker {
			pids = append(pids, pid)
		}
	}
	return pids
}
