package ds

// prefetch asks the CPU to start loading the cache line at addr, so that a
// lookup's later reads of it overlap with the read it is waiting for. The
// address is a plain integer: it may lie past the end of a block (the
// instruction never faults), which a pointer must not.
func prefetch(addr uintptr)
