package keycodec

import (
	"math"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
)

// TestPinnedBytes freezes the on-disk format. If this test fails, the
// encoding changed and existing indexes would be unreadable or misordered:
// do not update the expectations without a format migration.
func TestPinnedBytes(t *testing.T) {
	aiCI, ok := newGMSCollator(sql.Collation_utf8mb4_0900_ai_ci)
	if !ok {
		t.Fatal("utf8mb4_0900_ai_ci has no sorter")
	}
	bin, ok := newGMSCollator(sql.Collation_utf8mb4_0900_bin)
	if !ok {
		t.Fatal("utf8mb4_0900_bin has no sorter")
	}
	cases := []struct {
		name string
		enc  []byte
		hex  string
	}{
		{"NULL", AppendNull(nil), "01"},
		{"int 0", AppendInt(nil, 0), "88"},
		{"int 1", AppendInt(nil, 1), "89"},
		{"int 109", AppendInt(nil, 109), "f5"},
		{"int 110", AppendInt(nil, 110), "f66e"},
		{"int 255", AppendInt(nil, 255), "f6ff"},
		{"int 256", AppendInt(nil, 256), "f70100"},
		{"int -1", AppendInt(nil, -1), "87ff"},
		{"int -255", AppendInt(nil, -255), "8701"},
		{"int -256", AppendInt(nil, -256), "86ff00"},
		{"int min", AppendInt(nil, math.MinInt64), "808000000000000000"},
		{"int max", AppendInt(nil, math.MaxInt64), "fd7fffffffffffffff"},
		{"uint max", AppendUint(nil, math.MaxUint64), "fdffffffffffffffff"},
		{"float 0", mustFloat(t, 0), "108000000000000000"},
		{"float -0", mustFloat(t, math.Copysign(0, -1)), "108000000000000000"},
		{"float 1.5", mustFloat(t, 1.5), "10bff8000000000000"},
		{"float -1.5", mustFloat(t, -1.5), "104007ffffffffffff"},
		{"float +Inf", mustFloat(t, math.Inf(1)), "10fff0000000000000"},
		{"float -Inf", mustFloat(t, math.Inf(-1)), "10000fffffffffffff"},
		{"decimal 0", AppendDecimal(nil, dec("0.000")), "15"},
		{"decimal 1", AppendDecimal(nil, dec("1")), "168914"},
		{"decimal 1.00", AppendDecimal(nil, dec("1.00")), "168914"},
		{"decimal -1", AppendDecimal(nil, dec("-1")), "1476eb"},
		{"decimal 12.345", AppendDecimal(nil, dec("12.345")), "168a194564"},
		{"decimal -12.345", AppendDecimal(nil, dec("-12.345")), "1475e6ba9b"},
		{"decimal 0.001", AppendDecimal(nil, dec("0.001")), "1687fe14"},
		{"decimal 100", AppendDecimal(nil, dec("100")), "168b14"},
		{"time epoch", AppendTime(nil, time.Unix(0, 0)), "188888"},
		{"time 2024", AppendTime(nil, time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)), "18f965937d25f9075bca00"},
		{"time 2024 +05:00", AppendTime(nil, time.Date(2024, 1, 2, 8, 4, 5, 123456000, time.FixedZone("", 5*3600))), "18f965937d25f9075bca00"},
		{"time 0001", AppendTime(nil, time.Time{}), "1883f1886e090088"},
		{"bytes a\\x00b", AppendBytes(nil, []byte("a\x00b")), "206100ff620001"},
		{"bytes empty", AppendBytes(nil, nil), "200001"},
		{"ai_ci abc", AppendString(nil, "abc", aiCI), "289b069b1f9b2c00"},
		{"ai_ci ABC", AppendString(nil, "ABC", aiCI), "289b069b1f9b2c00"},
		{"0900_bin aé中😀", AppendString(nil, "aé中😀", bin), "2863806bc00dafc1b58200"},
		{"weights -1 max", AppendWeights(nil, []int32{-1, math.MaxInt32}), "2801fffffffff06fdfbf8100"},
		{"string empty", AppendString(nil, "", bin), "2800"},
	}
	for _, c := range cases {
		if got := hexs(c.enc); got != c.hex {
			t.Errorf("%s: encoded %s, pinned %s", c.name, got, c.hex)
		}
	}
}
