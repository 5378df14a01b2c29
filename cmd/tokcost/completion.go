package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/report"
)

// completionHelp is added to cobra's own `tokcost completion` command.
const completionHelp = `

Install, for example:
  bash:  tokcost completion bash > /etc/bash_completion.d/tokcost
  zsh:   tokcost completion zsh > "${fpath[1]}/_tokcost"
  fish:  tokcost completion fish > ~/.config/fish/completions/tokcost.fish

Flag values complete too: --format, --input-format, --cost-source, --group-by.`

// registerCompletions completes the enum flags of every command with their
// valid values and documents the completion command. Call it once the
// commands are added.
func registerCompletions(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	values := func(vs ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return vs, cobra.ShellCompDirectiveNoFileComp
		}
	}
	var inputFormats []string
	for _, f := range ingest.Formats() {
		inputFormats = append(inputFormats, f.Name())
	}
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Long = strings.TrimRight(c.Long, "\n") + completionHelp
			// "tokcost completion foo" printed help and exited 0; an
			// unknown shell is a usage error like any bad argument.
			c.Args = cobra.NoArgs
			c.RunE = func(cmd *cobra.Command, args []string) error {
				return usageErr("completion needs a shell: bash, zsh, fish or powershell")
			}
			for _, sub := range c.Commands() {
				sub.Args = cobra.NoArgs
			}
			continue
		}
		flags := map[string][]string{
			"input-format": inputFormats,
			"cost-source":  {"auto", "computed", "record"},
			"group-by":     {"workflow", "model"},
		}
		switch c.Name() {
		case "analyze", "merge":
			flags["format"] = report.AnalyzeWriters.Names()
		case "whatif":
			flags["format"] = report.WhatifWriters.Names()
		case "prices":
			flags["format"] = report.PricesWriters.Names()
		case "check":
			flags["format"] = report.CheckWriters.Names()
		case "diff":
			flags["format"] = report.DiffWriters.Names()
		case "trend":
			flags["format"] = report.TrendWriters.Names()
		}
		for name, vs := range flags {
			if c.Flags().Lookup(name) != nil {
				if _, ok := c.GetFlagCompletionFunc(name); ok {
					continue // the command completes it itself
				}
				_ = c.RegisterFlagCompletionFunc(name, values(vs...))
			}
		}
	}
}
