// Command tokcost reports what AI agent sessions really cost, from trace files.
package main

import "os"

func main() { os.Exit(Main(SystemIO(), os.Args[1:])) }
