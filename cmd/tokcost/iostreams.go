package main

import (
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
}

// SystemIO is the process's real streams.
func SystemIO() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		StdinTTY:  isatty.IsTerminal(os.Stdin.Fd()),
		StderrTTY: isatty.IsTerminal(os.Stderr.Fd()),
	}
}
