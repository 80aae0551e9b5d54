package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// maxSymlinks bounds the links followed to the file --output names, as the
// kernel does (ELOOP after 40 on Linux).
const maxSymlinks = 40

// outputTarget is the file that --output names, after its symlinks.
type outputTarget struct {
	path     string
	info     fs.FileInfo // nil when the file does not exist yet
	fd       int         // a descriptor of this process (/dev/stdout, /dev/fd/N), or -1
	followed bool        // whether a symlink led to path
}

// writeOutput writes data to the path given with --output:
//   - "-" is stdout;
//   - a regular file, or a new one, is replaced atomically: a temporary file
//     beside it, then a rename. Through symlinks the target is replaced, so
//     the links stay links, and an existing file keeps its mode;
//   - /dev/stdout, /dev/fd/N and /proc/self/fd/N are descriptors this process
//     holds, written to as they are (a pipe, or a file opened with >>);
//   - anything else that is not a regular file (a FIFO, a terminal, a
//     device) is written to directly: it cannot be replaced, and must not be.
//
// An error names the given path, never the temporary file. A path that
// cannot be written is bad input (exit 2); a write that fails part-way is
// a failure (exit 1).
func writeOutput(given string, data []byte, stdout, stderr io.Writer) error {
	if given == "-" {
		_, err := stdout.Write(data)
		return err
	}
	if strings.HasSuffix(given, "/") {
		return badInput(fmt.Errorf("--output %s: names a directory; give a file name", given))
	}
	target, err := resolveOutput(given)
	if err != nil {
		return outputError(given, target, deploy.ExitInput, err)
	}
	switch {
	case target.fd == 1:
		_, err = stdout.Write(data)
	case target.fd == 2:
		_, err = stderr.Write(data)
	case target.fd >= 0:
		_, err = os.NewFile(uintptr(target.fd), target.path).Write(data)
	case target.info != nil && target.info.IsDir():
		return badInput(fmt.Errorf("--output %s: is a directory; give a file name", given))
	case target.info == nil || target.info.Mode().IsRegular():
		return replaceFile(given, target, data)
	default:
		err = writeDirectly(target.path, data)
	}
	if err != nil {
		return outputError(given, target, deploy.ExitFailure, err)
	}
	return nil
}

// resolveOutput follows the symlinks of path to the file they lead to.
// Each directory is resolved before a relative link is read against it,
// as the kernel does.
func resolveOutput(path string) (outputTarget, error) {
	procFD := fmt.Sprintf("/proc/%d/fd", os.Getpid())
	t := outputTarget{path: path, fd: -1}
	for hops := 0; ; hops++ {
		dir, err := filepath.EvalSymlinks(filepath.Dir(t.path))
		if err != nil {
			return t, err
		}
		t.path = filepath.Join(dir, filepath.Base(t.path))
		info, err := os.Lstat(t.path)
		// /dev/stdout and /dev/fd/N lead to a descriptor in /proc/PID/fd.
		// Its link's target is not a path to reopen (pipe:[1234]), and
		// reopening would lose the descriptor's offset and append mode.
		if n, convErr := strconv.Atoi(filepath.Base(t.path)); dir == procFD && convErr == nil && err == nil {
			t.fd = n
			return t, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return t, nil // a new file, or the target of a dangling link
		}
		if err != nil {
			return t, err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			t.info = info
			return t, nil
		}
		if hops == maxSymlinks {
			return t, errors.New("too many levels of symbolic links")
		}
		link, err := os.Readlink(t.path)
		if err != nil {
			return t, err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(dir, link)
		}
		t.path, t.followed = link, true
	}
}

// replaceFile writes data to a temporary file beside the target and
// renames it over the target, so that the target never holds a partial
// template.
func replaceFile(given string, target outputTarget, data []byte) error {
	// A new file gets 0666 less the umask, as the shell's > gives it.
	perm := fs.FileMode(0o666)
	if target.info != nil {
		perm = target.info.Mode().Perm()
	}
	tmp, err := createTemp(target.path, perm)
	if err != nil {
		return outputError(given, target, deploy.ExitInput, fmt.Errorf("cannot create a file in %s: %w", filepath.Dir(target.path), unwrapPath(err)))
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil && target.info != nil {
		err = tmp.Chmod(perm) // the umask may have cleared bits of the old mode
	}
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), target.path)
	}
	if err != nil {
		return outputError(given, target, deploy.ExitFailure, err)
	}
	return nil
}

// createTemp creates a new file beside path, with mode perm less the umask.
func createTemp(path string, perm fs.FileMode) (*os.File, error) {
	for {
		name := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}

// writeDirectly writes to a file that is not a regular one. It has nothing
// to truncate, and opening a FIFO waits for a reader, as the shell's > does.
func writeDirectly(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	return err
}

// outputError names the given path, and the file it leads to through
// symlinks, with the system's reason; the path inside the error (perhaps
// the temporary file's) is dropped.
func outputError(given string, target outputTarget, code int, err error) error {
	where := given
	if target.followed {
		where += " (a link to " + target.path + ")"
	}
	return &exitError{code: code, err: fmt.Errorf("--output %s: %w", where, unwrapPath(err))}
}

// unwrapPath drops the path from an *fs.PathError or *os.LinkError, and
// keeps the system's reason.
func unwrapPath(err error) error {
	var pathErr *fs.PathError
	var linkErr *os.LinkError
	switch {
	case errors.As(err, &pathErr):
		return pathErr.Err
	case errors.As(err, &linkErr):
		return linkErr.Err
	}
	return err
}
