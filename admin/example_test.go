package admin_test

import (
	"fmt"
	"net/http"

	"golang.org/x/crypto/bcrypt"

	"github.com/envivo/socketio/admin"
	"github.com/envivo/socketio/socket"
)

// Instrument a server for the admin UI hosted at https://admin.socket.io.
func ExampleInstrument() {
	io := socket.NewServer(&socket.Options{EngineOptions: socket.EngineOptions{
		CORS: socket.CORS{Origins: []string{"https://admin.socket.io"}, Credentials: true},
	}})
	hash, _ := bcrypt.GenerateFromPassword([]byte("changeit"), bcrypt.MinCost) // store the hash, not the password

	_, err := admin.Instrument(io, admin.Options{})
	fmt.Println(err)

	ui, err := admin.Instrument(io, admin.Options{
		Auth:     &admin.BasicAuth{Username: "admin", PasswordHash: string(hash)},
		ServerID: "eu-1",
	})
	if err != nil {
		panic(err)
	}
	defer ui.Close()
	fmt.Println(ui.Namespace().Name())
	_ = http.Handler(io) // mount io on your mux at /socket.io/
	// Output:
	// admin: set exactly one of Options.Auth and Options.NoAuth
	// /admin
}
