//go:build !linux

package pebblekv

import (
	"fmt"
	"sync/atomic"
)

// uringSyncer is Linux-only; elsewhere WAL syncs are system calls.
type uringSyncer struct{ syncs, fallbacks atomic.Int64 }

func newUringSyncer() (*uringSyncer, error) {
	return nil, fmt.Errorf("%w: not Linux", errNoUring)
}

func (u *uringSyncer) sync(fd int, dataOnly bool) error { panic("pebblekv: no io_uring") }

func (u *uringSyncer) close() {} // (nil too)
