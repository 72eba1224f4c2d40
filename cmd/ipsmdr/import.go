package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collector"
	"github.com/ipsmdr/ipsmdr/internal/config"
)

func runImport(ctx context.Context, io *stdio, args []string) error {
	fs := newFlagSet(io, "import", "import [--db sqlite:PATH | --db postgres://...] [--site NAME] [flags] FILE... (- for standard input)")
	sf := bindStoreFlags(io, fs)
	quiet := fs.Bool("quiet", false, "print no progress, only the summary")
	if err := parseFlags(io, fs, args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		return usagef("import needs at least one FILE of records (or - for standard input)")
	}
	for _, f := range files {
		if f == "-" {
			continue
		}
		if fi, err := os.Stat(f); err != nil {
			return usagef("%v", err)
		} else if fi.IsDir() {
			return usagef("%s is a directory: give record files", f)
		}
	}
	log := newLogger(io, config.Log{Level: "warn", Format: "text"})
	st, c, err := sf.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()

	start := time.Now()
	var total collector.Result
	for _, name := range files {
		res, err := importFile(ctx, io, c, name, !*quiet)
		total.Add(res)
		if err != nil {
			printImportSummary(io.stdout, total, time.Since(start))
			return fmt.Errorf("import %s: %w", name, err)
		}
	}
	closed, err := c.CloseStale(ctx, time.Now())
	if err != nil {
		return err
	}
	printImportSummary(io.stdout, total, time.Since(start))
	if closed > 0 {
		fmt.Fprintf(io.stdout, "calls closed by timeout: %d (no DISCONNECTED within %s)\n", closed, *sf.callTimeout)
	}
	counts, err := st.Counts(ctx, c.Site())
	if err == nil {
		fmt.Fprintf(io.stdout, "site %q now holds %d lines, %d parse errors, %d calls (%d in progress)\n",
			c.Site(), counts.Lines, counts.ParseErrors, counts.Calls, counts.OpenCalls)
	}
	return nil
}

// importFile imports one file (or standard input for "-"), showing its
// progress on standard error.
func importFile(ctx context.Context, std *stdio, c *collector.Collector, name string, showProgress bool) (collector.Result, error) {
	var r io.Reader = std.stdin
	var size int64
	source := "import:stdin"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return collector.Result{}, err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		r = f
		source = "import:" + filepath.Base(name)
	}
	var p *progress
	if showProgress {
		p = newProgress(std.stderr, name, size)
		defer p.done()
	}
	return c.Import(ctx, r, source, func(n int64) {
		if p != nil {
			p.update(n)
		}
	})
}

func printImportSummary(w io.Writer, r collector.Result, took time.Duration) {
	rate := float64(r.Read) / max(took.Seconds(), 1e-9)
	fmt.Fprintf(w, "lines read: %d, stored: %d, duplicates: %d, parse errors: %d, read with a warning: %d (%.1fs, %.0f lines/s)\n",
		r.Read, r.Stored, r.Duplicates, r.Errors, r.Warnings, took.Seconds(), rate)
}

// progress draws a progress bar on a terminal, and a line every 10 s
// elsewhere (a log file, CI).
type progress struct {
	w     io.Writer
	name  string
	size  int64
	tty   bool
	start time.Time

	mu   sync.Mutex
	last time.Time
	n    int64
}

func newProgress(w io.Writer, name string, size int64) *progress {
	return &progress{w: w, name: name, size: size, tty: isTerminal(w), start: time.Now()}
}

func (p *progress) update(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n = n
	every := 10 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	p.draw()
}

func (p *progress) draw() {
	rate := float64(p.n) / max(time.Since(p.start).Seconds(), 1e-9) / (1 << 20)
	text := fmt.Sprintf("%s: %s read, %.1f MB/s", p.name, mb(p.n), rate)
	if p.size > 0 {
		frac := min(float64(p.n)/float64(p.size), 1)
		const width = 30
		filled := int(frac * width)
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = ' '
			if i < filled {
				bar[i] = '#'
			}
		}
		text = fmt.Sprintf("%s [%s] %3.0f%% %s of %s, %.1f MB/s", p.name, bar, frac*100, mb(p.n), mb(p.size), rate)
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", text)
	} else {
		fmt.Fprintln(p.w, text)
	}
}

// done draws the final state and ends the line.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.draw()
		fmt.Fprintln(p.w)
	}
}

// mb formats a byte count for the progress line.
func mb(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}
