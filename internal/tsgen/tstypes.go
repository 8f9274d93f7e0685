package tsgen

import (
	"fmt"
	"go/types"
	"reflect"
	"strings"
)

// binaryType is the TypeScript type of a []byte, which envivo sends as a
// binary attachment: socket.io-client hands it over as an ArrayBuffer in
// browsers and a Buffer (a Uint8Array) in Node, and sends either, or any
// typed array. Uint8Array rather than Buffer keeps the file free of Node's
// types, which a browser project does not have.
const binaryType = "ArrayBuffer | Uint8Array"

// converter writes Go types as TypeScript types, as encoding/json (and so
// envivo) encodes them. Named struct types become interfaces of their own,
// declared once, in the order they are first met. Pointers are "| null";
// slices and maps are not, although a nil one encodes as null too: their
// types would otherwise force a null check on every list a frontend reads,
// for what a server can avoid by sending empty ones.
type converter struct {
	docs     docs
	decls    []*decl
	byType   map[*types.TypeName]*decl
	taken    map[string]bool
	inFlight map[*types.TypeName]bool
}

// decl is an interface to declare for a named struct type.
type decl struct {
	name string
	doc  string
	body string // "{ ... }"
}

func newConverter(d docs) *converter {
	return &converter{docs: d, byType: map[*types.TypeName]*decl{}, taken: map[string]bool{}}
}

// ts returns the TypeScript form of t.
func (c *converter) ts(t types.Type) string {
	if s, ok := special(t); ok {
		return s
	}
	switch t := types.Unalias(t).(type) {
	case *types.Basic:
		return basic(t)
	case *types.Pointer:
		return orNull(c.ts(t.Elem()))
	case *types.Slice:
		if isBytes(t) {
			return binaryType
		}
		return array(c.ts(t.Elem()))
	case *types.Array:
		return array(c.ts(t.Elem()))
	case *types.Map:
		return "Record<string, " + c.ts(t.Elem()) + ">"
	case *types.Struct:
		return c.inline(t)
	case *types.Named:
		if st, ok := t.Underlying().(*types.Struct); ok && t.TypeArgs().Len() == 0 {
			return c.named(t.Obj(), st)
		}
		return c.ts(t.Underlying())
	}
	return "unknown" // interfaces, and what JSON cannot carry
}

// special handles the types that encode themselves: time.Time as its
// RFC 3339 string, json.RawMessage as any JSON, other json.Marshalers as
// unknown, and encoding.TextMarshalers as strings.
func special(t types.Type) (string, bool) {
	if n := namedOf(t); n != nil && n.Obj().Pkg() != nil {
		switch n.Obj().Pkg().Path() + "." + n.Obj().Name() {
		case "time.Time":
			return "string", true
		case "encoding/json.RawMessage", "encoding/json.Number":
			return map[string]string{"RawMessage": "unknown", "Number": "number"}[n.Obj().Name()], true
		}
	}
	if _, ok := t.Underlying().(*types.Interface); ok {
		return "", false
	}
	if hasMethod(t, "MarshalJSON") {
		return "unknown", true
	}
	if hasMethod(t, "MarshalText") {
		return "string", true
	}
	return "", false
}

func hasMethod(t types.Type, name string) bool {
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, name)
	_, ok := obj.(*types.Func)
	return ok
}

func basic(t *types.Basic) string {
	switch {
	case t.Info()&types.IsBoolean != 0:
		return "boolean"
	case t.Info()&types.IsString != 0:
		return "string"
	case t.Info()&(types.IsInteger|types.IsFloat) != 0:
		return "number"
	}
	return "unknown"
}

func isBytes(s *types.Slice) bool {
	b, ok := types.Unalias(s.Elem()).(*types.Basic)
	return ok && b.Kind() == types.Byte
}

func orNull(s string) string {
	if strings.HasSuffix(s, " | null") {
		return s
	}
	return s + " | null"
}

func array(elem string) string {
	if strings.Contains(elem, " ") {
		return "(" + elem + ")[]"
	}
	return elem + "[]"
}

// named returns the interface name of a named struct type, declaring it
// on first use.
func (c *converter) named(obj *types.TypeName, st *types.Struct) string {
	if d := c.byType[obj]; d != nil {
		return d.name
	}
	d := &decl{name: c.freeName(obj), doc: c.docs.of(obj)}
	c.byType[obj] = d
	c.decls = append(c.decls, d)
	d.body = c.object(st, key(obj))
	return d.name
}

