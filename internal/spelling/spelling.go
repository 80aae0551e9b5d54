// Package spelling finds the known word closest to a mistyped one, for
// "did you mean" suggestions in error messages.
package spelling

// Closest returns the word of known closest to word, within maxDistance
// edits (exclusive), or "" when none is that close. Of equally close
// words, the first in known wins.
func Closest(word string, known []string, maxDistance int) string {
	best, bestDistance := "", maxDistance
	for _, k := range known {
		if d := Distance(word, k); d < bestDistance {
			best, bestDistance = k, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b: the fewest
// insertions, deletions and substitutions of bytes that turn a into b.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
