// gogrow - a pure Go program whose heap grows at a steady rate.
//
// main.grow appends a fresh CHUNK-byte slice (default 1 MiB) to a global slice
// every 100 ms and writes every page of it, so the Go heap and the resident set
// grow by CHUNK ten times a second. The runtime gets its memory with mmap, not
// libc's malloc, so a tracer sees this growth through RSS (kmem/rss_stat or
// /proc), not through heap uprobes. Ticks are on an absolute schedule, so a
// late tick catches up and the rate holds on a loaded machine.
//
// Usage: gogrow SECONDS [CHUNK]
//
//	prints {"event":"start","pid":N,"mode":"gogrow","time":T} at start and
//	{"event":"end","pid":N,"time":T,"bytes":B} at the end (times in seconds
//	since the epoch), runs for SECONDS (SIGTERM or SIGINT end it earlier) and
//	exits 0; 2 on bad usage.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

var kept [][]byte

func now() float64 {
	return float64(time.Now().UnixNano()) / 1e9
}

//go:noinline
func grow(chunk int) {
	b := make([]byte, chunk)
	for i := 0; i < len(b); i += 4096 {
		b[i] = byte(i>>12) | 1
	}
	kept = append(kept, b)
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: gogrow SECONDS [CHUNK]")
		os.Exit(2)
	}
	secs, err := strconv.ParseFloat(os.Args[1], 64)
	chunk := 1 << 20
	if err == nil && len(os.Args) == 3 {
		chunk, err = strconv.Atoi(os.Args[2])
	}
	if err != nil || secs <= 0 || chunk <= 0 {
		fmt.Fprintln(os.Stderr, "usage: gogrow SECONDS [CHUNK]")
		os.Exit(2)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)

	start := time.Now()
	fmt.Printf("{\"event\":\"start\",\"pid\":%d,\"mode\":\"gogrow\",\"time\":%.6f}\n", os.Getpid(), now())
	end := start.Add(time.Duration(secs * float64(time.Second)))
	tick := 100 * time.Millisecond
loop:
	for n := 1; ; n++ {
		el := time.Since(start)
		for len(kept) < int(el/tick)+1 {
			grow(chunk)
		}
		next := start.Add(time.Duration(n) * tick)
		if !next.Before(end) {
			next = end
		}
		select {
		case <-sig:
			break loop
		case <-time.After(time.Until(next)):
		}
		if !time.Now().Before(end) {
			break
		}
	}
	fmt.Printf("{\"event\":\"end\",\"pid\":%d,\"time\":%.6f,\"bytes\":%d}\n", os.Getpid(), now(), len(kept)*chunk)
}
