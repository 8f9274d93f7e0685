// Package nodecapture reads messages captured from Node's @socket.io/redis-adapter
// (adapter/redis/testdata/node-messages.txt): the seeds of the fuzz tests and
// the reference of the wire tests. Only tests use it.
package nodecapture

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// Message is one captured message: the Redis command that published it,
// its channel, and its payload.
type Message struct {
	Command, Channel string
	Payload          []byte
}

// Read returns the messages of the capture file at path: one per line,
// "command channel hex-payload"; lines starting with # are comments.
func Read(path string) ([]Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Message
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		p, err := hex.DecodeString(fields[2])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, Message{fields[0], fields[1], p})
	}
	return out, sc.Err()
}
