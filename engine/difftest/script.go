package difftest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"rundb/engine/resp"
)

// StepKind says what a script step does.
type StepKind int

const (
	StepCommand StepKind = iota // send Args as a multibulk request, compare the reply
	StepRaw                     // send Raw as is, compare the reply
	StepSleep                   // pause for Sleep
	StepRecv                    // read the oldest unread reply of Conn, compare it
)

// Step is one executable line of a script.
type Step struct {
	Kind  StepKind
	Line  int    // 1-based line number in the script
	Text  string // the source line, for messages
	Conn  int    // connection the step runs on
	Args  [][]byte
	Raw   []byte
	Sleep time.Duration

	Ignore        bool // compare only the reply's RESP type
	Sorted        bool // compare after sorting every array
	Approx        bool // integers may differ by one
	CloseExpected bool // the server closes the connection after replying
	NoReply       bool // send only; a later @recv reads the reply
}

// Script is a parsed script file.
type Script struct {
	Name  string
	Steps []Step
}

// ErrBadEscape is a \x in a @raw line not followed by two hex digits.
var ErrBadEscape = errors.New("bad escape")

// LoadScripts parses every *.txt file in dir, sorted by name.
func LoadScripts(dir string) ([]*Script, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var scripts []*Script
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("cannot read script %q: %w", p, err)
		}
		s, err := ParseScript(strings.TrimSuffix(filepath.Base(p), ".txt"), string(src))
		if err != nil {
			return nil, err
		}
		scripts = append(scripts, s)
	}
	return scripts, nil
}

// ParseScript parses the text of one script; name is used in messages.
func ParseScript(name, src string) (*Script, error) {
	s := &Script{Name: name}
	conn := 1
	var pending Step // modifiers waiting for the next command
	pendingLine := 0
	fail := func(n int, format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, a...))
	}
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		line = strings.TrimRight(line, "\r")
		text := strings.TrimSpace(line)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if strings.HasPrefix(text, "@") {
			word, rest, _ := strings.Cut(text, " ")
			rest = strings.TrimSpace(rest)
			switch word {
			case "@ignore":
				pending.Ignore = true
			case "@sorted":
				pending.Sorted = true
			case "@approx":
				pending.Approx = true
			case "@close-expected":
				pending.CloseExpected = true
			case "@send":
				pending.NoReply = true
			case "@recv":
				st := pending
				st.Kind, st.Line, st.Text, st.Conn = StepRecv, n, text, conn
				s.Steps = append(s.Steps, st)
				pending, pendingLine = Step{}, 0
				continue
			case "@sleep":
				ms, err := strconv.Atoi(rest)
				if err != nil || ms < 0 {
					return nil, fail(n, "bad @sleep %q", rest)
				}
				s.Steps = append(s.Steps, Step{Kind: StepSleep, Line: n, Text: text, Conn: conn,
					Sleep: time.Duration(ms) * time.Millisecond})
				continue
			case "@conn":
				c, err := strconv.Atoi(rest)
				if err != nil || c < 0 {
					return nil, fail(n, "bad @conn %q", rest)
				}
				conn = c
				continue
			case "@raw":
				raw, err := Unescape(rest)
				if err != nil {
					return nil, fail(n, "@raw: %v", err)
				}
				if len(raw) == 0 {
					return nil, fail(n, "@raw needs bytes")
				}
				st := pending
				st.Kind, st.Line, st.Text, st.Conn, st.Raw = StepRaw, n, text, conn, raw
				s.Steps = append(s.Steps, st)
				pending, pendingLine = Step{}, 0
				continue
			default:
				return nil, fail(n, "unknown directive %q", word)
			}
			if pendingLine == 0 {
				pendingLine = n
			}
			continue
		}
		args, err := resp.SplitArgs([]byte(text))
		if err != nil {
			return nil, fail(n, "%v", err)
		}
		st := pending
		st.Kind, st.Line, st.Text, st.Conn, st.Args = StepCommand, n, text, conn, args
		if st.Sorted && st.Approx {
			return nil, fail(n, "@sorted and @approx together")
		}
		s.Steps = append(s.Steps, st)
		pending, pendingLine = Step{}, 0
	}
	if pendingLine != 0 {
		return nil, fail(pendingLine, "directive not followed by a command")
	}
	return s, nil
}

// Unescape expands the escapes of a double-quoted string (without the
// quotes) in s; every other byte stands for itself.
func Unescape(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			b, used, err := escape(s[i+1:])
			if err != nil {
				return nil, err
			}
			out = append(out, b)
			i += used
			continue
		}
		out = append(out, s[i])
	}
	return out, nil
}

// escape decodes the escape whose body (after the backslash) starts s and
// returns the byte and how many bytes of s it used.
func escape(s string) (byte, int, error) {
	switch s[0] {
	case 'n':
		return '\n', 1, nil
	case 'r':
		return '\r', 1, nil
	case 't':
		return '\t', 1, nil
	case 'b':
		return '\b', 1, nil
	case 'a':
		return '\a', 1, nil
	case 'x':
		if len(s) >= 3 {
			if v, err := strconv.ParseUint(s[1:3], 16, 8); err == nil {
				return byte(v), 3, nil
			}
		}
		return 0, 0, fmt.Errorf("%w: \\%s", ErrBadEscape, s[:min(len(s), 3)])
	}
	return s[0], 1, nil
}
