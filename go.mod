module github.com/envivo/socketio

go 1.26

require (
	github.com/gobwas/ws v1.5.0
	github.com/golang-jwt/jwt/v5 v5.3.1
	go.uber.org/goleak v1.3.0
)

require github.com/gobwas/httphead v0.1.0 // indirect
