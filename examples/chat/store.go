package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/envivo/socketio/examples/internal/identity"
	"github.com/envivo/socketio/examples/notifications/notify"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, in pure Go
)

// Store keeps users, rooms, room members, messages and each user's last
// notifications in SQLite. Its methods are safe for concurrent use.
type Store struct {
	db *sql.DB
}

// ErrNotFound is returned for a user or room that does not exist.
var ErrNotFound = errors.New("not found")

const schema = `
CREATE TABLE IF NOT EXISTS users (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
	email      TEXT NOT NULL,
	role       TEXT NOT NULL DEFAULT 'user',
	created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rooms (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_by TEXT NOT NULL REFERENCES users(id),
	created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS room_members (
	room_id   TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
	user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	joined_at TEXT NOT NULL,
	PRIMARY KEY (room_id, user_id)
);
CREATE INDEX IF NOT EXISTS room_members_by_user ON room_members(user_id);
CREATE TABLE IF NOT EXISTS messages (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT, -- the order of messages
	id         TEXT NOT NULL UNIQUE,
	room_id    TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
	author_id  TEXT NOT NULL REFERENCES users(id),
	content    TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_room ON messages(room_id, seq);
CREATE TABLE IF NOT EXISTS notifications (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT, -- the order of notifications
	id         TEXT NOT NULL UNIQUE,
	user_id    TEXT NOT NULL, -- no foreign key: POST /api/notifications may name anyone
	type       TEXT NOT NULL,
	title      TEXT NOT NULL,
	message    TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_by_user ON notifications(user_id, seq);
`

// OpenStore opens the SQLite database at path, a file created if needed or
// ":memory:" for one that lives as long as the Store, and creates the
// schema.
func OpenStore(ctx context.Context, path string) (*Store, error) {
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)"
	if path != ":memory:" {
		dsn += "&_pragma=journal_mode(WAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// One connection: SQLite writes one transaction at a time anyway, and
	// a ":memory:" database exists only on the connection that made it.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (st *Store) Close() error { return st.db.Close() }

// newID returns a random identifier for a row.
func newID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// Login returns the user called name, created with email on first login.
func (st *Store) Login(ctx context.Context, name, email string) (identity.User, error) {
	_, err := st.db.ExecContext(ctx,
		`INSERT INTO users (id, name, email, role, created_at) VALUES (?, ?, ?, 'user', ?)
		 ON CONFLICT (name) DO NOTHING`, newID(), name, email, iso(time.Now()))
	if err != nil {
		return identity.User{}, err
	}
	return st.userBy(ctx, "name", name)
}

// User returns the user with the given id.
func (st *Store) User(ctx context.Context, id string) (identity.User, error) {
	return st.userBy(ctx, "id", id)
}

// UserByName returns the user called name, in any case.
func (st *Store) UserByName(ctx context.Context, name string) (identity.User, error) {
	return st.userBy(ctx, "name", name)
}

func (st *Store) userBy(ctx context.Context, column, value string) (identity.User, error) {
	var u identity.User
	err := st.db.QueryRowContext(ctx,
		`SELECT id, name, email, role FROM users WHERE `+column+` = ?`, value).
		Scan(&u.ID, &u.Name, &u.Email, &u.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	return u, err
}

// Room is a chat room and its members, as the JSON API shows it.
type Room struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	CreatedAt string   `json:"createdAt"`
	Members   []Author `json:"members"`
}

// CreateRoom creates a room called name whose first member is its creator.
func (st *Store) CreateRoom(ctx context.Context, name string, creator identity.User) (Room, error) {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return Room{}, err
	}
	defer tx.Rollback()
	r := Room{ID: newID(), Name: name, CreatedAt: iso(time.Now())}
	if _, err := tx.ExecContext(ctx, `INSERT INTO rooms (id, name, created_by, created_at) VALUES (?, ?, ?, ?)`,
		r.ID, r.Name, creator.ID, r.CreatedAt); err != nil {
		return Room{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?, ?, ?)`,
		r.ID, creator.ID, r.CreatedAt); err != nil {
		return Room{}, err
	}
	r.Members = []Author{{ID: creator.ID, Name: creator.Name}}
	return r, tx.Commit()
}

// RoomExists reports whether the room exists.
func (st *Store) RoomExists(ctx context.Context, roomID string) (bool, error) {
	var n int
	err := st.db.QueryRowContext(ctx, `SELECT count(*) FROM rooms WHERE id = ?`, roomID).Scan(&n)
	return n > 0, err
}

// IsMember reports whether the user is a member of the room.
func (st *Store) IsMember(ctx context.Context, roomID, userID string) (bool, error) {
	var n int
	err := st.db.QueryRowContext(ctx,
		`SELECT count(*) FROM room_members WHERE room_id = ? AND user_id = ?`, roomID, userID).Scan(&n)
	return n > 0, err
}

// AddMember makes the user a member of the room and reports whether they
// were not one already.
func (st *Store) AddMember(ctx context.Context, roomID, userID string) (added bool, err error) {
	res, err := st.db.ExecContext(ctx,
		`INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?, ?, ?)
		 ON CONFLICT DO NOTHING`, roomID, userID, iso(time.Now()))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RemoveMember ends the user's membership of the room and reports whether
// they were a member.
func (st *Store) RemoveMember(ctx context.Context, roomID, userID string) (removed bool, err error) {
	res, err := st.db.ExecContext(ctx,
		`DELETE FROM room_members WHERE room_id = ? AND user_id = ?`, roomID, userID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Room returns a room with its members.
func (st *Store) Room(ctx context.Context, roomID string) (Room, error) {
	rooms, err := st.rooms(ctx, `WHERE r.id = ?`, roomID)
	if err != nil {
		return Room{}, err
	}
	if len(rooms) == 0 {
		return Room{}, ErrNotFound
	}
	return rooms[0], nil
}

// RoomsOf returns the rooms the user is a member of, oldest first, each
// with its members.
func (st *Store) RoomsOf(ctx context.Context, userID string) ([]Room, error) {
	return st.rooms(ctx, `WHERE r.id IN (SELECT room_id FROM room_members WHERE user_id = ?)`, userID)
}

// rooms returns the rooms that where selects, with their members.
func (st *Store) rooms(ctx context.Context, where string, args ...any) ([]Room, error) {
	rows, err := st.db.QueryContext(ctx, `
		SELECT r.id, r.name, r.created_at, u.id, u.name
		FROM rooms r
		JOIN room_members m ON m.room_id = r.id
		JOIN users u ON u.id = m.user_id
		`+where+`
		ORDER BY r.created_at, r.id, m.joined_at, u.name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	rooms := []Room{}
	for rows.Next() {
		var r Room
		var a Author
		if err := rows.Scan(&r.ID, &r.Name, &r.CreatedAt, &a.ID, &a.Name); err != nil {
			return nil, err
		}
		if n := len(rooms); n == 0 || rooms[n-1].ID != r.ID {
			rooms = append(rooms, r)
		}
		last := &rooms[len(rooms)-1]
		last.Members = append(last.Members, a)
	}
	return rooms, rows.Err()
}

