package loaddata

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
)

// refRecord is the byte-at-a-time Record the parser had before runs of
// ordinary bytes were copied in one step: the reference for TestParserMatchesReference.
func (p *Parser) refRecord() ([]Field, error) {
	f := p.f
	if f.LinesStartingBy != "" {
		for !p.at(f.LinesStartingBy) {
			if _, err := p.r.ReadByte(); err != nil {
				return nil, err // io.EOF: no more records
			}
		}
		p.skip(len(f.LinesStartingBy))
	} else if _, err := p.r.Peek(1); err != nil {
		return nil, err
	}
	var fields []Field
	for {
		p.buf = p.buf[:0]
		enclosed := false
		escapedN := false
		if f.EnclosedBy != 0 && p.at(string([]byte{f.EnclosedBy})) {
			enclosed = true
			p.skip(1)
		}
		endOfRecord := false
	field:
		for {
			c, err := p.r.ReadByte()
			if errors.Is(err, io.EOF) {
				endOfRecord = true
				break
			}
			if err != nil {
				return nil, err
			}
			switch {
			case f.EscapedBy != 0 && c == f.EscapedBy:
				n, err := p.r.ReadByte()
				if err != nil {
					p.buf = append(p.buf, c)
					endOfRecord = true
					break field
				}
				if n == 'N' && len(p.buf) == 0 && !enclosed {
					escapedN = true
				} else {
					escapedN = false
				}
				p.buf = append(p.buf, unescape(n))
				continue
			case enclosed && c == f.EnclosedBy:
				if p.at(string([]byte{f.EnclosedBy})) { // doubled: a literal quote
					p.skip(1)
					p.buf = append(p.buf, c)
					continue
				}
				if p.at(f.FieldsTerminatedBy) {
					p.skip(len(f.FieldsTerminatedBy))
					break field
				}
				if p.at(f.LinesTerminatedBy) {
					p.skip(len(f.LinesTerminatedBy))
					endOfRecord = true
					break field
				}
				if _, err := p.r.Peek(1); err != nil {
					endOfRecord = true
					break field
				}
				p.buf = append(p.buf, c) // a quote inside the value
				continue
			case !enclosed && c == f.FieldsTerminatedBy[0] && (len(f.FieldsTerminatedBy) == 1 || p.at(f.FieldsTerminatedBy[1:])):
				p.skip(len(f.FieldsTerminatedBy) - 1)
				break field
			case !enclosed && c == f.LinesTerminatedBy[0] && (len(f.LinesTerminatedBy) == 1 || p.at(f.LinesTerminatedBy[1:])):
				p.skip(len(f.LinesTerminatedBy) - 1)
				endOfRecord = true
				break field
			}
			escapedN = false
			p.buf = append(p.buf, c)
		}
		fd := Field{Value: bytes.Clone(p.buf)}
		switch {
		case escapedN && len(p.buf) == 1:
			fd = Field{Null: true}
		case !enclosed && (f.EnclosedBy != 0 || f.EscapedBy == 0) && string(p.buf) == "NULL":
			fd = Field{Null: true}
		}
		fields = append(fields, fd)
		if endOfRecord {
			return fields, nil
		}
	}
}

// TestParserMatchesReference parses random inputs made of separators,
// enclosures, escapes and ordinary bytes, in many formats, with Record and
// with the byte-at-a-time reference, through readers that return one byte
// or odd-sized pieces at a time, and requires the same records.
func TestParserMatchesReference(t *testing.T) {
	formats := []Format{
		{FieldsTerminatedBy: ",", EnclosedBy: '"', EscapedBy: '\\', LinesTerminatedBy: "\n"},
		{EscapedBy: '\\'},
		{FieldsTerminatedBy: "||", LinesTerminatedBy: "\r\n"},
		{FieldsTerminatedBy: ";", EnclosedBy: '\'', EscapedBy: '\\', LinesTerminatedBy: "\n", LinesStartingBy: ">>"},
		{FieldsTerminatedBy: ",", EnclosedBy: '"', LinesTerminatedBy: "\n"},
		{FieldsTerminatedBy: "ab", EnclosedBy: 'a', EscapedBy: 'b', LinesTerminatedBy: "ba"},
	}
	pieces := []string{"x", "yz", "12", "NULL", "\\N", "\\", ",", "\"", "\"\"", "\n", "\r\n", "\t", "|", "||", ";", "'", ">>", "a", "b", "中", " "}
	rng := rand.New(rand.NewSource(3))
	for n := 0; n < 1000; n++ {
		var b strings.Builder
		for i := rng.Intn(40); i > 0; i-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		in := b.String()
		f := formats[rng.Intn(len(formats))]
		want := dumpRecords(func() ([]Field, error) { return NewParser(strings.NewReader(in), f).refRecordAll() })
		for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in)), iotest.HalfReader(strings.NewReader(in))} {
			p := NewParser(r, f)
			got := dumpRecords(func() ([]Field, error) { return p.recordAll() })
			if got != want {
				t.Fatalf("format %+v, input %q:\n got %s\nwant %s", f, in, got, want)
			}
		}
	}
}

