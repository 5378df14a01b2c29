package gen_test

import (
	"fmt"
	"os"

	"github.com/tokcost/tokcost/gen"
)

// A small demo file: five interleaved sessions on stdout, truth discarded.
func ExampleGenerate() {
	sum, err := gen.Generate(os.Stdout, nil, gen.Options{Sessions: 5, Seed: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Fprintf(os.Stderr, "%d records, %d bytes\n", sum.Records, sum.Bytes)
}
