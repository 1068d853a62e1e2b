package command

import (
	"fmt"
	"strings"
)

// COMMAND and its subcommands (COUNT, LIST, INFO, DOCS, GETKEYS,
// GETKEYSANDFLAGS, HELP), and the parser that turns a row's Args syntax
// string into the argument tree COMMAND DOCS replies.

func init() {
	register(func(t *Table) {
		const f = FlagLoading | FlagStale
		t.Add(
			&Command{Name: "command", Arity: -1, Flags: f, Group: "server", Since: "2.8.13",
				Summary: "Get array of Redis command details", Handler: commandCommand},
			&Command{Name: "command|count", Arity: 2, Flags: f, Since: "2.8.13",
				Summary: "Get total number of Redis commands", Handler: commandCountCommand},
			&Command{Name: "command|list", Arity: -2, Flags: f, Since: "7.0.0",
				Summary: "Get an array of Redis command names",
				Args:    "[FILTERBY (MODULE module-name|ACLCAT category|PATTERN pattern)]", Handler: commandListCommand},
			&Command{Name: "command|info", Arity: -2, Flags: f, Since: "2.8.13",
				Summary: "Get array of specific Redis command details, or all when no argument is given.",
				Args:    "[command-name [command-name ...]]", Handler: commandInfoCommand},
			&Command{Name: "command|docs", Arity: -2, Flags: f, Since: "7.0.0",
				Summary: "Get array of specific Redis command documentation",
				Args:    "[command-name [command-name ...]]", Handler: commandDocsCommand},
			&Command{Name: "command|getkeys", Arity: -4, Flags: f, Since: "2.8.13",
				Summary: "Extract keys given a full Redis command", Args: "command arg [arg ...]", Handler: commandGetKeysCommand},
			&Command{Name: "command|getkeysandflags", Arity: -4, Flags: f, Since: "7.0.0",
				Summary: "Extract keys and access flags given a full Redis command", Args: "command arg [arg ...]",
				Handler: commandGetKeysAndFlagsCommand},
			&Command{Name: "command|help", Arity: 2, Flags: f, Since: "5.0.0",
				Summary: "Show helpful text about the different subcommands", Handler: commandHelpCommand},
		)
	})
}

// aclCategories derives a command's ACL categories from its flags and
// group, in the order COMMAND INFO lists them.
func aclCategories(c *Command) []string {
	var out []string
	if c.Flags&FlagWrite != 0 {
		out = append(out, "@write")
	}
	if c.Flags&FlagReadOnly != 0 {
		out = append(out, "@read")
	}
	if c.Flags&FlagAdmin != 0 {
		out = append(out, "@admin")
	}
	if c.Flags&FlagPubSub != 0 {
		out = append(out, "@pubsub")
	}
	switch c.Group {
	case "string":
		out = append(out, "@string")
	case "generic":
		out = append(out, "@keyspace")
	case "list":
		out = append(out, "@list")
	case "set":
		out = append(out, "@set")
	case "hash":
		out = append(out, "@hash")
	case "sorted-set":
		out = append(out, "@sortedset")
	}
	if c.Flags&FlagFast != 0 {
		out = append(out, "@fast")
	} else {
		out = append(out, "@slow")
	}
	if c.Flags&FlagAdmin != 0 {
		out = append(out, "@dangerous")
	}
	switch c.Group {
	case "connection":
		if c.Sub == nil {
			out = append(out, "@connection")
		}
	case "transactions":
		out = append(out, "@transaction")
	}
	return out
}

// hasCategory reports whether c is in the ACL category cat ("string" or "@string").
func hasCategory(c *Command, cat string) bool {
	cat = strings.TrimPrefix(strings.ToLower(cat), "@")
	for _, x := range aclCategories(c) {
		if x[1:] == cat {
			return true
		}
	}
	return false
}

