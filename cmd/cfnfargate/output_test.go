package main

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// TestOutputThroughLinks proves that --output writes through symlinks to
// the file they lead to, which keeps its mode, and leaves the links in
// place; that a dangling link gets its target created, as the shell's >
// does; and that no temporary file is left behind.
func TestOutputThroughLinks(t *testing.T) {
	clearEnv(t)
	_, want, _ := runCLI(t, "emit")
	tests := []struct {
		name string
		// setup makes the files in dir and returns the --output path, the
		// file that must receive the template and the mode it must have.
		setup func(t *testing.T, dir string) (output, target string, mode fs.FileMode)
	}{
		{"new file", func(t *testing.T, dir string) (string, string, fs.FileMode) {
			return filepath.Join(dir, "t.yaml"), filepath.Join(dir, "t.yaml"), 0o644
		}},
		{"existing file keeps its mode", func(t *testing.T, dir string) (string, string, fs.FileMode) {
			p := filepath.Join(dir, "t.yaml")
			writeFile(t, p, "previous\n", 0o600)
			return p, p, 0o600
		}},
		{"symlink to a file", func(t *testing.T, dir string) (string, string, fs.FileMode) {
			target := filepath.Join(dir, "real.yaml")
			writeFile(t, target, "previous\n", 0o640)
			symlink(t, target, filepath.Join(dir, "link.yaml"))
			return filepath.Join(dir, "link.yaml"), target, 0o640
		}},
		{"relative links through a linked directory", func(t *testing.T, dir string) (string, string, fs.FileMode) {
			// out/link.yaml -> ../data/real.yaml, where out is a link to
			// deep/out: the kernel reads ../ against deep, not dir.
			must(t, os.MkdirAll(filepath.Join(dir, "deep", "out"), 0o755))
			must(t, os.MkdirAll(filepath.Join(dir, "deep", "data"), 0o755))
			target := filepath.Join(dir, "deep", "data", "real.yaml")
			writeFile(t, target, "previous\n", 0o600)
			symlink(t, "deep/out", filepath.Join(dir, "out"))
			symlink(t, "../data/real.yaml", filepath.Join(dir, "deep", "out", "link.yaml"))
			symlink(t, "out/link.yaml", filepath.Join(dir, "chain.yaml"))
			return filepath.Join(dir, "chain.yaml"), target, 0o600
		}},
		{"dangling symlink creates its target", func(t *testing.T, dir string) (string, string, fs.FileMode) {
			symlink(t, "later.yaml", filepath.Join(dir, "link.yaml"))
			return filepath.Join(dir, "link.yaml"), filepath.Join(dir, "later.yaml"), 0o644
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			output, target, mode := tt.setup(t, dir)
			links := linksIn(t, dir)
			old := syscall.Umask(0o022) // the umask the new files' mode assumes
			defer syscall.Umask(old)
			code, stdout, stderr := runCLI(t, "emit", "--output", output)
			if code != 0 || stdout != "" {
				t.Fatalf("exit %d, stdout %.80q, stderr %s", code, stdout, stderr)
			}
			if got, _ := os.ReadFile(target); string(got) != want {
				t.Errorf("%s does not hold the template: %.80q", target, got)
			}
			if info, err := os.Lstat(target); err != nil || info.Mode() != mode {
				t.Errorf("%s: mode %v, err %v; want %v", target, info.Mode(), err, mode)
			}
			if got := linksIn(t, dir); strings.Join(got, "\n") != strings.Join(links, "\n") {
				t.Errorf("the links changed:\n%v\nwant\n%v", got, links)
			}
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if strings.Contains(d.Name(), ".tmp-") {
					t.Errorf("temporary file left behind: %s", p)
				}
				return nil
			})
		})
	}
}

