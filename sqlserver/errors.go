package sqlserver

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer/analyzererrors"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/vt/vterrors"
	goerrors "gopkg.in/src-d/go-errors.v1"

	"github.com/quarrydb/quarry/storage"
	"github.com/quarrydb/quarry/storage/lock"
)

// MySQL error numbers used below that vitess has no constant for. The
// SQLSTATE of each number is fixed by MySQL; see sqlStates.
const (
	erNonUniqTable           = 1066 // ER_NONUNIQ_TABLE
	erWrongFieldTerminators  = 1083 // ER_WRONG_FIELD_TERMINATORS
	erNoTablesUsed           = 1096 // ER_NO_TABLES_USED
	erNonExistingGrant       = 1141 // ER_NONEXISTING_GRANT
	erTableAccessDenied      = 1142 // ER_TABLEACCESS_DENIED_ERROR
	erKeyDoesNotExist        = 1176 // ER_KEY_DOES_NOT_EXITS
	erErrorDuringCommit      = 1180 // ER_ERROR_DURING_COMMIT
	erFTMatchingKeyNotFound  = 1191 // ER_FT_MATCHING_KEY_NOT_FOUND
	erUnknownStmtHandler     = 1243 // ER_UNKNOWN_STMT_HANDLER
	erTableNameNotAllowed    = 1250 // ER_TABLENAME_NOT_ALLOWED_HERE
	erSPAlreadyExists        = 1304 // ER_SP_ALREADY_EXISTS
	erSPLabelMismatch        = 1308 // ER_SP_LILABEL_MISMATCH
	erSPLabelRedefine        = 1309 // ER_SP_LABEL_REDEFINE
	erSPWrongNoOfArgs        = 1318 // ER_SP_WRONG_NO_OF_ARGS
	erSPCondMismatch         = 1319 // ER_SP_COND_MISMATCH
	erSPCursorMismatch       = 1324 // ER_SP_CURSOR_MISMATCH
	erSPCursorAlreadyOpen    = 1325 // ER_SP_CURSOR_ALREADY_OPEN
	erSPCursorNotOpen        = 1326 // ER_SP_CURSOR_NOT_OPEN
	erSPWrongNoOfFetchArgs   = 1328 // ER_SP_WRONG_NO_OF_FETCH_ARGS
	erSPDupVar               = 1331 // ER_SP_DUP_VAR
	erSPDupCond              = 1332 // ER_SP_DUP_COND
	erSPDupCurs              = 1333 // ER_SP_DUP_CURS
	erWrongObject            = 1347 // ER_WRONG_OBJECT
	erViewWrongList          = 1353 // ER_VIEW_WRONG_LIST
	erTrgDoesNotExist        = 1360 // ER_TRG_DOES_NOT_EXIST
	erTrgCantChangeRow       = 1362 // ER_TRG_CANT_CHANGE_ROW
	erTrgNoSuchRowInTrg      = 1363 // ER_TRG_NO_SUCH_ROW_IN_TRG
	erCannotUser             = 1396 // ER_CANNOT_USER
	erCantCreateUserWithGr   = 1410 // ER_CANT_CREATE_USER_WITH_GRANT
	erSPDupHandler           = 1413 // ER_SP_DUP_HANDLER
	erTooBigPrecision        = 1426 // ER_TOO_BIG_PRECISION
	erCantUpdateUsedTable    = 1442 // ER_CANT_UPDATE_USED_TABLE_IN_SF_OR_TRG
	erWrongStringLength      = 1470 // ER_WRONG_STRING_LENGTH
	erNoPartitionForValue    = 1526 // ER_NO_PARTITION_FOR_GIVEN_VALUE (as GMS)
	erEventAlreadyExists     = 1537 // ER_EVENT_ALREADY_EXISTS
	erEventDoesNotExist      = 1539 // ER_EVENT_DOES_NOT_EXIST
	erDropIndexFK            = 1553 // ER_DROP_INDEX_FK
	erWrongParamCountNative  = 1582 // ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT
	erTruncateIllegalFK      = 1701 // ER_TRUNCATE_ILLEGAL_FK
	erReadOnlyTransaction    = 1792 // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
	erFKNoIndexParent        = 1822 // ER_FK_NO_INDEX_PARENT
	erFKDupName              = 1826 // ER_FK_DUP_NAME
	erFKColumnCannotDrop     = 1828 // ER_FK_COLUMN_CANNOT_DROP
	erFKColumnNotNull        = 1830 // ER_FK_COLUMN_NOT_NULL
	erFKColumnCannotChange   = 1832 // ER_FK_COLUMN_CANNOT_CHANGE
	erFKDepthExceeded        = 3008 // ER_FK_DEPTH_EXCEEDED
	erBadGeneratedColumn     = 3105 // ER_NON_DEFAULT_VALUE_FOR_GENERATED_COLUMN
	erUnsupportedOnGenerated = 3106 // ER_UNSUPPORTED_ACTION_ON_GENERATED_COLUMN
	erInvalidJSONTypeArg     = 3146 // ER_INVALID_TYPE_FOR_JSON
	erJSONUsedAsKey          = 3152 // ER_JSON_USED_AS_KEY
	erJSONDocumentNullKey    = 3158 // ER_JSON_DOCUMENT_NULL_KEY
	erUnknownAuthID          = 3523 // ER_UNKNOWN_AUTHID
	erCTERecursiveNeedsUnion = 3573 // ER_CTE_RECURSIVE_REQUIRES_UNION
	erWindowNoSuchWindow     = 3579 // ER_WINDOW_NO_SUCH_WINDOW
	erCTEMaxRecursionDepth   = 3636 // ER_CTE_MAX_RECURSION_DEPTH
	erFKCannotDropParent     = 3730 // ER_FK_CANNOT_DROP_PARENT
	erFKIncompatibleColumns  = 3780 // ER_FK_INCOMPATIBLE_COLUMNS
	erCheckConstraintFailed  = 3819 // ER_CHECK_CONSTRAINT_VIOLATED
	erConstraintNotFound     = 3940 // ER_CONSTRAINT_NOT_FOUND
	erDependentByCheck       = 3959 // ER_DEPENDENT_BY_CHECK_CONSTRAINT
)

