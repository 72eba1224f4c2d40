package loadtest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The queue variants of the rsyslog relay, the peer the issue names: rsyslog
// relaying the same lines over TCP through a disk-assisted queue. In both,
// the main queue is Direct: the input hands each line to the action's queue
// itself, so that queue is the only one. (rsyslog's default main queue, an
// array of 100,000 messages in memory, took the lines faster but passed
// them on more slowly through the disk-assisted queue, and kept tens of
// thousands of them in memory ahead of the disk queue, whose durability
// it would then no longer have.)
const (
	// RsyslogDiskAssisted is the relay of rsyslog's "reliable forwarding"
	// example: an in-memory LinkedList action queue (1,000 messages,
	// rsyslog's default) that spills to disk when it fills and saves itself
	// on shutdown. A message on its way is on disk only when the queue
	// has overflowed.
	RsyslogDiskAssisted = "disk-assisted"
	// RsyslogDisk keeps every message in a disk queue, written and
	// fsynced (syncQueueFiles, checkpointInterval 1) before it is sent
	// on: the nearest rsyslog has to journal.sync always. rsyslog
	// acknowledges nothing to a plain TCP sender, so unlike ipsmdr's
	// ingest API the sender never learns that a line is safe.
	RsyslogDisk = "disk"
)

// RsyslogQueues returns the queue variants RunRsyslog measures.
func RsyslogQueues() []string { return []string{RsyslogDiskAssisted, RsyslogDisk} }

// ErrNoRsyslogd is returned when no rsyslogd program is installed.
var ErrNoRsyslogd = errors.New("rsyslogd not found in PATH or /usr/sbin: install it with 'apt-get install rsyslog' (the service need not run)")

// FindRsyslogd returns the path of the rsyslogd program: in PATH, else in
// /usr/sbin (often missing from a non-root PATH).
func FindRsyslogd() (string, error) {
	if p, err := exec.LookPath("rsyslogd"); err == nil {
		return p, nil
	}
	if p, err := exec.LookPath("/usr/sbin/rsyslogd"); err == nil {
		return p, nil
	}
	return "", ErrNoRsyslogd
}

// sendBuffer is the sender's socket send buffer, in bytes (the kernel
// doubles it for its bookkeeping): small, so that the lines counted as
// taken are the ones rsyslog read or its socket holds, not megabytes in
// the sender's own buffer (up to 4 MiB by default, 25,000 lines) that the
// disk queue needs over a minute to get through.
const sendBuffer = 64 << 10

// rsyslogStopTimeout is how long rsyslogd has to exit after SIGTERM (a disk
// queue saves itself) before it is killed.
const rsyslogStopTimeout = 10 * time.Second

