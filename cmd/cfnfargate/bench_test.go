package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// releaseBuild is the binary `make build` makes, with its BUILDFLAGS,
// built once per test binary for the benchmarks, which measure what users
// run.
var releaseBuild struct {
	once sync.Once
	path string
	size int64
	err  error
}

func buildRelease(b *testing.B) (string, int64) {
	b.Helper()
	releaseBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "cfnfargate-bench-")
		if err != nil {
			releaseBuild.err = err
			return
		}
		releaseBuild.path = filepath.Join(dir, "cfnfargate")
		cmd := exec.Command("make", "-s", "build", "BIN="+releaseBuild.path)
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			releaseBuild.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		info, err := os.Stat(releaseBuild.path)
		if err != nil {
			releaseBuild.err = err
			return
		}
		releaseBuild.size = info.Size()
	})
	if releaseBuild.err != nil {
		b.Fatal(releaseBuild.err)
	}
	return releaseBuild.path, releaseBuild.size
}

// BenchmarkEmitProcess measures `cfnfargate emit` as a user runs it: a
// whole process, start-up and package initialization included, writing the
// default template. ns/op is wall time and cpu-ms/op the process's user
// plus system time, which other load on the machine disturbs less.
// Compare runs with benchstat; the machine's load shows in both.
func BenchmarkEmitProcess(b *testing.B) {
	path, size := buildRelease(b)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir()}
	for _, args := range [][]string{{"emit"}, {"emit", "--format", "json"}, {"--version"}} {
		b.Run(strings.Join(args, "_"), func(b *testing.B) {
			var cpu time.Duration
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				cmd := exec.Command(path, args...)
				cmd.Env = env
				cmd.Stdout = &out
				if err := cmd.Run(); err != nil {
					b.Fatalf("%v: %v", args, err)
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(size)/1e6, "binary-MB")
		})
	}
}

// BenchmarkEmitInProcess measures what `cfnfargate emit` does after start-up:
// the command line, settings, Build and YAML, without the process and
// package initialization that BenchmarkEmitProcess includes.
func BenchmarkEmitInProcess(b *testing.B) {
	b.Setenv("HOME", b.TempDir())
	b.ReportAllocs()
	var out, errOut bytes.Buffer
	for b.Loop() {
		out.Reset()
		errOut.Reset()
		if code := run([]string{"cfnfargate", "emit"}, &out, &errOut); code != 0 {
			b.Fatalf("emit exited %d: %s", code, errOut.String())
		}
	}
	b.ReportMetric(float64(out.Len()), "yaml-bytes")
}
