package command

import (
	"fmt"
	"rundb/engine/ds"
	"strings"
)

// COMMAND and its subcommands (COUNT, LIST, INFO, DOCS, GETKEYS,
// GETKEYSANDFLAGS, HELP), and the parser that turns a row's Args syntax
// string into the argument tree COMMAND DOCS replies.

func init() {
	handle(map[string]func(c *Client){
		"command":                 commandCommand,
		"command|count":           commandCountCommand,
		"command|list":            commandListCommand,
		"command|info":            commandInfoCommand,
		"command|docs":            commandDocsCommand,
		"command|getkeys":         commandGetKeysCommand,
		"command|getkeysandflags": commandGetKeysAndFlagsCommand,
		"command|help":            commandHelpCommand,
	})
}

// hasCategory reports whether c is in the ACL category cat ("string" or "@string").
func hasCategory(c *Command, cat string) bool {
	cat = strings.TrimPrefix(strings.ToLower(cat), "@")
	for _, x := range strings.Fields(c.ACL) {
		if x[1:] == cat {
			return true
		}
	}
	return false
}

func (c *Client) replyCommandInfo(cmd *Command) {
	movable := cmd.movable
	c.ReplyArrayLen(10)
	c.ReplyBulkString(cmd.Name)
	c.ReplyInt(int64(cmd.Arity))
	n := 0
	for _, fn := range flagNames {
		if cmd.Flags&fn.f != 0 {
			n++
		}
	}
	if movable {
		n++
	}
	c.ReplyArrayLen(n)
	for _, fn := range flagNames {
		if cmd.Flags&fn.f != 0 {
			if fn.f == FlagAllowBusy && movable {
				c.ReplySimple("movablekeys")
				movable = false
			}
			c.ReplySimple(fn.name)
		}
	}
	if movable {
		c.ReplySimple("movablekeys")
	}
	c.ReplyInt(int64(cmd.firstKey))
	c.ReplyInt(int64(cmd.lastKey))
	c.ReplyInt(int64(cmd.step))
	cats, tips := strings.Fields(cmd.ACL), strings.Fields(cmd.Tips)
	c.ReplyArrayLen(len(cats))
	for _, x := range cats {
		c.ReplySimple(x)
	}
	c.ReplyStrings(tips...)
	specs := cmd.KeySpecs
	c.ReplyArrayLen(len(specs))
	for i := range specs {
		c.replyKeySpec(&specs[i])
	}
	subs := cmd.SortedSubs()
	c.ReplyArrayLen(len(subs))
	for _, s := range subs {
		c.replyCommandInfo(s)
	}
}

func (c *Client) replyKeySpec(ks *keySpec) {
	n := 3
	if ks.notes != "" {
		n++
		c.ReplyArrayLen(2 * n)
		c.ReplyBulkString("notes")
		c.ReplyBulkString(ks.notes)
	} else {
		c.ReplyArrayLen(2 * n)
	}
	c.ReplyBulkString("flags")
	fl := strings.Fields(ks.flags)
	c.ReplyArrayLen(len(fl))
	for _, x := range fl {
		c.ReplySimple(x)
	}
	c.ReplyBulkString("begin_search")
	c.ReplyArrayLen(4)
	c.ReplyBulkString("type")
	switch {
	case ks.keyword != "":
		c.ReplyBulkString("keyword")
		c.ReplyBulkString("spec")
		c.ReplyArrayLen(4)
		c.ReplyBulkString("keyword")
		c.ReplyBulkString(ks.keyword)
		c.ReplyBulkString("startfrom")
		c.ReplyInt(int64(ks.startFrom))
	case ks.begin > 0:
		c.ReplyBulkString("index")
		c.ReplyBulkString("spec")
		c.ReplyArrayLen(2)
		c.ReplyBulkString("index")
		c.ReplyInt(int64(ks.begin))
	default:
		c.ReplyBulkString("unknown")
		c.ReplyBulkString("spec")
		c.ReplyArrayLen(0)
	}
	c.ReplyBulkString("find_keys")
	c.ReplyArrayLen(4)
	c.ReplyBulkString("type")
	var names [3]string
	switch ks.find {
	case 'r':
		c.ReplyBulkString("range")
		names = [3]string{"lastkey", "keystep", "limit"}
	case 'n':
		c.ReplyBulkString("keynum")
		names = [3]string{"keynumidx", "firstkey", "keystep"}
	default:
		c.ReplyBulkString("unknown")
		c.ReplyBulkString("spec")
		c.ReplyArrayLen(0)
		return
	}
	c.ReplyBulkString("spec")
	c.ReplyArrayLen(6)
	for i, v := range [3]int{ks.a, ks.b, ks.c} {
		c.ReplyBulkString(names[i])
		c.ReplyInt(int64(v))
	}
}

