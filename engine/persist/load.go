package persist

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"rundb/engine/resp"
)

// LoadStats describe a Load.
type LoadStats struct {
	Commands  int64 // commands passed to apply
	Bytes     int64 // bytes of the files read
	Files     int64 // files read
	Truncated bool  // the last file was cut off mid-command and truncated
}

// LoadError is a file Load refuses, with the place.
type LoadError struct {
	File   string // path
	Offset int64  // byte offset of the command or byte at fault
	Msg    string
	// Truncated: the file ends in the middle of a command (a crash while
	// writing), not with bytes that are not RESP.
	Truncated bool
	Err       error // the apply error, if that is the cause
}

func (e *LoadError) Error() string {
	s := fmt.Sprintf("AOF file %s, byte offset %d: %s", e.File, e.Offset, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *LoadError) Unwrap() error { return e.Err }

// errCut is a command cut off by the end of the file.
var errCut = errors.New("unexpected end of file")

// formatError is a byte that cannot be part of a logged command.
type formatError struct {
	off int64
	msg string
}

func (e *formatError) Error() string { return e.msg }

// cmdReader reads the commands of one file, streaming: *<n>, then n times
// $<len> and <len> bytes, every line ending in CRLF. Lines starting with
// '#' (annotations) are skipped.
type cmdReader struct {
	r    *bufio.Reader
	off  int64 // offset of the next unread byte
	size int64 // file size, bounding lengths before anything is allocated
	data []byte
	offs []int
	args [][]byte
}

// maxPreallocArgs bounds the argument slots reserved from a header alone.
const maxPreallocArgs = 1024

// line reads one line up to '\n'. At the end of the file it returns
// errCut for a partial line and io.EOF for none.
func (c *cmdReader) line() ([]byte, error) {
	l, err := c.r.ReadSlice('\n')
	c.off += int64(len(l))
	if err == bufio.ErrBufferFull {
		return nil, &formatError{c.off - int64(len(l)), "line too long"}
	}
	if err == io.EOF {
		if len(l) == 0 {
			return nil, io.EOF
		}
		return l, errCut
	}
	return l, err
}

// parseCount parses the number of a "*<n>\r\n" or "$<n>\r\n" line (prefix
// byte included). A partial line (cut) is accepted when it is a prefix of a
// well-formed one.
func parseCount(l []byte, cut bool) (int64, bool) {
	body := l[1:]
	if !cut {
		if !bytes.HasSuffix(body, []byte("\r\n")) {
			return 0, false
		}
		body = body[:len(body)-2]
	} else {
		body = bytes.TrimSuffix(body, []byte("\r"))
		for _, ch := range body {
			if ch < '0' || ch > '9' {
				return 0, false
			}
		}
		return 0, len(body) <= 18
	}
	if len(body) == 0 || len(body) > 18 {
		return 0, false
	}
	var n int64
	for _, ch := range body {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		n = n*10 + int64(ch-'0')
	}
	return n, true
}

// next reads one command. It returns io.EOF at a clean end, errCut when
// the file ends inside the command, *formatError for bytes that are not a
// command. The args alias the reader's buffer until the next call.
func (c *cmdReader) next() ([][]byte, error) {
	var l []byte
	var err error
	for {
		start := c.off
		l, err = c.line()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil && err != errCut {
			return nil, err
		}
		if l[0] == '#' {
			if err == errCut {
				return nil, errCut
			}
			continue
		}
		if l[0] != '*' {
			return nil, &formatError{start, fmt.Sprintf("bad file format: expected '*', got %q", l[0])}
		}
		n, ok := parseCount(l, err == errCut)
		if !ok || (err == nil && n < 1) {
			return nil, &formatError{start, "bad file format: invalid multibulk length"}
		}
		if err == errCut {
			return nil, errCut
		}
		c.data = c.data[:0]
		c.offs = c.offs[:0]
		if cap(c.args) < int(min(n, maxPreallocArgs)) {
			c.args = make([][]byte, 0, min(n, maxPreallocArgs))
		}
		for i := int64(0); i < n; i++ {
			hstart := c.off
			l, err = c.line()
			if err == io.EOF {
				return nil, errCut
			}
			if err != nil && err != errCut {
				return nil, err
			}
			if l[0] != '$' {
				return nil, &formatError{hstart, fmt.Sprintf("bad file format: expected '$', got %q", l[0])}
			}
			blen, ok := parseCount(l, err == errCut)
			if !ok {
				return nil, &formatError{hstart, "bad file format: invalid bulk length"}
			}
			if err == errCut {
				return nil, errCut
			}
			if blen > c.size-c.off-2 {
				// Longer than what is left of the file: cut off.
				return nil, errCut
			}
			at := len(c.data)
			c.data = append(c.data, make([]byte, blen+2)...)
			m, rerr := io.ReadFull(c.r, c.data[at:])
			c.off += int64(m)
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				return nil, errCut
			}
			if rerr != nil {
				return nil, rerr
			}
			if c.data[at+int(blen)] != '\r' || c.data[at+int(blen)+1] != '\n' {
				return nil, &formatError{c.off - 2, "bad file format: bulk not followed by CRLF"}
			}
			c.data = c.data[:at+int(blen)]
			c.offs = append(c.offs, at)
		}
		args := c.args[:0]
		for i, at := range c.offs {
			end := len(c.data)
			if i+1 < len(c.offs) {
				end = c.offs[i+1]
			}
			args = append(args, c.data[at:end:end])
		}
		c.args = args
		return args, nil
	}
}