// sqlStates is MySQL 8.0's SQLSTATE for every error number Quarry can
// send whose SQLSTATE is not HY000 (MySQL's share/messages_to_clients.txt;
// vitess's mysql.SS* constants agree where they exist).
var sqlStates = map[int]string{
	1022: "23000", // ER_DUP_KEY
	1040: "08004", // ER_CON_COUNT_ERROR
	1044: "42000", // ER_DBACCESS_DENIED_ERROR
	1045: "28000", // ER_ACCESS_DENIED_ERROR
	1046: "3D000", // ER_NO_DB_ERROR
	1047: "08S01", // ER_UNKNOWN_COM_ERROR
	1048: "23000", // ER_BAD_NULL_ERROR
	1049: "42000", // ER_BAD_DB_ERROR
	1050: "42S01", // ER_TABLE_EXISTS_ERROR
	1051: "42S02", // ER_BAD_TABLE_ERROR
	1052: "23000", // ER_NON_UNIQ_ERROR
	1053: "08S01", // ER_SERVER_SHUTDOWN
	1054: "42S22", // ER_BAD_FIELD_ERROR
	1055: "42000", // ER_WRONG_FIELD_WITH_GROUP
	1056: "42000", // ER_WRONG_GROUP_FIELD
	1057: "42000", // ER_WRONG_SUM_SELECT
	1058: "21S01", // ER_WRONG_VALUE_COUNT
	1059: "42000", // ER_TOO_LONG_IDENT
	1060: "42S21", // ER_DUP_FIELDNAME
	1061: "42000", // ER_DUP_KEYNAME
	1062: "23000", // ER_DUP_ENTRY
	1063: "42000", // ER_WRONG_FIELD_SPEC
	1064: "42000", // ER_PARSE_ERROR
	1065: "42000", // ER_EMPTY_QUERY
	1066: "42000", // ER_NONUNIQ_TABLE
	1067: "42000", // ER_INVALID_DEFAULT
	1068: "42000", // ER_MULTIPLE_PRI_KEY
	1069: "42000", // ER_TOO_MANY_KEYS
	1070: "42000", // ER_TOO_MANY_KEY_PARTS
	1071: "42000", // ER_TOO_LONG_KEY
	1072: "42000", // ER_KEY_COLUMN_DOES_NOT_EXITS
	1073: "42000", // ER_BLOB_USED_AS_KEY
	1074: "42000", // ER_TOO_BIG_FIELDLENGTH
	1075: "42000", // ER_WRONG_AUTO_KEY
	1083: "42000", // ER_WRONG_FIELD_TERMINATORS
	1090: "42000", // ER_CANT_REMOVE_ALL_FIELDS
	1091: "42000", // ER_CANT_DROP_FIELD_OR_KEY
	1101: "42000", // ER_BLOB_CANT_HAVE_DEFAULT
	1102: "42000", // ER_WRONG_DB_NAME
	1103: "42000", // ER_WRONG_TABLE_NAME
	1109: "42S02", // ER_UNKNOWN_TABLE
	1110: "42000", // ER_FIELD_SPECIFIED_TWICE
	1113: "42000", // ER_TABLE_MUST_HAVE_COLUMNS
	1115: "42000", // ER_UNKNOWN_CHARACTER_SET
	1118: "42000", // ER_TOO_BIG_ROWSIZE
	1136: "21S01", // ER_WRONG_VALUE_COUNT_ON_ROW
	1138: "22004", // ER_INVALID_USE_OF_NULL
	1139: "42000", // ER_REGEXP_ERROR
	1140: "42000", // ER_MIX_OF_GROUP_FUNC_AND_FIELDS
	1141: "42000", // ER_NONEXISTING_GRANT
	1142: "42000", // ER_TABLEACCESS_DENIED_ERROR
	1143: "42000", // ER_COLUMNACCESS_DENIED_ERROR
	1144: "42000", // ER_ILLEGAL_GRANT_FOR_TABLE
	1146: "42S02", // ER_NO_SUCH_TABLE
	1147: "42000", // ER_NONEXISTING_TABLE_GRANT
	1149: "42000", // ER_SYNTAX_ERROR
	1166: "42000", // ER_WRONG_COLUMN_NAME
	1169: "23000", // ER_DUP_UNIQUE
	1170: "42000", // ER_BLOB_KEY_WITHOUT_LENGTH
	1171: "42000", // ER_PRIMARY_CANT_HAVE_NULL
	1172: "42000", // ER_TOO_MANY_ROWS
	1176: "42000", // ER_KEY_DOES_NOT_EXITS
	1179: "25000", // ER_CANT_DO_THIS_DURING_AN_TRANSACTION
	1203: "42000", // ER_TOO_MANY_USER_CONNECTIONS
	1207: "25000", // ER_READ_ONLY_TRANSACTION
	1211: "42000", // ER_NO_PERMISSION_TO_CREATE_USER
	1213: "40001", // ER_LOCK_DEADLOCK
	1216: "23000", // ER_NO_REFERENCED_ROW
	1217: "23000", // ER_ROW_IS_REFERENCED
	1222: "21000", // ER_WRONG_NUMBER_OF_COLUMNS_IN_SELECT
	1227: "42000", // ER_SPECIFIC_ACCESS_DENIED_ERROR
	1231: "42000", // ER_WRONG_VALUE_FOR_VAR
	1232: "42000", // ER_WRONG_TYPE_FOR_VAR
	1234: "42000", // ER_CANT_USE_OPTION_HERE
	1235: "42000", // ER_NOT_SUPPORTED_YET
	1239: "42000", // ER_WRONG_FK_DEF
	1241: "21000", // ER_OPERAND_COLUMNS
	1242: "21000", // ER_SUBQUERY_NO_1_ROW
	1247: "42S22", // ER_ILLEGAL_REFERENCE
	1248: "42000", // ER_DERIVED_MUST_HAVE_ALIAS
	1250: "42000", // ER_TABLENAME_NOT_ALLOWED_HERE
	1253: "42000", // ER_COLLATION_CHARSET_MISMATCH
	1263: "22004", // ER_WARN_NULL_TO_NOTNULL
	1264: "22003", // ER_WARN_DATA_OUT_OF_RANGE
	1265: "01000", // WARN_DATA_TRUNCATED (an error in strict mode)
	1286: "42000", // ER_UNKNOWN_STORAGE_ENGINE
	1292: "22007", // ER_TRUNCATED_WRONG_VALUE
	1304: "42000", // ER_SP_ALREADY_EXISTS
	1305: "42000", // ER_SP_DOES_NOT_EXIST
	1308: "42000", // ER_SP_LILABEL_MISMATCH
	1309: "42000", // ER_SP_LABEL_REDEFINE
	1310: "42000", // ER_SP_LABEL_MISMATCH
	1312: "0A000", // ER_SP_BADSELECT
	1317: "70100", // ER_QUERY_INTERRUPTED
	1318: "42000", // ER_SP_WRONG_NO_OF_ARGS
	1319: "42000", // ER_SP_COND_MISMATCH
	1324: "42000", // ER_SP_CURSOR_MISMATCH
	1325: "24000", // ER_SP_CURSOR_ALREADY_OPEN
	1326: "24000", // ER_SP_CURSOR_NOT_OPEN
	1327: "42000", // ER_SP_UNDECLARED_VAR
	1329: "02000", // ER_SP_FETCH_NO_DATA
	1330: "42000", // ER_SP_DUP_PARAM
	1331: "42000", // ER_SP_DUP_VAR
	1332: "42000", // ER_SP_DUP_COND
	1333: "42000", // ER_SP_DUP_CURS
	1337: "42000", // ER_SP_VARCOND_AFTER_CURSHNDLR
	1338: "42000", // ER_SP_CURSOR_AFTER_HANDLER
	1339: "20000", // ER_SP_CASE_NOT_FOUND
	1365: "22012", // ER_DIVISION_BY_ZERO
	1367: "22007", // ER_ILLEGAL_VALUE_FOR_TYPE
	1370: "42000", // ER_PROCACCESS_DENIED_ERROR
	1403: "42000", // ER_NONEXISTING_PROC_GRANT
	1406: "22001", // ER_DATA_TOO_LONG
	1407: "42000", // ER_SP_BAD_SQLSTATE
	1410: "42000", // ER_CANT_CREATE_USER_WITH_GRANT
	1413: "42000", // ER_SP_DUP_HANDLER
	1415: "0A000", // ER_SP_NO_RETSET
	1416: "22003", // ER_CANT_CREATE_GEOMETRY_OBJECT
	1426: "42000", // ER_TOO_BIG_PRECISION
	1427: "42000", // ER_M_BIGGER_THAN_D
	1439: "42000", // ER_TOO_BIG_DISPLAYWIDTH
	1441: "22008", // ER_DATETIME_FUNCTION_OVERFLOW
	1451: "23000", // ER_ROW_IS_REFERENCED_2
	1452: "23000", // ER_NO_REFERENCED_ROW_2
	1568: "25001", // ER_CANT_CHANGE_TX_CHARACTERISTICS
	1582: "42000", // ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT
	1583: "42000", // ER_WRONG_PARAMETERS_TO_NATIVE_FCT
	1584: "42000", // ER_WRONG_PARAMETERS_TO_STORED_FCT
	1586: "23000", // ER_DUP_ENTRY_WITH_KEY_NAME
	1630: "42000", // ER_FUNC_INEXISTENT_NAME_COLLISION
	1690: "22003", // ER_DATA_OUT_OF_RANGE
	1701: "42000", // ER_TRUNCATE_ILLEGAL_FK
	1792: "25006", // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
	3140: "22032", // ER_INVALID_JSON_TEXT
	3141: "22032", // ER_INVALID_JSON_TEXT_IN_PARAM
	3143: "42000", // ER_INVALID_JSON_PATH
	3146: "22032", // ER_INVALID_TYPE_FOR_JSON
	3152: "42000", // ER_JSON_USED_AS_KEY
	3157: "22032", // ER_JSON_DOCUMENT_TOO_DEEP
	3158: "22032", // ER_JSON_DOCUMENT_NULL_KEY
}

