package adapter_test

import (
	"fmt"

	"github.com/envivo/socketio/adapter"
)

func ExampleNewArgs() {
	args, _ := adapter.NewArgs([]byte(`["room-1",{"_placeholder":true,"num":0},{"n":3}]`), [][]byte{{1, 2, 3}})
	var room string
	var data []byte
	var opts struct{ N int }
	_ = args.Decode(0, &room)
	_ = args.Decode(1, &data)
	_ = args.Decode(2, &opts)
	fmt.Println(args.Len(), room, data, opts.N)
	// Output: 3 room-1 [1 2 3] 3
}
