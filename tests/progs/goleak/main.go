// goleak - a Go program that leaks a known number of open files.
//
// main.leakFiles opens N files under DIR with os.Open and never closes them (the
// *os.File values are kept in a global, so no finalizer closes them either);
// main.churnFiles opens and closes many more. Go makes its syscalls itself (no
// libc) and keeps frame pointers, so a tracer that walks the stack at the
// openat syscall finds main.leakFiles above the runtime's syscall code.
//
// Usage: goleak DIR N [CHURN]
//
//	creates DIR/leak-0 .. DIR/leak-(N-1) and DIR/churn, leaks N open files,
//	opens and closes DIR/churn CHURN times (default 1000), prints the paths it
//	leaked, one per line, and exits 0 (3 if something failed).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

var kept []*os.File

func create(path string) {
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		os.Exit(3)
	}
}

//go:noinline
func leakFiles(dir string, n int) []string {
	var paths []string
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, "leak-"+strconv.Itoa(i))
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			os.Exit(3)
		}
		kept = append(kept, f)
		paths = append(paths, p)
	}
	return paths
}

//go:noinline
func churnFiles(dir string, n int) {
	p := filepath.Join(dir, "churn")
	for i := 0; i < n; i++ {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			os.Exit(3)
		}
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			os.Exit(3)
		}
	}
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: goleak DIR N [CHURN]")
		os.Exit(2)
	}
	dir := os.Args[1]
	n, err := strconv.Atoi(os.Args[2])
	churn := 1000
	if err == nil && len(os.Args) > 3 {
		churn, err = strconv.Atoi(os.Args[3])
	}
	if err != nil || n < 0 || churn < 0 {
		fmt.Fprintln(os.Stderr, "usage: goleak DIR N [CHURN]")
		os.Exit(2)
	}
	for i := 0; i < n; i++ {
		create(filepath.Join(dir, "leak-"+strconv.Itoa(i)))
	}
	create(filepath.Join(dir, "churn"))
	churnFiles(dir, churn)
	paths := leakFiles(dir, n)
	churnFiles(dir, churn)
	for _, p := range paths {
		fmt.Println(p)
	}
	if len(kept) != n {
		os.Exit(3)
	}
}