// SQLState returns MySQL's SQLSTATE for error number code: "HY000" unless
// sqlStates says otherwise.
func SQLState(code int) string {
	if s, ok := sqlStates[code]; ok {
		return s
	}
	return mysql.SSUnknownSQLState
}

// kindCode maps a GMS error kind to a MySQL error number.
type kindCode struct {
	kind *goerrors.Kind
	code int
}

// kindCodes lists the GMS error kinds user input can trigger and their
// MySQL error numbers. An error matches the first kind that Is it (that
// kind anywhere in its go-errors cause chain), so wrapping kinds come
// before the ones they may wrap.
var kindCodes = []kindCode{
	// Parsing.
	{sql.ErrSyntaxError, mysql.ERParseError},
	{sql.ErrInvalidSyntax, mysql.ERParseError},
	{sql.ErrUnsupportedFeature, mysql.ERNotSupportedYet},
	{sql.ErrUnsupportedSyntax, mysql.ERNotSupportedYet},
	{sql.ErrTemporaryTableNotSupported, mysql.ERNotSupportedYet},

	// Keys and constraints.
	{sql.ErrPrimaryKeyViolation, mysql.ERDupEntry},
	{sql.ErrUniqueKeyViolation, mysql.ERDupEntry},
	{sql.ErrDuplicateEntry, mysql.ERDupEntry},
	{sql.ErrCheckConstraintViolated, erCheckConstraintFailed},
	{sql.ErrForeignKeyChildViolation, mysql.ErNoReferencedRow2},
	{sql.ErrForeignKeyNotResolved, mysql.ErNoReferencedRow2},
	{sql.ErrForeignKeyParentViolation, mysql.ERRowIsReferenced2},
	{sql.ErrInsertIntoNonNullableProvidedNull, mysql.ERBadNullError},
	{sql.ErrInsertIntoNonNullableDefaultNullColumn, mysql.ERNoDefaultForField},
	{sql.ErrFullTextInvalidColumnType, mysql.ERBadFTColumn},

	// Values.
	{types.ErrLengthBeyondLimit, mysql.ERDataTooLong},
	{sql.ErrValueOutOfRange, mysql.ERWarnDataOutOfRange},
	{types.ErrConvertToDecimalLimit, mysql.ERWarnDataOutOfRange},
	{types.ErrConvertingToYear, mysql.ERWarnDataOutOfRange},
	{expression.ErrIntDivDataOutOfRange, mysql.ERDataOutOfRange},
	{types.ErrConvertingToTime, mysql.ERTruncatedWrongValue},
	{types.ErrConvertingToTimeOutOfRange, mysql.ERTruncatedWrongValue},
	{types.ErrConvertingToTimeType, mysql.ERTruncatedWrongValue},
	{sql.ErrInvalidValue, mysql.ERTruncatedWrongValueForField},
	{sql.ErrInvalidValueType, mysql.ERTruncatedWrongValueForField},
	{types.ErrConvertingToDecimal, mysql.ERTruncatedWrongValueForField},
	{types.ErrConvertingToEnum, mysql.ERWarnDataTruncated},
	{types.ErrDataTruncatedForColumn, mysql.ERWarnDataTruncated},
	{sql.ErrConvertingToSet, mysql.ERWarnDataTruncated},
	{sql.ErrInvalidSetValue, mysql.ERWarnDataTruncated},
	{sql.ErrTooLargeForSet, mysql.ERWarnDataTruncated},
	{sql.ErrEnumTypeTruncated, mysql.ERWarnDataTruncated},
	{sql.ErrDuplicateEntrySet, mysql.ERDuplicatedValueInType},
	{sql.ErrCharSetInvalidString, mysql.ERInvalidCharacterString},
	{types.ErrBadCharsetString, mysql.ERInvalidCharacterString},
	{sql.ErrInvalidJson, mysql.ERInvalidJSONText},
	{sql.ErrInvalidJSONText, mysql.ERInvalidJSONTextInParams},
	{sql.ErrInvalidJSONArgument, erInvalidJSONTypeArg},
	{sql.ErrJSONObjectAggNullKey, erJSONDocumentNullKey},
	{sql.ErrSpatialTypeConversion, mysql.ErrCantCreateGeometryObject},
	{sql.ErrIncorrectValue, mysql.ERWrongValue},
	{sql.ErrInvalidArgument, mysql.ERWrongArguments},
	{sql.ErrInvalidArgumentDetails, mysql.ERWrongArguments},
	{sql.ErrGeneratedColumnValue, erBadGeneratedColumn},

	// Rows and columns of queries.
	{sql.ErrExpectedSingleRow, mysql.ERSubqueryNo1Row},
	{sql.ErrInvalidOperandColumns, mysql.EROperandColumns},
	{sql.ErrInvalidColumnNumber, mysql.EROperandColumns},
	{sql.ErrColValCountMismatch, mysql.ERWrongValueCountOnRow},
	{sql.ErrInsertIntoMismatchValueCount, mysql.ERWrongValueCountOnRow},
	{sql.ErrColumnNumberDoesNotMatch, mysql.ERWrongNumberOfColumnsInSelect},
	{planbuilder.ErrUnionSchemasDifferentLength, mysql.ERWrongNumberOfColumnsInSelect},
	{sql.ErrColumnCountMismatch, erViewWrongList},
	{sql.ErrMoreThanOneRow, mysql.ERTooManyRows},
	{sql.ErrColumnSpecifiedTwice, mysql.ERFieldSpecifiedTwice},
	{sql.ErrNonAggregatedColumnWithoutGroupBy, mysql.ERMixOfGroupFuncAndFields},
	{analyzererrors.ErrValidationGroupBy, mysql.ERWrongFieldWithGroup},
	{analyzererrors.ErrInvalidRowLength, mysql.ERTooBigRowSize},
	{planbuilder.ErrQualifiedOrderBy, erTableNameNotAllowed},
	{sql.ErrNoTablesUsed, erNoTablesUsed},

	// Names that do not resolve.
	{sql.ErrTableNotFound, mysql.ERNoSuchTable},
	{sql.ErrUnknownTable, mysql.ERBadTable},
	{sql.ErrViewDoesNotExist, mysql.ERBadTable},
	{sql.ErrDatabaseNotFound, mysql.ERBadDb},
	{sql.ErrDatabaseSchemaNotFound, mysql.ERBadDb},
	{sql.ErrNoDatabaseSelected, mysql.ERNoDb},
	{sql.ErrColumnNotFound, mysql.ERBadFieldError},
	{sql.ErrTableColumnNotFound, mysql.ERBadFieldError},
	{sql.ErrUnknownColumn, mysql.ERBadFieldError},
	{sql.ErrMisusedAlias, mysql.ERBadFieldError},
	{sql.ErrAmbiguousColumnName, mysql.ERNonUniq},
	{sql.ErrAmbiguousColumnOrAliasName, mysql.ERNonUniq},
	{sql.ErrAmbiguousColumnInOrderBy, mysql.ERNonUniq},
	{sql.ErrDuplicateAliasOrTable, erNonUniqTable},
	{sql.ErrFunctionNotFound, mysql.ERSPDoesNotExist},
	{sql.ErrStoredProcedureDoesNotExist, mysql.ERSPDoesNotExist},
	{sql.ErrSavepointDoesNotExist, mysql.ERSPDoesNotExist},
	{sql.ErrInvalidArgumentNumber, erWrongParamCountNative},
	{sql.ErrCallIncorrectParameterCount, erSPWrongNoOfArgs},
	{sql.ErrTriggerDoesNotExist, erTrgDoesNotExist},
	{sql.ErrEventDoesNotExist, erEventDoesNotExist},
	{sql.ErrUnknownEvent, erEventDoesNotExist},
	{sql.ErrUnknownPreparedStatement, erUnknownStmtHandler},
	{sql.ErrUnknownWindowName, erWindowNoSuchWindow},
	{sql.ErrUnknownConstraint, erConstraintNotFound},
	{sql.ErrExpectedTableFoundView, erWrongObject},
	{plan.ErrUpdateForTableNotSupported, mysql.ERNonUpdateableTable},
	{sql.ErrIndexNotFound, erKeyDoesNotExist},
	{sql.ErrNoFullTextIndexFound, erFTMatchingKeyNotFound},

	// Objects that already exist, DDL.
	{sql.ErrTableAlreadyExists, mysql.ERTableExists},
	{sql.ErrExistingView, mysql.ERTableExists},
	{sql.ErrDatabaseExists, mysql.ERDbCreateExists},
	{sql.ErrDatabaseSchemaExists, mysql.ERDbCreateExists},
	{sql.ErrDuplicateColumn, mysql.ERDupFieldName},
	{sql.ErrColumnExists, mysql.ERDupFieldName},
	{sql.ErrDuplicateKey, mysql.ERDupKeyName},
	{sql.ErrStoredProcedureAlreadyExists, erSPAlreadyExists},
	{sql.ErrEventAlreadyExists, erEventAlreadyExists},
	{sql.ErrCantDropFieldOrKey, mysql.ERCantDropFieldOrKey},
	{sql.ErrForeignKeyNotFound, mysql.ERCantDropFieldOrKey},
	{plan.ErrIndexNotFound, mysql.ERCantDropFieldOrKey},
	{sql.ErrMultiplePrimaryKeysDefined, mysql.ERMultiplePriKey},
	{sql.ErrWrongAutoKey, mysql.ERWrongAutoKey},
	{sql.ErrInvalidAutoIncCols, mysql.ERWrongAutoKey},
	{sql.ErrKeyColumnDoesNotExist, mysql.ERKeyColumnDoesNotExist},
	{planbuilder.ErrPrimaryKeyOnNullField, mysql.ERPrimaryCantHaveNull},
	{sql.ErrTooManyKeyParts, mysql.ERTooManyKeyParts},
	{sql.ErrKeyTooLong, mysql.ERTooLongKey},
	{sql.ErrInvalidBlobTextKey, mysql.ERBlobKeyWithoutLength},
	{sql.ErrInvalidIndexPrefix, mysql.ERWrongSubKey},
	{sql.ErrInvalidIdentifier, mysql.ERTooLongIdent},
	{types.ErrLengthTooLarge, mysql.ERTooBigFieldLength},
	{function.ErrTooHighPrecision, erTooBigPrecision},
	{sql.ErrInvalidColumnDefaultValue, mysql.ERInvalidDefault},
	{sql.ErrIncompatibleDefaultType, mysql.ERInvalidDefault},
	{sql.ErrInvalidOnUpdate, mysql.ERInvalidOnUpdate},
	{sql.ErrGeneratedColumnWithDefault, mysql.ERWrongUsage},
	{sql.ErrVirtualColumnPrimaryKey, erUnsupportedOnGenerated},
	{sql.ErrJSONIndex, erJSONUsedAsKey},
	{sql.ErrCheckConstraintInvalidatedByColumnAlter, erDependentByCheck},
	{sql.ErrForeignKeyColumnTypeMismatch, erFKIncompatibleColumns},
	{sql.ErrForeignKeyColumnCountMismatch, mysql.ERWrongFKDef},
	{sql.ErrForeignKeyMissingReferenceIndex, erFKNoIndexParent},
	{sql.ErrForeignKeyDuplicateName, erFKDupName},
	{sql.ErrForeignKeyDropTable, erFKCannotDropParent},
	{sql.ErrForeignKeyDropIndex, erDropIndexFK},
	{sql.ErrCantDropIndex, erDropIndexFK},
	{sql.ErrForeignKeyDropColumn, erFKColumnCannotDrop},
	{sql.ErrForeignKeySetNullNonNullable, erFKColumnNotNull},
	{sql.ErrForeignKeyTypeChangeSetNull, erFKColumnNotNull},
	{sql.ErrForeignKeyTypeChange, erFKColumnCannotChange},
	{sql.ErrForeignKeyDepthLimit, erFKDepthExceeded},
	{sql.ErrTruncateReferencedFromForeignKey, erTruncateIllegalFK},
	{sql.ErrPartitionNotFound, erNoPartitionForValue},

	// Stored programs and triggers.
	{sql.ErrTriggerTableInUse, erCantUpdateUsedTable},
	{sql.ErrInvalidUseOfOldNew, erTrgNoSuchRowInTrg},
	{sql.ErrInvalidUpdateOfOldRow, erTrgCantChangeRow},
	{sql.ErrInvalidUpdateInAfterTrigger, erTrgCantChangeRow},
	{sql.ErrDeclareConditionNotFound, erSPCondMismatch},
	{sql.ErrDeclareConditionDuplicate, erSPDupCond},
	{sql.ErrDeclareVariableDuplicate, erSPDupVar},
	{sql.ErrDeclareCursorDuplicate, erSPDupCurs},
	{sql.ErrDeclareHandlerDuplicate, erSPDupHandler},
	{sql.ErrLoopRedefinition, erSPLabelRedefine},
	{sql.ErrLoopLabelNotFound, erSPLabelMismatch},
	{sql.ErrCursorNotFound, erSPCursorMismatch},
	{sql.ErrCursorAlreadyOpen, erSPCursorAlreadyOpen},
	{sql.ErrCursorNotOpen, erSPCursorNotOpen},
	{sql.ErrFetchIncorrectCount, erSPWrongNoOfFetchArgs},
	{sql.ErrRecursiveCTEMissingUnion, erCTERecursiveNeedsUnion},
	{sql.ErrCteRecursionLimitExceeded, erCTEMaxRecursionDepth},

	// System variables, character sets.
	{sql.ErrUnknownSystemVariable, mysql.ERUnknownSystemVariable},
	{sql.ErrInvalidSystemVariableValue, mysql.ERWrongValueForVar},
	{sql.ErrSystemVariableReadOnly, mysql.ERIncorrectGlobalLocalVar},
	{sql.ErrSystemVariableSessionOnly, mysql.ERLocalVariable},
	{sql.ErrSystemVariableGlobalOnly, mysql.ERGlobalVariable},
	{sql.ErrCharSetUnknown, mysql.ERUnknownCharacterSet},
	{sql.ErrCollationUnknown, mysql.ERUnknownCollation},
	{sql.ErrCollationInvalidForCharSet, mysql.ERCollationCharsetMismatch},
	{sql.ErrCollationIllegalMix, mysql.ERCantAggregate2Collations},

	// Transactions, read-only, files.
	{sql.ErrReadOnlyTransaction, erReadOnlyTransaction},
	{sql.ErrLockDeadlock, mysql.ERLockDeadlock},
	{sql.ErrReadOnly, mysql.EROptionPreventsStatement},
	{sql.ErrSecureFilePriv, mysql.EROptionPreventsStatement},
	{sql.ErrFileExists, mysql.ERFileExists},
	{sql.ErrUnexpectedSeparator, erWrongFieldTerminators},

	// Privileges and accounts.
	{sql.ErrDatabaseAccessDeniedForUser, mysql.ERDBAccessDenied},
	{sql.ErrTableAccessDeniedForUser, erTableAccessDenied},
	{sql.ErrPrivilegeCheckFailed, erTableAccessDenied},
	{sql.ErrGrantUserDoesNotExist, erCantCreateUserWithGr},
	{sql.ErrRevokeUserDoesNotExist, erNonExistingGrant},
	{sql.ErrShowGrantsUserDoesNotExist, erNonExistingGrant},
	{sql.ErrGrantRevokeRoleDoesNotExist, erUnknownAuthID},
	{sql.ErrGrantRevokeIllegalPrivilege, mysql.ERIllegalGrantForTable},
	{sql.ErrGrantRevokeIllegalPrivilegeWithMessage, mysql.ERIllegalGrantForTable},
	{sql.ErrUserCreationFailure, erCannotUser},
	{sql.ErrUserAlterFailure, erCannotUser},
	{sql.ErrUserDeletionFailure, erCannotUser},
	{sql.ErrRoleCreationFailure, erCannotUser},
	{sql.ErrRoleDeletionFailure, erCannotUser},
	{sql.ErrUserNameTooLong, erWrongStringLength},
	{sql.ErrUserHostTooLong, erWrongStringLength},
}

