package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// signalled is the cause of a run cancelled by a signal.
type signalled struct{ sig os.Signal }

func (s signalled) Error() string { return "interrupted by " + s.sig.String() }

// hardStopAfter is how long a cancelled run may take to wind down before
// the signal handler removes the temp files and exits itself. Reading,
// finishing (analyze.FinishContext, within a partition's work) and
// writing all watch the context, so this is for what cannot, such as a
// read blocked on a terminal.
const hardStopAfter = 5 * time.Second

// signalContext returns a context cancelled, with a signalled cause, by
// the first SIGINT or SIGTERM; the run then stops at its next read,
// finishing check or write and cleans up (MainContext). A second signal, or a run still
// going hardStopAfter later, removes every temp file and exits at once
// with 128 + the signal number. This is restic's createGlobalContext,
// with the fallback exit added. stop releases the signals.
func signalContext(errOut io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var s os.Signal
		select {
		case s = <-ch:
		case <-done:
			return
		}
		cancel(signalled{s})
		select {
		case <-ch:
		case <-time.After(hardStopAfter):
		case <-done:
			return
		}
		removeTemps()
		fmt.Fprintf(errOut, "tokcost: %s: did not stop in time; temp files removed, no output file was replaced\n", signalled{s})
		os.Exit(signalExit(s))
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// interruptedExit returns the exit status of a run cancelled by a signal.
func interruptedExit(ctx context.Context) (int, bool) {
	var s signalled
	if errors.As(context.Cause(ctx), &s) {
		return signalExit(s.sig), true
	}
	return 0, false
}

// signalExit is the shell's status for a process ended by s: 128 + its
// number (130 for SIGINT, 143 for SIGTERM).
func signalExit(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 128 + 2
}
