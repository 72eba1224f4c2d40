package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestCollectRefusesOpenHTTPBeyondLoopback checks that collect will not
// serve its API and pages on an address other than loopback unless both
// the API's token and the pages' password hash are set, as serve does, and
// that its message names what is missing.
func TestCollectRefusesOpenHTTPBeyondLoopback(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		flags    []string
		want     []string // in the message
		dontWant []string
	}{
		{"neither", nil, []string{"--http-token", "--admin-password-hash", "hash-password", "0.0.0.0:8081"}, nil},
		{"token only", []string{"--http-token", "s3cret"}, []string{"--admin-password-hash"}, []string{"set --http-token"}},
		{"hash only", []string{"--admin-password-hash", string(hash)}, []string{"--http-token"}, []string{"--admin-password-hash"}},
		{"bad hash", []string{"--http-token", "s3cret", "--admin-password-hash", "correct horse"}, []string{"--admin-password-hash is not a bcrypt hash"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			args := append([]string{"collect", "--connect", "127.0.0.1:2007", "--db", "sqlite:" + t.TempDir() + "/calls.db",
				"--http-address", "0.0.0.0:8081"}, c.flags...)
			code := run(context.Background(), args, &stdio{stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }})
			if code != 2 {
				t.Fatalf("collect %v: exit %d, want 2; stderr:\n%s", c.flags, code, stderr.String())
			}
			for _, w := range c.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("collect %v: message lacks %q:\n%s", c.flags, w, stderr.String())
				}
			}
			for _, w := range c.dontWant {
				if strings.Contains(stderr.String(), w) {
					t.Errorf("collect %v: message has %q, which is set:\n%s", c.flags, w, stderr.String())
				}
			}
		})
	}
}

func TestCollectHTTPCheck(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		web collectHTTP
		ok  bool
	}{
		{collectHTTP{addr: ""}, true},
		{collectHTTP{addr: "127.0.0.1:8081"}, true},
		{collectHTTP{addr: "localhost:8081"}, true},
		{collectHTTP{addr: "[::1]:8081"}, true},
		{collectHTTP{addr: "127.0.0.1:8081", token: "t"}, true},
		{collectHTTP{addr: "127.0.0.1:8081", adminHash: string(hash)}, true},
		{collectHTTP{addr: "0.0.0.0:8081", token: "t", adminHash: string(hash)}, true},
		{collectHTTP{addr: ":8081", token: "t", adminHash: string(hash)}, true},
		{collectHTTP{addr: ":8081", token: "t"}, false},
		{collectHTTP{addr: "192.0.2.7:8081", adminHash: string(hash)}, false},
		{collectHTTP{addr: "8081"}, false},
		{collectHTTP{addr: "127.0.0.1:8081", adminHash: "$2a$10$tooshort"}, false},
	} {
		if err := c.web.check(); (err == nil) != c.ok {
			t.Errorf("%+v: check() = %v, want ok %v", c.web, err, c.ok)
		}
	}
}
