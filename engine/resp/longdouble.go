package resp

import (
	"math"
	"math/big"
	"strconv"
)

// Long doubles. INCRBYFLOAT parses its operands as x87 extended precision
// values (64-bit significand, 15-bit exponent), adds them with one rounding
// to nearest-even, and prints the sum with 17 digits after the point before
// dropping trailing zeros ("human" format). The output therefore shows the
// extended precision rounding error: 0 + 1000.1 prints
// "1000.09999999999999998". A float64 cannot reproduce that, so the exact
// path is emulated with math/big at 64 bits of precision:
//
//	a, ok1 := ParseLongDouble(cur)
//	b, ok2 := ParseLongDouble(incr)
//	sum, ok := AddLongDouble(a, b) // !ok: "increment would produce NaN or Infinity"
//	s := FormatBigLongDouble(sum)
//
// Differences from the hardware format: subnormal results are not
// reproduced bit for bit (values under about 1e-4931 print as 0 either way).

const (
	ldPrec = 64 // significand bits of the x87 extended format
	// ldMaxExp bounds big.Float exponents (x = m * 2**exp, 0.5 <= m < 1) of
	// finite values: the largest finite value is just below 2**16384.
	ldMaxExp = 16384
	// ldMinExp: below 2**-16445 (the smallest subnormal) values round to 0.
	ldMinExp = -16445
	// maxLongDoubleChars is the size of the formatting buffer; a longer
	// result formats as the empty string.
	maxLongDoubleChars = 5 * 1024
)

func newLD() *big.Float { return new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven) }

// ParseLongDouble parses s as a long double argument: the whole of s must be
// a decimal or hexadecimal ("0x1.8p3") floating point number, or "inf" /
// "infinity", with an optional sign; no white space, no NaN, no overflow to
// infinity and no underflow to zero. It reports false when s is not valid
// ("value is not a valid float").
func ParseLongDouble(s []byte) (*big.Float, bool) {
	if len(s) == 0 || len(s) >= maxLongDoubleChars {
		return nil, false
	}
	i := 0
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i++
	}
	rest := s[i:]
	if lower := string(toLower(rest)); lower == "inf" || lower == "infinity" {
		return newLD().SetInf(neg), true
	}
	var x *big.Float
	var ok bool
	if len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') {
		x, ok = parseHexLD(rest[2:])
	} else {
		x, ok = parseDecLD(rest)
	}
	if !ok {
		return nil, false
	}
	if neg {
		x.Neg(x)
	}
	return x, true
}

func toLower(b []byte) []byte {
	if len(b) > 8 {
		return nil
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// digitsOf scans a mantissa "ddd[.ddd]" of the given base starting at s and
// returns the digits without the point, the number of digits after the
// point and the length scanned. At least one digit is required.
func digitsOf(s []byte, isDigit func(byte) bool) (digits []byte, frac int, n int, ok bool) {
	dot := false
	for ; n < len(s); n++ {
		c := s[n]
		switch {
		case isDigit(c):
			digits = append(digits, c)
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return digits, frac, n, len(digits) > 0
		}
	}
	return digits, frac, n, len(digits) > 0
}

// expOf parses "[+-]ddd" filling the whole of s, saturating large values.
func expOf(s []byte) (int, bool) {
	if len(s) == 0 {
		return 0, false
	}
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	v := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v < 1<<30 {
			v = v*10 + int(c-'0')
		}
	}
	if neg {
		v = -v
	}
	return v, true
}

func isDec(c byte) bool { return c >= '0' && c <= '9' }

func parseDecLD(s []byte) (*big.Float, bool) {
	digits, frac, n, ok := digitsOf(s, isDec)
	if !ok {
		return nil, false
	}
	exp := 0
	if n < len(s) {
		if s[n] != 'e' && s[n] != 'E' {
			return nil, false
		}
		if exp, ok = expOf(s[n+1:]); !ok {
			return nil, false
		}
	}
	exp -= frac
	// Strip leading zeros; a zero mantissa is 0 whatever the exponent.
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return newLD(), true
	}
	// The value lies in [10**(mag-1), 10**mag).
	mag := exp + len(digits)
	if mag > 4933 || mag < -4952 {
		return nil, false // overflow to infinity or underflow to zero
	}
	num, _ := new(big.Int).SetString(string(digits), 10)
	r := new(big.Rat)
	if exp >= 0 {
		num.Mul(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
		r.SetInt(num)
	} else {
		den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-exp)), nil)
		r.SetFrac(num, den)
	}
	x := newLD().SetRat(r)
	return x, inRange(x)
}

