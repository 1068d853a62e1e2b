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

// TestPackName checks packName's word loads and lowering against a byte
// loop, for every length up to 20 and every byte value at every position
// (the bytes around the capitals, '@' '[' '`' '{', and those with the top
// bit set are the edges of lowerWord).
func TestPackName(t *testing.T) {
	ref := func(name []byte) (w0, w1 uint64) {
		for i := 0; i < len(name) && i < 16; i++ {
			ch := name[i]
			if ch >= 'A' && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			if i < 8 {
				w0 |= uint64(ch) << (8 * i)
			} else {
				w1 |= uint64(ch) << (8 * (i - 8))
			}
		}
		return
	}
	for n := 0; n <= 20; n++ {
		for pos := 0; pos < n; pos++ {
			for v := 0; v < 256; v++ {
				name := []byte(strings.Repeat("aZ", 10)[:n])
				name[pos] = byte(v)
				g0, g1 := packName(name)
				w0, w1 := ref(name)
				if g0 != w0 || g1 != w1 {
					t.Fatalf("packName(%q) = %#x %#x; want %#x %#x", name, g0, g1, w0, w1)
				}
			}
		}
	}
}

// TestTableLookupLong checks names past 16 bytes, which share their packed
// words with any name of the same length and first 16 bytes.
func TestTableLookupLong(t *testing.T) {
	tab := newTable()
	for name, c := range tab.m {
		if len(name) <= 16 {
			continue
		}
		if got := tab.Lookup([]byte(strings.ToUpper(name))); got != c {
			t.Errorf("Lookup(%q) = %v", name, got)
		}
		other := []byte(name)
		other[len(other)-1] ^= 1
		if got := tab.Lookup(other); got != nil {
			t.Errorf("Lookup(%q) = %q; want nil", other, got.Name)
		}
	}
}
