package command

import (
	"fmt"
	"strings"
	"testing"
)

// docString renders parsed arguments compactly for comparison:
// name:type[token]{flags}(children).
func docString(args []*DocArg) string {
	var parts []string
	for _, a := range args {
		s := a.Name + ":" + a.Type
		if a.Token != "" {
			s += "[" + a.Token + "]"
		}
		if a.Since != "" {
			s += "@" + a.Since
		}
		if a.DeprecatedSince != "" {
			s += "!" + a.DeprecatedSince
		}
		if a.Optional {
			s += "?"
		}
		if a.Multiple {
			s += "*"
		}
		if len(a.Args) > 0 {
			s += "(" + docString(a.Args) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestParseArgs(t *testing.T) {
	tests := []struct{ syntax, want string }{
		{"", ""},
		{"key", "key:key"},
		{"[message]", "message:string?"},
		{"key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]",
			"key:key value:string nx_xx:oneof?(nx:pure-token[NX] xx:pure-token[XX]) get:pure-token[GET]? " +
				"seconds_milliseconds_unix-time-seconds_unix-time-milliseconds_keepttl:oneof?(seconds:integer[EX] " +
				"milliseconds:integer[PX] unix-time-seconds:unix-time[EXAT] unix-time-milliseconds:unix-time[PXAT] keepttl:pure-token[KEEPTTL])"},
		{"key [key ...]", "key:key*"},
		{"[key [key ...]]", "key:key?*"},
		{"key value [key value ...]", "key_value:block*(key:key value:string)"},
		{"cursor [MATCH pattern] [COUNT count] [TYPE type]",
			"cursor:integer pattern:pattern[MATCH]? count:integer[COUNT]? type:string[TYPE]?"},
		{"[LIMIT offset count]", "offset_count:block[LIMIT]?(offset:integer count:integer)"},
		{"[FILTERBY (MODULE module-name|ACLCAT category|PATTERN pattern)]",
			"module-name_category_pattern:oneof[FILTERBY]?(module-name:string[MODULE] category:string[ACLCAT] pattern:pattern[PATTERN])"},
		{"[TYPE (NORMAL|MASTER)] [ID client-id [client-id ...]]",
			"normal_master:oneof[TYPE]?(normal:pure-token[NORMAL] master:pure-token[MASTER]) client-id:integer[ID]?*"},
		{"increment:double", "increment:double"},
		{"key ...", "key:key*"},
		{"ON|OFF", "on_off:oneof(on:pure-token[ON] off:pure-token[OFF])"},
		// Attributes: =name, @since, !deprecated-since, :block.
		{"(ON|OFF)=enabled", "enabled:oneof(on:pure-token[ON] off:pure-token[OFF])"},
		{"key seconds [NX|XX|GT|LT]=condition@7.0.0",
			"key:key seconds:integer condition:oneof@7.0.0?(nx:pure-token[NX] xx:pure-token[XX] gt:pure-token[GT] lt:pure-token[LT])"},
		{"[GET]@6.2.0 [EX seconds@2.6.12|KEEPTTL@6.0.0]=expiration",
			"get:pure-token[GET]@6.2.0? expiration:oneof?(seconds:integer[EX]@2.6.12 keepttl:pure-token[KEEPTTL]@6.0.0)"},
		{"[FILTERBY (MODULE module-name|ACLCAT category)]=filterby",
			"filterby:oneof[FILTERBY]?(module-name:string[MODULE] category:string[ACLCAT])"},
		{"[ID (client-id [client-id ...]):block]=id@6.2.0", "id:block[ID]@6.2.0?(client-id:integer*)"},
		{"(parameter):block...", "parameter:block*(parameter:string)"},
		{"increment:double@2.6.0", "increment:double@2.6.0"},
		{"(ip:port!2.8.12|([ID client-id]|[SKIPME yes/no])=new-format...)=filter",
			"filter:oneof(ip:port:string!2.8.12 new-format:oneof*(client-id:integer[ID]? yes/no:string[SKIPME]?))"},
		{"[AUTH username password]", "username_password:block[AUTH]?(username:string password:string)"},
	}
	for _, tt := range tests {
		args, err := ParseArgs(tt.syntax)
		if err != nil {
			t.Errorf("ParseArgs(%q): %v", tt.syntax, err)
			continue
		}
		if got := docString(args); got != tt.want {
			t.Errorf("ParseArgs(%q):\n got %s\nwant %s", tt.syntax, got, tt.want)
		}
	}
	for _, bad := range []string{"[key", "key]", "(a", "... key", "a ] b", "=name", "key@", "(key):double", "[x]="} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q) accepted", bad)
		}
	}
}

// Every registered row's Args must parse.
func TestAllArgsParse(t *testing.T) {
	s, _ := testServer(nil)
	for _, cmd := range s.table.Sorted() {
		for _, c := range append([]*Command{cmd}, cmd.SortedSubs()...) {
			if _, err := ParseArgs(c.Args); err != nil {
				t.Errorf("%s: %v", c.Name, err)
			}
		}
	}
}

