package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/envivo/socketio/examples/internal/identity"
	"github.com/envivo/socketio/examples/internal/jsonapi"
	"github.com/envivo/socketio/socket"
)

// roomPrefix starts the socket.io room of a chat room, which keeps chat
// rooms apart from the sockets' own rooms.
const roomPrefix = "room:"

// chatRoom returns the socket.io room of a chat room.
func chatRoom(roomID string) string { return roomPrefix + roomID }

// userRoom returns the socket.io room that holds every chat socket of a
// user, on every instance.
func userRoom(userID string) string { return "user:" + userID }

// maxRoomID is longer than any room id; longer ones are not looked up.
const maxRoomID = 64

// onConnection registers the chat's handlers on a new socket, which
// auth.Middleware has authenticated.
func (a *App) onConnection(s *socket.Socket) {
	user, _ := identity.FromSocket(s)
	a.log.Info("connected", "nsp", "/", "socket", s.ID(), "user", user.ID, "name", user.Name,
		"transport", s.Transport(), "address", s.Handshake().Address)

	s.Join(userRoom(user.ID))
	ChatJoin.On(s, a.join)
	ChatLeave.On(s, a.leave)
	ChatSend.On(s, a.message)
	ChatTyping.On(s, a.typing)

	// Leaving: the others in each of its chat rooms are told.
	s.OnDisconnecting(func(s *socket.Socket, reason socket.DisconnectReason) {
		for _, room := range s.Rooms() {
			if strings.HasPrefix(room, roomPrefix) {
				_ = ChatUserLeft.Emit(s.To(room), UserLeft{UserID: user.ID})
			}
		}
	})
	s.OnDisconnect(func(s *socket.Socket, reason socket.DisconnectReason) {
		a.log.Info("disconnected", "nsp", "/", "socket", s.ID(), "user", user.ID, "reason", reason)
	})
}

// join handles chat:join: a member of the room joins it, gets chat:joined
// and the room's history; the others get chat:userJoined.
//
// The socket joins before the history is read, so that no message falls
// between the two: one sent meanwhile may come both live and in the
// history, and the page drops the second by its id.
func (a *App) join(s *socket.Socket, in RoomRef) error {
	user, _ := identity.FromSocket(s)
	if err := a.checkMember(s, in.RoomID, user.ID); err != nil {
		return err
	}
	room := chatRoom(in.RoomID)
	again := s.InRoom(room)
	s.Join(room)
	if err := ChatJoined.Emit(s, in); err != nil {
		return err
	}
	if !again {
		_ = ChatUserJoined.Emit(s.To(room), UserJoined{UserID: user.ID, Email: user.Email, Timestamp: iso(time.Now())})
	}
	history, err := a.store.LastMessages(s.Context(), in.RoomID, HistorySize)
	if err != nil {
		return err
	}
	return ChatHistory.Emit(s, history)
}

// checkMember returns the error for a user who may not join the room.
func (a *App) checkMember(s *socket.Socket, roomID, userID string) error {
	if err := checkRoomID(roomID); err != nil {
		return err
	}
	member, err := a.store.IsMember(s.Context(), roomID, userID)
	if err != nil || member {
		return err
	}
	return a.roomError(s, roomID, "you are not a member of this room")
}

// roomError returns the error for a room the socket may not use: "room not
// found" when it does not exist, else msg.
func (a *App) roomError(s *socket.Socket, roomID, msg string) error {
	if len(roomID) > maxRoomID {
		return refuse("room not found")
	}
	exists, err := a.store.RoomExists(s.Context(), roomID)
	switch {
	case err != nil:
		return err
	case !exists:
		return refuse("room not found")
	default:
		return refuse("%s", msg)
	}
}

func checkRoomID(roomID string) error {
	if roomID == "" {
		return refuse("roomId is required")
	}
	return nil
}

// message handles chat:message: a message to a room the socket has joined
// is stored, then sent to the whole room.
func (a *App) message(s *socket.Socket, in SendMessage) error {
	if err := checkRoomID(in.RoomID); err != nil {
		return err
	}
	content := strings.TrimSpace(in.Content)
	if content == "" {
		return refuse("content must not be empty")
	}
	if n := utf8.RuneCountInString(content); n > MaxContent {
		return refuse("content is too long: %d characters, at most %d", n, MaxContent)
	}
	if !s.InRoom(chatRoom(in.RoomID)) {
		return a.roomError(s, in.RoomID, "join the room before sending messages to it")
	}
	user, _ := identity.FromSocket(s)
	msg, err := a.store.AddMessage(s.Context(), in.RoomID, user, content)
	if err != nil {
		return err
	}
	return ChatMessage.Emit(a.io.To(chatRoom(in.RoomID)), msg)
}