// messageCodes maps messages of errors without an exported kind, in the
// kinds' format syntax.
var messageCodes = []struct {
	format string
	code   int
}{
	// types.errBeyondMaxBit: a BIT value too wide for the column.
	{"%v is beyond the maximum value that can be held by %v bits", mysql.ERDataTooLong},
}

// MySQL's texts for errors whose GMS text says nothing to a client.
const (
	msgQueryInterrupted = "Query execution was interrupted"
	msgQueryTimeout     = "Query execution was interrupted, maximum statement execution time exceeded"
	msgLockWaitTimeout  = "Lock wait timeout exceeded; try restarting transaction"
	msgDeadlock         = "Deadlock found when trying to get lock; try restarting transaction"
	msgUnknownError     = "unknown error"
)

// MySQLError returns the MySQL error a client should receive for err: the
// MySQL error number, SQLSTATE and message. It recognises GMS error kinds
// (also inside wrappers such as sql.WrappedInsertError), vitess syntax
// errors, context cancellation and Quarry's storage errors, and errors GMS
// already flattened into "unknown error" (1105) by sql.CastSQLError, whose
// kind it recovers from the message. A *mysql.SQLError with a number other
// than 1105 keeps its number and message; its SQLSTATE is corrected if it
// was left HY000 where MySQL uses another. Anything else is 1105 HY000
// with err's message. MySQLError(nil) is nil; it never panics.
func MySQLError(err error) (out *mysql.SQLError) {
	if err == nil {
		return nil
	}
	defer func() {
		if recover() != nil {
			out = &mysql.SQLError{Num: mysql.ERUnknownError, State: mysql.SSUnknownSQLState, Message: msgUnknownError}
		}
	}()
	msg := messageOf(err)
	var found *mysql.SQLError
	walkErrors(err, func(e error) bool {
		found = classify(e, msg)
		return found != nil
	})
	if found != nil {
		return found
	}
	if r := fromMessage(msg); r != nil {
		return r
	}
	if se, ok := err.(*mysql.SQLError); ok && se != nil && se.Num == mysql.ERUnknownError && se.State == mysql.SSUnknownSQLState {
		return se
	}
	if m := errnoRE.FindStringSubmatch(msg); m != nil {
		msg = m[1]
	}
	return &mysql.SQLError{Num: mysql.ERUnknownError, State: mysql.SSUnknownSQLState, Message: msg}
}

