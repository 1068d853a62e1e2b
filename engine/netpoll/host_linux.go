package netpoll

import (
	"time"

	"golang.org/x/sys/unix"
)

// Host facts for INFO, read here because netpoll is the one room of the
// engine that makes system calls.

// OSName is the kernel's name, release and machine ("Linux 6.1.0 x86_64").
func OSName() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "linux"
	}
	return unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:]) + " " +
		unix.ByteSliceToString(u.Machine[:])
}

// TotalMemory is the machine's RAM in bytes (0 if unknown).
func TotalMemory() uint64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// CPU reads the CPU times; call it on the thread whose own times matter.
func CPU() CPUTimes {
	var self, children, thread unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &self)
	_ = unix.Getrusage(unix.RUSAGE_CHILDREN, &children)
	_ = unix.Getrusage(unix.RUSAGE_THREAD, &thread)
	d := func(t unix.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return CPUTimes{d(self.Stime), d(self.Utime), d(children.Stime), d(children.Utime), d(thread.Stime), d(thread.Utime)}
}
