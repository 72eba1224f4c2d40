package httpd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// TestFullDiskRepliesUnavailableAndLosesNothing puts the journal on a small
// tmpfs and fills it: ingest replies 503 with a clear message and writes
// nothing, and once space returns it accepts again; a local client gets
// every acknowledged record, in order, with no gap.
func TestFullDiskRepliesUnavailableAndLosesNothing(t *testing.T) {
	disk := smdrtest.MountSmallTmpfs(t, 2048)
	h := newHarness(t, func(c *config.Config) {
		c.Journal.Dir = filepath.Join(disk, "journal")
	})
	client := smdrtest.Dial(t, h.srv.LocalAddr())
	h.waitClients(t, 1)

	var acked [][]byte
	var refused []string
	n := 0
	postBody := func(body string) (int, map[string]any) {
		code, reply := h.post(t, body)
		switch code {
		case 200:
			for _, r := range reply["records"].([]any) {
				acked = append(acked, []byte(r.(map[string]any)["line"].(string)+"\r\n"))
			}
		case 503:
			refused = append(refused, body)
		}
		return code, reply
	}
	post := func() (int, map[string]any) {
		n++
		return postBody(fmt.Sprintf(`{"call":"c%d","event":"ringing","direction":"in","trunk":"1","number":"%d"}`, n, 5000000+n))
	}
	for i := 0; i < 10; i++ {
		if code, reply := post(); code != 200 {
			t.Fatalf("before the disk is full: status %d, %v", code, reply)
		}
	}
	// A call that is ringing when the disk fills up.
	if code, reply := postBody(`{"call":"held","event":"ringing","direction":"in","trunk":"1","number":"4000000"}`); code != 200 {
		t.Fatalf("before the disk is full: status %d, %v", code, reply)
	}
	filler := filepath.Join(disk, "filler")
	smdrtest.FillDisk(t, filler)
	// The segment file's last block may still have room for a few records.
	var code int
	var reply map[string]any
	for i := 0; i < 200; i++ {
		if code, reply = post(); code != 200 {
			break
		}
	}
	last := h.srv.Journal().Last()
	for i := 0; i < 5; i++ {
		if i > 0 {
			code, reply = post()
		}
		if code != 503 {
			t.Fatalf("with the disk full: status %d, want 503 (%v)", code, reply)
		}
		if msg, _ := reply["error"].(string); !strings.Contains(msg, "full") || !strings.Contains(msg, "nothing was accepted") {
			t.Errorf("with the disk full: error %q, want it to say the disk is full and nothing was accepted", msg)
		}
	}
	// Its answer is refused too: the refusal must leave no trace in the
	// call's state, so that the retry is still its first answer.
	if code, _ := postBody(`{"call":"held","event":"connected"}`); code != 503 {
		t.Fatalf("answer with the disk full: status %d, want 503", code)
	}
	if got := h.srv.Journal().Last(); got != last {
		t.Fatalf("refused requests moved the journal from %d to %d", last, got)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// A client retries what was refused: every request goes through as if
	// it came for the first time.
	retry := refused
	refused = nil
	for _, body := range retry {
		code, reply := postBody(body)
		if code != 200 {
			t.Fatalf("retry after space returned: %s: status %d, %v", body, code, reply)
		}
		if strings.Contains(body, `"held","event":"connected"`) {
			line := reply["records"].([]any)[0].(map[string]any)["line"].(string)
			if !strings.Contains(line, "|ANSWERED") {
				t.Errorf("retried answer wrote %q, want ANSWERED", line)
			}
		}
	}
	for i := 0; i < 10; i++ {
		if code, reply := post(); code != 200 {
			t.Fatalf("after space returned: status %d, %v", code, reply)
		}
	}
	got := client.WaitFor(t, len(acked), 10*time.Second)
	if rep := smdrtest.CheckSequence(acked, got); !rep.OK() || rep.Duplicates != 0 {
		t.Fatalf("local client: %v", rep)
	}
}