// clientError is MySQLError as an error, nil for nil.
func clientError(err error) error {
	if err == nil {
		return nil
	}
	return MySQLError(err)
}

// messageOf is the message a client sees for err: a *mysql.SQLError's
// Message (its Error() adds "(errno N) (sqlstate S)"), else err.Error().
func messageOf(err error) string {
	if se, ok := err.(*mysql.SQLError); ok && se != nil {
		return se.Message
	}
	return errorText(err)
}

// errorText is err.Error(), or "unknown error" if that panics (a typed
// nil, for example).
func errorText(err error) (s string) {
	defer func() {
		if recover() != nil {
			s = msgUnknownError
		}
	}()
	return err.Error()
}

// walkErrors calls visit for err and the errors it wraps, depth first,
// until visit returns true. It follows Unwrap (single and multiple),
// Cause (go-errors, pkg/errors) and GMS's wrapper structs.
func walkErrors(err error, visit func(error) bool) {
	const maxNodes = 64
	stack := []error{err}
	for n := 0; len(stack) > 0 && n < maxNodes; n++ {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e == nil {
			continue
		}
		if visit(e) {
			return
		}
		next := unwrapAll(e)
		for i := len(next) - 1; i >= 0; i-- {
			stack = append(stack, next[i])
		}
	}
}

