package persist

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// TestBaseFileKeepsEveryByte: chunks of every size, some past the buffer
// size the writer keeps for reuse (keepBuf), written as fast as the loop
// can, reach the file whole and in order. (A buffer too big to keep was
// once handed to the loop while the goroutine still wrote it.)
func TestBaseFileKeepsEveryByte(t *testing.T) {
	a, err := Open(Options{Dir: t.TempDir(), Filename: "appendonly.aof"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var want bytes.Buffer
	chunk := make([]byte, 0, 3*keepBuf)
	for i := 0; want.Len() < 40<<20; i++ {
		n := rng.IntN(64 << 10)
		if i%7 == 0 {
			n = keepBuf + rng.IntN(keepBuf)
		}
		chunk = chunk[:0]
		for j := 0; j < n; j++ {
			chunk = append(chunk, byte(i+j*31))
		}
		want.Write(chunk)
		if _, err := b.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	b.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		done, err := b.Result()
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("base file not finished after a minute")
		}
		time.Sleep(time.Millisecond)
	}
	got, err := os.ReadFile(b.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		i := 0
		for i < len(got) && i < want.Len() && got[i] == want.Bytes()[i] {
			i++
		}
		t.Fatalf("file differs from what was written at byte %d (%d bytes written, %d in the file)", i, want.Len(), len(got))
	}
	b.Abort()
}
