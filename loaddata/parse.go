// Package loaddata executes LOAD DATA [LOCAL] INFILE with MySQL's field
// and line rules. GMS v0.20 splits lines and fields with plain string
// splits (a field separator inside an enclosed field, OPTIONALLY ENCLOSED,
// doubled enclosures, escaped separators and the literal string 'NULL' all
// come out wrong); this package owns the parser and the row builder that
// replace its iterator. The INSERT around it (IGNORE, REPLACE, triggers,
// checks) is still GMS's; the caller, which knows that INSERT, may have
// the file parsed ahead on another goroutine and canonical dates converted
// early (Options). Storage's bulk loads are chosen in sqlserver.
package loaddata

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Format is the FIELDS/LINES clause.
type Format struct {
	FieldsTerminatedBy string // default "\t"
	EnclosedBy         byte   // 0: none
	EscapedBy          byte   // 0: none (default '\\')
	LinesTerminatedBy  string // default "\n"
	LinesStartingBy    string
}

// Field is one parsed field.
type Field struct {
	Value []byte
	Null  bool
}

// Parser reads records.
type Parser struct {
	r   *bufio.Reader
	f   Format
	buf []byte
	// special marks the bytes that may end or change a field: the escape
	// and enclosure characters and the terminators' first bytes. Runs of
	// other bytes are copied in one step.
	special [256]bool
	// arena holds returned field values; a chunk is never written again
	// once a value in it is returned, so values stay valid (and may back
	// strings) for as long as they are referenced.
	arena []byte
}

// arenaChunk is the size of the chunks field values are copied into.
const arenaChunk = 64 << 10

// keep copies b into the arena and returns the copy.
func (p *Parser) keep(b []byte) []byte {
	if len(b) > cap(p.arena)-len(p.arena) {
		if len(b) > arenaChunk/4 {
			return bytes.Clone(b)
		}
		p.arena = make([]byte, 0, arenaChunk)
	}
	start := len(p.arena)
	p.arena = append(p.arena, b...)
	return p.arena[start:len(p.arena):len(p.arena)]
}

// NewParser reads records in format f from r.
func NewParser(r io.Reader, f Format) *Parser {
	if f.FieldsTerminatedBy == "" {
		f.FieldsTerminatedBy = "\t"
	}
	if f.LinesTerminatedBy == "" {
		f.LinesTerminatedBy = "\n"
	}
	p := &Parser{r: bufio.NewReaderSize(r, 1<<20), f: f}
	for _, c := range []byte{f.FieldsTerminatedBy[0], f.LinesTerminatedBy[0]} {
		p.special[c] = true
	}
	if f.EscapedBy != 0 {
		p.special[f.EscapedBy] = true
	}
	if f.EnclosedBy != 0 {
		p.special[f.EnclosedBy] = true
	}
	return p
}

// ordinaryRun copies the buffered bytes up to the next special one into
// p.buf and reports whether it copied any.
func (p *Parser) ordinaryRun() bool {
	n := p.r.Buffered()
	if n == 0 {
		return false
	}
	b, _ := p.r.Peek(n)
	i := 0
	for i < len(b) && !p.special[b[i]] {
		i++
	}
	if i == 0 {
		return false
	}
	p.buf = append(p.buf, b[:i]...)
	_, _ = p.r.Discard(i)
	return true
}

// at reports whether the input continues with s (without consuming it).
func (p *Parser) at(s string) bool {
	if s == "" {
		return false
	}
	b, _ := p.r.Peek(len(s))
	return len(b) == len(s) && string(b) == s
}

func (p *Parser) skip(n int) { _, _ = p.r.Discard(n) }

// SkipLine consumes input up to and including the next line terminator
// (IGNORE n LINES). It reports false at end of input.
func (p *Parser) SkipLine() (bool, error) {
	term := p.f.LinesTerminatedBy
	for {
		if p.at(term) {
			p.skip(len(term))
			return true, nil
		}
		if _, err := p.r.ReadByte(); err != nil {
			if errors.Is(err, io.EOF) {
				return false, nil
			}
			return false, err
		}
	}
}

func unescape(c byte) byte {
	switch c {
	case '0':
		return 0
	case 'b':
		return '\b'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'Z':
		return 26
	}
	return c
}

// Record returns the next record's fields, or io.EOF.
func (p *Parser) Record() ([]Field, error) {
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
			if p.ordinaryRun() {
				escapedN = false
			}
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
		fd := Field{Value: p.keep(p.buf)}
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