// unwrapAll returns the errors e wraps directly.
func unwrapAll(e error) (out []error) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	switch w := e.(type) {
	case sql.WrappedInsertError:
		return []error{w.Cause}
	case *sql.WrappedInsertError:
		if w != nil {
			return []error{w.Cause}
		}
		return nil
	case sql.WrappedTypeConversionError:
		return []error{w.Err}
	case *sql.WrappedTypeConversionError:
		if w != nil {
			return []error{w.Err}
		}
		return nil
	case interface{ Unwrap() []error }:
		return w.Unwrap()
	case interface{ Unwrap() error }:
		return []error{w.Unwrap()}
	case interface{ Cause() error }:
		return []error{w.Cause()}
	}
	return nil
}

// classify maps one error of a chain whose outermost message is msg, or
// returns nil to go on with the errors it wraps.
func classify(e error, msg string) *mysql.SQLError {
	switch x := e.(type) {
	case *mysql.SQLError:
		if x == nil {
			return nil
		}
		if x.Num <= 0 || x.Num > 0xffff || x.Num == mysql.ERUnknownError {
			// Flattened by sql.CastSQLError or a generic error.
			return fromMessage(x.Message)
		}
		r := withState(x)
		if m := rewriteMessage(r.Num, r.Message); m != r.Message {
			r = &mysql.SQLError{Num: r.Num, State: r.State, Message: m, Query: r.Query}
		}
		return r
	case vterrors.SyntaxError:
		return newError(mysql.ERParseError, msg)
	case *vterrors.SyntaxError:
		return newError(mysql.ERParseError, msg)
	case sql.UniqueKeyError:
		return newError(mysql.ERDupEntry, dupEntryText(x.IsPK, errorText(x)))
	}
	switch e {
	case context.Canceled:
		return newError(mysql.ERQueryInterrupted, msgQueryInterrupted)
	case context.DeadlineExceeded:
		return newError(mysql.ERQueryTimeout, msgQueryTimeout)
	case lock.ErrLockWaitTimeout:
		return newError(mysql.ERLockWaitTimeout, msgLockWaitTimeout)
	case lock.ErrDeadlock:
		return newError(mysql.ERLockDeadlock, msgDeadlock)
	case storage.ErrCommitFailed:
		return commitFailedError(msg)
	}
	if ge, ok := e.(*goerrors.Error); !ok || ge == nil {
		return nil
	}
	for _, kc := range kindCodes {
		if kc.kind.Is(e) {
			return newError(kc.code, rewriteMessage(kc.code, msg))
		}
	}
	return nil
}

