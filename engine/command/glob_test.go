package command

import (
	"testing"
)

// globCases: for each pattern, the subjects of globSubjects it matches, as
// KEYS answers on a database holding exactly those keys.
var globSubjects = []string{"hello", "hallo", "hxllo", "hllo", "heeello", "h*llo", "h?llo", "h[a]llo", `h\llo`, "Hello", "", "o", "h[", "h", `h\`, "ha", "a", "]", "-", "b", "ab", "abc", "axbxc", "\x80", "0", "\xff", "\\", "[", "^", "aa"}

var globCases = []struct {
	pattern string
	matches []string
}{
	{"h?llo", []string{"hello", "hallo", "hxllo", "h*llo", "h?llo", "h\\llo"}},
	{"h*llo", []string{"hello", "hallo", "hxllo", "hllo", "heeello", "h*llo", "h?llo", "h[a]llo", "h\\llo"}},
	{"h[ae]llo", []string{"hello", "hallo"}},
	{"h[^e]llo", []string{"hallo", "hxllo", "h*llo", "h?llo", "h\\llo"}},
	{"h[a-b]llo", []string{"hallo"}},
	{"h[b-a]llo", []string{"hallo"}},
	{"h[!e]llo", []string{"hello"}},
	{"h\\*llo", []string{"h*llo"}},
	{"h\\?llo", []string{"h?llo"}},
	{"h\\[a]llo", []string{"h[a]llo"}},
	{"h\\\\llo", []string{"h\\llo"}},
	{"h[", []string(nil)},
	{"h[a", []string{"ha"}},
	{"h\\", []string{"h\\"}},
	{"[Hh]ello", []string{"hello", "Hello"}},
	{"*o", []string{"hello", "hallo", "hxllo", "hllo", "heeello", "h*llo", "h?llo", "h[a]llo", "h\\llo", "Hello", "o"}},
	{"?", []string{"o", "h", "a", "]", "-", "b", "\x80", "0", "\xff", "\\", "[", "^"}},
	{"", []string{""}},
	{"**", []string{"hello", "hallo", "hxllo", "hllo", "heeello", "h*llo", "h?llo", "h[a]llo", "h\\llo", "Hello", "o", "h[", "h", "h\\", "ha", "a", "]", "-", "b", "ab", "abc", "axbxc", "\x80", "0", "\xff", "\\", "[", "^", "aa"}},
	{"***", []string{"hello", "hallo", "hxllo", "hllo", "heeello", "h*llo", "h?llo", "h[a]llo", "h\\llo", "Hello", "o", "h[", "h", "h\\", "ha", "a", "]", "-", "b", "ab", "abc", "axbxc", "\x80", "0", "\xff", "\\", "[", "^", "aa"}},
	{"h*l*o", []string{"hello", "hallo", "hxllo", "hllo", "heeello", "h*llo", "h?llo", "h[a]llo", "h\\llo"}},
	{"[a-z]*", []string{"hello", "hallo", "hxllo", "hllo", "heeello", "h*llo", "h?llo", "h[a]llo", "h\\llo", "o", "h[", "h", "h\\", "ha", "a", "b", "ab", "abc", "axbxc", "aa"}},
	{"[^a-z]*", []string{"Hello", "]", "-", "\x80", "0", "\xff", "\\", "[", "^"}},
	{"[a-]", []string{"a", "]", "^"}},
	{"[a-]]", []string{"a", "]", "^"}},
	{"[]a]", []string(nil)},
	{"[\\]]", []string{"]"}},
	{"[\\", []string{"\\"}},
	{"a*b*c", []string{"abc", "axbxc"}},
	{"*a*", []string{"hallo", "h[a]llo", "ha", "a", "ab", "abc", "axbxc", "aa"}},
	{"[\x80-a]", []string{"a", "]", "-", "\x80", "0", "\xff", "\\", "[", "^"}},
	{"[a-\xff]", []string{"a", "]", "-", "0", "\xff", "\\", "[", "^"}},
	{"[^", []string{"o", "h", "a", "]", "-", "b", "\x80", "0", "\xff", "\\", "[", "^"}},
	{"[^]", []string{"o", "h", "a", "]", "-", "b", "\x80", "0", "\xff", "\\", "[", "^"}},
	{"\\\\*", []string{"\\"}},
	{"*\\", []string{"h\\", "\\"}},
}

func TestStringMatch(t *testing.T) {
	for _, tc := range globCases {
		want := map[string]bool{}
		for _, m := range tc.matches {
			want[m] = true
		}
		for _, s := range globSubjects {
			if got := StringMatchString(tc.pattern, s, false); got != want[s] {
				t.Errorf("StringMatch(%q, %q) = %v; want %v", tc.pattern, s, got, want[s])
			}
		}
	}
}

func TestStringMatchNocase(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"HELLO", "hello", true},
		{"h*O", "HeLLo", true},
		{"[A-C]x", "bX", true},
		{"[a-c]x", "BX", true},
		{"[^A-C]x", "bx", false},
		{"[B]", "b", true},
		{`[\B]`, "b", false}, // an escaped byte in a set is compared as is
		{`[\B]`, "B", true},
		{`\X`, "x", true},
		{"?", "Q", true},
		{"maxmemory*", "MAXMEMORY-policy", true},
	}
	for _, tc := range cases {
		if got := StringMatchString(tc.p, tc.s, true); got != tc.want {
			t.Errorf("StringMatch(%q, %q, nocase) = %v; want %v", tc.p, tc.s, got, tc.want)
		}
	}
	if StringMatchString("HELLO", "hello", false) {
		t.Errorf("case-sensitive match of HELLO against hello")
	}
}

// TestStringMatchHostile checks that a pattern of many stars does not take
// exponential time on a subject that does not match.
func TestStringMatchHostile(t *testing.T) {
	p := []byte("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
	s := make([]byte, 200)
	for i := range s {
		s[i] = 'a'
	}
	if StringMatch(p, s, false) {
		t.Fatalf("matched")
	}
}

// refMatch is plain backtracking with the same token rules as StringMatch
// and without its give-up shortcut; small inputs only.
func refMatch(p, s []byte, nocase bool) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	if len(s) == 0 {
		return false
	}
	if p[0] == '*' {
		for len(p) > 1 && p[1] == '*' {
			p = p[1:]
		}
		if len(p) == 1 {
			return true
		}
		for i := 0; i < len(s); i++ {
			if refMatch(p[1:], s[i:], nocase) {
				return true
			}
		}
		return false
	}
	next := 1
	switch p[0] {
	case '?':
	case '[':
		end, ok := globClass(p, 1, s[0], nocase)
		if !ok {
			return false
		}
		next = end + 1
	default:
		c := p[0]
		if c == '\\' && len(p) >= 2 {
			c = p[1]
			next = 2
		}
		a, b := c, s[0]
		if nocase {
			a, b = foldByte(a), foldByte(b)
		}
		if a != b {
			return false
		}
	}
	p, s = p[next:], s[1:]
	if len(s) == 0 {
		for len(p) > 0 && p[0] == '*' {
			p = p[1:]
		}
		return len(p) == 0
	}
	return refMatch(p, s, nocase)
}

func FuzzStringMatch(f *testing.F) {
	for _, tc := range globCases {
		for _, s := range globSubjects[:6] {
			f.Add([]byte(tc.pattern), []byte(s), false)
		}
	}
	f.Add([]byte("*a*b"), []byte("aaab"), true)
	f.Fuzz(func(t *testing.T, p, s []byte, nocase bool) {
		if len(p) > 16 || len(s) > 16 {
			return
		}
		got := StringMatch(p, s, nocase)
		if want := refMatch(p, s, nocase); got != want {
			t.Fatalf("StringMatch(%q, %q, %v) = %v; want %v", p, s, nocase, got, want)
		}
	})
}
