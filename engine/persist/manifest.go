// The append log (manifest.go, appendlog.go, basefile.go, load.go): rundb's
// files in Redis 7.0's multi-part layout, and the base files a rewrite
// produces.
//
// On disk (the directory is <dir>/<appenddirname>, default appendonlydir,
// and <f> is appendfilename, default appendonly.aof):
//
//	<f>.manifest         which files make up the data set, in order
//	<f>.<seq>.base.aof   the base: RESP commands that rebuild a snapshot
//	<f>.<seq>.incr.aof   increments: the writes logged after the snapshot
//
// The manifest is text, one file per line, as key/value pairs:
//
//	file appendonly.aof.2.base.aof seq 2 type b
//	file appendonly.aof.1.incr.aof seq 1 type h
//	file appendonly.aof.2.incr.aof seq 2 type i
//
// type b is the base (at most one), i an increment (sequence numbers
// strictly increasing, replayed in that order after the base), h a history
// file that a finished rewrite made obsolete and that is about to be
// deleted. Lines starting with '#' are comments; a file name holding spaces
// or control bytes is written quoted ("..." with \n, \xhh escapes); keys
// other than file, seq and type are ignored. A directory written by rundb
// loads in redis-server 7.0 started with aof-use-rdb-preamble no, and the
// reverse.
//
// The engine drives an AOF from its event loop:
//
//	a, err := persist.Open(opt)      // reads the manifest, creates nothing
//	a.Load(apply, truncatedOK, prog) // before the port opens
//	a.StartLogging()                 // appendonly yes
//	a.Feed(db, argv)                 // at the write path's propagation point
//	a.Flush()                        // once per loop turn, before replies
//	b, _ := a.BeginRewrite()         // BGREWRITEAOF: the instant of the snapshot
//	b.Write(...); b.Close()          // the snapshot, in slices, then poll b.Result
//	a.FinishRewrite(b)               // or b.Abort() when it failed
//	a.Close()                        // shutdown

package persist

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FileType is the type letter of a manifest line.
type FileType byte

// File types, as the manifest spells them.
const (
	TypeBase    FileType = 'b'
	TypeHistory FileType = 'h'
	TypeIncr    FileType = 'i'
)

// FileInfo is one manifest line.
type FileInfo struct {
	Name string
	Seq  int64
	Type FileType
}

// Manifest lists the files of an append log. The zero value is an empty
// manifest (no files yet).
type Manifest struct {
	Base    *FileInfo  // nil when there is no base file
	History []FileInfo // obsolete files not deleted yet
	Incrs   []FileInfo // increments, in replay order (increasing Seq)
}

// maxManifestLine bounds a manifest line, as the reference server does; a
// longer line is refused rather than truncated.
const maxManifestLine = 1024

// ManifestError is a manifest rundb refuses to use, with the place.
type ManifestError struct {
	Path string // manifest file
	Line int    // 1-based line number; 0 for the whole file
	Text string // the offending line, without its newline
	Msg  string
}

func (e *ManifestError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("AOF manifest %s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("AOF manifest %s, line %d: %s: %q", e.Path, e.Line, e.Msg, e.Text)
}

// Names of the files of the layout.

// ManifestName is the manifest's file name for appendfilename f.
func ManifestName(f string) string { return f + ".manifest" }

// BaseName is the name of base file seq.
func BaseName(f string, seq int64) string { return f + "." + strconv.FormatInt(seq, 10) + ".base.aof" }

// IncrName is the name of increment file seq.
func IncrName(f string, seq int64) string { return f + "." + strconv.FormatInt(seq, 10) + ".incr.aof" }

// tempManifestName is where a new manifest is written before its rename.
func tempManifestName(f string) string { return "temp-" + f + ".manifest" }

// ParseManifest reads a manifest. path names it in errors only.
func ParseManifest(r io.Reader, path string) (*Manifest, error) {
	m := &Manifest{}
	br := bufio.NewReaderSize(r, 4096)
	lineNo := 0
	entries := 0
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull || len(line) > maxManifestLine {
			return nil, &ManifestError{path, lineNo + 1, string(line[:min(len(line), 80)]), "line too long"}
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("cannot read AOF manifest %s: %w", path, err)
		}
		if len(line) == 0 && err == io.EOF {
			break
		}
		lineNo++
		text := string(bytes.TrimRight(line, "\r\n"))
		if strings.TrimSpace(text) == "" || text[0] == '#' {
			if err == io.EOF {
				break
			}
			continue
		}
		bad := func(msg string) error { return &ManifestError{path, lineNo, text, msg} }
		argv, ok := splitArgs(text)
		if !ok {
			return nil, bad("unbalanced quotes")
		}
		if len(argv) < 6 || len(argv)%2 != 0 {
			return nil, bad("invalid AOF manifest file format")
		}
		var fi FileInfo
		var haveName, haveSeq, haveType bool
		for i := 0; i < len(argv); i += 2 {
			k, v := argv[i], argv[i+1]
			switch strings.ToLower(k) {
			case "file":
				fi.Name, haveName = v, true
			case "seq":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 {
					return nil, bad("invalid sequence number")
				}
				fi.Seq, haveSeq = n, true
			case "type":
				if len(v) != 1 {
					return nil, bad("unknown AOF file type")
				}
				fi.Type, haveType = FileType(v[0]), true
			}
		}
		if !haveName || !haveSeq || !haveType {
			return nil, bad("invalid AOF manifest file format")
		}
		if fi.Name == "" || fi.Name == "." || fi.Name == ".." || strings.ContainsAny(fi.Name, "/\x00") {
			return nil, bad("file can't be a path, just a filename")
		}
		switch fi.Type {
		case TypeBase:
			if m.Base != nil {
				return nil, bad("found duplicate base file information")
			}
			b := fi
			m.Base = &b
		case TypeHistory:
			m.History = append(m.History, fi)
		case TypeIncr:
			if n := len(m.Incrs); n > 0 && fi.Seq <= m.Incrs[n-1].Seq {
				return nil, bad("found a non-monotonic sequence number")
			}
			m.Incrs = append(m.Incrs, fi)
		default:
			return nil, bad("unknown AOF file type")
		}
		entries++
		if err == io.EOF {
			break
		}
	}
	if entries == 0 {
		return nil, &ManifestError{Path: path, Msg: "found an empty AOF manifest"}
	}
	return m, nil
}