// freeName is obj's name, qualified by its package's when another package
// took it first.
func (c *converter) freeName(obj *types.TypeName) string {
	name := obj.Name()
	if c.taken[name] && obj.Pkg() != nil {
		name = strings.ReplaceAll(obj.Pkg().Name(), "_", "") + "_" + name
	}
	for i := 2; c.taken[name]; i++ {
		name = fmt.Sprintf("%s_%d", obj.Name(), i)
	}
	c.taken[name] = true
	return name
}

// object writes a struct as the body of an interface: its JSON fields, in
// order, with omitempty ones optional, each with its doc comment (owner
// keys them).
func (c *converter) object(st *types.Struct, owner string) string {
	var b strings.Builder
	b.WriteString("{\n")
	for _, f := range jsonFields(st) {
		if doc := c.docs[owner+"."+f.goName]; doc != "" && f.depth == 0 {
			b.WriteString(comment(doc, "  "))
		}
		fmt.Fprintf(&b, "  %s;\n", c.member(f))
	}
	b.WriteString("}")
	return b.String()
}

// inline writes an anonymous struct as an object type on one line.
func (c *converter) inline(st *types.Struct) string {
	var members []string
	for _, f := range jsonFields(st) {
		members = append(members, c.member(f))
	}
	if len(members) == 0 {
		return "{}"
	}
	return "{ " + strings.Join(members, "; ") + " }"
}

// member is one property of an object type.
func (c *converter) member(f field) string {
	typ := c.ts(f.typ)
	if f.quoted {
		typ = "string"
	}
	return property(f.name) + optional(f.optional) + ": " + typ
}

func optional(o bool) string {
	if o {
		return "?"
	}
	return ""
}

// property quotes a property name that is not a JavaScript identifier.
func property(name string) string {
	for i, r := range name {
		if !(r == '_' || r == '$' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9') {
			return fmt.Sprintf("%q", name)
		}
	}
	if name == "" {
		return `""`
	}
	return name
}

// field is one member of a struct's JSON object.
type field struct {
	name     string
	goName   string
	typ      types.Type
	optional bool // omitempty, omitzero, or reached through an embedded pointer
	quoted   bool // the ",string" option
	tagged   bool
	depth    int
}

// jsonFields lists the fields encoding/json writes for st: exported ones
// not tagged "-", with the fields of untagged embedded structs promoted,
// and of several fields with one name, the shallowest (a tagged one among
// equals, or none).
func jsonFields(st *types.Struct) []field {
	var all []field
	collect(st, 0, false, map[*types.Struct]bool{}, &all)
	var out []field
	for _, f := range all {
		if f2, ok := dominant(all, f.name); ok && f2 == f {
			out = append(out, f)
		}
	}
	return out
}

func collect(st *types.Struct, depth int, viaPointer bool, seen map[*types.Struct]bool, out *[]field) {
	if seen[st] {
		return
	}
	seen[st] = true
	defer delete(seen, st)
	for i := range st.NumFields() {
		v := st.Field(i)
		tag := reflect.StructTag(st.Tag(i)).Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if v.Embedded() && name == "" {
			t, ptr := v.Type(), false
			if p, ok := types.Unalias(t).(*types.Pointer); ok {
				t, ptr = p.Elem(), true
			}
			if inner, ok := t.Underlying().(*types.Struct); ok {
				collect(inner, depth+1, viaPointer || ptr, seen, out)
				continue
			}
		}
		if !v.Exported() {
			continue
		}
		f := field{name: name, goName: v.Name(), typ: v.Type(), tagged: name != "", depth: depth}
		if f.name == "" {
			f.name = v.Name()
		}
		f.optional = viaPointer || hasOption(opts, "omitempty") || hasOption(opts, "omitzero")
		f.quoted = hasOption(opts, "string") && isScalar(v.Type())
		*out = append(*out, f)
	}
}

// dominant returns the field that encoding/json keeps for name.
func dominant(all []field, name string) (field, bool) {
	var best []field
	for _, f := range all {
		if f.name != name {
			continue
		}
		if len(best) == 0 || f.depth < best[0].depth {
			best = []field{f}
		} else if f.depth == best[0].depth {
			best = append(best, f)
		}
	}
	if len(best) == 1 {
		return best[0], true
	}
	var tagged []field
	for _, f := range best {
		if f.tagged {
			tagged = append(tagged, f)
		}
	}
	if len(tagged) == 1 {
		return tagged[0], true
	}
	return field{}, false
}

func hasOption(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

func isScalar(t types.Type) bool {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsBoolean|types.IsNumeric|types.IsString) != 0
}
