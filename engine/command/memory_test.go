package command

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"rundb/engine/mem"
)

// memParse decodes a reply of arrays, bulk strings and integers: an array
// becomes []any, a bulk string a string, an integer an int64.
func memParse(t *testing.T, r *bufio.Reader) any {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	line = strings.TrimSuffix(line, "\r\n")
	n, _ := strconv.ParseInt(line[1:], 10, 64)
	switch line[0] {
	case ':':
		return n
	case '$':
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatal(err)
		}
		return string(b[:n])
	case '*':
		out := make([]any, n)
		for i := range out {
			out[i] = memParse(t, r)
		}
		return out
	}
	t.Fatalf("unexpected reply line %q", line)
	return nil
}

// memStatsOf runs MEMORY STATS and returns its fields by name.
func memStatsOf(t *testing.T, s *Server, c *Client) (map[string]any, []string) {
	t.Helper()
	arr, ok := memParse(t, bufio.NewReader(strings.NewReader(do(s, c, "MEMORY", "STATS")))).([]any)
	if !ok || len(arr)%2 != 0 {
		t.Fatalf("MEMORY STATS: not an even array: %v", arr)
	}
	m := map[string]any{}
	var names []string
	for i := 0; i < len(arr); i += 2 {
		k := arr[i].(string)
		m[k] = arr[i+1]
		names = append(names, k)
	}
	return m, names
}

// The MEMORY USAGE of every key adds up to the allocator's bytes for
// keys, expires, entries and values (each key's table shares are rounded to
// the byte), and a key's usage grows with its value block.
func TestMemoryUsageAddsUpToPurposes(t *testing.T) {
	s, c := testServer(nil)
	for i := 0; i < 500; i++ {
		k := fmt.Sprintf("key:%d", i)
		switch i % 5 {
		case 0:
			do(s, c, "SET", k, strconv.Itoa(i))
		case 1:
			do(s, c, "SET", k, "short")
		case 2:
			do(s, c, "SET", k, strings.Repeat("x", 50+i))
		case 3:
			do(s, c, "SET", k, "v", "EX", "1000")
		case 4:
			do(s, c, "APPEND", k, strings.Repeat("y", 100))
			do(s, c, "APPEND", k, "z")
		}
	}
	total := int64(0)
	for i := 0; i < 500; i++ {
		r := do(s, c, "MEMORY", "USAGE", fmt.Sprintf("key:%d", i))
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(r, ":"), "\r\n"), 10, 64)
		if err != nil || n <= 0 {
			t.Fatalf("MEMORY USAGE key:%d = %q", i, r)
		}
		total += n
	}
	st := s.KS.Alloc.Stats()
	want := int64(0)
	for _, p := range []mem.Purpose{mem.PurposeSlots, mem.PurposeExpires, mem.PurposeEntry, mem.PurposeValue} {
		want += int64(st.Purposes[p].Allocated)
	}
	// 500 keys, 100 with two shares: rounding moves each share by at most
	// half a byte.
	if d := total - want; d < -300 || d > 300 {
		t.Fatalf("MEMORY USAGE adds up to %d; the data purposes hold %d", total, want)
	}
	if got := do(s, c, "MEMORY", "USAGE", "nosuch"); got != "$-1\r\n" {
		t.Errorf("MEMORY USAGE of a missing key: %q", got)
	}
	do(s, c, "SET", "a", strings.Repeat("a", 100))
	do(s, c, "SET", "b", strings.Repeat("b", 4000))
	ua, ub := do(s, c, "MEMORY", "USAGE", "a"), do(s, c, "MEMORY", "USAGE", "b")
	na, _ := strconv.Atoi(strings.TrimSpace(ua[1:]))
	nb, _ := strconv.Atoi(strings.TrimSpace(ub[1:]))
	if nb-na < 3900 {
		t.Errorf("MEMORY USAGE of a 4000-byte value %d, of a 100-byte one %d", nb, na)
	}
}

