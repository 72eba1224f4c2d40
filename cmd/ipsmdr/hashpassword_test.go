package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// runWith runs ipsmdr with args and stdin and returns the exit status and
// what it wrote.
func runWith(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	std := &stdio{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code = run(context.Background(), args, std)
	return code, out.String(), errOut.String()
}

// TestHashPassword runs the command once end to end: bcrypt at cost 12 takes
// a good second under the race detector, so the reading of the password is
// tested on its own below.
func TestHashPassword(t *testing.T) {
	const password = "correct horse"
	code, stdout, stderr := runWith(t, password+"\n", "hash-password")
	if code != 0 {
		t.Fatalf("exit status %d, want 0; stderr %q", code, stderr)
	}
	hash, ok := strings.CutSuffix(stdout, "\n")
	if !ok || strings.Contains(hash, "\n") {
		t.Fatalf("stdout %q, want one line", stdout)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
		t.Errorf("hash %q does not match the password: %v", hash, err)
	}
	if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != 12 {
		t.Errorf("cost %d (%v), want 12", cost, err)
	}
	if strings.Contains(stdout+stderr, password) {
		t.Error("the password appears in the output")
	}
}

func TestReadPassword(t *testing.T) {
	for _, c := range []struct{ name, stdin, want string }{
		{"line", "correct horse\n", "correct horse"},
		{"no newline", "correct horse", "correct horse"},
		{"CRLF", "correct horse\r\n", "correct horse"},
		{"first line only", "correct horse\nsecond line\n", "correct horse"},
		{"spaces kept", "  eight  \n", "  eight  "},
		{"8 characters", "12345678\n", "12345678"},
		{"72 bytes", strings.Repeat("é", 36) + "\n", strings.Repeat("é", 36)},
	} {
		got, err := readPassword(strings.NewReader(c.stdin))
		if err != nil || got != c.want {
			t.Errorf("%s: readPassword(%q) = %q, %v; want %q", c.name, c.stdin, got, err, c.want)
		}
	}
}

func TestHashPasswordRefuses(t *testing.T) {
	for _, c := range []struct{ name, stdin, args, want string }{
		{"empty", "", "", "no password on standard input"},
		{"empty line", "\n", "", "no password on standard input"},
		{"short", "1234567\n", "", "password too short: 7 characters, want at least 8"},
		{"short multibyte", "ééééééé\n", "", "password too short: 7 characters"},
		{"too long", strings.Repeat("x", 73) + "\n", "", "longer than 72 bytes"},
		{"far too long", strings.Repeat("x", 10000), "", "longer than 72 bytes"},
		{"argument", "correct horse\n", "correct-horse", "never from the command line"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"hash-password"}
			if c.args != "" {
				args = append(args, c.args)
			}
			code, stdout, stderr := runWith(t, c.stdin, args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q, want it to contain %q", stderr, c.want)
			}
		})
	}
}

func TestHashPasswordHelp(t *testing.T) {
	code, stdout, _ := runWith(t, "", "hash-password", "--help")
	if code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	for _, want := range []string{"Usage: ipsmdr hash-password", "http.admin_password_hash", "read -rs"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--help lacks %q:\n%s", want, stdout)
		}
	}
}
