package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// releaseBinaryPages drops from the process's page tables the pages of its own binary's
// read-only mappings (code, read-only data, the function and type tables). Every package's
// initialisation touches its pages once at start (every provider SDK's, whichever stores
// exist), and the kernel maps 64 KiB around each page touched; after this only the code and
// tables the process goes on using are faulted back in, from the page cache, without I/O.
// Read-only pages of a file are identical to the file, so nothing is lost: this is what the
// kernel itself does to them under memory pressure. It returns the bytes of the mappings
// released.
func releaseBinaryPages() uint64 {
	exe, err := os.Executable()
	if err != nil {
		return 0
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0
	}
	defer f.Close()
	var released uint64
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		// 00400000-02578000 r-xp 00000000 08:01 123 /path/to/ferry
		fields := strings.Fields(scanner.Text())
		if len(fields) < 6 || fields[5] != exe || !readOnly(fields[1]) {
			continue
		}
		from, to, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(from, 16, 64)
		end, err2 := strconv.ParseUint(to, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED); errno == 0 {
			released += end - start
		}
	}
	return released
}

// readOnly says whether a mapping's permissions ("r-xp", "r--p") allow no write: a private
// mapping that was never writable holds exactly the file's bytes.
func readOnly(perms string) bool {
	return len(perms) == 4 && perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p'
}
