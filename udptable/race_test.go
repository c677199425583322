//go:build race

package udptable

// diagRace reports a -race build, where the race runtime allocates and
// allocation counts are meaningless.
const diagRace = true
