//go:build race

package wallet

// raceEnabled shortens the child-process loops under the race detector,
// which makes each child several times slower to start and to save.
const raceEnabled = true
