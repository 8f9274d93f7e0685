package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/envivo/socketio/examples/internal/identity"
	"github.com/envivo/socketio/examples/internal/jsonapi"
	"github.com/envivo/socketio/examples/notifications/notify"
)

// The JSON API. Every endpoint but login needs "Authorization: Bearer
// <token>"; errors are {"error": message}.
//
//	POST /api/login             {"name", "email"?}  -> {"token", "expiresAt", "user"}
//	GET  /api/rooms                                  -> {"rooms": [Room]}
//	POST /api/rooms             {"name"}            -> 201 {"room": Room}
//	POST /api/rooms/{id}/invite {"name"}            -> {"room": Room}
//	POST /api/rooms/{id}/leave                       -> 204
//	POST /api/notifications     {"userId", "type", "title", "message"} -> 202
//
// There are no passwords: logging in with a name is enough, the first
// time creating the user. Put a real login in front before anyone else can
// reach the server.

// Limits of names, in characters.
const (
	maxUserName = 32
	maxRoomName = 64
)

type loginRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type loginResponse struct {
	Token     string        `json:"token"`
	ExpiresAt string        `json:"expiresAt"`
	User      identity.User `json:"user"`
}

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := jsonapi.Decode(w, r, &req); err != nil {
		jsonapi.Fail(w, err)
		return
	}
	name, err := userName(req.Name)
	if err != nil {
		jsonapi.Fail(w, err)
		return
	}
	email := strings.TrimSpace(req.Email)
	if email == "" {
		email = strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"
	} else if len(email) > 254 || !strings.Contains(email, "@") {
		jsonapi.Fail(w, jsonapi.Invalid("email is not an email address"))
		return
	}
	user, err := a.store.Login(r.Context(), name, email)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	token, expires, err := a.tokens.Issue(user)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.Info("login", "user", user.ID, "name", user.Name)
	jsonapi.Write(w, http.StatusOK, loginResponse{Token: token, ExpiresAt: iso(expires), User: user})
}

// userName checks and trims a user name: letters, digits, spaces and
// "-_.'", at most maxUserName characters.
func userName(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", jsonapi.Invalid("name is required")
	case utf8.RuneCountInString(s) > maxUserName:
		return "", jsonapi.Invalid("name is longer than %d characters", maxUserName)
	}
	for _, c := range s {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && !strings.ContainsRune(" -_.'", c) {
			return "", jsonapi.Invalid("name may hold letters, digits, spaces and - _ . ' only")
		}
	}
	return s, nil
}

func (a *App) listRooms(w http.ResponseWriter, r *http.Request) {
	user, _ := identity.FromContext(r.Context())
	rooms, err := a.store.RoomsOf(r.Context(), user.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	jsonapi.Write(w, http.StatusOK, map[string]any{"rooms": rooms})
}

type roomRequest struct {
	Name string `json:"name"`
}

func (a *App) createRoom(w http.ResponseWriter, r *http.Request) {
	user, _ := identity.FromContext(r.Context())
	var req roomRequest
	if err := jsonapi.Decode(w, r, &req); err != nil {
		jsonapi.Fail(w, err)
		return
	}
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "":
		jsonapi.Fail(w, jsonapi.Invalid("name is required"))
		return
	case utf8.RuneCountInString(name) > maxRoomName:
		jsonapi.Fail(w, jsonapi.Invalid("name is longer than %d characters", maxRoomName))
		return
	}
	room, err := a.store.CreateRoom(r.Context(), name, user)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.Info("room created", "room", room.ID, "name", room.Name, "by", user.ID)
	jsonapi.Write(w, http.StatusCreated, map[string]any{"room": room})
}

// invite makes the user called name a member of the room; only a member
// may invite. The invited user gets a notification.
func (a *App) invite(w http.ResponseWriter, r *http.Request) {
	user, _ := identity.FromContext(r.Context())
	roomID := r.PathValue("id")
	var req roomRequest
	if err := jsonapi.Decode(w, r, &req); err != nil {
		jsonapi.Fail(w, err)
		return
	}
	room, err := a.store.Room(r.Context(), roomID)
	if errors.Is(err, ErrNotFound) {
		jsonapi.Error(w, http.StatusNotFound, "room not found")
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !isMember(room, user.ID) {
		jsonapi.Error(w, http.StatusForbidden, "you are not a member of this room")
		return
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		jsonapi.Fail(w, jsonapi.Invalid("name is required"))
		return
	}
	guest, err := a.store.UserByName(r.Context(), name)
	if errors.Is(err, ErrNotFound) {
		jsonapi.Error(w, http.StatusNotFound, fmt.Sprintf("no user called %q: they must log in once first", name))
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	added, err := a.store.AddMember(r.Context(), room.ID, guest.ID)
	if err == nil {
		room, err = a.store.Room(r.Context(), room.ID)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if added {
		a.log.Info("invited", "room", room.ID, "user", guest.ID, "by", user.ID)
		_, err = a.notes.Send(r.Context(), guest.ID, notify.Notification{
			Type:    notify.Info,
			Title:   "New room",
			Message: fmt.Sprintf("%s invited you to %s", user.Name, room.Name),
		})
		if err != nil {
			a.log.Error("notify invite", "user", guest.ID, "err", err)
		}
	}
	jsonapi.Write(w, http.StatusOK, map[string]any{"room": room})
}

// leaveRoom ends the user's membership of the room: their sockets leave
// it, on every instance, and get chat:roomLeft; the others in the room get
// chat:memberLeft. A user who is not a member gets a 403, an unknown room
// a 404.
func (a *App) leaveRoom(w http.ResponseWriter, r *http.Request) {
	user, _ := identity.FromContext(r.Context())
	roomID := r.PathValue("id")
	removed, err := a.store.RemoveMember(r.Context(), roomID, user.ID)
	var exists bool
	if err == nil && !removed {
		exists, err = a.store.RoomExists(r.Context(), roomID)
	}
	switch {
	case err != nil:
		a.fail(w, r, err)
	case !removed && !exists:
		jsonapi.Error(w, http.StatusNotFound, "room not found")
	case !removed:
		jsonapi.Error(w, http.StatusForbidden, "you are not a member of this room")
	default:
		a.log.Info("left", "room", roomID, "user", user.ID)
		a.memberLeft(r.Context(), roomID, user)
		w.WriteHeader(http.StatusNoContent)
	}
}

func isMember(room Room, userID string) bool {
	for _, m := range room.Members {
		if m.ID == userID {
			return true
		}
	}
	return false
}

// fail answers 500 for an unexpected error, which is logged.
func (a *App) fail(w http.ResponseWriter, r *http.Request, err error) {
	a.log.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
	jsonapi.Fail(w, err)
}
