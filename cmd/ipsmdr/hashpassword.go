package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Limits of hash-password. bcrypt reads no more than 72 bytes of a password;
// rather than let the rest be ignored in silence, a longer one is refused.
const (
	minPasswordChars = 8
	maxPasswordBytes = 72
	passwordCost     = 12
)

func runHashPassword(ctx context.Context, std *stdio, args []string) error {
	const usage = "hash-password < PASSWORD\n\n" +
		"Reads a password from the first line of standard input and prints its\n" +
		"bcrypt hash (cost 12), the value for http.admin_password_hash (or for\n" +
		"collect's --admin-password-hash). The password must be 8 characters or\n" +
		"more and at most 72 bytes. To type it without it showing on screen or\n" +
		"landing in the shell's history:\n\n" +
		"  read -rs PW && printf '%s\\n' \"$PW\" | ipsmdr hash-password; unset PW\n\n" +
		"Run on a terminal without input redirected, it reads the line you type,\n" +
		"which the terminal shows."
	fs := newFlagSet(std, "hash-password", usage)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "Usage: ipsmdr %s\n", usage) } // no flags to list
	if err := parseFlags(std, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: the password is read from standard input, never from the command line", fs.Arg(0))
	}
	if isTerminal(std.stdin) {
		fmt.Fprint(std.stderr, "Password (shown as you type; see --help for a way to hide it): ")
	}
	password, err := readPassword(ctxReader{ctx, std.stdin})
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted")
		}
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), passwordCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	if _, err := fmt.Fprintf(std.stdout, "%s\n", hash); err != nil {
		return fmt.Errorf("write hash: %w", err)
	}
	return nil
}

// readPassword returns the first line of r without its line ending, or a
// usage error saying why it will not do as a password.
func readPassword(r io.Reader) (string, error) {
	// A little more than the longest password accepted is enough to tell
	// that a line is too long.
	line, err := bufio.NewReader(io.LimitReader(r, 4*maxPasswordBytes)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	if err != nil && !strings.HasSuffix(line, "\n") && len(line) == 4*maxPasswordBytes {
		return "", usagef("password longer than %d bytes, bcrypt's limit", maxPasswordBytes)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	switch n := utf8.RuneCountInString(line); {
	case n == 0:
		return "", usagef("no password on standard input")
	case n < minPasswordChars:
		return "", usagef("password too short: %d characters, want at least %d", n, minPasswordChars)
	case len(line) > maxPasswordBytes:
		return "", usagef("password longer than %d bytes, bcrypt's limit", maxPasswordBytes)
	}
	return line, nil
}

// isTerminal reports whether v, a reader or writer, is a terminal (a
// character device).
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