// keys returns the positions in args (args[0] is the command name) of the
// keys ks finds, or false when args do not fit it.
func (ks *keySpec) keys(args [][]byte, out []int) ([]int, bool) {
	start := 0
	switch {
	case ks.keyword != "":
		if ks.startFrom >= 0 {
			for i := ks.startFrom; i < len(args); i++ {
				if EqualFold(args[i], strings.ToLower(ks.keyword)) {
					start = i + 1
					break
				}
			}
		} else {
			for i := len(args) + ks.startFrom; i > 0; i-- {
				if EqualFold(args[i], strings.ToLower(ks.keyword)) {
					start = i + 1
					break
				}
			}
		}
		if start == 0 {
			return out, true // keyword absent: no keys from this spec
		}
	case ks.begin > 0:
		start = ks.begin
	default:
		return out, true
	}
	switch ks.find {
	case 'r':
		last := ks.a
		if last >= 0 {
			last += start
		} else {
			last += len(args)
		}
		step := max(ks.b, 1)
		for i := start; i <= last; i += step {
			if i >= len(args) {
				return out, false
			}
			out = append(out, i)
			if ks.c > 0 && len(out) >= ks.c {
				break
			}
		}
	case 'n':
		if start+ks.a >= len(args) {
			return out, false
		}
		n, ok := ds.ParseInt(args[start+ks.a])
		if !ok || n < 0 {
			return out, false
		}
		step := max(ks.c, 1)
		for i, j := int64(0), start+ks.b; i < n; i, j = i+1, j+step {
			if j >= len(args) {
				return out, false
			}
			out = append(out, j)
		}
	}
	return out, true
}

func commandCommand(c *Client) {
	cmds := c.srv.table.Sorted()
	c.ReplyArrayLen(len(cmds))
	for _, cmd := range cmds {
		c.replyCommandInfo(cmd)
	}
}

func commandCountCommand(c *Client) { c.ReplyInt(int64(c.srv.table.Len())) }

// allCommandNames lists every command and subcommand name, sorted.
func (s *Server) allCommandNames(keep func(*Command) bool) []string {
	var out []string
	for _, cmd := range s.table.Sorted() {
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
		if cmd := c.srv.table.Get(Lower(a)); cmd != nil {
			c.replyCommandInfo(cmd)
		} else {
			c.ReplyNull()
		}
	}
}

