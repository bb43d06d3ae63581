package storage

import "strings"

// unwrapVersionComments returns q with MySQL's executable comments
// "/*!NNNNN text */" replaced by their text, outside quoted strings and
// identifiers. mysqldump writes triggers as "/*!50003 CREATE*/ /*!50017
// DEFINER=...*/ /*!50003 TRIGGER ...*/"; MySQL stores the statement
// without the markers, and dump tools wrap the stored text in a comment of
// their own, which nested markers would break. MariaDB-only "/*M!" comments
// are left alone (they are not code for Quarry).
func unwrapVersionComments(q string) string {
	if !strings.Contains(q, "/*!") {
		return q
	}
	var b strings.Builder
	depth := 0 // open executable comments
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(q) {
				if q[j] == '\\' && c != '`' {
					j += 2
					continue
				}
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			b.WriteString(q[i : j+1])
			i = j
		case c == '/' && strings.HasPrefix(q[i:], "/*!"):
			j := i + 3
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j < len(q) && q[j] == ' ' {
				j++
			}
			depth++
			i = j - 1
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+2+end+2])
			i += 2 + end + 1
		case c == '*' && depth > 0 && strings.HasPrefix(q[i:], "*/"):
			depth--
			i++
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}