// AddMessage stores a message by author in the room.
func (st *Store) AddMessage(ctx context.Context, roomID string, author identity.User, content string) (Message, error) {
	m := Message{
		ID:        newID(),
		Content:   content,
		Author:    Author{ID: author.ID, Name: author.Name},
		RoomID:    roomID,
		CreatedAt: iso(time.Now()),
	}
	_, err := st.db.ExecContext(ctx,
		`INSERT INTO messages (id, room_id, author_id, content, created_at) VALUES (?, ?, ?, ?, ?)`,
		m.ID, m.RoomID, author.ID, m.Content, m.CreatedAt)
	return m, err
}

// LastMessages returns the last n messages of the room, oldest first.
func (st *Store) LastMessages(ctx context.Context, roomID string, n int) ([]Message, error) {
	rows, err := st.db.QueryContext(ctx, `
		SELECT m.id, m.content, u.id, u.name, m.room_id, m.created_at
		FROM messages m JOIN users u ON u.id = m.author_id
		WHERE m.room_id = ?
		ORDER BY m.seq DESC
		LIMIT ?`, roomID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	msgs := []Message{}
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.ID, &m.Content, &m.Author.ID, &m.Author.Name, &m.RoomID, &m.CreatedAt); err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	slices.Reverse(msgs)
	return msgs, rows.Err()
}

// SaveNotification implements notify.Store: it keeps n, sent to userID,
// and forgets all but the user's last notify.HistorySize.
func (st *Store) SaveNotification(ctx context.Context, userID string, n notify.Notification) error {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO notifications (id, user_id, type, title, message, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		n.ID, userID, n.Type, n.Title, n.Message, iso(time.Now())); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `
		DELETE FROM notifications WHERE user_id = ?1 AND seq NOT IN (
			SELECT seq FROM notifications WHERE user_id = ?1 ORDER BY seq DESC LIMIT ?2)`,
		userID, notify.HistorySize); err != nil {
		return err
	}
	return tx.Commit()
}

// RecentNotifications implements notify.Store: the last limit
// notifications sent to userID, oldest first.
func (st *Store) RecentNotifications(ctx context.Context, userID string, limit int) ([]notify.Notification, error) {
	rows, err := st.db.QueryContext(ctx, `
		SELECT id, type, title, message FROM notifications
		WHERE user_id = ? ORDER BY seq DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []notify.Notification{}
	for rows.Next() {
		var n notify.Notification
		if err := rows.Scan(&n.ID, &n.Type, &n.Title, &n.Message); err != nil {
			return nil, err
		}
		list = append(list, n)
	}
	slices.Reverse(list)
	return list, rows.Err()
}
