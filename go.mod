module github.com/envivo/socketio

go 1.26
