package engine

import (
	"net/http"
	"time"
)

// upgradeCheckInterval is how often a pending GET is released with a noop
// once the WebSocket probe has arrived, so that the client can pause
// polling and finish the upgrade (Node's value).
const upgradeCheckInterval = 100 * time.Millisecond

// upgrade is a WebSocket or a WebTransport stream (the candidate) taking a
// polling session over. The client sends "2probe" on it, the server
// answers "3probe" and, every upgradeCheckInterval, releases the pending
// GET with a noop; the client then sends "5" and the candidate becomes the
// session's transport. Its fields are guarded by the session's mu.
type upgrade struct {
	cand    candidate
	timeout *time.Timer // abandons the upgrade after UpgradeTimeout
	check   *time.Timer // releases the pending GET; set once probed
}

// candidate is a transport that can take a polling session over.
type candidate interface {
	transport
	// abandon closes the connection of an upgrade that was dropped; its
	// read loop then ends. It is called without the session's mu.
	abandon()
}

var noopMessage = &Message{typ: typeNoop}

// serveUpgrade starts upgrading polling session c to the WebSocket r asks
// for. A session that is not on polling, or is already upgrading, gets the
// WebSocket closed at once, as Node does.
func (s *Server) serveUpgrade(w http.ResponseWriter, r *http.Request, c *Conn, q query) {
	wc := s.acceptWebSocket(w, r, c.proto.codec(q), false)
	if wc == nil {
		return
	}
	wc.attach(c) // its batch entry too: a broadcast may batch on it once upgraded
	if !c.beginUpgrade(wc, wc.startReading) {
		_ = wc.writeClose(nil, time.Second)
		wc.in.nc.Close()
	}
}

// beginUpgrade makes cand the candidate of c's upgrade and starts reading
// it with startReading, unless c is not an open polling session of protocol 4 or is
// already upgrading (then the caller closes cand, as Node does).
func (c *Conn) beginUpgrade(cand candidate, startReading func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen || c.tr.name() != TransportPolling || c.upg != nil {
		return false
	}
	u := &upgrade{cand: cand}
	u.timeout = time.AfterFunc(c.srv.opts.UpgradeTimeout, func() { c.upgradeTimedOut(u) })
	c.upg = u
	startReading()
	return true
}

// endTransport ends t's part in c once its reading ended: an upgrade with
// t as its candidate is dropped and, if t is the session's transport, the
// session fails for reason and is finished. It reports whether t was the
// session's transport; if not, the caller closes t itself.
func (c *Conn) endTransport(t transport, reason string, o failOpts) bool {
	c.mu.Lock()
	active := c.tr == t
	if c.upgradingLocked(t) {
		c.dropUpgradeLocked() // the caller closes the candidate itself
	}
	c.mu.Unlock()
	if active {
		c.fail(reason, o)
		c.finish()
	}
	return active
}

// upgradingLocked reports whether t is the candidate of c's upgrade.
func (c *Conn) upgradingLocked(t transport) bool { return c.upg != nil && c.upg.cand == t }

// probed records that the client's probe was answered on w, and starts
// releasing the pending GET.
func (c *Conn) probed(w transport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.upgradingLocked(w) || c.upg.check != nil {
		return
	}
	u := c.upg
	u.check = time.AfterFunc(upgradeCheckInterval, func() { c.upgradeCheck(u) })
}

// upgradeCheck releases the pending GET with a noop, as long as the
// upgrade is in progress.
func (c *Conn) upgradeCheck(u *upgrade) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.upg != u {
		return
	}
	if c.state == stateOpen && len(c.queue) == 0 && c.tr.writableLocked() {
		c.queue = append(c.queue, noopMessage)
		c.tr.kickLocked()
	}
	u.check.Reset(upgradeCheckInterval)
}

// completeUpgrade makes w the transport of its session: the polling
// transport is retired, and what is queued goes out on w.
func (c *Conn) completeUpgrade(w transport) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.upgradingLocked(w) || c.state != stateOpen {
		return false
	}
	c.dropUpgradeLocked()
	old := c.tr
	c.tr = w
	old.retireLocked()
	w.kickLocked()
	return true
}

// upgradeTimedOut abandons an upgrade that took longer than
// UpgradeTimeout; the session goes on polling.
func (c *Conn) upgradeTimedOut(u *upgrade) {
	c.mu.Lock()
	if c.upg != u {
		c.mu.Unlock()
		return // completed or dropped meanwhile
	}
	c.dropUpgradeLocked()
	c.mu.Unlock()
	u.abandon()
}

// dropUpgradeLocked ends the upgrade in progress, if any, and returns it
// for the caller to abandon outside the lock.
func (c *Conn) dropUpgradeLocked() *upgrade {
	u := c.upg
	if u == nil {
		return nil
	}
	c.upg = nil
	u.timeout.Stop()
	if u.check != nil {
		u.check.Stop()
	}
	return u
}

// abandon closes the candidate of a dropped upgrade; its read loop ends.
// A nil upgrade does nothing.
func (u *upgrade) abandon() {
	if u != nil {
		u.cand.abandon()
	}
}
