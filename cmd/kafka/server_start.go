package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/kafka-classic/kafka-classic/broker"
	"github.com/kafka-classic/kafka-classic/config"
	"github.com/kafka-classic/kafka-classic/zkmeta"
	"github.com/rs/zerolog"
)

func init() {
	register(tool{name: "kafka-server-start", short: "server-start",
		usage: "start a broker: [-daemon] server.properties [--override property=value]*", run: serverStart})
	register(tool{name: "kafka-server-stop", short: "server-stop",
		usage: "stop the brokers started on this machine", run: serverStop})
}

// serverStart is bin/kafka-server-start.sh plus kafka.Kafka.main.
func serverStart(e *env, args []string) error {
	if len(args) < 1 {
		// The script's own check, printed with echo (stdout) before Java is involved.
		fmt.Fprintf(e.Stdout, "USAGE: %s [-daemon] server.properties [--override property=value]*\n", e.Argv0)
		return exitCode(1)
	}
	if args[0] == "-daemon" {
		return daemonize(e, "kafkaServer", args[1:])
	}
	props, err := brokerPropsFromArgs(e, args)
	if err != nil {
		return err
	}
	log := broker.NewLogger(e.Stdout, zerolog.InfoLevel)
	cfg, err := config.NewBroker(props)
	if err != nil {
		return fatalExit(e, log, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	var caught atomic.Int32
	go func() {
		select {
		case s := <-sigs:
			caught.Store(int32(s.(syscall.Signal)))
			cancel()
		case <-ctx.Done():
		}
	}()
	err = broker.Run(ctx, cfg, log)
	cancel()
	if err != nil {
		// KafkaServer.startup has already logged "Fatal error during KafkaServer startup"
		// with the cause and shut down; kafka.Kafka then only says this.
		log.Error().Str(broker.LoggerField, "kafka.Kafka$").Msg("Exiting Kafka.")
		return exitCode(1)
	}
	if sig := caught.Load(); sig != 0 {
		// The JVM runs Kafka's shutdown hook and then exits with 128+signal.
		return exitCode(128 + int(sig))
	}
	return nil
}

// fatalExit is kafka.Kafka's `fatal("Exiting Kafka due to fatal exception", e)`: the log
// line, then the exception's first line as log4j prints it, exit 1.
func fatalExit(e *env, log zerolog.Logger, err error) error {
	log.Error().Str(broker.LoggerField, "kafka.Kafka$").Msg("Exiting Kafka due to fatal exception")
	fmt.Fprintln(e.Stdout, javaExceptionLine(err))
	return exitCode(1)
}

// javaExceptionLine renders an error as the first line of a Java stack trace.
func javaExceptionLine(err error) string {
	switch {
	case isConfigError(err):
		return "org.apache.kafka.common.config.ConfigException: " + config.Message(err)
	case errors.Is(err, zkmeta.ErrConnectionTimeout):
		return "kafka.zookeeper.ZooKeeperClientTimeoutException: " + zkmeta.Message(err)
	case errors.Is(err, os.ErrNotExist):
		var pe *os.PathError
		if ok := asPathError(err, &pe); ok {
			return "java.nio.file.NoSuchFileException: " + pe.Path
		}
	}
	return "org.apache.kafka.common.KafkaException: " + err.Error()
}

// brokerPropsFromArgs is Kafka.getPropsFromArgs: the properties file then --override k=v.
func brokerPropsFromArgs(e *env, args []string) (config.Properties, error) {
	p := NewParser()
	override := p.Accepts("override", "Optional property that should override values set in server.properties file").
		WithRequiredArg()
	p.Accepts("version", "Print version information and exit.")
	usage := "USAGE: java [options] KafkaServer server.properties [--override property=value]*"
	for _, a := range args {
		if a == "--help" {
			return nil, e.usageAndDie(p, usage)
		}
	}
	if len(args) == 0 {
		return nil, e.usageAndDie(p, usage)
	}
	for _, a := range args {
		if a == "--version" {
			fmt.Fprintln(e.Stdout, kafkaVersion)
			return nil, exitCode(0)
		}
	}
	props, err := config.LoadProperties(args[0])
	if err != nil {
		log := broker.NewLogger(e.Stdout, zerolog.InfoLevel)
		return nil, fatalExit(e, log, err)
	}
	if len(args) > 1 {
		// Kafka builds this parser with abbreviations off.
		p.byName = map[string]*Opt{override.Name: override, "version": p.byName["version"]}
		s, err := p.parseExact(args[1:])
		if err != nil {
			log := broker.NewLogger(e.Stdout, zerolog.InfoLevel)
			return nil, fatalExit(e, log, fmt.Errorf("%s", err.Error()))
		}
		if len(s.NonOptions) > 0 {
			return nil, e.usageAndDie(p, "Found non argument parameters: "+strings.Join(s.NonOptions, ","))
		}
		for k, v := range parseKeyValueArgs(s.ValuesOf(override)) {
			props[k] = v
		}
	}
	return props, nil
}

// parseExact parses without accepting abbreviations (jopt's OptionParser(false)).
func (p *Parser) parseExact(args []string) (*OptionSet, error) {
	for _, a := range args {
		if looksLikeOption(a) {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if _, ok := p.byName[name]; !ok {
				return nil, &OptionError{Msg: name + " is not a recognized option"}
			}
		}
	}
	return p.Parse(args)
}

// serverStop is bin/kafka-server-stop.sh: signal every running broker of this machine.
func serverStop(e *env, args []string) error {
	pids := findToolProcesses("kafka-server-start", "server-start")
	return stopProcesses(e, "kafkaServer", pids, isOurBinary, "No kafka server to stop")
}
