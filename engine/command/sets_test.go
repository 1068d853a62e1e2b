package command

import (
	"fmt"
	"strings"
	"testing"
)

// TestSetsPropagation: SPOP propagates as SREM of what it popped, or as
// DEL when the whole set went; SADD of nothing new propagates nothing.
func TestSetsPropagation(t *testing.T) {
	s, c := testServer(nil)
	var got []string
	s.SetPropagate(func(ops []Op) {
		for _, op := range ops {
			var parts []string
			for _, a := range op.Args {
				parts = append(parts, string(a))
			}
			got = append(got, strings.Join(parts, " "))
		}
	})
	do(s, c, "SADD", "s", "1", "2", "3", "4")
	do(s, c, "SADD", "s", "1")
	popped := do(s, c, "SPOP", "s")
	do(s, c, "SPOP", "s", "2")
	do(s, c, "SPOP", "s", "5")
	do(s, c, "SPOP", "s")
	if len(got) != 4 || got[0] != "SADD s 1 2 3 4" || !strings.HasPrefix(got[1], "SREM s ") ||
		!strings.HasSuffix(popped, got[1][len("SREM s "):]+"\r\n") || len(strings.Fields(got[2])) != 4 || got[3] != "DEL s" {
		t.Fatalf("propagated %q (popped %q)", got, popped)
	}
}

// TestSetsScanResize: a full SSCAN of a hashtable set returns every member
// that stayed, while members are added (the table grows) between calls.
func TestSetsScanResize(t *testing.T) {
	s, c := testServer(nil)
	for i := 0; i < 200; i++ {
		do(s, c, "SADD", "h", fmt.Sprintf("m%d", i))
	}
	seen := map[string]bool{}
	cursor, extra := "0", 0
	for {
		reply := do(s, c, "SSCAN", "h", cursor, "COUNT", "7")
		lines := strings.Split(reply, "\r\n")
		cursor = lines[2]
		for i := 4; i+1 < len(lines); i += 2 {
			seen[lines[i+1]] = true
		}
		for j := 0; j < 30; j++ {
			do(s, c, "SADD", "h", fmt.Sprintf("x%d", extra))
			extra++
		}
		if cursor == "0" {
			break
		}
	}
	for i := 0; i < 200; i++ {
		if !seen[fmt.Sprintf("m%d", i)] {
			t.Fatalf("SSCAN missed m%d (grew by %d members)", i, extra)
		}
	}
}

func BenchmarkSets(b *testing.B) {
	s, c := testServer(nil)
	for i := 0; i < 200; i++ {
		do(s, c, "SADD", "str", fmt.Sprintf("member:%09d", i))
		do(s, c, "SADD", "int", fmt.Sprint(i))
	}
	for _, bc := range []struct {
		name string
		args []string
	}{
		{"SADD-str-dup", []string{"SADD", "str", "member:000000100"}},
		{"SISMEMBER-str", []string{"SISMEMBER", "str", "member:000000100"}},
		{"SISMEMBER-str-miss", []string{"SISMEMBER", "str", "member:000009999"}},
		{"SADD-int-dup", []string{"SADD", "int", "100"}},
		{"SISMEMBER-int", []string{"SISMEMBER", "int", "100"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c.Args = c.Args[:0]
			for _, a := range bc.args {
				c.Args = append(c.Args, []byte(a))
			}
			c.Out = make([]byte, 0, 256)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.Out = c.Out[:0]
				s.Execute(c)
			}
		})
	}
}
