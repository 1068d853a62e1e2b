package command

import (
	"sort"
	"strings"
	"testing"
)

// Every row of the table has a handler unless it is a container (it has
// subcommands), every handler has a row, and rows are sorted with each
// container before its subcommands.
func TestSpecsHaveHandlers(t *testing.T) {
	rows := map[string]bool{}
	container := map[string]bool{}
	for i, sp := range specs {
		if rows[sp.Name] {
			t.Errorf("%s: two rows", sp.Name)
		}
		rows[sp.Name] = true
		if p, _, ok := strings.Cut(sp.Name, "|"); ok {
			container[p] = true
			if !rows[p] {
				t.Errorf("%s: before its container's row", sp.Name)
			}
		}
		if i > 0 && specs[i-1].Name >= sp.Name {
			t.Errorf("%s: rows not sorted", sp.Name)
		}
		if sp.ACL == "" || sp.Summary == "" || sp.Since == "" || sp.Group == "" {
			t.Errorf("%s: ACL, summary, since and group are required", sp.Name)
		}
	}
	for _, sp := range specs {
		if handlers[sp.Name] == nil && !container[sp.Name] {
			t.Errorf("%s: a row without a handler", sp.Name)
		}
	}
	var orphans []string
	for name := range handlers {
		if !rows[name] {
			orphans = append(orphans, name)
		}
	}
	sort.Strings(orphans)
	if len(orphans) > 0 {
		t.Errorf("handlers without a row: %v", orphans)
	}
}

// COMMAND INFO's legacy first/last/step and movablekeys come from the key
// specs by Redis 7.0's rules.
func TestLegacyRange(t *testing.T) {
	rng := func(begin, last, step int) keySpec { return keySpec{begin: begin, find: 'r', a: last, b: step} }
	for _, tc := range []struct {
		name              string
		specs             []keySpec
		first, last, step int
		movable           bool
	}{
		{"none", nil, 0, 0, 0, false},
		{"get", []keySpec{rng(1, 0, 1)}, 1, 1, 1, false},
		{"mset", []keySpec{rng(1, -1, 2)}, 1, -1, 2, false},
		{"rename", []keySpec{rng(1, 0, 1), rng(2, 0, 1)}, 1, 2, 1, false},
		{"sdiffstore", []keySpec{rng(1, 0, 1), rng(2, -1, 1)}, 1, -1, 1, false},
		{"object encoding", []keySpec{rng(2, 0, 1)}, 2, 2, 1, false},
		{"lmpop", []keySpec{{begin: 1, find: 'n', a: 0, b: 1, c: 1}}, 0, 0, 0, true},
		{"sort", []keySpec{rng(1, 0, 1), {find: 'u'}}, 1, 1, 1, true},
		{"gap", []keySpec{rng(1, 0, 1), rng(3, 0, 1)}, 1, 1, 1, true},
	} {
		f, l, s, m := legacyRange(tc.specs)
		if f != tc.first || l != tc.last || s != tc.step || m != tc.movable {
			t.Errorf("%s: got %d %d %d %v; want %d %d %d %v", tc.name, f, l, s, m, tc.first, tc.last, tc.step, tc.movable)
		}
	}
}

// COMMAND LIST FILTERBY ACLCAT reads the rows' categories, as COMMAND INFO
// does (checked against redis-server 7.0 for rundb's commands).
func TestListByACLCategory(t *testing.T) {
	s, c := testServer(nil)
	got := do(s, c, "command", "list", "filterby", "aclcat", "keyspace")
	for _, want := range []string{"$8\r\nflushall\r\n", "$6\r\nswapdb\r\n", "$6\r\ndbsize\r\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("@keyspace lacks %q: %q", want, got)
		}
	}
	if strings.Contains(got, "$6\r\nobject\r\n") {
		t.Errorf("@keyspace has the OBJECT container: %q", got)
	}
}
