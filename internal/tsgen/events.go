package tsgen

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"slices"
	"strings"
)

// socketPkg is the import path of the package that declares the typed
// events.
const socketPkg = "github.com/envivo/socketio/socket"

// direction is which way an event travels.
type direction int

const (
	toClient direction = iota // the server emits it: ServerToClientEvents
	toServer                  // the client emits it: ClientToServerEvents
)

// event is one entry of ServerToClientEvents or ClientToServerEvents.
type event struct {
	name    string
	payload types.Type
	reply   types.Type // nil for an event without acknowledgement
	// errorReply: the server answers {"error": message} when its handler
	// fails (socket.OnAck).
	errorReply bool
	doc        string // the Go doc comment of the event's variable
	pos        string // where it was first seen, for error messages
}

// use is one way the code uses a typed event, found at a call.
type use struct {
	dir        direction
	payload    types.Type
	reply      types.Type
	errorReply bool
}

// uses maps the methods and functions of the socket package to what a
// call to them says of the event: which way it travels and whether it is
// acknowledged. Event.Emit sends to clients, Event.On handles what they
// send, and so on.
var uses = map[string]func(targs *types.TypeList) use{
	"Event.Emit": func(a *types.TypeList) use { return use{dir: toClient, payload: a.At(0)} },
	"Event.On":   func(a *types.TypeList) use { return use{dir: toServer, payload: a.At(0)} },
	"AckEvent.EmitWithAck": func(a *types.TypeList) use {
		return use{dir: toClient, payload: a.At(0), reply: a.At(1)}
	},
	"AckEvent.On": func(a *types.TypeList) use {
		return use{dir: toServer, payload: a.At(0), reply: a.At(1), errorReply: true}
	},
	"On": func(a *types.TypeList) use { return use{dir: toServer, payload: a.At(0)} },
	"OnAck": func(a *types.TypeList) use {
		return use{dir: toServer, payload: a.At(0), reply: a.At(1), errorReply: true}
	},
}

// events finds every typed event the packages use, by direction, sorted by
// name. An event's direction comes from how the code uses it (an event
// only emitted by the server is a ServerToClientEvents entry), so a type
// declared for one direction appears only in that one.
func events(pkgs []*pkg) (map[direction][]*event, error) {
	found := map[direction]map[string]*event{toClient: {}, toServer: {}}
	decls := declarations(pkgs)
	for _, p := range pkgs {
		for _, f := range p.files {
			var err error
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || err != nil {
					return err == nil
				}
				err = record(p, decls, call, found)
				return true
			})
			if err != nil {
				return nil, err
			}
		}
	}
	out := make(map[direction][]*event, 2)
	for dir, byName := range found {
		for _, e := range byName {
			out[dir] = append(out[dir], e)
		}
		slices.SortFunc(out[dir], func(a, b *event) int { return strings.Compare(a.name, b.name) })
	}
	return out, nil
}

// record adds the event that call uses, if it uses one.
func record(p *pkg, decls map[string]*ast.ValueSpec, call *ast.CallExpr, found map[direction]map[string]*event) error {
	key, targs, nameExpr, doc := callee(p, decls, call)
	how, ok := uses[key]
	if !ok {
		return nil
	}
	pos := p.fset.Position(call.Pos()).String()
	if nameExpr == nil {
		return fmt.Errorf("%s: cannot tell which event this %s is for: use a package-level event variable", pos, key)
	}
	name, ok := constString(p, nameExpr)
	if !ok {
		return fmt.Errorf("%s: the event's name is not a constant string", pos)
	}
	u := how(targs)
	e := &event{name: name, payload: u.payload, reply: u.reply, errorReply: u.errorReply, doc: doc, pos: pos}
	old := found[u.dir][name]
	if old == nil {
		found[u.dir][name] = e
		return nil
	}
	if !types.Identical(old.payload, e.payload) || !identicalReply(old, e) {
		return fmt.Errorf("%s: event %q is used with other types than at %s", pos, name, old.pos)
	}
	if old.doc == "" {
		old.doc = doc
	}
	return nil
}

func identicalReply(a, b *event) bool {
	if a.reply == nil || b.reply == nil {
		return a.reply == b.reply
	}
	return types.Identical(a.reply, b.reply) && a.errorReply == b.errorReply
}

