//go:build !linux

package netpoll

import "runtime"

// OSName is the platform's name (rundb does not run here; see New).
func OSName() string { return runtime.GOOS }

// TotalMemory is unknown on this platform.
func TotalMemory() uint64 { return 0 }

// CPU is unknown on this platform.
func CPU() CPUTimes { return CPUTimes{} }
