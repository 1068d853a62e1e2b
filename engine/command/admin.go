package command

import "time"

// Server commands: TIME, LASTSAVE, SHUTDOWN. (INFO is in info.go, LATENCY
// in latency.go, CONFIG in config.go.)

func init() {
	handle(map[string]func(c *Client){
		"time":     timeCommand,
		"lastsave": lastsaveCommand,
		"shutdown": shutdownCommand,
	})
}

func timeCommand(c *Client) {
	now := time.Now()
	c.ReplyArrayLen(2)
	c.ReplyBulkInt(now.Unix())
	c.ReplyBulkInt(int64(now.Nanosecond() / 1000))
}

func lastsaveCommand(c *Client) {
	// The last snapshot's time (none yet: the start), as INFO
	// persistence's rdb_last_save_time says.
	c.ReplyInt(c.srv.lastSave())
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
