package arena

import (
	"fmt"
	"strings"

	"rundb/engine/mem"
)

// MallocStats implements mem.StatsWriter (MEMORY MALLOC-STATS): the
// reservation, the committed and mapped bytes, then one line per size
// class in use (slabs, live blocks, capacity, bytes lost to rounding) and
// the spans, spare slabs and free runs.
func (a *Arena) MallocStats() string {
	type classUse struct{ slabs, live, capacity int }
	use := make([]classUse, len(a.classes))
	var spans, spanUnits, spanBytes, freeRuns, freeUnits, spares int
	for u := int32(1); u < a.top; u++ {
		m := &a.meta[u]
		switch m.kind {
		case kindSlab:
			cu := &use[m.class]
			cu.slabs++
			cu.live += int(m.live)
			cu.capacity += int(a.classes[m.class].nblocks)
			if m.spare >= 0 {
				spares++
			}
		case kindSpan:
			spans++
			spanUnits += int(m.n)
			spanBytes += int(m.size)
		case kindFree:
			// The scan meets a free run at its first unit; skip to
			// its last.
			freeRuns++
			freeUnits += int(m.n)
			u += int32(m.n) - 1
		}
	}
	var b strings.Builder
	st := a.stats
	fmt.Fprintf(&b, "arena: %d size classes up to %d bytes, %d KiB slabs; larger blocks get page-rounded spans\n",
		len(a.classes), MaxSmall, unitSize>>10)
	fmt.Fprintf(&b, "reserved: %d bytes, committed: %d bytes, units used: %d of %d\n",
		len(a.mem), a.commit, a.top-1, a.maxUnit-1)
	fmt.Fprintf(&b, "requested: %d, allocated: %d, mapped: %d, live blocks: %d, allocs: %d, frees: %d\n",
		st.Requested, st.Allocated, st.Mapped, st.Live(), st.Allocs, st.Frees)
	for p, ps := range st.Purposes {
		if ps.Blocks > 0 {
			fmt.Fprintf(&b, "purpose %s: requested %d, allocated %d, blocks %d\n",
				mem.Purpose(p), ps.Requested, ps.Allocated, ps.Blocks)
		}
	}
	b.WriteString("class    size    slabs     live  capacity   util  slab-bytes\n")
	for i, cu := range use {
		if cu.slabs == 0 {
			continue
		}
		util := 0.0
		if cu.capacity > 0 {
			util = float64(cu.live) * 100 / float64(cu.capacity)
		}
		fmt.Fprintf(&b, "%5d %7d %8d %8d %9d %5.1f%% %11d\n",
			i, a.classes[i].size, cu.slabs, cu.live, cu.capacity, util, cu.slabs*unitSize)
	}
	fmt.Fprintf(&b, "spans: %d (%d units, %d bytes asked for)\n", spans, spanUnits, spanBytes)
	fmt.Fprintf(&b, "spare slabs: %d (kept backed, at most %d)\n", spares, maxSpares)
	fmt.Fprintf(&b, "free runs: %d (%d units)\n", freeRuns, freeUnits)
	return b.String()
}
