package resp

import (
	"errors"
	"strings"
	"testing"
)

// SplitArgs follows Redis's sdssplitargs (checked against redis-cli and
// redis.conf parsing of Redis 7.0).
func TestSplitArgs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  error
	}{
		{`set a b`, []string{"set", "a", "b"}, nil},
		{"  set \t  \"a b\"  'c d' ", []string{"set", "a b", "c d"}, nil},
		{`requirepass "p w\x7f"`, []string{"requirepass", "p w\x7f"}, nil},
		{`"\x41\x7a\n\r\t\b\a\\\"" x`, []string{"Az\n\r\t\b\a\\\"", "x"}, nil},
		{`"\xZZ\q"`, []string{`xZZq`}, nil}, // not two hex digits: the x stands for itself
		{`'it\'s' '\n' '\x41'`, []string{"it's", `\n`, `\x41`}, nil},
		{`a"b c"`, []string{"ab c"}, nil},
		{`""`, []string{""}, nil},
		{``, nil, nil},
		{"a\x00b c", []string{"a"}, nil}, // a C string ends at NUL
		{`"abc`, nil, ErrUnbalancedQuotes},
		{`"abc"d`, nil, ErrUnbalancedQuotes},
		{`'abc'd`, nil, ErrUnbalancedQuotes},
		{`'abc`, nil, ErrUnbalancedQuotes},
	} {
		got, err := SplitArgs([]byte(c.in))
		if !errors.Is(err, c.err) {
			t.Errorf("SplitArgs(%q) error %v; want %v", c.in, err, c.err)
			continue
		}
		gs := make([]string, len(got))
		for i, g := range got {
			gs[i] = string(g)
		}
		if len(gs) != len(c.want) || strings.Join(gs, "|") != strings.Join(c.want, "|") {
			t.Errorf("SplitArgs(%q) = %q; want %q", c.in, gs, c.want)
		}
	}
}