// typing handles chat:typing: the others in the room are told.
func (a *App) typing(s *socket.Socket, in RoomRef) error {
	if err := checkRoomID(in.RoomID); err != nil {
		return err
	}
	room := chatRoom(in.RoomID)
	if !s.InRoom(room) {
		return a.roomError(s, in.RoomID, "join the room before typing in it")
	}
	user, _ := identity.FromSocket(s)
	return ChatTypingNotice.Emit(s.To(room), Typing{RoomID: in.RoomID, UserID: user.ID, Name: user.Name})
}

// leave handles chat:leave: the socket leaves the room, the others in it
// are told.
func (a *App) leave(s *socket.Socket, in RoomRef) error {
	if err := checkRoomID(in.RoomID); err != nil {
		return err
	}
	room := chatRoom(in.RoomID)
	if !s.InRoom(room) {
		return a.roomError(s, in.RoomID, "you are not in this room")
	}
	s.Leave(room)
	user, _ := identity.FromSocket(s)
	return ChatUserLeft.Emit(s.To(room), UserLeft{UserID: user.ID})
}

// memberLeft follows the end of user's membership of a room: every socket
// of the user, on every instance, leaves the room and gets chat:roomLeft;
// the others in the room get chat:memberLeft. A remote instance may apply
// the leave after the notice goes out, so the notice excludes the user's
// sockets by their room rather than by their leaving first.
func (a *App) memberLeft(ctx context.Context, roomID string, user identity.User) {
	room, mine := chatRoom(roomID), userRoom(user.ID)
	if err := a.io.In(mine).SocketsLeave(ctx, room); err != nil {
		a.log.Error("leave: sockets leave", "room", roomID, "user", user.ID, "err", err)
	}
	left := MemberLeft{RoomID: roomID, UserID: user.ID, Name: user.Name}
	if err := ChatMemberLeft.Emit(a.io.To(room).Except(mine), left); err != nil {
		a.log.Error("leave: notice", "room", roomID, "err", err)
	}
	if err := ChatRoomLeft.Emit(a.io.To(mine), RoomRef{RoomID: roomID}); err != nil {
		a.log.Error("leave: tell the user", "user", user.ID, "err", err)
	}
}

// clientError is an error a handler returns for bad input: its message is
// for the client.
type clientError struct{ msg string }

func (e *clientError) Error() string { return e.msg }

func refuse(format string, args ...any) error {
	return &clientError{msg: fmt.Sprintf(format, args...)}
}

// payloadShapes describe the payload of each client event, for errors.
var payloadShapes = map[string]string{
	ChatJoin.Name:   `{"roomId": string}`,
	ChatLeave.Name:  `{"roomId": string}`,
	ChatTyping.Name: `{"roomId": string}`,
	ChatSend.Name:   `{"roomId": string, "content": string}`,
}

// onError is socket.Options.OnError: every error of a typed handler, its
// payload's decoding included, ends here and is answered with an error
// event. One place for it means the handlers only return errors, and that
// payloads which do not decode (which never reach a handler) are answered
// too. Errors that are not the client's fault are logged, and the client
// is told no more than "internal error".
func (a *App) onError(s *socket.Socket, event string, err error) {
	user, _ := identity.FromSocket(s)
	msg := describe(event, err)
	if msg == "" {
		a.log.Error("event failed", "event", event, "socket", s.ID(), "user", user.ID, "err", err)
		msg = "internal error"
	} else {
		a.log.Info("event refused", "event", event, "socket", s.ID(), "user", user.ID, "reason", msg)
	}
	_ = ErrorEvent.Emit(s, ErrorPayload{Message: event + ": " + msg})
}

// describe returns what to tell the client about err, or "" when err is not
// the client's fault.
func describe(event string, err error) string {
	shape := payloadShapes[event]
	if ce, ok := errors.AsType[*clientError](err); ok {
		return ce.msg
	}
	if errors.Is(err, socket.ErrMissingArgument) {
		return "payload is missing, expected " + shape
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return "payload must be an object " + shape + ", not " + jsonapi.Article(te.Value)
		}
		return fmt.Sprintf("%s must be %s, not %s", te.Field, jsonapi.Article(te.Type.Kind().String()), jsonapi.Article(te.Value))
	}
	if _, ok := errors.AsType[*json.SyntaxError](err); ok {
		return "payload is not valid JSON"
	}
	return ""
}
