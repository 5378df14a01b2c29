package ingest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoDecoderInExportedAPI fails when an exported declaration of ingest
// or of a package below it (ingest/internal/ aside, where the decoder
// helpers live) names fastjson: readers and callers exchange Records, so
// the JSON decoder can change without changing any package's API.
func TestNoDecoderInExportedAPI(t *testing.T) {
	const decoder = "github.com/valyala/fastjson"
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == "internal" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		for _, bad := range exportedUses(f, decoder) {
			t.Errorf("%s: exported %s names %s", path, bad, decoder)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("checked %d files, want the whole ingest tree", files)
	}
}

// exportedUses lists the exported declarations of f whose signature or
// type mentions the package imported from pkgPath.
func exportedUses(f *ast.File, pkgPath string) []string {
	local := ""
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == pkgPath {
			local = filepath.Base(p)
			if im.Name != nil {
				local = im.Name.Name
			}
		}
	}
	if local == "" {
		return nil
	}
	mentions := func(n ast.Node) bool {
		found := false
		ast.Inspect(n, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == local {
					found = true
				}
			}
			return !found
		})
		return found
	}
	var bad []string
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv != nil && !exportedRecv(d.Recv.List[0].Type) {
				continue
			}
			if mentions(d.Type) {
				bad = append(bad, "func "+d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && exportedPartMentions(s.Type, mentions) {
						bad = append(bad, "type "+s.Name.Name)
					}
				case *ast.ValueSpec:
					for i, name := range s.Names {
						if !name.IsExported() {
							continue
						}
						if (s.Type != nil && mentions(s.Type)) || (i < len(s.Values) && mentions(s.Values[i])) {
							bad = append(bad, name.Name)
						}
					}
				}
			}
		}
	}
	return bad
}

// exportedPartMentions checks a type's exported fields and methods only.
func exportedPartMentions(t ast.Expr, mentions func(ast.Node) bool) bool {
	var fields *ast.FieldList
	switch tt := t.(type) {
	case *ast.StructType:
		fields = tt.Fields
	case *ast.InterfaceType:
		fields = tt.Methods
	default:
		return mentions(t)
	}
	for _, f := range fields.List {
		exported := len(f.Names) == 0 // embedded: part of the API
		for _, n := range f.Names {
			exported = exported || n.IsExported()
		}
		if exported && mentions(f.Type) {
			return true
		}
	}
	return false
}

func exportedRecv(t ast.Expr) bool {
	for {
		switch tt := t.(type) {
		case *ast.StarExpr:
			t = tt.X
		case *ast.IndexExpr:
			t = tt.X
		case *ast.IndexListExpr:
			t = tt.X
		case *ast.Ident:
			return tt.IsExported()
		default:
			return true
		}
	}
}
