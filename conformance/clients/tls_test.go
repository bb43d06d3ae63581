package clients

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	gmssql "github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/sqlserver"
	"github.com/quarrydb/quarry/storage"
)

// TLS: the clients connect with TLS required (no verification), with the
// server verified against Quarry's generated certificate as CA (and fail
// with another CA), and under require_secure_transport (plain refused with
// 3159, TLS accepted). Each runs against its own Quarry server with TLS on,
// set up as `quarry serve` does by default: a self-signed certificate
// generated in DATA_DIR/tls on first start (sqlserver.LoadTLS).

// tlsServer is an in-process Quarry server with TLS.
type tlsServer struct {
	Addr string
	// CA is Quarry's generated certificate (DATA_DIR/tls/server-cert.pem),
	// the CA a client verifying the server uses.
	CA string
	// WrongCA is the generated certificate of another Quarry data
	// directory: same subject and names, another key.
	WrongCA string
}

// startTLSServer starts a Quarry server on 127.0.0.1:0 with TLS from a
// generated certificate. require_secure_transport is a process-wide global
// (every in-process server shares it): it is switched off again when the
// test ends, whatever the client program left behind.
func startTLSServer(t *testing.T) *tlsServer {
	t.Helper()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(tlsTestWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := storage.Open(storage.Options{Dir: dir, Logger: log})
	if err != nil {
		t.Fatalf("open storage: %v", err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close storage: %v", err)
		}
	})
	tlsCfg, files, err := sqlserver.LoadTLS("", "", dir, log)
	if err != nil {
		t.Fatalf("TLS: %v", err)
	}
	ca := filepath.Join(dir, "tls", "server-cert.pem")
	if !files.Generated || files.CertFile != ca {
		t.Fatalf("TLS files = %+v, want a certificate generated at %s", files, ca)
	}
	checkGeneratedCert(t, ca)
	_, other, err := sqlserver.LoadTLS("", "", t.TempDir(), log)
	if err != nil {
		t.Fatalf("second TLS certificate: %v", err)
	}
	eng, err := sqlserver.NewEngine(store, sqlserver.EngineOptions{Logger: log})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	t.Cleanup(func() {
		if err := sqlserver.CloseEngine(eng); err != nil {
			t.Errorf("close engine: %v", err)
		}
	})
	srv, err := sqlserver.New(store, eng, sqlserver.Config{Listen: "127.0.0.1:0", TLS: tlsCfg}, log)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	t.Cleanup(func() {
		if err := gmssql.SystemVariables.AssignValues(map[string]any{"require_secure_transport": int8(0)}); err != nil {
			t.Errorf("reset require_secure_transport: %v", err)
		}
	})
	return &tlsServer{Addr: srv.Addr().String(), CA: ca, WrongCA: other.CertFile}
}

// checkGeneratedCert makes sure the certificate names 127.0.0.1, the host
// the programs connect to and verify: both clients check the server's name
// when they verify its certificate.
func checkGeneratedCert(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, ip := range cert.IPAddresses {
		if ip.Equal(net.IPv4(127, 0, 0, 1)) {
			return
		}
	}
	t.Fatalf("%s: SANs %v %v lack 127.0.0.1", path, cert.DNSNames, cert.IPAddresses)
}

func (s *tlsServer) env() []string {
	return []string{"QUARRY_TLS_CA=" + s.CA, "QUARRY_TLS_WRONG_CA=" + s.WrongCA}
}

type tlsTestWriter struct{ t *testing.T }

func (w tlsTestWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// TestCLITLS: the mariadb client with --ssl, --ssl-ca with
// --ssl-verify-server-cert, and --skip-ssl under require_secure_transport.
func TestCLITLS(t *testing.T) {
	requireTool(t, "mariadb-client", "mariadb", "mysql")
	requireTool(t, "bash", "bash")
	srv := startTLSServer(t)
	runProgramAt(t, srv.Addr, program{client: "cli-tls", argv: []string{"bash", "cli/tls.sh"}, env: srv.env(), timeout: 60 * time.Second})
}

// TestJDBCTLS: MariaDB Connector/J with useSsl=true&trustServerCertificate,
// useSsl=true&serverSslCert=<CA>, and a plain connection under
// require_secure_transport.
func TestJDBCTLS(t *testing.T) {
	javac := requireTool(t, "a JDK (default-jdk-headless)", "javac")
	java := requireTool(t, "a JRE", "java")
	jar := mariadbJar(t)
	classes := t.TempDir()
	if out, err := exec.Command(javac, "-encoding", "UTF-8", "-d", classes, "-cp", jar, "java/JdbcTls.java").CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	srv := startTLSServer(t)
	runProgramAt(t, srv.Addr, program{client: "jdbc-tls",
		argv: []string{java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "--add-opens=java.base/java.io=ALL-UNNAMED", "-cp", classes + string(os.PathListSeparator) + jar, "JdbcTls"},
		env:  srv.env(), timeout: 60 * time.Second})
}
