package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/lineio"
)

// importBatch is how many lines an import stores per transaction.
const importBatch = 5000

// Import reads record lines from r (a file of records, one per line, CR LF
// or LF) and stores them as source, in batches. progress, if set, is told
// how many bytes have been read after each batch. Lines are numbered from
// 1, so that a parse error names its line in the file.
func (c *Collector) Import(ctx context.Context, r io.Reader, source string, progress func(bytesRead int64)) (Result, error) {
	cr := &countingReader{r: r}
	lr := lineio.NewReader(cr)
	var res Result
	batch := make([]Input, 0, importBatch)
	flush := func() error {
		got, err := c.Store(ctx, batch)
		if err != nil {
			return err
		}
		res.Add(got)
		batch = batch[:0]
		if progress != nil {
			progress(cr.n - int64(lr.BufferedBytes()))
		}
		return nil
	}
	now := time.Now()
	for {
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		n := lr.N()
		if err != nil && !errors.Is(err, lineio.ErrTooLong) {
			return res, fmt.Errorf("read after line %d: %w", n, err)
		}
		if err == nil && len(bytes.TrimSpace(line)) == 0 {
			continue // blank lines are not records
		}
		batch = append(batch, Input{Source: source, LineNo: n, ReceivedAt: now, Raw: append([]byte(nil), line...)})
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return res, err
			}
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	return res, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