// RunRsyslog measures rsyslog relaying lines with the given queue variant
// (RsyslogDiskAssisted or RsyslogDisk): it starts its own rsyslogd with a
// configuration in a temporary directory (an imtcp input, an omfwd TCP
// action to a receiver here, nothing else: no /dev/log, no system files),
// writes the same 164-byte lines as the ceiling, each numbered, to the
// input over one connection for opts.Duration (at most opts.Window lines
// ahead of the receiver), then waits for the receiver to get them all, each
// one intact and once, giving up when none has come for opts.Drain: a slow
// relay may take minutes to pass on what its socket took. It returns once
// rsyslogd has exited and every goroutine it started has ended.
//
// IngestRate is the lines rsyslog's socket took per second of writing;
// rsyslog acknowledges nothing, so a line taken may still be in a socket
// buffer or a queue in memory. DeliveredRate is the lines the receiver got
// per second from the first write to the last line; latencies run from
// just before the write to the read.
func RunRsyslog(ctx context.Context, queue string, opts Options) (Result, error) {
	opts = opts.withDefaults()
	if queue != RsyslogDiskAssisted && queue != RsyslogDisk {
		return Result{}, fmt.Errorf("rsyslog: unknown queue %q: want %q or %q", queue, RsyslogDiskAssisted, RsyslogDisk)
	}
	bin, err := FindRsyslogd()
	if err != nil {
		return Result{}, err
	}
	dir, err := os.MkdirTemp("", "ipsmdr-rsyslog-")
	if err != nil {
		return Result{}, fmt.Errorf("rsyslog: %w", err)
	}
	defer os.RemoveAll(dir)

	st := newStamps(opts.MaxRecords)
	rcv, err := listenRelay(st)
	if err != nil {
		return Result{}, fmt.Errorf("rsyslog: receiver: %w", err)
	}
	defer rcv.stop()

	d, conn, err := startRsyslogd(ctx, bin, dir, queue, rcv.ln.Addr().(*net.TCPAddr).Port)
	if err != nil {
		return Result{}, fmt.Errorf("rsyslog %s: %w", queue, err)
	}
	defer d.stop()
	opts.Logf("rsyslog %s: %s -n -f %s", queue, bin, d.conf)

	start := st.now()
	sent, sendErr := sendLines(ctx, conn, st, rcv, opts)
	sentFor := time.Duration(st.now() - start)
	conn.Close()
	drain(ctx, d, rcv, sent, opts.Drain)
	exitErr := d.exited()
	d.stop()
	rcv.stop()

	res := Result{
		Scenario: Scenario{Kind: "rsyslog " + queue, Clients: 1, Batch: ceilingChunk, Posters: 1},
		Ingested: sent, MinDelivered: rcv.unique.Load(),
		Errors: rcv.bad + int(rcv.dups), FirstError: rcv.firstBad,
	}
	res.Complete = res.MinDelivered == sent && rcv.bad == 0 && rcv.dups == 0
	switch {
	case sendErr != nil:
		res.Errors++
		res.FirstError = cmp.Or(res.FirstError, "send: "+sendErr.Error())
	case exitErr != nil:
		res.FirstError = cmp.Or(res.FirstError, fmt.Sprintf("rsyslogd exited early (%v): %s", exitErr, d.logTail()))
	case res.MinDelivered < sent:
		// Lost, or held back: the queue's files say which.
		why := fmt.Sprintf("%d of %d lines not received (none came for %v)", sent-res.MinDelivered, sent, opts.Drain)
		if n, ok := spooledLines(dir); ok {
			why += fmt.Sprintf("; rsyslogd's queue files held %d at shutdown", n)
		}
		res.FirstError = cmp.Or(res.FirstError, why)
	}
	res.IngestRate = float64(sent) / sentFor.Seconds()
	if last := rcv.last.Load(); res.MinDelivered > 0 && last > start {
		res.Elapsed = time.Duration(last - start)
		res.DeliveredRate = float64(res.MinDelivered) / res.Elapsed.Seconds()
	}
	res.P50, res.P99, res.P999 = rcv.hist.quantile(0.5), rcv.hist.quantile(0.99), rcv.hist.quantile(0.999)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

// drain waits until the receiver has all sent lines, rsyslogd exits, ctx
// is done or no line has come for idle.
func drain(ctx context.Context, d *rsyslogd, rcv *relayReceiver, sent int64, idle time.Duration) {
	got, since := rcv.unique.Load(), time.Now()
	for got < sent && ctx.Err() == nil && d.exited() == nil {
		select {
		case <-ctx.Done():
		case <-d.done:
		case <-time.After(5 * time.Millisecond):
		}
		if n := rcv.unique.Load(); n != got {
			got, since = n, time.Now()
		} else if time.Since(since) > idle {
			return
		}
	}
}

// spooledLines returns how many messages the relay's queue files held when
// rsyslogd stopped (it saves its queue on shutdown), from the queue's
// bookkeeping file; ok is false without one.
func spooledLines(dir string) (n int64, ok bool) {
	data, err := os.ReadFile(filepath.Join(dir, "spool", "relay.qi"))
	if err != nil {
		return 0, false
	}
	// A line "+iQueueSize:2:<digits in the count>:<count>:".
	for line := range strings.Lines(string(data)) {
		if rest, found := strings.CutPrefix(line, "+iQueueSize:"); found {
			f := strings.Split(rest, ":")
			if len(f) >= 3 {
				if n, err := strconv.ParseInt(f[2], 10, 64); err == nil {
					return n, true
				}
			}
		}
	}
	return 0, false
}

// rsyslogConfig returns the whole configuration of the relay. The relay
// must send on exactly the bytes it got, so: control characters are not
// escaped on reception (by default rsyslog turns the line's CR into the
// four characters "#015"); imtcp does not look for octet-counted framing
// (a frame that starts with a digit is taken for one: it would read the
// line's year as a length, log a framing error, drop the "2026-" and take
// the next 2,026 bytes as one message, cutting lines); the template sends
// the raw message (rsyslog's parsers take the date for a host name) and
// adds back the LF that imtcp's framing took.
func rsyslogConfig(dir, queue string, inPort, outPort int) string {
	spool := filepath.Join(dir, "spool")
	q := fmt.Sprintf(`queue.type="LinkedList" queue.filename="relay" queue.spoolDirectory=%q
         queue.maxDiskSpace="1g" queue.saveOnShutdown="on"`, spool)
	if queue == RsyslogDisk {
		q = fmt.Sprintf(`queue.type="Disk" queue.filename="relay" queue.spoolDirectory=%q
         queue.maxDiskSpace="1g" queue.saveOnShutdown="on" queue.syncQueueFiles="on" queue.checkpointInterval="1"`, spool)
	}
	return fmt.Sprintf(`# ipsmdr bench: rsyslog relay, %[1]s queue. Generated; loads nothing else.
global(workDirectory=%[2]q parser.escapeControlCharactersOnReceive="off" maxMessageSize="8k")
main_queue(queue.type="Direct")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="%[3]d" ruleset="relay" supportOctetCountedFraming="off")
template(name="line" type="string" string="%%rawmsg%%\n")
ruleset(name="relay") {
  action(type="omfwd" name="relay" target="127.0.0.1" port="%[4]d" protocol="tcp" template="line"
         action.resumeRetryCount="-1" action.resumeInterval="1"
         %[5]s)
}
# rsyslogd's own messages.
action(type="omfile" file=%[6]q)
`, queue, spool, inPort, outPort, q, filepath.Join(dir, "rsyslogd.log"))
}

// rsyslogd is a running rsyslogd child process.
type rsyslogd struct {
	cmd  *exec.Cmd
	conf string
	out  string // its stdout and stderr
	log  string // its own messages
	done chan struct{}
	err  error // of Wait, once done is closed
	once sync.Once
}

// startRsyslogd writes the configuration, starts rsyslogd and returns it
// with a connection to its input. The input's port is one the kernel has
// just handed out and taken back; should another program take it first,
// it tries again with another.
func startRsyslogd(ctx context.Context, bin, dir, queue string, outPort int) (*rsyslogd, net.Conn, error) {
	if err := os.MkdirAll(filepath.Join(dir, "spool"), 0o700); err != nil {
		return nil, nil, err
	}
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, nil, err
		}
		d, err := spawnRsyslogd(bin, dir, rsyslogConfig(dir, queue, port, outPort))
		if err != nil {
			return nil, nil, err
		}
		conn, err := d.dial(ctx, port)
		if err == nil {
			return d, conn, nil
		}
		d.stop()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		lastErr = err
	}
	return nil, nil, lastErr
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func spawnRsyslogd(bin, dir, conf string) (*rsyslogd, error) {
	d := &rsyslogd{
		conf: filepath.Join(dir, "rsyslog.conf"),
		out:  filepath.Join(dir, "rsyslogd.out"),
		log:  filepath.Join(dir, "rsyslogd.log"),
		done: make(chan struct{}),
	}
	if err := os.WriteFile(d.conf, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	// rsyslogd runs on past errors in its configuration, without the
	// setting in error; its check run refuses them.
	if msg, err := exec.Command(bin, "-N1", "-f", d.conf).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s -N1 -f %s: %w: %s", bin, d.conf, err, bytes.TrimSpace(msg))
	}
	out, err := os.Create(d.out)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child has its own copy
	d.cmd = exec.Command(bin, "-n", "-f", d.conf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = out, out
	d.cmd.SysProcAttr = childAttr()
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.done) }()
	return d, nil
}

