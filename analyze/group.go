package analyze

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tokcost/tokcost/ingest"
)

// NoGroup names the group of sessions that have no value for the field.
const NoGroup = "(none)"

// Group is the sessions that share one value of a grouping field.
type Group struct {
	Key      string
	Sessions []*Session
}

// SummaryGroup is Group for summaries.
type SummaryGroup struct {
	Key      string
	Sessions []*Summary
}

// GroupSessions splits d's sessions by field: "workflow" (Session.Workflow),
// "model" (the session's dominant model: most cost, then most calls, then
// name), or any session attribute (Session.Attrs, the record fields tokcost
// does not interpret, e.g. "team"). Sessions without a value go to NoGroup.
// Groups are ordered by key, NoGroup last; sessions keep d's order.
func GroupSessions(d *Dataset, field string) ([]Group, error) {
	by, keys, err := groupBy(d.Sessions, field, func(s *Session) *Summary { return &s.Summary },
		func(s *Session) string { return d.Str(dominantModelID(d.Strings, s.Events)) })
	if err != nil {
		return nil, err
	}
	groups := make([]Group, len(keys))
	for i, k := range keys {
		groups[i] = Group{Key: k, Sessions: by[k]}
	}
	return groups, nil
}

// GroupSummaries is GroupSessions for summaries (the dominant model is
// Summary.Model, chosen by Finish).
func GroupSummaries(d *Summaries, field string) ([]SummaryGroup, error) {
	by, keys, err := groupBy(d.Sessions, field, func(s *Summary) *Summary { return s },
		func(s *Summary) string { return s.Model })
	if err != nil {
		return nil, err
	}
	groups := make([]SummaryGroup, len(keys))
	for i, k := range keys {
		groups[i] = SummaryGroup{Key: k, Sessions: by[k]}
	}
	return groups, nil
}

// groupBy splits sessions by field and returns the groups' keys in order.
func groupBy[S any](sessions []S, field string, sum func(S) *Summary, model func(S) string) (map[string][]S, []string, error) {
	if field == "" {
		return nil, nil, errors.New("empty group-by field")
	}
	by := map[string][]S{}
	for _, x := range sessions {
		s := sum(x)
		var k string
		switch field {
		case "workflow":
			k = s.Workflow
		case "model":
			k = model(x)
		default:
			k = s.Attrs[field]
		}
		if k == "" {
			k = NoGroup
		}
		by[k] = append(by[k], x)
	}
	if _, none := by[NoGroup]; none && len(by) == 1 && field != "workflow" && field != "model" && len(sessions) > 0 {
		// No session has the attribute: almost surely a typo, and one
		// "(none)" group would hide it.
		return nil, nil, fmt.Errorf("no session has a field %q (fields: %s)", field, strings.Join(groupFields(sessions, sum), ", "))
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if (a == NoGroup) != (b == NoGroup) {
			return b == NoGroup
		}
		return a < b
	})
	return by, keys, nil
}

// dominantModelID is the model that cost the session the most, as an
// interned id; ties (e.g. every call unpriced) go to the model with more
// calls, then to the smaller name, so the choice never depends on map
// order.
func dominantModelID(strs []string, ev []Event) uint32 {
	type use struct {
		model uint32
		cost  float64
		calls int
	}
	var uses []use // sessions call a few models: a list beats a map
	var one [4]use
	uses = one[:0]
	for i := range ev {
		e := &ev[i]
		if e.Kind != ingest.KindLLM || strs[e.Model] == "" {
			continue
		}
		j := 0
		for j < len(uses) && uses[j].model != e.Model {
			j++
		}
		if j == len(uses) {
			uses = append(uses, use{model: e.Model})
		}
		uses[j].cost += e.Cost
		uses[j].calls++
	}
	if len(uses) == 0 {
		return 0
	}
	best := uses[0]
	for _, u := range uses[1:] {
		switch {
		case u.cost != best.cost:
			if u.cost > best.cost {
				best = u
			}
		case u.calls != best.calls:
			if u.calls > best.calls {
				best = u
			}
		case strs[u.model] < strs[best.model]:
			best = u
		}
	}
	return best.model
}

// groupFields lists what a session can be grouped by: workflow, model and
// every attribute some session carries, sorted.
func groupFields[S any](sessions []S, sum func(S) *Summary) []string {
	seen := map[string]bool{}
	for _, s := range sessions {
		for k := range sum(s).Attrs {
			seen[k] = true
		}
	}
	attrs := make([]string, 0, len(seen))
	for k := range seen {
		attrs = append(attrs, k)
	}
	sort.Strings(attrs)
	return append([]string{"workflow", "model"}, attrs...)
}

// GroupStat is one group's session distributions.
type GroupStat struct {
	Key   string
	Stats SessionStats
}

// SummaryGroupStats is GroupSummaries then Stats of each group, in one
// pass over d's sessions in id order (the order each group's slice has),
// so that it works on summaries spilled to disk and gives the same
// numbers. each, when set, is shown every session with its group's key.
func SummaryGroupStats(d *Summaries, field string, each func(key string, s *Summary)) ([]GroupStat, error) {
	if field == "" {
		return nil, errors.New("empty group-by field")
	}
	by := map[string]*StatsAcc{}
	attrs := map[string]bool{}
	for s := range d.All() {
		var k string
		switch field {
		case "workflow":
			k = s.Workflow
		case "model":
			k = s.Model
		default:
			k = s.Attrs[field]
		}
		if k == "" {
			k = NoGroup
		}
		acc := by[k]
		if acc == nil {
			acc = NewStatsAcc(0)
			by[k] = acc
		}
		acc.Add(s)
		for a := range s.Attrs {
			attrs[a] = true
		}
		if each != nil {
			each(k, s)
		}
	}
	if _, none := by[NoGroup]; none && len(by) == 1 && field != "workflow" && field != "model" && d.Len() > 0 {
		names := make([]string, 0, len(attrs))
		for a := range attrs {
			names = append(names, a)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("no session has a field %q (fields: %s)", field, strings.Join(append([]string{"workflow", "model"}, names...), ", "))
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if (a == NoGroup) != (b == NoGroup) {
			return b == NoGroup
		}
		return a < b
	})
	out := make([]GroupStat, len(keys))
	for i, k := range keys {
		out[i] = GroupStat{Key: k, Stats: by[k].Result()}
	}
	return out, nil
}
