package cmalloc

/*
#cgo LDFLAGS: -ldl
#cgo noescape rundb_alloc
#cgo nocallback rundb_alloc
#cgo noescape rundb_realloc
#cgo nocallback rundb_realloc
#cgo noescape rundb_free_n
#cgo nocallback rundb_free_n
#cgo noescape rundb_usable
#cgo nocallback rundb_usable
#cgo noescape rundb_nop
#cgo nocallback rundb_nop
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// rundb_alloc is malloc plus the block's usable size in one cgo call; it
// returns both by value so no Go memory is passed to C.
struct rundb_block { void *p; size_t usable; };
static struct rundb_block rundb_alloc(size_t n) {
	struct rundb_block b = { malloc(n), 0 };
	if (b.p) b.usable = malloc_usable_size(b.p);
	return b;
}

// rundb_nop measures the cost of a cgo call alone.
static void rundb_nop(void) {}

// rundb_free_n frees the n blocks at a[0..n) and writes the usable size
// each had to usable[i]: the frees a cgo call would cost one by one, in one.
// Blocks travel as integers, so cgo does not check them for Go pointers.
static void rundb_free_n(const uintptr_t *a, size_t *usable, int n) {
	for (int i = 0; i < n; i++) {
		void *p = (void *)a[i];
		usable[i] = malloc_usable_size(p);
		free(p);
	}
}

// rundb_usable is malloc_usable_size of the block at a.
static size_t rundb_usable(uintptr_t a) { return malloc_usable_size((void *)a); }

// rundb_realloc is realloc plus the old and new usable sizes in one cgo call.
struct rundb_resized { void *p; size_t old_usable, usable; };
static struct rundb_resized rundb_realloc(uintptr_t a, size_t n) {
	void *p = (void *)a;
	struct rundb_resized b = { 0, malloc_usable_size(p), 0 };
	b.p = realloc(p, n);
	if (b.p) b.usable = malloc_usable_size(b.p);
	return b;
}

// rundb_malloc_lib writes the path of the shared object that defines the
// malloc every call resolves to ("" if unknown).
static void rundb_malloc_lib(char *buf, size_t cap) {
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, "malloc");
	buf[0] = 0;
	if (sym && dladdr(sym, &info) && info.dli_fname) {
		strncpy(buf, info.dli_fname, cap - 1);
		buf[cap - 1] = 0;
	}
}

// rundb_sym looks a symbol up in the shared object at path (already
// loaded), or in the global scope when path is NULL.
static void *rundb_sym(const char *path, const char *name) {
	if (!path) return dlsym(RTLD_DEFAULT, name);
	void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	if (!h) return NULL;
	void *s = dlsym(h, name);
	dlclose(h);
	return s;
}

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef int (*mi_version_fn)(void);
typedef void (*mi_process_info_fn)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *);
typedef const char *(*tc_version_fn)(int *, int *, const char **);
typedef int (*tc_numprop_fn)(const char *, size_t *);
typedef const char *(*gnu_version_fn)(void);
struct rundb_mallinfo2 { size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost; };
typedef struct rundb_mallinfo2 (*mallinfo2_fn)(void);

static int je_version(void *f, char *buf, size_t cap) {
	const char *v = NULL;
	size_t sz = sizeof(v);
	if (((mallctl_fn)f)("version", &v, &sz, NULL, 0) != 0 || !v) return -1;
	strncpy(buf, v, cap - 1);
	buf[cap - 1] = 0;
	return 0;
}

static uint64_t je_resident(void *f) {
	uint64_t epoch = 1;
	size_t sz = sizeof(epoch);
	((mallctl_fn)f)("epoch", &epoch, &sz, &epoch, sz);
	size_t res = 0;
	sz = sizeof(res);
	if (((mallctl_fn)f)("stats.resident", &res, &sz, NULL, 0) != 0) return 0;
	return res;
}

static int mi_ver(void *f) { return ((mi_version_fn)f)(); }

static uint64_t mi_commit(void *f) {
	size_t elapsed = 0, user = 0, sys = 0, rss = 0, peak_rss = 0, commit = 0, peak_commit = 0, faults = 0;
	((mi_process_info_fn)f)(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
	return commit;
}

static void tc_ver(void *f, int *major, int *minor, char *patch, size_t cap) {
	const char *p = NULL;
	((tc_version_fn)f)(major, minor, &p);
	patch[0] = 0;
	if (p) {
		strncpy(patch, p, cap - 1);
		patch[cap - 1] = 0;
	}
}

static uint64_t tc_prop(void *f, const char *name) {
	size_t v = 0;
	if (!((tc_numprop_fn)f)(name, &v)) return 0;
	return v;
}

static const char *gnu_ver(void *f) { return ((gnu_version_fn)f)(); }

// Giving free memory back to the OS, per allocator.
typedef void (*voidfn)(void);
typedef void (*mi_collect_fn)(_Bool);
static void je_purge(void *f) {
	// MALLCTL_ARENAS_ALL (4096) names every arena.
	((mallctl_fn)f)("arena.4096.purge", NULL, NULL, NULL, 0);
}
static void mi_collect_all(void *f) { ((mi_collect_fn)f)(1); }
static void call_void(void *f) { ((voidfn)f)(); }
static void glibc_trim(void) { malloc_trim(0); }

// glibc_no_fastbins turns glibc's fastbins off (M_MXFAST 0), so that
// freed blocks coalesce when they are freed rather than all at once, by
// malloc_consolidate, on the next large malloc; tcache still serves the
// small sizes' fast path.
static int glibc_no_fastbins(void) { return mallopt(M_MXFAST, 0); }

// glibc_fastbin_bytes is the bytes glibc holds in fastbins (mallinfo2's
// fsmblks), walking them: for tests.
static size_t glibc_fastbin_bytes(void) { return mallinfo2().fsmblks; }

// The allocators' own statistics reports, collected into one malloc'd
// buffer that the caller frees.
struct rundb_text { char *p; size_t len, cap; };
static void text_add(struct rundb_text *t, const char *s) {
	size_t n = strlen(s);
	if (t->len + n + 1 > t->cap) {
		size_t c = t->cap ? t->cap : 4096;
		while (c < t->len + n + 1) c *= 2;
		char *q = realloc(t->p, c);
		if (!q) return;
		t->p = q;
		t->cap = c;
	}
	memcpy(t->p + t->len, s, n + 1);
	t->len += n;
}
static void je_write_cb(void *arg, const char *s) { text_add(arg, s); }
static void mi_write_cb(const char *s, void *arg) { text_add(arg, s); }
typedef void (*je_stats_fn)(void (*)(void *, const char *), void *, const char *);
typedef void (*mi_stats_fn)(void (*)(const char *, void *), void *);
typedef void (*tc_stats_fn)(char *, int);
static struct rundb_text je_stats(void *f) {
	struct rundb_text t = {0};
	((je_stats_fn)f)(je_write_cb, &t, NULL);
	return t;
}
static struct rundb_text mi_stats(void *f) {
	struct rundb_text t = {0};
	((mi_stats_fn)f)(mi_write_cb, &t);
	return t;
}
static struct rundb_text tc_stats(void *f) {
	struct rundb_text t = {0};
	t.cap = 1 << 16;
	t.p = malloc(t.cap);
	if (!t.p) { t.cap = 0; return t; }
	t.p[0] = 0;
	((tc_stats_fn)f)(t.p, (int)t.cap);
	t.len = strlen(t.p);
	return t;
}
static struct rundb_text glibc_stats(void) {
	struct rundb_text t = {0};
	FILE *f = open_memstream(&t.p, &t.len);
	if (!f) return t;
	malloc_info(0, f);
	fclose(f);
	return t;
}

static uint64_t glibc_mapped(void *f) {
	struct rundb_mallinfo2 mi = ((mallinfo2_fn)f)();
	return (uint64_t)mi.arena + (uint64_t)mi.hblkhd;
}
*/
import "C"

