package ds

import (
	"fmt"
	"sync"
	"testing"

	"rundb/engine/mem"
)

const benchKeys = 1 << 20

var (
	benchOnce sync.Once
	benchData [][]byte
)

func benchKeySet() [][]byte {
	benchOnce.Do(func() {
		benchData = make([][]byte, benchKeys)
		for i := range benchData {
			benchData[i] = []byte(fmt.Sprintf("key:%08d", i))
		}
	})
	return benchData
}

// benchLayouts fill a table with the 1M bench keys, returning a table and
// its Refs. "table" stores bare Refs (keys in a side slice): the table's own
// cost; "entry" stores real embstr entries: what a SET of a short value costs.
var benchLayouts = []struct {
	name string
	fill func(a mem.Allocator, keys [][]byte, n int) (*Table, []mem.Ref)
}{
	{"table", func(a mem.Allocator, keys [][]byte, n int) (*Table, []mem.Ref) {
		tb := NewTable(a, mem.PurposeSlots, func(r mem.Ref) []byte { return keys[r-1] })
		refs := make([]mem.Ref, n)
		for i := 0; i < n; i++ {
			refs[i] = mem.Ref(i + 1)
			tb.Put(keys[i], refs[i])
		}
		return tb, refs
	}},
	{"entry", func(a mem.Allocator, keys [][]byte, n int) (*Table, []mem.Ref) {
		tb := NewTable(a, mem.PurposeSlots, KeyOf(a))
		refs := make([]mem.Ref, n)
		for i := 0; i < n; i++ {
			e := NewString(a, keys[i], []byte("value"), EncEmbstr, 0, false, 0)
			refs[i] = e.Ref()
			tb.Put(keys[i], refs[i])
		}
		return tb, refs
	}},
}

func BenchmarkTablePut(b *testing.B) {
	keys := benchKeySet()
	for _, be := range backends {
		b.Run("alloc="+be.name+"/layout=oa", func(b *testing.B) {
			b.ReportAllocs()
			a := be.new()
			tb := NewTable(a, mem.PurposeSlots, func(r mem.Ref) []byte { return keys[r-1] })
			for i := 0; i < b.N; i++ {
				j := i % benchKeys
				if j == 0 && i > 0 {
					tb.Clear(nil)
				}
				tb.Put(keys[j], mem.Ref(j+1))
			}
			b.ReportMetric(float64(tb.MemBytes())/float64(max(tb.Len(), 1)), "tablebytes/key")
		})
	}
}

func BenchmarkTableGet(b *testing.B) {
	keys := benchKeySet()
	for _, be := range backends {
		for _, l := range benchLayouts {
			b.Run("alloc="+be.name+"/layout="+l.name, func(b *testing.B) {
				a := be.new()
				tb, refs := l.fill(a, keys, benchKeys)
				for tb.RehashStep(1 << 20) {
				}
				bytesPerKey := float64(a.Stats().Allocated) / benchKeys
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					j := i % benchKeys
					if tb.Get(keys[j]) != refs[j] {
						b.Fatal("wrong ref")
					}
				}
				b.ReportMetric(bytesPerKey, "bytes/key")
			})
		}
	}
}

// BenchmarkTableFill measures populating 1M keys from empty, resizes
// included, and the memory per key that leaves.
func BenchmarkTableFill(b *testing.B) {
	keys := benchKeySet()
	for _, be := range backends {
		for _, l := range benchLayouts {
			b.Run("alloc="+be.name+"/layout="+l.name, func(b *testing.B) {
				b.ReportAllocs()
				var perKey float64
				for i := 0; i < b.N; i++ {
					a := be.new()
					l.fill(a, keys, benchKeys)
					perKey = float64(a.Stats().Allocated) / benchKeys
				}
				b.ReportMetric(perKey, "bytes/key")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchKeys, "ns/key")
			})
		}
	}
}
