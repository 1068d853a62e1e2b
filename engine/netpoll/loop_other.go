//go:build !linux

package netpoll

import (
	"fmt"
	"runtime"
	"time"
)

// Loop is one event loop. On this platform it cannot be created.
type Loop struct {
	maxOut int
	dirty  []*Conn
}

// New fails: rundb's event loop needs Linux epoll.
func New(cfg Config, h Handler) (*Loop, error) {
	return nil, fmt.Errorf("rundb needs Linux epoll; this build is for GOOS=%s", runtime.GOOS)
}

// Addr returns "".
func (l *Loop) Addr() string { return "" }

// Addrs returns nil.
func (l *Loop) Addrs() []string { return nil }

// Run returns ErrStopped.
func (l *Loop) Run() error { return ErrStopped }

// Stop does nothing.
func (l *Loop) Stop() {}

// Wake does nothing.
func (l *Loop) Wake() {}

// Close does nothing.
func (l *Loop) Close(c *Conn) {}

// CloseAfterFlush does nothing.
func (l *Loop) CloseAfterFlush(c *Conn) {}

// NumConns returns 0.
func (l *Loop) NumConns() int { return 0 }

// Conns calls nothing.
func (l *Loop) Conns(fn func(c *Conn) bool) {}

// PauseAccept does nothing.
func (l *Loop) PauseAccept(pause bool) {}

// Hold stops reading c (no-op off Linux).
func (l *Loop) Hold(c *Conn) {}

// Release resumes reading c (no-op off Linux).
func (l *Loop) Release(c *Conn) {}

// Relisten fails: there are no listeners off Linux.
func (l *Loop) Relisten(addrs []string) error {
	return fmt.Errorf("rundb needs Linux epoll; this build is for GOOS=%s", runtime.GOOS)
}

// SetTickInterval does nothing.
func (l *Loop) SetTickInterval(d time.Duration) {}
