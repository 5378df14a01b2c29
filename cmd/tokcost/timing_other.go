//go:build !unix

package main

import "time"

// resourceUsage is not measured here: timing lines give wall time only.
func resourceUsage() (cpu time.Duration, peakRSS int64, ok bool) { return 0, 0, false }
