package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/rogpeppe/go-internal/testscript"
)

// The adversarial corpus (make adversarial): hostile and careless inputs in
// testdata/adversarial/*.txtar, each run under a time and memory limit, with
// commands that assert no file outside the expected outputs changed and that
// a JSON report keeps the accounting invariant. docs/safety.md says what
// tokcost promises; each case names the promise it checks.
//
// Limits: every tokcost run in these scripts is watched by limitsWatchdog,
// started in the child process when TOKCOST_TEST_LIMITS is set
// ("timeout=20s,rss=1024", rss in MiB). A case may lower them with
// `env TOKCOST_TEST_LIMITS=…`. A run over a limit exits 97 (memory) or 98
// (time) with a message on stderr, so the script's exit assertion fails.
const defaultAdversarialLimits = "timeout=30s,rss=1024"

func TestAdversarial(t *testing.T) {
	td, err := filepath.Abs("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/adversarial",
		RequireExplicitExec: true,
		UpdateScripts:       *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("TESTDATA", td)
			env.Setenv("NO_COLOR", "1")
			env.Setenv("TOKCOST_TEST_LIMITS", defaultAdversarialLimits)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "mknod" {
				return canMknod(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"snapshot":   cmdSnapshot,
			"unchanged":  cmdUnchanged,
			"accounting": cmdAccounting,
			"hostile":    cmdHostile,
			"mknod-null": cmdMknodNull,
			"filetype":   cmdFiletype,
			"hardlink":   cmdHardlink,
			"status":     cmdStatus,
			"compress":   cmdCompress,
			"truncate":   cmdTruncate,
			"jsonsame":   cmdJSONSame,
		},
	})
}

// snapshots holds each script's named snapshots of $WORK.
var snapshots sync.Map // key: snapKey → map[string]string (path → fingerprint)

type snapKey struct {
	ts   *testscript.TestScript
	name string
}

// fingerprintTree maps every entry below root (relative path) to its type,
// mode, link target and content hash; links are not followed.
func fingerprintTree(ts *testscript.TestScript, root string) map[string]string {
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." || rel == ".tmp" || strings.HasPrefix(rel, ".tmp"+string(filepath.Separator)) {
			if d.IsDir() && rel == ".tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		fp := info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fp += " -> " + target
		case info.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			fp += " " + hex.EncodeToString(h.Sum(nil))
		}
		out[rel] = fp
		return nil
	})
	ts.Check(err)
	return out
}

// snapshot NAME: remember every file below $WORK (outside $WORK/.tmp).
func cmdSnapshot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: snapshot NAME")
	}
	snapshots.Store(snapKey{ts, args[0]}, fingerprintTree(ts, ts.Getenv("WORK")))
}

