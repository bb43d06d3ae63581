package sqlserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	gms "github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer/analyzererrors"
	"github.com/dolthub/go-mysql-server/sql/types"
	vmysql "github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/vt/vterrors"
	goerrors "gopkg.in/src-d/go-errors.v1"

	"github.com/quarrydb/quarry/storage"
	"github.com/quarrydb/quarry/storage/lock"
)

// panicError's Error panics.
type panicError struct{}

func (panicError) Error() string { panic("boom") }

func TestMySQLErrorNil(t *testing.T) {
	if got := MySQLError(nil); got != nil {
		t.Errorf("MySQLError(nil) = %v, want nil", got)
	}
	if err := clientError(nil); err != nil {
		t.Errorf("clientError(nil) = %#v, want untyped nil", err)
	}
}

func TestMySQLErrorMapping(t *testing.T) {
	deadlock := storage.ErrDeadlock()
	for _, tc := range []struct {
		name  string
		err   error
		code  int
		state string
		msg   string // expected message, if not empty
	}{
		// Keys and constraints.
		{"duplicate primary key", gms.NewUniqueKeyErr("[1]", true, nil), 1062, "23000", "Duplicate entry '1' for key 'PRIMARY'"},
		{"duplicate unique key", gms.NewUniqueKeyErr("[a,b]", false, nil), 1062, "23000", "Duplicate entry 'a,b' for key 'UNIQUE'"},
		{"duplicate key in insert wrapper", gms.NewWrappedInsertError(gms.Row{1}, gms.NewUniqueKeyErr("[7]", true, nil)), 1062, "23000", "Duplicate entry '7' for key 'PRIMARY'"},
		{"duplicate key after CastSQLError", gms.CastSQLError(gms.NewUniqueKeyErr("[7]", false, nil)), 1062, "23000", "Duplicate entry '7' for key 'UNIQUE'"},
		{"bare UniqueKeyError", gms.UniqueKeyError{IsPK: true}, 1062, "23000", "Duplicate entry '' for key 'PRIMARY'"},
		{"duplicate entry kind", gms.ErrDuplicateEntry.New("k"), 1062, "23000", ""},
		{"check constraint", gms.ErrCheckConstraintViolated.New("chk"), 3819, "HY000", `Check constraint "chk" violated`},
		{"fk child", gms.ErrForeignKeyChildViolation.New("fk", "c", "p", "[1]"), 1452, "23000", ""},
		{"fk child unresolved", gms.ErrForeignKeyNotResolved.New("d", "c", "fk", "a", "p", "b"), 1452, "23000", ""},
		{"fk parent", gms.ErrForeignKeyParentViolation.New("fk", "c", "p", "[1]"), 1451, "23000", ""},
		{"not null", gms.ErrInsertIntoNonNullableProvidedNull.New("n"), 1048, "23000", ""},
		{"no default", gms.ErrInsertIntoNonNullableDefaultNullColumn.New("n"), 1364, "HY000", ""},
		{"fk type mismatch", gms.ErrForeignKeyColumnTypeMismatch.New("a", "b"), 3780, "HY000", ""},
		{"fk drop index", gms.ErrForeignKeyDropIndex.New("i", "fk"), 1553, "HY000", ""},
		{"cant drop index", gms.ErrCantDropIndex.New("i", "fk"), 1553, "HY000", ""},
		{"fk drop table", gms.ErrForeignKeyDropTable.New("p", "fk"), 3730, "HY000", ""},
		{"fk missing index", gms.ErrForeignKeyMissingReferenceIndex.New("fk", "p"), 1822, "HY000", ""},

		// Values.
		{"data too long", gms.NewWrappedTypeConversionError("abcdef", 1, types.ErrLengthBeyondLimit.New("abcdef", "v")), 1406, "22001", "string 'abcdef' is too large for column 'v'"},
		{"bit too wide (message only)", vmysql.NewSQLError(1105, "", "8 is beyond the maximum value that can be held by 2 bits"), 1406, "22001", ""},
		{"out of range", gms.ErrValueOutOfRange.New(1000, "tinyint"), 1264, "22003", "1000 out of range for tinyint"},
		{"decimal out of range", types.ErrConvertToDecimalLimit.New(), 1264, "22003", ""},
		{"out of range, wrapped", fmt.Errorf("eval: %w", gms.ErrValueOutOfRange.New(1, "bigint")), 1264, "22003", ""},
		{"incorrect value", gms.ErrInvalidValue.New("abc", "int"), 1366, "HY000", ""},
		{"incorrect datetime", types.ErrConvertingToTime.New("x"), 1292, "22007", ""},
		{"timestamp range", types.ErrConvertingToTimeOutOfRange.New("1900-01-01", "timestamp"), 1292, "22007", ""},
		{"enum value", types.ErrConvertingToEnum.New("z"), 1265, "01000", ""},
		{"invalid json", gms.ErrInvalidJson.New("x"), 3140, "22032", ""},
		{"invalid json argument", gms.ErrInvalidJSONText.New(1, "json_extract", "{"), 3141, "22032", ""},

		// Names.
		{"no such table", gms.ErrTableNotFound.New("t"), 1146, "42S02", "table not found: t"},
		{"no such table, wrapped", fmt.Errorf("storage: %w", gms.ErrTableNotFound.New("t")), 1146, "42S02", "storage: table not found: t"},
		{"unknown table", gms.ErrUnknownTable.New("t"), 1051, "42S02", ""},
		{"unknown database", gms.ErrDatabaseNotFound.New("d"), 1049, "42000", ""},
		{"no database selected", gms.ErrNoDatabaseSelected.New(), 1046, "3D000", ""},
		{"unknown column", gms.ErrColumnNotFound.New("c"), 1054, "42S22", ""},
		{"unknown table column", gms.ErrTableColumnNotFound.New("t", "c"), 1054, "42S22", ""},
		{"unknown column in", gms.ErrUnknownColumn.New("c", "t"), 1054, "42S22", ""},
		{"ambiguous column", gms.ErrAmbiguousColumnName.New("id", []string{"a", "b"}), 1052, "23000", ""},
		{"not unique alias", gms.ErrDuplicateAliasOrTable.New("t"), 1066, "42000", ""},
		{"procedure does not exist", gms.ErrStoredProcedureDoesNotExist.New("p"), 1305, "42000", ""},
		{"function does not exist", gms.ErrFunctionNotFound.New("f"), 1305, "42000", ""},
		{"savepoint does not exist", gms.ErrSavepointDoesNotExist.New("s"), 1305, "42000", ""},
		{"wrong argument count", gms.ErrInvalidArgumentNumber.New("abs", 1, 2), 1582, "42000", ""},
		{"trigger does not exist", gms.ErrTriggerDoesNotExist.New("t"), 1360, "HY000", ""},
		{"view does not exist", gms.ErrViewDoesNotExist.New("d", "v"), 1051, "42S02", ""},

		// DDL.
		{"table exists", gms.ErrTableAlreadyExists.New("t"), 1050, "42S01", ""},
		{"database exists", gms.ErrDatabaseExists.New("d"), 1007, "HY000", ""},
		{"duplicate column", gms.ErrDuplicateColumn.New("a"), 1060, "42S21", ""},
		{"column exists", gms.ErrColumnExists.New("a"), 1060, "42S21", ""},
		{"duplicate key name", gms.ErrDuplicateKey.New("k"), 1061, "42000", ""},
		{"cant drop", gms.ErrCantDropFieldOrKey.New("k"), 1091, "42000", ""},
		{"multiple primary keys", gms.ErrMultiplePrimaryKeysDefined.New(), 1068, "42000", ""},
		{"wrong auto key", gms.ErrWrongAutoKey.New(), 1075, "42000", ""},
		{"invalid auto inc columns", gms.ErrInvalidAutoIncCols.New(), 1075, "42000", ""},
		{"key column missing", gms.ErrKeyColumnDoesNotExist.New("c"), 1072, "42000", ""},
		{"column specified twice", gms.ErrColumnSpecifiedTwice.New("id"), 1110, "42000", ""},
		{"identifier too long", gms.ErrInvalidIdentifier.New("x"), 1059, "42000", ""},
		{"unsupported feature", gms.ErrUnsupportedFeature.New("x"), 1235, "42000", ""},
		{"procedure exists", gms.ErrStoredProcedureAlreadyExists.New("p"), 1304, "42000", ""},

		// Query shape.
		{"subquery more than one row", gms.ErrExpectedSingleRow.New(), 1242, "21000", ""},
		{"operand columns", gms.ErrInvalidOperandColumns.New(1, 2), 1241, "21000", ""},
		{"value count", gms.ErrInsertIntoMismatchValueCount.New(), 1136, "21S01", ""},
		{"value count at row", gms.ErrColValCountMismatch.New(1), 1136, "21S01", ""},
		{"union columns", gms.ErrColumnNumberDoesNotMatch.New(), 1222, "21000", ""},
		{"group by", analyzererrors.ErrValidationGroupBy.New("a"), 1055, "42000", ""},
		{"nonaggregated column", gms.ErrNonAggregatedColumnWithoutGroupBy.New(1, "a"), 1140, "42000", ""},

		// Parse errors.
		{"syntax error kind", gms.ErrSyntaxError.New("syntax error at position 6 near 'SELEC'"), 1064, "42000", "syntax error at position 6 near 'SELEC'"},
		{"syntax error flattened", gms.CastSQLError(gms.ErrSyntaxError.New("syntax error at position 6 near 'SELEC'")), 1064, "42000", ""},
		{"vitess syntax error", vterrors.SyntaxError{Message: "syntax error at position 3", Position: 3}, 1064, "42000", ""},
		{"derived table alias", gms.CastSQLError(gms.ErrSyntaxError.New("Every derived table must have its own alias at position 25 near '1'")), 1248, "42000", ""},

		// Transactions, interruption, storage.
		{"read-only transaction", gms.ErrReadOnlyTransaction.New(), 1792, "25006", ""},
		{"read-only transaction after CastSQLError", gms.CastSQLError(gms.ErrReadOnlyTransaction.New()), 1792, "25006", ""},
		{"deadlock kind", gms.ErrLockDeadlock.New("x"), 1213, "40001", ""},
		{"storage deadlock", deadlock, 1213, "40001", "Deadlock found when trying to get lock; try restarting transaction"},
		{"storage deadlock wrapped", fmt.Errorf("commit: %w", storage.ErrDeadlock()), 1213, "40001", "Deadlock found when trying to get lock; try restarting transaction"},
		{"storage deadlock flattened", gms.CastSQLError(gms.NewWrappedInsertError(nil, fmt.Errorf("x: %w", storage.ErrDeadlock()))), 1213, "40001", ""},
		{"storage lock wait timeout", storage.ErrLockWaitTimeout(), 1205, "HY000", "Lock wait timeout exceeded; try restarting transaction"},
		{"lock package timeout", lock.ErrLockWaitTimeout, 1205, "HY000", ""},
		{"lock package deadlock", fmt.Errorf("x: %w", lock.ErrDeadlock), 1213, "40001", ""},
		{"commit failed", fmt.Errorf("%w: %w", storage.ErrCommitFailed, errors.New("disk full")), 1180, "HY000", "Got error 'disk full' during COMMIT"},
		{"commit failed, wrapped", fmt.Errorf("x: %w", fmt.Errorf("%w: %w", storage.ErrCommitFailed, context.Canceled)), 1180, "HY000", "Got error 'context canceled' during COMMIT"},
		{"commit failed, flattened", gms.CastSQLError(fmt.Errorf("%w: %w", storage.ErrCommitFailed, errors.New("disk full"))), 1180, "HY000", "Got error 'disk full' during COMMIT"},
		{"cancelled", context.Canceled, 1317, "70100", "Query execution was interrupted"},
		{"cancelled, wrapped", fmt.Errorf("scan: %w", context.Canceled), 1317, "70100", ""},
		{"cancelled, flattened", gms.CastSQLError(context.Canceled), 1317, "70100", ""},
		{"deadline", context.DeadlineExceeded, 3024, "HY000", ""},

		// Privileges.
		{"db access denied", gms.ErrDatabaseAccessDeniedForUser.New("'bob'@'%'", "d"), 1044, "42000", ""},
		{"table access denied", gms.ErrTableAccessDeniedForUser.New("'bob'@'%'", "t"), 1142, "42000", ""},
		{"command denied", gms.ErrPrivilegeCheckFailed.New("'bob'@'%'"), 1142, "42000", ""},
		{"command denied flattened", gms.CastSQLError(gms.ErrPrivilegeCheckFailed.New("'bob'@'%'")), 1142, "42000", ""},
		{"access denied from vitess", vmysql.NewSQLError(vmysql.ERAccessDeniedError, vmysql.SSAccessDeniedError, "Access denied for user 'bob'"), 1045, "28000", ""},
		{"create user failed", gms.ErrUserCreationFailure.New("'bob'@'%'"), 1396, "HY000", ""},

		// System variables.
		{"unknown system variable", gms.ErrUnknownSystemVariable.New("x"), 1193, "HY000", ""},
		{"wrong value for variable", gms.ErrInvalidSystemVariableValue.New("autocommit", "maybe"), 1231, "42000", ""},
		{"global variable", gms.ErrSystemVariableGlobalOnly.New("x"), 1229, "HY000", ""},
		{"unknown character set", gms.ErrCharSetUnknown.New("x"), 1115, "42000", ""},
		{"unknown collation", gms.ErrCollationUnknown.New("x"), 1273, "HY000", ""},

		// SQLErrors keep their number; the SQLSTATE is fixed.
		{"GMS 1062 with HY000", vmysql.NewSQLError(1062, "", "dup"), 1062, "23000", "dup"},
		{"bad SQLSTATE length", &vmysql.SQLError{Num: 1146, State: "42", Message: "x"}, 1146, "42S02", "x"},
		{"signal keeps state", vmysql.NewSQLError(1644, "45000", "custom"), 1644, "45000", "custom"},
		{"signal with errno", vmysql.NewSQLError(1062, "23000", "custom"), 1062, "23000", "custom"},
		{"shutdown", errShutdown, 1053, "08S01", "Server shutdown in progress"},
		{"errno text", errors.New("wrapped: Lock wait timeout exceeded (errno 1205) (sqlstate HY000)"), 1205, "HY000", "wrapped: Lock wait timeout exceeded"},

		// Unknown errors stay 1105.
		{"plain error", errors.New("boom"), 1105, "HY000", "boom"},
		{"plain error flattened", gms.CastSQLError(errors.New("boom")), 1105, "HY000", "boom"},
		{"joined", errors.Join(errors.New("a"), gms.ErrTableNotFound.New("t")), 1146, "42S02", ""},
		{"ignorable", gms.NewIgnorableError(nil), 1105, "HY000", ""},
		{"nil SQLError", (*vmysql.SQLError)(nil), 1105, "HY000", ""},
		{"nil go-errors error", (*goerrors.Error)(nil), 1105, "HY000", "unknown error"},
		{"panicking Error", panicError{}, 1105, "HY000", "unknown error"},
		{"zero SQLError", &vmysql.SQLError{}, 1105, "HY000", ""},
		{"wrapped nil", fmt.Errorf("x: %w", nil), 1105, "HY000", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MySQLError(tc.err)
			if got == nil {
				t.Fatalf("MySQLError(%v) = nil", tc.err)
			}
			if got.Num != tc.code || got.State != tc.state {
				t.Errorf("MySQLError(%q) = %d (%s) %q, want %d (%s)", errorText(tc.err), got.Num, got.State, got.Message, tc.code, tc.state)
			}
			if tc.msg != "" && got.Message != tc.msg {
				t.Errorf("message = %q, want %q", got.Message, tc.msg)
			}
			if len(got.State) != 5 {
				t.Errorf("SQLSTATE %q is not 5 characters", got.State)
			}
		})
	}
}

