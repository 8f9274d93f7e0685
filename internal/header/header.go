// Package header keeps the HTTP headers of a handshake request in one
// string. A session holds them for its whole life, and net/http's map of
// slices costs about three times as much memory as the bytes it holds.
package header

import (
	"iter"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
)

// Block is HTTP header fields in one string: a "Name: value\n" line for
// each value, names in canonical form and in sorted order, the values of a
// name in their order. The zero Block holds no fields.
type Block string

// Compact returns the fields of h as a Block, with host, when it is not
// empty and h has no Host field, as its Host field (net/http moves Host out
// of Request.Header). Names are put in canonical form; names that are not
// HTTP tokens are dropped; a line break inside a value becomes a space.
func Compact(h http.Header, host string) Block {
	type field struct {
		name   string
		values []string
	}
	fields := make([]field, 0, len(h)+1)
	size := 0
	for name, values := range h {
		if !validName(name) {
			continue
		}
		name = textproto.CanonicalMIMEHeaderKey(name)
		fields = append(fields, field{name, values})
		for _, v := range values {
			size += len(name) + len(v) + 3
		}
	}
	if host != "" && len(h.Values("Host")) == 0 {
		fields = append(fields, field{"Host", []string{host}})
		size += len("Host") + len(host) + 3
	}
	slices.SortStableFunc(fields, func(a, b field) int { return strings.Compare(a.name, b.name) })
	var b strings.Builder
	b.Grow(size)
	for _, f := range fields {
		for _, v := range f.values {
			b.WriteString(f.name)
			b.WriteString(": ")
			b.WriteString(oneLine(v))
			b.WriteByte('\n')
		}
	}
	return Block(b.String())
}

// validName reports whether name is a token that a Block line can hold.
func validName(name string) bool {
	return name != "" && !strings.ContainsAny(name, ": \t\r\n")
}

// oneLine returns v with its line breaks replaced by spaces.
func oneLine(v string) string {
	if !strings.ContainsAny(v, "\r\n") {
		return v
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
}

// All yields each field of b, name and value, in order.
func (b Block) All() iter.Seq2[string, string] {
	return func(yield func(name, value string) bool) {
		rest := string(b)
		for rest != "" {
			var line string
			line, rest, _ = strings.Cut(rest, "\n")
			name, value, _ := strings.Cut(line, ": ")
			if !yield(name, value) {
				return
			}
		}
	}
}

// Get returns the first value of the field name, case-insensitively, or
// "" when there is none.
func (b Block) Get(name string) string {
	name = textproto.CanonicalMIMEHeaderKey(name)
	for n, v := range b.All() {
		if n == name {
			return v
		}
	}
	return ""
}

// Values returns the values of the field name, case-insensitively, in a
// new slice; nil when there is none.
func (b Block) Values(name string) []string {
	name = textproto.CanonicalMIMEHeaderKey(name)
	var out []string
	for n, v := range b.All() {
		if n == name {
			out = append(out, v)
		}
	}
	return out
}

// Expand returns the fields of b as a new http.Header.
func (b Block) Expand() http.Header {
	h := make(http.Header)
	for n, v := range b.All() {
		h[n] = append(h[n], v)
	}
	return h
}
