package netpoll

import "time"

// CPUTimes are system and user CPU times of the process, of its waited-for
// children, and of the calling thread (INFO cpu).
type CPUTimes struct {
	Sys, User, SysChildren, UserChildren, SysThread, UserThread time.Duration
}
