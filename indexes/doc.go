// Package indexes owns Quarry's search indexes: FULLTEXT (and typed
// multi-field) indexes kept in bleve, one scorch index per SQL index under
// <data dir>/search, their mappings and analyzers, their consistency with
// the table, and MATCH ... AGAINST evaluation. Package indexes/searchplan
// wires them into the planner.
//
// # SQL syntax (all of it valid MySQL)
//
//	CREATE TABLE t (..., FULLTEXT KEY ft (title, note) [COMMENT '...'])
//	CREATE FULLTEXT INDEX ft ON t (title, note) [COMMENT '...']
//	ALTER TABLE t ADD FULLTEXT INDEX ft (title) [COMMENT '...']
//	DROP INDEX ft ON t
//
//	SELECT ... WHERE MATCH(title, note) AGAINST('words')           -- natural
//	SELECT ... WHERE MATCH(title, note) AGAINST('+a -b "c d" e*' IN BOOLEAN MODE)
//	SELECT id, MATCH(title, note) AGAINST('words') AS score ... ORDER BY score DESC LIMIT 10
//
// MATCH names exactly the columns of one FULLTEXT index (as in MySQL);
// relevance is BM25. Boolean mode understands +word, -word, "phrase",
// prefix* and plain words (ranking operators < > ~ ( ) are ignored).
// WITH QUERY EXPANSION is rejected.
//
// The index COMMENT declares analyzers and per-field types as
// space-separated key=value pairs (anything else is ignored):
//
//	analyzer=standard|cjk|single|ngram   default analyzer of text columns
//	<column>=text[:<analyzer>]           a text column with its analyzer
//	<column>=keyword|long|double|date    a typed column (exact terms, numbers, dates)
//	<column>=<type>,ngram                also substring grams, for LIKE '%abc%'
//	<column>=ngram                       substring grams only (no MATCH, no typed field)
//
// Analyzers: standard (Unicode words, lower case, English stop words), cjk
// (words; CJK runs as overlapping bigrams), single (every character a
// token), ngram (2- and 3-grams of each word, for substring search). As in
// InnoDB, which compares FULLTEXT tokens with the column's collation, a
// text column with a case-sensitive collation (_bin, _cs) keeps the case
// of its tokens (its analyzer does not lower-case, and neither does a
// prefix* search on it), and tokens longer than 84 characters
// (innodb_ft_max_token_size) are not indexed. Text fields must be CHAR,
// VARCHAR or TEXT columns (ER_BAD_FT_COLUMN otherwise).
//
// Tables without a primary key: a keyless row is stored once per distinct
// content with a count (see storage), so its document is keyed by that
// content hash and stands for every copy; a search lookup returns each
// copy, and COUNT(*) over a search reads the rows instead of counting
// documents.
// Example: CREATE FULLTEXT INDEX s ON orders (title, status, amount_cents)
// COMMENT 'analyzer=cjk title=text,ngram status=keyword amount_cents=long'.
// The ngram field type is not the ngram analyzer: the analyzer cuts the
// words of a text field for MATCH; the field type (substr.go) cuts the
// whole value, folded by the column's collation, into 3-character grams
// for LIKE (utf8mb4/utf8mb3 string columns; ignored on others).
//
// # Predicate pushdown (pushdown.go)
//
// WHERE conjunctions and disjunctions of =, IN, <, <=, >, >=, BETWEEN,
// IS [NOT] NULL and LIKE 'abc%' on typed fields, and LIKE with literal
// characters ('%abc%', 'a_c%d') on ngram fields, become one bleve query
// (typed fields also index the column's sort key, so equality and order
// follow the column's collation). The query matches a superset of the
// rows; the whole WHERE stays above it as the residual filter, so the
// rows are exactly the table path's. The planner picks it over the
// primary key, a secondary index or a scan from counts in the search
// index; USE INDEX (name), FORCE INDEX (name) and IGNORE INDEX (name)
// override the choice. EXPLAIN shows "bleve <index>(<columns>) pushed:
// <predicate>". Not pushed (left to the filter): comparisons across types
// (a string column against a number), literals that do not convert to the
// column type without loss, TIMESTAMP, TEXT, ENUM/SET columns (except
// LIKE on ngram fields), LIKE in another collation than the column's,
// NOT LIKE, writes and locking reads. A LIKE over n-grams is a candidate
// query (not exact: COUNT(*) then counts rows) unless its pattern is
// %run% with a single literal run, which a document holds exactly when
// its value contains the run (substrExact); the pattern's literal runs of
// 3 or more characters require the phrase of their grams (grams carry
// their character positions), shorter runs (when there is no longer one)
// a gram beginning with them.
//
// # Aggregation from the index (groups.go)
//
// SELECT col, COUNT(*), COUNT(col) ... WHERE <w> GROUP BY col, where col
// is a keyword field over a VARCHAR column and w is pushed down exactly
// (or is only MATCH conjuncts of the same index), is answered from the
// keyword field's doc values over the search's matches (EXPLAIN:
// "SearchGroupBy(bleve ...; group by col; else:)"), as COUNT(*) alone is
// (SearchCount), when the search is exact for the statement's snapshot;
// otherwise, and inside a transaction with uncommitted writes to the
// table, the GroupBy below runs on rows. Groups are formed by the
// column's collation weight strings, as GMS groups; a group's value is
// that of its first row in primary-key order, which is what a table scan
// returns (the keyword field keeps each row's original value, and the
// match with the smallest document ID, an order-preserving encoding of
// the primary key, resolves groups whose values differ by case or
// accents). Not answered from the index: other aggregates, several
// grouping columns or expressions, a WHERE not pushed exactly, and GROUP
// BY without WHERE (the analytics pushdown scans the table).
//
// # Cost of a search
//
// Searches that only collect matches run unscored over a flattened query
// (unscored.go), so that bleve intersects term postings as bitmaps. The
// pushdown's cost check counts only up to the bound that decides each
// comparison, tries an upper bound from the term conjuncts before
// counting the ranges, and counts a single term from its postings. A
// lower and an upper bound on one column push down as one range. Bleve
// unites the postings of every term of a numeric or date range before
// intersecting it with anything, so unscored searches with ranges, counts
// of composite searches and lists of matching IDs are evaluated on the
// postings bitmaps of each segment instead (bitmaps.go): the term
// conjuncts first, most selective first, then each range only within the
// candidates left. The IDs of a list are read from the segment's stored
// records a block at a time (segmentDocIDs), or, for a segment whose
// searches keep reading many of its documents, from an ID column read
// once (idcolumn.go: at most 128 MiB of columns in the process, least
// recently used first out, dropped with their segments). They are sorted
// by radix on their first eight bytes, or as single integers when they
// fit in seven (sortKeys), large sets on two goroutines.
//
// # Consistency protocol
//
// See storage/search_hooks.go for the storage half. Every committed row
// change of a table with a search index has a change-log entry written in
// the row's own commit batch (through the transaction overlay, so statement
// and savepoint rollback drop it with the row). The Manager applies log
// entries by re-reading the row's committed version and indexing (or
// deleting) its document, in bleve batches that become searchable at once;
// an entry is deleted from the log only after bleve reports its batch
// persisted. After a crash the remaining entries are applied again
// (applying is idempotent). A background applier drains the logs every
// applyInterval; before a search answers, the table's log is caught up, so
// every committed row is visible to every later statement. An index that
// was never completely built (no marker file) is rebuilt from the table on
// open, as are indexes missing from a backup.
//
// Exact searches. A search is exact when the index holds exactly the rows
// of the snapshot the statement reads (Search.withIndex): a statement
// without a snapshot takes it under the table's apply lock and the index
// is caught up from that very snapshot; a statement with an older
// snapshot (a transaction's later statement) is exact when the snapshot's
// search position equals the index's (storage.SearchPosition: commits with
// search log entries are counted, and a snapshot taken while none is in
// flight has a known position; the index's position is that of the last
// apply round that read the whole log from one positioned snapshot, and
// is changed only under the table state's write lock, which searches hold
// for reading). An exact search's hits are that snapshot's matching rows:
// they are not checked against the table, an unranked search collects
// document IDs without scoring, COUNT(*) over one search is the
// number of matches (searchplan's SearchCount), and a SELECT of primary
// key columns over one search (the filter only MATCH conjuncts of the
// search, or a WHERE pushed down exactly) decodes them from the matches'
// document IDs, in primary key order (searchplan's SearchKeys,
// Search.ExactKeys): neither reads a row. When the search turns out not
// exact at execution, both run their child, the general plan.
//
// Verified searches. Otherwise search results are candidates: the index
// is ahead of the statement's snapshot S (it is never behind: it catches
// up after S is taken). Relevance, which replaces GMS's MatchAgainst,
// verifies every row against the table (a hash of the indexed values is
// stored with each document) and scores rows the transaction has written
// but not committed by evaluating the query on the row alone. The index
// differs from S only in the rows changed by commits S does not see, and
// those are known (changes.go): every apply round records the documents
// it changed, tagged with the count of begun commits loaded after its
// snapshot (storage.SearchCommitsBegun); a round tagged at most S's
// position changed nothing S does not see. So a lookup reads the index's
// candidates and the documents changed since S (a top-k search fetches k
// more hits per changed document), and Relevance evaluates a row the
// index does not match on the row alone when its document changed since
// S. A pushed-down lookup does the same (the residual filter verifies).
// COUNT(*) and GROUP BY from the index need an exact search; otherwise
// they run on these verified rows. Invariant: a search returns exactly
// the rows of the statement's snapshot (with the transaction's own
// writes) that the query matches.
//
// The changes are retained per table up to maxRetainedIDs document IDs
// (about 100 bytes each plus the key), dropping the oldest rounds, and
// forgotten when an index of the table is (re)built. A statement whose
// snapshot needs a dropped round (more changes since it than retained,
// or a rebuild after it) takes the slow path: the search also reads the
// stored hash of every document, a lookup scans the table, and Relevance
// evaluates alone the rows the index does not match whose document is
// missing or has other content (a probe of one row evaluates it alone).
// Scores: a row evaluated alone scores 1 when it matches (relevance
// against a one-document corpus is meaningless), as uncommitted rows do.
// Inside a transaction with uncommitted writes to the table, the planner
// uses the table path.
//
// Locking reads (SELECT ... FOR UPDATE / LOCK IN SHARE MODE, and the
// reads of UPDATE and DELETE) read and lock the latest committed rows,
// not a snapshot, so commits made after the search may have made other
// rows match. Their lookup (storage.GrowingSearchRanges) runs the search
// when the rows are first read, reads its hits, then searches again,
// caught up, and reads the hits it has not read, until a search finds
// none: every row that matches then has been read and locked in its
// current version (Relevance verifies each against its hit's hash). After
// maxMoreRounds searches that each found new rows, the statement fails
// with a lock wait timeout (1205).
package indexes
