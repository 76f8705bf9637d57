package protocol

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// FileRegion is a Fetch record set that is still in a segment file: Size bytes at Pos.
type FileRegion struct {
	File *os.File
	Pos  int64
	Size int32
}

// A Fetch response is encoded by kmsg with a 16-byte placeholder in each RecordBatches field
// whose records are attached as a FileRegion; the connection then writes the encoding in
// pieces and lets sendfile(2) move each region from the page cache to the socket, so record
// bytes are neither decoded, re-encoded nor copied through user space (Kafka's FileRecords /
// TransportLayer.transferFrom). kmsg remains the only codec: the placeholder and its length
// prefix are the only bytes rewritten.
const placeholderLen = 16

type attachedRegion struct {
	marker [placeholderLen]byte
	region FileRegion
}

var (
	placeholderPrefix [placeholderLen - 8]byte // random per process: cannot collide with real data by design
	placeholderSeq    atomic.Uint64
)

func init() {
	if _, err := rand.Read(placeholderPrefix[:]); err != nil {
		panic(fmt.Sprintf("protocol: no randomness for fetch placeholders: %v", err))
	}
}

// AttachRegion records r to be sent in place of the returned placeholder, which the caller puts
// into a FetchResponse partition's RecordBatches.
func (rc *RequestContext) AttachRegion(r FileRegion) []byte {
	var a attachedRegion
	copy(a.marker[:], placeholderPrefix[:])
	binary.BigEndian.PutUint64(a.marker[placeholderLen-8:], placeholderSeq.Add(1))
	a.region = r
	rc.regions = append(rc.regions, a)
	return a.marker[:]
}

// ResetRegions forgets attached regions (a long-polling fetch re-reads and rebuilds its response).
func (rc *RequestContext) ResetRegions() { rc.regions = rc.regions[:0] }

var errPlaceholder = errors.New("protocol: fetch placeholder not found in encoded response")

// writeWithRegions sends the framed response b with every placeholder replaced by its region.
func (c *conn) writeWithRegions(b []byte, flexible bool, regions []attachedRegion) error {
	type splice struct {
		prefixAt, dataEnd int // [prefixAt, dataEnd) of b is the placeholder and its length prefix
		region            FileRegion
	}
	splices := make([]splice, 0, len(regions))
	grow := 0
	for _, a := range regions {
		at := bytes.Index(b, a.marker[:])
		if at < 0 {
			return errPlaceholder
		}
		// The placeholder's length prefix: int32 16, or for flexible versions uvarint 16+1.
		prefixLen := 4
		if flexible {
			prefixLen = 1
		}
		if at < prefixLen {
			return errPlaceholder
		}
		splices = append(splices, splice{prefixAt: at - prefixLen, dataEnd: at + placeholderLen, region: a.region})
		grow += len(lengthPrefix(nil, a.region.Size, flexible)) - prefixLen + int(a.region.Size) - placeholderLen
	}
	// Splices must go out in buffer order.
	for i := 1; i < len(splices); i++ {
		for j := i; j > 0 && splices[j].prefixAt < splices[j-1].prefixAt; j-- {
			splices[j], splices[j-1] = splices[j-1], splices[j]
		}
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4+grow))
	var prefix [binary.MaxVarintLen32 + 4]byte
	pos := 0
	for _, sp := range splices {
		bufs := net.Buffers{b[pos:sp.prefixAt], lengthPrefix(prefix[:0], sp.region.Size, flexible)}
		if _, err := bufs.WriteTo(c.nc); err != nil {
			return err
		}
		if err := sendRegion(c.nc, sp.region); err != nil {
			return err
		}
		pos = sp.dataEnd
	}
	_, err := c.nc.Write(b[pos:])
	return err
}

func lengthPrefix(dst []byte, n int32, flexible bool) []byte {
	if flexible {
		return binary.AppendUvarint(dst, uint64(n)+1)
	}
	return binary.BigEndian.AppendUint32(dst, uint32(n))
}

// sendRegion moves a file region to the connection with sendfile(2) at an explicit offset (the
// file's own offset is shared by concurrent readers and must not move), falling back to
// pread+write when the connection is not a plain TCP socket.
func sendRegion(nc net.Conn, r FileRegion) error {
	tcp, ok := nc.(*net.TCPConn)
	if !ok {
		_, err := io.Copy(nc, io.NewSectionReader(r.File, r.Pos, int64(r.Size)))
		return err
	}
	sock, err := tcp.SyscallConn()
	if err != nil {
		return err
	}
	file, err := r.File.SyscallConn()
	if err != nil {
		return err
	}
	var sendErr error
	// Control holds a reference on the file descriptor, so a segment closed by retention
	// meanwhile cannot have its descriptor number reused under us.
	ctlErr := file.Control(func(ffd uintptr) {
		off := r.Pos
		remain := int(r.Size)
		werr := sock.Write(func(sfd uintptr) bool {
			for remain > 0 {
				n, err := unix.Sendfile(int(sfd), int(ffd), &off, remain)
				if n > 0 {
					remain -= n
				}
				switch {
				case err == unix.EAGAIN:
					return false // wait until the socket is writable again
				case err == unix.EINTR:
					continue
				case err != nil:
					sendErr = err
					return true
				case n == 0:
					sendErr = io.ErrUnexpectedEOF // the segment shrank under us (truncation)
					return true
				}
			}
			return true
		})
		if sendErr == nil {
			sendErr = werr
		}
	})
	if ctlErr != nil {
		return ctlErr
	}
	return sendErr
}