// Marshal returns the manifest's text: the base, then history, then the
// increments, one line each.
func (m *Manifest) Marshal() []byte {
	var b []byte
	line := func(fi FileInfo) {
		b = append(b, "file "...)
		b = appendName(b, fi.Name)
		b = append(b, " seq "...)
		b = strconv.AppendInt(b, fi.Seq, 10)
		b = append(b, " type "...)
		b = append(b, byte(fi.Type), '\n')
	}
	m.each(line)
	return b
}

// Empty reports whether the manifest lists no base and no increment.
func (m *Manifest) Empty() bool { return m.Base == nil && len(m.Incrs) == 0 }

// clone returns a deep copy, so that a new manifest can be built and
// dropped if writing it fails.
func (m *Manifest) clone() *Manifest {
	c := &Manifest{History: append([]FileInfo(nil), m.History...), Incrs: append([]FileInfo(nil), m.Incrs...)}
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	return c
}

// needsQuotes reports whether a name must be written quoted to survive
// splitArgs: empty, or holding a space, a quote, a backslash or a byte
// outside printable ASCII.
func needsQuotes(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\' {
			return true
		}
	}
	return false
}

func appendName(b []byte, s string) []byte {
	if !needsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c < ' ' || c >= 0x7f {
				b = append(b, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// splitArgs splits a line into words the way redis-cli and the config file
// do: words separated by spaces; "double quoted" with \n \r \t \b \a \\ \"
// and \xhh escapes; 'single quoted' with \' only. A closing quote must be
// followed by a space or the end of the line. ok is false for unbalanced
// quotes.
func splitArgs(line string) (argv []string, ok bool) {
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return argv, true
		}
		var cur []byte
		inDQ, inSQ, done := false, false, false
		for !done {
			if inDQ {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				if c == '\\' && i+3 < len(line) && line[i+1] == 'x' {
					h, ok1 := unhex(line[i+2])
					l, ok2 := unhex(line[i+3])
					if ok1 && ok2 {
						cur = append(cur, h<<4|l)
						i += 4
						continue
					}
				}
				if c == '\\' && i+1 < len(line) {
					i++
					switch e := line[i]; e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				} else if c == '"' {
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				} else {
					cur = append(cur, c)
				}
			} else if inSQ {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				if c == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					i++
					cur = append(cur, '\'')
				} else if c == '\'' {
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				} else {
					cur = append(cur, c)
				}
			} else {
				if i >= len(line) {
					break
				}
				switch c := line[i]; {
				case isSpace(c):
					done = true
				case c == '"':
					inDQ = true
				case c == '\'':
					inSQ = true
				default:
					cur = append(cur, c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		argv = append(argv, string(cur))
	}
}

// each visits m's files in the manifest's order: the base, the history,
// the increments.
func (m *Manifest) each(fn func(fi FileInfo)) {
	if m.Base != nil {
		fn(*m.Base)
	}
	for _, fi := range m.History {
		fn(fi)
	}
	for _, fi := range m.Incrs {
		fn(fi)
	}
}