// recordAll and refRecordAll return every record, flattened, with a
// marker field between records.
func (p *Parser) recordAll() ([]Field, error) { return p.all(p.Record) }

func (p *Parser) refRecordAll() ([]Field, error) { return p.all(p.refRecord) }

var endOfRecord = Field{Value: []byte("<EOR>")}

func (p *Parser) all(next func() ([]Field, error)) ([]Field, error) {
	var out []Field
	for {
		fs, err := next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(append(out, fs...), endOfRecord)
	}
}

func dumpRecords(read func() ([]Field, error)) string {
	fs, err := read()
	var b strings.Builder
	for _, f := range fs {
		if f.Null {
			b.WriteString("<null>|")
		} else {
			fmt.Fprintf(&b, "%q|", f.Value)
		}
	}
	if err != nil {
		fmt.Fprintf(&b, "error %v", err)
	}
	return b.String()
}

// TestPrefetcher reads records through the prefetcher, with IGNORE
// lines, and stops it early without leaking its goroutine.
func TestPrefetcher(t *testing.T) {
	var b strings.Builder
	b.WriteString("skip me\nand me\n")
	for i := 0; i < 3*prefetchBatch+7; i++ {
		fmt.Fprintf(&b, "%d\tv%d\n", i, i)
	}
	ctx := newTestContext()
	pf := startPrefetch(ctx, NewParser(strings.NewReader(b.String()), Format{EscapedBy: '\\'}), 2)
	for i := 0; ; i++ {
		fs, err := pf.next(ctx)
		if errors.Is(err, io.EOF) {
			if i != 3*prefetchBatch+7 {
				t.Fatalf("%d records, want %d", i, 3*prefetchBatch+7)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 2 || string(fs[0].Value) != fmt.Sprint(i) || string(fs[1].Value) != fmt.Sprintf("v%d", i) {
			t.Fatalf("record %d: %v", i, fs)
		}
	}
	pf.stop()
	// Stopped after one record, with the producer blocked on a full channel.
	pf = startPrefetch(ctx, NewParser(strings.NewReader(strings.Repeat("a\tb\n", 20*prefetchBatch)), Format{}), 0)
	if _, err := pf.next(ctx); err != nil {
		t.Fatal(err)
	}
	pf.stop()
	// A read error reaches the consumer.
	pf = startPrefetch(ctx, NewParser(io.MultiReader(strings.NewReader("1\tx\n"), iotest.ErrReader(errors.New("boom"))), Format{}), 0)
	var err error
	for err == nil {
		_, err = pf.next(ctx)
	}
	if err.Error() != "boom" {
		t.Fatalf("error %v, want boom", err)
	}
	pf.stop()
	// A producer whose consumer is never closed ends with the statement.
	cctx, cancel := context.WithCancel(context.Background())
	pf = startPrefetch(cctx, NewParser(strings.NewReader(strings.Repeat("a\tb\n", 20*prefetchBatch)), Format{}), 0)
	cancel()
	ended := make(chan struct{})
	go func() { pf.wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the producer outlived its statement")
	}
	// The consumer then sees the cancellation, never a short file.
	for {
		_, err := pf.next(newTestContext())
		if errors.Is(err, io.EOF) {
			t.Fatal("a cancelled read ended like the end of the file")
		}
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			break
		}
	}
}

func newTestContext() *sql.Context { return sql.NewEmptyContext() }
