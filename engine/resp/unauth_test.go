package resp

import "testing"

func TestUnauthenticatedLimits(t *testing.T) {
	cases := []struct {
		in   string
		want *ProtocolError
	}{
		{"*11\r\n", ErrUnauthenticatedMultibulkLength},
		{"*2\r\n$16385\r\n", ErrUnauthenticatedBulkLength},
	}
	for _, tc := range cases {
		p := Parser{Unauthenticated: true}
		_, _, err := p.Next([]byte(tc.in), nil)
		if err != tc.want {
			t.Errorf("%q: got %v; want %v", tc.in, err, tc.want)
		}
		// The same input is fine once authenticated.
		p = Parser{}
		if _, _, err := p.Next([]byte(tc.in), nil); err != nil {
			t.Errorf("%q authenticated: got %v; want incomplete", tc.in, err)
		}
	}
	p := Parser{Unauthenticated: true}
	n, args, err := p.Next([]byte("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n"), nil)
	if err != nil || n == 0 || len(args) != 2 {
		t.Fatalf("AUTH within limits: n=%d args=%q err=%v", n, args, err)
	}
}
