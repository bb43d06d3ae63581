package sqlserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// tlsConnect opens a pool with the driver's tls parameter set to mode
// ("false", "skip-verify" or a registered config name) and pings.
func tlsConnect(t *testing.T, user, password, addr, mode string) (*sql.DB, error) {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = user, password, "tcp", addr
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, 30*time.Second, 30*time.Second
	cfg.TLSConfig = mode
	dsn := cfg.FormatDSN()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	t.Cleanup(func() { db.Close() })
	return db, nil
}

func TestGeneratedCertificateIsReused(t *testing.T) {
	dir := t.TempDir()
	cfg, files, err := LoadTLS("", "", dir, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	if !files.Generated || cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("files = %+v, min version %x", files, cfg.MinVersion)
	}
	st, err := os.Stat(files.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	first, _ := os.ReadFile(files.CertFile)
	if _, _, err := LoadTLS("", "", dir, testLogger()); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(files.CertFile)
	if !bytes.Equal(first, second) {
		t.Error("certificate regenerated on the second start")
	}
	leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key algorithm %v, want ECDSA", leaf.PublicKeyAlgorithm)
	}
	if filepath.Dir(files.CertFile) != filepath.Join(dir, "tls") {
		t.Errorf("cert in %s", files.CertFile)
	}
	if _, _, err := LoadTLS(files.CertFile, "", dir, testLogger()); err == nil {
		t.Error("a certificate without a key was accepted")
	}
}

func TestTLSConnections(t *testing.T) {
	dir := t.TempDir()
	tlsCfg, files, err := LoadTLS("", "", dir, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, dir, EngineOptions{}, Config{TLS: tlsCfg})
	t.Cleanup(func() { setGlobalNow("require_secure_transport", int8(0)) })
	root := mustConnect(t, "root", "", ts.addr)
	mustExec(t, root, "CREATE USER 'native'@'%' IDENTIFIED WITH mysql_native_password BY 'pw1'")
	mustExec(t, root, "CREATE USER 'sha'@'%' IDENTIFIED WITH caching_sha2_password BY 'pw2'")

	// VERIFY_CA: the generated certificate is the CA.
	pem, err := os.ReadFile(files.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("cannot parse the generated certificate")
	}
	if err := mysql.RegisterTLSConfig("quarry-test-ca", &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}); err != nil {
		t.Fatal(err)
	}
	// A CA that did not sign the server's certificate is rejected.
	otherPEM, _, err := selfSignedCert(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	otherPool := x509.NewCertPool()
	otherPool.AppendCertsFromPEM(otherPEM)
	if err := mysql.RegisterTLSConfig("quarry-test-wrong-ca", &tls.Config{RootCAs: otherPool, MinVersion: tls.VersionTLS12}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		user, password, mode string
		ok                   bool
	}{
		{"native", "pw1", "false", true},
		{"native", "pw1", "skip-verify", true},
		{"native", "pw1", "quarry-test-ca", true},
		{"native", "pw1", "quarry-test-wrong-ca", false},
		{"sha", "pw2", "skip-verify", true},
		{"sha", "pw2", "quarry-test-ca", true},
		{"sha", "wrong", "skip-verify", false},
		// caching_sha2_password needs a secure transport for the full
		// authentication (there is no RSA key exchange).
		{"sha", "pw2", "false", false},
	} {
		db, err := tlsConnect(t, c.user, c.password, ts.addr, c.mode)
		if (err == nil) != c.ok {
			t.Errorf("%s with tls=%s: err = %v, want ok=%v", c.user, c.mode, err, c.ok)
			continue
		}
		if err == nil {
			if got := queryString(t, db, "SELECT CURRENT_USER()"); got != c.user+"@%" {
				t.Errorf("CURRENT_USER() = %s", got)
			}
		}
	}

	// require_secure_transport: plain TCP is refused with 3159, TLS works.
	mustExec(t, root, "SET GLOBAL require_secure_transport = ON")
	_, err = tlsConnect(t, "native", "pw1", ts.addr, "false")
	wantErrno(t, "plain login with require_secure_transport", err, 3159)
	if _, err := tlsConnect(t, "native", "pw1", ts.addr, "skip-verify"); err != nil {
		t.Errorf("TLS login with require_secure_transport: %v", err)
	}
	if v := testutilCounter(ts.srv.m.failedLogins.WithLabelValues("insecure_transport")); v < 1 {
		t.Errorf("failed_logins_total{reason=insecure_transport} = %v", v)
	}
	mustExec(t, root, "SET GLOBAL require_secure_transport = OFF")
	if _, err := tlsConnect(t, "native", "pw1", ts.addr, "false"); err != nil {
		t.Errorf("plain login after require_secure_transport = OFF: %v", err)
	}
}

func TestRequireSecureTransportNeedsTLS(t *testing.T) {
	if err := (Config{Listen: "127.0.0.1:0", RequireSecureTransport: true}).Validate(); err == nil {
		t.Error("require_secure_transport without TLS accepted")
	}
	dir := t.TempDir()
	tlsCfg, _, err := LoadTLS("", "", dir, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, dir, EngineOptions{}, Config{TLS: tlsCfg, RequireSecureTransport: true})
	t.Cleanup(func() { setGlobalNow("require_secure_transport", int8(0)) })
	_, err = tlsConnect(t, "root", "", ts.addr, "false")
	wantErrno(t, "plain login", err, 3159)
	db, err := tlsConnect(t, "root", "", ts.addr, "skip-verify")
	if err != nil {
		t.Fatalf("TLS login: %v", err)
	}
	if v := queryString(t, db, "SELECT @@global.require_secure_transport"); v != "1" {
		t.Errorf("@@require_secure_transport = %s", v)
	}
}
