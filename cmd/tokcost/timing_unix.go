//go:build unix

package main

import (
	"runtime"
	"syscall"
	"time"
)

// resourceUsage is the process's CPU time so far (user and system) and
// its peak resident set in bytes.
func resourceUsage() (cpu time.Duration, peakRSS int64, ok bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0, false
	}
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	peakRSS = int64(ru.Maxrss) // KiB on Linux and the BSDs
	if runtime.GOOS == "darwin" {
		return cpu, peakRSS, true // bytes on macOS
	}
	return cpu, peakRSS << 10, true
}
