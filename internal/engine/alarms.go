package engine

import (
	"sync"
	"time"
)

// alarms runs the session timers of a server: the heartbeat and the bound
// of a graceful close. A time.Timer per session would cost about 130 bytes
// of each idle connection; instead, sessions that armed the same duration
// wait in one queue with one runtime timer. Since each arms its duration
// from the present, a queue is always in the order its sessions are due,
// and arming, re-arming and stopping take constant time.
//
// A server arms at most three durations: PingInterval, PingTimeout and the
// grace of a close.
type alarms struct {
	mu     sync.Mutex // guards every queue and every session's alarm links
	queues []*alarmQueue
}

// alarm is what a session holds of its timer, guarded by alarms.mu.
type alarm struct {
	queue      *alarmQueue // nil when not armed
	prev, next *Conn
	due        time.Duration // since epoch
}

// alarmQueue holds the sessions that armed one duration, first due first.
type alarmQueue struct {
	owner      *alarms
	d          time.Duration
	head, tail *Conn
	timer      *time.Timer // set for head's due time, or stale and harmless
}

// epoch is the origin of alarm times, which are read from the monotonic
// clock through time.Since.
var epoch = time.Now()

// arm makes c's onTimer run d from now, replacing c's earlier alarm.
func (a *alarms) arm(c *Conn, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.unlinkLocked(c)
	q := a.queueLocked(d)
	c.alarm = alarm{queue: q, prev: q.tail, due: time.Since(epoch) + d}
	if q.tail != nil {
		q.tail.alarm.next = c
	} else {
		q.head = c
		q.timer.Reset(d)
	}
	q.tail = c
}

// stop cancels c's alarm, if any.
func (a *alarms) stop(c *Conn) {
	a.mu.Lock()
	a.unlinkLocked(c)
	a.mu.Unlock()
}

// due reports whether c's alarm has come and c has not been armed again
// since.
func (a *alarms) due(c *Conn) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return c.alarm.queue == nil && c.alarm.due <= time.Since(epoch)
}

func (a *alarms) queueLocked(d time.Duration) *alarmQueue {
	for _, q := range a.queues {
		if q.d == d {
			return q
		}
	}
	q := &alarmQueue{owner: a, d: d}
	q.timer = time.AfterFunc(d, q.fire)
	q.timer.Stop()
	a.queues = append(a.queues, q)
	return q
}

func (a *alarms) unlinkLocked(c *Conn) {
	q := c.alarm.queue
	if q == nil {
		return
	}
	if p := c.alarm.prev; p != nil {
		p.alarm.next = c.alarm.next
	} else {
		q.head = c.alarm.next
	}
	if n := c.alarm.next; n != nil {
		n.alarm.prev = c.alarm.prev
	} else {
		q.tail = c.alarm.prev
	}
	c.alarm.queue, c.alarm.prev, c.alarm.next = nil, nil, nil
}

// fire takes the sessions that are due off the queue and runs their
// onTimer, outside the lock, then sets the timer for the next one.
func (q *alarmQueue) fire() {
	a := q.owner
	var ring []*Conn
	a.mu.Lock()
	now := time.Since(epoch)
	for c := q.head; c != nil && c.alarm.due <= now; c = q.head {
		a.unlinkLocked(c)
		ring = append(ring, c)
	}
	if q.head != nil {
		q.timer.Reset(q.head.alarm.due - now)
	}
	a.mu.Unlock()
	for _, c := range ring {
		c.onTimer()
	}
}