import (
	"fmt"
	"strings"
	"sync"
	"unsafe"
)

// Cgo reports whether this build can call the C allocator.
const Cgo = true

// probe is what the process's allocator is, found once.
type probe struct {
	kind    Kind
	version string
	lib     string         // shared object defining malloc
	mapped  unsafe.Pointer // mallctl, mi_process_info, MallocExtension_GetNumericProperty or mallinfo2
	trim    unsafe.Pointer // mallctl, mi_collect or MallocExtension_ReleaseFreeMemory (nil: glibc's malloc_trim)
	stats   unsafe.Pointer // malloc_stats_print, mi_stats_print_out or MallocExtension_GetStats (nil: glibc's malloc_info)
}

var (
	probeOnce sync.Once
	probed    probe
)

func detect() probe {
	probeOnce.Do(func() { probed = detectNow() })
	return probed
}

func sym(path *C.char, name string) unsafe.Pointer {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return C.rundb_sym(path, cn)
}

func detectNow() probe {
	var buf [4096]C.char
	C.rundb_malloc_lib(&buf[0], C.size_t(len(buf)))
	p := probe{lib: C.GoString(&buf[0])}
	// Look in the object that defines malloc, so that two preloaded
	// allocators do not confuse the answer; fall back to the global scope.
	var path *C.char
	if p.lib != "" {
		path = C.CString(p.lib)
		defer C.free(unsafe.Pointer(path))
		if sym(path, "malloc") == nil {
			path = nil
		}
	}
	if f := sym(path, "mallctl"); f != nil {
		p.kind = Jemalloc
		var v [256]C.char
		if C.je_version(f, &v[0], C.size_t(len(v))) == 0 {
			s := C.GoString(&v[0])
			if i := strings.IndexByte(s, '-'); i >= 0 {
				s = s[:i]
			}
			p.version = s
		}
		p.mapped = f
		p.trim = f
		p.stats = sym(path, "malloc_stats_print")
		return p
	}
	if f := sym(path, "mi_version"); f != nil {
		p.kind = Mimalloc
		v := int(C.mi_ver(f))
		p.version = fmt.Sprintf("%d.%d.%d", v/100, v/10%10, v%10)
		p.mapped = sym(path, "mi_process_info")
		p.trim = sym(path, "mi_collect")
		p.stats = sym(path, "mi_stats_print_out")
		return p
	}
	if f := sym(path, "tc_version"); f != nil {
		p.kind = Tcmalloc
		var major, minor C.int
		var patch [64]C.char
		C.tc_ver(f, &major, &minor, &patch[0], C.size_t(len(patch)))
		p.version = fmt.Sprintf("%d.%d%s", int(major), int(minor), C.GoString(&patch[0]))
		p.mapped = sym(path, "MallocExtension_GetNumericProperty")
		p.trim = sym(path, "MallocExtension_ReleaseFreeMemory")
		p.stats = sym(path, "MallocExtension_GetStats")
		return p
	}
	p.kind = Libc
	if f := sym(nil, "gnu_get_libc_version"); f != nil {
		p.version = C.GoString(C.gnu_ver(f))
		p.mapped = sym(nil, "mallinfo2")
	}
	return p
}