// TestEveryKindMaps checks each mapped GMS kind both as the error GMS
// creates and as GMS's flattened 1105 (sql.CastSQLError), which the
// handler wrapper sees.
func TestEveryKindMaps(t *testing.T) {
	for i, kc := range kindCodes {
		if kc.kind == nil {
			t.Fatalf("kindCodes[%d] has a nil kind", i)
		}
		args := make([]any, 0, 4)
		for _, v := range verbRE.FindAllString(kc.kind.Message, -1) {
			if v != "%%" {
				args = append(args, "x")
			}
		}
		err := kc.kind.New(args...)
		if got := MySQLError(err); got.Num != kc.code || got.State != SQLState(kc.code) {
			t.Errorf("%q: got %d (%s), want %d (%s)", err.Error(), got.Num, got.State, kc.code, SQLState(kc.code))
		}
		_, literal := formatRegexp(kc.kind.Message)
		if literal < 8 {
			continue // not recognisable from the message
		}
		flat := gms.CastSQLError(err)
		if got := MySQLError(flat); got.Num != kc.code || got.State != SQLState(kc.code) {
			t.Errorf("flattened %q (GMS %d): got %d (%s), want %d (%s)", err.Error(), flat.Num, got.Num, got.State, kc.code, SQLState(kc.code))
		}
	}
}

