package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/quarrydb/quarry/indexes"
	"github.com/quarrydb/quarry/storage"
)

const searchUsage = `Usage: quarry search --data-dir DIR [--rebuild DB.TABLE.INDEX | --rebuild-all] [--check]

Maintains the search (FULLTEXT) indexes of a stopped server's data directory.
Opening the directory already replays the indexes' change logs and rebuilds
any index whose files are missing or incomplete.

  --rebuild DB.TABLE.INDEX  rebuild one index from its table
  --rebuild-all             rebuild every search index
  --check                   verify every index holds exactly its table's rows

Flags:
`

// runSearch implements `quarry search`.
func runSearch(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("quarry search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "", "data directory of a stopped server (required)")
	one := fs.String("rebuild", "", "rebuild this index (db.table.index)")
	all := fs.Bool("rebuild-all", false, "rebuild every search index")
	check := fs.Bool("check", false, "verify every index against its table")
	fs.Usage = func() {
		fmt.Fprint(stderr, searchUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *dataDir == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	st, err := storage.Open(storage.Options{Dir: *dataDir, Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "quarry search: %v\n", err)
		return 1
	}
	defer st.Close()
	m, err := indexes.Attach(st, filepath.Join(*dataDir, "search"), log)
	if err != nil {
		fmt.Fprintf(stderr, "quarry search: %v\n", err)
		return 1
	}
	var todo []storage.SearchIndexDef
	switch {
	case *all:
		todo = st.SearchIndexes()
	case *one != "":
		parts := strings.Split(*one, ".")
		if len(parts) != 3 {
			fmt.Fprintf(stderr, "quarry search: --rebuild wants db.table.index, got %q\n", *one)
			return 2
		}
		d, ok := m.Find(parts[0], parts[1], parts[2])
		if !ok {
			fmt.Fprintf(stderr, "quarry search: no search index %s\n", *one)
			return 1
		}
		todo = append(todo, d)
	}
	for _, d := range todo {
		if err := m.Rebuild(d); err != nil {
			fmt.Fprintf(stderr, "quarry search: rebuild %s.%s.%s: %v\n", d.DB, d.Table, d.Name, err)
			return 1
		}
		fmt.Fprintf(stdout, "rebuilt %s.%s.%s\n", d.DB, d.Table, d.Name)
	}
	if *check {
		if err := m.Check(); err != nil {
			fmt.Fprintf(stderr, "quarry search: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%d search indexes match their tables\n", len(st.SearchIndexes()))
	}
	return 0
}
