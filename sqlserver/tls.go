package sqlserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files of the certificate Quarry generates in the data directory.
const (
	tlsDirName      = "tls"
	tlsCertFileName = "server-cert.pem"
	tlsKeyFileName  = "server-key.pem"
)

// selfSignedValidity is how long a generated certificate is valid (as
// MySQL's auto_generate_certs: ten years).
const selfSignedValidity = 10 * 365 * 24 * time.Hour

// TLSFiles are the certificate and key a TLS configuration was built from.
type TLSFiles struct {
	CertFile, KeyFile string
	// Generated is true when Quarry generated the pair in the data
	// directory (now or on an earlier start).
	Generated bool
}

// LoadTLS returns the server's TLS configuration (TLS 1.2 or later). With
// certFile and keyFile, it loads that pair. Without them it uses the
// self-signed ECDSA certificate in dataDir/tls, generating it on first
// start (and again only if it has expired), like MySQL's
// auto_generate_certs. Clients that want to verify the server (VERIFY_CA)
// use the generated server-cert.pem as their CA: it is its own issuer.
func LoadTLS(certFile, keyFile, dataDir string, log *slog.Logger) (*tls.Config, TLSFiles, error) {
	if log == nil {
		log = slog.Default()
	}
	files := TLSFiles{CertFile: certFile, KeyFile: keyFile}
	switch {
	case certFile != "" && keyFile != "":
	case certFile != "" || keyFile != "":
		return nil, files, errors.New("sqlserver: TLS needs both a certificate and a key file")
	default:
		if dataDir == "" {
			return nil, files, errors.New("sqlserver: no TLS certificate given and no data directory to generate one in")
		}
		dir := filepath.Join(dataDir, tlsDirName)
		files = TLSFiles{CertFile: filepath.Join(dir, tlsCertFileName), KeyFile: filepath.Join(dir, tlsKeyFileName), Generated: true}
		if err := ensureSelfSigned(files.CertFile, files.KeyFile, log); err != nil {
			return nil, files, err
		}
	}
	cert, err := tls.LoadX509KeyPair(files.CertFile, files.KeyFile)
	if err != nil {
		return nil, files, fmt.Errorf("sqlserver: load TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, files, nil
}

// ensureSelfSigned makes sure a valid generated pair exists at certFile and
// keyFile.
func ensureSelfSigned(certFile, keyFile string, log *slog.Logger) error {
	if cert, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err == nil && time.Now().Before(leaf.NotAfter) {
			return nil
		}
		log.Warn("generated TLS certificate has expired or is unreadable; generating a new one", "cert", certFile)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sqlserver: load generated TLS certificate: %w (delete %s and %s to generate a new pair)", err, certFile, keyFile)
	}
	certPEM, keyPEM, err := selfSignedCert(time.Now())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return fmt.Errorf("sqlserver: create TLS directory: %w", err)
	}
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	if err := writeFileAtomic(certFile, certPEM, 0o644); err != nil {
		return err
	}
	log.Info("generated a self-signed TLS certificate; clients that verify the server can use it as their CA", "cert", certFile, "key", keyFile)
	return nil
}

// selfSignedCert creates a self-signed ECDSA P-256 certificate for the
// loopback addresses, localhost and this host's name, valid from now.
func selfSignedCert(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlserver: generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("sqlserver: generate TLS serial: %w", err)
	}
	dns := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		dns = append(dns, h)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Quarry_Server_Auto_Generated_Certificate", Organization: []string{"Quarry"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              dns,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlserver: create TLS certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlserver: encode TLS key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so a crash never leaves half a file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("sqlserver: write %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("sqlserver: write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("sqlserver: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sqlserver: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sqlserver: write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("sqlserver: write %s: %w", path, err)
	}
	return nil
}