// mappedNow asks the allocator how many bytes it holds from the OS; 0 if
// it cannot say.
func mappedNow(p probe) uint64 {
	if p.mapped == nil {
		return 0
	}
	switch p.kind {
	case Jemalloc:
		return uint64(C.je_resident(p.mapped))
	case Mimalloc:
		return uint64(C.mi_commit(p.mapped))
	case Tcmalloc:
		heap := C.CString("generic.heap_size")
		unmapped := C.CString("tcmalloc.pageheap_unmapped_bytes")
		defer C.free(unsafe.Pointer(heap))
		defer C.free(unsafe.Pointer(unmapped))
		h := uint64(C.tc_prop(p.mapped, heap))
		u := uint64(C.tc_prop(p.mapped, unmapped))
		if u > h {
			return 0
		}
		return h - u
	case Libc:
		return uint64(C.glibc_mapped(p.mapped))
	}
	return 0
}

// tuneGlibc sets glibc's malloc up for a server that frees many small
// blocks at once (active expiry, eviction, FLUSHALL). With fastbins, those
// frees stay uncoalesced until a malloc of 1 KB or more (a table's slot
// array) runs malloc_consolidate over all of them: measured on X1, one
// 180 ms stall after half a million expired keys. Without fastbins each
// free coalesces on the spot, a bounded cost.
func tuneGlibc() {
	if C.glibc_no_fastbins() != 1 {
		panic("cmalloc: mallopt(M_MXFAST, 0) failed")
	}
}

// fastbinBytes is glibc's fastbin bytes (0 once tuneGlibc ran).
func fastbinBytes() uint64 { return uint64(C.glibc_fastbin_bytes()) }

// trimNow asks the allocator to give free memory back to the OS.
func trimNow(p probe) {
	switch {
	case p.kind == Jemalloc && p.trim != nil:
		C.je_purge(p.trim)
	case p.kind == Mimalloc && p.trim != nil:
		C.mi_collect_all(p.trim)
	case p.kind == Tcmalloc && p.trim != nil:
		C.call_void(p.trim)
	case p.kind == Libc:
		C.glibc_trim()
	}
}

// statsNow is the allocator's own statistics report, "" when it has none
// (a library without the symbol).
func statsNow(p probe) string {
	var t C.struct_rundb_text
	switch {
	case p.kind == Jemalloc && p.stats != nil:
		t = C.je_stats(p.stats)
	case p.kind == Mimalloc && p.stats != nil:
		t = C.mi_stats(p.stats)
	case p.kind == Tcmalloc && p.stats != nil:
		t = C.tc_stats(p.stats)
	case p.kind == Libc:
		t = C.glibc_stats()
	default:
		return ""
	}
	if t.p == nil {
		return ""
	}
	defer C.free(unsafe.Pointer(t.p))
	return C.GoStringN(t.p, C.int(t.len))
}

// cAlloc returns a block of at least size bytes and its usable size.
func cAlloc(size int) (uintptr, int) {
	b := C.rundb_alloc(C.size_t(size))
	if b.p == nil {
		panic("cmalloc: out of memory")
	}
	return uintptr(b.p), int(b.usable)
}

// cNop is an empty cgo call, the overhead every Alloc and Free pays.
func cNop() { C.rundb_nop() }

// cFreeN frees the blocks at addrs and writes the usable size each had to
// usable (as long as addrs).
func cFreeN(addrs, usable []uintptr) {
	if len(addrs) == 0 {
		return
	}
	C.rundb_free_n((*C.uintptr_t)(unsafe.Pointer(&addrs[0])), (*C.size_t)(unsafe.Pointer(&usable[0])), C.int(len(addrs)))
}

// cRealloc resizes the block at p with realloc and returns the block and
// its usable size before and after.
func cRealloc(p uintptr, size int) (np uintptr, oldUsable, usable int) {
	b := C.rundb_realloc(C.uintptr_t(p), C.size_t(size))
	if b.p == nil {
		panic("cmalloc: out of memory")
	}
	return uintptr(b.p), int(b.old_usable), int(b.usable)
}

// usableSize is malloc_usable_size of the block at p.
func usableSize(p uintptr) int {
	return int(C.rundb_usable(C.uintptr_t(p)))
}
