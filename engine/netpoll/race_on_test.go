//go:build race

package netpoll

// raceEnabled scales test volumes down: the race detector checks every byte
// a syscall reads or writes.
const raceEnabled = true
