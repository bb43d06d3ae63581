package checksum

import "testing"

func TestTrimFraction(t *testing.T) {
	for in, want := range map[string]string{
		"2024-01-01 00:00:00.000000": "2024-01-01 00:00:00",
		"2024-01-01 00:00:00.100000": "2024-01-01 00:00:00.1",
		"12:34:56.780":               "12:34:56.78",
		"-01:00:00.5":                "-01:00:00.5",
		"1.500":                      "1.500",
		"abc:de:fg.00":               "abc:de:fg.00",
		"2024-01-01 00:00:00":        "2024-01-01 00:00:00",
	} {
		if got := string(trimFraction([]byte(in))); got != want {
			t.Errorf("trimFraction(%q) = %q, want %q", in, got, want)
		}
	}
}
