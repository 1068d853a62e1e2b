package persist

import (
	"strconv"
	"testing"
	"time"

	"rundb/engine/db"
	"rundb/engine/mem"
	"rundb/variants/arena"
	"rundb/variants/goheap"
)

const benchKeys = 1_000_000

// countWriter counts what it is handed.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func benchAllocs(b *testing.B) []struct {
	name string
	a    mem.Allocator
} {
	ar, err := arena.New()
	if err != nil {
		b.Fatal(err)
	}
	return []struct {
		name string
		a    mem.Allocator
	}{{"goheap", goheap.New()}, {"arena", ar}}
}

// populate fills database 0 of a new keyspace with n small strings
// (key:<i> -> value:<i>, embstr), as W1 does.
func populate(a mem.Allocator, n int) *db.Keyspace {
	ks := db.NewKeyspace(a, 2)
	ks.Tick(1_000_000)
	var k, v []byte
	for i := 0; i < n; i++ {
		k = strconv.AppendInt(append(k[:0], "key:"...), int64(i), 10)
		v = strconv.AppendInt(append(v[:0], "value:"...), int64(i), 10)
		ks.DBs[0].SetString(k, v, db.Expiry{})
	}
	return ks
}

// BenchmarkStep: a whole snapshot of 1M small strings in 1 ms steps, as
// the loop runs it; reports keys/s and (through SetBytes) bytes/s.
func BenchmarkStep(b *testing.B) {
	for _, al := range benchAllocs(b) {
		b.Run("alloc="+al.name, func(b *testing.B) {
			ks := populate(al.a, benchKeys)
			var w countWriter
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w.n = 0
				s := NewSnapshot(ks, &w, ks.NowMs)
				for done := false; !done; {
					var err error
					if done, err = s.Step(time.Millisecond); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.SetBytes(w.n)
			b.ReportMetric(float64(benchKeys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}

// BenchmarkBeforeWrite: an in-place SET of an existing key through the
// write path, with no hook (none), with the hook of a snapshot that is not
// running (idle: what a hook left installed costs), during a snapshot on a
// key the walker passed (walked: one hash) and on keys it has not reached
// (unwalked: the first write of each serializes its old value and
// remembers the key).
func BenchmarkBeforeWrite(b *testing.B) {
	ks := populate(goheap.New(), benchKeys)
	d := ks.DBs[0]
	ks.DBs[1].SetString([]byte("other"), []byte("x"), db.Expiry{}) // keeps a snapshot running
	keys := make([][]byte, benchKeys)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(i))
	}
	val := []byte("value:xx")
	run := func(b *testing.B, reset func()) {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			j := i % benchKeys
			if j == 0 && i > 0 && reset != nil {
				b.StopTimer()
				reset()
				b.StartTimer()
			}
			d.SetString(keys[j], val, db.Expiry{})
		}
	}
	hooks := func(s *Snapshot) {
		ks.Hooks = db.Hooks{BeforeWrite: s.BeforeWrite, BeforeFlush: s.BeforeFlush, BeforeSwap: s.BeforeSwap}
	}
	b.Run("hook=none", func(b *testing.B) {
		ks.Hooks = db.Hooks{}
		run(b, nil)
	})
	b.Run("hook=idle", func(b *testing.B) {
		s := NewSnapshot(ks, &countWriter{}, ks.NowMs)
		s.Abort()
		hooks(s)
		run(b, nil)
	})
	b.Run("hook=walked", func(b *testing.B) {
		s := NewSnapshot(ks, &countWriter{}, ks.NowMs)
		for !s.walks[0].done {
			s.Step(time.Millisecond)
		}
		hooks(s)
		run(b, nil)
		s.Abort()
	})
	b.Run("hook=unwalked", func(b *testing.B) {
		var s *Snapshot
		start := func() {
			if s != nil {
				s.Abort()
			}
			s = NewSnapshot(ks, &countWriter{}, ks.NowMs)
			hooks(s)
		}
		start()
		run(b, start)
		s.Abort()
	})
	ks.Hooks = db.Hooks{}
}