// MEMORY STATS has Redis 7.0's fields in its order, db.N for each database
// with keys, and purposes that add up to total.allocated.
func TestMemoryStats(t *testing.T) {
	s, c := testServer(nil)
	do(s, c, "SET", "a", "1")
	do(s, c, "SET", "b", "2", "EX", "100")
	do(s, c, "SELECT", "3")
	do(s, c, "SET", "c", strings.Repeat("c", 100))
	m, names := memStatsOf(t, s, c)
	want := "peak.allocated total.allocated startup.allocated replication.backlog clients.slaves clients.normal " +
		"cluster.links aof.buffer lua.caches functions.caches db.0 db.3 overhead.total keys.count keys.bytes-per-key " +
		"dataset.bytes dataset.percentage peak.percentage allocator.allocated allocator.active allocator.resident " +
		"allocator-fragmentation.ratio allocator-fragmentation.bytes allocator-rss.ratio allocator-rss.bytes " +
		"rss-overhead.ratio rss-overhead.bytes fragmentation fragmentation.bytes " +
		"purpose.slots purpose.expires purpose.entries purpose.values purpose.containers purpose.clients"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("MEMORY STATS fields:\n got %s\nwant %s", got, want)
	}
	db0 := m["db.0"].([]any)
	if db0[0] != "overhead.hashtable.main" || db0[2] != "overhead.hashtable.expires" || db0[4] != "overhead.hashtable.slot-to-keys" {
		t.Fatalf("db.0 = %v", db0)
	}
	st := s.KS.Alloc.Stats()
	if db0[1].(int64)+db0[3].(int64)+m["db.3"].([]any)[1].(int64) != int64(st.Purposes[mem.PurposeSlots].Allocated+st.Purposes[mem.PurposeExpires].Allocated) {
		t.Errorf("db.N overheads %v %v do not add up to the slots and expires purposes", db0, m["db.3"])
	}
	total, sum := m["total.allocated"].(int64), int64(0)
	for p := mem.Purpose(0); p < mem.NumPurposes; p++ {
		sum += m["purpose."+p.String()].(int64)
	}
	if sum != total || total != int64(st.Allocated) {
		t.Errorf("purposes add up to %d; total.allocated %d; allocator %d", sum, total, st.Allocated)
	}
	if m["keys.count"].(int64) != 3 || m["overhead.total"].(int64)+m["dataset.bytes"].(int64) != total {
		t.Errorf("keys.count %v, overhead.total %v + dataset.bytes %v != %d", m["keys.count"], m["overhead.total"], m["dataset.bytes"], total)
	}
	if _, err := strconv.ParseFloat(m["fragmentation"].(string), 64); err != nil {
		t.Errorf("fragmentation = %q", m["fragmentation"])
	}
}

func TestMemoryDoctorAndMallocStats(t *testing.T) {
	s, c := testServer(nil)
	if got := do(s, c, "MEMORY", "DOCTOR"); !strings.Contains(got, "this instance is empty") {
		t.Errorf("MEMORY DOCTOR on an empty server: %q", got)
	}
	// 6 MB of data and nothing else: healthy.
	for i := 0; i < 6; i++ {
		do(s, c, "SET", strconv.Itoa(i), strings.Repeat("v", 1<<20))
	}
	s.infoCron()
	if got := do(s, c, "MEMORY", "DOCTOR"); !strings.Contains(got, "I can't find any memory issue") &&
		!strings.Contains(got, "High total RSS") {
		t.Errorf("MEMORY DOCTOR with 6 MB of values: %q", got)
	}
	// A past peak twice the current use.
	for i := 0; i < 6; i++ {
		do(s, c, "SET", "p"+strconv.Itoa(i), strings.Repeat("v", 1<<20))
	}
	s.infoCron()
	for i := 0; i < 6; i++ {
		do(s, c, "DEL", "p"+strconv.Itoa(i))
	}
	if got := do(s, c, "MEMORY", "DOCTOR"); !strings.Contains(got, " * Peak memory: In the past this instance used more than 150%") {
		t.Errorf("MEMORY DOCTOR after a peak: %q", got)
	}
	if got := do(s, c, "MEMORY", "MALLOC-STATS"); !strings.Contains(got, "Stats not supported for the current allocator (goheap)") {
		t.Errorf("MEMORY MALLOC-STATS on goheap: %q", got)
	}
}