func (c *Client) replyCommandInfo(cmd *Command) {
	c.ReplyArrayLen(10)
	c.ReplyBulkString(cmd.Name)
	c.ReplyInt(int64(cmd.Arity))
	n := 0
	for _, fn := range flagNames {
		if cmd.Flags&fn.f != 0 {
			n++
		}
	}
	c.ReplyArrayLen(n)
	for _, fn := range flagNames {
		if cmd.Flags&fn.f != 0 {
			c.ReplySimple(fn.name)
		}
	}
	c.ReplyInt(int64(cmd.FirstKey))
	c.ReplyInt(int64(cmd.LastKey))
	c.ReplyInt(int64(cmd.Step))
	cats := aclCategories(cmd)
	c.ReplyArrayLen(len(cats))
	for _, x := range cats {
		c.ReplySimple(x)
	}
	c.ReplyArrayLen(0) // tips
	if cmd.FirstKey > 0 {
		c.ReplyArrayLen(1)
		c.replyKeySpec(cmd)
	} else {
		c.ReplyArrayLen(0)
	}
	subs := cmd.SortedSubs()
	c.ReplyArrayLen(len(subs))
	for _, s := range subs {
		c.replyCommandInfo(s)
	}
}

// keySpecFlags are the access flags of a command's keys.
func keySpecFlags(cmd *Command) []string {
	switch {
	case cmd.Flags&FlagWrite != 0:
		return []string{"RW", "update"}
	case cmd.Flags&FlagReadOnly != 0:
		return []string{"RO", "access"}
	}
	return []string{"RW", "access"}
}

// replyKeySpec replies the one key specification rundb's rows describe:
// an index to begin at and a range of keys.
func (c *Client) replyKeySpec(cmd *Command) {
	c.ReplyArrayLen(6)
	c.ReplyBulkString("flags")
	fl := keySpecFlags(cmd)
	c.ReplyArrayLen(len(fl))
	for _, x := range fl {
		c.ReplySimple(x)
	}
	c.ReplyBulkString("begin_search")
	c.ReplyArrayLen(4)
	c.ReplyBulkString("type")
	c.ReplyBulkString("index")
	c.ReplyBulkString("spec")
	c.ReplyArrayLen(2)
	c.ReplyBulkString("index")
	c.ReplyInt(int64(cmd.FirstKey))
	c.ReplyBulkString("find_keys")
	c.ReplyArrayLen(4)
	c.ReplyBulkString("type")
	c.ReplyBulkString("range")
	c.ReplyBulkString("spec")
	c.ReplyArrayLen(6)
	last := cmd.LastKey
	if last >= 0 {
		last -= cmd.FirstKey
	}
	step := cmd.Step
	if step <= 0 {
		step = 1
	}
	c.ReplyBulkString("lastkey")
	c.ReplyInt(int64(last))
	c.ReplyBulkString("keystep")
	c.ReplyInt(int64(step))
	c.ReplyBulkString("limit")
	c.ReplyInt(0)
}

func commandCommand(c *Client) {
	cmds := c.srv.Table.Sorted()
	c.ReplyArrayLen(len(cmds))
	for _, cmd := range cmds {
		c.replyCommandInfo(cmd)
	}
}

func commandCountCommand(c *Client) { c.ReplyInt(int64(c.srv.Table.Len())) }

// allCommandNames lists every command and subcommand name, sorted.
func (s *Server) allCommandNames(keep func(*Command) bool) []string {
	var out []string
	for _, cmd := range s.Table.Sorted() {
		if keep(cmd) {
			out = append(out, cmd.Name)
		}
		for _, sub := range cmd.SortedSubs() {
			if keep(sub) {
				out = append(out, sub.Name)
			}
		}
	}
	return out
}

func commandListCommand(c *Client) {
	keep := func(*Command) bool { return true }
	switch {
	case len(c.Args) == 2:
	case len(c.Args) == 5 && EqualFold(c.Args[2], "filterby"):
		val := string(c.Args[4])
		switch {
		case EqualFold(c.Args[3], "module"):
			keep = func(*Command) bool { return false }
		case EqualFold(c.Args[3], "aclcat"):
			keep = func(cmd *Command) bool { return hasCategory(cmd, val) }
		case EqualFold(c.Args[3], "pattern"):
			keep = func(cmd *Command) bool { return StringMatchString(val, cmd.Name, true) }
		default:
			c.ReplySyntaxErr()
			return
		}
	default:
		c.ReplySyntaxErr()
		return
	}
	c.ReplyStrings(c.srv.allCommandNames(keep)...)
}

