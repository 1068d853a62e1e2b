//go:build !amd64

package ds

// prefetch does nothing where rundb has no prefetch instruction for it.
func prefetch(addr uintptr) {}
