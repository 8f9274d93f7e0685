package main

//go:generate go run ../../cmd/socketio-ts -o static/events.d.ts . ../notifications/notify

import (
	"time"

	"github.com/envivo/socketio/socket"
)

// The events of the chat, with their payloads: the Go form of the
// tutorial's ClientToServerEvents and ServerToClientEvents. Each is declared
// once here; handlers and emits go through these values, so the compiler
// checks every payload.

// Client to server.
var (
	// ChatJoin asks to join a room: the user must be a member.
	ChatJoin = socket.Event[RoomRef]{Name: "chat:join"}
	// ChatLeave leaves a room.
	ChatLeave = socket.Event[RoomRef]{Name: "chat:leave"}
	// ChatSend sends a message to a room the socket has joined.
	ChatSend = socket.Event[SendMessage]{Name: "chat:message"}
	// ChatTyping says the user is typing in a room.
	ChatTyping = socket.Event[RoomRef]{Name: "chat:typing"}
)

// Server to client.
var (
	// ChatJoined confirms a join, to the socket that joined.
	ChatJoined = socket.Event[RoomRef]{Name: "chat:joined"}
	// ChatHistory follows ChatJoined: the last HistorySize messages of the
	// room, oldest first.
	ChatHistory = socket.Event[[]Message]{Name: "chat:history"}
	// ChatUserJoined tells the others in a room that a user joined it.
	ChatUserJoined = socket.Event[UserJoined]{Name: "chat:userJoined"}
	// ChatUserLeft tells the others in a room that a user left it.
	ChatUserLeft = socket.Event[UserLeft]{Name: "chat:userLeft"}
	// ChatMessage is a new message, to everyone in its room, sender included.
	ChatMessage = socket.Event[Message]{Name: "chat:message"}
	// ChatTypingNotice tells the others in a room who is typing.
	ChatTypingNotice = socket.Event[Typing]{Name: "chat:typing"}
	// ErrorEvent answers a client event that was refused.
	ErrorEvent = socket.Event[ErrorPayload]{Name: "error"}
)

// HistorySize is how many messages ChatHistory carries at most.
const HistorySize = 50

// MaxContent is the longest message content, in characters.
const MaxContent = 2000

// RoomRef names a room: the payload of chat:join, chat:leave, chat:typing
// and chat:joined.
type RoomRef struct {
	RoomID string `json:"roomId"`
}

// SendMessage is the payload of chat:message from a client.
type SendMessage struct {
	RoomID  string `json:"roomId"`
	Content string `json:"content"`
}

// Message is a stored message, as chat:message and chat:history carry it.
type Message struct {
	ID        string `json:"id"`
	Content   string `json:"content"`
	Author    Author `json:"author"`
	RoomID    string `json:"roomId"`
	CreatedAt string `json:"createdAt"` // ISO 8601, UTC, milliseconds
}

// Author is who wrote a Message.
type Author struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// UserJoined is the payload of chat:userJoined.
type UserJoined struct {
	UserID    string `json:"userId"`
	Email     string `json:"email"`
	Timestamp string `json:"timestamp"` // ISO 8601
}

// UserLeft is the payload of chat:userLeft.
type UserLeft struct {
	UserID string `json:"userId"`
}

// Typing is the payload of chat:typing to the others in the room.
type Typing struct {
	RoomID string `json:"roomId"`
	UserID string `json:"userId"`
	Name   string `json:"name"`
}

// ErrorPayload is the payload of error.
type ErrorPayload struct {
	Message string `json:"message"`
}

// isoLayout formats times as JavaScript's Date.prototype.toISOString does.
const isoLayout = "2006-01-02T15:04:05.000Z"

// iso formats t for a payload.
func iso(t time.Time) string { return t.UTC().Format(isoLayout) }
