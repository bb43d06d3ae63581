package storage

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
)

// rowSizeLimitBytes is what a column counts toward MySQL's 65,535-byte row
// size limit: its maximum stored size in InnoDB's format, with BLOB, TEXT,
// JSON and geometry columns counted as their in-row pointer (9 to 12 bytes).
func rowSizeLimitBytes(t sql.Type) int64 {
	switch t.Type() {
	case sqltypes.Int8, sqltypes.Uint8, sqltypes.Year:
		return 1
	case sqltypes.Int16, sqltypes.Uint16:
		return 2
	case sqltypes.Int24, sqltypes.Uint24, sqltypes.Date:
		return 3
	case sqltypes.Int32, sqltypes.Uint32, sqltypes.Float32:
		return 4
	case sqltypes.Int64, sqltypes.Uint64, sqltypes.Float64:
		return 8
	case sqltypes.Time:
		return 6 // TIME(6); GMS's TIME type carries no precision
	case sqltypes.Datetime:
		return 5 + fracBytes(t)
	case sqltypes.Timestamp:
		return 4 + fracBytes(t)
	case sqltypes.Decimal:
		if dt, ok := t.(sql.DecimalType); ok {
			return packedDecimalBytes(int(dt.Precision())-int(dt.Scale())) + packedDecimalBytes(int(dt.Scale()))
		}
	case sqltypes.Bit:
		if bt, ok := t.(types.BitType); ok {
			return int64(bt.NumberOfBits()+7) / 8
		}
	case sqltypes.Enum:
		if et, ok := t.(sql.EnumType); ok && et.NumberOfElements() > 255 {
			return 2
		}
		return 1
	case sqltypes.Set:
		if st, ok := t.(sql.SetType); ok {
			switch n := (st.NumberOfElements() + 7) / 8; {
			case n <= 4:
				return int64(n)
			default:
				return 8
			}
		}
	case sqltypes.TypeJSON, sqltypes.Geometry:
		return 12
	case sqltypes.Null:
		return 0
	}
	if st, ok := t.(sql.StringType); ok {
		if types.IsTextBlob(st) {
			return blobPointerBytes(st.MaxByteLength())
		}
		n := st.MaxByteLength()
		if st.Type() == sqltypes.Binary || st.Type() == sqltypes.Char {
			return n // fixed length
		}
		if n > 255 {
			return n + 2
		}
		return n + 1
	}
	return 8
}

// rowDataBytes is the declared width of a column's value: its maximum
// stored size in InnoDB's format without a variable-length string's length
// prefix, BLOB, TEXT, JSON and geometry columns counted as their in-row
// pointer. Summed over a table's columns it is the row width behind
// Quarry's DATA_LENGTH estimate (rows × width).
func rowDataBytes(t sql.Type) int64 {
	if st, ok := t.(sql.StringType); ok && !types.IsTextBlob(st) {
		switch st.Type() {
		case sqltypes.VarChar, sqltypes.VarBinary:
			return st.MaxByteLength()
		}
	}
	return rowSizeLimitBytes(t)
}

// blobPointerBytes: TINYBLOB 9, BLOB 10, MEDIUMBLOB 11, LONGBLOB 12.
func blobPointerBytes(maxLen int64) int64 {
	switch {
	case maxLen <= 255:
		return 9
	case maxLen <= 65535:
		return 10
	case maxLen <= 16777215:
		return 11
	}
	return 12
}

// fracBytes is the storage of fractional seconds: (fsp+1)/2 bytes.
func fracBytes(t sql.Type) int64 {
	if dt, ok := t.(sql.DatetimeType); ok {
		return int64(dt.Precision()+1) / 2
	}
	return 0
}

// packedDecimalBytes is the size of n decimal digits in MySQL's packed
// DECIMAL format: 4 bytes per 9 digits, and 0-4 bytes for the rest.
func packedDecimalBytes(n int) int64 {
	rest := [...]int64{0, 1, 1, 2, 2, 3, 3, 4, 4, 4}
	return int64(n/9)*4 + rest[n%9]
}
