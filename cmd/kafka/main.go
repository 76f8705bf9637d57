package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
)

// kafkaVersion is what `--version` prints (AppInfoParser.getVersion of the release we mimic).
const kafkaVersion = "2.8.2"

// env is what a tool sees of the process, so tests can run tools in-process.
type env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Name is the script name the tool was started as ("kafka-topics.sh"), used in
	// usage lines and when re-executing for -daemon.
	Name string
	// Argv0 is argv[0] as given ("bin/kafka-server-start.sh"), which Kafka's scripts print
	// as $0 in their USAGE lines.
	Argv0 string
}

type toolFunc func(e *env, args []string) error

type tool struct {
	name  string // Kafka's script name without ".sh"
	short string // subcommand alias: `kafka topics`
	usage string
	run   toolFunc
}

var tools = map[string]tool{}

func register(t tool) { tools[t.name] = t }

// toolName maps an argv[0] such as "/opt/kafka/bin/kafka-topics.sh" to "kafka-topics".
func toolName(argv0 string) string {
	return strings.TrimSuffix(filepath.Base(argv0), ".sh")
}

// runTool runs a tool and turns its result into a process exit status.
func runTool(t tool, e *env, args []string) int {
	err := t.run(e, args)
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	default:
		fmt.Fprintln(e.Stderr, err)
		return 1
	}
}

func main() {
	os.Exit(realMain(os.Args))
}

func realMain(argv []string) int {
	e := &env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if t, ok := tools[toolName(argv[0])]; ok {
		e.Name, e.Argv0 = filepath.Base(argv[0]), argv[0]
		return runTool(t, e, argv[1:])
	}
	status := 0
	app := &cli.App{
		Name:            "kafka",
		Usage:           "Kafka 2.8 (ZooKeeper mode) command-line tools; also runs as kafka-<tool>[.sh] via argv[0]",
		HideHelpCommand: true,
		Writer:          os.Stdout,
		ErrWriter:       os.Stderr,
		ExitErrHandler:  func(*cli.Context, error) {},
	}
	names := make([]string, 0, len(tools))
	for n := range tools {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t := tools[n]
		app.Commands = append(app.Commands, &cli.Command{
			Name:            t.name,
			Aliases:         []string{t.short},
			Usage:           t.usage,
			SkipFlagParsing: true,
			HideHelp:        true,
			Action: func(c *cli.Context) error {
				e.Name = t.name + ".sh"
				e.Argv0 = e.Name
				status = runTool(t, e, c.Args().Slice())
				return nil
			},
		})
	}
	if err := app.Run(argv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return status
}
