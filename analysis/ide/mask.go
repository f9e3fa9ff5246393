package ide

import "github.com/kgent/kgent/analysis"

// maskComments blanks comments, string and character literals with
// spaces, keeping every byte offset and newline, so lexical searches
// (folding) do not match inside them, and returns the spans of block
// comments. Both dialects share C's comment and literal syntax.
func maskComments(text string) ([]byte, []analysis.Span) {
	var comments []analysis.Span
	b := []byte(text)
	for i := 0; i < len(b); {
		switch {
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				b[i] = ' '
				i++
			}
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			start := i
			b[i], b[i+1] = ' ', ' '
			i += 2
			for i < len(b) && !(b[i] == '*' && i+1 < len(b) && b[i+1] == '/') {
				if b[i] != '\n' {
					b[i] = ' '
				}
				i++
			}
			if i < len(b) {
				b[i], b[i+1] = ' ', ' '
				i += 2
			}
			comments = append(comments, analysis.Span{Start: start, End: i})
		case b[i] == '"' || b[i] == '\'':
			q := b[i]
			i++
			for i < len(b) && b[i] != q && b[i] != '\n' {
				if b[i] == '\\' && i+1 < len(b) && b[i+1] != '\n' {
					b[i] = ' '
					i++
				}
				b[i] = ' '
				i++
			}
			if i < len(b) && b[i] == q {
				i++
			}
		default:
			i++
		}
	}
	return b, comments
}
