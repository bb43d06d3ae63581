package clients

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	gmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// GORM models: the same application schema, declared the GORM way.
type gCustomer struct {
	ID        uint64    `gorm:"primaryKey;autoIncrement"`
	Email     string    `gorm:"size:190;not null;uniqueIndex:uq_customers_email"`
	Name      string    `gorm:"size:100;not null;index:idx_customers_name"`
	Nickname  *string   `gorm:"size:100"`
	Tier      string    `gorm:"type:enum('free','pro','enterprise');not null;default:free"`
	CreatedAt time.Time `gorm:"type:datetime(6);not null"`
	UpdatedAt time.Time `gorm:"type:datetime(6)"`
	Orders    []gOrder  `gorm:"foreignKey:CustomerID"`
}

func (gCustomer) TableName() string { return "customers" }

type gOrder struct {
	ID         uint64          `gorm:"primaryKey;autoIncrement"`
	CustomerID uint64          `gorm:"not null;index:idx_orders_customer_placed,priority:1"`
	Customer   *gCustomer      `gorm:"constraint:OnUpdate:CASCADE,OnDelete:RESTRICT;"`
	Amount     decimal.Decimal `gorm:"type:decimal(12,2);not null"`
	Qty        int             `gorm:"not null;default:1"`
	Note       *string         `gorm:"size:255"`
	Attrs      jsonDoc         `gorm:"type:json"`
	Payload    []byte          `gorm:"type:blob"`
	Status     string          `gorm:"type:enum('new','paid','shipped','cancelled');not null;default:new"`
	PlacedAt   time.Time       `gorm:"type:datetime(6);not null;index:idx_orders_customer_placed,priority:2"`
}

func (gOrder) TableName() string { return "orders" }

// jsonDoc is a JSON column value (what gorm.io/datatypes.JSON does).
type jsonDoc map[string]any

func (j jsonDoc) Value() (driver.Value, error) {
	if j == nil {
		return nil, nil
	}
	b, err := json.Marshal(j)
	return string(b), err
}

func (j *jsonDoc) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*j = nil
		return nil
	case []byte:
		return json.Unmarshal(x, j)
	case string:
		return json.Unmarshal([]byte(x), j)
	}
	return fmt.Errorf("jsonDoc: cannot scan %T", v)
}

// sqlLog records the statements GORM sends.
type sqlLog struct {
	mu   sync.Mutex
	sqls []string
}

func (l *sqlLog) LogMode(logger.LogLevel) logger.Interface      { return l }
func (l *sqlLog) Info(context.Context, string, ...interface{})  {}
func (l *sqlLog) Warn(context.Context, string, ...interface{})  {}
func (l *sqlLog) Error(context.Context, string, ...interface{}) {}
func (l *sqlLog) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	s, _ := fc()
	l.mu.Lock()
	l.sqls = append(l.sqls, s)
	l.mu.Unlock()
}

func (l *sqlLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sqls
	l.sqls = nil
	return s
}

