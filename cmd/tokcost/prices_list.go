package main

import (
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/pricing"
	"github.com/tokcost/tokcost/report"
)

// globRegexp compiles a --list pattern: a glob (* any run of characters,
// ? one character) matched against the whole key, case-insensitively; a
// pattern without wildcards matches keys that contain it. Listing is for
// people browsing the table; prices are never matched this way.
func globRegexp(pattern string) *regexp.Regexp {
	if pattern == "" {
		return nil
	}
	if !strings.ContainsAny(pattern, "*?") {
		return regexp.MustCompile("(?i)" + regexp.QuoteMeta(pattern))
	}
	var b strings.Builder
	b.WriteString("(?i)^")
	for _, c := range pattern {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// listPrices lists the keys matching pattern with the rates in force at
// atNano (0: latest).
func listPrices(t *pricing.Table, res report.PriceModels, pattern string, atNano int64) *report.PriceList {
	re := globRegexp(pattern)
	out := &report.PriceList{PriceTable: res.PriceTable, At: res.At, Pattern: pattern, Keys: []report.ListedKey{}}
	for _, key := range t.Keys() {
		if re != nil && !re.MatchString(key) {
			continue
		}
		periods, _ := t.History(key)
		p := periods[len(periods)-1]
		if atNano != 0 {
			if m, ok := t.Lookup(key, "", atNano); ok && m.Key == key {
				p = pricing.Period{From: m.From, Rates: m.Rates}
			}
		}
		out.Keys = append(out.Keys, report.ListedKey{Key: key, Provider: t.Provider(key), From: p.From, Periods: len(periods), Rates: billed(p.Rates)})
	}
	return out
}

func newPricesImportCmd(ios *IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: "Check a newer LiteLLM price file and summarise what it would change",
		Long: `Check FILE, a LiteLLM model_prices_and_context_window.json (or a tokcost
YAML/JSON price file), as --pricing would read it: the schema, and every rate
a finite number >= 0. Then list what it changes against the embedded table:
keys added, keys whose latest rates change (input and output, then every
other rate that changes), and keys
unchanged. Nothing is written or installed: to use the file, pass
--pricing FILE to analyze, check, whatif or prices. A LiteLLM entry that
differs from the embedded table replaces the key's dated history and the
corrections of pricing/overrides.yaml for that key (docs/pricing.md).

Exit 0 when the file is valid, 2 when it is not.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return importRun(ios, args[0])
		},
	}
}

func importRun(ios *IOStreams, path string) error {
	base := pricing.Embedded()
	t, err := pricing.LoadFile(path, base)
	if err != nil {
		return usageErr("%s", err)
	}
	var added, changed, same []string
	var lines []string
	for _, key := range t.Keys() {
		newP, _ := t.History(key)
		oldP, ok := base.History(key)
		switch {
		case !ok:
			added = append(added, key)
			r := billed(newP[len(newP)-1].Rates)
			lines = append(lines, fmt.Sprintf("  + %s: input %s, output %s", key, money(r.Input), money(r.Output)))
		case newP[len(newP)-1].Rates != oldP[len(oldP)-1].Rates:
			changed = append(changed, key)
			o, n := billed(oldP[len(oldP)-1].Rates), billed(newP[len(newP)-1].Rates)
			more := ""
			if d := rateChanges(oldP[len(oldP)-1].Rates, newP[len(newP)-1].Rates); len(d) > 0 {
				more = "; also " + strings.Join(d, ", ")
			}
			lines = append(lines, fmt.Sprintf("  ~ %s: input %s → %s, output %s → %s%s (history of %d periods replaced)",
				key, money(o.Input), money(n.Input), money(o.Output), money(n.Output), more, len(oldP)))
		default:
			same = append(same, key)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: valid; against the embedded table %s: %d keys added, %d changed, %d unchanged or not in the file\n",
		path, base.Info().Version, len(added), len(changed), len(same))
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	fmt.Fprintf(&b, "use it with: --pricing %s (table version %s)\n", path, t.Info().Version)
	_, err = io.WriteString(ios.Out, b.String())
	return err
}

// rateChanges names every rate of the latest period that differs other than
// input and output (shown first): a cache, long-context, service-tier,
// web-search or US rate can change while input and output stay the same,
// and the summary must not call that change "$3 → $3". Rates are $/MTok.
func rateChanges(o, n pricing.Rates) []string {
	var out []string
	var walk func(path string, a, b reflect.Value)
	walk = func(path string, a, b reflect.Value) {
		switch a.Kind() {
		case reflect.Struct:
			for i := range a.NumField() {
				name, _, _ := strings.Cut(a.Type().Field(i).Tag.Get("json"), ",")
				if path == "" && (name == "input" || name == "output") {
					continue
				}
				if path != "" {
					name = path + "." + name
				}
				walk(name, a.Field(i), b.Field(i))
			}
		case reflect.Array:
			for i := range a.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i))
			}
		default:
			if a.Equal(b) {
				return
			}
			show := func(v reflect.Value) string {
				switch {
				case v.Kind() == reflect.Float64 && v.Float() == 0:
					return "unset" // not $0: the class falls back to another rate
				case v.Kind() != reflect.Float64:
					return fmt.Sprint(v.Interface())
				case path == "web_search":
					return money(v.Float()) + "/search"
				case path == "geo_us" || path == "fast" || path == "region_eu" || path == "region_us":
					return "×" + strconv.FormatFloat(v.Float(), 'f', -1, 64)
				}
				return money(roundMTok(v.Float() * 1e6)) // $ per million tokens
			}
			out = append(out, fmt.Sprintf("%s %s → %s", path, show(a), show(b)))
		}
	}
	walk("", reflect.ValueOf(o), reflect.ValueOf(n))
	return out
}
