// Command socketio-ts writes the TypeScript declarations of a server's typed
// events, so that a frontend's socket.io-client is checked against the same
// payloads as the Go handlers:
//
//	go run github.com/envivo/socketio/cmd/socketio-ts -o web/events.d.ts ./server
//
// or, beside the event declarations,
//
//	//go:generate go run github.com/envivo/socketio/cmd/socketio-ts -o static/events.d.ts .
//
// It loads the packages the patterns name (default "."), finds every use of
// the socket package's typed-event API in them, and writes
// ServerToClientEvents, ClientToServerEvents, InterServerEvents and
// SocketData, which socket.io-client's Socket<ServerToClientEvents,
// ClientToServerEvents> takes, with an interface for each payload struct:
//
//	import { io, Socket } from "socket.io-client";
//	import type { ServerToClientEvents, ClientToServerEvents } from "./events";
//	const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io();
//
// An event's direction comes from how the Go code uses it: Event.Emit and
// AckEvent.EmitWithAck send to clients (ServerToClientEvents); Event.On,
// AckEvent.On, socket.On and socket.OnAck handle what clients send
// (ClientToServerEvents). An event used both ways appears in both maps. The
// event must be a package-level variable initialized with a literal, or a
// literal, and its name a constant string.
//
// Payloads map as encoding/json encodes them: field names from json tags,
// omitempty and omitzero fields optional, pointers "| null", slices as
// arrays and maps as records (send empty ones rather than nil, which
// encodes as null), []byte as binary (ArrayBuffer | Uint8Array),
// time.Time and other encoding.TextMarshalers as string, other
// json.Marshalers and interfaces as unknown, embedded structs flattened. The
// reply of socket.OnAck and AckEvent.On includes { error: string }, which
// the server answers when its handler fails. Go doc comments become JSDoc.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/envivo/socketio/internal/tsgen"
)

func main() {
	out := flag.String("o", "", "write to this file instead of standard output")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: socketio-ts [-o file.d.ts] [packages]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "socketio-ts:", err)
		os.Exit(1)
	}
}

func run(out string, patterns []string) error {
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	var b bytes.Buffer
	if err := tsgen.Generate(&b, ".", patterns...); err != nil {
		return err
	}
	if out == "" {
		_, err := os.Stdout.Write(b.Bytes())
		return err
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}