func TestGORM(t *testing.T) {
	srv := startServer(t)
	c := newChecker(t, "gorm")
	log := &sqlLog{}
	var db *gorm.DB
	open := func(dbName string) (*gorm.DB, error) {
		return gorm.Open(gmysql.Open(goDSN(srv.Addr, dbName, "&charset=utf8mb4")), &gorm.Config{
			Logger: log, TranslateError: true,
		})
	}
	c.check("connect", func() error {
		g, err := open("")
		if err != nil {
			return err
		}
		if err := g.Exec("CREATE DATABASE app").Error; err != nil {
			return err
		}
		sqlDB, _ := g.DB()
		sqlDB.Close()
		db, err = open("app")
		if err != nil {
			return err
		}
		sqlDB, _ = db.DB()
		t.Cleanup(func() { sqlDB.Close() })
		return nil
	})
	if db == nil {
		t.FailNow()
	}
	c.check("automigrate", func() error {
		log.take()
		return db.AutoMigrate(&gCustomer{}, &gOrder{})
	})
	c.check("automigrate_idempotent", func() error {
		// A second AutoMigrate on an unchanged model only introspects: any
		// ALTER means GORM read back a different schema than it created.
		log.take()
		if err := db.AutoMigrate(&gCustomer{}, &gOrder{}); err != nil {
			return err
		}
		var alters []string
		for _, s := range log.take() {
			if u := strings.ToUpper(s); strings.HasPrefix(u, "ALTER") || strings.HasPrefix(u, "CREATE") {
				alters = append(alters, s)
			}
		}
		if len(alters) > 0 {
			return fmt.Errorf("second AutoMigrate changed the schema: %s", strings.Join(alters, "; "))
		}
		return nil
	})
	c.check("migrator_introspection", func() error {
		m := db.Migrator()
		var errs []string
		if !m.HasTable(&gOrder{}) {
			errs = append(errs, "HasTable(orders) = false")
		}
		if !m.HasColumn(&gOrder{}, "PlacedAt") {
			errs = append(errs, "HasColumn(orders.placed_at) = false")
		}
		if !m.HasIndex(&gOrder{}, "idx_orders_customer_placed") {
			errs = append(errs, "HasIndex(idx_orders_customer_placed) = false")
		}
		if !m.HasIndex(&gCustomer{}, "uq_customers_email") {
			errs = append(errs, "HasIndex(uq_customers_email) = false")
		}
		if !m.HasConstraint(&gCustomer{}, "Orders") {
			errs = append(errs, "HasConstraint(customers.Orders) = false")
		}
		tables, err := m.GetTables()
		if err != nil {
			return err
		}
		if fmt.Sprint(tables) != "[customers orders]" {
			errs = append(errs, fmt.Sprintf("GetTables() = %v", tables))
		}
		idx, err := m.GetIndexes(&gCustomer{})
		if err != nil {
			return err
		}
		var names []string
		for _, i := range idx {
			u, _ := i.Unique()
			pk, _ := i.PrimaryKey()
			names = append(names, fmt.Sprintf("%s%v unique=%v pk=%v", i.Name(), i.Columns(), u, pk))
		}
		if got := strings.Join(names, ", "); !strings.Contains(got, "uq_customers_email[email] unique=true") ||
			!strings.Contains(got, "idx_customers_name[name] unique=false") {
			errs = append(errs, "GetIndexes(customers) = "+got)
		}
		cts, err := m.ColumnTypes(&gOrder{})
		if err != nil {
			return err
		}
		var cols []string
		for _, ct := range cts {
			full, _ := ct.ColumnType()
			key := ""
			if pk, _ := ct.PrimaryKey(); pk {
				key = " PK"
			}
			if ai, _ := ct.AutoIncrement(); ai {
				key += " AI"
			}
			cols = append(cols, ct.Name()+" "+full+key)
		}
		want := "id bigint unsigned PK AI, customer_id bigint unsigned, amount decimal(12,2), qty bigint, note varchar(255), attrs json, payload blob, " +
			"status enum('new','paid','shipped','cancelled'), placed_at datetime(6)"
		if got := strings.Join(cols, ", "); got != want {
			errs = append(errs, "ColumnTypes(orders) = "+got+"; want "+want)
		}
		if len(errs) > 0 {
			return errors.New(strings.Join(errs, "; "))
		}
		return nil
	})
	nick := "小张 😀🎉"
	custs := []gCustomer{
		{Email: "zhang@example.com", Name: "张伟", Nickname: &nick, Tier: "pro", CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)},
		{Email: "bob@example.com", Name: "Bob", CreatedAt: time.Date(2024, 2, 1, 0, 0, 0, 1000, time.UTC)},
		{Email: "carol@example.com", Name: "Carol", Tier: "enterprise", CreatedAt: time.Date(2024, 2, 3, 0, 0, 0, 0, time.UTC)},
	}
	var orders []gOrder
	c.check("create_autoinc", func() error {
		if err := db.Create(&custs[0]).Error; err != nil {
			return err
		}
		if custs[0].ID == 0 {
			return errors.New("ID not filled in after Create")
		}
		// Batch insert: GORM derives the ids from LastInsertId.
		if err := db.Create(custs[1:]).Error; err != nil {
			return err
		}
		var ids []uint64
		if err := db.Model(&gCustomer{}).Order("id").Pluck("id", &ids).Error; err != nil {
			return err
		}
		return eq("ids", ids, []uint64{custs[0].ID, custs[1].ID, custs[2].ID})
	})
	c.check("create_types", func() error {
		note := "多 emoji 🚀"
		orders = []gOrder{
			{CustomerID: custs[0].ID, Amount: decimal.RequireFromString("12.34"), Qty: 2, Attrs: jsonDoc{"gift": true, "名": "值"}, Payload: blob1, Status: "paid", PlacedAt: placed1},
			{CustomerID: custs[0].ID, Amount: decimal.RequireFromString("0.01"), Qty: 1, Note: &note, Status: "new", PlacedAt: placed2},
			{CustomerID: custs[1].ID, Amount: decimal.RequireFromString("99999999.99"), Qty: 3, Attrs: jsonDoc{}, Payload: []byte{}, Status: "shipped", PlacedAt: placed3},
		}
		if err := db.Create(&orders).Error; err != nil {
			return err
		}
		var got []gOrder
		if err := db.Order("id").Find(&got).Error; err != nil {
			return err
		}
		if len(got) != 3 {
			return fmt.Errorf("%d orders", len(got))
		}
		var errs []string
		for i, o := range got {
			w := orders[i]
			if o.ID != w.ID || !o.Amount.Equal(w.Amount) || o.Qty != w.Qty || !o.PlacedAt.Equal(w.PlacedAt) || o.Status != w.Status ||
				string(o.Payload) != string(w.Payload) || fmt.Sprint(o.Attrs) != fmt.Sprint(w.Attrs) ||
				(o.Note == nil) != (w.Note == nil) || (o.Note != nil && *o.Note != *w.Note) {
				errs = append(errs, fmt.Sprintf("order %d read back as %+v", w.ID, o))
			}
		}
		if len(errs) > 0 {
			return errors.New(strings.Join(errs, "; "))
		}
		var cu gCustomer
		if err := db.Where("email = ?", "bob@example.com").First(&cu).Error; err != nil {
			return err
		}
		if cu.Tier != "free" || cu.Nickname != nil || !cu.CreatedAt.Equal(custs[1].CreatedAt) {
			return fmt.Errorf("customer read back as %+v", cu)
		}
		return nil
	})
	c.check("preload_and_joins", func() error {
		var cs []gCustomer
		if err := db.Preload("Orders", func(db *gorm.DB) *gorm.DB { return db.Order("orders.id") }).Order("id").Find(&cs).Error; err != nil {
			return err
		}
		if len(cs) != 3 || len(cs[0].Orders) != 2 || len(cs[1].Orders) != 1 || len(cs[2].Orders) != 0 || *cs[0].Nickname != nick {
			return fmt.Errorf("preloaded %+v", cs)
		}
		var os []gOrder
		if err := db.Joins("Customer").Where("Customer.tier = ?", "pro").Order("orders.id").Find(&os).Error; err != nil {
			return err
		}
		if len(os) != 2 || os[0].Customer == nil || os[0].Customer.Name != "张伟" {
			return fmt.Errorf("joined %+v", os)
		}
		return nil
	})
	c.check("errors_translated", func() error {
		err := db.Create(&gCustomer{Email: "bob@example.com", Name: "again", CreatedAt: time.Now()}).Error
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			return fmt.Errorf("duplicate email: %v, want gorm.ErrDuplicatedKey", err)
		}
		err = db.Create(&gOrder{CustomerID: 999999, Amount: decimal.NewFromInt(1), PlacedAt: time.Now()}).Error
		if !errors.Is(err, gorm.ErrForeignKeyViolated) {
			return fmt.Errorf("missing parent: %v, want gorm.ErrForeignKeyViolated", err)
		}
		return nil
	})
	c.check("prepared_limit", func() error {
		p := db.Session(&gorm.Session{PrepareStmt: true})
		var ids []uint64
		if err := p.Raw("SELECT id FROM orders WHERE customer_id = ? ORDER BY placed_at DESC LIMIT ?", custs[0].ID, 1).Scan(&ids).Error; err != nil {
			return err
		}
		if err := eq("ids", ids, []uint64{orders[1].ID}); err != nil {
			return err
		}
		var os []gOrder
		if err := p.Where("amount > ?", decimal.NewFromInt(1)).Order("id").Limit(1).Offset(1).Find(&os).Error; err != nil {
			return err
		}
		if len(os) != 1 || os[0].ID != orders[2].ID {
			return fmt.Errorf("Limit(1).Offset(1) = %+v", os)
		}
		return nil
	})
	c.check("transaction_commit_rollback", func() error {
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Model(&gOrder{}).Where("id = ?", orders[0].ID).Update("qty", gorm.Expr("qty + ?", 10)).Error; err != nil {
				return err
			}
			return tx.Create(&gOrder{CustomerID: custs[2].ID, Amount: decimal.RequireFromString("5.00"), PlacedAt: placed3}).Error
		})
		if err != nil {
			return err
		}
		boom := errors.New("boom")
		err = db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Model(&gOrder{}).Where("1 = 1").Update("qty", 0).Error; err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			return fmt.Errorf("rolled-back transaction returned %v", err)
		}
		var sum int64
		if err := db.Model(&gOrder{}).Select("SUM(qty)").Scan(&sum).Error; err != nil {
			return err
		}
		return eq("SUM(qty)", sum, int64(12+1+3+1))
	})
	c.check("select_for_update", func() error {
		return db.Transaction(func(tx *gorm.DB) error {
			var o gOrder
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&o, orders[1].ID).Error; err != nil {
				return err
			}
			return tx.Model(&o).Update("qty", o.Qty+1).Error
		})
	})
	c.check("group_by_sum", func() error {
		type agg struct {
			CustomerID uint64
			N          int
			Total      decimal.Decimal
		}
		var rs []agg
		if err := db.Model(&gOrder{}).Select("customer_id, COUNT(*) AS n, SUM(amount) AS total").Group("customer_id").Order("customer_id").Scan(&rs).Error; err != nil {
			return err
		}
		if len(rs) != 3 || rs[0].N != 2 || rs[0].Total.String() != "12.35" || rs[1].Total.String() != "99999999.99" {
			return fmt.Errorf("aggregates %+v", rs)
		}
		var total string
		if err := db.Model(&gOrder{}).Select("SUM(amount)").Scan(&total).Error; err != nil {
			return err
		}
		return eq("SUM(amount)", total, "100000017.34")
	})
	c.check("window_functions", func() error {
		type row struct {
			ID uint64
			Rn int
		}
		var rs []row
		if err := db.Raw("SELECT id, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY placed_at DESC) AS rn FROM orders ORDER BY id").Scan(&rs).Error; err != nil {
			return err
		}
		if len(rs) != 4 || rs[0].Rn != 2 || rs[1].Rn != 1 {
			return fmt.Errorf("rows %+v", rs)
		}
		return nil
	})
	c.check("update_delete", func() error {
		r := db.Model(&gCustomer{}).Where("id = ?", custs[1].ID).Updates(map[string]any{"tier": "pro", "nickname": nil})
		if r.Error != nil {
			return r.Error
		}
		if r.RowsAffected != 1 {
			return fmt.Errorf("Updates RowsAffected = %d", r.RowsAffected)
		}
		r = db.Where("status = ?", "paid").Delete(&gOrder{})
		if r.Error != nil {
			return r.Error
		}
		if r.RowsAffected != 1 {
			return fmt.Errorf("Delete RowsAffected = %d", r.RowsAffected)
		}
		var n int64
		db.Model(&gOrder{}).Count(&n)
		return eq("orders left", n, int64(3))
	})
}
