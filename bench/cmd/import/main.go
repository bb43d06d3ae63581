// Command import measures importing a mysqldump-style dump (or, with
// -load-data, a CSV file through LOAD DATA LOCAL INFILE) of the orders
// table (bench/orders: primary key, 2 secondary indexes, optionally a
// FULLTEXT index) into Quarry and into MariaDB on the same machine, with
// the same client (the mariadb CLI, as `mysql db < dump.sql`), and prints
// rows/s and the Quarry/MariaDB ratio.
//
//	go run ./bench/cmd/import -rows 1000000
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/bench/orders"
	"github.com/quarrydb/quarry/bench/procstat"
	"github.com/quarrydb/quarry/importer"
	"github.com/quarrydb/quarry/internal/gctune"
	"github.com/quarrydb/quarry/internal/mariadbtest"
	"github.com/quarrydb/quarry/internal/schedtune"
	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

func main() {
	if err := schedtune.Reexec(); err != nil { // as quarry serve does
		slog.Warn("sysmon keeps its default idle behaviour", "err", err)
	}
	rows := flag.Int64("rows", 1_000_000, "orders rows in the dump")
	batch := flag.Int("batch", 1000, "rows per extended INSERT")
	fulltext := flag.Bool("fulltext", true, "add FULLTEXT KEY ft_title (title) (dropped for Quarry if it rejects it)")
	via := flag.String("via", "mariadb", "how Quarry imports: mariadb (the CLI) or importer (quarry import's code)")
	loadData := flag.Bool("load-data", false, "load a CSV file with LOAD DATA LOCAL INFILE instead of a dump")
	skipMaria := flag.Bool("skip-mariadb", false, "measure Quarry only")
	cpuprofile := flag.String("cpuprofile", "", "CPU profile of the Quarry import")
	memtable := flag.Uint64("memtable", 0, "Quarry's Pebble memtable size in bytes (0: the default)")
	flag.Parse()
	if err := run(*rows, *batch, *fulltext, *via, *skipMaria, *cpuprofile, *memtable, *loadData); err != nil {
		fmt.Fprintln(os.Stderr, "import:", err)
		os.Exit(1)
	}
}

// writeDump writes the dump as mariadb-dump lays it out.
func writeDump(path string, rows int64, batch int, indexes []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, `/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
DROP TABLE IF EXISTS `+"`orders`"+`;
%s ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
LOCK TABLES `+"`orders`"+` WRITE;
/*!40000 ALTER TABLE `+"`orders`"+` DISABLE KEYS */;
`, orders.CreateTableWith(indexes...))
	if err := w.Flush(); err != nil {
		return err
	}
	if err := orders.New(rows).WriteInserts(f, 1, rows, batch); err != nil {
		return err
	}
	fmt.Fprintf(f, "/*!40000 ALTER TABLE `orders` ENABLE KEYS */;\nUNLOCK TABLES;\n/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;\n/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n")
	return nil
}

// writeLoadScript writes the rows as CSV next to path and, at path, the
// statements that create the table and LOAD DATA LOCAL INFILE it.
func writeLoadScript(path string, rows int64, indexes []string) error {
	csvPath := path + ".csv"
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	if err := orders.New(rows).WriteCSV(f, 1, rows); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	script := fmt.Sprintf("DROP TABLE IF EXISTS `orders`;\n%s ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;\n"+
		"LOAD DATA LOCAL INFILE '%s' INTO TABLE `orders` FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\n';\n",
		orders.CreateTableWith(indexes...), csvPath)
	return os.WriteFile(path, []byte(script), 0o644)
}

