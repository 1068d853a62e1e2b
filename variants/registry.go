// Package variants names rundb's allocator backends: a registry from the
// --alloc name to a constructor. Each backend is one package under variants/
// and one Register line in this file's init.
package variants

import (
	"fmt"
	"strings"

	"rundb/engine/mem"
	"rundb/variants/arena"
	"rundb/variants/cmalloc"
	"rundb/variants/goheap"
)

// Constructor builds a fresh allocator.
type Constructor func() (mem.Allocator, error)

type backend struct {
	name, summary string
	ctor          Constructor
}

var backends []backend

// Register adds a backend. Registering a name twice panics.
func Register(name, summary string, c Constructor) {
	if find(name) >= 0 {
		panic(fmt.Sprintf("variants: allocator %q registered twice", name))
	}
	backends = append(backends, backend{name, summary, c})
}

func find(name string) int {
	for i, b := range backends {
		if b.name == name {
			return i
		}
	}
	return -1
}

// Names lists the registered backends in registration order.
func Names() []string {
	names := make([]string, len(backends))
	for i, b := range backends {
		names[i] = b.name
	}
	return names
}

// Summary is a backend's one-line description, "" if unknown.
func Summary(name string) string {
	if i := find(name); i >= 0 {
		return backends[i].summary
	}
	return ""
}

// New builds the named backend.
func New(name string) (mem.Allocator, error) {
	i := find(name)
	if i < 0 {
		return nil, fmt.Errorf("unknown allocator %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return backends[i].ctor()
}

func init() {
	Register("goheap", "Go heap, one []byte per block", func() (mem.Allocator, error) { return goheap.New(), nil })
	Register("arena", "mmap arena: size-class slabs off the Go heap, empty slabs given back", func() (mem.Allocator, error) { return arena.New() })
	Register("malloc", cmalloc.Libc.Summary(), newCmalloc(cmalloc.Libc))
	Register("jemalloc", cmalloc.Jemalloc.Summary(), newCmalloc(cmalloc.Jemalloc))
	Register("mimalloc", cmalloc.Mimalloc.Summary(), newCmalloc(cmalloc.Mimalloc))
	Register("tcmalloc", cmalloc.Tcmalloc.Summary(), newCmalloc(cmalloc.Tcmalloc))
}
