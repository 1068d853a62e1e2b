package command

import (
	"bytes"
	"strings"
	"testing"
)

// TestTableLookup checks the hashed index against the map: every command
// is found by its name in any case, and names that are not commands are
// not.
func TestTableLookup(t *testing.T) {
	tab := newTable()
	if tab.Len() < 100 {
		t.Fatalf("only %d commands", tab.Len())
	}
	for name, c := range tab.m {
		for _, n := range []string{name, strings.ToUpper(name), strings.ToUpper(name[:1]) + name[1:]} {
			if got := tab.Lookup([]byte(n)); got != c {
				t.Errorf("Lookup(%q) = %v; want %q", n, got, name)
			}
		}
		for _, n := range []string{name + "x", name[:len(name)-1], name + "\x00"} {
			if got := tab.Lookup([]byte(n)); got != nil && got.Name != n {
				t.Errorf("Lookup(%q) = %q; want nil", n, got.Name)
			}
		}
	}
	for _, n := range []string{"", "nosuchcommand", "client|list", "get ", string(bytes.Repeat([]byte("a"), 40))} {
		if got := tab.Lookup([]byte(n)); got != nil {
			t.Errorf("Lookup(%q) = %q; want nil", n, got.Name)
		}
	}
}
