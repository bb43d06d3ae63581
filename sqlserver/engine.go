package sqlserver

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/quarrydb/quarry/indexes"
	"github.com/quarrydb/quarry/indexes/searchplan"
	"github.com/quarrydb/quarry/planner"
	"github.com/quarrydb/quarry/storage"
)

// EngineOptions configure NewEngine.
type EngineOptions struct {
	// RootPassword, when non-empty, is applied at every start to
	// root@localhost and root@'%', creating them if they are missing (like
	// MYSQL_ROOT_PASSWORD in the official image, but authoritative on each
	// start). When empty, root@localhost is created without a password on
	// first initialisation of the data directory only, and existing
	// accounts, including a root password set with ALTER USER, are kept.
	RootPassword string

	// Rules, if non-nil, is called with the analyzer builder after Quarry's
	// own rules (see addQuarryRules) are added and before it is built, so
	// tests and experiments can add or remove planner rules.
	Rules func(*analyzer.Builder)

	// Logger defaults to slog.Default().
	Logger *slog.Logger

	// DisablePlanCache turns off the analyzed-plan cache (plancache.go);
	// tests use it to compare cached with uncached results.
	DisablePlanCache bool
}

// nativePasswordPlugin is the only password plugin GMS verifies in the
// handshake; CREATE USER ... IDENTIFIED BY stores this kind of hash.
const nativePasswordPlugin = "mysql_native_password"