func mariadbImport(addr, db, dump string) (time.Duration, error) {
	host, port, _ := strings.Cut(addr, ":")
	in, err := os.Open(dump)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	cmd := exec.Command("mariadb", "-h"+host, "-P"+port, "-uroot", "--protocol=TCP", "--local-infile=1", db)
	cmd.Stdin = in
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("mariadb < dump: %w", err)
	}
	return time.Since(start), nil
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func count(addr, db string) (int64, error) {
	h, err := sql.Open("mysql", "root@tcp("+addr+")/"+db)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	var n int64
	err = h.QueryRow("SELECT COUNT(*) FROM orders").Scan(&n)
	return n, err
}

func run(rows int64, batch int, fulltext bool, via string, skipMaria bool, cpuprofile string, memtable uint64, loadData bool) error {
	tmp, err := os.MkdirTemp("", "quarry-import-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	indexes := []string{"KEY idx_user (user_id)", "KEY idx_created (created_at)"}
	if fulltext {
		indexes = append(indexes, "FULLTEXT KEY ft_title (title)")
	}
	dump := filepath.Join(tmp, "orders.sql")
	writeDump := writeDump
	if loadData {
		writeDump = func(path string, rows int64, _ int, indexes []string) error {
			return writeLoadScript(path, rows, indexes)
		}
	}
	if err := writeDump(dump, rows, batch, indexes); err != nil {
		return err
	}
	fi, _ := os.Stat(dump)
	fmt.Printf("dump: %d rows, %.1f MiB, %d rows/INSERT, indexes: %s\n", rows, float64(fi.Size())/(1<<20), batch, strings.Join(indexes, ", "))

	// Quarry.
	qdump := dump
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sqlserver.RouteLibraryLogs(log)
	gctune.Apply() // as quarry serve does
	store, err := storage.Open(storage.Options{Dir: filepath.Join(tmp, "quarry"), Logger: log, MemTableSize: memtable})
	if err != nil {
		return err
	}
	eng, err := sqlserver.NewEngine(store, sqlserver.EngineOptions{Logger: log})
	if err != nil {
		return err
	}
	srv, err := sqlserver.New(store, eng, sqlserver.Config{Listen: "127.0.0.1:0"}, log)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	qaddr := srv.Addr().String()
	qdb, err := sql.Open("mysql", "root@tcp("+qaddr+")/")
	if err != nil {
		return err
	}
	if _, err := qdb.Exec("CREATE DATABASE bench"); err != nil {
		return err
	}
	if _, err := qdb.Exec("SET GLOBAL local_infile = 1"); err != nil {
		return err
	}
	if fulltext {
		if _, err := qdb.Exec("CREATE TABLE bench.ft_probe (id INT PRIMARY KEY, t TEXT, FULLTEXT KEY f (t))"); err != nil {
			fmt.Printf("quarry: FULLTEXT indexes are not supported in this build (%v); Quarry imports the dump without ft_title\n", err)
			qdump = filepath.Join(tmp, "orders-noft.sql")
			if err := writeDump(qdump, rows, batch, indexes[:2]); err != nil {
				return err
			}
		} else if _, err := qdb.Exec("DROP TABLE bench.ft_probe"); err != nil {
			return err
		}
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	var qd time.Duration
	cpu0 := procstat.CPU()
	switch via {
	case "mariadb":
		qd, err = mariadbImport(qaddr, "bench", qdump)
	case "importer":
		var c *sql.Conn
		c, err = qdb.Conn(context.Background())
		if err == nil {
			_, err = c.ExecContext(context.Background(), "USE bench")
		}
		if err == nil {
			var f *os.File
			f, err = os.Open(qdump)
			if err == nil {
				var p importer.Progress
				p, err = importer.Run(context.Background(), c, f, importer.Options{})
				qd = p.Elapsed
				f.Close()
			}
			c.Close()
		}
	default:
		err = fmt.Errorf("unknown -via %q", via)
	}
	qcpu := procstat.CPU() - cpu0
	if cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return fmt.Errorf("quarry import: %w", err)
	}
	// A MATCH query waits until the search index has applied every
	// committed row: how far the index trails the import.
	var searchLag time.Duration
	if fulltext && qdump == dump {
		start := time.Now()
		var n int64
		if err := qdb.QueryRow("SELECT COUNT(*) FROM bench.orders WHERE MATCH(title) AGAINST('+zzzznotaword' IN BOOLEAN MODE)").Scan(&n); err != nil {
			return fmt.Errorf("quarry search catch-up: %w", err)
		}
		searchLag = time.Since(start)
		fmt.Printf("quarry  server CPU until the search index caught up: %s\n", (procstat.CPU() - cpu0).Round(time.Millisecond))
	}
	qn, err := count(qaddr, "bench")
	if err != nil {
		return err
	}
	qdb.Close()
	if m, ok := store.KVMetrics(); ok {
		wa := 0.0
		if m.BytesFlushed > 0 {
			wa = float64(m.BytesFlushed+m.BytesCompacted) / float64(m.BytesFlushed)
		}
		fmt.Printf("quarry  store: WAL %.0f MiB, flushed %.0f MiB, compacted %.0f MiB, ingested %.0f MiB (write amplification %.1f), disk %.0f MiB\n",
			mib(m.WALBytesIn), mib(m.BytesFlushed), mib(m.BytesCompacted), mib(m.BytesIngested), wa, mib(m.DiskUsageBytes))
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		return err
	}
	_ = sqlserver.CloseEngine(eng)
	if err := store.Close(); err != nil {
		return err
	}
	qrate := float64(qn) / qd.Seconds()
	fmt.Printf("quarry  (via %s): %d rows in %s = %.0f rows/s; server CPU %s (%.1f µs/row)\n", via, qn, qd.Round(time.Millisecond), qrate,
		qcpu.Round(time.Millisecond), float64(qcpu.Microseconds())/float64(qn))
	if searchLag > 0 {
		fmt.Printf("quarry  search index caught up %s after the import returned (%.0f rows/s counting that)\n",
			searchLag.Round(time.Millisecond), float64(qn)/(qd+searchLag).Seconds())
	}
	if skipMaria {
		return nil
	}

	// MariaDB.
	m, err := mariadbtest.Start(mariadbtest.Options{BufferPool: "1G"}, nil)
	if err != nil {
		return err
	}
	defer m.Stop()
	if err := m.Exec(context.Background(), "CREATE DATABASE bench"); err != nil {
		return err
	}
	if err := m.Exec(context.Background(), "SET GLOBAL local_infile = 1"); err != nil {
		return err
	}
	mcpu0 := procstat.ProcessCPU(m.Pid())
	md, err := mariadbImport(m.Addr(), "bench", dump)
	if err != nil {
		return err
	}
	mcpu := procstat.ProcessCPU(m.Pid()) - mcpu0
	mn, err := count(m.Addr(), "bench")
	if err != nil {
		return err
	}
	mrate := float64(mn) / md.Seconds()
	fmt.Printf("mariadb (via mariadb): %d rows in %s = %.0f rows/s; server CPU %s (%.1f µs/row)\n", mn, md.Round(time.Millisecond), mrate,
		mcpu.Round(time.Millisecond), float64(mcpu.Microseconds())/float64(mn))
	fmt.Printf("ratio quarry/mariadb rows/s: %s\n", strconv.FormatFloat(qrate/mrate, 'f', 2, 64))
	if mcpu > 0 && qcpu > 0 {
		// On a shared machine server CPU per row is steadier than wall time.
		fmt.Printf("ratio mariadb/quarry server CPU: %s\n", strconv.FormatFloat(mcpu.Seconds()/qcpu.Seconds(), 'f', 2, 64))
	}
	if searchLag > 0 {
		fmt.Printf("ratio quarry/mariadb rows/s, until Quarry's search index caught up: %s\n",
			strconv.FormatFloat(float64(qn)/(qd+searchLag).Seconds()/mrate, 'f', 2, 64))
	}
	return nil
}