func TestCommandInfoDocs(t *testing.T) {
	s, c := testServer(nil)
	s.table.Add(&Command{Spec: &Spec{Name: "testget", Arity: 2, Flags: FlagReadOnly | FlagFast,
		Group: "string", Since: "1.0.0", Summary: "Get the value of a key", Args: "key", ACL: "@read @string @fast",
		KeySpecs: []keySpec{{flags: "RO access", begin: 1, find: 'r', a: 0, b: 1}}}, Handler: func(c *Client) {}})
	s.table.Add(&Command{Spec: &Spec{Name: "testmset", Arity: -3, Flags: FlagWrite | FlagDenyOOM,
		Group: "string", Args: "key value [key value ...]", ACL: "@write @string @slow",
		KeySpecs: []keySpec{{flags: "RW update", begin: 1, find: 'r', a: -1, b: 2}}}, Handler: func(c *Client) {}})
	keySpec := func(flags string, first, last, step int) string {
		return fmt.Sprintf("*1\r\n*6\r\n$5\r\nflags\r\n%s$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"+
			"*2\r\n$5\r\nindex\r\n:%d\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n"+
			"$7\r\nlastkey\r\n:%d\r\n$7\r\nkeystep\r\n:%d\r\n$5\r\nlimit\r\n:0\r\n", flags, first, last, step)
	}
	connRun(t, s, c, []connStep{
		// As Redis 7.0 replies for ECHO and GET.
		cs("*1\r\n*10\r\n$4\r\necho\r\n:2\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n",
			"command", "info", "ECHO"),
		cs("*1\r\n*10\r\n$7\r\ntestget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n"+
			keySpec("*2\r\n+RO\r\n+access\r\n", 1, 0, 1)+"*0\r\n", "command", "info", "testget"),
		cs("*1\r\n*10\r\n$8\r\ntestmset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:-1\r\n:2\r\n*3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n"+
			keySpec("*2\r\n+RW\r\n+update\r\n", 1, -1, 2)+"*0\r\n", "command", "info", "testmset"),
		cs("*2\r\n$-1\r\n*10\r\n$11\r\nclient|list\r\n:-2\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n"+
			"*4\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n+@connection\r\n*1\r\n$23\r\nnondeterministic_output\r\n*0\r\n*0\r\n",
			"command", "info", "nosuch", "client|list"),
		cs("*1\r\n*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n"+
			"*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:all_succeeded\r\n*0\r\n*0\r\n", "command", "info", "ping"),
		// As Redis 7.0 replies for PING.
		cs("*2\r\n$4\r\nping\r\n*10\r\n$7\r\nsummary\r\n$15\r\nPing the server\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n"+
			"$10\r\ncomplexity\r\n$4\r\nO(1)\r\n"+
			"$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$7\r\nmessage\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\nflags\r\n*1\r\n+optional\r\n",
			"command", "docs", "ping", "nosuch"),
		cs("*2\r\n$7\r\ntestget\r\n*8\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n"+
			"$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n",
			"command", "docs", "testget"),
		cs("*0\r\n", "command", "docs", "nosuch"),
		cs(":"+fmt.Sprint(s.table.Len())+"\r\n", "command", "count"),
		cs("*1\r\n$1\r\na\r\n", "command", "getkeys", "testget", "a"),
		cs("*2\r\n$1\r\na\r\n$1\r\nc\r\n", "command", "getkeys", "testmset", "a", "b", "c", "d"),
		cs("*1\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n", "command", "getkeysandflags", "testget", "a"),
		cs("-ERR wrong number of arguments for 'command|getkeys' command\r\n", "command", "getkeys", "foo"),
		cs("-ERR Invalid command specified\r\n", "command", "getkeys", "foo", "x"),
		cs("-ERR Invalid number of arguments specified for command\r\n", "command", "getkeys", "testget", "a", "b"),
		cs("-ERR The command has no key arguments\r\n", "command", "getkeys", "ping", "x", "y"),
		cs("-ERR The command has no key arguments\r\n", "command", "getkeys", "client", "list"),
		cs("-ERR syntax error\r\n", "command", "list", "x"),
		cs("-ERR syntax error\r\n", "command", "list", "filterby", "foo", "x"),
		cs("*0\r\n", "command", "list", "filterby", "module", "x"),
		cs("*2\r\n$11\r\nclient|list\r\n$12\r\ncommand|list\r\n", "command", "list", "filterby", "pattern", "c*|l*"),
		cs("-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n", "command", "foo"),
	})
	acl := do(s, c, "command", "list", "filterby", "aclcat", "connection")
	for _, want := range []string{"$4\r\nping\r\n", "$11\r\nclient|kill\r\n", "$5\r\nhello\r\n"} {
		if !strings.Contains(acl, want) {
			t.Errorf("COMMAND LIST FILTERBY ACLCAT connection lacks %q: %q", want, acl)
		}
	}
	if strings.Contains(acl, "testget") || strings.Contains(acl, "$6\r\nclient\r\n") {
		t.Errorf("COMMAND LIST FILTERBY ACLCAT connection has too much: %q", acl)
	}
	all := do(s, c, "command")
	if !strings.HasPrefix(all, "*"+fmt.Sprint(s.table.Len())+"\r\n") {
		t.Errorf("COMMAND: %.40q", all)
	}
	if got := do(s, c, "command", "info"); got != all {
		t.Error("COMMAND INFO differs from COMMAND")
	}
	help := do(s, c, "command", "help")
	if !strings.HasPrefix(help, "*21\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+(no subcommand)\r\n") {
		t.Errorf("COMMAND HELP: %q", help)
	}
}

