package main

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// IOStreams is where commands read and write; nothing writes to os.Stdout
// directly, so tests can capture everything.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	StdinTTY  bool
	StderrTTY bool
	// StdoutWidth is stdout's terminal width in columns, 0 when stdout
	// is not a terminal (or its size is unknown).
	StdoutWidth int

	// timing prints phase times on ErrOut (timing.go); nil times nothing.
	timing *phaseTimer

	// ctx is the run's context (MainContext sets it): cancelled by
	// SIGINT or SIGTERM, it stops reading and writing. It travels with
	// the streams because every command that reads or writes has them.
	ctx context.Context
}

// context returns the run's context (Background outside MainContext).
func (ios *IOStreams) context() context.Context {
	if ios.ctx == nil {
		return context.Background()
	}
	return ios.ctx
}

// SystemIO is the process's real streams.
func SystemIO() *IOStreams {
	ios := &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		StdinTTY:  isatty.IsTerminal(os.Stdin.Fd()),
		StderrTTY: isatty.IsTerminal(os.Stderr.Fd()),
		timing:    newPhaseTimer(os.Stderr),
	}
	if isatty.IsTerminal(os.Stdout.Fd()) {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			ios.StdoutWidth = w
		}
	}
	return ios
}

// defaultTableWidth is the width of the table format when the output is
// not a terminal, so CI logs and golden files do not depend on who ran
// the command.
const defaultTableWidth = 100

// tableWidth is report.WriterOptions.Width for the table format: 0 with
// --wide (every column), else COLUMNS when set to a positive number (the
// POSIX override, also for pipes and files), else the terminal's width
// when the table goes to stdout and stdout is a terminal, else 100.
func (ios *IOStreams) tableWidth(wide, toStdout bool) int {
	if wide {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if toStdout && ios.StdoutWidth > 0 {
		return ios.StdoutWidth
	}
	return defaultTableWidth
}

// wideHelp is the help of --wide, on every command with a table format.
const wideHelp = "table: print every column at full width (default: fit the terminal, COLUMNS, or 100 columns when not a terminal, dropping low-value columns and wrapping long lines)"
