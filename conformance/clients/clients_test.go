package clients

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// The non-Go client programs, each against its own Quarry server.

// TestCLI: the mariadb/mysql command-line client (SHOW commands,
// information_schema) and mysqldump with a restore into a fresh database.
func TestCLI(t *testing.T) {
	requireTool(t, "mariadb-client", "mariadb", "mysql")
	requireTool(t, "mariadb-client", "mariadb-dump", "mysqldump")
	requireTool(t, "bash", "bash")
	runProgram(t, program{client: "cli", argv: []string{"bash", "cli/run.sh"}, timeout: 90 * time.Second})
}

// python3 returns Debian's interpreter, whose dist-packages hold the
// python3-* packages setup.sh installs (a pyenv or venv python3 earlier on
// PATH would not see them). QUARRY_PYTHON overrides.
func python3(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("QUARRY_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return requireTool(t, "python3", "python3")
}

func runPython(t *testing.T, client, script string) {
	py := python3(t)
	if out, err := exec.Command(py, "-c", "import pymysql, MySQLdb, sqlalchemy, django").CombinedOutput(); err != nil {
		missing(t, fmt.Sprintf("Debian's python3-pymysql, python3-mysqldb, python3-sqlalchemy, python3-django are not installed for %s: %s", py, out))
	}
	runProgram(t, program{client: client, dir: "python", argv: []string{py, "-X", "utf8", script},
		env: []string{"PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"}, timeout: 60 * time.Second})
}

// TestPyMySQL: PyMySQL (pure Python).
func TestPyMySQL(t *testing.T) { runPython(t, "pymysql", "pymysql_app.py") }

// TestMySQLClient: mysqlclient (MySQLdb, over libmariadb).
func TestMySQLClient(t *testing.T) { runPython(t, "mysqlclient", "mysqlclient_app.py") }

// TestSQLAlchemy: SQLAlchemy ORM, create_all and inspect() reflection.
func TestSQLAlchemy(t *testing.T) { runPython(t, "sqlalchemy", "sqlalchemy_app.py") }

// TestDjango: Django ORM, migrate --run-syncdb, inspectdb.
func TestDjango(t *testing.T) { runPython(t, "django", "django_app.py") }

func runNode(t *testing.T, client, script string) {
	node := requireTool(t, "node", "node", "nodejs")
	for _, m := range []string{"mysql2", "knex", "sequelize", "typeorm", "reflect-metadata"} {
		if _, err := os.Stat("node/node_modules/" + m + "/package.json"); err != nil {
			missing(t, "node/node_modules/"+m+" is not installed; run conformance/clients/setup.sh (npm ci)")
		}
	}
	runProgram(t, program{client: client, dir: "node", argv: []string{node, script}, timeout: 60 * time.Second})
}

// TestMySQL2: mysql2, query (text) and execute (prepared statements).
func TestMySQL2(t *testing.T) { runNode(t, "mysql2", "mysql2_app.js") }

// TestKnex: knex migrations, schema builder, query builder.
func TestKnex(t *testing.T) { runNode(t, "knex", "knex_app.js") }

// TestSequelize: Sequelize sync / sync({ alter: true }), queryInterface.
func TestSequelize(t *testing.T) { runNode(t, "sequelize", "sequelize_app.js") }

// TestTypeORM: TypeORM synchronize and its schema diff.
func TestTypeORM(t *testing.T) { runNode(t, "typeorm", "typeorm_app.js") }

// TestJDBC: MariaDB Connector/J (Debian's libmariadb-java), text and
// server-side prepared statements, DatabaseMetaData.
func TestJDBC(t *testing.T) {
	javac := requireTool(t, "a JDK (default-jdk-headless)", "javac")
	java := requireTool(t, "a JRE", "java")
	jar := mariadbJar(t)
	classes := t.TempDir()
	if out, err := exec.Command(javac, "-encoding", "UTF-8", "-d", classes, "-cp", jar, "java/JdbcApp.java").CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	runProgram(t, program{client: "jdbc", argv: []string{java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", classes + string(os.PathListSeparator) + jar, "JdbcApp"},
		timeout: 90 * time.Second})
}

// mariadbJar returns Connector/J's jar: Debian's, or QUARRY_MARIADB_JAR.
func mariadbJar(t *testing.T) string {
	t.Helper()
	jar := os.Getenv("QUARRY_MARIADB_JAR")
	if jar == "" {
		jar = "/usr/share/java/mariadb-java-client.jar"
	}
	if _, err := os.Stat(jar); err != nil {
		missing(t, jar+" not found (Debian package libmariadb-java)")
	}
	return jar
}

// TestPrisma records why Prisma is not among the clients: every prisma
// CLI command (generate, db push, db pull, migrate) first downloads its
// schema-engine binary from binaries.prisma.sh, which this environment
// (and an offline CI) cannot reach; Prisma 7's npm packages ship no engine.
func TestPrisma(t *testing.T) {
	t.Skip("not run: prisma generate/db push/migrate need the schema-engine binary from binaries.prisma.sh (no offline install)")
}
