// Package randid makes envivo's random identifiers: Engine.IO session ids,
// socket ids, and the node and request ids of the cluster adapters.
package randid

import "crypto/rand"

// Len is the length of session and socket ids: 20 characters, 120 random
// bits, the form of Node's base64id.
const Len = 20

// alphabet is the URL-safe base64 alphabet: 64 characters, so that one
// random byte masked to 6 bits picks one without bias.
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// New returns an id of n characters drawn from crypto/rand in the URL-safe
// base64 alphabet (A-Z, a-z, 0-9, '-' and '_'), 6 random bits each. Such an
// id needs no escaping in a URL query, a JSON string or a Redis channel
// name. With n = Len it is unguessable; shorter ids (Node's adapters use 6
// and 16) only tell nodes and requests apart. New is safe for concurrent
// use.
func New(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	for i, c := range b {
		b[i] = alphabet[c&63]
	}
	return string(b)
}
