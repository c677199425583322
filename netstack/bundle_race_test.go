//go:build race

package netstack

// raceEnabled reports a -race build, under which the tests that hold
// hundreds of MB skip: the detector multiplies their memory.
const raceEnabled = true