// unchanged NAME [PATH...]: every file below $WORK is as snapshot NAME saw
// it, except the listed paths (relative to $WORK; a listed directory covers
// what is below it), which may have changed, appeared or gone. Anything
// else that changed, appeared (a temp file left behind) or vanished fails.
func cmdUnchanged(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: unchanged NAME [PATH...]")
	}
	v, ok := snapshots.Load(snapKey{ts, args[0]})
	if !ok {
		ts.Fatalf("no snapshot %q", args[0])
	}
	before := v.(map[string]string)
	after := fingerprintTree(ts, ts.Getenv("WORK"))
	allowed := func(p string) bool {
		for _, a := range args[1:] {
			a = filepath.Clean(a)
			if p == a || strings.HasPrefix(p, a+string(filepath.Separator)) {
				return true
			}
		}
		return false
	}
	var diffs []string
	for p, fp := range before {
		if allowed(p) {
			continue
		}
		if got, ok := after[p]; !ok {
			diffs = append(diffs, "vanished: "+p)
		} else if got != fp {
			diffs = append(diffs, "changed: "+p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok && !allowed(p) {
			diffs = append(diffs, "appeared: "+p)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		ts.Fatalf("files changed outside the allowed outputs:\n%s", strings.Join(diffs, "\n"))
	}
}

// accounting FILE: FILE is an `analyze --format json` report whose input
// counts keep the invariant
// lines = lines_with_records + duplicates + invalid + blank + skipped.
func cmdAccounting(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: accounting FILE")
	}
	var rep struct {
		Input *struct {
			Lines            *int64 `json:"lines"`
			LinesWithRecords int64  `json:"lines_with_records"`
			Duplicates       int64  `json:"duplicates"`
			Invalid          int64  `json:"invalid"`
			Blank            int64  `json:"blank"`
			Skipped          int64  `json:"skipped"`
		} `json:"input"`
	}
	data := ts.ReadFile(args[0])
	if err := json.Unmarshal([]byte(data), &rep); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	if rep.Input == nil || rep.Input.Lines == nil {
		ts.Fatalf("%s: no input.lines", args[0])
	}
	in := rep.Input
	sum := in.LinesWithRecords + in.Duplicates + in.Invalid + in.Blank + in.Skipped
	if *in.Lines != sum {
		ts.Fatalf("accounting: lines %d != with_records %d + duplicates %d + invalid %d + blank %d + skipped %d = %d",
			*in.Lines, in.LinesWithRecords, in.Duplicates, in.Invalid, in.Blank, in.Skipped, sum)
	}
}

// mknod-null PATH: make a character device like /dev/null (1,3) at PATH,
// so a case can write to a device without risking the real /dev/null if
// tokcost regresses. Guard it with the condition [mknod] (root only).
func cmdMknodNull(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mknod-null PATH")
	}
	ts.Check(syscall.Mknod(ts.MkAbs(args[0]), syscall.S_IFCHR|0o666, 1<<8|3))
}

// canMknod is the condition [mknod]: this process may make device nodes.
func canMknod() bool {
	dir, err := os.MkdirTemp("", "tokcost-mknod")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	return syscall.Mknod(filepath.Join(dir, "null"), syscall.S_IFCHR|0o666, 1<<8|3) == nil
}

// filetype PATH TYPE: PATH (not followed if a link) is a TYPE: regular,
// dir, symlink, chardev or fifo.
func cmdFiletype(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: filetype PATH TYPE")
	}
	st, err := os.Lstat(ts.MkAbs(args[0]))
	ts.Check(err)
	m := st.Mode()
	got := "other"
	switch {
	case m.IsRegular():
		got = "regular"
	case m.IsDir():
		got = "dir"
	case m&fs.ModeSymlink != 0:
		got = "symlink"
	case m&fs.ModeCharDevice != 0:
		got = "chardev"
	case m&fs.ModeNamedPipe != 0:
		got = "fifo"
	}
	if (got == args[1]) == neg {
		ts.Fatalf("%s is a %s (%s)", args[0], got, m)
	}
}

// hardlink OLD NEW: make NEW a second name of OLD.
func cmdHardlink(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: hardlink OLD NEW")
	}
	ts.Check(os.Link(ts.MkAbs(args[0]), ts.MkAbs(args[1])))
}

// status N PROG [ARGS...]: run PROG (tokcost) in the script's directory
// and environment and require exit status N; its output is logged. Use
// it beside `exec`, which only tells zero from non-zero.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "WORK", "TESTDATA", "NO_COLOR", "TOKCOST_TEST_LIMITS"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	out, _ := cmd.CombinedOutput()
	ts.Logf("%s", out)
	if got := cmd.ProcessState.ExitCode(); got != want {
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// compress gzip|zstd SRC DST: write SRC compressed to DST.
func cmdCompress(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: compress gzip|zstd SRC DST")
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	var buf bytes.Buffer
	switch args[0] {
	case "gzip":
		w := gzip.NewWriter(&buf)
		_, err = w.Write(data)
		ts.Check(err)
		ts.Check(w.Close())
	case "zstd":
		w, err := zstd.NewWriter(&buf)
		ts.Check(err)
		_, err = w.Write(data)
		ts.Check(err)
		ts.Check(w.Close())
	default:
		ts.Fatalf("compress: unknown %q", args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), buf.Bytes(), 0o644))
}

