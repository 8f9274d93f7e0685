// Command floor answers the polling echo of the bench protocol with the
// least a net/http server can do, to show the floor under every polling
// server built on net/http, as bare (in the shared bench tooling) shows it
// for WebSocket.
//
// It is not a Socket.IO server. It keeps a map of sessions, and per
// session a queue, a mutex and a wake-up channel. It answers the
// handshake, the main namespace's CONNECT and the event "echo" with its
// acknowledgement, over HTTP long-polling only. It sends no heartbeat,
// offers no upgrade, checks no limit and ignores every other packet. All
// the rest of its CPU time is net/http's.
//
// Run it as compare runs a server, pinned to one core, with the load
// generator on the other:
//
//	go build -o /tmp/floor ./examples/bench/floor
//	PORT=3300 taskset -c 0 /tmp/floor &
//	taskset -c 1 loadgen -url http://127.0.0.1:3300 -scenario echo -transport polling -clients 50
//
// The server's CPU time per acknowledgement (from /proc/PID/stat, as
// compare reads it) is then the floor that examples/bench's can be held
// against. It listens on 127.0.0.1:$PORT (default 3000), path /socket.io/.
package main

import (
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", newServer())
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, mux))
}

// maxBody bounds a POST body, as Engine.IO's maxPayload does by default.
const maxBody = 1_000_000

// sep separates the packets of one polling payload.
const sep = "\x1e"

// textPlain is the Content-Type of every answer. Setting it keeps net/http
// from sniffing the body.
var textPlain = []string{"text/plain; charset=UTF-8"}

// server holds the sessions. It is safe for concurrent use.
type server struct {
	mu       sync.Mutex
	sessions map[string]*session
	last     uint64 // the last session id given
}

func newServer() *server { return &server{sessions: make(map[string]*session)} }

// session is one client's queue of packets waiting for its next GET.
type session struct {
	mu    sync.Mutex
	queue []string
	wake  chan struct{} // holds one token once something is queued
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = textPlain
	sid := r.URL.Query().Get("sid")
	if sid == "" {
		s.open(w)
		return
	}
	sess := s.session(sid)
	switch {
	case sess == nil:
		http.Error(w, "unknown sid", http.StatusBadRequest)
	case r.Method == http.MethodPost:
		s.post(w, r, sid, sess)
	default:
		sess.poll(w, r)
	}
}

// open starts a session and answers its handshake.
func (s *server) open(w http.ResponseWriter) {
	s.mu.Lock()
	s.last++
	sid := strconv.FormatUint(s.last, 10)
	s.sessions[sid] = &session{wake: make(chan struct{}, 1)}
	s.mu.Unlock()
	_, _ = io.WriteString(w, `0{"sid":"`+sid+`","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
}

func (s *server) session(sid string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[sid]
}

// post queues the answer to each packet of a POST body, then answers "ok".
func (s *server) post(w http.ResponseWriter, r *http.Request, sid string, sess *session) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	for p := range strings.SplitSeq(string(body), sep) {
		if p == "1" { // the client closes
			s.mu.Lock()
			delete(s.sessions, sid)
			s.mu.Unlock()
			break
		}
		if a, ok := answer(p, sid); ok {
			sess.push(a)
		}
	}
	_, _ = io.WriteString(w, "ok")
}

// answer returns the packet that answers p, if p asks for one: the
// CONNECT reply to the main namespace's CONNECT, and the acknowledgement
// of an "echo" event that carries an ack id, with the event's arguments.
func answer(p, sid string) (string, bool) {
	if strings.HasPrefix(p, "40") && !strings.HasPrefix(p, "40/") {
		return `40{"sid":"s` + sid + `"}`, true
	}
	rest, ok := strings.CutPrefix(p, "42")
	if !ok {
		return "", false
	}
	id := rest[:len(rest)-len(strings.TrimLeft(rest, "0123456789"))]
	if id == "" {
		return "", false // no ack wanted
	}
	switch rest = rest[len(id):]; {
	case rest == `["echo"]`:
		return "43" + id + "[]", true
	case strings.HasPrefix(rest, `["echo",`) && strings.HasSuffix(rest, "]"):
		return "43" + id + "[" + rest[len(`["echo",`):], true
	}
	return "", false
}

// push queues a packet and wakes the session's GET, if one waits.
func (sess *session) push(p string) {
	sess.mu.Lock()
	sess.queue = append(sess.queue, p)
	sess.mu.Unlock()
	select {
	case sess.wake <- struct{}{}:
	default:
	}
}

// poll answers a GET with what is queued, waiting until something is or
// the client goes away.
func (sess *session) poll(w http.ResponseWriter, r *http.Request) {
	for {
		sess.mu.Lock()
		if len(sess.queue) > 0 {
			payload := strings.Join(sess.queue, sep)
			clear(sess.queue)
			sess.queue = sess.queue[:0]
			sess.mu.Unlock()
			_, _ = io.WriteString(w, payload)
			return
		}
		sess.mu.Unlock()
		select {
		case <-sess.wake:
		case <-r.Context().Done():
			return
		}
	}
}
