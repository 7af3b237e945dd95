// SPDX-License-Identifier: Apache-2.0
//
// A Go service with net/http/pprof for the http plugin test: two goroutines
// run heavyWork() three times as long as lightWork(), in loop iterations, so
// a CPU profile of the service gives them 75 % and 25 % of the samples in
// them.  It listens on 127.0.0.1 on a port the kernel picks and prints
// "PORT N" once it accepts connections.
package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
)

var sink uint32

//go:noinline
func burn(n int) uint32 {
	x := uint32(1)
	for i := 0; i < n; i++ {
		x = x*1664525 + uint32(i)
	}
	return x
}

//go:noinline
func heavyWork(unit int) uint32 { return burn(3 * unit) }

//go:noinline
func lightWork(unit int) uint32 { return burn(unit) }

func work() {
	var s uint32
	for {
		s ^= heavyWork(200000)
		s ^= lightWork(200000)
		sink = s
	}
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go work()
	go work()
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	fmt.Fprintln(os.Stderr, http.Serve(ln, nil))
	os.Exit(1)
}