// truncate FILE N: cut FILE to its first N bytes.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncate FILE N")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ts.Check(os.Truncate(ts.MkAbs(args[0]), n))
}

// jsonsame A B KEY...: the JSON files A and B hold equal values at each
// dotted KEY (input.records, sessions): a run is checked against a run of
// the same traces without the hostile extras.
func cmdJSONSame(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: jsonsame A B KEY...")
	}
	var a, b any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &a))
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &b))
	at := func(v any, key string) any {
		for _, k := range strings.Split(key, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		}
		return v
	}
	for _, k := range args[2:] {
		va, vb := at(a, k), at(b, k)
		if va == nil {
			ts.Fatalf("%s: no %s", args[0], k)
		}
		ja, _ := json.Marshal(va)
		jb, _ := json.Marshal(vb)
		if (string(ja) == string(jb)) == neg {
			ts.Fatalf("%s: %s in %s, %s in %s", k, ja, args[0], jb, args[1])
		}
	}
}

// limitsWatchdog enforces TOKCOST_TEST_LIMITS in a tokcost child process
// of the adversarial scripts: it polls the resident set and the clock, and
// ends the process with a message past either limit. done reports the
// peak resident set (getrusage) once Main has returned.
func limitsWatchdog(spec string) (done func() int) {
	timeout, rssMiB := 30*time.Second, int64(1024)
	for _, kv := range strings.Split(spec, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		switch k {
		case "timeout":
			d, err := time.ParseDuration(v)
			if err == nil {
				timeout = d
			}
		case "rss":
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				rssMiB = n
			}
		}
	}
	limit := rssMiB << 20
	start := time.Now()
	go func() {
		page := int64(os.Getpagesize())
		for range time.Tick(20 * time.Millisecond) {
			if b, err := os.ReadFile("/proc/self/statm"); err == nil {
				if f := strings.Fields(string(b)); len(f) > 1 {
					if pages, err := strconv.ParseInt(f[1], 10, 64); err == nil && pages*page > limit {
						fmt.Fprintf(os.Stderr, "adversarial: resident set %d MiB over the %d MiB limit\n", pages*page>>20, rssMiB)
						os.Exit(97)
					}
				}
			}
			if time.Since(start) > timeout {
				fmt.Fprintf(os.Stderr, "adversarial: still running after %s\n", timeout)
				os.Exit(98)
			}
		}
	}()
	return func() int {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil && ru.Maxrss<<10 > limit {
			fmt.Fprintf(os.Stderr, "adversarial: peak resident set %d MiB over the %d MiB limit\n", ru.Maxrss>>10, rssMiB)
			return 97
		}
		return -1
	}
}

// TestLimitsWatchdogCatchesOverrun proves the corpus's limits can fail: a
// child that outlives its timeout is stopped with exit 98.
func TestLimitsWatchdogCatchesOverrun(t *testing.T) {
	if os.Getenv("TOKCOST_WATCHDOG_CHILD") == "1" {
		limitsWatchdog("timeout=100ms,rss=4096")
		time.Sleep(5 * time.Second)
		os.Exit(0)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := os.StartProcess(exe, []string{exe, "-test.run=^TestLimitsWatchdogCatchesOverrun$"},
		&os.ProcAttr{Env: append(os.Environ(), "TOKCOST_WATCHDOG_CHILD=1"), Files: []*os.File{nil, nil, os.Stderr}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if st.ExitCode() != 98 {
		t.Fatalf("exit code %d, want 98 (the watchdog's time-limit exit)", st.ExitCode())
	}
}
