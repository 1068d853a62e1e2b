package engine_test

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"testing"
	"time"
)

// bigValue is a recognizable payload of n bytes.
func bigValue(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%23 + i/(1<<20)%3)
	}
	return b
}

// sendBulkCmd sends a command whose argument "@" is payload; the payload
// goes in pieces with pauses, so that it arrives over many reads.
func sendBulkCmd(t *testing.T, c *client, payload []byte, args ...string) {
	t.Helper()
	h := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		if a != "@" {
			h = fmt.Appendf(h, "$%d\r\n%s\r\n", len(a), a)
			continue
		}
		h = fmt.Appendf(h, "$%d\r\n", len(payload))
		if _, err := c.Write(h); err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(payload); {
			k := min(len(payload)-off, 3<<20)
			if _, err := c.Write(payload[off : off+k]); err != nil {
				t.Fatal(err)
			}
			off += k
			time.Sleep(time.Millisecond)
		}
		h = append(h[:0], "\r\n"...)
	}
	if _, err := c.Write(h); err != nil {
		t.Fatal(err)
	}
}

// readBulk reads a bulk reply of n bytes.
func readBulk(t *testing.T, c *client, n int) []byte {
	t.Helper()
	line, err := c.r.ReadString('\n')
	if err != nil || line != "$"+strconv.Itoa(n)+"\r\n" {
		t.Fatalf("bulk header %q, %v; want $%d", line, err, n)
	}
	b := make([]byte, n+2)
	if _, err := io.ReadFull(c.r, b); err != nil {
		t.Fatal(err)
	}
	return b[:n]
}

