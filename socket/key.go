package socket

import "encoding/json"

// Key is a typed slot of per-socket data, declared once:
//
//	var UserKey = socket.Key[User]{Name: "user"}
//	UserKey.Set(s, user)                  // in a middleware
//	u, ok := UserKey.Get(s)               // in a handler
//	u, ok = UserKey.Remote(remoteSocket)  // from FetchSockets, on any node
//
// It stores the value with Socket.Set under Name, so it travels with the
// socket's data: to other nodes in FetchSockets (as JSON, which Remote
// decodes back into a T) and through connection state recovery. A T
// should therefore encode to JSON and back.
type Key[T any] struct {
	Name string
}

// Set stores v on s under the key's name. It is safe for concurrent use.
func (k Key[T]) Set(s *Socket, v T) { s.Set(k.Name, v) }

// Get returns the value Set stored on s, and false when there is none or
// it does not convert to a T (a value of another type that does not decode
// as one).
func (k Key[T]) Get(s *Socket) (T, bool) {
	v, ok := s.Get(k.Name)
	if !ok {
		var zero T
		return zero, false
	}
	return k.decode(v)
}

// Remote returns the value of the key in a socket snapshot that
// FetchSockets returned. A socket of this node carries the value itself;
// one from another node carries it as decoded JSON, which Remote turns
// back into a T. It reports false when there is none or it does not
// convert.
func (k Key[T]) Remote(r *RemoteSocket) (T, bool) {
	v, ok := r.Data[k.Name]
	if !ok {
		var zero T
		return zero, false
	}
	return k.decode(v)
}

// decode returns v as a T: as is when it is one, else through its JSON
// form (a value that crossed the cluster, or was restored).
func (k Key[T]) decode(v any) (T, bool) {
	if t, ok := v.(T); ok {
		return t, true
	}
	var t T
	b, err := json.Marshal(v)
	if err != nil || json.Unmarshal(b, &t) != nil {
		var zero T
		return zero, false
	}
	return t, true
}
