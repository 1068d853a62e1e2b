package persist

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestSnapshotThroughBaseFile: a snapshot written into a BaseFile in steps,
// installed by FinishRewrite, reloaded by Load, gives the keyspace back.
func TestSnapshotThroughBaseFile(t *testing.T) {
	h := newHarness(t, rand.New(rand.NewPCG(3, 3)), 3000)
	for n := 0; n < 8000; n++ {
		h.op()
	}
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a := openAOF(t, dir, FsyncEverysec)
	if err := a.StartLogging(); err != nil {
		t.Fatal(err)
	}
	b, err := a.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	s := NewSnapshot(h.ks, b, h.now)
	for {
		done, err := s.Step(0)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
	}
	b.Close()
	waitFor(t, "the base file", func() bool { d, _ := b.Result(); return d })
	if err := a.FinishRewrite(b); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	var file []byte
	st, err := openAOF(t, dir, FsyncNo).Load(func(args [][]byte) error { file = appendCmd(file, args); return nil }, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 2 || st.Bytes != int64(len(file)) {
		t.Fatalf("load %+v, %d bytes replayed", st, len(file))
	}
	diffModels(t, "loaded base", dump(replay(t, file, h.now)), h.m.at(h.now))
}