// Key specs from the metadata table drive COMMAND INFO and GETKEYS for
// commands whose keys a first/last/step row cannot describe.
func TestCommandKeySpecs(t *testing.T) {
	s, c := testServer(nil)
	if s.table.Get("lmpop") == nil {
		// Redis 7.0's row: a keynum spec makes the keys movable.
		s.table.Add(&Command{Spec: &Spec{Name: "lmpop", Arity: -4, Flags: FlagWrite, Group: "list", ACL: "@write @list @slow",
			KeySpecs: []keySpec{{flags: "RW access delete", begin: 1, find: 'n', a: 0, b: 1, c: 1}}}, Handler: func(c *Client) {}})
	}
	connRun(t, s, c, []connStep{
		// As Redis 7.0 replies.
		cs("*1\r\n*10\r\n$5\r\nlmpop\r\n:-4\r\n*2\r\n+write\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@write\r\n+@list\r\n+@slow\r\n*0\r\n"+
			"*1\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"+
			"*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$6\r\nkeynum\r\n$4\r\nspec\r\n*6\r\n$9\r\nkeynumidx\r\n:0\r\n"+
			"$8\r\nfirstkey\r\n:1\r\n$7\r\nkeystep\r\n:1\r\n*0\r\n", "command", "info", "lmpop"),
		cs("*1\r\n*10\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n"+
			"*1\r\n*8\r\n$5\r\nnotes\r\n$48\r\nRW and ACCESS due to the optional `GET` argument\r\n$5\r\nflags\r\n*4\r\n+RW\r\n+access\r\n+update\r\n+variable_flags\r\n"+
			"$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n"+
			"$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n", "command", "info", "set"),
		cs("*2\r\n$1\r\na\r\n$1\r\nb\r\n", "command", "getkeys", "lmpop", "2", "a", "b", "left"),
		cs("*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n",
			"command", "getkeysandflags", "lmpop", "2", "a", "b", "left"),
		cs("-ERR Invalid arguments specified for command\r\n", "command", "getkeys", "lmpop", "5", "a", "b"),
		cs("*1\r\n$1\r\nk\r\n", "command", "getkeys", "set", "k", "v"),
	})
}

// COMMAND DOCS fields from the rows (specs.go) (doc_flags, deprecated_since,
// replaced_by, history) and key_spec_index counted over key arguments.
func TestCommandDocsMeta(t *testing.T) {
	s, c := testServer(nil)
	const keyArg = "$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n"
	connRun(t, s, c, []connStep{
		// As Redis 7.0 replies.
		cs("*2\r\n$6\r\ngetset\r\n*16\r\n$7\r\nsummary\r\n$54\r\nSet the string value of a key and return its old value\r\n"+
			"$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n"+
			"$9\r\ndoc_flags\r\n*1\r\n+deprecated\r\n$16\r\ndeprecated_since\r\n$5\r\n6.2.0\r\n"+
			"$11\r\nreplaced_by\r\n$30\r\n`SET` with the `!GET` argument\r\n"+
			"$9\r\narguments\r\n*2\r\n*6\r\n"+keyArg+"*4\r\n$4\r\nname\r\n$5\r\nvalue\r\n$4\r\ntype\r\n$6\r\nstring\r\n",
			"command", "docs", "getset"),
		cs("*2\r\n$6\r\nexists\r\n*12\r\n$7\r\nsummary\r\n$25\r\nDetermine if a key exists\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n"+
			"$5\r\ngroup\r\n$7\r\ngeneric\r\n$10\r\ncomplexity\r\n$44\r\nO(N) where N is the number of keys to check.\r\n"+
			"$7\r\nhistory\r\n*1\r\n*2\r\n$5\r\n3.0.3\r\n$33\r\nAccepts multiple `key` arguments.\r\n"+
			"$9\r\narguments\r\n*1\r\n*8\r\n"+keyArg+"$5\r\nflags\r\n*1\r\n+multiple\r\n",
			"command", "docs", "exists"),
		cs("*2\r\n$6\r\nrename\r\n*10\r\n$7\r\nsummary\r\n$12\r\nRename a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n"+
			"$5\r\ngroup\r\n$7\r\ngeneric\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*2\r\n*6\r\n"+keyArg+
			"*6\r\n$4\r\nname\r\n$6\r\nnewkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:1\r\n",
			"command", "docs", "rename"),
	})
}
