package sqlserver

import (
	"errors"
	"testing"
)

func TestIsLoopbackListen(t *testing.T) {
	tests := []struct {
		listen   string
		loopback bool
		wantErr  bool
	}{
		{listen: "127.0.0.1:3306", loopback: true},
		{listen: "127.0.0.1:0", loopback: true},
		{listen: "127.255.1.2:3306", loopback: true},
		{listen: "[::1]:3306", loopback: true},
		{listen: "[::1%lo]:3306", loopback: true},
		{listen: "[::ffff:127.0.0.1]:3306", loopback: true},
		{listen: "localhost:3306", loopback: true},
		{listen: "LocalHost:3306", loopback: true},
		{listen: "0.0.0.0:3306", loopback: false},
		{listen: ":3306", loopback: false},
		{listen: "[::]:3306", loopback: false},
		{listen: "10.1.2.3:3306", loopback: false},
		{listen: "128.0.0.1:3306", loopback: false},
		{listen: "[::2]:3306", loopback: false},
		{listen: "[::ffff:10.0.0.1]:3306", loopback: false},
		{listen: "db.example.com:3306", loopback: false},
		{listen: "localhost.example.com:3306", loopback: false},
		{listen: "127.0.0.1", wantErr: true},
		{listen: "127.0.0.1:", wantErr: true},
		{listen: "", wantErr: true},
		{listen: "::1:3306", wantErr: true},
	}
	for _, tt := range tests {
		got, err := IsLoopbackListen(tt.listen)
		if (err != nil) != tt.wantErr {
			t.Errorf("IsLoopbackListen(%q) error = %v, wantErr %v", tt.listen, err, tt.wantErr)
			continue
		}
		if got != tt.loopback {
			t.Errorf("IsLoopbackListen(%q) = %v, want %v", tt.listen, got, tt.loopback)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name         string
		cfg          Config
		wantErr      bool
		wantRootPass bool // error must be ErrRootPasswordRequired
	}{
		{name: "defaults", cfg: Config{}},
		{name: "loopback without password", cfg: Config{Listen: "127.0.0.1:3306"}},
		{name: "localhost without password", cfg: Config{Listen: "localhost:0"}},
		{name: "ipv6 loopback without password", cfg: Config{Listen: "[::1]:3306"}},
		{name: "all interfaces without password", cfg: Config{Listen: "0.0.0.0:3306"}, wantErr: true, wantRootPass: true},
		{name: "empty host without password", cfg: Config{Listen: ":3306"}, wantErr: true, wantRootPass: true},
		{name: "LAN address without password", cfg: Config{Listen: "192.168.1.10:3306"}, wantErr: true, wantRootPass: true},
		{name: "host name without password", cfg: Config{Listen: "db.internal:3306"}, wantErr: true, wantRootPass: true},
		{name: "all interfaces with password", cfg: Config{Listen: "0.0.0.0:3306", RootPassword: "pw"}},
		{name: "missing port", cfg: Config{Listen: "127.0.0.1"}, wantErr: true},
		{name: "too many connections", cfg: Config{MaxConnections: 100001}, wantErr: true},
		{name: "negative timeout", cfg: Config{ConnReadTimeout: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantRootPass && !errors.Is(err, ErrRootPasswordRequired) {
				t.Fatalf("Validate() = %v, want ErrRootPasswordRequired", err)
			}
		})
	}
}

func TestNativePasswordHash(t *testing.T) {
	// Known value: SELECT PASSWORD('password') on MySQL 5.7.
	if got, want := NativePasswordHash("password"), "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"; got != want {
		t.Fatalf("NativePasswordHash = %s, want %s", got, want)
	}
}
