package command

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// entryMutators are the ds.Entry methods that change a stored entry's bytes
// or free it: only engine/db, the one write path, may call them.
var entryMutators = map[string]bool{
	"SetInt": true, "SetRawLen": true, "RawBuf": true, "SetDeadline": true,
	"SetContainer": true, "SetOwn": true, "SetLRU": true, "Overwrite": true,
	"WithTTL": true, "Rekey": true, "Free": true,
}

// TestHandlersWriteOnlyThroughDB type-checks the command layer and fails on
// any call of an entry mutator: handlers change keys only through engine/db.
func TestHandlersWriteOnlyThroughDB(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the package from export data (go list -export); skipped with -short")
	}
	exports := exportData(t, "rundb/engine/command")
	fset := token.NewFileSet()
	var files []*ast.File
	names, _ := filepath.Glob("*.go")
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		return os.Open(exports[path])
	})
	info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
	if _, err := (&types.Config{Importer: imp}).Check("rundb/engine/command", fset, files, info); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for sel, s := range info.Selections {
		recv := s.Recv()
		if p, ok := recv.(*types.Pointer); ok {
			recv = p.Elem()
		}
		if recv.String() != "rundb/engine/ds.Entry" {
			continue
		}
		checked++
		if entryMutators[sel.Sel.Name] {
			t.Errorf("%s: a handler calls ds.Entry.%s; change keys through an engine/db method", fset.Position(sel.Pos()), sel.Sel.Name)
		}
	}
	if checked == 0 {
		t.Fatal("no ds.Entry method call found: the check is not looking at the handlers")
	}
}

// exportData maps every dependency of pkg to its compiler export file.
func exportData(t *testing.T, pkg string) map[string]string {
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}
