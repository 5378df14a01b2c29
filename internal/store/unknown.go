package store

import (
	"slices"
	"strings"

	"github.com/tokcost/tokcost/ingest"
)

// UnknownUsageCap is how many distinct unknown usage field names the input
// counts name with their counts (and how many more they keep to count the
// names dropped): readers name whatever odd key an input holds, so an input
// with a new key on every line would otherwise grow the set without bound.
const UnknownUsageCap = 256

// UnknownUsageOther counts the unknown usage field names beyond the first
// UnknownUsageCap (input.unknown_usage_fields_other, docs/json.md).
type UnknownUsageOther struct {
	// Occurrences counts the records' mentions of the names not in
	// UnknownUsageFields, exactly.
	Occurrences int64 `json:"occurrences"`
	// Names are the next UnknownUsageCap names at most, in order: all the
	// names dropped unless MoreNames.
	Names []string `json:"names"`
	// MoreNames says more names were dropped than Names holds.
	MoreNames bool `json:"more_names,omitempty"`

	// kept is UnknownUsageFields' names in order, for adding one name
	// without sorting them; rebuilt when it does not match (a count read
	// from JSON). Held here, behind the pointer that copies of the counts
	// share, as they share the map.
	kept []string
}

// unknownBefore is the order in which names are kept: the names that
// stand for a reader's assumption (ingest.AssumedUsage, which the CLI
// warns and --strict fails on) first, then bytewise. It is a total order
// on names, fixed in advance, which is what makes the capped set a
// function of the set of names seen, whatever their order.
func unknownBefore(a, b string) bool {
	if pa, pb := assumedUsage(a), assumedUsage(b); pa != pb {
		return pa
	}
	return a < b
}

// assumedUsage is ingest.AssumedUsage[name], without the map lookup for
// the names that cannot be one (theirs all hold a parenthesis).
func assumedUsage(name string) bool {
	return strings.IndexByte(name, '(') >= 0 && ingest.AssumedUsage[name]
}

// addUnknownName counts one mention of name.
func (c *InputCounts) addUnknownName(name string) {
	if _, ok := c.UnknownUsageFields[name]; ok {
		c.UnknownUsageFields[name]++
		return
	}
	if c.UnknownUsageFields == nil {
		c.UnknownUsageFields = map[string]int64{}
	}
	if c.UnknownUsageOther == nil && len(c.UnknownUsageFields) < UnknownUsageCap {
		c.UnknownUsageFields[name] = 1
		return
	}
	// Full: name is new to the counted names. What mergeUnknown with the
	// one name would do, without sorting them all (TestUnknownUsageCap
	// checks the two agree).
	if c.UnknownUsageOther == nil {
		c.UnknownUsageOther = &UnknownUsageOther{}
	}
	o := c.UnknownUsageOther
	if len(o.Names) > 0 && unknownBefore(o.Names[0], name) {
		// After a name not counted, so after every counted one.
		o.Occurrences++
	} else if last := o.lastKept(c.UnknownUsageFields); unknownBefore(name, last) {
		// name takes the place of the last counted name, which becomes
		// the first of the others.
		n := c.UnknownUsageFields[last]
		delete(c.UnknownUsageFields, last)
		c.UnknownUsageFields[name] = 1
		o.Occurrences += n
		o.kept = o.kept[:len(o.kept)-1]
		i, _ := slices.BinarySearchFunc(o.kept, name, cmpUnknown)
		o.kept = slices.Insert(o.kept, i, name)
		name = last
	} else {
		o.Occurrences++
	}
	i, found := slices.BinarySearchFunc(o.Names, name, cmpUnknown)
	if found {
		return
	}
	if i == UnknownUsageCap {
		o.MoreNames = true
		return
	}
	o.Names = slices.Insert(o.Names, i, name)
	if len(o.Names) > UnknownUsageCap {
		o.Names, o.MoreNames = o.Names[:UnknownUsageCap], true
	}
}

// lastKept is the last of fields' names in unknownBefore order.
func (o *UnknownUsageOther) lastKept(fields map[string]int64) string {
	if len(o.kept) != len(fields) {
		o.kept = o.kept[:0]
		for k := range fields {
			o.kept = append(o.kept, k)
		}
		slices.SortFunc(o.kept, cmpUnknown)
	}
	return o.kept[len(o.kept)-1]
}

// cmpUnknown is unknownBefore as a comparison.
func cmpUnknown(a, b string) int {
	switch {
	case a == b:
		return 0
	case unknownBefore(a, b):
		return -1
	}
	return 1
}

// mergeUnknown adds another count's unknown names (fields with their
// counts, other as kept beyond them) to c's, keeping the first
// UnknownUsageCap names in unknownBefore order with their counts and the
// next UnknownUsageCap names without.
//
// Merging capped sets equals capping the union, so the result does not
// depend on how records were split among shards or in what order they were
// merged. A name among the first Cap of the union was among the first Cap
// of every part it occurs in (a part with Cap names before it would put
// them before it in the union too), so each part counted it in full, and
// its count is the sum. Likewise a name among the first 2·Cap of the union
// was kept (named in Names) by every part it occurs in, so the union's
// next names are exact; more names were seen than are kept when a part
// saw more than it kept, or the union holds more than 2·Cap. Occurrences
// of the names beyond the first Cap are every mention less those counted.
func (c *InputCounts) mergeUnknown(fields map[string]int64, other *UnknownUsageOther) {
	total := sumCounts(c.UnknownUsageFields) + sumCounts(fields)
	more := false
	names := make([]string, 0, len(c.UnknownUsageFields)+len(fields))
	for k := range c.UnknownUsageFields {
		names = append(names, k)
	}
	for k := range fields {
		names = append(names, k)
	}
	for _, o := range []*UnknownUsageOther{c.UnknownUsageOther, other} {
		if o != nil {
			total += o.Occurrences
			more = more || o.MoreNames
			names = append(names, o.Names...)
		}
	}
	slices.SortFunc(names, cmpUnknown)
	names = slices.Compact(names)
	kept := map[string]int64{}
	for _, k := range names[:min(len(names), UnknownUsageCap)] {
		kept[k] = c.UnknownUsageFields[k] + fields[k]
	}
	c.UnknownUsageFields, c.UnknownUsageOther = kept, nil
	if len(names) <= UnknownUsageCap && !more {
		return
	}
	rest := names[UnknownUsageCap:]
	if len(rest) > UnknownUsageCap {
		rest, more = rest[:UnknownUsageCap], true
	}
	c.UnknownUsageOther = &UnknownUsageOther{Occurrences: total - sumCounts(kept), Names: slices.Clone(rest), MoreNames: more}
}

func sumCounts(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// addUnknownUsage counts each name of a comma-separated list.
func (c *InputCounts) addUnknownUsage(names string) {
	for name := range strings.SplitSeq(names, ",") {
		c.addUnknownName(name)
	}
}
