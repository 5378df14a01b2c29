package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/report"
)

type ticketOptions struct {
	policyOptions
	Flagship     string
	Evidence     int
	MinCapSaving float64
}

func newTicketCmd(ios *IOStreams, runF func(*ticketOptions) error) *cobra.Command {
	opts := &ticketOptions{}
	cmd := &cobra.Command{
		Use:   "ticket [flags] INPUT...",
		Short: "Write a Markdown ticket proposing an iteration cap (and routing)",
		Long: `Write a ticket, ready to paste into GitHub or Jira, proposing a strict
maximum-iterations cap and, with --route or --route-tool, a routing layer:
the measured P95/P99 cost per task and the monthly projection, the worst
runaway sessions as evidence, the recommended cap with its savings and
collateral, and an architecture-review paragraph with real numbers.

A cap is proposed only when it saves at least --min-cap-saving of spend
(default 5%) within --max-collateral. Otherwise the ticket says a cap is not
the lever and shows what is, with the numbers: the runaway loops' error
signatures and what they wasted, spend by role (or the routes' savings) and
what input tokens cost (or the window's saving).

It takes the same flags as 'tokcost whatif'.

` + policyHelp + `

` + exitCodesHelp,
		Example: `  tokcost ticket --tasks-per-month 50000 testdata/fleet.jsonl > ticket.md
  tokcost ticket --route executor=claude-3-haiku --flagship claude-3-opus traces/`,
		Args: inputArgs(&opts.inputOptions),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if runF != nil {
				return runF(opts)
			}
			return ticketRun(ios, cmd, opts)
		},
	}
	opts.register(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.Flagship, "flagship", "", "model for the 'one flagship model for everything' figure (default: the dearest model in the traces)")
	f.IntVar(&opts.Evidence, "evidence", 5, "how many runaway sessions to list as evidence")
	f.Float64Var(&opts.MinCapSaving, "min-cap-saving", report.DefaultMinCapSaving, "smallest share of spend the recommended cap must save to be proposed (0.05 = 5%); below it the ticket shows the loops' causes, routing and the window instead")
	return cmd
}

func ticketRun(ios *IOStreams, cmd *cobra.Command, opts *ticketOptions) error {
	if opts.Evidence < 1 {
		return usageErr("--evidence must be at least 1")
	}
	if opts.MinCapSaving < 0 || opts.MinCapSaving > 1 {
		return usageErr("--min-cap-saving must be between 0 and 1 (a share, 0.05 = 5%%)")
	}
	cfg, err := opts.config(cmd)
	if err != nil {
		return err
	}
	if opts.Flagship != "" {
		if err := validateModel(&opts.inputOptions, opts.Flagship); err != nil {
			return err
		}
	}
	// The ticket also needs the spend by role and every session's cost
	// with every call on the flagship model, replayed with the rest.
	sp := &analyze.WhatifSpec{Config: cfg, Flagship: opts.Flagship, AutoFlagship: opts.Flagship == "", Roles: true}
	d, r, err := opts.simulate(ios, sp)
	if err != nil {
		return err
	}
	f, err := sp.Ticket(d)
	if err != nil {
		return err
	}
	t := report.BuildTicketFrom(d.Models, f, r, report.TicketOptions{Flagship: opts.Flagship, Evidence: opts.Evidence, MinCapSaving: &opts.MinCapSaving})
	if err := writeOutput(ios, opts.Output, func(out io.Writer) error { return report.WriteTicket(out, t) }); err != nil {
		return err
	}
	return opts.unpricedExit(d)
}
