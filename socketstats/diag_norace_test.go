//go:build !race

package socketstats

const diagRace = false
