package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// CPUPlan splits the CPUs the lab may run on: the server under test gets
// one of its own and the lab (its load generator and redis-benchmark) the
// others. On a small machine the scheduler otherwise moves the two back and
// forth between cores, and a throughput figure then says more about where
// the threads landed than about the server.
type CPUPlan struct {
	Server []int // the server's CPU; empty: not pinned
	Lab    []int // the lab's CPUs
}

// PlanCPUs plans from this process's affinity mask. With fewer than two
// usable CPUs nothing is pinned and the plan says so.
func PlanCPUs() (CPUPlan, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return CPUPlan{}, err
	}
	var cpus []int
	for i := 0; i < len(set)*64; i++ {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	if len(cpus) < 2 {
		return CPUPlan{}, nil
	}
	// The server takes the last CPU: CPU 0 usually takes more interrupts.
	return CPUPlan{Server: cpus[len(cpus)-1:], Lab: cpus[:len(cpus)-1]}, nil
}

// Pinned reports whether the plan pins anything.
func (p CPUPlan) Pinned() bool { return len(p.Server) > 0 }

// String describes the plan for the report.
func (p CPUPlan) String() string {
	if !p.Pinned() {
		return "not pinned (fewer than 2 CPUs)"
	}
	return fmt.Sprintf("server on CPU %s, load generator on CPU %s", cpuList(p.Server), cpuList(p.Lab))
}

func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

// PinSelf moves every thread of the lab onto the plan's lab CPUs and sizes
// GOMAXPROCS to them. Processes the lab starts afterwards inherit the mask.
func (p CPUPlan) PinSelf() error {
	if !p.Pinned() {
		return nil
	}
	if err := PinProcess(os.Getpid(), p.Lab); err != nil {
		return err
	}
	runtime.GOMAXPROCS(len(p.Lab))
	return nil
}

// PinProcess sets the affinity of every thread of process pid. Threads the
// process creates later inherit the mask of the thread that creates them.
func PinProcess(pid int, cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		// A thread that ended since the listing is not an error.
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("pin thread %d of %d: %w", tid, pid, err)
		}
	}
	return nil
}
