package mapped

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tokcost/tokcost/ingest"
)

// attrPrefix maps a path to a session attribute instead of a canonical
// field: --map attr.team=metadata.team.
const attrPrefix = "attr."

// canonicalNames are the fields --map may target: every canonical field
// (ingest's table, so a new field is mappable without a change here).
var canonicalNames = ingest.CanonicalFields()

func isCanonical(name string) bool {
	for _, n := range canonicalNames {
		if n == name {
			return true
		}
	}
	return false
}

// ValidateMap checks a --map mapping: every key a canonical field name (or
// attr.NAME), every value a well-formed path. The error lists the valid names.
func ValidateMap(m map[string]string) error {
	_, err := compile(m)
	return err
}

// parsePath splits a path into keys. Keys are separated by dots; a key
// holding dots is written in brackets and quotes (attributes["gen_ai.usage.input_tokens"])
// or with each dot escaped (attributes.gen_ai\.usage\.input_tokens); [N]
// indexes an array.
func parsePath(p string) ([]string, error) {
	var keys []string
	needKey := true // at the start or after a dot
	for i := 0; i < len(p); {
		switch p[i] {
		case '.':
			if needKey {
				return nil, errors.New("empty key")
			}
			needKey = true
			i++
		case '[':
			if needKey && len(keys) > 0 {
				return nil, errors.New("empty key before [")
			}
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return nil, errors.New("unclosed [")
			}
			inner := p[i+1 : i+j]
			switch {
			case len(inner) >= 2 && (inner[0] == '"' || inner[0] == '\'') && inner[len(inner)-1] == inner[0]:
				if len(inner) == 2 {
					return nil, errors.New("empty key")
				}
				keys = append(keys, inner[1:len(inner)-1])
			default:
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("bad [%s] (want [N] or [\"key\"])", inner)
				}
				keys = append(keys, strconv.Itoa(n))
			}
			needKey = false
			i += j + 1
			if i < len(p) && p[i] != '.' && p[i] != '[' {
				return nil, errors.New("a key after ] needs a dot")
			}
		default:
			if !needKey {
				return nil, errors.New("a key after ] needs a dot")
			}
			var b strings.Builder
			for i < len(p) && p[i] != '.' && p[i] != '[' {
				if p[i] == '\\' {
					if i+1 == len(p) {
						return nil, errors.New("trailing backslash")
					}
					i++
				}
				b.WriteByte(p[i])
				i++
			}
			keys = append(keys, b.String())
			needKey = false
		}
	}
	if needKey {
		return nil, errors.New("empty key")
	}
	return keys, nil
}

// mapping is a validated --map.
type mapping struct {
	fields []field          // canonical fields, in canonicalNames order
	attrs  []field          // attr.NAME entries, sorted by name
	mapped map[string]bool  // canonical names that are mapped
	taken  map[string]bool  // top-level keys a one-key path consumes
	byName map[string]field // for tests and messages
}

type field struct {
	name string // canonical name, or the attribute name
	path []string
	text string // the path as the user wrote it
}

func compile(m map[string]string) (*mapping, error) {
	mp := &mapping{mapped: map[string]bool{}, taken: map[string]bool{}, byName: map[string]field{}}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path, err := parsePath(m[k])
		if err != nil {
			return nil, fmt.Errorf("--map %s=%s: %v", k, m[k], err)
		}
		fd := field{path: path, text: m[k]}
		switch {
		case strings.HasPrefix(k, attrPrefix) && len(k) > len(attrPrefix):
			fd.name = strings.TrimPrefix(k, attrPrefix)
			mp.attrs = append(mp.attrs, fd)
		case isCanonical(k):
			fd.name = k
			mp.mapped[k] = true
			mp.fields = append(mp.fields, fd)
		default:
			hint := ""
			if c, ok := ingest.CanonicalField(k); ok {
				hint = fmt.Sprintf(" (did you mean %s?)", c)
			}
			return nil, fmt.Errorf("--map %s=%s: unknown canonical field %q%s; valid: %s, or %sNAME for a session attribute",
				k, m[k], k, hint, strings.Join(canonicalNames, ", "), attrPrefix)
		}
		if len(path) == 1 {
			mp.taken[path[0]] = true
		}
		mp.byName[k] = fd
	}
	order := map[string]int{}
	for i, n := range canonicalNames {
		order[n] = i
	}
	sort.SliceStable(mp.fields, func(i, j int) bool { return order[mp.fields[i].name] < order[mp.fields[j].name] })
	return mp, nil
}