// commitFailedError is MySQL's error for a commit the store could not
// make; msg holds storage.ErrCommitFailed's text and its cause.
func commitFailedError(msg string) *mysql.SQLError {
	cause := msg
	if _, after, ok := strings.Cut(msg, storage.ErrCommitFailed.Error()); ok {
		cause = strings.TrimPrefix(after, ": ")
	}
	return newError(erErrorDuringCommit, "Got error '"+cause+"' during COMMIT")
}

// newError builds the error with MySQL's SQLSTATE for code.
func newError(code int, msg string) *mysql.SQLError {
	return &mysql.SQLError{Num: code, State: SQLState(code), Message: msg}
}

// withState returns se with MySQL's SQLSTATE for its number if se has
// HY000 (or no valid state) where MySQL uses another.
func withState(se *mysql.SQLError) *mysql.SQLError {
	if validState(se.State) && se.State != mysql.SSUnknownSQLState {
		return se
	}
	if want := SQLState(se.Num); want != se.State {
		return &mysql.SQLError{Num: se.Num, State: want, Message: se.Message, Query: se.Query}
	}
	return se
}

// validState reports whether s can go into an error packet (vitess panics
// on a SQLSTATE that is not 5 bytes).
func validState(s string) bool { return len(s) == 5 }

var (
	// vitess's "(errno N) (sqlstate S)" suffix of a *mysql.SQLError's
	// Error(), left in the message when a wrapped SQLError was flattened.
	errnoRE = regexp.MustCompile(`(?s)^(.*?) ?\(errno (\d+)\) \(sqlstate ([0-9A-Za-z]{5})\)(?: during query: .*)?$`)
	// A vitess parser error: "<what> at position N [near 'x']".
	parseErrorRE = regexp.MustCompile(`(?s)^(.*) at position \d+(?: near '.*')?$`)
	// GMS's duplicate key errors (sql.NewUniqueKeyErr).
	dupKeyRE = regexp.MustCompile(`(?s)duplicate (primary|unique) key given: (.*)$`)
)

