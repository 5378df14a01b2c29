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
			// Names are padded to the longest, so descriptions line up.
			width := 0
			for _, f := range ingest.Formats() {
				width = max(width, len(f.Name()))
			}
			for _, f := range ingest.Formats() {
				if _, err := fmt.Fprintf(ios.Out, "%-*s %s\n", width, f.Name(), f.Describe()); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
