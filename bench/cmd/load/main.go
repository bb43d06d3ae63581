// Command load measures a bulk load of a typical orders table into Quarry
// through the MySQL protocol with multi-row INSERTs, and reports rows per
// second and the data directory size against the raw CSV size.
//
//	go run ./bench/cmd/load -rows 1000000
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/quarrydb/quarry/internal/gctune"
	"github.com/quarrydb/quarry/internal/schedtune"
	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

func main() {
	if err := schedtune.Reexec(); err != nil { // as quarry serve does
		slog.Warn("sysmon keeps its default idle behaviour", "err", err)
	}
	rows := flag.Int("rows", 1_000_000, "rows to load")
	batch := flag.Int("batch", 1000, "rows per INSERT")
	conns := flag.Int("conns", 2, "concurrent loading connections")
	dir := flag.String("data-dir", "", "data directory (default: a temporary one, removed at exit)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the load to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*rows, *batch, *conns, *dir); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// orderRow renders row i of the synthetic orders table as SQL values and
// as the equivalent CSV line.
func orderRow(r *rand.Rand, i int) (string, string) {
	statuses := []string{"new", "paid", "shipped", "delivered", "refunded"}
	shop := r.IntN(500)
	cust := r.IntN(200000)
	status := statuses[r.IntN(len(statuses))]
	amount := fmt.Sprintf("%d.%02d", r.IntN(2000), r.IntN(100))
	ts := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24*3600)) * time.Second).Format("2006-01-02 15:04:05")
	email := fmt.Sprintf("user%d@example.com", cust)
	city := []string{"Berlin", "Hangzhou", "Lisbon", "Austin", "Osaka", "Lagos"}[r.IntN(6)]
	sqlv := fmt.Sprintf("(%d,%d,%d,'%s',%s,'%s','%s','%s')", i, shop, cust, status, amount, ts, email, city)
	csv := fmt.Sprintf("%d,%d,%d,%s,%s,%s,%s,%s\n", i, shop, cust, status, amount, ts, email, city)
	return sqlv, csv
}

func run(rows, batch, conns int, dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "quarry-load")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sqlserver.RouteLibraryLogs(log)
	gctune.Apply() // as quarry serve does
	store, err := storage.Open(storage.Options{Dir: dir, Logger: log})
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
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/?maxAllowedPacket=0", srv.Addr()))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(conns)
	for _, q := range []string{
		"CREATE DATABASE shop",
		`CREATE TABLE shop.orders (
			id BIGINT PRIMARY KEY, shop_id INT NOT NULL, customer_id INT NOT NULL,
			status VARCHAR(16) NOT NULL, amount DECIMAL(12,2) NOT NULL, created_at DATETIME NOT NULL,
			email VARCHAR(64) NOT NULL, city VARCHAR(32) NOT NULL,
			KEY by_shop_created (shop_id, created_at), KEY by_customer (customer_id))`,
	} {
		if _, err := db.Exec(q); err != nil {
			return err
		}
	}
	var csvBytes int64
	work := make(chan string, conns*2)
	errc := make(chan error, conns)
	for c := 0; c < conns; c++ {
		go func() {
			for stmt := range work {
				if _, err := db.ExecContext(context.Background(), stmt); err != nil {
					errc <- err
					for range work {
					}
					return
				}
			}
			errc <- nil
		}()
	}
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	var sb strings.Builder
	for i := 1; i <= rows; i++ {
		if sb.Len() == 0 {
			sb.WriteString("INSERT INTO shop.orders VALUES ")
		} else {
			sb.WriteByte(',')
		}
		v, line := orderRow(r, i)
		sb.WriteString(v)
		csvBytes += int64(len(line))
		if i%batch == 0 || i == rows {
			work <- sb.String()
			sb.Reset()
		}
	}
	close(work)
	for c := 0; c < conns; c++ {
		if err := <-errc; err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	var count int64
	if err := db.QueryRow("SELECT COUNT(*) FROM shop.orders").Scan(&count); err != nil {
		return err
	}
	db.Close()
	if err := srv.Shutdown(context.Background()); err != nil {
		return err
	}
	if err := store.Flush(); err != nil {
		return err
	}
	if err := store.Close(); err != nil {
		return err
	}
	size, err := dirSize(dir)
	if err != nil {
		return err
	}
	fmt.Printf("rows loaded:        %d (COUNT(*) = %d)\n", rows, count)
	fmt.Printf("load time:          %s (%d conns, %d rows/INSERT)\n", elapsed.Round(time.Millisecond), conns, batch)
	fmt.Printf("rows/second:        %.0f\n", float64(rows)/elapsed.Seconds())
	fmt.Printf("raw CSV size:       %.1f MiB\n", float64(csvBytes)/(1<<20))
	fmt.Printf("data dir size:      %.1f MiB (%.2fx CSV, table + 2 secondary indexes)\n", float64(size)/(1<<20), float64(size)/float64(csvBytes))
	return nil
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	return n, err
}
