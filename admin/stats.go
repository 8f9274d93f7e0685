package admin

import (
	"os"
	"sync"
	"time"

	"github.com/envivo/socketio/socket"
)

// stats gathers what the periodic server_stats message reports.
type stats struct {
	a        *Admin
	started  time.Time
	hostname string

	mu      sync.Mutex
	conns   map[string]*conn // the connections with a socket, by Engine.IO id
	pending []aggregatedEvent
	traffic socket.TransportStats // the totals last reported; used by send only
}

// conn is one client connection seen through its sockets.
type conn struct {
	sockets   map[*socket.Socket]struct{}
	transport string // as last reported to the UI
}

// aggregatedEvent counts the events of one kind within one second.
type aggregatedEvent struct {
	Timestamp int64  `json:"timestamp"` // ms since the epoch, whole seconds
	Type      string `json:"type"`
	SubType   string `json:"subType,omitempty"`
	Count     int    `json:"count"`
}

// serverStats is the server_stats message.
type serverStats struct {
	ServerID            string            `json:"serverId"`
	Hostname            string            `json:"hostname"`
	PID                 int               `json:"pid"`
	Uptime              float64           `json:"uptime"` // seconds
	ClientsCount        int               `json:"clientsCount"`
	PollingClientsCount int               `json:"pollingClientsCount"`
	AggregatedEvents    []aggregatedEvent `json:"aggregatedEvents"`
	Namespaces          []namespaceStats  `json:"namespaces"`
}

type namespaceStats struct {
	Name         string `json:"name"`
	SocketsCount int    `json:"socketsCount"`
}

func newStats(a *Admin) *stats {
	host, _ := os.Hostname()
	return &stats{a: a, started: time.Now(), hostname: host, conns: make(map[string]*conn)}
}

// loop sends the stats at once, then every StatsInterval until Close.
func (st *stats) loop() {
	defer close(st.a.done)
	t := time.NewTicker(st.a.opts.StatsInterval)
	defer t.Stop()
	for {
		st.send()
		select {
		case <-st.a.stop:
			return
		case <-t.C:
		}
	}
}

// send broadcasts this server's stats to every UI of the cluster, after
// telling them of the sockets whose connection was upgraded.
func (st *stats) send() {
	st.reportUpgrades()
	msg := serverStats{
		ServerID:         st.a.opts.ServerID,
		Hostname:         st.hostname,
		PID:              os.Getpid(),
		Uptime:           time.Since(st.started).Seconds(),
		AggregatedEvents: []aggregatedEvent{},
		Namespaces:       []namespaceStats{},
	}
	msg.ClientsCount = st.a.srv.ClientsCount()
	st.mu.Lock()
	st.countTrafficLocked()
	for _, c := range st.conns {
		if c.transport == socket.Polling {
			msg.PollingClientsCount++
		}
	}
	msg.AggregatedEvents = append(msg.AggregatedEvents, st.pending...)
	st.pending = nil
	st.mu.Unlock()
	for _, nsp := range st.a.srv.Namespaces() {
		msg.Namespaces = append(msg.Namespaces, namespaceStats{Name: nsp.Name(), SocketsCount: len(nsp.Sockets())})
	}
	st.a.broadcast("server_stats", msg)
}

// countTrafficLocked adds the packets and bytes each way since the last
// call, from the server's counters (Server.Stats), as events of this
// second.
func (st *stats) countTrafficLocked() {
	all := st.a.srv.Stats()
	now := socket.TransportStats{
		PacketsIn:  all.Polling.PacketsIn + all.WebSocket.PacketsIn,
		PacketsOut: all.Polling.PacketsOut + all.WebSocket.PacketsOut,
		BytesIn:    all.Polling.BytesIn + all.WebSocket.BytesIn,
		BytesOut:   all.Polling.BytesOut + all.WebSocket.BytesOut,
	}
	last := st.traffic
	st.traffic = now
	for _, c := range []struct {
		typ       string
		now, last uint64
	}{
		{"packetsIn", now.PacketsIn, last.PacketsIn},
		{"packetsOut", now.PacketsOut, last.PacketsOut},
		{"bytesIn", now.BytesIn, last.BytesIn},
		{"bytesOut", now.BytesOut, last.BytesOut},
	} {
		if c.now > c.last {
			st.countLocked(c.typ, "", int(c.now-c.last))
		}
	}
}

// countLocked adds n to the events of kind typ (and subType) in this second.
func (st *stats) countLocked(typ, subType string, n int) {
	ts := time.Now().Truncate(time.Second).UnixMilli()
	for i := range st.pending {
		if e := &st.pending[i]; e.Timestamp == ts && e.Type == typ && e.SubType == subType {
			e.Count += n
			return
		}
	}
	st.pending = append(st.pending, aggregatedEvent{Timestamp: ts, Type: typ, SubType: subType, Count: n})
}

// connected counts s's connection, a new one when s is its first socket.
func (st *stats) connected(s *socket.Socket) {
	id := s.ConnID()
	st.mu.Lock()
	defer st.mu.Unlock()
	c := st.conns[id]
	if c == nil {
		c = &conn{sockets: make(map[*socket.Socket]struct{}), transport: s.Transport()}
		st.conns[id] = c
		st.countLocked("rawConnection", "", 1)
	}
	c.sockets[s] = struct{}{}
}

// disconnected forgets s; its connection is gone with its last socket.
func (st *stats) disconnected(s *socket.Socket, reason socket.DisconnectReason) {
	id := s.ConnID()
	st.mu.Lock()
	defer st.mu.Unlock()
	c := st.conns[id]
	if c == nil {
		return
	}
	delete(c.sockets, s)
	if len(c.sockets) == 0 {
		delete(st.conns, id)
		st.countLocked("rawDisconnection", string(reason), 1)
	}
}

// reportUpgrades finds the connections whose transport changed since the
// last look, records it in their sockets' data and, in development mode,
// tells the UIs (socket_updated).
func (st *stats) reportUpgrades() {
	var moved []*socket.Socket
	st.mu.Lock()
	for _, c := range st.conns {
		for s := range c.sockets {
			if t := s.Transport(); t != c.transport {
				c.transport = t
				for s := range c.sockets {
					moved = append(moved, s)
				}
			}
			break
		}
	}
	st.mu.Unlock()
	for _, s := range moved {
		t := s.Transport()
		s.Set(dataKey, connInfo{ClientID: clientID(s), Transport: t})
		if !st.a.opts.Production {
			st.a.broadcast("socket_updated", map[string]any{"id": s.ID(), "nsp": s.Namespace().Name(), "transport": t})
		}
	}
}
