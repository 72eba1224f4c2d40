package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func benchStdio() (*stdio, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &stdio{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, &out, &errb
}

// TestBenchSmall runs one short scenario through the command and checks the
// table has its rows.
func TestBenchSmall(t *testing.T) {
	io, out, errb := benchStdio()
	err := runBench(context.Background(), io, []string{"--clients", "2", "--modes", "batched", "--sync", "200ms", "--duration", "300ms"})
	if err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, errb)
	}
	for _, want := range []string{"ceiling (raw sockets)", "batched 100/req, sync 200ms", "vs ceiling"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output:\n%s\nwant %q", out, want)
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--batch", "3"},
		{"--clients", "x"},
		{"--modes", "fast"},
		{"extra"},
	} {
		io, _, _ := benchStdio()
		err := runBench(context.Background(), io, args)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("bench %q: err = %v, want a usage error", args, err)
		}
	}
}
