// Package adapterlink hands package adapter the parts of package socket
// that adapter authors need and application code should not see.
//
// Package socket stores its toolkit in Kit from an init function. Package
// adapter imports socket, so that init has run when adapter's own init
// asserts Kit to the interface adapter declares; a mismatch between the
// two packages panics then, at program start, which every test of
// package adapter shows. Nothing else may use Kit.
package adapterlink

// Kit is package socket's toolkit for package adapter.
var Kit any
