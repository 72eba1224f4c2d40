package httpd_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// TestAbuseDoesNotHurtAWellBehavedClient runs, one after another, a client
// sending 100 MB of junk to the local port, 500 idle connections beyond the
// client cap, 100 half-closed connections and 2,000 connect-and-disconnect
// cycles, while call events keep
// coming: a well-behaved client gets every record in order throughout, and
// goroutines and file descriptors return to where they were.
func TestAbuseDoesNotHurtAWellBehavedClient(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 100 MB and makes thousands of connections")
	}
	h := newHarness(t, func(c *config.Config) {
		c.Local.MaxClients = 20
		// The harness turns the rate limit off: the accept path takes all.
	})
	good := smdrtest.Dial(t, h.srv.LocalAddr())
	h.waitClients(t, 1)
	// A first record through to the client: its connection's goroutines
	// have all started, so the baseline below counts them.
	code, reply := h.post(t, `{"call":"first","event":"ringing","direction":"in","trunk":"1","number":"6999999"}`)
	if code != 200 {
		t.Fatalf("first ingest: %d %v", code, reply)
	}
	want := [][]byte{[]byte(reply["records"].([]any)[0].(map[string]any)["line"].(string) + "\r\n")}
	good.WaitFor(t, 1, 10*time.Second)
	http.DefaultClient.CloseIdleConnections()
	waitUntil(t, 10*time.Second, "the first request's connection to close", noHTTPConnections)
	baseGoroutines, baseFiles := runtime.NumGoroutine(), smdrtest.OpenFiles()

	var mu sync.Mutex
	stop := make(chan struct{})
	posted := make(chan struct{})
	go func() { // call events all along
		defer close(posted)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			code, reply := h.post(t, fmt.Sprintf(`{"call":"ok%d","event":"ringing","direction":"in","trunk":"1","number":"%d"}`, i, 7000000+i))
			if code != 200 {
				t.Errorf("ingest during abuse: %d %v", code, reply)
				return
			}
			mu.Lock()
			want = append(want, []byte(reply["records"].([]any)[0].(map[string]any)["line"].(string)+"\r\n"))
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()

	// 100 MB of junk: read and thrown away.
	junk, err := net.Dial("tcp", h.srv.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, junk)
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i*7 + 13)
	}
	for i := 0; i < 100; i++ {
		if _, err := junk.Write(chunk); err != nil {
			t.Fatalf("junk client: write %d MB: %v", i, err)
		}
	}
	junk.Close()
	// The junk client must be gone before the cap is filled, or one of the
	// idle connections below would be refused in its place.
	waitUntil(t, 10*time.Second, "the junk client to be cleaned up", func() bool { return h.srv.Status().Local.Connected == 1 })

	// 500 idle connections beyond the cap: closed by the server at once.
	var idle []net.Conn
	for i := 0; i < 19; i++ { // fill the cap: 1 good + 19
		c, err := net.Dial("tcp", h.srv.LocalAddr())
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	waitUntil(t, 10*time.Second, "the cap to fill", func() bool { return h.srv.Status().Local.Connected == 20 })
	for i := 0; i < 500; i++ {
		c, err := net.Dial("tcp", h.srv.LocalAddr())
		if err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		idle = append(idle, c)
	}
	waitUntil(t, 10*time.Second, "500 connections refused over the cap", func() bool { return h.srv.Status().Local.Rejected >= 500 })
	for _, c := range idle {
		c.Close()
	}

	// 100 half-closed connections: the client says it will send no more
	// and keeps reading; the server takes that as the client leaving.
	var halfClosed []net.Conn
	for i := 0; i < 100; i++ {
		c, err := net.Dial("tcp", h.srv.LocalAddr())
		if err != nil {
			t.Fatalf("half-close %d: %v", i, err)
		}
		c.(*net.TCPConn).CloseWrite()
		halfClosed = append(halfClosed, c)
	}
	for _, c := range halfClosed {
		// The server closes its end: the client reads EOF.
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("half-closed connection not closed by the server: %v", err)
		}
		c.Close()
	}

	// 2,000 connect-and-disconnect cycles.
	for i := 0; i < 2000; i++ {
		c, err := net.Dial("tcp", h.srv.LocalAddr())
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		c.Close()
	}

	close(stop)
	<-posted
	mu.Lock()
	defer mu.Unlock()
	got := good.WaitFor(t, len(want), 20*time.Second)
	if rep := smdrtest.CheckSequence(want, got); !rep.OK() || rep.Duplicates != 0 {
		t.Fatalf("well-behaved client during the abuse: %v", rep)
	}
	if len(want) < 10 {
		t.Fatalf("only %d events were posted during the abuse", len(want))
	}
	t.Logf("%d records reached the well-behaved client during the abuse", len(want))

	waitUntil(t, 20*time.Second, "connections to be cleaned up", func() bool {
		return h.srv.Status().Local.Connected == 1
	})
	// The ingest requests' keep-alive connection is not part of the abuse.
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > baseGoroutines || smdrtest.OpenFiles() > baseFiles {
		if time.Now().After(deadline) {
			var stacks strings.Builder
			pprof.Lookup("goroutine").WriteTo(&stacks, 1)
			t.Fatalf("after the abuse: %d goroutines (%d before), %d open files (%d before); goroutines now:\n%s",
				runtime.NumGoroutine(), baseGoroutines, smdrtest.OpenFiles(), baseFiles, stacks.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noHTTPConnections reports whether no goroutine serves or reads an HTTP
// connection, on the client side or the server side.
func noHTTPConnections() bool {
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	return !strings.Contains(stacks, "net/http.(*persistConn)") && !strings.Contains(stacks, "net/http.(*conn).serve")
}