// dial connects to the input once rsyslogd listens, for up to 10 s.
func (d *rsyslogd) dial(ctx context.Context, port int) (net.Conn, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return conn, nil
		}
		if err := d.exited(); err != nil {
			return nil, fmt.Errorf("rsyslogd exited (%v): %s", err, d.logTail())
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("rsyslogd does not listen on %s: %w: %s", addr, err, d.logTail())
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// exited returns why rsyslogd has ended, or nil while it runs.
func (d *rsyslogd) exited() error {
	select {
	case <-d.done:
		if d.err == nil {
			return errors.New("exit status 0")
		}
		return d.err
	default:
		return nil
	}
}

// stop sends SIGTERM, waits for rsyslogd to exit, and kills it after
// rsyslogStopTimeout.
func (d *rsyslogd) stop() {
	d.once.Do(func() {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(rsyslogStopTimeout):
			d.cmd.Process.Kill()
			<-d.done
		}
	})
}

// logTail returns the end of what rsyslogd printed and logged, for errors.
func (d *rsyslogd) logTail() string {
	var b []byte
	for _, p := range []string{d.out, d.log} {
		data, _ := os.ReadFile(p)
		b = append(b, data...)
	}
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	if len(b) == 0 {
		return "(it printed nothing)"
	}
	return string(b)
}

