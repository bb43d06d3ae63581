// Package catalog is the persisted description of Quarry's databases, tables,
// views, triggers, stored procedures and events, together with its
// serialization to bytes.
//
// The package does no I/O. The storage layer keeps the encoded records in
// Pebble under its system keys; this package owns the data model, the rules
// that keep it consistent while the schema changes, and the codec.
//
// # Tables
//
// A Table is built from what GMS hands to sql.TableCreator.CreateTable or
// sql.IndexedTableCreator.CreateIndexedTable (NewTable, NewIndexedTable) and
// is turned back into GMS objects with Table.Schema. Every column and every
// secondary index has a numeric ID that is assigned once, never changes and is
// never reused within its table, so the storage layer can key row and index
// data by ID and survive renames and reorderings. Every schema change made
// through the Table methods bumps Table.Version.
//
// Column types are persisted as canonical SQL text (see TypeString) and
// rebuilt with the vitess parser and types.ColumnTypeToType, the path GMS
// itself uses for CREATE TABLE. Defaults, generated expressions and ON UPDATE
// expressions are persisted as expression text and handed back to GMS as
// unresolved column defaults (sql.NewUnresolvedColumnDefaultValue), exactly
// as the GMS in-memory engine does; GMS's planbuilder resolves them
// (Builder.resolveSchemaDefaults / resolveColumnDefaultExpression) whenever a
// statement uses the table.
//
// # Encoding
//
// Every record starts with a format version byte (FormatVersion) and a record
// kind byte, followed by deterministic JSON. Decoding rejects unknown versions,
// kinds and fields, and validates table invariants.
package catalog