func isHexDigit(c byte) bool { return isHex(c) }

func parseHexLD(s []byte) (*big.Float, bool) {
	digits, frac, n, ok := digitsOf(s, isHexDigit)
	if !ok {
		return nil, false
	}
	exp := 0
	if n < len(s) {
		if s[n] != 'p' && s[n] != 'P' {
			return nil, false
		}
		if exp, ok = expOf(s[n+1:]); !ok {
			return nil, false
		}
	}
	num, _ := new(big.Int).SetString(string(digits), 16)
	if num.Sign() == 0 {
		return newLD(), true
	}
	exp -= 4 * frac
	if exp+num.BitLen() > ldMaxExp+1 || exp+num.BitLen() < ldMinExp-1 {
		return nil, false
	}
	x := newLD().SetInt(num)
	x.SetMantExp(x, exp)
	return x, inRange(x)
}

// inRange reports whether a finite nonzero x neither overflows nor
// underflows to zero in the extended format.
func inRange(x *big.Float) bool {
	if x.IsInf() || x.Sign() == 0 {
		return true
	}
	e := x.MantExp(nil)
	return e <= ldMaxExp && e >= ldMinExp
}

// AddLongDouble returns a+b rounded to the extended format. It reports
// false when the sum is NaN or infinite ("increment would produce NaN or
// Infinity").
func AddLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	x := newLD().Add(a, b)
	if x.Sign() != 0 && x.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return x, true
}

// FormatBigLongDouble formats x in the human long double format: 17 digits
// after the point, trailing zeros and a trailing point dropped, "-0" shown
// as "0", infinities as "inf" / "-inf", and "" when the text would not fit
// in the 5KB formatting buffer.
func FormatBigLongDouble(x *big.Float) string {
	if x.IsInf() {
		if x.Signbit() {
			return "-inf"
		}
		return "inf"
	}
	s := x.Text('f', 17)
	if len(s)+1 > maxLongDoubleChars {
		return ""
	}
	return trimHuman(s)
}

// trimHuman drops the trailing zeros after the point, then the point.
func trimHuman(s string) string {
	i := len(s)
	for i > 0 && s[i-1] == '0' {
		i--
	}
	if i > 0 && s[i-1] == '.' {
		i--
	}
	s = s[:i]
	if s == "-0" {
		return "0"
	}
	return s
}

// FormatLongDouble formats a float64 result the way INCRBYFLOAT prints its
// long double result, for callers that compute in float64. f is taken to
// stand for its shortest decimal form (10.5+0.1 computed in float64 is
// 10.599999999999999645, whose shortest form is 10.6), which is read at
// extended precision and printed as FormatBigLongDouble does. This matches
// the server whenever the extended precision sum rounds to the same value
// as that decimal: typical for one addition of short decimals (10.5+0.1 ->
// "10.6", 0+1000.1 -> "1000.09999999999999998", 5.0e3 -> "5000", 1e20 ->
// "100000000000000000000"). It differs when the float64 sum itself strays
// from the decimal sum: 0.1+0.2 is 0.30000000000000004 in float64 and
// prints so here, while the server prints "0.3". Use ParseLongDouble and
// AddLongDouble for exact results.
func FormatLongDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	var tmp [32]byte
	x, ok := ParseLongDouble(strconv.AppendFloat(tmp[:0], f, 'e', -1, 64))
	if !ok {
		return "0"
	}
	return FormatBigLongDouble(x)
}
