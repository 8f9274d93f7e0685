package engine

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Compression, as Node's engine.io does it: polling answers in gzip or
// deflate by the request's Accept-Encoding (httpCompression), and WebSocket
// messages in permessage-deflate (perMessageDeflate, RFC 7692; the
// negotiation is in wsdeflate.go). Every compressor and decompressor comes
// from a pool for one body or message and goes back at once: a session
// holds none between messages.

// DefaultCompressionThreshold is the default of
// Options.HTTPCompressionThreshold and Options.PerMessageDeflateThreshold,
// Node's: smaller bodies and messages are sent as they are.
const DefaultCompressionThreshold = 1024

// compressionLevel is zlib's default level, which Node uses for both.
const compressionLevel = flate.DefaultCompression

// Pools of compressors by kind; each holds *gzip.Writer, *zlib.Writer or
// *flate.Writer.
var (
	gzipWriters  sync.Pool
	zlibWriters  sync.Pool
	flateWriters sync.Pool
	flateReaders sync.Pool // io.ReadCloser that is a flate.Resetter
)

// appendWriter is an io.Writer that appends to b.
type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// httpEncoding returns the content coding a polling answer of n bytes to
// a request with the Accept-Encoding accept gets: "gzip", "deflate" or ""
// (none). threshold is Options.HTTPCompressionThreshold.
func httpEncoding(accept string, n, threshold int) string {
	if threshold < 0 || n < threshold || accept == "" {
		return ""
	}
	return pickEncoding(accept)
}

// pickEncoding chooses between gzip and deflate by the q-values of an
// Accept-Encoding header ("*" stands for both when they are not named),
// preferring gzip on a tie, as Node's negotiation does. It returns "" when
// neither is acceptable.
func pickEncoding(accept string) string {
	qGzip, qDeflate := acceptQ(accept)
	switch {
	case qGzip <= 0 && qDeflate <= 0:
		return ""
	case qGzip >= qDeflate:
		return "gzip"
	default:
		return "deflate"
	}
}

// AcceptsGzip reports whether an Accept-Encoding header value admits gzip
// (named, as x-gzip, or through "*", with a q-value above 0), for answers
// of the server's other than polling ones, such as the client bundle.
func AcceptsGzip(accept string) bool {
	qGzip, _ := acceptQ(accept)
	return qGzip > 0
}

// acceptQ returns the q-values an Accept-Encoding header gives gzip and
// deflate, those of "*" for one it does not name, and -1 for one that
// nothing names.
func acceptQ(accept string) (qGzip, qDeflate float64) {
	qGzip, qDeflate, qAny := -1.0, -1.0, -1.0
	for part := range strings.SplitSeq(accept, ",") {
		name, params, _ := strings.Cut(part, ";")
		q := qValue(params)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip", "x-gzip":
			qGzip = q
		case "deflate":
			qDeflate = q
		case "*":
			qAny = q
		}
	}
	if qGzip < 0 {
		qGzip = qAny
	}
	if qDeflate < 0 {
		qDeflate = qAny
	}
	return qGzip, qDeflate
}

// qValue returns the q parameter among the parameters of one
// Accept-Encoding element: 1 if absent, 0 if malformed.
func qValue(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return 0
		}
		return q
	}
	return 1
}

// compressBody appends body compressed with encoding ("gzip" or
// "deflate", the zlib format that HTTP's deflate names) to dst.
func compressBody(dst, body []byte, encoding string) []byte {
	out := &appendWriter{b: dst}
	var zw interface {
		io.WriteCloser
		Reset(io.Writer)
	}
	var pool *sync.Pool
	switch encoding {
	case "gzip":
		pool = &gzipWriters
		if v := pool.Get(); v != nil {
			zw = v.(*gzip.Writer)
		} else {
			zw, _ = gzip.NewWriterLevel(nil, compressionLevel)
		}
	default:
		pool = &zlibWriters
		if v := pool.Get(); v != nil {
			zw = v.(*zlib.Writer)
		} else {
			zw, _ = zlib.NewWriterLevel(nil, compressionLevel)
		}
	}
	zw.Reset(out)
	_, _ = zw.Write(body) // writing to memory does not fail
	_ = zw.Close()
	zw.Reset(nil) // drop out
	pool.Put(zw)
	return out.b
}

// deflateTail ends a permessage-deflate payload for a flate reader: the
// empty stored block the sender removed (RFC 7692 section 7.2.2), then a
// final empty stored block so that the reader sees the end.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// deflateMessage appends the permessage-deflate payload of the given
// parts, taken as one message, to dst: the raw DEFLATE stream without its
// last four bytes. No context is kept from one message to the next (the
// negotiated server_no_context_takeover), so the result is the same for
// every connection.
func deflateMessage(dst []byte, parts ...[]byte) []byte {
	out := &appendWriter{b: dst}
	var fw *flate.Writer
	if v := flateWriters.Get(); v != nil {
		fw = v.(*flate.Writer)
		fw.Reset(out)
	} else {
		fw, _ = flate.NewWriter(out, compressionLevel)
	}
	for _, p := range parts {
		_, _ = fw.Write(p)
	}
	_ = fw.Flush() // ends in the empty stored block 00 00 ff ff
	fw.Reset(io.Discard)
	flateWriters.Put(fw)
	return out.b[:len(out.b)-4]
}

// errInflate reports a permessage-deflate payload that does not inflate.
var errInflate = errors.New("engine: websocket message does not inflate")

// inflateMessage inflates a permessage-deflate payload p (which it may
// extend) and returns the message. An inflated size over limit fails with
// errWSTooLarge as soon as the limit is passed: memory never grows beyond
// it, whatever the ratio. A payload that is not valid DEFLATE fails with
// errInflate.
func inflateMessage(p []byte, limit int64) ([]byte, error) {
	src := bytes.NewReader(append(p, deflateTail...))
	var fr io.ReadCloser
	if v := flateReaders.Get(); v != nil {
		fr = v.(io.ReadCloser)
		_ = fr.(flate.Resetter).Reset(src, nil)
	} else {
		fr = flate.NewReader(src)
	}
	out, err := io.ReadAll(io.LimitReader(fr, limit+1))
	_ = fr.(flate.Resetter).Reset(bytes.NewReader(nil), nil) // drop src
	flateReaders.Put(fr)
	switch {
	case err != nil:
		return nil, errInflate
	case int64(len(out)) > limit:
		return nil, errWSTooLarge
	}
	return out, nil
}
