package command

import (
	"time"

	"rundb/engine/config"
	"rundb/engine/db"
	"rundb/variants/goheap"
)

// testServer builds a server over a goheap keyspace (cfg nil: defaults)
// and one client, with the clock set to now. DEBUG is enabled (tests read
// DEBUG OBJECT); TestDebugCommandGate checks the default.
func testServer(cfg *config.Config) (*Server, *Client) {
	if cfg == nil {
		cfg = config.Default()
	}
	cfg.EnableDebugCommand = "yes"
	ks := db.NewKeyspace(goheap.New(), int(cfg.Databases))
	s := NewServer(cfg, ks)
	ks.Tick(time.Now().UnixMilli())
	c := s.NewClient("1.2.3.4:5", "127.0.0.1:7379", -1)
	return s, c
}

// do runs one command and returns its reply bytes.
func do(s *Server, c *Client, args ...string) string {
	c.Args = c.Args[:0]
	for _, a := range args {
		c.Args = append(c.Args, []byte(a))
	}
	c.Out = c.Out[:0]
	s.Execute(c)
	return string(c.Out)
}
