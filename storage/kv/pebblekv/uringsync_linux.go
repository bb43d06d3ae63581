package pebblekv

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// uringSyncer runs fsync and fdatasync through a one-entry io_uring: the
// kernel's io-wq worker blocks in the sync, and the calling goroutine
// parks on an eventfd in the netpoller, so its P runs other goroutines
// meanwhile (see newWALSyncFS for why that matters).
//
// Invariants:
//   - at most one request is in flight (mu), so a completion always
//     belongs to the current request;
//   - sync returns only after the kernel reported the request's result: a
//     request is never abandoned while the kernel may still run it.
type uringSyncer struct {
	mu     sync.Mutex
	ringFd int
	event  *os.File // eventfd the ring signals on completion; read through the netpoller
	rings  []byte   // the SQ and CQ rings (one mapping: IORING_FEAT_SINGLE_MMAP)
	sqes   []byte

	sqHead, sqTail *uint32
	sqMask         *uint32
	sqArray        *uint32
	cqHead, cqTail *uint32
	cqMask         *uint32
	cqes           unsafe.Pointer

	syncs     atomic.Int64 // requests the ring completed
	fallbacks atomic.Int64 // requests it refused, made as system calls
}

// Linux io_uring ABI (include/uapi/linux/io_uring.h).
const (
	ioringOffSQRing       = 0
	ioringOffSQEs         = 0x10000000
	ioringFeatSingleMmap  = 1 << 0
	ioringOpFsync         = 3
	ioringFsyncDatasync   = 1 << 0
	ioringRegisterEventfd = 4
	ioringEnterGetEvents  = 1 << 0
	sqeSize               = 64
	cqeSize               = 16
	sqeOffOpcode          = 0
	sqeOffFd              = 4
	sqeOffFsyncFlags      = 28
	cqeOffRes             = 8
)

type sqringOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

type cqringOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFd uint32
	resv                                                                   [3]uint32
	sqOff                                                                  sqringOffsets
	cqOff                                                                  cqringOffsets
}

// newUringSyncer sets up a one-entry ring with an eventfd, or returns an
// error wrapping errNoUring where io_uring is not allowed (old kernels,
// seccomp profiles, io_uring_disabled).
func newUringSyncer() (_ *uringSyncer, err error) {
	var p uringParams
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("%w: io_uring_setup: %w", errNoUring, errno)
	}
	u := &uringSyncer{ringFd: int(fd)}
	defer func() {
		if err != nil {
			u.close()
		}
	}()
	if p.features&ioringFeatSingleMmap == 0 {
		return nil, fmt.Errorf("%w: kernel lacks IORING_FEAT_SINGLE_MMAP", errNoUring)
	}
	size := max(p.sqOff.array+p.sqEntries*4, p.cqOff.cqes+p.cqEntries*cqeSize)
	if u.rings, err = unix.Mmap(u.ringFd, ioringOffSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return nil, fmt.Errorf("%w: mmap rings: %w", errNoUring, err)
	}
	if u.sqes, err = unix.Mmap(u.ringFd, ioringOffSQEs, int(p.sqEntries*sqeSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return nil, fmt.Errorf("%w: mmap entries: %w", errNoUring, err)
	}
	at := func(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&u.rings[off])) }
	u.sqHead, u.sqTail = at(p.sqOff.head), at(p.sqOff.tail)
	u.sqMask, u.sqArray = at(p.sqOff.ringMask), at(p.sqOff.array)
	u.cqHead, u.cqTail, u.cqMask = at(p.cqOff.head), at(p.cqOff.tail), at(p.cqOff.ringMask)
	u.cqes = unsafe.Pointer(&u.rings[p.cqOff.cqes])

	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("%w: eventfd: %w", errNoUring, err)
	}
	u.event = os.NewFile(uintptr(efd), "uring-eventfd")
	efd32 := int32(efd)
	if _, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(u.ringFd), ioringRegisterEventfd, uintptr(unsafe.Pointer(&efd32)), 1, 0, 0); errno != 0 {
		return nil, fmt.Errorf("%w: register eventfd: %w", errNoUring, errno)
	}
	// One round trip proves the kernel runs requests (a sandbox may allow
	// setup but not submission): syncing the ring's own descriptor fails
	// with EINVAL from fsync itself.
	if err := u.sync(u.ringFd, true); u.syncs.Load() != 1 || !errors.Is(err, unix.EINVAL) {
		return nil, fmt.Errorf("%w: probe: %v", errNoUring, err)
	}
	u.syncs.Store(0)
	return u, nil
}

// sync runs fdatasync(fd), or fsync(fd) if !dataOnly, on the ring and
// waits for its result. If the ring refuses the request, it makes the
// system call itself.
func (u *uringSyncer) sync(fd int, dataOnly bool) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	tail := atomic.LoadUint32(u.sqTail)
	idx := tail & *u.sqMask
	sqe := u.sqes[idx*sqeSize : (idx+1)*sqeSize]
	clear(sqe)
	sqe[sqeOffOpcode] = ioringOpFsync
	*(*int32)(unsafe.Pointer(&sqe[sqeOffFd])) = int32(fd)
	if dataOnly {
		*(*uint32)(unsafe.Pointer(&sqe[sqeOffFsyncFlags])) = ioringFsyncDatasync
	}
	*(*uint32)(unsafe.Add(unsafe.Pointer(u.sqArray), idx*4)) = idx
	atomic.StoreUint32(u.sqTail, tail+1) // publishes the entry
	for {
		_, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(u.ringFd), 1, 0, 0, 0, 0)
		// The kernel's head says whether it took the entry, whatever the
		// call returned.
		if atomic.LoadUint32(u.sqHead) != tail {
			break
		}
		if errno == unix.EINTR {
			continue
		}
		// Not taken: withdraw the entry and make the system call.
		atomic.StoreUint32(u.sqTail, tail)
		u.fallbacks.Add(1)
		if dataOnly {
			return unix.Fdatasync(fd)
		}
		return unix.Fsync(fd)
	}
	var buf [8]byte
	for {
		head := atomic.LoadUint32(u.cqHead)
		if head != atomic.LoadUint32(u.cqTail) { // the kernel wrote the entry before the tail
			cqe := unsafe.Add(u.cqes, uintptr(head&*u.cqMask)*cqeSize)
			res := *(*int32)(unsafe.Add(cqe, cqeOffRes))
			atomic.StoreUint32(u.cqHead, head+1)
			u.syncs.Add(1)
			if res < 0 {
				return syscall.Errno(-res)
			}
			return nil
		}
		// A count left from an earlier completion only costs one more
		// look at the queue.
		if _, err := u.event.Read(buf[:]); err != nil {
			// The eventfd failed: wait in the kernel instead.
			if _, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(u.ringFd), 0, 1, ioringEnterGetEvents, 0, 0); errno != 0 && errno != unix.EINTR {
				return fmt.Errorf("pebblekv: wait for an io_uring sync: %w", errno)
			}
		}
	}
}

// close releases the ring. No sync may be running or follow. A nil
// syncer is allowed.
func (u *uringSyncer) close() {
	if u == nil {
		return
	}
	if u.event != nil {
		_ = u.event.Close()
	}
	if u.sqes != nil {
		_ = unix.Munmap(u.sqes)
	}
	if u.rings != nil {
		_ = unix.Munmap(u.rings)
	}
	if u.ringFd > 0 {
		_ = unix.Close(u.ringFd)
	}
}
