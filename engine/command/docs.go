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
	register(func(t *Table) {
		const f = FlagLoading | FlagStale
		t.Add(
			&Command{Name: "command", Arity: -1, Flags: f, Group: "server", Since: "2.8.13",
				Summary: "Get array of Redis command details", Handler: commandCommand},
			&Command{Name: "command|count", Arity: 2, Flags: f, Since: "2.8.13",
				Summary: "Get total number of Redis commands", Handler: commandCountCommand},
			&Command{Name: "command|list", Arity: -2, Flags: f, Since: "7.0.0",
				Summary: "Get an array of Redis command names",
				Args:    "[FILTERBY (MODULE module-name|ACLCAT category|PATTERN pattern)]=filterby", Handler: commandListCommand},
			&Command{Name: "command|info", Arity: -2, Flags: f, Since: "2.8.13",
				Summary: "Get array of specific Redis command details, or all when no argument is given.",
				Args:    "[command-name [command-name ...]]", Handler: commandInfoCommand},
			&Command{Name: "command|docs", Arity: -2, Flags: f, Since: "7.0.0",
				Summary: "Get array of specific Redis command documentation",
				Args:    "[command-name [command-name ...]]", Handler: commandDocsCommand},
			&Command{Name: "command|getkeys", Arity: -4, Flags: f, Since: "2.8.13",
				Summary: "Extract keys given a full Redis command", Handler: commandGetKeysCommand},
			&Command{Name: "command|getkeysandflags", Arity: -4, Flags: f, Since: "7.0.0",
				Summary: "Extract keys and access flags given a full Redis command",
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
	meta, hasMeta := commandMeta[cmd.Name]
	movable := hasMeta && meta.movableKeys()
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
	c.ReplyInt(int64(cmd.FirstKey))
	c.ReplyInt(int64(cmd.LastKey))
	c.ReplyInt(int64(cmd.Step))
	var cats, tips []string
	if hasMeta {
		cats = strings.Fields(meta.acl)
		tips = strings.Fields(meta.tips)
	} else {
		cats = aclCategories(cmd)
	}
	c.ReplyArrayLen(len(cats))
	for _, x := range cats {
		c.ReplySimple(x)
	}
	c.ReplyStrings(tips...)
	specs := cmdKeySpecs(cmd)
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

// cmdKeySpecs returns the key specifications of cmd: Redis's, for the
// commands it has, else one derived from the row's key positions.
func cmdKeySpecs(cmd *Command) []keySpec {
	if meta, ok := commandMeta[cmd.Name]; ok {
		return meta.specs
	}
	if cmd.FirstKey <= 0 {
		return nil
	}
	last := cmd.LastKey
	if last >= 0 {
		last -= cmd.FirstKey
	}
	step := cmd.Step
	if step <= 0 {
		step = 1
	}
	return []keySpec{{flags: keySpecFlags(cmd), begin: cmd.FirstKey, find: 'r', a: last, b: step}}
}

// keySpecFlags are the access flags derived from a row's flags.
func keySpecFlags(cmd *Command) string {
	switch {
	case cmd.Flags&FlagWrite != 0:
		return "RW update"
	case cmd.Flags&FlagReadOnly != 0:
		return "RO access"
	}
	return "RW access"
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
	complexity := commandMeta[cmd.Name].complexity
	doc := commandDocMeta[cmd.Name]
	docFlags := strings.Fields(doc.flags)
	n := 3
	for _, has := range []bool{complexity != "", len(docFlags) > 0, doc.deprecatedSince != "",
		doc.replacedBy != "", len(doc.history) > 0, len(args) > 0, cmd.Sub != nil} {
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
	c.replyOptField("deprecated_since", doc.deprecatedSince)
	c.replyOptField("replaced_by", doc.replacedBy)
	if len(doc.history) > 0 {
		c.ReplyBulkString("history")
		c.ReplyArrayLen(len(doc.history))
		for _, h := range doc.history {
			c.ReplyStrings(h[0], h[1])
		}
	}
	if len(args) > 0 {
		c.ReplyBulkString("arguments")
		keys := 0
		c.replyDocArgs(args, &keys, len(cmdKeySpecs(cmd)))
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
	specs := cmdKeySpecs(cmd)
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

// docMeta is what COMMAND DOCS tells of a command beyond its row and the
// complexity in commandMeta, as Redis 7.0 replies it: doc flags
// (space-separated: deprecated, syscmd), the version that deprecated the
// command and what replaces it, and the history of its changes as
// {version, change} pairs, oldest first.
type docMeta struct {
	flags           string
	deprecatedSince string
	replacedBy      string
	history         [][2]string
}

// flushHistory is FLUSHALL's and FLUSHDB's.
var flushHistory = [][2]string{
	{"4.0.0", "Added the `ASYNC` flushing mode modifier."},
	{"6.2.0", "Added the `SYNC` flushing mode modifier."},
}

var commandDocMeta = map[string]docMeta{
	"auth": {history: [][2]string{{"6.0.0", "Added ACL style (username and password)."}}},
	"client|kill": {history: [][2]string{
		{"2.8.12", "Added new filter format."},
		{"2.8.12", "`ID` option."},
		{"3.2.0", "Added `master` type in for `TYPE` option."},
		{"5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."},
		{"6.2.0", "`LADDR` option."},
	}},
	"client|pause": {history: [][2]string{{"6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."}}},
	"client|list": {history: [][2]string{
		{"2.8.12", "Added unique client `id` field."},
		{"5.0.0", "Added optional `TYPE` filter."},
		{"6.0.0", "Added `user` field."},
		{"6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."},
		{"7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."},
		{"7.0.3", "Added `ssub` field."},
	}},
	"command|info": {history: [][2]string{{"7.0.0", "Allowed to be called with no argument to get info on all commands."}}},
	"config|get":   {history: [][2]string{{"7.0.0", "Added the ability to pass multiple pattern parameters in one call"}}},
	"config|set":   {history: [][2]string{{"7.0.0", "Added the ability to set multiple parameters in one call."}}},
	"debug":        {flags: "syscmd"},
	"exists":       {history: [][2]string{{"3.0.3", "Accepts multiple `key` arguments."}}},
	"expire":       {history: [][2]string{{"7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."}}},
	"expireat":     {history: [][2]string{{"7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."}}},
	"flushall":     {history: flushHistory},
	"flushdb":      {history: flushHistory},
	"getset":       {flags: "deprecated", deprecatedSince: "6.2.0", replacedBy: "`SET` with the `!GET` argument"},
	"hello": {history: [][2]string{{"6.2.0",
		"`protover` made optional; when called without arguments the command reports the current connection's context."}}},
	"info":      {history: [][2]string{{"7.0.0", "Added support for taking multiple section arguments."}}},
	"pexpire":   {history: [][2]string{{"7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."}}},
	"pexpireat": {history: [][2]string{{"7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."}}},
	"pttl":      {history: [][2]string{{"2.8.0", "Added the -2 reply."}}},
	"renamenx":  {history: [][2]string{{"3.2.0", "The command no longer returns an error when source and destination names are the same."}}},
	"scan":      {history: [][2]string{{"6.0.0", "Added the `TYPE` subcommand."}}},
	"set": {history: [][2]string{
		{"2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."},
		{"6.0.0", "Added the `KEEPTTL` option."},
		{"6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."},
		{"7.0.0", "Allowed the `NX` and `GET` options to be used together."},
	}},
	"shutdown": {history: [][2]string{{"7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."}}},
	"substr":   {flags: "deprecated", deprecatedSince: "2.0.0", replacedBy: "`GETRANGE`"},
	"ttl":      {history: [][2]string{{"2.8.0", "Added the -2 reply."}}},
}

// cmdMeta is command metadata rows do not carry, as Redis 7.0 reports it
// for the commands rundb has or may have: ACL categories, tips, key
// specifications and the complexity line of COMMAND DOCS. Lists are
// space-separated.
type cmdMeta struct {
	acl        string
	tips       string
	complexity string
	specs      []keySpec
}

// keySpec is one key specification. begin_search is an index (begin > 0),
// a keyword search (keyword, startFrom), or unknown (neither). find_keys is
// 'r' (range: a=lastkey b=keystep c=limit), 'n' (keynum: a=keynumidx
// b=firstkey c=keystep) or 'u' (unknown).
type keySpec struct {
	flags     string
	notes     string
	begin     int
	keyword   string
	startFrom int
	find      byte
	a, b, c   int
}

// movableKeys reports whether the key positions cannot be described by
// first/last/step alone.
func (m cmdMeta) movableKeys() bool {
	for _, ks := range m.specs {
		if ks.keyword != "" || ks.begin <= 0 || ks.find != 'r' {
			return true
		}
	}
	return false
}

var commandMeta = map[string]cmdMeta{
	"acl":                     {acl: "@slow", complexity: "Depends on subcommand."},
	"acl|cat":                 {acl: "@slow", complexity: "O(1) since the categories and commands are a fixed set."},
	"acl|deluser":             {acl: "@admin @slow @dangerous", complexity: "O(1) amortized time considering the typical user."},
	"acl|dryrun":              {acl: "@admin @slow @dangerous", complexity: "O(1)."},
	"acl|genpass":             {acl: "@slow", complexity: "O(1)"},
	"acl|getuser":             {acl: "@admin @slow @dangerous", complexity: "O(N). Where N is the number of password, command and pattern rules that the user has."},
	"acl|help":                {acl: "@slow", complexity: "O(1)"},
	"acl|list":                {acl: "@admin @slow @dangerous", complexity: "O(N). Where N is the number of configured users."},
	"acl|load":                {acl: "@admin @slow @dangerous", complexity: "O(N). Where N is the number of configured users."},
	"acl|log":                 {acl: "@admin @slow @dangerous", complexity: "O(N) with N being the number of entries shown."},
	"acl|save":                {acl: "@admin @slow @dangerous", complexity: "O(N). Where N is the number of configured users."},
	"acl|setuser":             {acl: "@admin @slow @dangerous", complexity: "O(N). Where N is the number of rules provided."},
	"acl|users":               {acl: "@admin @slow @dangerous", complexity: "O(N). Where N is the number of configured users."},
	"acl|whoami":              {acl: "@slow", complexity: "O(1)"},
	"append":                  {acl: "@write @string @fast", complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", specs: []keySpec{{flags: "RW insert", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"auth":                    {acl: "@fast @connection", complexity: "O(N) where N is the number of passwords defined for the user"},
	"bgrewriteaof":            {acl: "@admin @slow @dangerous", complexity: "O(1)"},
	"bgsave":                  {acl: "@admin @slow @dangerous", complexity: "O(1)"},
	"blmove":                  {acl: "@write @list @slow @blocking", complexity: "O(1)", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "RW insert", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"blmpop":                  {acl: "@write @list @slow @blocking", complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.", specs: []keySpec{{flags: "RW access delete", begin: 2, find: 'n', a: 0, b: 1, c: 1}}},
	"blpop":                   {acl: "@write @list @slow @blocking", complexity: "O(N) where N is the number of provided keys.", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: -2, b: 1, c: 0}}},
	"brpop":                   {acl: "@write @list @slow @blocking", complexity: "O(N) where N is the number of provided keys.", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: -2, b: 1, c: 0}}},
	"brpoplpush":              {acl: "@write @list @slow @blocking", complexity: "O(1)", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "RW insert", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"client":                  {acl: "@slow", complexity: "Depends on subcommand."},
	"client|caching":          {acl: "@slow @connection", complexity: "O(1)"},
	"client|getname":          {acl: "@slow @connection", complexity: "O(1)"},
	"client|getredir":         {acl: "@slow @connection", complexity: "O(1)"},
	"client|help":             {acl: "@slow @connection", complexity: "O(1)"},
	"client|id":               {acl: "@slow @connection", complexity: "O(1)"},
	"client|info":             {acl: "@slow @connection", tips: "nondeterministic_output", complexity: "O(1)"},
	"client|kill":             {acl: "@admin @slow @dangerous @connection", complexity: "O(N) where N is the number of client connections"},
	"client|list":             {acl: "@admin @slow @dangerous @connection", tips: "nondeterministic_output", complexity: "O(N) where N is the number of client connections"},
	"client|no-evict":         {acl: "@admin @slow @dangerous @connection", complexity: "O(1)"},
	"client|pause":            {acl: "@admin @slow @dangerous @connection", complexity: "O(1)"},
	"client|reply":            {acl: "@slow @connection", complexity: "O(1)"},
	"client|setname":          {acl: "@slow @connection", complexity: "O(1)"},
	"client|tracking":         {acl: "@slow @connection", complexity: "O(1). Some options may introduce additional complexity."},
	"client|trackinginfo":     {acl: "@slow @connection", complexity: "O(1)"},
	"client|unblock":          {acl: "@admin @slow @dangerous @connection", complexity: "O(log N) where N is the number of client connections"},
	"client|unpause":          {acl: "@admin @slow @dangerous @connection", complexity: "O(N) Where N is the number of paused clients"},
	"command":                 {acl: "@slow @connection", tips: "nondeterministic_output_order", complexity: "O(N) where N is the total number of Redis commands"},
	"command|count":           {acl: "@slow @connection", complexity: "O(1)"},
	"command|docs":            {acl: "@slow @connection", tips: "nondeterministic_output_order", complexity: "O(N) where N is the number of commands to look up"},
	"command|getkeys":         {acl: "@slow @connection", complexity: "O(N) where N is the number of arguments to the command"},
	"command|getkeysandflags": {acl: "@slow @connection", complexity: "O(N) where N is the number of arguments to the command"},
	"command|help":            {acl: "@slow @connection", complexity: "O(1)"},
	"command|info":            {acl: "@slow @connection", tips: "nondeterministic_output_order", complexity: "O(N) where N is the number of commands to look up"},
	"command|list":            {acl: "@slow @connection", tips: "nondeterministic_output_order", complexity: "O(N) where N is the total number of Redis commands"},
	"config":                  {acl: "@slow", complexity: "Depends on subcommand."},
	"config|get":              {acl: "@admin @slow @dangerous", complexity: "O(N) when N is the number of configuration parameters provided"},
	"config|help":             {acl: "@slow", complexity: "O(1)"},
	"config|resetstat":        {acl: "@admin @slow @dangerous", complexity: "O(1)"},
	"config|rewrite":          {acl: "@admin @slow @dangerous", complexity: "O(1)"},
	"config|set":              {acl: "@admin @slow @dangerous", tips: "request_policy:all_nodes response_policy:all_succeeded", complexity: "O(N) when N is the number of configuration parameters provided"},
	"copy":                    {acl: "@keyspace @write @slow", complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "OW update", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"dbsize":                  {acl: "@keyspace @read @fast", tips: "request_policy:all_shards response_policy:agg_sum", complexity: "O(1)"},
	"debug":                   {acl: "@admin @slow @dangerous", complexity: "Depends on subcommand."},
	"decr":                    {acl: "@write @string @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW access update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"decrby":                  {acl: "@write @string @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW access update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"del":                     {acl: "@keyspace @write @slow", tips: "request_policy:multi_shard response_policy:agg_sum", complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", specs: []keySpec{{flags: "RM delete", begin: 1, find: 'r', a: -1, b: 1, c: 0}}},
	"discard":                 {acl: "@fast @transaction", complexity: "O(N), when N is the number of queued commands"},
	"dump":                    {acl: "@keyspace @read @slow", tips: "nondeterministic_output", complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"echo":                    {acl: "@fast @connection", complexity: "O(1)"},
	"exec":                    {acl: "@slow @transaction", complexity: "Depends on commands in the transaction"},
	"exists":                  {acl: "@keyspace @read @fast", tips: "request_policy:multi_shard response_policy:agg_sum", complexity: "O(N) where N is the number of keys to check.", specs: []keySpec{{flags: "RO", begin: 1, find: 'r', a: -1, b: 1, c: 0}}},
	"expire":                  {acl: "@keyspace @write @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"expireat":                {acl: "@keyspace @write @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"expiretime":              {acl: "@keyspace @read @fast", complexity: "O(1)", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"failover":                {acl: "@admin @slow @dangerous", complexity: "O(1)"},
	"flushall":                {acl: "@keyspace @write @slow @dangerous", tips: "request_policy:all_shards response_policy:all_succeeded", complexity: "O(N) where N is the total number of keys in all databases"},
	"flushdb":                 {acl: "@keyspace @write @slow @dangerous", tips: "request_policy:all_shards response_policy:all_succeeded", complexity: "O(N) where N is the number of keys in the selected database"},
	"get":                     {acl: "@read @string @fast", complexity: "O(1)", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"getdel":                  {acl: "@write @string @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"getex":                   {acl: "@write @string @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW access update", notes: "RW and UPDATE because it changes the TTL", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"getrange":                {acl: "@read @string @slow", complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"getset":                  {acl: "@write @string @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW access update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"hello":                   {acl: "@fast @connection", complexity: "O(1)"},
	"incr":                    {acl: "@write @string @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW access update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"incrby":                  {acl: "@write @string @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW access update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"incrbyfloat":             {acl: "@write @string @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW access update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"info":                    {acl: "@slow @dangerous", tips: "nondeterministic_output request_policy:all_shards response_policy:special", complexity: "O(1)"},
	"keys":                    {acl: "@keyspace @read @slow @dangerous", tips: "request_policy:all_shards nondeterministic_output_order", complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length."},
	"lastsave":                {acl: "@admin @fast @dangerous", tips: "nondeterministic_output", complexity: "O(1)"},
	"latency":                 {acl: "@slow", complexity: "Depends on subcommand."},
	"latency|doctor":          {acl: "@admin @slow @dangerous", tips: "nondeterministic_output request_policy:all_nodes response_policy:special", complexity: "O(1)"},
	"latency|graph":           {acl: "@admin @slow @dangerous", tips: "nondeterministic_output request_policy:all_nodes response_policy:special", complexity: "O(1)"},
	"latency|help":            {acl: "@slow", complexity: "O(1)"},
	"latency|histogram":       {acl: "@admin @slow @dangerous", tips: "nondeterministic_output request_policy:all_nodes response_policy:special", complexity: "O(N) where N is the number of commands with latency information being retrieved."},
	"latency|history":         {acl: "@admin @slow @dangerous", tips: "nondeterministic_output request_policy:all_nodes response_policy:special", complexity: "O(1)"},
	"latency|latest":          {acl: "@admin @slow @dangerous", tips: "nondeterministic_output request_policy:all_nodes response_policy:special", complexity: "O(1)"},
	"latency|reset":           {acl: "@admin @slow @dangerous", tips: "request_policy:all_nodes response_policy:all_succeeded", complexity: "O(1)"},
	"lcs":                     {acl: "@read @string @slow", complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 1, b: 1, c: 0}}},
	"lindex":                  {acl: "@read @list @slow", complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"linsert":                 {acl: "@write @list @slow", complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", specs: []keySpec{{flags: "RW insert", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"llen":                    {acl: "@read @list @fast", complexity: "O(1)", specs: []keySpec{{flags: "RO", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"lmove":                   {acl: "@write @list @slow", complexity: "O(1)", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "RW insert", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"lmpop":                   {acl: "@write @list @slow", complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'n', a: 0, b: 1, c: 1}}},
	"lolwut":                  {acl: "@read @fast"},
	"lpop":                    {acl: "@write @list @fast", complexity: "O(N) where N is the number of elements returned", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"lpos":                    {acl: "@read @list @slow", complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"lpush":                   {acl: "@write @list @fast", complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", specs: []keySpec{{flags: "RW insert", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"lpushx":                  {acl: "@write @list @fast", complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", specs: []keySpec{{flags: "RW insert", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"lrange":                  {acl: "@read @list @slow", complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"lrem":                    {acl: "@write @list @slow", complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.", specs: []keySpec{{flags: "RW delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"lset":                    {acl: "@write @list @slow", complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", specs: []keySpec{{flags: "RW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"ltrim":                   {acl: "@write @list @slow", complexity: "O(N) where N is the number of elements to be removed by the operation.", specs: []keySpec{{flags: "RW delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"memory":                  {acl: "@slow", complexity: "Depends on subcommand."},
	"memory|doctor":           {acl: "@slow", tips: "nondeterministic_output request_policy:all_shards response_policy:special", complexity: "O(1)"},
	"memory|help":             {acl: "@slow", complexity: "O(1)"},
	"memory|malloc-stats":     {acl: "@slow", tips: "nondeterministic_output request_policy:all_shards response_policy:special", complexity: "Depends on how much memory is allocated, could be slow"},
	"memory|purge":            {acl: "@slow", tips: "request_policy:all_shards response_policy:all_succeeded", complexity: "Depends on how much memory is allocated, could be slow"},
	"memory|stats":            {acl: "@slow", tips: "nondeterministic_output request_policy:all_shards response_policy:special", complexity: "O(1)"},
	"memory|usage":            {acl: "@read @slow", complexity: "O(N) where N is the number of samples.", specs: []keySpec{{flags: "RO", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"mget":                    {acl: "@read @string @fast", tips: "request_policy:multi_shard", complexity: "O(N) where N is the number of keys to retrieve.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: -1, b: 1, c: 0}}},
	"migrate":                 {acl: "@keyspace @write @slow @dangerous", tips: "nondeterministic_output", complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.", specs: []keySpec{{flags: "RW access delete", begin: 3, find: 'r', a: 0, b: 1, c: 0}, {flags: "RW access delete incomplete", keyword: "KEYS", startFrom: -2, find: 'r', a: -1, b: 1, c: 0}}},
	"module":                  {acl: "@slow", complexity: "Depends on subcommand."},
	"module|help":             {acl: "@slow", complexity: "O(1)"},
	"module|list":             {acl: "@admin @slow @dangerous", tips: "nondeterministic_output_order", complexity: "O(N) where N is the number of loaded modules."},
	"module|load":             {acl: "@admin @slow @dangerous", complexity: "O(1)"},
	"module|loadex":           {acl: "@admin @slow @dangerous", complexity: "O(1)"},
	"module|unload":           {acl: "@admin @slow @dangerous", complexity: "O(1)"},
	"monitor":                 {acl: "@admin @slow @dangerous"},
	"move":                    {acl: "@keyspace @write @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW access update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"mset":                    {acl: "@write @string @slow", tips: "request_policy:multi_shard response_policy:all_succeeded", complexity: "O(N) where N is the number of keys to set.", specs: []keySpec{{flags: "OW update", begin: 1, find: 'r', a: -1, b: 2, c: 0}}},
	"msetnx":                  {acl: "@write @string @slow", tips: "request_policy:multi_shard response_policy:agg_min", complexity: "O(N) where N is the number of keys to set.", specs: []keySpec{{flags: "OW insert", begin: 1, find: 'r', a: -1, b: 2, c: 0}}},
	"multi":                   {acl: "@fast @transaction", complexity: "O(1)"},
	"object":                  {acl: "@slow", complexity: "Depends on subcommand."},
	"object|encoding":         {acl: "@keyspace @read @slow", tips: "nondeterministic_output", complexity: "O(1)", specs: []keySpec{{flags: "RO", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"object|freq":             {acl: "@keyspace @read @slow", tips: "nondeterministic_output", complexity: "O(1)", specs: []keySpec{{flags: "RO", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"object|help":             {acl: "@keyspace @slow", complexity: "O(1)"},
	"object|idletime":         {acl: "@keyspace @read @slow", tips: "nondeterministic_output", complexity: "O(1)", specs: []keySpec{{flags: "RO", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"object|refcount":         {acl: "@keyspace @read @slow", tips: "nondeterministic_output", complexity: "O(1)", specs: []keySpec{{flags: "RO", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"persist":                 {acl: "@keyspace @write @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"pexpire":                 {acl: "@keyspace @write @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"pexpireat":               {acl: "@keyspace @write @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"pexpiretime":             {acl: "@keyspace @read @fast", complexity: "O(1)", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"ping":                    {acl: "@fast @connection", tips: "request_policy:all_shards response_policy:all_succeeded", complexity: "O(1)"},
	"psetex":                  {acl: "@write @string @slow", complexity: "O(1)", specs: []keySpec{{flags: "OW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"psync":                   {acl: "@admin @slow @dangerous"},
	"pttl":                    {acl: "@keyspace @read @fast", tips: "nondeterministic_output", complexity: "O(1)", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"quit":                    {acl: "@fast @connection", complexity: "O(1)"},
	"randomkey":               {acl: "@keyspace @read @slow", tips: "request_policy:all_shards nondeterministic_output", complexity: "O(1)"},
	"rename":                  {acl: "@keyspace @write @slow", complexity: "O(1)", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "OW update", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"renamenx":                {acl: "@keyspace @write @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "OW insert", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"replconf":                {acl: "@admin @slow @dangerous", complexity: "O(1)"},
	"replicaof":               {acl: "@admin @slow @dangerous", complexity: "O(1)"},
	"reset":                   {acl: "@fast @connection", complexity: "O(1)"},
	"restore":                 {acl: "@keyspace @write @slow @dangerous", complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", specs: []keySpec{{flags: "OW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"restore-asking":          {acl: "@keyspace @write @slow @dangerous", complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", specs: []keySpec{{flags: "OW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"role":                    {acl: "@admin @fast @dangerous", complexity: "O(1)"},
	"rpop":                    {acl: "@write @list @fast", complexity: "O(N) where N is the number of elements returned", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"rpoplpush":               {acl: "@write @list @slow", complexity: "O(1)", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "RW insert", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"rpush":                   {acl: "@write @list @fast", complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", specs: []keySpec{{flags: "RW insert", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"rpushx":                  {acl: "@write @list @fast", complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", specs: []keySpec{{flags: "RW insert", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"sadd":                    {acl: "@write @set @fast", complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", specs: []keySpec{{flags: "RW insert", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"save":                    {acl: "@admin @slow @dangerous", complexity: "O(N) where N is the total number of keys in all databases"},
	"scan":                    {acl: "@keyspace @read @slow", tips: "nondeterministic_output request_policy:special", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."},
	"scard":                   {acl: "@read @set @fast", complexity: "O(1)", specs: []keySpec{{flags: "RO", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"sdiff":                   {acl: "@read @set @slow", tips: "nondeterministic_output_order", complexity: "O(N) where N is the total number of elements in all given sets.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: -1, b: 1, c: 0}}},
	"sdiffstore":              {acl: "@write @set @slow", complexity: "O(N) where N is the total number of elements in all given sets.", specs: []keySpec{{flags: "OW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "RO access", begin: 2, find: 'r', a: -1, b: 1, c: 0}}},
	"select":                  {acl: "@fast @connection", complexity: "O(1)"},
	"set":                     {acl: "@write @string @slow", complexity: "O(1)", specs: []keySpec{{flags: "RW access update variable_flags", notes: "RW and ACCESS due to the optional `GET` argument", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"setex":                   {acl: "@write @string @slow", complexity: "O(1)", specs: []keySpec{{flags: "OW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"setnx":                   {acl: "@write @string @fast", complexity: "O(1)", specs: []keySpec{{flags: "OW insert", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"setrange":                {acl: "@write @string @slow", complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", specs: []keySpec{{flags: "RW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"shutdown":                {acl: "@admin @slow @dangerous", complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)"},
	"sinter":                  {acl: "@read @set @slow", tips: "nondeterministic_output_order", complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: -1, b: 1, c: 0}}},
	"sintercard":              {acl: "@read @set @slow", complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'n', a: 0, b: 1, c: 1}}},
	"sinterstore":             {acl: "@write @set @slow", complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", specs: []keySpec{{flags: "RW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "RO access", begin: 2, find: 'r', a: -1, b: 1, c: 0}}},
	"sismember":               {acl: "@read @set @fast", complexity: "O(1)", specs: []keySpec{{flags: "RO", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"slaveof":                 {acl: "@admin @slow @dangerous", complexity: "O(1)"},
	"slowlog":                 {acl: "@slow", complexity: "Depends on subcommand."},
	"slowlog|get":             {acl: "@admin @slow @dangerous", tips: "request_policy:all_nodes nondeterministic_output", complexity: "O(N) where N is the number of entries returned"},
	"slowlog|help":            {acl: "@slow", complexity: "O(1)"},
	"slowlog|len":             {acl: "@admin @slow @dangerous", tips: "request_policy:all_nodes response_policy:agg_sum nondeterministic_output", complexity: "O(1)"},
	"slowlog|reset":           {acl: "@admin @slow @dangerous", tips: "request_policy:all_nodes response_policy:all_succeeded", complexity: "O(N) where N is the number of entries in the slowlog"},
	"smembers":                {acl: "@read @set @slow", tips: "nondeterministic_output_order", complexity: "O(N) where N is the set cardinality.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"smismember":              {acl: "@read @set @fast", complexity: "O(N) where N is the number of elements being checked for membership", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"smove":                   {acl: "@write @set @fast", complexity: "O(1)", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "RW insert", begin: 2, find: 'r', a: 0, b: 1, c: 0}}},
	"sort":                    {acl: "@write @set @sortedset @list @slow @dangerous", complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "RO access", notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", find: 'u'}, {flags: "OW update", notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array", find: 'u'}}},
	"sort_ro":                 {acl: "@read @set @sortedset @list @slow @dangerous", complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "RO access", notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", find: 'u'}}},
	"spop":                    {acl: "@write @set @fast", tips: "nondeterministic_output", complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", specs: []keySpec{{flags: "RW access delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"srandmember":             {acl: "@read @set @slow", tips: "nondeterministic_output", complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"srem":                    {acl: "@write @set @fast", complexity: "O(N) where N is the number of members to be removed.", specs: []keySpec{{flags: "RW delete", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"sscan":                   {acl: "@read @set @slow", tips: "nondeterministic_output", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"strlen":                  {acl: "@read @string @fast", complexity: "O(1)", specs: []keySpec{{flags: "RO", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"substr":                  {acl: "@read @string @slow", complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"sunion":                  {acl: "@read @set @slow", tips: "nondeterministic_output_order", complexity: "O(N) where N is the total number of elements in all given sets.", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: -1, b: 1, c: 0}}},
	"sunionstore":             {acl: "@write @set @slow", complexity: "O(N) where N is the total number of elements in all given sets.", specs: []keySpec{{flags: "OW update", begin: 1, find: 'r', a: 0, b: 1, c: 0}, {flags: "RO access", begin: 2, find: 'r', a: -1, b: 1, c: 0}}},
	"swapdb":                  {acl: "@keyspace @write @fast @dangerous", complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases."},
	"sync":                    {acl: "@admin @slow @dangerous"},
	"time":                    {acl: "@fast", tips: "nondeterministic_output", complexity: "O(1)"},
	"touch":                   {acl: "@keyspace @read @fast", tips: "request_policy:multi_shard response_policy:agg_sum", complexity: "O(N) where N is the number of keys that will be touched.", specs: []keySpec{{flags: "RO", begin: 1, find: 'r', a: -1, b: 1, c: 0}}},
	"ttl":                     {acl: "@keyspace @read @fast", tips: "nondeterministic_output", complexity: "O(1)", specs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"type":                    {acl: "@keyspace @read @fast", complexity: "O(1)", specs: []keySpec{{flags: "RO", begin: 1, find: 'r', a: 0, b: 1, c: 0}}},
	"unlink":                  {acl: "@keyspace @write @fast", tips: "request_policy:multi_shard response_policy:agg_sum", complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", specs: []keySpec{{flags: "RM delete", begin: 1, find: 'r', a: -1, b: 1, c: 0}}},
	"unwatch":                 {acl: "@fast @transaction", complexity: "O(1)"},
	"wait":                    {acl: "@slow @connection", tips: "request_policy:all_shards response_policy:agg_min", complexity: "O(1)"},
	"watch":                   {acl: "@fast @transaction", complexity: "O(1) for every key.", specs: []keySpec{{flags: "RO", begin: 1, find: 'r', a: -1, b: 1, c: 0}}},
}
