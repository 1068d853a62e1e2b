package ds

import (
	"fmt"
	"sort"
	"strings"

	"rundb/engine/mem"
)

// Layouts of the keyspace table: each KeyTable implementation registers a
// constructor under its name (from an init in its own file, or below for
// the open table), and the keyspace-layout parameter names the one a
// server's keyspace and expires tables are built with. The registry is
// filled during package initialization and only read afterwards.

// NewKeyTableFunc builds an empty table of one layout whose storage comes
// from a under purpose p; keyOf gives the key of a stored Ref.
type NewKeyTableFunc func(a mem.Allocator, p mem.Purpose, keyOf KeyFunc) KeyTable

// DefaultLayout is the layout a keyspace gets when none is named.
const DefaultLayout = "open"

var layouts = map[string]NewKeyTableFunc{}

// RegisterLayout makes a layout available under name. It panics on an
// empty name, a nil constructor or a name registered twice: these are
// programming errors, found at start.
func RegisterLayout(name string, new NewKeyTableFunc) {
	if name == "" || new == nil {
		panic("ds: RegisterLayout needs a name and a constructor")
	}
	if name != strings.ToLower(name) {
		panic("ds: layout names are lower case: " + name)
	}
	if _, dup := layouts[name]; dup {
		panic("ds: layout registered twice: " + name)
	}
	layouts[name] = new
}

// Layouts returns the registered layout names, sorted.
func Layouts() []string {
	names := make([]string, 0, len(layouts))
	for n := range layouts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewKeyTable builds an empty table of the named layout (see NewKeyTableFunc).
func NewKeyTable(layout string, a mem.Allocator, p mem.Purpose, keyOf KeyFunc) (KeyTable, error) {
	new, ok := layouts[layout]
	if !ok {
		return nil, fmt.Errorf("unknown keyspace layout %q (layouts: %s)", layout, strings.Join(Layouts(), ", "))
	}
	return new(a, p, keyOf), nil
}

func init() {
	RegisterLayout("open", func(a mem.Allocator, p mem.Purpose, keyOf KeyFunc) KeyTable { return NewTable(a, p, keyOf) })
}
