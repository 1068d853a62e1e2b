package variants

import (
	"rundb/engine/mem"
	"slices"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	if got := Names(); len(got) == 0 || got[0] != "goheap" {
		t.Fatalf("Names() = %q; want goheap first", got)
	}
	a, err := New("goheap")
	if err != nil || a.Name() != "goheap" {
		t.Fatalf("New(goheap) = %v, %v", a, err)
	}
	if Summary("goheap") == "" || Summary("nope") != "" {
		t.Fatalf("bad summaries")
	}
	_, err = New("nope")
	want := `unknown allocator "nope" (known: ` + strings.Join(Names(), ", ") + ")"
	if err == nil || err.Error() != want || !strings.HasPrefix(want, `unknown allocator "nope" (known: goheap`) {
		t.Fatalf("got %v; want %q", err, want)
	}
	Register("test-dummy", "dummy", func() (mem.Allocator, error) { return New("goheap") })
	if !slices.Contains(Names(), "test-dummy") || Names()[len(Names())-1] != "test-dummy" {
		t.Fatalf("registration order lost: %q", Names())
	}
}
