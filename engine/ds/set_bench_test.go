package ds

import (
	"fmt"
	"testing"
)

// BenchmarkSet: SADD-like adds then SISMEMBER-like lookups on sets of 100
// members, integer (intset) and 16-byte string (hashtable), per backend.
func BenchmarkSet(b *testing.B) {
	for _, kind := range []string{"int", "str"} {
		member := func(i int) []byte {
			if kind == "int" {
				return fmt.Appendf(nil, "%d", i%100)
			}
			return fmt.Appendf(nil, "member:%09d", i%100)
		}
		members := make([][]byte, 100)
		for i := range members {
			members[i] = member(i)
		}
		for _, be := range backends[1:] {
			b.Run(fmt.Sprintf("kind=%s/alloc=%s/contains", kind, be.name), func(b *testing.B) {
				a := be.new()
				var c Container
				for _, m := range members {
					c, _ = SetAdd(a, c, m, 512)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if !SetContains(a, c, members[i%100]) {
						b.Fatal("missing")
					}
				}
			})
			b.Run(fmt.Sprintf("kind=%s/alloc=%s/add-remove", kind, be.name), func(b *testing.B) {
				a := be.new()
				var c Container
				for _, m := range members[1:] {
					c, _ = SetAdd(a, c, m, 512)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					c, _ = SetAdd(a, c, members[0], 512)
					c, _ = SetRemove(a, c, members[0])
				}
			})
		}
	}
}