func TestSQLState(t *testing.T) {
	for code, want := range map[int]string{
		1062: "23000", 3819: "HY000", 1452: "23000", 1451: "23000", 1146: "42S02",
		1049: "42000", 1054: "42S22", 1064: "42000", 1048: "23000", 1406: "22001",
		1264: "22003", 1366: "HY000", 1050: "42S01", 1007: "HY000", 1060: "42S21",
		1061: "42000", 1091: "42000", 1305: "42000", 1213: "40001", 1205: "HY000",
		1792: "25006", 1317: "70100", 3024: "HY000", 1045: "28000", 1142: "42000",
		1044: "42000", 1227: "42000", 1193: "HY000", 1231: "42000", 1367: "22007",
		1292: "22007", 1365: "22012", 1242: "21000", 1241: "21000", 1136: "21S01",
		1110: "42000", 1068: "42000", 1075: "42000", 1553: "HY000", 1215: "HY000",
		1217: "23000", 3780: "HY000", 1235: "42000", 1105: "HY000", 1053: "08S01",
	} {
		if got := SQLState(code); got != want {
			t.Errorf("SQLState(%d) = %s, want %s", code, got, want)
		}
	}
	// vitess's constants agree.
	for code, want := range map[int]string{
		vmysql.ERDupEntry: vmysql.SSDupKey, vmysql.ERBadNullError: vmysql.SSConstraintViolation,
		vmysql.ERAccessDeniedError: vmysql.SSAccessDeniedError, vmysql.ERNoDb: vmysql.SSNoDB,
		vmysql.ERLockDeadlock: vmysql.SSLockDeadlock, vmysql.ERBadFieldError: vmysql.SSBadFieldError,
		vmysql.ERNoSuchTable: vmysql.SSUnknownTable, vmysql.ERDupFieldName: vmysql.SSDupFieldName,
		vmysql.ERQueryInterrupted: vmysql.SSQueryInterrupted, vmysql.ERDataTooLong: vmysql.SSDataTooLong,
		vmysql.ERWarnDataOutOfRange: vmysql.SSDataOutOfRange, vmysql.ERWrongValueCountOnRow: vmysql.SSWrongValueCountOnRow,
		vmysql.EROperandColumns: vmysql.SSWrongNumberOfColumns, vmysql.ERSubqueryNo1Row: vmysql.SSWrongNumberOfColumns,
		vmysql.ERServerShutdown: vmysql.SSServerShutdown, vmysql.ERParseError: vmysql.SSClientError,
		vmysql.ERCantDoThisDuringAnTransaction: vmysql.SSCantDoThisDuringAnTransaction,
	} {
		if got := SQLState(code); got != want {
			t.Errorf("SQLState(%d) = %s, vitess says %s", code, got, want)
		}
	}
}

func TestMessageMatchersSpecificFirst(t *testing.T) {
	ms := messageMatchers()
	if len(ms) < len(kindCodes)/2 {
		t.Fatalf("only %d message matchers for %d kinds", len(ms), len(kindCodes))
	}
	for i := 1; i < len(ms); i++ {
		if ms[i-1].literal < ms[i].literal {
			t.Fatalf("matchers not sorted by specificity at %d", i)
		}
	}
	// A message that merely contains a kind's text does not match it.
	if got := MySQLError(errors.New("oops, table not found: t")); got.Num != 1105 {
		t.Errorf("unanchored match: got %d", got.Num)
	}
	if got := MySQLError(errors.New(strings.Repeat("x", 10000))); got.Num != 1105 {
		t.Errorf("long message: got %d", got.Num)
	}
}
