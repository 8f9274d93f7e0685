// Package msgpack is the project's one MessagePack codec, with the
// semantics of notepack.io, the library that Node's @socket.io/redis-adapter,
// @socket.io/redis-emitter and socket.io-msgpack-parser use: the same
// encoding choices (the smallest integer form for every integral number,
// float 64 otherwise, bin for binary data), so that what Go publishes is
// byte for byte what Node would. The Redis adapter and the socket package's
// msgpack parser both use it.
//
// Rather than decoding into Go values, it transcodes: AppendJSON turns JSON,
// in which binary data stands as Socket.IO placeholders
// ({"_placeholder":true,"num":i}), into MessagePack; ToJSON turns
// MessagePack from the network back into JSON and a list of binary
// attachments. Both keep the order of object members, which Go maps would
// lose.
package msgpack

import (
	"encoding/binary"
	"errors"
	"math"
)

// ErrInvalid is wrapped by every error about malformed input.
var ErrInvalid = errors.New("msgpack: invalid input")

// MaxDepth bounds the nesting of arrays and maps that AppendJSON and ToJSON
// accept. It stays below encoding/json's own limit (10000), so that what
// ToJSON returns can always be decoded by encoding/json.
const MaxDepth = 5000

// Format bytes, as named by the MessagePack specification.
const (
	fixMap   = 0x80
	fixArray = 0x90
	fixStr   = 0xa0
	mpNil    = 0xc0
	mpFalse  = 0xc2
	mpTrue   = 0xc3
	bin8     = 0xc4
	bin16    = 0xc5
	bin32    = 0xc6
	ext8     = 0xc7
	ext16    = 0xc8
	ext32    = 0xc9
	float32b = 0xca
	float64b = 0xcb
	uint8b   = 0xcc
	uint16b  = 0xcd
	uint32b  = 0xce
	uint64b  = 0xcf
	int8b    = 0xd0
	int16b   = 0xd1
	int32b   = 0xd2
	int64b   = 0xd3
	fixExt1  = 0xd4
	fixExt2  = 0xd5
	fixExt4  = 0xd6
	fixExt8  = 0xd7
	fixExt16 = 0xd8
	str8     = 0xd9
	str16    = 0xda
	str32    = 0xdb
	array16  = 0xdc
	array32  = 0xdd
	map16    = 0xde
	map32    = 0xdf
)

// AppendNil appends nil.
func AppendNil(b []byte) []byte { return append(b, mpNil) }

// AppendBool appends a boolean.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, mpTrue)
	}
	return append(b, mpFalse)
}

// AppendArrayHeader appends the header of an array of n elements, which the
// caller appends next.
func AppendArrayHeader(b []byte, n int) []byte {
	return appendHeader(b, n, fixArray, array16, array32)
}

// AppendMapHeader appends the header of a map of n pairs, which the caller
// appends next, each key before its value.
func AppendMapHeader(b []byte, n int) []byte {
	return appendHeader(b, n, fixMap, map16, map32)
}

func appendHeader(b []byte, n int, fix, b16, b32 byte) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, b16), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, b32), uint32(n))
	}
}

// AppendString appends a string.
func AppendString(b []byte, s string) []byte {
	b = appendStrHeader(b, len(s))
	return append(b, s...)
}

func appendStrHeader(b []byte, n int) []byte {
	switch {
	case n < 32:
		return append(b, fixStr|byte(n))
	case n <= math.MaxUint8:
		return append(b, str8, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, str16), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, str32), uint32(n))
	}
}

// AppendBin appends binary data, as notepack.io encodes a Buffer.
func AppendBin(b []byte, data []byte) []byte {
	n := len(data)
	switch {
	case n <= math.MaxUint8:
		b = append(b, bin8, byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, bin16), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, bin32), uint32(n))
	}
	return append(b, data...)
}

// AppendUint appends a non-negative integer in its smallest form.
func AppendUint(b []byte, v uint64) []byte {
	switch {
	case v < 0x80:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, uint8b, byte(v))
	case v <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, uint16b), uint16(v))
	case v <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, uint32b), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, uint64b), v)
	}
}

// AppendInt appends an integer in its smallest form, as notepack.io does:
// unsigned forms for non-negative values, signed ones for negative values.
func AppendInt(b []byte, v int64) []byte {
	switch {
	case v >= 0:
		return AppendUint(b, uint64(v))
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, int8b, byte(v))
	case v >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(b, int16b), uint16(v))
	case v >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, int32b), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, int64b), uint64(v))
	}
}

// AppendFloat appends a number as notepack.io encodes a JavaScript number:
// an integral value in its smallest integer form, anything else (fractions,
// infinities, NaN, and integral values beyond 64 bits) as a float 64.
func AppendFloat(b []byte, f float64) []byte {
	if f == math.Trunc(f) && !math.IsInf(f, 0) {
		switch {
		case f >= 0 && f < 1<<64:
			return AppendUint(b, uint64(f))
		case f < 0 && f >= math.MinInt64:
			return AppendInt(b, int64(f))
		}
	}
	return binary.BigEndian.AppendUint64(append(b, float64b), math.Float64bits(f))
}