// TestOutputSpecialFiles proves that --output writes directly to what is
// not a regular file and cannot be replaced: "-" and /dev/stdout (here a
// link to this process's /proc/self/fd/1, as /dev/stdout is) are stdout,
// and a FIFO, as bash's >(wc -c) gives, is written to and stays a FIFO.
func TestOutputSpecialFiles(t *testing.T) {
	clearEnv(t)
	_, want, _ := runCLI(t, "emit")

	t.Run("dash is stdout", func(t *testing.T) {
		t.Chdir(t.TempDir())
		code, stdout, stderr := runCLI(t, "emit", "-o", "-")
		if code != 0 || stdout != want {
			t.Errorf("exit %d, stdout %.80q, stderr %s", code, stdout, stderr)
		}
		if _, err := os.Lstat("-"); err == nil {
			t.Error("a file named - was written")
		}
	})

	t.Run("a link to /proc/self/fd/1 is stdout", func(t *testing.T) {
		if _, err := os.Stat("/proc/self/fd/1"); err != nil {
			t.Skip("no /proc/self/fd:", err)
		}
		link := filepath.Join(t.TempDir(), "stdout")
		symlink(t, "/proc/self/fd/1", link)
		code, stdout, stderr := runCLI(t, "emit", "-o", link)
		if code != 0 || stdout != want {
			t.Errorf("exit %d, stdout %.80q, stderr %s", code, stdout, stderr)
		}
		if target, err := os.Readlink(link); err != nil || target != "/proc/self/fd/1" {
			t.Errorf("the link was replaced: %q, %v", target, err)
		}
	})

	t.Run("FIFO", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no FIFOs")
		}
		fifo := filepath.Join(t.TempDir(), "fifo")
		must(t, syscall.Mkfifo(fifo, 0o600))
		// Opened read-write, the FIFO does not wait for a writer, and a
		// deadline ends the read if nothing comes.
		r, err := os.OpenFile(fifo, os.O_RDWR, 0)
		must(t, err)
		defer r.Close()
		must(t, r.SetReadDeadline(time.Now().Add(10*time.Second)))
		got := make(chan string, 1)
		go func() {
			buf := make([]byte, len(want))
			n, _ := io.ReadFull(r, buf)
			got <- string(buf[:n])
		}()
		code, stdout, stderr := runCLI(t, "emit", "-o", fifo)
		if code != 0 || stdout != "" {
			t.Fatalf("exit %d, stdout %.80q, stderr %s", code, stdout, stderr)
		}
		if info, err := os.Lstat(fifo); err != nil || info.Mode()&fs.ModeNamedPipe == 0 {
			t.Fatalf("the FIFO was replaced: %v, %v", info.Mode(), err)
		}
		if s := <-got; s != want {
			t.Errorf("the FIFO's reader got %d bytes, want the %d of the template", len(s), len(want))
		}
	})
}

// TestOutputErrors proves that an --output path that cannot be written is
// bad input (exit 2) whose message names the path given, never a
// temporary file, and that nothing is left behind.
func TestOutputErrors(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	must(t, os.Mkdir(sub, 0o755))
	symlink(t, filepath.Join(dir, "missing", "t.yaml"), filepath.Join(dir, "dangling.yaml"))
	tests := []struct {
		name   string
		output string
		want   string
	}{
		{"a directory", sub, "--output " + sub + ": is a directory"},
		{"a directory name", sub + "/", "--output " + sub + "/: names a directory"},
		{"a missing directory", filepath.Join(dir, "missing", "t.yaml"), "--output " + filepath.Join(dir, "missing", "t.yaml") + ": no such file or directory"},
		{"a link into a missing directory", filepath.Join(dir, "dangling.yaml"),
			"--output " + filepath.Join(dir, "dangling.yaml") + " (a link to " + filepath.Join(dir, "missing", "t.yaml") + "): no such file or directory"},
	}
	if runtime.GOOS == "linux" {
		// A regular file in a directory nobody may create files in, root
		// included.
		tests = append(tests, struct{ name, output, want string }{"a read-only directory", "/proc/version", "--output /proc/version: "})
	}
	if os.Geteuid() != 0 {
		locked := filepath.Join(dir, "locked")
		must(t, os.Mkdir(locked, 0o500))
		tests = append(tests, struct{ name, output, want string }{"an unwritable directory", filepath.Join(locked, "t.yaml"),
			"--output " + filepath.Join(locked, "t.yaml") + ": cannot create a file in " + locked + ": permission denied"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "emit", "--output", tt.output)
			if code != deploy.ExitInput || stdout != "" {
				t.Errorf("exit %d, stdout %.80q; want exit %d", code, stdout, deploy.ExitInput)
			}
			if !strings.Contains(stderr, tt.want) || strings.Contains(stderr, ".tmp-") {
				t.Errorf("stderr = %q, want it to contain %q and no temporary file", stderr, tt.want)
			}
		})
	}
	if entries, _ := os.ReadDir(sub); len(entries) != 0 {
		t.Errorf("files were left in %s: %v", sub, entries)
	}
}

func writeFile(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	must(t, os.WriteFile(path, []byte(content), mode))
	must(t, os.Chmod(path, mode))
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	must(t, os.Symlink(target, link))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// linksIn lists the symlinks under dir with their targets.
func linksIn(t *testing.T, dir string) []string {
	t.Helper()
	var links []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			links = append(links, p+" -> "+target)
		}
		return nil
	})
	return links
}
