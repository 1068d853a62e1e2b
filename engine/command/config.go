package command

import (
	"strings"
	"time"

	"rundb/engine/config"
	"rundb/engine/db"
)

// CONFIG GET, SET, RESETSTAT, REWRITE and HELP over engine/config, which
// holds the parameters and the rules; what a changed parameter does to the
// running server is asked of the server through Hooks.ApplyConfig.

func init() {
	handle(map[string]func(c *Client){
		"config|get":       configGetCommand,
		"config|set":       configSetCommand,
		"config|resetstat": configResetStatCommand,
		"config|rewrite":   configRewriteCommand,
		"config|help":      configHelpCommand,
	})
}

func configGetCommand(c *Client) {
	type pair struct {
		name string // as the client spelled it, for names without glob characters
		p    *config.Param
	}
	var out []pair
	seen := map[*config.Param]bool{}
	for _, a := range c.Args[2:] {
		pat := string(a)
		if !strings.ContainsAny(pat, "*?[") {
			if p := config.Lookup(pat); p != nil && !seen[p] {
				seen[p] = true
				out = append(out, pair{pat, p})
			}
			continue
		}
		for _, p := range config.Params() {
			if !seen[p] && StringMatchString(pat, p.Name, true) {
				seen[p] = true
				out = append(out, pair{p.Name, p})
			}
		}
	}
	cfg := c.srv.Config
	c.ReplyArrayLen(2 * len(out))
	for _, x := range out {
		c.ReplyBulkString(x.name)
		c.ReplyBulkString(x.p.Get(cfg))
	}
}

func configSetCommand(c *Client) {
	if len(c.Args)%2 != 0 {
		c.ReplySyntaxErr()
		return
	}
	pairs := make([]string, len(c.Args)-2)
	for i, a := range c.Args[2:] {
		pairs[i] = string(a)
	}
	if err := config.Set(c.srv.Config, pairs, c.Local(), c.srv.applyParam); err != nil {
		c.ReplyError("ERR " + err.Error())
		return
	}
	c.ReplyOK()
}

func configResetStatCommand(c *Client) {
	c.srv.ResetStats()
	c.ReplyOK()
}

// ResetStats zeroes the statistics, as CONFIG RESETSTAT (and the engine
// after loading the append log, whose commands are not the clients').
func (s *Server) ResetStats() {
	s.stats = Stats{}
	s.KS.Stats = db.Stats{}
	s.evict.exceededTotal, s.evict.exceededSince = 0, time.Time{}
	for _, cmd := range s.table.Sorted() {
		resetCommandStats(cmd)
		for _, sub := range cmd.SortedSubs() {
			resetCommandStats(sub)
		}
	}
	st := &s.info
	st.peak = s.usedMemory()
}

func resetCommandStats(cmd *Command) {
	cmd.Calls, cmd.Usec, cmd.Rejected, cmd.Failed = 0, 0, 0, 0
	cmd.latency = nil
}

func configRewriteCommand(c *Client) {
	cfg := c.srv.Config
	if cfg.ConfigFile == "" {
		c.ReplyError("ERR The server is running without a config file")
		return
	}
	if err := config.Rewrite(cfg); err != nil {
		c.ReplyError("ERR Rewriting config file: " + err.Error())
		return
	}
	c.ReplyOK()
}

func configHelpCommand(c *Client) {
	c.replyHelp("CONFIG",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
	)
}
