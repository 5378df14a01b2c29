package main

import (
	"context"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IOStreams is where commands read and write; nothing writes to os.Stdout
// directly, so tests can capture everything.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	StdinTTY  bool
	StderrTTY bool

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
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		StdinTTY:  isatty.IsTerminal(os.Stdin.Fd()),
		StderrTTY: isatty.IsTerminal(os.Stderr.Fd()),
		timing:    newPhaseTimer(os.Stderr),
	}
}
