package sqlserver

import (
	"strconv"
	"strings"
)

// stmtType is the kind of a statement, as far as metrics, Com_* status
// counters and max_execution_time care. The set is small and fixed: it is a
// Prometheus label.
type stmtType uint8

const (
	stmtOther stmtType = iota
	stmtSelect
	stmtInsert
	stmtUpdate
	stmtDelete
	stmtReplace
	stmtLoad
	stmtBegin
	stmtCommit
	stmtRollback
	stmtSet
	stmtShow
	stmtDDL
	stmtACL
	stmtCall
	stmtUse
	stmtKill
	numStmtTypes
)

var stmtTypeNames = [numStmtTypes]string{
	stmtOther:    "other",
	stmtSelect:   "select",
	stmtInsert:   "insert",
	stmtUpdate:   "update",
	stmtDelete:   "delete",
	stmtReplace:  "replace",
	stmtLoad:     "load",
	stmtBegin:    "begin",
	stmtCommit:   "commit",
	stmtRollback: "rollback",
	stmtSet:      "set",
	stmtShow:     "show",
	stmtDDL:      "ddl",
	stmtACL:      "acl",
	stmtCall:     "call",
	stmtUse:      "use",
	stmtKill:     "kill",
}

func (t stmtType) String() string { return stmtTypeNames[t] }

// comStatusVar is the Com_* status variable Quarry counts for t; GMS
// already counts Com_select, Com_insert, Com_update and Com_delete.
func (t stmtType) comStatusVar() string {
	switch t {
	case stmtBegin:
		return "Com_begin"
	case stmtCommit:
		return "Com_commit"
	case stmtRollback:
		return "Com_rollback"
	case stmtSet:
		return "Com_set_option"
	case stmtKill:
		return "Com_kill"
	}
	return ""
}

// skipSpaceAndComments returns q without leading white space and comments
// (-- and # to the end of the line, /* ... */). A MySQL executable comment
// /*!NNNNN ... */ is opened: its content counts as statement text.
func skipSpaceAndComments(q string) string {
	for {
		q = strings.TrimLeft(q, " \t\r\n\f;(")
		switch {
		case strings.HasPrefix(q, "--") && (len(q) == 2 || q[2] == ' ' || q[2] == '\t' || q[2] == '\n' || q[2] == '\r'),
			strings.HasPrefix(q, "#"):
			i := strings.IndexByte(q, '\n')
			if i < 0 {
				return ""
			}
			q = q[i+1:]
		case strings.HasPrefix(q, "/*!"):
			q = strings.TrimLeft(q[3:], "0123456789")
		case strings.HasPrefix(q, "/*"):
			i := strings.Index(q[2:], "*/")
			if i < 0 {
				return ""
			}
			q = q[2+i+2:]
		default:
			return q
		}
	}
}

// firstWord returns the leading keyword of q, lower-cased, and the rest.
// The keywords classifyStatement knows come back as constants, so that
// upper-case statements (most clients') cost no lower-cased copy.
func firstWord(q string) (string, string) {
	q = skipSpaceAndComments(q)
	i := 0
	for i < len(q) && (q[i] == '_' || q[i] >= 'a' && q[i] <= 'z' || q[i] >= 'A' && q[i] <= 'Z') {
		i++
	}
	w := q[:i]
	for _, kw := range leadingKeywords {
		if len(kw) == len(w) && strings.EqualFold(kw, w) {
			return kw, q[i:]
		}
	}
	return strings.ToLower(w), q[i:]
}

// leadingKeywords are the lower-case words classifyStatement and
// maxExecutionTimeHint compare firstWord's results with.
var leadingKeywords = [...]string{
	"select", "insert", "update", "delete", "begin", "commit", "rollback", "set",
	"start", "transaction", "with", "table", "values", "replace", "load",
	"show", "describe", "desc", "explain", "create", "alter", "drop", "rename",
	"truncate", "if", "user", "role", "grant", "revoke", "call", "use", "kill",
}

// classifyStatement returns the type of the first statement in q from its leading
// keywords; it does not parse the statement.
func classifyStatement(q string) stmtType {
	w, rest := firstWord(q)
	switch w {
	case "select", "with", "table", "values":
		return stmtSelect
	case "insert":
		return stmtInsert
	case "update":
		return stmtUpdate
	case "delete":
		return stmtDelete
	case "replace":
		return stmtReplace
	case "load":
		return stmtLoad
	case "begin", "start":
		if w == "start" {
			if w2, _ := firstWord(rest); w2 != "transaction" {
				return stmtOther // START REPLICA, START GROUP_REPLICATION
			}
		}
		return stmtBegin
	case "commit":
		return stmtCommit
	case "rollback":
		return stmtRollback
	case "set":
		return stmtSet
	case "show", "describe", "desc", "explain":
		return stmtShow
	case "create", "alter", "drop", "rename", "truncate":
		w2, rest2 := firstWord(rest)
		if w2 == "if" { // DROP USER IF EXISTS
			_, rest2 = firstWord(rest2)
			w2, _ = firstWord(rest2)
		}
		if w2 == "user" || w2 == "role" {
			return stmtACL
		}
		return stmtDDL
	case "grant", "revoke":
		return stmtACL
	case "call":
		return stmtCall
	case "use":
		return stmtUse
	case "kill":
		return stmtKill
	}
	return stmtOther
}

// maxExecutionTimeHint returns the n of a /*+ ... MAX_EXECUTION_TIME(n) ...
// */ optimizer hint placed, as MySQL requires, right after the leading
// SELECT keyword of q, in milliseconds.
func maxExecutionTimeHint(q string) (uint64, bool) {
	if !strings.Contains(q, "/*+") {
		return 0, false
	}
	w, rest := firstWord(q)
	if w != "select" {
		return 0, false
	}
	rest = strings.TrimLeft(rest, " \t\r\n")
	if !strings.HasPrefix(rest, "/*+") {
		return 0, false
	}
	end := strings.Index(rest, "*/")
	if end < 0 {
		return 0, false
	}
	hints := strings.ToUpper(rest[3:end])
	i := strings.Index(hints, "MAX_EXECUTION_TIME")
	if i < 0 {
		return 0, false
	}
	h := strings.TrimLeft(hints[i+len("MAX_EXECUTION_TIME"):], " \t\r\n")
	if !strings.HasPrefix(h, "(") {
		return 0, false
	}
	j := strings.IndexByte(h, ')')
	if j < 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(h[1:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
