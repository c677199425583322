//go:build !race

package udptable

const diagRace = false