func commandInfoCommand(c *Client) {
	if len(c.Args) == 2 {
		commandCommand(c)
		return
	}
	c.ReplyArrayLen(len(c.Args) - 2)
	for _, a := range c.Args[2:] {
		if cmd := c.srv.Table.Get(Lower(a)); cmd != nil {
			c.replyCommandInfo(cmd)
		} else {
			c.ReplyNullArray()
		}
	}
}

func commandDocsCommand(c *Client) {
	var cmds []*Command
	if len(c.Args) == 2 {
		cmds = c.srv.Table.Sorted()
	} else {
		for _, a := range c.Args[2:] {
			if cmd := c.srv.Table.Get(Lower(a)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.ReplyArrayLen(2 * len(cmds))
	for _, cmd := range cmds {
		c.ReplyBulkString(cmd.Name)
		c.replyCommandDocs(cmd)
	}
}

// replyCommandDocs replies the documentation map of cmd as a flat array.
func (c *Client) replyCommandDocs(cmd *Command) {
	args, err := ParseArgs(cmd.Args)
	if err != nil {
		args = nil
	}
	n := 3
	if len(args) > 0 {
		n++
	}
	if cmd.Sub != nil {
		n++
	}
	c.ReplyArrayLen(2 * n)
	c.ReplyBulkString("summary")
	c.ReplyBulkString(cmd.Summary)
	c.ReplyBulkString("since")
	c.ReplyBulkString(cmd.Since)
	c.ReplyBulkString("group")
	c.ReplyBulkString(cmd.Group)
	if len(args) > 0 {
		c.ReplyBulkString("arguments")
		c.replyDocArgs(args)
	}
	if cmd.Sub != nil {
		subs := cmd.SortedSubs()
		c.ReplyBulkString("subcommands")
		c.ReplyArrayLen(2 * len(subs))
		for _, s := range subs {
			c.ReplyBulkString(s.Name)
			c.replyCommandDocs(s)
		}
	}
}

func (c *Client) replyDocArgs(args []*DocArg) {
	c.ReplyArrayLen(len(args))
	for _, a := range args {
		n := 2
		if a.Type == "key" {
			n++
		}
		if a.Token != "" {
			n++
		}
		if a.Optional || a.Multiple {
			n++
		}
		if len(a.Args) > 0 {
			n++
		}
		c.ReplyArrayLen(2 * n)
		c.ReplyBulkString("name")
		c.ReplyBulkString(a.Name)
		c.ReplyBulkString("type")
		c.ReplyBulkString(a.Type)
		if a.Type == "key" {
			c.ReplyBulkString("key_spec_index")
			c.ReplyInt(0)
		}
		if a.Token != "" {
			c.ReplyBulkString("token")
			c.ReplyBulkString(a.Token)
		}
		if a.Optional || a.Multiple {
			c.ReplyBulkString("flags")
			if a.Optional && a.Multiple {
				c.ReplyArrayLen(2)
				c.ReplySimple("optional")
				c.ReplySimple("multiple")
			} else if a.Optional {
				c.ReplyArrayLen(1)
				c.ReplySimple("optional")
			} else {
				c.ReplyArrayLen(1)
				c.ReplySimple("multiple")
			}
		}
		if len(a.Args) > 0 {
			c.ReplyBulkString("arguments")
			c.replyDocArgs(a.Args)
		}
	}
}

// getKeysTarget resolves the command of COMMAND GETKEYS and checks its
// arguments, replying the error and returning nil when it cannot.
func (c *Client) getKeysTarget() (*Command, []int) {
	args := c.Args[2:]
	cmd := c.srv.Table.Lookup(args[0])
	if cmd != nil && cmd.Sub != nil && len(args) >= 2 {
		cmd = cmd.Sub[Lower(args[1])]
	}
	switch {
	case cmd == nil:
		c.ReplyError("ERR Invalid command specified")
		return nil, nil
	case cmd.FirstKey <= 0:
		c.ReplyError("ERR The command has no key arguments")
		return nil, nil
	case !arityOK(cmd.Arity, len(args)):
		c.ReplyError("ERR Invalid number of arguments specified for command")
		return nil, nil
	}
	pos := cmd.keyPositions(args, nil)
	if len(pos) == 0 {
		c.ReplyError("ERR Invalid arguments specified for command")
		return nil, nil
	}
	return cmd, pos
}

func commandGetKeysCommand(c *Client) {
	_, pos := c.getKeysTarget()
	if pos == nil {
		return
	}
	c.ReplyArrayLen(len(pos))
	for _, p := range pos {
		c.ReplyBulk(c.Args[2+p])
	}
}

func commandGetKeysAndFlagsCommand(c *Client) {
	cmd, pos := c.getKeysTarget()
	if pos == nil {
		return
	}
	fl := keySpecFlags(cmd)
	c.ReplyArrayLen(len(pos))
	for _, p := range pos {
		c.ReplyArrayLen(2)
		c.ReplyBulk(c.Args[2+p])
		c.ReplyArrayLen(len(fl))
		for _, x := range fl {
			c.ReplySimple(x)
		}
	}
}

func commandHelpCommand(c *Client) {
	c.replyHelp("COMMAND",
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.",
	)
}

// DocArg is one argument of a command as COMMAND DOCS describes it.
type DocArg struct {
	Name string
	// Type is key, string, integer, double, pattern, unix-time,
	// pure-token, oneof or block.
	Type     string
	Token    string // the literal word that introduces the argument, if any
	Optional bool
	Multiple bool
	Args     []*DocArg // the alternatives of a oneof, the parts of a block
}

// ParseArgs parses a row's Args syntax into COMMAND DOCS arguments.
//
// Grammar:
//
//	seq   = alt { "|" alt }        alternatives; "|" binds loosest
//	alt   = { unit }
//	unit  = WORD | "[" seq "]" | "(" seq ")" | "..."
//
// An UPPER-CASE word is a token (pure-token on its own, or the token of
// the argument, block or oneof that follows it); a lower-case word is an
// argument whose type is guessed from its name ("key", "seconds",
// "pattern"...) unless given as "name:type". "[...]" makes its content
// optional; "x [x ...]" and "a b [a b ...]" make x, or the block a b,
// multiple. Parentheses only group: "TYPE (NORMAL|MASTER)" is a oneof
// introduced by TYPE.
func ParseArgs(syntax string) ([]*DocArg, error) {
	p := &argParser{toks: lexArgs(syntax)}
	alts, err := p.seq("")
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("command: unexpected %q in %q", p.toks[p.pos], syntax)
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return []*DocArg{groupArg(alts)}, nil
}

func lexArgs(s string) []string {
	var toks []string
	i := 0
	for i < len(s) {
		switch ch := s[i]; {
		case ch == ' ' || ch == '\t':
			i++
		case ch == '[' || ch == ']' || ch == '(' || ch == ')' || ch == '|':
			toks = append(toks, s[i:i+1])
			i++
		case strings.HasPrefix(s[i:], "..."):
			toks = append(toks, "...")
			i += 3
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t[]()|", rune(s[j])) && !strings.HasPrefix(s[j:], "...") {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

type argParser struct {
	toks []string
	pos  int
}

// seq parses alternatives up to closer ("" for the end of input) and
// consumes the closer.
func (p *argParser) seq(closer string) ([][]*DocArg, error) {
	alts := [][]*DocArg{nil}
	for {
		if p.pos >= len(p.toks) {
			if closer != "" {
				return nil, fmt.Errorf("command: missing %q in args syntax", closer)
			}
			return alts, nil
		}
		tok := p.toks[p.pos]
		p.pos++
		cur := &alts[len(alts)-1]
		switch tok {
		case closer:
			return alts, nil
		case "]", ")":
			return nil, fmt.Errorf("command: unexpected %q in args syntax", tok)
		case "|":
			alts = append(alts, nil)
		case "...":
			if len(*cur) == 0 {
				return nil, fmt.Errorf("command: \"...\" with nothing before it")
			}
			(*cur)[len(*cur)-1].Multiple = true
		case "[", "(":
			end := "]"
			if tok == "(" {
				end = ")"
			}
			inner, err := p.seq(end)
			if err != nil {
				return nil, err
			}
			if tok == "[" && len(inner) == 1 && mergeRepeat(cur, inner[0]) {
				continue
			}
			a := groupArg(inner)
			if tok == "[" {
				a.Optional = true
			}
			*cur = append(*cur, a)
		default:
			*cur = append(*cur, wordArg(tok))
		}
	}
}

// mergeRepeat turns "x [x ...]" into a multiple x, and "a b [a b ...]"
// into a multiple block: rep is the content of the brackets.
func mergeRepeat(cur *[]*DocArg, rep []*DocArg) bool {
	n := len(rep)
	if n == 0 || !rep[n-1].Multiple || len(*cur) < n {
		return false
	}
	prev := (*cur)[len(*cur)-n:]
	for i := range rep {
		if !sameArg(prev[i], rep[i], i == n-1) {
			return false
		}
	}
	if n == 1 {
		prev[0].Multiple = true
		return true
	}
	block := &DocArg{Name: joinNames(prev), Type: "block", Multiple: true, Args: append([]*DocArg(nil), prev...)}
	*cur = append((*cur)[:len(*cur)-n], block)
	return true
}

func sameArg(a, b *DocArg, ignoreMultiple bool) bool {
	if a.Name != b.Name || a.Type != b.Type || a.Token != b.Token || a.Optional != b.Optional {
		return false
	}
	return ignoreMultiple || a.Multiple == b.Multiple
}

// groupArg makes one argument of a bracketed or parenthesized content.
func groupArg(alts [][]*DocArg) *DocArg {
	if len(alts) == 1 {
		return seqArg(alts[0])
	}
	parts := make([]*DocArg, len(alts))
	for i, alt := range alts {
		parts[i] = seqArg(alt)
	}
	return &DocArg{Name: joinNames(parts), Type: "oneof", Args: parts}
}

// seqArg makes one argument of a sequence: itself when alone, the
// argument a leading token introduces, or a block.
func seqArg(seq []*DocArg) *DocArg {
	switch {
	case len(seq) == 0:
		return &DocArg{Name: "", Type: "block"}
	case len(seq) == 1:
		return seq[0]
	}
	head := seq[0]
	if head.Type == "pure-token" && !head.Optional && !head.Multiple {
		rest := seqArg(seq[1:])
		if rest.Token == "" {
			if len(seq) > 2 || rest.Type == "oneof" || rest.Type == "block" {
				rest.Name = strings.ToLower(head.Token)
			}
			rest.Token = head.Token
			return rest
		}
	}
	return &DocArg{Name: joinNames(seq), Type: "block", Args: seq}
}

func joinNames(args []*DocArg) string {
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = a.Name
	}
	return strings.Join(names, "-")
}

// wordArg makes the argument of one word of the syntax.
func wordArg(w string) *DocArg {
	if isTokenWord(w) {
		return &DocArg{Name: strings.ToLower(w), Type: "pure-token", Token: w}
	}
	if i := strings.IndexByte(w, ':'); i > 0 && isArgType(w[i+1:]) {
		return &DocArg{Name: w[:i], Type: w[i+1:]}
	}
	return &DocArg{Name: w, Type: guessArgType(w)}
}

func isTokenWord(w string) bool {
	letter := false
	for i := 0; i < len(w); i++ {
		switch ch := w[i]; {
		case ch >= 'A' && ch <= 'Z':
			letter = true
		case ch >= '0' && ch <= '9', ch == '-', ch == '_':
		default:
			return false
		}
	}
	return letter
}

func isArgType(t string) bool {
	switch t {
	case "key", "string", "integer", "double", "pattern", "unix-time":
		return true
	}
	return false
}

func guessArgType(name string) string {
	switch {
	case name == "key" || name == "destination" || name == "source" || strings.HasSuffix(name, "key"):
		return "key"
	case strings.HasPrefix(name, "unix-time"):
		return "unix-time"
	case name == "pattern":
		return "pattern"
	}
	switch name {
	case "seconds", "milliseconds", "count", "index", "index1", "index2", "start", "end", "stop", "offset",
		"timeout", "db", "destination-db", "increment", "decrement", "numkeys", "client-id", "cursor",
		"protover", "port", "limit", "position", "length", "numreplicas", "id":
		return "integer"
	}
	return "string"
}
