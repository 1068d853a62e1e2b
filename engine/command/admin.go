package command

import "time"

// Server commands: TIME, LASTSAVE, SHUTDOWN. (INFO is in info.go, LATENCY
// in latency.go, CONFIG in config.go.)

func init() {
	register(func(t *Table) {
		const admin = FlagAdmin | FlagNoScript | FlagLoading | FlagStale
		t.Add(
			&Command{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Group: "server", Since: "2.6.0",
				Summary: "Return the current server time", Handler: timeCommand},
			&Command{Name: "lastsave", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Group: "server", Since: "1.0.0",
				Summary: "Get the UNIX time stamp of the last successful save to disk", Handler: lastsaveCommand},
			&Command{Name: "shutdown", Arity: -1, Flags: admin | FlagNoMulti | FlagAllowBusy, Group: "server", Since: "1.0.0",
				Summary: "Synchronously save the dataset to disk and then shut down the server",
				Args:    "[NOSAVE|SAVE] [NOW]@7.0.0 [FORCE]@7.0.0 [ABORT]@7.0.0", Handler: shutdownCommand},
		)
	})
}

func timeCommand(c *Client) {
	now := time.Now()
	c.ReplyArrayLen(2)
	c.ReplyBulkInt(now.Unix())
	c.ReplyBulkInt(int64(now.Nanosecond() / 1000))
}

func lastsaveCommand(c *Client) {
	// Nothing is saved yet: the last save is the start, as INFO
	// persistence's rdb_last_save_time says.
	c.ReplyInt(c.srv.startTime.Unix())
}

func shutdownCommand(c *Client) {
	var save, nosave, abort bool
	for _, a := range c.Args[1:] {
		switch {
		case EqualFold(a, "nosave"):
			nosave = true
		case EqualFold(a, "save"):
			save = true
		case EqualFold(a, "now"), EqualFold(a, "force"):
		case EqualFold(a, "abort"):
			abort = true
		default:
			c.ReplySyntaxErr()
			return
		}
	}
	if (abort && len(c.Args) > 2) || (save && nosave) {
		c.ReplySyntaxErr()
		return
	}
	if abort {
		c.ReplyError("ERR No shutdown in progress.")
		return
	}
	s := c.srv
	if s.hooks.Shutdown != nil {
		if err := s.hooks.Shutdown(c, save, nosave); err != nil {
			c.ReplyError("ERR Errors trying to SHUTDOWN. Check logs.")
			return
		}
	}
	s.shutdownAsked = true
	c.CloseAfterReply = true
}
