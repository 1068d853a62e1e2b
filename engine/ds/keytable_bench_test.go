package ds

import (
	"testing"

	"rundb/engine/mem"
	"rundb/variants/arena"
)

// Every registered layout runs the same bodies on the arena backend, the
// lab's default, over the 1M bench keys: fill a table (Put of new keys,
// resizes included), then look up present keys. tablebytes/key is what the
// table costs the allocator per key at 1M keys (AllocatedBytes / Len).
// layout=open-direct is the open table called without the KeyTable
// interface, to price the interface call.

func benchArena(b *testing.B) mem.Allocator {
	a, err := arena.New()
	if err != nil {
		b.Skip(err)
	}
	b.Cleanup(func() { a.Close() })
	return a
}

func benchTables(b *testing.B, fn func(b *testing.B, newKT func(a mem.Allocator, keyOf KeyFunc) KeyTable)) {
	for _, name := range Layouts() {
		b.Run("alloc=arena/layout="+name, func(b *testing.B) {
			fn(b, func(a mem.Allocator, keyOf KeyFunc) KeyTable {
				kt, _ := NewKeyTable(name, a, mem.PurposeSlots, keyOf)
				return kt
			})
		})
	}
}

func BenchmarkKeyTablePut(b *testing.B) {
	keys := benchKeySet()
	keyOf := func(r mem.Ref) []byte { return keys[r-1] }
	benchTables(b, func(b *testing.B, newKT func(mem.Allocator, KeyFunc) KeyTable) {
		b.ReportAllocs()
		a := benchArena(b)
		kt := newKT(a, keyOf)
		perKey := 0.0
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			j := i % benchKeys
			if j == 0 && i > 0 {
				perKey = float64(kt.AllocatedBytes()) / float64(kt.Len())
				kt.Clear(nil)
			}
			kt.Put(keys[j], mem.Ref(j+1))
		}
		if perKey == 0 {
			perKey = float64(kt.AllocatedBytes()) / float64(max(kt.Len(), 1))
		}
		b.ReportMetric(perKey, "tablebytes/key")
	})
}

func BenchmarkKeyTableGet(b *testing.B) {
	keys := benchKeySet()
	keyOf := func(r mem.Ref) []byte { return keys[r-1] }
	get := func(b *testing.B, get func(k []byte) mem.Ref) {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			j := (i * 7919) % benchKeys
			if get(keys[j]) != mem.Ref(j+1) {
				b.Fatal("lost key")
			}
		}
	}
	benchTables(b, func(b *testing.B, newKT func(mem.Allocator, KeyFunc) KeyTable) {
		kt := newKT(benchArena(b), keyOf)
		for j := 0; j < benchKeys; j++ {
			kt.Put(keys[j], mem.Ref(j+1))
		}
		for kt.RehashStep(1 << 20) {
		}
		get(b, kt.Get)
		b.ReportMetric(float64(kt.AllocatedBytes())/float64(kt.Len()), "tablebytes/key")
	})
	b.Run("alloc=arena/layout=open-direct", func(b *testing.B) {
		tb := NewTable(benchArena(b), mem.PurposeSlots, keyOf)
		for j := 0; j < benchKeys; j++ {
			tb.Put(keys[j], mem.Ref(j+1))
		}
		for tb.RehashStep(1 << 20) {
		}
		get(b, func(k []byte) mem.Ref { return tb.Get(k) })
		b.ReportMetric(float64(tb.AllocatedBytes())/float64(tb.Len()), "tablebytes/key")
	})
}