func waitLog(t *testing.T, h *heap, want []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := h.bigLog()
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("allocations of 1 MB or more: got %v; want %v", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A large SET reads its value into one block, which becomes the value: one
// allocation of exactly its size, no copy, freed by DEL.
func TestBigSetAdoptsItsBlock(t *testing.T) {
	h := &heap{}
	srv := startOn(t, h, nil)
	c := dial(t, srv)
	const n = 24 << 20
	v := bigValue(n)
	sendBulkCmd(t, c, v, "SET", "k", "@", "PX", "100000")
	if line, _ := c.r.ReadString('\n'); line != "+OK\r\n" {
		t.Fatalf("SET: %q", line)
	}
	waitLog(t, h, []int{n})
	fmt.Fprintf(c, "GET k\r\n")
	if got := readBulk(t, c, n); !bytes.Equal(got, v) {
		t.Fatal("GET returned a different value")
	}
	if got := c.do(t, "STRLEN k"); got != ":"+strconv.Itoa(n) {
		t.Fatalf("STRLEN: %q", got)
	}
	if got := c.do(t, "PTTL k"); len(got) < 2 || got[0] != ':' || got[1] == '-' {
		t.Fatalf("PTTL after SET PX: %q", got)
	}
	if got := c.do(t, "OBJECT ENCODING k"); got != "$3" {
		t.Fatalf("OBJECT ENCODING: %q", got)
	}
	c.r.ReadString('\n')
	c.do(t, "DEL k")
	waitLog(t, h, []int{n, -n})
}

// A command that does not keep its large argument frees its block.
func TestBigArgNotKeptIsFreed(t *testing.T) {
	h := &heap{}
	srv := startOn(t, h, nil)
	c := dial(t, srv)
	const n = 3 << 20
	v := bigValue(n)
	sendBulkCmd(t, c, v, "ECHO", "@")
	if got := readBulk(t, c, n); !bytes.Equal(got, v) {
		t.Fatal("ECHO returned a different value")
	}
	waitLog(t, h, []int{n, -n})
	// Two large arguments of one command (MSET keeps both; a wrong number
	// of arguments keeps none).
	sendBulkCmd(t, c, v, "MSET", "a", "@", "b", string(v))
	if line, _ := c.r.ReadString('\n'); line != "+OK\r\n" {
		t.Fatalf("MSET: %q", line)
	}
	waitLog(t, h, []int{n, -n, n, n})
	sendBulkCmd(t, c, v, "GET", "@", "x")
	if line, _ := c.r.ReadString('\n'); line != "-ERR wrong number of arguments for 'get' command\r\n" {
		t.Fatalf("GET with a big argument: %q", line)
	}
	waitLog(t, h, []int{n, -n, n, n, n, -n})
}

// A client that drops the connection halfway through a large bulk gets its
// block freed at once.
func TestDisconnectMidBulkFreesBlock(t *testing.T) {
	h := &heap{}
	srv := startOn(t, h, nil)
	c := dial(t, srv)
	const n = 20 << 20
	fmt.Fprintf(c, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n", n)
	c.Write(bigValue(n / 2))
	waitLog(t, h, []int{n})
	c.Close()
	waitLog(t, h, []int{n, -n})
	if got := dial(t, srv).do(t, "EXISTS k"); got != ":0" {
		t.Fatalf("EXISTS k after the dropped SET: %q", got)
	}
}

// APPEND growth is amortized: 40 appends of 1 MB allocate O(log n) value
// blocks (besides each argument's own 1 MB block, freed after the command).
func TestAppendGrowthAmortized(t *testing.T) {
	h := &heap{}
	srv := startOn(t, h, nil)
	c := dial(t, srv)
	const step, count = 1 << 20, 40
	var want []byte
	for i := range count {
		v := bigValue(step)
		v[0] = byte('A' + i%26)
		want = append(want, v...)
		sendBulkCmd(t, c, v, "APPEND", "s", "@")
		if got := c.do(t, ""); got != ":"+strconv.Itoa((i+1)*step) {
			// do sent an empty inline line, which the server skips.
			t.Fatalf("APPEND %d: %q", i, got)
		}
	}
	fmt.Fprintf(c, "GET s\r\n")
	if got := readBulk(t, c, count*step); !bytes.Equal(got, want) {
		t.Fatal("GET after the APPENDs returned a different value")
	}
	values := 0
	for _, sz := range h.bigLog() {
		if sz > step {
			values++
		}
	}
	if values > 8 {
		t.Fatalf("%d value blocks for %d appends of 1 MB: growth is not geometric (%v)", values, count, h.bigLog())
	}
}

// A large SET held by CLIENT PAUSE runs, whole, when the pause ends.
func TestPausedBigSetReplayed(t *testing.T) {
	h := &heap{}
	srv := startOn(t, h, nil)
	a, b := dial(t, srv), dial(t, srv)
	if got := a.do(t, "CLIENT PAUSE 60000 WRITE"); got != "+OK" {
		t.Fatalf("CLIENT PAUSE: %q", got)
	}
	const n = 5 << 20
	v := bigValue(n)
	sendBulkCmd(t, b, v, "SET", "k", "@")
	fmt.Fprintf(b, "STRLEN k\r\n")
	b.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	if line, err := b.r.ReadString('\n'); err == nil {
		t.Fatalf("held SET answered %q during the pause", line)
	}
	b.SetReadDeadline(time.Now().Add(20 * time.Second))
	if got := a.do(t, "CLIENT UNPAUSE"); got != "+OK" {
		t.Fatalf("CLIENT UNPAUSE: %q", got)
	}
	for _, want := range []string{"+OK", ":" + strconv.Itoa(n)} {
		if line, _ := b.r.ReadString('\n'); line != want+"\r\n" {
			t.Fatalf("after UNPAUSE got %q; want %q", line, want)
		}
	}
	fmt.Fprintf(a, "GET k\r\n")
	if got := readBulk(t, a, n); !bytes.Equal(got, v) {
		t.Fatal("GET after the replayed SET returned a different value")
	}
	waitLog(t, h, []int{n})
}

// MSET of one key twice with large values keeps the last and frees the
// first, whose block is not adopted (a later pair overwrites it within the
// command, and the command's arguments must stay valid until it ends).
func TestMsetRepeatedKeyBigValues(t *testing.T) {
	h := &heap{}
	srv := startOn(t, h, nil)
	c := dial(t, srv)
	const n = 2 << 20
	v1, v2 := bigValue(n), bigValue(n)
	v2[0] = '!'
	sendBulkCmd(t, c, v1, "MSET", "k", "@", "k", string(v2))
	if line, _ := c.r.ReadString('\n'); line != "+OK\r\n" {
		t.Fatalf("MSET: %q", line)
	}
	fmt.Fprintf(c, "GET k\r\n")
	if got := readBulk(t, c, n); !bytes.Equal(got, v2) {
		t.Fatal("GET k is not the last value")
	}
	// Two argument blocks; the first is copied into a value that the second
	// (adopted) replaces, then freed with the command.
	waitLog(t, h, []int{n, n, n, -n, -n})
}
