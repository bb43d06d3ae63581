// Package orders is the deterministic orders dataset that Quarry's analytics,
// search, import and load benchmarks share.
//
// Row i (1-based) is a pure function of (seed, i), so any range of rows can be
// generated independently, in parallel, and identically for Quarry and for
// MariaDB. created_at grows with order_id (with jitter), as in a real order
// table; titles mix English and Chinese product words.
package orders

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Columns lists the table's columns in DDL order.
var Columns = []string{"order_id", "user_id", "seller_id", "status", "category", "region", "amount_cents", "created_at", "title"}

// CreateTable is the table definition without secondary indexes; callers add
// the indexes their benchmark needs (see CreateTableWith).
const CreateTable = `CREATE TABLE orders (
  order_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  seller_id INT NOT NULL,
  status VARCHAR(16) NOT NULL,
  category VARCHAR(32) NOT NULL,
  region VARCHAR(16) NOT NULL,
  amount_cents BIGINT NOT NULL,
  created_at DATETIME NOT NULL,
  title VARCHAR(255) NOT NULL,
  PRIMARY KEY (order_id)
)`

// CreateTableWith is CreateTable with extra index clauses, e.g.
// "KEY idx_user (user_id)" or "FULLTEXT KEY ft_title (title)".
func CreateTableWith(indexes ...string) string {
	if len(indexes) == 0 {
		return CreateTable
	}
	body := strings.TrimSuffix(CreateTable, "\n)")
	return body + ",\n  " + strings.Join(indexes, ",\n  ") + "\n)"
}

// Statuses, Categories and Regions are the low-cardinality value sets.
var (
	Statuses   = []string{"created", "paid", "shipped", "delivered", "cancelled", "refunded"}
	statusW    = []int{5, 15, 20, 50, 7, 3} // percent
	Categories = []string{"phones", "laptops", "tablets", "audio", "cameras", "tv", "gaming", "wearables",
		"home", "kitchen", "garden", "tools", "books", "toys", "sports", "beauty", "fashion", "shoes", "grocery", "pets"}
	Regions = []string{"north", "south", "east", "west", "central", "northeast", "northwest", "southeast",
		"southwest", "overseas", "hk", "tw"}
)

var (
	enWords = []string{"iphone", "galaxy", "pixel", "case", "charger", "cable", "wireless", "bluetooth", "headphones",
		"earbuds", "speaker", "laptop", "notebook", "tablet", "keyboard", "mouse", "monitor", "camera", "lens",
		"tripod", "watch", "band", "fitness", "tracker", "router", "ssd", "drive", "memory", "card", "kettle",
		"blender", "coffee", "maker", "vacuum", "lamp", "desk", "chair", "pillow", "blanket", "jacket", "sneakers",
		"running", "yoga", "mat", "backpack", "bottle", "novel", "cookbook", "puzzle", "lego", "drone", "console",
		"controller", "game", "pro", "max", "mini", "ultra", "lite", "black", "white", "silver", "blue", "red",
		"green", "gold", "pack", "set", "kit", "edition", "portable", "smart", "premium", "classic", "original"}
	zhWords = []string{"手机", "耳机", "蓝牙", "无线", "充电器", "数据线", "笔记本", "电脑", "平板", "键盘", "鼠标",
		"显示器", "相机", "镜头", "手表", "运动", "健身", "路由器", "硬盘", "内存", "水壶", "咖啡机", "吸尘器",
		"台灯", "书桌", "椅子", "枕头", "外套", "跑鞋", "背包", "水杯", "小说", "拼图", "积木", "无人机", "游戏机",
		"手柄", "黑色", "白色", "银色", "蓝色", "红色", "金色", "套装", "礼盒", "便携", "智能", "旗舰", "新款", "正品"}
)

// Epoch is the first created_at; rows span Span after it.
var Epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Span is the created_at range of a dataset, whatever its size.
const Span = 2 * 365 * 24 * time.Hour

// Order is one row.
type Order struct {
	OrderID     int64
	UserID      int64
	SellerID    int32
	Status      string
	Category    string
	Region      string
	AmountCents int64
	CreatedAt   time.Time
	Title       string
}

// Gen generates the rows of one dataset.
type Gen struct {
	Seed uint64
	Rows int64 // dataset size; scales user ids and the created_at step
}

// New returns a generator for rows 1..rows with seed 1.
func New(rows int64) Gen { return Gen{Seed: 1, Rows: rows} }

