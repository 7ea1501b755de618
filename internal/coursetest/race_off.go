//go:build !race

package coursetest

const raceEnabled = false
