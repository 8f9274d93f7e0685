// Package nodepeer runs the official JavaScript Socket.IO implementation
// (socket.io-client and socket.io from npm, under Node) as peers of Go tests.
//
// It is a test helper: import it only from _test.go files. The JavaScript side
// lives in testdata/node at the module root. Require installs it (npm ci,
// see Install) when it is missing or older than package-lock.json, so a
// fresh checkout needs no manual step where Node and npm are installed.
//
// A typical test:
//
//	peer := nodepeer.Require(t) // skips (fails under CI=true) without node or node_modules
//	d := peer.Client(t)
//	d.Connect("c1", "http://"+addr+"/", map[string]any{"transports": []string{"websocket"}})
//	d.Wait(nodepeer.Match{"ev": "connect", "client": "c1"}, 5*time.Second)
//	d.EmitWithAck("c1", "r1", "echo", 0, "hi", nodepeer.Bin([]byte{1, 2}))
//	ack := d.Wait(nodepeer.Match{"ev": "ack", "ref": "r1"}, 5*time.Second)
//
// # Client protocol
//
// Peer.Client starts testdata/node/client.js, which drives any number of
// socket.io-client sockets. Go writes commands as JSON lines to its stdin and
// reads reports, as JSON lines, from its stdout. The Driver methods write the
// commands; Driver.Send writes any command. Commands:
//
//	{"cmd":"connect","client":"c1","url":"http://127.0.0.1:PORT/nsp","opts":{...}}
//	    io(url, {forceNew: true, ...opts}); opts are socket.io-client options
//	    (transports, auth, query, reconnection, reconnectionDelay, upgrade,
//	    timeout, ackTimeout, retries, forceNew, ...).
//	{"cmd":"connect","client":"c2","manager":"c1","nsp":"/other","opts":{...}}
//	    a socket on c1's Manager, multiplexed on its connection.
//	"retryRefused":N in either connect command: on each connect_error the
//	    server sends (socket.active false), socket.auth.attempt is set to the
//	    attempt number (1, 2, ...) and socket.connect() is called at once, up
//	    to N times: socket.io-client's re-authentication pattern.
//	{"cmd":"emit","client":"c1","name":"x","args":[...],"ack":true,"timeout":ms,"ref":"r1","volatile":false}
//	    timeout > 0: socket.timeout(ms).emit(name, ...args, (err, ...res) => ...);
//	    else ack: socket.emit(name, ...args, (...res) => ...); else a plain emit.
//	{"cmd":"ack","client":"c1","ackRef":N,"args":[...]}
//	    calls the acknowledgement callback stored under ackRef.
//	{"cmd":"emit_many","client":"c1","name":"x","count":N,"payload":"..."}
//	    emits name N times in one go, with the arguments (i, payload) for
//	    i = 0..N-1: a flood as fast as socket.io-client can queue it
//	    (send it with Driver.Send).
//	{"cmd":"disconnect","client":"c1"}     socket.disconnect()
//	{"cmd":"connect_again","client":"c1"}  socket.connect()
//	{"cmd":"exit"}                         disconnects every socket and exits (as does closing stdin)
//
// Each command is answered, once issued, by {"ev":"done","cmd":...,"client":...,"seq":N}
// or, if it could not be carried out, {"ev":"error",...,"message":...}; the
// Driver numbers its commands ("seq") and waits for that answer.
//
// Reports, each with "client":
//
//	{"ev":"connect","id":socket.id,"transport":"polling"|"websocket"}
//	{"ev":"connect_error","message":err.message,"data":err.data,"type":err.type}
//	{"ev":"disconnect","reason":reason,"description":...}
//	{"ev":"upgrade","transport":"websocket"}           engine.io upgrade
//	{"ev":"reconnect_attempt"|"reconnect","attempt":N} Manager events
//	{"ev":"reconnect_error","message":...}, {"ev":"reconnect_failed"}
//	{"ev":"event","name":name,"args":[...],"ackRef":N} every incoming event; ackRef
//	                                                   only when the sender asked for an ack
//	{"ev":"ack","ref":"r1","args":[...]}               reply to an emit with ack
//	{"ev":"ack_error","ref":"r1","message":...}        emit with timeout that timed out
//
// Binary values travel as {"$bin":"<base64>"} in both directions, at any depth:
// build them with Bin and read them with DecodeBin.
//
// # Node servers
//
// Peer.Server runs a Node script (such as testdata/node/server.js) that prints
// {"ev":"listening","port":N} on stdout once it listens on the port given in
// the PORT environment variable (0 for an ephemeral one).
package nodepeer

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/envivo/socketio/internal/skipnote"
)

// Peer locates Node and the installed JavaScript peers. Get one with Require.
type Peer struct {
	node string // path of the node executable
	dir  string // absolute path of testdata/node
}

// Require finds the node executable and testdata/node/node_modules (the module
// root is found by walking up from the working directory to go.mod), which
// it installs first if needed (see Install). When node is missing, or the
// install fails, the test fails under CI=true and is skipped elsewhere, with
// the reason and the fix.
func Require(t testing.TB) *Peer {
	t.Helper()
	p, err := locate()
	if err != nil {
		missing(t, err)
		return nil
	}
	return p
}

// missing ends the test: t.Fatalf under CI, t.Skipf elsewhere, counted in
// the package's summary (see skipnote).
func missing(t testing.TB, err error) {
	t.Helper()
	skipnote.Skip(t, "nodepeer: "+err.Error())
}

func locate() (*Peer, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("working directory: %v", err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return nil, err
	}
	return locateIn(root)
}

// locateIn checks for node and for the JavaScript peers under root/testdata/node.
func locateIn(root string) (*Peer, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node (Node.js 20 or newer) not found in PATH; install Node.js, then run: cd testdata/node && npm ci")
	}
	dir := filepath.Join(root, "testdata", "node")
	if err := Install(dir); err != nil {
		return nil, fmt.Errorf("%v; install by hand with: cd testdata/node && npm ci", err)
	}
	for _, pkg := range []string{"socket.io-client", "socket.io"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			return nil, fmt.Errorf("%s is not installed in %s; run: cd testdata/node && npm ci",
				pkg, filepath.Join(dir, "node_modules"))
		}
	}
	return &Peer{node: node, dir: dir}, nil
}

// moduleRoot walks up from dir to the directory holding go.mod.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod found above %s", dir)
		}
		d = parent
	}
}

// Dir returns the absolute path of testdata/node, where the JavaScript peers
// and their node_modules live.
func (p *Peer) Dir() string { return p.dir }

// Bin wraps b for sending as binary: client.js turns {"$bin": base64} into a
// Buffer before emitting. Use it anywhere in the arguments of Emit,
// EmitWithAck and Ack.
func Bin(b []byte) any {
	return map[string]any{"$bin": base64.StdEncoding.EncodeToString(b)}
}

// DecodeBin reports whether v is a binary value as client.js reports it
// ({"$bin": base64}) and returns its bytes.
func DecodeBin(v any) ([]byte, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, false
	}
	s, ok := m["$bin"].(string)
	if !ok {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}
