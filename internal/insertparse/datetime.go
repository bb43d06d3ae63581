package insertparse

import "time"

// CanonicalDatetime reads 'YYYY-MM-DD' or 'YYYY-MM-DD hh:mm:ss' with
// an optional fraction of up to 6 digits, the form dumps and CSV exports
// write, for a valid date in years 1000-9999; anything else is left to the
// column type's Convert. For these strings, DATE and DATETIME Convert the
// result exactly as they convert the string.
func CanonicalDatetime(s string) (time.Time, bool) {
	if len(s) != 10 && (len(s) < 19 || len(s) > 26 || len(s) == 20) {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' || y < 1000 || mo < 1 || mo > 12 || d < 1 ||
		d > time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	if len(s) == 10 {
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC), true
	}
	h, ok1 := num(11, 13)
	mi, ok2 := num(14, 16)
	sec, ok3 := num(17, 19)
	if !ok1 || !ok2 || !ok3 || s[10] != ' ' || s[13] != ':' || s[16] != ':' || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if len(s) > 19 {
		if s[19] != '.' {
			return time.Time{}, false
		}
		f, ok := num(20, len(s))
		if !ok {
			return time.Time{}, false
		}
		for i := len(s) - 20; i < 9; i++ {
			f *= 10
		}
		nsec = f
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC), true
}
