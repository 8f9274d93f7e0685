package parser

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// maxDepth bounds the nesting of arrays and objects, as encoding/json does,
// so that no input can exhaust the stack.
const maxDepth = 10000

// scanner is a single-pass JSON validator. It accepts exactly what
// json.Valid accepts and, when track is set, records the attachment
// placeholders it meets, as Placeholder recognizes them. A placeholder
// nested in another one is part of it and not recorded.
type scanner struct {
	data  []byte
	depth int
	track bool // record placeholders in holes
	holes []hole
	split bool // record the elements of the outermost array in elems
	elems []json.RawMessage
}

// hole is one placeholder: the span of its object in the data and the
// attachment index it names, -1 when it names none (Placeholder.index).
type hole struct {
	start, end int
	num        int
}

// scanJSON validates data as one JSON value, optionally surrounded by
// whitespace. When track is set, it appends the placeholders data holds to
// holes and returns the extended slice.
func scanJSON(data []byte, track bool, holes []hole) ([]hole, error) {
	s := scanner{data: data, track: track, holes: holes}
	if err := s.scan(); err != nil {
		return nil, err
	}
	return s.holes, nil
}

// scan validates s.data as one JSON value, optionally surrounded by
// whitespace.
func (s *scanner) scan() error {
	end, err := s.value(skipSpace(s.data, 0))
	if err != nil {
		return err
	}
	if i := skipSpace(s.data, end); i != len(s.data) {
		return s.fail(i, "data after the JSON value")
	}
	return nil
}

// fail returns a decode error for the byte at offset i.
func (s *scanner) fail(i int, msg string) error {
	if i >= len(s.data) {
		return fmt.Errorf("%w: invalid JSON: unexpected end of data", ErrInvalid)
	}
	return fmt.Errorf("%w: invalid JSON at offset %d (%q): %s", ErrInvalid, i, s.data[i], msg)
}

