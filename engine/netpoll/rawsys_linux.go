package netpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The loop's sockets are non-blocking, so read and write never wait: they
// go through RawSyscall, which skips the runtime's entersyscall/exitsyscall
// bookkeeping (a few hundred nanoseconds on every request at pipeline 1).
// epoll_wait may block, so only its zero-timeout form is raw; a wait with a
// timeout goes through the ordinary Syscall path so the runtime can run GC
// and other goroutines meanwhile.

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
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
