package parser_test

import (
	"fmt"

	"github.com/envivo/socketio/internal/parser"
)

func ExampleDecoder() {
	var d parser.Decoder
	// A BINARY_EVENT announces one attachment, which follows as a binary
	// message.
	p, err := d.DecodeText([]byte(`51-/chat,7["upload",{"_placeholder":true,"num":0}]`))
	fmt.Println(p, err)
	p, err = d.DecodeBinary([]byte("hi"))
	if err != nil {
		panic(err)
	}
	args, _ := parser.ResolvePlaceholders(p.Data, p.Attachments)
	fmt.Println(p.Type, p.Namespace, p.ID, string(args))
	// Output:
	// <nil> <nil>
	// BINARY_EVENT /chat 7 ["upload","aGk="]
}

func ExampleAppendArgs() {
	data, atts, err := parser.AppendArgs(nil, []any{"file", map[string]any{"name": "a.txt", "body": []byte("hi")}})
	if err != nil {
		panic(err)
	}
	p := parser.Packet{Type: parser.BinaryEvent, Namespace: "/", ID: parser.NoID, Data: data, Attachments: atts}
	fmt.Printf("%s %q\n", p.AppendText(nil), atts)
	// Output:
	// 51-["file",{"body":{"_placeholder":true,"num":0},"name":"a.txt"}] ["hi"]
}
