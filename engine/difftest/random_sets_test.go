package difftest

import "strconv"

// Set commands of the random stream. Members come from a small pool,
// mostly integers, so sets overlap, start as intsets and convert (a
// non-integer member, or a SADD of hundreds of integers past
// set-max-intset-entries); keys are the stream's k0..k7, shared with
// strings, so WRONGTYPE comes up too. Replies whose order is the hash
// table's are compared sorted; random choices are only asked for where
// they are determined (a count of 0, or one past any set's size).

var randMembers = []string{
	"0", "1", "2", "3", "7", "-1", "-5", "100", "70000", "-70000",
	"10000000000", "9223372036854775807", "-9223372036854775808",
	"a", "b", "c", "x y", "", "007", "-0", "+1", "1.5", "9223372036854775808",
}

func (g *randGen) member() string { return g.pick(randMembers) }

func (g *randGen) members(max int) []string {
	var a []string
	for i := g.r.Intn(max) + 1; i > 0; i-- {
		a = append(a, g.member())
	}
	return a
}

func (g *randGen) keys(max int) []string {
	var a []string
	for i := g.r.Intn(max) + 1; i > 0; i-- {
		a = append(a, g.key())
	}
	return a
}

// setCommand returns a set command for about one command in four.
func (g *randGen) setCommand() (randCmd, bool) {
	if g.r.Intn(4) != 0 {
		return randCmd{}, false
	}
	k, w := g.key, g.word
	cmd := func(a ...string) randCmd { return randCmd{args: a} }
	sorted := func(a ...string) randCmd { return randCmd{args: a, mode: cmpSorted} }
	switch g.r.Intn(20) {
	case 0, 1, 2:
		return cmd(append([]string{"SADD", k()}, g.members(4)...)...), true
	case 3:
		// Hundreds of integers: an intset that passes 512 converts.
		a := []string{"SADD", k()}
		start, n := g.r.Intn(1000), 100+g.r.Intn(500)
		for i := 0; i < n; i++ {
			a = append(a, strconv.Itoa(start+i))
		}
		return cmd(a...), true
	case 4, 5:
		return cmd(append([]string{"SREM", k()}, g.members(3)...)...), true
	case 6:
		return cmd("SISMEMBER", k(), g.member()), true
	case 7:
		return cmd(append([]string{"SMISMEMBER", k()}, g.members(3)...)...), true
	case 8:
		return cmd("SCARD", k()), true
	case 9:
		return sorted("SMEMBERS", k()), true
	case 10:
		return cmd("SMOVE", k(), k(), g.member()), true
	case 11:
		return sorted(append([]string{g.pick([]string{"SINTER", "SUNION", "SDIFF"})}, g.keys(3)...)...), true
	case 12:
		return cmd(append([]string{g.pick([]string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}), k()}, g.keys(3)...)...), true
	case 13:
		ks := g.keys(3)
		a := append([]string{"SINTERCARD", strconv.Itoa(len(ks))}, ks...)
		if g.r.Intn(2) == 0 {
			a = append(a, w("LIMIT"), g.pick([]string{"0", "1", "2", "5", "-1", "x"}))
		}
		if g.r.Intn(10) == 0 {
			a[1] = g.pick([]string{"0", "9", "abc"})
		}
		return cmd(a...), true
	case 14:
		c := sorted("SRANDMEMBER", k(), g.pick([]string{"0", "100000", "abc"}))
		c.fixed = true
		return c, true
	case 15:
		if g.r.Intn(2) == 0 {
			return cmd("SRANDMEMBER", k(), "-0"), true // an error: -0 is not an integer
		}
		c := sorted("SPOP", k(), g.pick([]string{"0", "100000", "-1", "abc"}))
		c.fixed = true
		return c, true
	case 16:
		a := []string{"SSCAN", k(), g.pick([]string{"0", "0", "x"}), w("COUNT"), "100000"}
		if g.r.Intn(2) == 0 {
			a = append(a, w("MATCH"), g.pick(randPatterns))
		}
		return sorted(a...), true
	case 17:
		return cmd("OBJECT", w("ENCODING"), k()), true
	case 18:
		// A one-member set answers SRANDMEMBER and SPOP deterministically.
		key := k()
		g.pending = append(g.pending,
			randCmd{conn: g.conn, args: []string{"SADD", key, g.member()}},
			randCmd{conn: g.conn, args: []string{"SRANDMEMBER", key, "-2"}},
			randCmd{conn: g.conn, args: []string{"SPOP", key}})
		return randCmd{args: []string{"DEL", key}, fixed: true}, true
	default:
		return cmd("TYPE", k()), true
	}
}
