package main

import (
	"errors"
	"fmt"
)

// Exit codes: the one place they are defined. Listed in every command's help.
const (
	ExitOK       = 0 // success
	ExitError    = 1 // runtime error: unreadable input, failed write, …
	ExitUsage    = 2 // bad flags or arguments
	ExitInvalid  = 3 // --strict and the input had invalid records or unreadable files
	ExitCheck    = 4 // a budget or threshold check failed
	ExitUnpriced = 5 // --fail-on-unpriced and some calls could not be priced
	// ExitNoRecords: not one input line held a record (an empty file, or
	// nothing any reader understood). A report of zeros would pass for
	// "no cost"; it is an error of its own so a broken upstream step shows.
	ExitNoRecords = 6
)

const exitCodesHelp = `Exit status:
  0  success
  1  runtime error (missing or unreadable input, failed write)
  2  usage error (bad flag or argument; an output that is an input)
  3  --strict and some input lines were invalid (or files in directories unreadable,
     timestamps unreadable, or Cline/Roo Code input tokens assumed)
  4  a budget or threshold check failed
  5  --fail-on-unpriced and some calls could not be priced
  6  no records: the input was empty or no line could be read

  130, 143  interrupted (SIGINT, SIGTERM); no output replaced`

// exitError carries an exit code up to Main, the only place that exits.
type exitError struct {
	code int
	err  error // nil: exit silently with code (the cause was already reported)
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// exitCode maps an error to the process's exit status.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitError
}
