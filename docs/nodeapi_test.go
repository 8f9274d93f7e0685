// Package docs_test checks the pages under docs/ against their sources.
package docs_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/envivo/socketio/internal/nodepeer"
)

// apiSource names a class of a .d.ts file of the npm packages in
// testdata/node/node_modules, and the prefix of its rows in node-api.md.
type apiSource struct {
	file, class, row string
}

var apiClasses = []apiSource{
	{"socket.io/dist/index.d.ts", "Server", "Server"},
	{"socket.io/dist/namespace.d.ts", "Namespace", "Namespace"},
	{"socket.io/dist/socket.d.ts", "Socket", "Socket"},
	{"socket.io/dist/broadcast-operator.d.ts", "BroadcastOperator", "BroadcastOperator"},
	{"socket.io/dist/broadcast-operator.d.ts", "RemoteSocket", "RemoteSocket"},
	{"socket.io/dist/typed-events.d.ts", "StrictEventEmitter", "EventEmitter"},
	{"engine.io/build/server.d.ts", "BaseServer", "engine.Server"},
	{"engine.io/build/server.d.ts", "Server", "engine.Server"},
	{"engine.io/build/socket.d.ts", "Socket", "engine.Socket"},
	{"socket.io-adapter/dist/in-memory-adapter.d.ts", "Adapter", "Adapter"},
}

// eventSource names the reserved events of an interface of a .d.ts file.
var eventInterfaces = []apiSource{
	{"socket.io/dist/namespace.d.ts", "ServerReservedEventsMap", "Server"},
	{"socket.io/dist/namespace.d.ts", "NamespaceReservedEventsMap", "Namespace"},
	{"socket.io/dist/socket-types.d.ts", "SocketReservedEventsMap", "Socket"},
}

// eventEmitters are the .js files whose <receiver>.emit("name") calls are
// the events of a class whose .d.ts does not declare them; class holds the
// receiver.
var eventEmitters = []apiSource{
	{"engine.io/build/server.js", "this", "engine.Server"},
	{"engine.io/build/socket.js", "this", "engine.Socket"},
	{"engine.io/build/socket.js", "this.server", "engine.Server"},
	{"socket.io-adapter/dist/in-memory-adapter.js", "this", "Adapter"},
}

// notServerEvents are the this.emit calls of the files of eventEmitters
// that are not the class's events: in engine.io's server.js, "close" and
// "finish" are emitted by WebSocketResponse, the stand-in response that
// engine.io hands its use() middleware on a WebSocket.
var notServerEvents = map[string][]string{"engine.Server": {"close", "finish"}}

// TestNodeAPITable checks that docs/node-api.md has one filled row for
// every public member and event of Node's socket.io 4.8 server classes, as
// the .d.ts files of the installed npm packages declare them, and no row
// for a member they do not declare.
func TestNodeAPITable(t *testing.T) {
	modules := filepath.Join(nodepeer.Require(t).Dir(), "node_modules")
	want := nodeAPI(t, modules)
	rows := tableRows(t, "node-api.md")
	for _, key := range want {
		cell, ok := rows[key]
		switch {
		case !ok:
			t.Errorf("node-api.md: no row for %s", key)
		case strings.TrimSpace(cell) == "":
			t.Errorf("node-api.md: row %s says nothing", key)
		}
	}
	for key := range rows {
		if !slices.Contains(want, key) {
			t.Errorf("node-api.md: row %s is not in the .d.ts files", key)
		}
	}
	if len(want) < 100 {
		t.Errorf("only %d members found in the .d.ts files: has the extraction broken?", len(want))
	}
}

// nodeAPI returns the row keys of every member and event, in order.
func nodeAPI(t *testing.T, modules string) []string {
	var keys []string
	add := func(k string) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, c := range apiClasses {
		for _, m := range classMembers(t, filepath.Join(modules, c.file), "class "+c.class) {
			add("`" + c.row + "." + m + "`")
		}
	}
	for _, c := range eventInterfaces {
		for _, m := range classMembers(t, filepath.Join(modules, c.file), "interface "+c.class) {
			add("`" + c.row + ` "` + m + `"` + "`")
		}
	}
	for _, c := range eventEmitters {
		notEvents := notServerEvents[c.row]
		emitCall := regexp.MustCompile(`(?:^|[^.\w])` + regexp.QuoteMeta(c.class) + `\.emit(?:Reserved)?\("([^"]+)"`)
		src, err := os.ReadFile(filepath.Join(modules, c.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range emitCall.FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(notEvents, m[1]) {
				add("`" + c.row + ` "` + m[1] + `"` + "`")
			}
		}
	}
	return keys
}

var memberName = regexp.MustCompile(`^(?:(?:readonly|static|get|set|abstract|public) )*([A-Za-z$][\w$]*|"[^"]+")[?]?[(<:]`)

// classMembers returns the public members declared in the body of the
// class or interface whose declaration contains decl: the names of its
// lines indented by four spaces, without private, protected and
// _-prefixed members and constructors.
func classMembers(t *testing.T, path, decl string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in:
			in = strings.Contains(line, decl+" ") || strings.Contains(line, decl+"<")
		case strings.HasPrefix(line, "}"):
			return names
		case strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "     "):
			m := memberName.FindStringSubmatch(strings.TrimPrefix(line, "    "))
			if m == nil || m[1] == "constructor" || strings.HasPrefix(m[1], "_") {
				continue
			}
			name := strings.Trim(m[1], `"`)
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	t.Fatalf("%s: %q not found", path, decl)
	return nil
}

// tableRows returns the rows of the Markdown tables of a page: the first
// cell (a key such as `Server.of`) mapped to the second.
func tableRows(t *testing.T, page string) map[string]string {
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	rows := make(map[string]string)
	for _, line := range strings.Split(string(src), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, " | ")
		key := strings.TrimPrefix(cells[0], "| ")
		if _, dup := rows[key]; dup {
			t.Errorf("%s: two rows for %s", page, key)
		}
		if len(cells) < 2 {
			rows[key] = ""
			continue
		}
		rows[key] = strings.TrimSuffix(cells[1], " |")
	}
	return rows
}
