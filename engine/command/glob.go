package command

// Glob patterns as KEYS, SCAN MATCH, CONFIG GET and PSUBSCRIBE understand them.
//
//	*        any run of bytes, the empty one included
//	?        exactly one byte
//	[abc]    one byte of the set; [^abc] one byte not in it
//	[a-z]    one byte in the range (the ends may come in either order)
//	\x       the byte x itself, outside and inside brackets
//
// The corner cases are part of the protocol, since clients see them:
//   - An unterminated bracket ("h[a") runs to the end of the pattern and
//     still consumes one byte of the subject.
//   - A range whose end is the closing bracket ("[a-]") takes ']' as its
//     end, and the set then runs on into the rest of the pattern.
//   - A backslash as the last pattern byte is a literal backslash.
//   - Bytes compare as signed chars inside ranges, so "[a-\xff]" is the
//     range -1..'a'.
//   - An escaped byte inside brackets compares case-sensitively even in
//     nocase mode.
//   - A pattern that is not exactly "*" needs at least one byte of subject
//     after a star that is followed by more pattern, and "**" does not
//     match the empty string (KEYS and SCAN special-case the single "*").
//
// Matching is backtracking over star positions, with one shortcut that
// keeps it linear-ish on hostile patterns: once the rest of the pattern
// after a star fails against every suffix of the subject, no shorter
// prefix consumed by an earlier star can help either, so the whole match
// fails at once.

// StringMatch reports whether subject matches the glob pattern; nocase
// folds ASCII letters.
func StringMatch(pattern, subject []byte, nocase bool) bool {
	var giveUp bool
	return globMatch(pattern, subject, nocase, &giveUp)
}

// StringMatchString is StringMatch for strings.
func StringMatchString(pattern, subject string, nocase bool) bool {
	var giveUp bool
	return globMatch([]byte(pattern), []byte(subject), nocase, &giveUp)
}

// globAt returns p[i], or 0 past the end (the pattern is treated as if it
// were followed by a NUL byte, which matters for unterminated brackets).
func globAt(p []byte, i int) byte {
	if i < len(p) {
		return p[i]
	}
	return 0
}

func foldByte(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

// foldSigned lowers an ASCII letter given as a signed char value.
func foldSigned(v int) int {
	if v >= 'A' && v <= 'Z' {
		return v + ('a' - 'A')
	}
	return v
}

func globMatch(p, s []byte, nocase bool, giveUp *bool) bool {
	pi, si := 0, 0
	for pi < len(p) && si < len(s) {
		switch p[pi] {
		case '*':
			for pi+1 < len(p) && p[pi+1] == '*' {
				pi++
			}
			if pi == len(p)-1 {
				return true
			}
			for ; si < len(s); si++ {
				if globMatch(p[pi+1:], s[si:], nocase, giveUp) {
					return true
				}
				if *giveUp {
					return false
				}
			}
			*giveUp = true
			return false
		case '?':
			si++
		case '[':
			var ok bool
			pi, ok = globClass(p, pi+1, s[si], nocase)
			if !ok {
				return false
			}
			si++
		default:
			if p[pi] == '\\' && pi+1 < len(p) {
				pi++
			}
			a, b := p[pi], s[si]
			if nocase {
				a, b = foldByte(a), foldByte(b)
			}
			if a != b {
				return false
			}
			si++
		}
		pi++
		if si == len(s) {
			for pi < len(p) && p[pi] == '*' {
				pi++
			}
			break
		}
	}
	return pi >= len(p) && si == len(s)
}

// globClass matches byte ch against the bracket set starting at p[pi]
// (just after '['). It returns the index of the set's last byte (the ']',
// or the last pattern byte when unterminated) and whether ch matched.
func globClass(p []byte, pi int, ch byte, nocase bool) (int, bool) {
	negate := globAt(p, pi) == '^'
	if negate {
		pi++
	}
	match := false
	for {
		left := len(p) - pi
		cur := globAt(p, pi)
		switch {
		case cur == '\\' && left >= 2:
			pi++
			if p[pi] == ch {
				match = true
			}
		case cur == ']' && left > 0:
			return pi, match != negate
		case left <= 0:
			// Unterminated: the set ends at the last pattern byte.
			return pi - 1, match != negate
		case left >= 3 && p[pi+1] == '-':
			lo, hi, c := int(int8(p[pi])), int(int8(p[pi+2])), int(int8(ch))
			if lo > hi {
				lo, hi = hi, lo
			}
			if nocase {
				lo, hi, c = foldSigned(lo), foldSigned(hi), foldSigned(c)
			}
			if c >= lo && c <= hi {
				match = true
			}
			pi += 2
		default:
			if nocase {
				if foldByte(cur) == foldByte(ch) {
					match = true
				}
			} else if cur == ch {
				match = true
			}
		}
		pi++
	}
}
