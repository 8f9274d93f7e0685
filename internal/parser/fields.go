package parser

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// field is one JSON member of a struct type, resolved with the rules of
// encoding/json: exported fields, fields promoted from embedded structs
// (Go's visibility rules, except that a tagged field wins), `json` tags with
// a name and the omitempty, omitzero and string options, "-" to skip.
type field struct {
	name      string
	key       string // `"name":`
	index     []int  // path through embedded structs
	tagged    bool   // the name comes from a tag
	omitEmpty bool
	omitZero  bool
	quoted    bool // the string option on a bool, number or string
}

var fieldCache sync.Map // reflect.Type -> []field

// structFields returns the JSON members of the struct type t, in field
// order.
func structFields(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	f, _ := fieldCache.LoadOrStore(t, typeFields(t))
	return f.([]field)
}

// embedded is a struct type met through anonymous fields, to explore.
type embedded struct {
	typ   reflect.Type
	index []int
}

// typeFields walks t and its embedded structs breadth first, as
// encoding/json does, and keeps the dominant field for each name.
func typeFields(t reflect.Type) []field {
	var current, next []embedded
	next = []embedded{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	var fields []field
	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, e := range current {
			if visited[e.typ] {
				continue
			}
			visited[e.typ] = true
			for i := range e.typ.NumField() {
				f, sub, ok := newField(e.typ.Field(i), e.index, i)
				switch {
				case !ok:
				case sub != nil:
					if nextCount[sub]++; nextCount[sub] == 1 {
						next = append(next, embedded{typ: sub, index: f.index})
					}
				default:
					fields = append(fields, f)
					if count[e.typ] > 1 {
						// The same embedded type twice at this depth: the
						// duplicate makes dominantFields drop the name.
						fields = append(fields, f)
					}
				}
			}
		}
	}
	return dominantFields(fields)
}

// newField describes struct field sf, number i of the struct at path
// parent. It returns ok false for a field JSON ignores, and a non-nil sub
// for an untagged embedded struct whose fields are promoted.
func newField(sf reflect.StructField, parent []int, i int) (f field, sub reflect.Type, ok bool) {
	if sf.Anonymous {
		t := sf.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if !sf.IsExported() && t.Kind() != reflect.Struct {
			return field{}, nil, false
		}
	} else if !sf.IsExported() {
		return field{}, nil, false
	}
	tag := sf.Tag.Get("json")
	if tag == "-" {
		return field{}, nil, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if !isValidTag(name) {
		name = ""
	}
	f.index = append(slices.Clip(parent), i)
	ft := sf.Type
	if ft.Name() == "" && ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
		return f, ft, true
	}
	f.tagged = name != ""
	if name == "" {
		name = sf.Name
	}
	f.name, f.key = name, `"`+name+`":`
	f.omitEmpty = hasOption(opts, "omitempty")
	f.omitZero = hasOption(opts, "omitzero")
	f.quoted = hasOption(opts, "string") && isScalar(ft.Kind())
	return f, nil, true
}

// dominantFields keeps, for each name, the field that hides the others (the
// shallowest, tagged before untagged) and drops names with no single such
// field. The result is in field order.
func dominantFields(fields []field) []field {
	slices.SortFunc(fields, func(a, b field) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.index), len(b.index)); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		a := fields[i]
		if j-i == 1 || len(a.index) != len(fields[i+1].index) || a.tagged != fields[i+1].tagged {
			out = append(out, a)
		}
		i = j
	}
	slices.SortFunc(out, func(a, b field) int { return slices.Compare(a.index, b.index) })
	return slices.Clip(out)
}

func hasOption(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

// isValidTag reports whether s may name a JSON member, as encoding/json
// decides.
func isValidTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

func isScalar(k reflect.Kind) bool {
	switch k {
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}

// isEmptyValue is the omitempty test of encoding/json.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Struct, reflect.Func, reflect.Chan, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return false
	}
	return v.IsZero()
}

// isZeroValue is the omitzero test of encoding/json: the IsZero method when
// the type has one, the zero value otherwise.
func isZeroValue(v reflect.Value) bool {
	t := v.Type()
	if !v.CanInterface() {
		return v.IsZero()
	}
	switch {
	case t.Kind() == reflect.Interface && t.Implements(zeroerType):
		return v.IsNil() || v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil() ||
			v.Interface().(interface{ IsZero() bool }).IsZero()
	case t.Kind() == reflect.Pointer && t.Implements(zeroerType):
		return v.IsNil() || v.Interface().(interface{ IsZero() bool }).IsZero()
	case t.Implements(zeroerType):
		return v.Interface().(interface{ IsZero() bool }).IsZero()
	case reflect.PointerTo(t).Implements(zeroerType):
		if !v.CanAddr() {
			c := reflect.New(t).Elem()
			c.Set(v)
			v = c
		}
		return v.Addr().Interface().(interface{ IsZero() bool }).IsZero()
	}
	return v.IsZero()
}
