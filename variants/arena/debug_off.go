//go:build !arenadebug

package arena

import (
	"unsafe"

	"rundb/engine/mem"
)

// debug enables poisoning and the allocated-block bitmaps (build tag
// arenadebug). Off, every check below is dead code.
const debug = false

func (a *Arena) poison(p unsafe.Pointer, size uint32)      {}
func (a *Arena) checkPoison(p unsafe.Pointer, size uint32) {}
func (a *Arena) markAlloc(s int32, idx uint32)             {}
func (a *Arena) markFree(s int32, idx uint32)              {}
func (a *Arena) checkFree(r mem.Ref, size int)             {}