// progressEvery is how many bytes pass between calls of Load's progress.
const progressEvery = 4 << 20

// Load replays the base file and then the increments, in manifest order,
// calling apply for each command. It runs before StartLogging (it may
// truncate the last increment). A command apply refuses stops the load
// with a *LoadError naming the file and the offset of the command.
//
// A transaction (MULTI ... EXEC) is passed to apply only once its EXEC has
// been read, so apply never sees an unfinished one. The last file of the
// manifest may end in the middle of a command or of a transaction (a
// crash): with truncatedOK, the commands up to the last whole one are
// applied, a warning is logged and the file is truncated there (appending
// resumes after whole commands); without it Load refuses, and the file is
// not modified. A cut off file that is not the last, or bytes that are not
// commands, are refused. progress, if not nil, is called every few MB and
// at the end with the bytes read so far and the total.
func (a *AOF) Load(apply func(args [][]byte) error, truncatedOK bool, progress func(doneBytes, totalBytes int64)) (LoadStats, error) {
	var st LoadStats
	var files []string
	if a.man.Base != nil {
		files = append(files, a.man.Base.Name)
	}
	for _, fi := range a.man.Incrs {
		files = append(files, fi.Name)
	}
	var total int64
	sizes := make([]int64, len(files))
	for i, name := range files {
		fi, err := os.Stat(a.path(name))
		if err != nil {
			return st, fmt.Errorf("cannot load the AOF file %s listed in the manifest: %w", a.path(name), err)
		}
		sizes[i] = fi.Size()
		total += fi.Size()
	}
	var done int64
	var nextReport int64 = progressEvery
	report := func(fileDone int64) {
		if progress != nil && done+fileDone >= nextReport {
			progress(done+fileDone, total)
			nextReport = done + fileDone + progressEvery
		}
	}
	c := &cmdReader{}
	for i, name := range files {
		last := i == len(files)-1
		isBase := i == 0 && a.man.Base != nil
		n, cutAt, err := a.loadFile(c, a.path(name), sizes[i], isBase, apply, &st, report)
		if err != nil {
			return st, err
		}
		st.Files++
		st.Bytes += n
		if cutAt >= 0 {
			path := a.path(name)
			if !last {
				return st, &LoadError{File: path, Offset: cutAt, Truncated: true,
					Msg: "unexpected end of file, and it is not the last file of the manifest: the AOF is corrupt"}
			}
			if !truncatedOK {
				return st, &LoadError{File: path, Offset: cutAt, Truncated: true,
					Msg: "unexpected end of file (the last whole command ends here); back up the directory and set aof-load-truncated yes to load up to it"}
			}
			a.logf("!!! Warning: short read while loading the AOF file %s !!!", name)
			a.logf("!!! Truncating the AOF %s at offset %d !!!", name, cutAt)
			if err := truncateFile(path, cutAt); err != nil {
				return st, fmt.Errorf("cannot truncate the AOF file %s at offset %d: %w", path, cutAt, err)
			}
			a.logf("AOF %s loaded anyway because aof-load-truncated is enabled", name)
			st.Truncated = true
			if len(a.incrs) > 0 && a.incrs[len(a.incrs)-1].name == name {
				a.incrs[len(a.incrs)-1].size.Store(cutAt)
			} else if isBase {
				a.baseSize = cutAt
			}
			a.rwSize = a.currentSize()
		}
		done += sizes[i]
	}
	if progress != nil {
		progress(total, total)
	}
	return st, nil
}