// value scans the JSON value starting at i and returns the offset after it.
func (s *scanner) value(i int) (int, error) {
	if i >= len(s.data) {
		return 0, s.fail(i, "")
	}
	switch c := s.data[i]; {
	case c == '"':
		return s.str(i)
	case c == '[':
		return s.array(i)
	case c == '{':
		return s.object(i)
	case c == '-' || isDigit(c):
		return s.number(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	}
	return 0, s.fail(i, "expected a JSON value")
}

func (s *scanner) literal(i int, lit string) (int, error) {
	if !bytes.HasPrefix(s.data[i:], []byte(lit)) {
		return 0, s.fail(i, "expected "+lit)
	}
	return i + len(lit), nil
}

// strSpecial marks the bytes that end the fast path inside a string.
var strSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// str scans the string starting at the quote at i.
func (s *scanner) str(i int) (int, error) {
	d := s.data
	for j := i + 1; j < len(d); {
		c := d[j]
		if !strSpecial[c] {
			j++
			continue
		}
		switch c {
		case '"':
			return j + 1, nil
		case '\\':
			n, err := s.escape(j)
			if err != nil {
				return 0, err
			}
			j += n
		default:
			return 0, s.fail(j, "control character in string")
		}
	}
	return 0, s.fail(len(d), "")
}

// escape checks the escape sequence at the backslash at j and returns its
// length.
func (s *scanner) escape(j int) (int, error) {
	d := s.data
	if j+1 >= len(d) {
		return 0, s.fail(len(d), "")
	}
	switch d[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
		for k := j + 2; k < j+6; k++ {
			if k >= len(d) {
				return 0, s.fail(k, "")
			}
			if !isHex(d[k]) {
				return 0, s.fail(k, "bad \\u escape")
			}
		}
		return 6, nil
	}
	return 0, s.fail(j+1, "bad escape")
}

// number scans the number starting at i.
func (s *scanner) number(i int) (int, error) {
	d := s.data
	j := i
	if d[j] == '-' {
		j++
	}
	switch {
	case j < len(d) && d[j] == '0':
		j++
	case j < len(d) && isDigit(d[j]):
		j = skipDigits(d, j)
	default:
		return 0, s.fail(j, "expected a digit")
	}
	if j < len(d) && d[j] == '.' {
		j++
		if j >= len(d) || !isDigit(d[j]) {
			return 0, s.fail(j, "expected a digit")
		}
		j = skipDigits(d, j)
	}
	if j < len(d) && (d[j] == 'e' || d[j] == 'E') {
		j++
		if j < len(d) && (d[j] == '+' || d[j] == '-') {
			j++
		}
		if j >= len(d) || !isDigit(d[j]) {
			return 0, s.fail(j, "expected a digit")
		}
		j = skipDigits(d, j)
	}
	return j, nil
}

func (s *scanner) enter(i int) error {
	s.depth++
	if s.depth > maxDepth {
		return s.fail(i, "nested too deeply")
	}
	return nil
}

// array scans the array starting at the bracket at i.
func (s *scanner) array(i int) (int, error) {
	if err := s.enter(i); err != nil {
		return 0, err
	}
	d := s.data
	j := skipSpace(d, i+1)
	if j < len(d) && d[j] == ']' {
		s.depth--
		return j + 1, nil
	}
	for {
		end, err := s.value(j)
		if err != nil {
			return 0, err
		}
		if s.split && s.depth == 1 {
			s.elems = append(s.elems, d[j:end])
		}
		j = skipSpace(d, end)
		if j < len(d) && d[j] == ']' {
			s.depth--
			return j + 1, nil
		}
		if j >= len(d) || d[j] != ',' {
			return 0, s.fail(j, "expected ',' or ']'")
		}
		j = skipSpace(d, j+1)
	}
}

// object scans the object starting at the brace at i and, when tracking,
// records it if it is a placeholder.
func (s *scanner) object(i int) (int, error) {
	if err := s.enter(i); err != nil {
		return 0, err
	}
	d := s.data
	mark := len(s.holes)
	var ph Placeholder
	j := skipSpace(d, i+1)
	if j < len(d) && d[j] == '}' {
		s.depth--
		return j + 1, nil
	}
	for {
		key, val, end, err := s.member(j)
		if err != nil {
			return 0, err
		}
		if s.track {
			ph.Member(key, val)
		}
		j = skipSpace(d, end)
		if j < len(d) && d[j] == '}' {
			break
		}
		if j >= len(d) || d[j] != ',' {
			return 0, s.fail(j, "expected ',' or '}'")
		}
		j = skipSpace(d, j+1)
	}
	s.depth--
	if ph.Is() {
		s.holes = append(s.holes[:mark], hole{start: i, end: j + 1, num: ph.index()})
	}
	return j + 1, nil
}

// member scans the object member "key": value starting at j and returns
// the quoted key, the value and the offset after it.
func (s *scanner) member(j int) (key, val []byte, end int, err error) {
	d := s.data
	if j >= len(d) || d[j] != '"' {
		return nil, nil, 0, s.fail(j, "expected a string key")
	}
	keyEnd, err := s.str(j)
	if err != nil {
		return nil, nil, 0, err
	}
	colon := skipSpace(d, keyEnd)
	if colon >= len(d) || d[colon] != ':' {
		return nil, nil, 0, s.fail(colon, "expected ':'")
	}
	start := skipSpace(d, colon+1)
	if end, err = s.value(start); err != nil {
		return nil, nil, 0, err
	}
	return d[j:keyEnd], d[start:end], end, nil
}

// keyIs reports whether the quoted JSON string key decodes to name.
func keyIs(key []byte, name string) bool {
	if bytes.IndexByte(key, '\\') < 0 {
		return len(key) == len(name)+2 && string(key[1:len(key)-1]) == name
	}
	var k string
	return json.Unmarshal(key, &k) == nil && k == name
}

func skipSpace(d []byte, i int) int {
	for i < len(d) {
		switch d[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func skipDigits(d []byte, i int) int {
	for i < len(d) && isDigit(d[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
