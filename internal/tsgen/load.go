package tsgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// pkg is a package loaded from source, with the type information of
// every expression in it.
type pkg struct {
	path   string
	fset   *token.FileSet
	files  []*ast.File
	types  *types.Package
	info   *types.Info
	others []*pkg // every package loaded with this one, itself included
}

// listed is what go list reports of one package.
type listed struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	DepOnly    bool
	ImportMap  map[string]string
	Error      *struct{ Err string }
}

// load type-checks the packages that patterns name, from source. Their
// dependencies are read from the compiler's export data, which go list
// -export builds (and caches), so that a large dependency costs nothing
// after the first run. It needs only the go command.
func load(dir string, patterns []string) ([]*pkg, error) {
	all, err := goList(dir, patterns)
	if err != nil {
		return nil, err
	}
	exports := make(map[string]string, len(all))
	for _, p := range all {
		exports[p.ImportPath] = p.Export
	}
	fset := token.NewFileSet()
	gc := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if exports[path] == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(exports[path])
	})
	var pkgs []*pkg
	for _, l := range all {
		if l.DepOnly {
			continue
		}
		if l.Error != nil {
			return nil, fmt.Errorf("%s: %s", l.ImportPath, l.Error.Err)
		}
		p, err := check(fset, gc, l)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("no packages match %s", strings.Join(patterns, " "))
	}
	for _, p := range pkgs {
		p.others = pkgs
	}
	return pkgs, nil
}

func goList(dir string, patterns []string) ([]listed, error) {
	args := append([]string{"list", "-e", "-export", "-deps",
		"-json=ImportPath,Dir,GoFiles,Export,DepOnly,ImportMap,Error"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var all []listed
	for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
		var l listed
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("go list output: %w", err)
		}
		all = append(all, l)
	}
	return all, nil
}

// check parses and type-checks one listed package.
func check(fset *token.FileSet, gc types.Importer, l listed) (*pkg, error) {
	p := &pkg{path: l.ImportPath, fset: fset}
	for _, name := range l.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(l.Dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		p.files = append(p.files, f)
	}
	p.info = &types.Info{
		Types:      make(map[ast.Expr]types.TypeAndValue),
		Defs:       make(map[*ast.Ident]types.Object),
		Uses:       make(map[*ast.Ident]types.Object),
		Selections: make(map[*ast.SelectorExpr]*types.Selection),
		Instances:  make(map[*ast.Ident]types.Instance),
	}
	var errs []error
	conf := types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if mapped, ok := l.ImportMap[path]; ok {
				path = mapped
			}
			return gc.Import(path)
		}),
		Error: func(err error) { errs = append(errs, err) },
	}
	p.types, _ = conf.Check(l.ImportPath, fset, p.files, p.info)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// eachSpec calls f for every top-level spec of p's files (imports,
// constants, variables, types) with its doc comment: its own, or that of
// its declaration when the declaration holds it alone.
func (p *pkg) eachSpec(f func(spec ast.Spec, doc *ast.CommentGroup)) {
	for _, file := range p.files {
		for _, d := range file.Decls {
			gen, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range gen.Specs {
				f(s, specDoc(s, gen))
			}
		}
	}
}

func specDoc(s ast.Spec, gen *ast.GenDecl) *ast.CommentGroup {
	var doc *ast.CommentGroup
	switch s := s.(type) {
	case *ast.ValueSpec:
		doc = s.Doc
	case *ast.TypeSpec:
		doc = s.Doc
	}
	if doc == nil && len(gen.Specs) == 1 {
		doc = gen.Doc
	}
	return doc
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