// loadFile replays one file. cutAt is -1 when the file ends cleanly, else
// the offset of the end of its last whole command (or of the byte before
// an unfinished MULTI).
func (a *AOF) loadFile(c *cmdReader, path string, size int64, isBase bool, apply func([][]byte) error,
	st *LoadStats, report func(int64)) (read, cutAt int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, -1, fmt.Errorf("cannot open the AOF file %s: %w", path, err)
	}
	defer f.Close()
	if c.r == nil {
		c.r = bufio.NewReaderSize(f, 1<<20)
	} else {
		c.r.Reset(f)
	}
	c.off, c.size = 0, size
	if isBase {
		if head, _ := c.r.Peek(5); isRDBPreamble(head) {
			return 0, -1, &LoadError{File: path, Msg: "the base file is in RDB format (an RDB preamble); rundb reads only RESP base files (aof-use-rdb-preamble no)"}
		}
	}
	// A transaction is kept (copied) until its EXEC.
	var tx [][][]byte
	var txAt []int64
	inTx := false
	var txStart int64
	for {
		at := c.off
		args, err := c.next()
		if err == io.EOF {
			if inTx {
				return c.off, txStart, nil
			}
			return c.off, -1, nil
		}
		if err == errCut {
			if inTx {
				return c.off, txStart, nil
			}
			return c.off, at, nil
		}
		if fe, ok := err.(*formatError); ok {
			return c.off, -1, &LoadError{File: path, Offset: fe.off, Msg: fe.msg}
		}
		if err != nil {
			return c.off, -1, fmt.Errorf("cannot read the AOF file %s at offset %d: %w", path, c.off, err)
		}
		report(c.off)
		name := args[0]
		switch {
		case !inTx && bytes.EqualFold(name, []byte("multi")):
			inTx, txStart = true, at
			tx = append(tx[:0], resp.CloneArgs(args))
			txAt = append(txAt[:0], at)
			continue
		case inTx && bytes.EqualFold(name, []byte("exec")):
			tx = append(tx, resp.CloneArgs(args))
			txAt = append(txAt, at)
			for j, cmd := range tx {
				if err := a.apply1(apply, cmd, path, txAt[j], st); err != nil {
					return c.off, -1, err
				}
			}
			inTx = false
			tx = tx[:0]
			continue
		case inTx:
			tx = append(tx, resp.CloneArgs(args))
			txAt = append(txAt, at)
			continue
		}
		if err := a.apply1(apply, args, path, at, st); err != nil {
			return c.off, -1, err
		}
	}
}

func (a *AOF) apply1(apply func([][]byte) error, args [][]byte, path string, at int64, st *LoadStats) error {
	if err := apply(args); err != nil {
		return &LoadError{File: path, Offset: at, Msg: fmt.Sprintf("command %q failed", args[0]), Err: err}
	}
	st.Commands++
	return nil
}

// truncateFile cuts path at n bytes and fsyncs it.
func truncateFile(path string, n int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(n)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
