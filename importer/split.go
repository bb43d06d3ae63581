package importer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Statement is one statement of a dump.
type Statement struct {
	SQL  string
	Line int   // line of its first character (1-based)
	End  int64 // input offset just after it
}

// Splitter cuts a mysql/mariadb dump into statements the way the mysql
// command-line client does: it honours quotes ('…', "…", `…` with
// backslash escapes in strings), comments (--, #, /* */; /*!…*/ and
// /*M!…*/ executable comments are kept), and the client's DELIMITER
// command (used around triggers and routines). Plain comments are
// dropped; statements with no code left are skipped.
type Splitter struct {
	r      *bufio.Reader
	line   int
	off    int64
	delim  string
	buf    bytes.Buffer
	peeked []byte
}

// NewSplitter reads a dump from r.
func NewSplitter(r io.Reader) *Splitter {
	return &Splitter{r: bufio.NewReaderSize(r, 1<<20), line: 1, delim: ";"}
}

// ErrUnterminated is returned when input ends inside a quote or comment.
var ErrUnterminated = errors.New("unterminated quoted string or comment at end of input")

func (s *Splitter) read() (byte, error) {
	c, err := s.r.ReadByte()
	if err != nil {
		return 0, err
	}
	s.off++
	if c == '\n' {
		s.line++
	}
	return c, nil
}

func (s *Splitter) peek(n int) []byte {
	b, _ := s.r.Peek(n)
	return b
}

// Next returns the next statement, or io.EOF after the last one.
func (s *Splitter) Next() (Statement, error) {
	s.buf.Reset()
	start := 0
	hasCode := false
	atLineStart := true
	for {
		// DELIMITER is a client command at the start of a statement.
		if !hasCode && atLineStart {
			if p := s.peek(10); len(p) >= 10 && strings.EqualFold(string(p[:9]), "DELIMITER") && (p[9] == ' ' || p[9] == '\t') {
				line, err := s.readLine()
				if err != nil && !errors.Is(err, io.EOF) {
					return Statement{}, err
				}
				d := strings.TrimSpace(line[9:])
				if d == "" {
					return Statement{}, fmt.Errorf("line %d: DELIMITER without a delimiter", s.line-1)
				}
				s.delim = d
				s.buf.Reset()
				continue
			}
		}
		c, err := s.read()
		if errors.Is(err, io.EOF) {
			if hasCode {
				return Statement{SQL: strings.TrimSpace(s.buf.String()), Line: start, End: s.off}, nil
			}
			return Statement{}, io.EOF
		}
		if err != nil {
			return Statement{}, err
		}
		switch {
		case c == '\n':
			atLineStart = true
			s.buf.WriteByte(c)
			continue
		case c == ' ' || c == '\t' || c == '\r':
			s.buf.WriteByte(c)
			continue
		}
		atLineStart = false
		// Delimiter?
		if c == s.delim[0] {
			if len(s.delim) == 1 || bytes.Equal(s.peek(len(s.delim)-1), []byte(s.delim[1:])) {
				for i := 1; i < len(s.delim); i++ {
					_, _ = s.read()
				}
				if hasCode {
					return Statement{SQL: strings.TrimSpace(s.buf.String()), Line: start, End: s.off}, nil
				}
				s.buf.Reset()
				continue
			}
		}
		switch {
		case c == '#' || (c == '-' && s.isDashComment()):
			if _, err := s.readLine(); err != nil && !errors.Is(err, io.EOF) {
				return Statement{}, err
			}
			s.buf.WriteByte('\n')
			atLineStart = true
			continue
		case c == '/' && s.peekIs('*'):
			line := s.line
			_, _ = s.read()
			body, err := s.readUntil("*/")
			if err != nil {
				return Statement{}, fmt.Errorf("line %d: %w", line, err)
			}
			if exec := executable(body); exec {
				if !hasCode {
					hasCode, start = true, line
				}
				s.buf.WriteString("/*")
				s.buf.WriteString(body)
				s.buf.WriteString("*/")
			} else {
				s.buf.WriteByte(' ')
			}
			continue
		case c == '\'' || c == '"' || c == '`':
			if !hasCode {
				hasCode, start = true, s.line
			}
			line := s.line
			s.buf.WriteByte(c)
			if err := s.readQuoted(c); err != nil {
				return Statement{}, fmt.Errorf("line %d: %w", line, err)
			}
			continue
		}
		if !hasCode {
			hasCode, start = true, s.line
		}
		s.buf.WriteByte(c)
	}
}

// executable reports whether a /*…*/ comment body is code the server runs:
// /*!… and /*M!…, except MariaDB's client-only sandbox marker.
func executable(body string) bool {
	switch {
	case strings.HasPrefix(body, "!"):
		return true
	case strings.HasPrefix(body, "M!"):
		return !strings.HasPrefix(body, `M!999999\-`)
	}
	return false
}

func (s *Splitter) peekIs(c byte) bool {
	p := s.peek(1)
	return len(p) == 1 && p[0] == c
}

// isDashComment: "--" followed by whitespace or end of line.
func (s *Splitter) isDashComment() bool {
	p := s.peek(2)
	if len(p) < 1 || p[0] != '-' {
		return false
	}
	return len(p) == 1 || p[1] == ' ' || p[1] == '\t' || p[1] == '\n' || p[1] == '\r'
}

// readLine consumes the rest of the line (without the newline).
func (s *Splitter) readLine() (string, error) {
	var b []byte
	for {
		c, err := s.read()
		if err != nil {
			return string(b), err
		}
		if c == '\n' {
			return string(b), nil
		}
		b = append(b, c)
	}
}

func (s *Splitter) readUntil(end string) (string, error) {
	var b []byte
	for {
		c, err := s.read()
		if errors.Is(err, io.EOF) {
			return "", ErrUnterminated
		}
		if err != nil {
			return "", err
		}
		b = append(b, c)
		if len(b) >= len(end) && string(b[len(b)-len(end):]) == end {
			return string(b[:len(b)-len(end)]), nil
		}
	}
}

// readQuoted copies a quoted string or identifier up to its closing quote.
func (s *Splitter) readQuoted(q byte) error {
	for {
		c, err := s.read()
		if errors.Is(err, io.EOF) {
			return ErrUnterminated
		}
		if err != nil {
			return err
		}
		s.buf.WriteByte(c)
		switch {
		case c == '\\' && q != '`':
			c, err := s.read()
			if err != nil {
				return ErrUnterminated
			}
			s.buf.WriteByte(c)
		case c == q:
			if s.peekIs(q) { // doubled quote
				c, _ := s.read()
				s.buf.WriteByte(c)
				continue
			}
			return nil
		}
	}
}