func commandDocsCommand(c *Client) {
	var cmds []*Command
	if len(c.Args) == 2 {
		cmds = c.srv.table.Sorted()
	} else {
		for _, a := range c.Args[2:] {
			if cmd := c.srv.table.Get(Lower(a)); cmd != nil {
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

// replyCommandDocs replies the documentation map of cmd as a flat array,
// its fields in the order Redis replies them.
func (c *Client) replyCommandDocs(cmd *Command) {
	args, err := ParseArgs(cmd.Args)
	if err != nil {
		args = nil
	}
	complexity := cmd.Complexity
	docFlags := strings.Fields(cmd.DocFlags)
	n := 3
	for _, has := range []bool{complexity != "", len(docFlags) > 0, cmd.DeprecatedSince != "",
		cmd.ReplacedBy != "", len(cmd.History) > 0, len(args) > 0, cmd.Sub != nil} {
		if has {
			n++
		}
	}
	c.ReplyArrayLen(2 * n)
	c.ReplyBulkString("summary")
	c.ReplyBulkString(cmd.Summary)
	c.ReplyBulkString("since")
	c.ReplyBulkString(cmd.Since)
	c.ReplyBulkString("group")
	c.ReplyBulkString(cmd.Group)
	c.replyOptField("complexity", complexity)
	if len(docFlags) > 0 {
		c.ReplyBulkString("doc_flags")
		c.ReplyArrayLen(len(docFlags))
		for _, f := range docFlags {
			c.ReplySimple(f)
		}
	}
	c.replyOptField("deprecated_since", cmd.DeprecatedSince)
	c.replyOptField("replaced_by", cmd.ReplacedBy)
	if len(cmd.History) > 0 {
		c.ReplyBulkString("history")
		c.ReplyArrayLen(len(cmd.History))
		for _, h := range cmd.History {
			c.ReplyStrings(h[0], h[1])
		}
	}
	if len(args) > 0 {
		c.ReplyBulkString("arguments")
		keys := 0
		c.replyDocArgs(args, &keys, len(cmd.KeySpecs))
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

// replyDocArgs replies args. A key argument's key_spec_index is the
// number of key arguments before it (*keys), capped at the command's last
// key specification (nspecs of them).
// replyOptField replies the field name and value, unless value is empty.
func (c *Client) replyOptField(name, value string) {
	if value != "" {
		c.ReplyBulkString(name)
		c.ReplyBulkString(value)
	}
}

func (c *Client) replyDocArgs(args []*DocArg, keys *int, nspecs int) {
	c.ReplyArrayLen(len(args))
	for _, a := range args {
		var flags []string
		if a.Optional {
			flags = append(flags, "optional")
		}
		if a.Multiple {
			flags = append(flags, "multiple")
		}
		n := 2
		for _, has := range []bool{a.Type == "key", a.Token != "", a.Since != "", a.DeprecatedSince != "",
			len(flags) > 0, len(a.Args) > 0} {
			if has {
				n++
			}
		}
		c.ReplyArrayLen(2 * n)
		c.ReplyBulkString("name")
		c.ReplyBulkString(a.Name)
		c.ReplyBulkString("type")
		c.ReplyBulkString(a.Type)
		if a.Type == "key" {
			c.ReplyBulkString("key_spec_index")
			c.ReplyInt(int64(max(min(*keys, nspecs-1), 0)))
			*keys++
		}
		c.replyOptField("token", a.Token)
		c.replyOptField("since", a.Since)
		c.replyOptField("deprecated_since", a.DeprecatedSince)
		if len(flags) > 0 {
			c.ReplyBulkString("flags")
			c.ReplyArrayLen(len(flags))
			for _, f := range flags {
				c.ReplySimple(f)
			}
		}
		if len(a.Args) > 0 {
			c.ReplyBulkString("arguments")
			c.replyDocArgs(a.Args, keys, nspecs)
		}
	}
}

// keyRef is one key found by COMMAND GETKEYS and the flags of its spec.
type keyRef struct {
	pos   int
	flags string
}

// getKeys resolves the command of COMMAND GETKEYS and finds its keys,
// replying the error and returning nil when it cannot.
func (c *Client) getKeys() []keyRef {
	args := c.Args[2:]
	cmd := c.srv.table.Lookup(args[0])
	if cmd != nil && cmd.Sub != nil && len(args) >= 2 {
		cmd = cmd.Sub[Lower(args[1])]
	}
	if cmd == nil {
		c.ReplyError("ERR Invalid command specified")
		return nil
	}
	specs := cmd.KeySpecs
	if len(specs) == 0 {
		c.ReplyError("ERR The command has no key arguments")
		return nil
	}
	if !arityOK(cmd.Arity, len(args)) {
		c.ReplyError("ERR Invalid number of arguments specified for command")
		return nil
	}
	var refs []keyRef
	var pos []int
	for i := range specs {
		var ok bool
		pos, ok = specs[i].keys(args, pos[:0])
		if !ok {
			c.ReplyError("ERR Invalid arguments specified for command")
			return nil
		}
		for _, p := range pos {
			refs = append(refs, keyRef{p, specs[i].flags})
		}
	}
	if len(refs) == 0 {
		c.ReplyError("ERR Invalid arguments specified for command")
		return nil
	}
	return refs
}

func commandGetKeysCommand(c *Client) {
	refs := c.getKeys()
	if refs == nil {
		return
	}
	c.ReplyArrayLen(len(refs))
	for _, r := range refs {
		c.ReplyBulk(c.Args[2+r.pos])
	}
}

func commandGetKeysAndFlagsCommand(c *Client) {
	refs := c.getKeys()
	if refs == nil {
		return
	}
	c.ReplyArrayLen(len(refs))
	for _, r := range refs {
		c.ReplyArrayLen(2)
		c.ReplyBulk(c.Args[2+r.pos])
		fl := strings.Fields(r.flags)
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
	Type            string
	Token           string // the literal word that introduces the argument, if any
	Since           string // the version that added the argument, if later than the command
	DeprecatedSince string
	Optional        bool
	Multiple        bool
	Args            []*DocArg // the alternatives of a oneof, the parts of a block
}

// ParseArgs parses a row's Args syntax into COMMAND DOCS arguments.
//
// Grammar:
//
//	seq   = alt { "|" alt }        alternatives; "|" binds loosest
//	alt   = { unit { attr } }
//	unit  = WORD | "[" seq "]" | "(" seq ")" | "..."
//	attr  = "=" NAME | "@" VERSION | "!" VERSION | ":" TYPE
//
// An UPPER-CASE word is a token (pure-token on its own, or the token of
// the argument, block or oneof that follows it); a lower-case word is an
// argument whose type is guessed from its name ("key", "seconds",
// "pattern"...) unless given as "name:type". "[...]" makes its content
// optional; "x [x ...]" and "a b [a b ...]" make x, or the block a b,
// multiple; "..." alone makes the unit before it multiple. Parentheses
// only group: "TYPE (NORMAL|MASTER)" is a oneof introduced by TYPE.
//
// A block or oneof is named after its parts joined by "_" ("key_value").
// Attributes written right after a unit set, on the argument it makes:
// "=name" its name, "@7.0.0" the version that added it, "!2.8.12" the
// version that deprecated it, and ":block" (after a group) that it is a
// block even when it holds a single argument. So
// "[NX|XX|GT|LT]=condition@7.0.0" is an optional oneof named condition,
// since 7.0.0.
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

// argDelims end a word or an attribute of the args syntax; attrSigils
// also end a word.
const (
	argDelims  = " \t[]()|"
	attrSigils = "=@!:"
)

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
			// A word may hold ':' ("ip:port", "increment:double"); an
			// attribute is its sigil up to the next delimiter or sigil.
			stop := argDelims + "=@!"
			if strings.IndexByte(attrSigils, ch) >= 0 {
				stop = argDelims + attrSigils
			}
			j := i + 1
			for j < len(s) && strings.IndexByte(stop, s[j]) < 0 && !strings.HasPrefix(s[j:], "...") {
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
			if strings.IndexByte(attrSigils, tok[0]) < 0 {
				*cur = append(*cur, wordArg(tok))
				continue
			}
			if len(*cur) == 0 {
				return nil, fmt.Errorf("command: attribute %q with nothing before it", tok)
			}
			last := &(*cur)[len(*cur)-1]
			if err := setAttr(last, tok); err != nil {
				return nil, err
			}
		}
	}
}

// setAttr applies one attribute ("=name", "@since", "!deprecated-since",
// ":block") to the argument *a.
func setAttr(a **DocArg, attr string) error {
	val := attr[1:]
	if val == "" {
		return fmt.Errorf("command: empty attribute %q in args syntax", attr)
	}
	switch attr[0] {
	case '=':
		(*a).Name = val
	case '@':
		(*a).Since = val
	case '!':
		(*a).DeprecatedSince = val
	case ':':
		if val != "block" {
			return fmt.Errorf("command: attribute %q: only a group's type can be given, as :block", attr)
		}
		if (*a).Type != "block" {
			*a = &DocArg{Name: (*a).Name, Type: "block", Args: []*DocArg{*a}}
		}
	}
	return nil
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
	return strings.Join(names, "_")
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