// NewEngine assembles the GMS engine over store. It is the one place where
// this happens: `quarry serve` and the conformance harness both call it, so
// they run exactly the same analyzer, catalog, statistics, privilege and
// system-variable setup.
//
// The returned engine owns no storage; the caller closes the engine with
// CloseEngine (after any server using it has shut down) and then the store.
func NewEngine(store *storage.Engine, opts EngineOptions) (*sqle.Engine, error) {
	if store == nil {
		return nil, errors.New("sqlserver: NewEngine: nil store")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := applySystemVariables(); err != nil {
		return nil, err
	}
	applyColumnCacheSize(store)

	// Search indexes (FULLTEXT): open them, replay their change logs.
	if _, err := indexes.Attach(store, filepath.Join(store.Dir(), "search"), log); err != nil {
		return nil, err
	}
	searchplan.Install()

	installFunctions()
	installEnumStrings()
	installUpdateByteCompare()
	installCrossTypeCompare()
	installTemporalBound()
	installDateStrings()
	installCompoundInterval() // before monthFix's rule
	installMonthFix()
	installSearchJoinColumns()
	renameShowTableStatusComment()
	installVectorOrder()
	installResultFsp()
	installIntRange()
	installReadOnly()
	installIntOverflow()
	installTimeString()
	installWarningOrder()
	installReadOnlyLink()
	installCastInt()
	installObserveDML() // last: it observes the final plan
	b := analyzer.NewBuilder(store.Provider())
	addQuarryRules(b)
	if opts.Rules != nil {
		opts.Rules(b)
	}
	a := b.Build()
	// Count rows read per statement, enforce KILL's and PROCESSLIST's
	// privilege rules (see execOverride).
	a.ExecBuilder = rowexec.NewOverrideBuilder(execOverride{privs: a.Catalog.MySQLDb, store: store})
	// SHOW PROCESSLIST is open to every user, as on MySQL; execOverride
	// shows other users' threads only to holders of PROCESS.
	a.Catalog.AuthHandler = processListAuth{AuthorizationHandler: a.Catalog.AuthHandler}
	a.Catalog.InfoSchema = newInfoSchema(a.Catalog.InfoSchema, store)
	if sp := store.StatsProvider(); sp != nil {
		a.Catalog.StatsProvider = sp
	}

	eng := sqle.New(a, &sqle.Config{})
	// SELECT ... FOR UPDATE / FOR SHARE take row locks (GMS ignores them).
	eng.Parser = searchplan.Parser(storage.LockingParser(windowGroupParser(groupConcatParser(orderAliasParser(intervalUnitParser(likeEscapeParser(timePrecisionParser(eng.Parser))))))))
	if err := setupPrivileges(eng.Analyzer.Catalog.MySQLDb, store, opts.RootPassword, log); err != nil {
		_ = CloseEngine(eng)
		return nil, err
	}
	if !opts.DisablePlanCache {
		planCaches.put(eng, installPlanCache(eng, store))
	}
	return eng, nil
}

// CloseEngine closes an engine built by NewEngine. sqle.Engine.Close
// reports context.Canceled from stopping its background threads even on a
// clean close; CloseEngine drops that.
func CloseEngine(e *sqle.Engine) error {
	planCaches.drop(e)
	if err := e.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// afterAllExprRules applies to one expression the rewrites of Quarry's
// expression rules in GMS's OnceAfterAll batch, in their order there
// (intOverflow, timeString, castInt), for plan nodes those rules cannot
// see into: the analytics pushdown's (planner.Config.Rewrite), built
// before the batch runs from expressions it would have rewritten.
func afterAllExprRules(ctx *sql.Context, e sql.Expression) (sql.Expression, error) {
	for _, f := range []transform.ExprFunc{intOverflowExpr(ctx), timeStringExpr, castIntExpr} {
		var err error
		if e, _, err = transform.Expr(e, f); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// addQuarryRules is where Quarry's own planner rules are registered
// (AddPreAnalyzeRule, AddPostAnalyzeRule, ...).
func addQuarryRules(b *analyzer.Builder) {
	b.AddPreAnalyzeRule(ruleNullAwareNotIn, nullAwareNotIn)
	b.AddPreAnalyzeRule(ruleDateInterval, dateInterval)
	b.AddPreAnalyzeRule(ruleLikeEscapeArg, likeEscapeArg)
	b.AddPreAnalyzeRule(ruleCreateLikeIndexes, createLikeIndexes)
	b.AddPostValidationRule(ruleSetOpRows, setOpRows)
	b.AddPostValidationRule(ruleDistinctSort, distinctSort)
	b.AddPostValidationRule(ruleDatetimeCharCast, datetimeCharCast)
	b.AddPostValidationRule(ruleExplainRows, explainRows)
	b.AddPostValidationRule(ruleRecordAccessPaths, recordAccessPaths)
	b.AddPostValidationRule(ruleReadsNeverCommit, readsNeverCommit)
	planner.AddRules(b, &planner.Config{OnRowsRead: pushdownRead, Rewrite: afterAllExprRules})
}

// ruleReadsNeverCommit is Quarry's third analyzer rule.
const ruleReadsNeverCommit analyzer.RuleId = 1002

// readsNeverCommit clears the DDL flag of read-only statements. GMS binds a
// view's stored CREATE VIEW when a query reads the view, which flags the
// query as DDL, and DDL commits the open transaction: a SELECT from a view
// inside BEGIN ... ROLLBACK would commit the transaction's writes.
func readsNeverCommit(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, qFlags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if qFlags != nil && scope.IsEmpty() && n.IsReadOnly() {
		qFlags.Unset(sql.QFlagDDL)
	}
	return n, transform.SameTree, nil
}

// Quarry's analyzer rule IDs start at 1000, clear of GMS's.
const ruleExplainRows analyzer.RuleId = 1000

// explainRows clears the "at most one row" flag that analyzing a point
// lookup or COUNT(*) sets: under EXPLAIN the result is the plan, which has
// many rows, and GMS's handler would fail the statement.
func explainRows(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, qFlags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if qFlags != nil && storage.IsExplain(ctx) {
		qFlags.Unset(sql.QFlagMax1Row)
	}
	return n, transform.SameTree, nil
}

// privilegePersister stores the serialized mysql_db (users, grants, roles)
// in the storage engine whenever GMS changes it.
type privilegePersister struct {
	store *storage.Engine
}

// Persist implements mysql_db.MySQLDbPersistence.
func (p privilegePersister) Persist(_ *sql.Context, data []byte) error {
	if err := p.store.PersistPrivileges(data); err != nil {
		return fmt.Errorf("sqlserver: persist privileges: %w", err)
	}
	return nil
}

// setupPrivileges loads the persisted users and grants, wires persistence
// and makes sure the root accounts exist (see EngineOptions.RootPassword).
func setupPrivileges(db *mysql_db.MySQLDb, store *storage.Engine, rootPassword string, log *slog.Logger) error {
	ctx := sql.NewEmptyContext()
	blob, err := store.LoadPrivileges()
	if err != nil {
		return fmt.Errorf("sqlserver: load privileges: %w", err)
	}
	firstStart := len(blob) == 0
	if !firstStart {
		// A damaged blob fails the start rather than falling back to an
		// open root account.
		if err := db.LoadData(ctx, blob); err != nil {
			return fmt.Errorf("sqlserver: load privileges: %w", err)
		}
	}
	db.SetPersister(privilegePersister{store: store})
	// Always authenticate: an enabled mysql_db with no matching account
	// rejects the login, a disabled one accepts anybody.
	db.SetEnabled(true)

	ed := db.Editor()
	defer ed.Close()

	var changed []string
	if firstStart || rootPassword != "" {
		if ensureRoot(db, ed, "localhost", rootPassword) {
			changed = append(changed, "root@localhost")
		}
	}
	if rootPassword != "" {
		// Remote clients only match '%'; loopback clients match localhost.
		if ensureRoot(db, ed, "%", rootPassword) {
			changed = append(changed, "root@%")
		}
	}
	if !hasRoot(ed) {
		log.Warn("no root account exists; start with a root password to recreate root@localhost and root@'%'")
	}
	if len(changed) > 0 {
		if err := db.Persist(ctx, ed); err != nil {
			return err
		}
		log.Info("root accounts initialised", "accounts", strings.Join(changed, ","), "password_set", rootPassword != "")
	}
	return nil
}

// ensureRoot creates root@host with all privileges if it is missing and,
// if password is non-empty, sets its password. It reports whether it
// changed anything.
func ensureRoot(db *mysql_db.MySQLDb, ed *mysql_db.Editor, host, password string) bool {
	u, ok := ed.GetUser(mysql_db.UserPrimaryKey{User: "root", Host: host})
	if !ok {
		// AddSuperUser hashes the password itself.
		db.AddSuperUser(ed, "root", host, password)
		return true
	}
	if password == "" {
		return false
	}
	hash := NativePasswordHash(password)
	if u.Plugin == nativePasswordPlugin && u.AuthString == hash {
		return false
	}
	nu := mysql_db.UserCopy(u)
	nu.Plugin = nativePasswordPlugin
	nu.AuthString = hash
	nu.PasswordLastChanged = time.Now().UTC()
	// PutUser replaces only an entry equal in every field; remove the old
	// one by primary key so root@host is not stored twice.
	ed.RemoveUser(mysql_db.UserPrimaryKey{User: "root", Host: host})
	ed.PutUser(nu)
	return true
}

func hasRoot(ed *mysql_db.Editor) bool {
	return len(ed.GetUsersByUsername("root")) > 0
}

// rootWithoutPassword returns the first account named root that can log in
// without a password, as "root@host", or "".
func rootWithoutPassword(db *mysql_db.MySQLDb) string {
	rd := db.Reader()
	defer rd.Close()
	for _, u := range rd.GetUsersByUsername("root") {
		if !u.Locked && u.AuthString == "" {
			return "root@" + u.Host
		}
	}
	return ""
}

// NativePasswordHash returns the mysql_native_password authentication
// string for password: "*" followed by upper-case hex SHA1(SHA1(password)),
// the format MySQL and GMS store in mysql.user.authentication_string.
func NativePasswordHash(password string) string {
	s1 := sha1.Sum([]byte(password))
	s2 := sha1.Sum(s1[:])
	return "*" + strings.ToUpper(hex.EncodeToString(s2[:]))
}