// Row returns row i (1 <= i <= g.Rows).
func (g Gen) Row(i int64) Order {
	r := rand.New(rand.NewPCG(g.Seed, uint64(i)*0x9e3779b97f4a7c15))
	users := max(g.Rows/10, 1)
	o := Order{OrderID: i}
	// A tenth of the users place half the orders.
	if r.IntN(2) == 0 {
		o.UserID = 1 + r.Int64N(max(users/10, 1))
	} else {
		o.UserID = 1 + r.Int64N(users)
	}
	// Seller popularity is skewed: squaring a uniform value favours low ids.
	u := r.Float64()
	o.SellerID = int32(1 + int(u*u*5000))
	o.Status = pickWeighted(r, Statuses, statusW)
	o.Category = Categories[r.IntN(len(Categories))]
	o.Region = Regions[r.IntN(len(Regions))]
	// Amounts: mostly small, a long tail up to 50,000.00.
	a := r.ExpFloat64() * 15000
	o.AmountCents = 99 + int64(a)%4_999_901
	step := float64(Span) / float64(max(g.Rows, 1))
	jitter := time.Duration(r.Int64N(int64(time.Hour)))
	o.CreatedAt = Epoch.Add(time.Duration(float64(i-1)*step) + jitter).Truncate(time.Second)
	o.Title = title(r)
	return o
}

func pickWeighted(r *rand.Rand, vals []string, weights []int) string {
	n := r.IntN(100)
	for i, w := range weights {
		if n < w {
			return vals[i]
		}
		n -= w
	}
	return vals[len(vals)-1]
}

func title(r *rand.Rand) string {
	n := 3 + r.IntN(6)
	var b strings.Builder
	kind := r.IntN(10)
	zh := kind < 3     // 30% Chinese-first titles
	mixed := kind == 3 // 10% English with Chinese words
	for k := 0; k < n; k++ {
		if k > 0 && !(zh && k%2 == 1) {
			b.WriteByte(' ')
		}
		if zh && k%2 == 0 || mixed && r.IntN(3) == 0 {
			b.WriteString(zhWords[r.IntN(len(zhWords))])
		} else {
			b.WriteString(enWords[r.IntN(len(enWords))])
		}
	}
	return b.String()
}

// Values renders o as a parenthesised SQL VALUES tuple.
func (o Order) Values() string {
	return fmt.Sprintf("(%d,%d,%d,'%s','%s','%s',%d,'%s',%s)", o.OrderID, o.UserID, o.SellerID, o.Status,
		o.Category, o.Region, o.AmountCents, o.CreatedAt.Format(time.DateTime), sqlString(o.Title))
}

// CSV renders o as one CSV line (no newline), fields in Columns order.
func (o Order) CSV() string {
	return strconv.FormatInt(o.OrderID, 10) + "," + strconv.FormatInt(o.UserID, 10) + "," +
		strconv.Itoa(int(o.SellerID)) + "," + o.Status + "," + o.Category + "," + o.Region + "," +
		strconv.FormatInt(o.AmountCents, 10) + "," + o.CreatedAt.Format(time.DateTime) + "," +
		`"` + strings.ReplaceAll(o.Title, `"`, `""`) + `"`
}

func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// WriteInserts writes rows from..to (inclusive) as extended INSERT statements
// of batch rows each, one statement per line, as mysqldump does.
func (g Gen) WriteInserts(w io.Writer, from, to int64, batch int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	for i := from; i <= to; {
		bw.WriteString("INSERT INTO `orders` VALUES ")
		for k := 0; k < batch && i <= to; k, i = k+1, i+1 {
			if k > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(g.Row(i).Values())
		}
		bw.WriteString(";\n")
	}
	return bw.Flush()
}

// WriteCSV writes rows from..to (inclusive) as CSV lines.
func (g Gen) WriteCSV(w io.Writer, from, to int64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	for i := from; i <= to; i++ {
		bw.WriteString(g.Row(i).CSV())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// Load inserts rows 1..g.Rows into the orders table through db with conns
// concurrent connections and batch rows per INSERT. progress, if non-nil, is
// called (from one goroutine at a time) with the rows loaded so far.
func (g Gen) Load(ctx context.Context, db *sql.DB, batch, conns int, progress func(int64)) error {
	conns, batch = max(conns, 1), max(batch, 1)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type job struct{ from, to int64 }
	jobs := make(chan job)
	go func() {
		defer close(jobs)
		for i := int64(1); i <= g.Rows; i += int64(batch) {
			select {
			case jobs <- job{i, min(i+int64(batch)-1, g.Rows)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var (
		mu   sync.Mutex
		done int64
		wg   sync.WaitGroup
	)
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sb strings.Builder
			for j := range jobs {
				sb.Reset()
				sb.WriteString("INSERT INTO orders VALUES ")
				for i := j.from; i <= j.to; i++ {
					if i > j.from {
						sb.WriteByte(',')
					}
					sb.WriteString(g.Row(i).Values())
				}
				if _, err := db.ExecContext(ctx, sb.String()); err != nil {
					cancel(fmt.Errorf("orders: insert rows %d-%d: %w", j.from, j.to, err))
					return
				}
				mu.Lock()
				done += j.to - j.from + 1
				if progress != nil {
					progress(done)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return context.Cause(ctx)
}
