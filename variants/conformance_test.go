package variants_test

import (
	"io"
	"testing"

	"rundb/engine/mem"
	"rundb/variants"
	"rundb/variants/conformance"
)

// constructor returns a newAlloc for the named backend, or the reason it
// cannot run in this process (a backend that needs a preload says so).
func constructor(tb testing.TB, name string) (func() mem.Allocator, error) {
	a, err := variants.New(name)
	if err != nil {
		return nil, err
	}
	if c, ok := a.(io.Closer); ok {
		_ = c.Close()
	}
	return func() mem.Allocator {
		a, err := variants.New(name)
		if err != nil {
			tb.Fatalf("New(%s) = %v", name, err)
		}
		return a
	}, nil
}

// TestConformance runs the conformance suite on every registered backend
// that can be built in this process.
func TestConformance(t *testing.T) {
	for _, name := range variants.Names() {
		t.Run(name, func(t *testing.T) {
			newAlloc, err := constructor(t, name)
			if err != nil {
				t.Skip(err)
			}
			conformance.Run(t, name, newAlloc)
		})
	}
}

// BenchmarkAlloc runs the same alloc+free body on every backend that can
// be built in this process: alloc=NAME/size=N.
func BenchmarkAlloc(b *testing.B) {
	for _, name := range variants.Names() {
		b.Run("alloc="+name, func(b *testing.B) {
			newAlloc, err := constructor(b, name)
			if err != nil {
				b.Skip(err)
			}
			conformance.Bench(b, newAlloc)
		})
	}
}
