package nodepeer

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// serverStartTimeout bounds the wait for a Node server's "listening" line.
const serverStartTimeout = 20 * time.Second

// Server starts a Node script that serves Socket.IO, bound to t, and returns
// the port it listens on.
//
// script is a path relative to testdata/node (e.g. "server.js") or an
// absolute one. It runs with testdata/node as its working directory, with
// NODE_PATH pointing at testdata/node/node_modules, and with the environment
// of the test plus PORT=0 plus env (which may override PORT). It must listen
// on 127.0.0.1 and then print {"ev":"listening","port":N} as a line on stdout.
//
// The script is preloaded with testdata/node/with-parent.js, which exits the
// process when its stdin (held by the test) closes: at t.Cleanup stdin is
// closed, the process is killed if it lingers, and the cleanup waits for it.
// Its stdout and stderr are logged if the test failed.
func (p *Peer) Server(t testing.TB, script string, env map[string]string) (port int) {
	t.Helper()
	if !filepath.IsAbs(script) {
		script = filepath.Join(p.dir, script)
	}
	cmd := exec.Command(p.node, "--require", filepath.Join(p.dir, "with-parent.js"), script)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(p.dir, "node_modules"), "PORT=0")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("nodepeer: %s stdin: %v", script, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("nodepeer: %s stdout: %v", script, err)
	}
	output := &syncBuffer{} // stdout and stderr, for failure logs
	cmd.Stderr = output
	if err := cmd.Start(); err != nil {
		t.Fatalf("nodepeer: start %s: %v", script, err)
	}

	ports := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := bufio.NewReader(stdout)
		announced := false
		for {
			line, err := r.ReadBytes('\n')
			output.Write(line)
			if !announced {
				var msg struct {
					Ev   string `json:"ev"`
					Port int    `json:"port"`
				}
				if json.Unmarshal(line, &msg) == nil && msg.Ev == "listening" && msg.Port > 0 {
					announced = true
					ports <- msg.Port
				}
			}
			if err != nil {
				return
			}
		}
	}()

	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(exitTimeout):
			cmd.Process.Kill()
			<-done
		}
		err := cmd.Wait()
		if t.Failed() {
			t.Logf("nodepeer: %s exited (%v); output:\n%s", filepath.Base(script), err, output.String())
		}
	})

	select {
	case port = <-ports:
		return port
	case <-done:
		t.Fatalf("nodepeer: %s exited before listening; output:\n%s", script, output.String())
	case <-time.After(serverStartTimeout):
		t.Fatalf("nodepeer: %s did not print {\"ev\":\"listening\",\"port\":N} within %v; output:\n%s",
			script, serverStartTimeout, output.String())
	}
	return 0
}
