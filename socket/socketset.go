package socket

import "github.com/envivo/socketio/internal/workers"

// socketSet is the members of one room. They are kept in a slice, so that
// a broadcast walks them without iterating a map and can split them
// between goroutines; the index finds a member to remove it in constant
// time. It is guarded by its adapter's lock.
type socketSet struct {
	list []*Socket
	at   map[*Socket]int // index in list
}

func newSocketSet() *socketSet { return &socketSet{at: make(map[*Socket]int)} }

// add adds s, once.
func (x *socketSet) add(s *Socket) {
	if _, in := x.at[s]; !in {
		x.at[s] = len(x.list)
		x.list = append(x.list, s)
	}
}

// remove removes s, moving the last member into its place.
func (x *socketSet) remove(s *Socket) {
	i, in := x.at[s]
	if !in {
		return
	}
	last := len(x.list) - 1
	if i != last {
		x.list[i] = x.list[last]
		x.at[x.list[i]] = i
	}
	x.list[last] = nil
	x.list = x.list[:last]
	delete(x.at, s)
}

func (x *socketSet) has(s *Socket) bool {
	if x == nil {
		return false
	}
	_, in := x.at[s]
	return in
}

func (x *socketSet) len() int {
	if x == nil {
		return 0
	}
	return len(x.list)
}

// fanOutChunk is the fewest recipients a goroutine of a broadcast's
// fan-out gets: below it, starting the goroutine costs more than it saves.
const fanOutChunk = 1024

// fanOut calls f for each of list, and returns when every call has
// returned. A long list is split across up to GOMAXPROCS goroutines, the
// caller's among them. Since it returns only once all is done, the
// broadcasts of one goroutine still reach each socket in order, and a
// direct emit after a broadcast comes after it.
func fanOut(list []*Socket, f func(*Socket)) { workers.Each(list, fanOutChunk, f) }