// callee identifies a call of the socket package's typed-event API: the
// key of uses ("Event.Emit", "OnAck"), the type arguments, the expression
// that holds the event's name, and the doc comment of the event variable.
func callee(p *pkg, decls map[string]*ast.ValueSpec, call *ast.CallExpr) (key string, targs *types.TypeList, name ast.Expr, doc string) {
	fun := ast.Unparen(call.Fun)
	if sel, ok := fun.(*ast.SelectorExpr); ok {
		if s := p.info.Selections[sel]; s != nil && s.Kind() == types.MethodVal {
			named := namedOf(s.Recv())
			if named == nil || !fromSocket(named.Obj()) {
				return "", nil, nil, ""
			}
			name, doc = eventName(p, decls, sel.X)
			return named.Obj().Name() + "." + sel.Sel.Name, named.TypeArgs(), name, doc
		}
	}
	id := funcIdent(fun)
	if id == nil {
		return "", nil, nil, ""
	}
	fn, ok := p.info.Uses[id].(*types.Func)
	if !ok || !fromSocket(fn) || len(call.Args) < 2 {
		return "", nil, nil, ""
	}
	return fn.Name(), p.info.Instances[id].TypeArgs, call.Args[1], ""
}

// funcIdent returns the identifier that names a called function, through
// a package selector and explicit type arguments.
func funcIdent(fun ast.Expr) *ast.Ident {
	switch f := fun.(type) {
	case *ast.IndexExpr:
		return funcIdent(f.X)
	case *ast.IndexListExpr:
		return funcIdent(f.X)
	case *ast.SelectorExpr:
		return f.Sel
	case *ast.Ident:
		return f
	}
	return nil
}

func namedOf(t types.Type) *types.Named {
	if ptr, ok := t.(*types.Pointer); ok {
		t = ptr.Elem()
	}
	named, _ := types.Unalias(t).(*types.Named)
	return named
}

func fromSocket(obj types.Object) bool {
	return obj.Pkg() != nil && obj.Pkg().Path() == socketPkg
}

// eventName finds the Name field of the event value x: a composite literal,
// or a package-level variable initialized with one.
func eventName(p *pkg, decls map[string]*ast.ValueSpec, x ast.Expr) (ast.Expr, string) {
	x = ast.Unparen(x)
	if lit, ok := x.(*ast.CompositeLit); ok {
		return nameField(lit), ""
	}
	obj := p.info.Uses[funcIdent(x)]
	v, ok := obj.(*types.Var)
	if !ok || v.Pkg() == nil {
		return nil, ""
	}
	spec := decls[v.Pkg().Path()+"."+v.Name()]
	if spec == nil {
		return nil, ""
	}
	for i, n := range spec.Names {
		if n.Name == v.Name() && i < len(spec.Values) {
			if lit, ok := ast.Unparen(spec.Values[i]).(*ast.CompositeLit); ok {
				return nameField(lit), strings.TrimSpace(spec.Doc.Text())
			}
		}
	}
	return nil, ""
}

// nameField returns the value of the Name field of an event literal.
func nameField(lit *ast.CompositeLit) ast.Expr {
	for _, elt := range lit.Elts {
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Name" {
				return kv.Value
			}
		} else {
			return elt // Event{"name"}
		}
	}
	return nil
}

// constString returns the value of a constant string expression. The
// expression may come from another package than p, when it is the
// initializer of an event variable declared there.
func constString(p *pkg, x ast.Expr) (string, bool) {
	for _, q := range p.others {
		if tv, ok := q.info.Types[x]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
			return constant.StringVal(tv.Value), true
		}
	}
	return "", false
}

// declarations indexes the package-level variable declarations of pkgs by
// "import/path.Name", with their doc comments. Event variables are looked
// up there by name rather than by object, since a package imported by
// another one that is loaded too is a different types.Package there.
func declarations(pkgs []*pkg) map[string]*ast.ValueSpec {
	decls := make(map[string]*ast.ValueSpec)
	for _, p := range pkgs {
		p.eachSpec(func(s ast.Spec, doc *ast.CommentGroup) {
			if spec, ok := s.(*ast.ValueSpec); ok {
				spec.Doc = doc
				for _, n := range spec.Names {
					decls[p.path+"."+n.Name] = spec
				}
			}
		})
	}
	return decls
}
