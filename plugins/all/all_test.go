package all_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/candlecassette/candlecassette/plugins"
	_ "github.com/candlecassette/candlecassette/plugins/all"
)

const pluginsPath = "github.com/candlecassette/candlecassette/plugins"

// familyFolders lists the folders directly under root whose non-test Go
// files call plugins.Register: the exchange families.
func familyFolders(t *testing.T, root string) []string {
	t.Helper()
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(root, d.Name(), "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			if registers(t, f) {
				out = append(out, d.Name())
				break
			}
		}
	}
	return out
}

// registers reports whether the Go file calls Register of the plugins
// package under whatever name the file imports it.
func registers(t *testing.T, file string) bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	name := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == pluginsPath {
			name = "plugins"
			if imp.Name != nil {
				name = imp.Name.Name
			}
		}
	}
	if name == "" {
		return false
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Register" {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == name {
				found = true
			}
		}
		return !found
	})
	return found
}

// blankImports lists the plugins/<folder> packages file imports.
func blankImports(t *testing.T, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if rest, ok := strings.CutPrefix(p, pluginsPath+"/"); ok && imp.Name != nil && imp.Name.Name == "_" {
			out = append(out, rest)
		}
	}
	sort.Strings(out)
	return out
}

func TestAllImportsEveryExchangeFamilyFolder(t *testing.T) {
	families := familyFolders(t, "..")
	if len(families) == 0 {
		t.Fatal("found no folder under plugins/ that calls plugins.Register")
	}
	imported := blankImports(t, "all.go")
	for _, f := range families {
		if !slices.Contains(imported, f) {
			t.Errorf("plugins/%s registers exchanges but plugins/all/all.go does not import it: add\n\t_ %q", f, pluginsPath+"/"+f)
		}
	}
	for _, i := range imported {
		if !slices.Contains(families, i) {
			t.Errorf("plugins/all/all.go imports plugins/%s, which registers no exchange", i)
		}
	}
}

// The scan above must see a family it has never been told about, and not
// mistake a helper package for one.
func TestFamilyFoldersFindsARegisteringFolderByItsCode(t *testing.T) {
	root := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("newex/newex.go", `package newex
import pl "`+pluginsPath+`"
func init() { pl.Register(nil) }`)
	write("helper/helper.go", `package helper
import "`+pluginsPath+`"
var _ = plugins.Validate`)
	write("testonly/x_test.go", `package testonly
import "`+pluginsPath+`"
func init() { plugins.Register(nil) }`)
	write("other/other.go", `package other
type r struct{}
func (r) Register() {}
func init() { var x r; x.Register() }`)
	if got := familyFolders(t, root); !slices.Equal(got, []string{"newex"}) {
		t.Errorf("familyFolders = %v, want [newex]", got)
	}
}

func TestEveryRegisteredExchangeComesFromAnImportedFolder(t *testing.T) {
	imported := blankImports(t, "all.go")
	for _, name := range plugins.Names() {
		p, _ := plugins.Lookup(name)
		typ := reflect.TypeOf(p)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if f := path.Base(typ.PkgPath()); !slices.Contains(imported, f) {
			t.Errorf("%s is registered from %s, which plugins/all does not import", name, typ.PkgPath())
		}
	}
}

// idLike matches what reads as an exchange id in prose: words joined by
// '_' ending in a market (binance_spot, gate_io_perpetual) or Coinbase's
// product name.
var idLike = regexp.MustCompile("`([a-z][a-z0-9]*(?:_[a-z0-9]+)*_(?:spot|perpetual|advanced_trade))`")

// The README has no list of exchanges to keep up (it points at
// `candlecassette exchanges`), but every id it names must be one.
func TestTheREADMENamesOnlyRegisteredExchanges(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	names := plugins.Names()
	seen := 0
	for _, m := range idLike.FindAllStringSubmatch(string(readme), -1) {
		seen++
		if !slices.Contains(names, m[1]) {
			t.Errorf("README.md names %q, which is not a registered exchange id (%v)", m[1], names)
		}
	}
	if seen == 0 {
		t.Error("README.md names no exchange id: the pattern no longer matches how it writes them")
	}
}
