package netpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The loop's sockets are non-blocking, so read and write never wait: they
// go through RawSyscall, which skips the runtime's entersyscall/exitsyscall
// bookkeeping (a few hundred nanoseconds on every request at pipeline 1).
//
// epoll_wait with a timeout blocks. Through the ordinary Syscall path the
// runtime counts the loop's P as in a syscall, and when no other P is idle
// (GOMAXPROCS 1, as when the process is pinned to one CPU) its monitor
// takes the P back after some 20 µs and starts a thread to look for work:
// a handoff and a context switch on almost every idle wait. So when
// GOMAXPROCS is at least 2 the blocking wait is raw too: the loop's P stays
// with it, the other Ps run the server's other goroutines, and the
// runtime's preemption signal (which ends the wait with EINTR) still
// reaches the loop for a GC. With one P the wait goes through Syscall, so
// that the other goroutines can run meanwhile.

var zero uintptr

func rawRead(fd int, p []byte) (int, error)  { return rawIO(unix.SYS_READ, fd, p) }
func rawWrite(fd int, p []byte) (int, error) { return rawIO(unix.SYS_WRITE, fd, p) }

// rawIO is read(2) or write(2) of p on fd.
func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	ptr := unsafe.Pointer(&zero)
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// epollPoll returns the ready events without waiting.
func epollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	return epollWaitRaw(epfd, events, 0)
}

// epollWaitRaw is epoll_wait through RawSyscall (see above): timeout in
// ms, -1 for none.
func epollWaitRaw(epfd int, events []unix.EpollEvent, timeout int) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), uintptr(timeout), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
