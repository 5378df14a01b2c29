package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/ingest"
)

func newFormatsCmd(ios *IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "formats",
		Short: "List the input formats tokcost reads",
		Long: `List the input formats, in the order auto-detection tries them, with what
each maps. Force one with --input-format NAME.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, f := range ingest.Formats() {
				fmt.Fprintf(ios.Out, "%-12s %s\n", f.Name(), f.Describe())
			}
			return nil
		},
	}
}