// sendLines writes numbered lines, ceilingChunk at a time, until the
// duration is over (or the table of send times is full), staying at most
// opts.Window lines ahead of the receiver. It returns how many lines the
// socket took: a write the deadline cuts short is finished to the end of
// its line, so that rsyslog gets whole lines only.
func sendLines(ctx context.Context, conn net.Conn, st *stamps, rcv *relayReceiver, opts Options) (int64, error) {
	stopClose := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopClose()
	tmpl := ceilingLines(1)
	chunk := make([]byte, 0, ceilingChunk*wireLength)
	end := time.Now().Add(opts.Duration)
	if err := conn.SetWriteDeadline(end); err != nil {
		return 0, err
	}
	if err := conn.(*net.TCPConn).SetWriteBuffer(sendBuffer); err != nil {
		return 0, err
	}
	var sent int64
	for ctx.Err() == nil && time.Now().Before(end) && sent+ceilingChunk <= int64(len(st.at)) {
		if opts.Window > 0 && sent-rcv.unique.Load() > int64(opts.Window) {
			time.Sleep(100 * time.Microsecond)
			continue
		}
		chunk = chunk[:0]
		now := st.now()
		for k := sent; k < sent+ceilingChunk; k++ {
			chunk = appendRelayLine(chunk, tmpl, uint64(k))
			st.at[k].Store(now)
		}
		n, err := conn.Write(chunk)
		if err != nil && ctx.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded) {
			if cut := n % wireLength; cut > 0 {
				conn.SetWriteDeadline(time.Time{})
				m, err2 := conn.Write(chunk[n : n-cut+wireLength])
				n, err = n+m, err2
			} else {
				err = nil
			}
		}
		sent += int64(n / wireLength)
		if err != nil {
			return sent, cmp.Or(ctx.Err(), err)
		}
	}
	return sent, ctx.Err()
}

// appendRelayLine appends line k: tmpl (ceilingLines(1)) with k as its
// Number.
func appendRelayLine(b, tmpl []byte, k uint64) []byte {
	n := len(b)
	b = append(b, tmpl...)
	putNumber(b[n:], k)
	return b
}

