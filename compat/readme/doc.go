// Package readme runs the Go code blocks of the repository's README.md as
// tests, so that what a newcomer copies from it compiles and works. It
// imports no plugin registry on purpose: the README promises that the
// built-in exchanges need none.
package readme
