// Package suggest finds the word someone most likely meant: the closest
// of a few known names (settings, commands) to one that was mistyped.
package suggest

import "strings"

// Closest returns the candidate nearest to word, compared without regard
// to case, and whether it is near enough to be what was meant: at most a
// third of the longer name's letters apart (at least 2), a swap of two
// neighbours counting as one. Ties go to the earlier candidate.
func Closest(word string, candidates []string) (string, bool) {
	best, bestD := "", -1
	w := strings.ToUpper(word)
	for _, c := range candidates {
		d := Distance(w, strings.ToUpper(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 {
		return "", false
	}
	return best, bestD <= max(2, max(len(word), len(best))/3)
}

// Distance is the number of single-letter edits (insert, delete, replace,
// or swap two neighbours) that turn a into b, byte by byte.
func Distance(a, b string) int {
	// The optimal string alignment distance: three rows of the table.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
