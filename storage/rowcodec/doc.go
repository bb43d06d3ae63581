// Package rowcodec owns the on-disk encoding of the non-key part of a SQL row:
// the value stored under a table's primary key in Pebble.
//
// The codec is GMS-aware. For every go-mysql-server sql.Type it encodes the
// exact in-memory Go value GMS uses for that type (the value produced by the
// type's Convert and checked by the memory engine against Type.ValueType), and
// decodes back to that same canonical Go value, so a decoded row is
// indistinguishable to GMS from the row that was written.
//
// # Column identity and schema evolution
//
// Every column carries a stable numeric ID (uint32) assigned by the catalog and
// independent of the column's ordinal. Rows are keyed by column ID, never by
// position, so ADD COLUMN, DROP COLUMN and column reordering never require old
// rows to be rewritten:
//
//   - a column added later is simply absent from old rows and decodes as NULL;
//   - a dropped column's entries are skipped using only their wire type;
//   - a Decoder decodes only the columns it was built for and skips the rest.
//
// Changing a column's type in place (same ID) is only safe between types that
// share a payload encoding (for example INT -> BIGINT, VARCHAR -> TEXT, FLOAT
// -> DOUBLE, DECIMAL(p,s) -> DECIMAL(p',s')); otherwise the storage layer must
// rewrite the rows or assign a new column ID. Values that do not fit the
// decoding column's Go type are reported as errors, never truncated.
//
// # Format (version 1)
//
//	row     = version entry*
//	version = 0x01
//	entry   = tag payload
//	tag     = uvarint(columnID<<3 | wireType)
//
// Entries appear in strictly increasing column-ID order; a column appears at
// most once. NULL columns are absent. Wire types follow protocol buffers:
//
//	0 varint   payload = uvarint
//	1 fixed64  payload = 8 bytes, little endian
//	2 bytes    payload = uvarint(length) followed by length bytes
//	5 fixed32  payload = 4 bytes, little endian
//
// Wire types 3, 4, 6 and 7 are invalid. Validate checks this structure
// without a schema. Payloads per column type ("zigzag"
// is protobuf's sint encoding, (n<<1)^(n>>63)):
//
//	TINYINT..BIGINT, YEAR         varint, zigzag of the signed value
//	... UNSIGNED, ENUM, SET, BIT  varint, the unsigned value (ENUM: 1-based index)
//	FLOAT                         fixed32, IEEE-754 bits
//	DOUBLE                        fixed64, IEEE-754 bits
//	DECIMAL                       bytes: uvarint(zigzag(exponent)) then the
//	                              coefficient as minimal big-endian two's
//	                              complement (zero = no bytes); value =
//	                              coefficient * 10^exponent
//	DATE, DATETIME, TIMESTAMP     varint zigzag(unix seconds) when the
//	                              nanoseconds are zero, otherwise bytes:
//	                              uvarint(zigzag(unix seconds)) uvarint(nanos)
//	TIME                          varint, zigzag of the microsecond count
//	CHAR, VARCHAR, TEXT,
//	BINARY, VARBINARY, BLOB       bytes, the raw bytes of the value
//	JSON                          bytes, the JSON sub-format below
//	GEOMETRY and subtypes         bytes, GMS's EWKB serialization
//	                              (GeometryValue.Serialize: SRID uint32 LE,
//	                              then WKB)
//
// The JSON sub-format is a typed pre-order encoding of the document's Go value
// tree (the value returned by sql.JSONWrapper.ToInterface), which preserves the
// Go type of every scalar so that numbers keep their exact representation:
//
//	value = 0x00                        null
//	      | 0x01 | 0x02                 false | true
//	      | 0x03 fixed64                float64
//	      | 0x04 uvarint(zigzag)        int64
//	      | 0x05 uvarint                uint64
//	      | 0x06 uvarint(len) bytes     string
//	      | 0x07 uvarint(len) decimal   decimal.Decimal (DECIMAL payload above)
//	      | 0x08 uvarint(n) value*n     []interface{}
//	      | 0x09 uvarint(n) (uvarint(len) key value)*n
//	                                    map[string]interface{} (also written
//	                                    for map[string]string), keys sorted
//	      | 0x0a..0x11 uvarint          int, int8, int16, int32 (zigzag),
//	                                    uint, uint8, uint16, uint32
//	      | 0x12 fixed32                float32
//	      | 0x13 uvarint(zigzag secs) uvarint(nanos) uvarint(zigzag offset)
//	                                    time.Time (offset in seconds east of UTC)
//
// Nesting (JSON containers, geometry collections) is limited to MaxDepth
// levels on both encode and decode.
//
// # Decoded Go types
//
//	TINYINT int8, SMALLINT int16, MEDIUMINT int32, INT int32, BIGINT int64,
//	unsigned variants uint8, uint16, uint32, uint32, uint64,
//	FLOAT float32, DOUBLE float64, DECIMAL decimal.Decimal,
//	DATE/DATETIME/TIMESTAMP time.Time (UTC), TIME types.Timespan, YEAR int16,
//	ENUM uint16, SET uint64, BIT uint64, CHAR/VARCHAR/TEXT string,
//	BINARY/VARBINARY/BLOB []byte (never nil), JSON types.JSONDocument,
//	spatial types types.Point, types.LineString, types.Polygon,
//	types.MultiPoint, types.MultiLineString, types.MultiPolygon,
//	types.GeomColl.
//
// DECIMAL values keep the exponent GMS's column type gives them, so their
// string rendering is unchanged: column decimal types rewrite a value to
// exponent -scale unless its exponent is already +scale (a GMS quirk that is
// reproduced faithfully); such rescaling only appends zero digits and is done
// on encode and again on decode (so a column whose scale grew decodes at the
// new scale). Values never lose digits.
//
// # Concurrency and memory
//
// Encoder and Decoder are immutable after construction and safe for concurrent
// use. Decode never retains src: strings and byte slices are copied. When a
// Decoder has two or more string/binary columns, their bytes for one row share
// a single allocation (byte slices are capacity-limited, so appending to one
// never overwrites another); any one of those values keeps that allocation
// alive.
package rowcodec
