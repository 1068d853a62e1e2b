package resp_test

import (
	"fmt"

	"rundb/engine/resp"
)

// A connection keeps its unconsumed bytes; after each read it parses as many
// requests as are complete and keeps the rest for the next read.
func ExampleParser_Next() {
	var p resp.Parser
	var pending, out []byte
	var args [][]byte
	for _, read := range []string{"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPI", "NG\r\n\r\nSET k \"a b\"\r\n"} {
		pending = append(pending, read...)
		for {
			n, cmd, err := p.Next(pending, args)
			if err != nil {
				out = append(out, err.(*resp.ProtocolError).Reply()...)
				break // then close the connection
			}
			if n == 0 {
				break // incomplete: wait for more bytes
			}
			args = cmd
			if len(cmd) > 0 {
				fmt.Printf("%q\n", cmd)
				out = resp.AppendSimple(out, "OK")
			}
			pending = pending[n:]
		}
	}
	fmt.Printf("%q\n", out)
	// Output:
	// ["ECHO" "hi"]
	// ["PING"]
	// ["SET" "k" "a b"]
	// "+OK\r\n+OK\r\n+OK\r\n"
}
