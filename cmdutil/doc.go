// Package cmdutil holds the small pieces the example programs share on
// their command lines: the -version text (from the binary's build
// information) and the -netns argument (a name made by ip netns, or a
// path), checked before a collector is opened so that a mistake gets an
// error that says what to do.
//
// It is for programs, not for the library: nothing in packetpath's
// packages imports it.
package cmdutil
