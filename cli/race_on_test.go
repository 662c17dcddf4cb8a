//go:build race

package cli

// raceEnabled builds the program under test with the race detector too.
const raceEnabled = true