// fromMessage recovers the error from its message alone (GMS flattened
// it), or returns nil.
func fromMessage(msg string) *mysql.SQLError {
	if m := errnoRE.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[2]); err == nil && n > 0 && n != mysql.ERUnknownError && n < 65536 {
			return withState(&mysql.SQLError{Num: n, State: m[3], Message: m[1]})
		}
		msg = m[1]
	}
	if m := dupKeyRE.FindStringSubmatch(msg); m != nil {
		return newError(mysql.ERDupEntry, dupEntryText(m[1] == "primary", m[2]))
	}
	if m := parseErrorRE.FindStringSubmatch(msg); m != nil {
		if strings.HasPrefix(m[1], "Every derived table must have its own alias") {
			return newError(mysql.ERDerivedMustHaveAlias, msg)
		}
		return newError(mysql.ERParseError, msg)
	}
	switch {
	case msg == context.Canceled.Error() || strings.HasSuffix(msg, ": "+context.Canceled.Error()):
		return newError(mysql.ERQueryInterrupted, msgQueryInterrupted)
	case msg == context.DeadlineExceeded.Error() || strings.HasSuffix(msg, ": "+context.DeadlineExceeded.Error()):
		return newError(mysql.ERQueryTimeout, msgQueryTimeout)
	case msg == lock.ErrLockWaitTimeout.Error():
		return newError(mysql.ERLockWaitTimeout, msgLockWaitTimeout)
	case msg == lock.ErrDeadlock.Error():
		return newError(mysql.ERLockDeadlock, msgDeadlock)
	case strings.HasPrefix(msg, storage.ErrCommitFailed.Error()):
		return commitFailedError(msg)
	}
	for _, m := range messageMatchers() {
		if m.re.MatchString(msg) {
			return newError(m.code, rewriteMessage(m.code, msg))
		}
	}
	return nil
}

// rewriteMessage turns GMS's text into MySQL's where clients parse it:
// only duplicate-entry errors (Sequelize and Prisma read the value and
// key name out of "Duplicate entry 'v' for key 'k'").
func rewriteMessage(code int, msg string) string {
	if code == mysql.ERDupEntry {
		if m := dupKeyRE.FindStringSubmatch(msg); m != nil {
			return dupEntryText(m[1] == "primary", m[2])
		}
	}
	return msg
}

// dupEntryText is MySQL's duplicate-entry message for GMS's key string
// ("[v1,v2]"). GMS does not say which unique index was violated, so a
// secondary key is reported as 'UNIQUE'.
func dupEntryText(isPK bool, key string) string {
	key = strings.TrimSpace(key)
	if strings.HasPrefix(key, "[") && strings.HasSuffix(key, "]") {
		key = key[1 : len(key)-1]
	}
	name := "UNIQUE"
	if isPK {
		name = "PRIMARY"
	}
	return "Duplicate entry '" + key + "' for key '" + name + "'"
}

type messageMatcher struct {
	re      *regexp.Regexp
	code    int
	literal int // length of the literal text; more specific first
}

var (
	matchersOnce sync.Once
	matchers     []messageMatcher
)

// messageMatchers compiles, once, a matcher for the message of every kind
// in kindCodes and messageCodes, most specific first.
func messageMatchers() []messageMatcher {
	matchersOnce.Do(func() {
		add := func(format string, code int) {
			re, literal := formatRegexp(format)
			// A format that is all verbs ("%s") would match anything.
			if re != nil && literal >= 8 {
				matchers = append(matchers, messageMatcher{re: re, code: code, literal: literal})
			}
		}
		for _, kc := range kindCodes {
			add(kc.kind.Message, kc.code)
		}
		for _, mc := range messageCodes {
			add(mc.format, mc.code)
		}
		sort.SliceStable(matchers, func(i, j int) bool { return matchers[i].literal > matchers[j].literal })
	})
	return matchers
}

// verbRE matches one fmt verb with flags, width and precision.
var verbRE = regexp.MustCompile(`%[-+# 0]*(?:\d+|\*)?(?:\.(?:\d+|\*)?)?[a-zA-Z%]`)

// formatRegexp turns a go-errors kind format into an anchored regexp
// matching its messages, also when the kind wrapped a cause (Kind.Wrap
// appends ": <cause>"). It returns the number of literal bytes.
func formatRegexp(format string) (*regexp.Regexp, int) {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	literal := 0
	last := 0
	for _, loc := range verbRE.FindAllStringIndex(format, -1) {
		lit := format[last:loc[0]]
		b.WriteString(regexp.QuoteMeta(lit))
		literal += len(lit)
		if format[loc[1]-1] == '%' {
			b.WriteString("%")
			literal++
		} else {
			b.WriteString(`.*`)
		}
		last = loc[1]
	}
	lit := format[last:]
	b.WriteString(regexp.QuoteMeta(lit))
	literal += len(lit)
	b.WriteString(`(?:: .*)?$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, 0
	}
	return re, literal
}