// relayReceiver accepts the relay's connections (omfwd may reconnect) and
// checks every line: the exact bytes sent, each number once.
type relayReceiver struct {
	ln   net.Listener
	st   *stamps
	tmpl []byte
	wg   sync.WaitGroup
	once sync.Once

	unique atomic.Int64 // distinct good lines received
	last   atomic.Int64 // when the latest arrived, ns since st.base

	mu       sync.Mutex // guards the rest, and conns
	conns    []net.Conn
	stopped  bool
	seen     []uint64 // bit k: line k received
	hist     histogram
	bad      int
	dups     int64
	firstBad string
}

func listenRelay(st *stamps) (*relayReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relayReceiver{ln: ln, st: st, tmpl: ceilingLines(1), seen: make([]uint64, (len(st.at)+63)/64)}
	r.wg.Add(1)
	go func() { defer r.wg.Done(); r.accept() }()
	return r, nil
}

func (r *relayReceiver) accept() {
	for {
		conn, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.stopped {
			r.mu.Unlock()
			conn.Close()
			return
		}
		r.conns = append(r.conns, conn)
		r.mu.Unlock()
		r.wg.Add(1)
		go func() { defer r.wg.Done(); r.read(conn) }()
	}
}

// read splits one connection's bytes at LF and checks each line.
func (r *relayReceiver) read(conn net.Conn) {
	buf := make([]byte, 64<<10)
	have := 0
	overlong := false // dropping the rest of a line longer than buf
	for {
		n, err := conn.Read(buf[have:])
		if n > 0 {
			now := r.st.now()
			have += n
			start := 0
			r.mu.Lock()
			for {
				i := bytes.IndexByte(buf[start:have], '\n')
				if i < 0 {
					break
				}
				if overlong {
					overlong = false
				} else {
					r.check(buf[start:start+i+1], now)
				}
				start += i + 1
			}
			if start == 0 && have == len(buf) {
				if !overlong {
					r.badLine(buf[:64], "over 64 KiB long")
				}
				overlong, start = true, have
			}
			r.mu.Unlock()
			have = copy(buf, buf[start:have])
		}
		if err != nil {
			if have > 0 && !overlong && !errors.Is(err, net.ErrClosed) {
				r.mu.Lock()
				r.badLine(buf[:have], "cut short by "+err.Error())
				r.mu.Unlock()
			}
			return
		}
	}
}

// check takes one line, LF included; r.mu is held.
func (r *relayReceiver) check(line []byte, now int64) {
	t := r.tmpl
	if len(line) != len(t) || !bytes.Equal(line[:numberOff], t[:numberOff]) ||
		!bytes.Equal(line[numberOff+numberWidth:], t[numberOff+numberWidth:]) {
		r.badLine(line, "not the line sent")
		return
	}
	var k uint64
	for _, c := range line[numberOff : numberOff+numberWidth] {
		if c < '0' || c > '9' {
			r.badLine(line, "number not digits")
			return
		}
		k = k*10 + uint64(c-'0')
	}
	if k >= uint64(len(r.st.at)) {
		r.badLine(line, "number never sent")
		return
	}
	if r.seen[k/64]&(1<<(k%64)) != 0 {
		r.dups++
		if r.firstBad == "" {
			r.firstBad = fmt.Sprintf("line %d received twice", k)
		}
		return
	}
	r.seen[k/64] |= 1 << (k % 64)
	if sent := r.st.at[k].Load(); sent > 0 {
		r.hist.add(time.Duration(now - sent))
	}
	r.last.Store(now)
	r.unique.Add(1)
}

func (r *relayReceiver) badLine(line []byte, why string) {
	r.bad++
	if r.firstBad == "" {
		if len(line) > 200 {
			line = line[:200]
		}
		r.firstBad = fmt.Sprintf("bad line (%s): %q", why, line)
	}
}

// stop closes the listener and the connections and waits for the
// goroutines; the counts are then final.
func (r *relayReceiver) stop() {
	r.once.Do(func() {
		r.ln.Close()
		r.mu.Lock()
		r.stopped = true
		for _, c := range r.conns {
			c.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
}
