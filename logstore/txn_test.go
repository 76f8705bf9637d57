package logstore

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// markerBatch builds an end-transaction control batch (what WriteTxnMarkers appends).
func markerBatch(pid int64, epoch int16, commit bool, coordEpoch int32) []byte {
	var body []byte
	body = append(body, 0)
	body = binary.AppendVarint(body, 0)
	body = binary.AppendVarint(body, 0)
	key := []byte{0, 0, 0, 0}
	if commit {
		key[3] = 1
	}
	body = binary.AppendVarint(body, 4)
	body = append(body, key...)
	val := make([]byte, 6)
	be.PutUint32(val[2:], uint32(coordEpoch))
	body = binary.AppendVarint(body, 6)
	body = append(body, val...)
	body = binary.AppendVarint(body, 0)
	rec := binary.AppendVarint(nil, int64(len(body)))
	rec = append(rec, body...)
	b := make([]byte, batchHeaderSize, batchHeaderSize+len(rec))
	b = append(b, rec...)
	be.PutUint32(b[offBatchLength:], uint32(len(b)-logOverhead))
	be.PutUint32(b[offLeaderEpoch:], 0xffffffff)
	b[offMagic] = 2
	be.PutUint16(b[offAttributes:], attrControl|attrTransactional)
	be.PutUint64(b[offFirstTimestamp:], 1)
	be.PutUint64(b[offMaxTimestamp:], 1)
	be.PutUint64(b[offProducerID:], uint64(pid))
	be.PutUint16(b[offProducerEpoch:], uint16(epoch))
	be.PutUint32(b[offBaseSequence:], 0xffffffff)
	be.PutUint32(b[offRecordsCount:], 1)
	be.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], castagnoli))
	return b
}

func TestTransactionsAbortIndexAndLSO(t *testing.T) {
	m, l, _ := newTestLog(t, nil)
	defer m.Close()
	txn := plainSpec(2, 10, 1)
	txn.pid, txn.epoch, txn.seq, txn.attrs = 10, 0, 0, attrTransactional
	if _, err := l.AppendAsLeader(makeBatch(txn), 0); err != nil { // offsets 0-1
		t.Fatal(err)
	}
	l.AppendAsLeader(makeBatch(plainSpec(3, 10, 1)), 0) // 2-4
	l.SetHighWatermark(l.LogEndOffset())
	if lso := l.LastStableOffset(); lso != 0 {
		t.Fatalf("LSO with open txn = %d, want 0", lso)
	}
	plain := plainSpec(1, 1, 1)
	plain.pid, plain.epoch, plain.seq = 10, 0, 2
	if _, err := l.AppendAsLeader(makeBatch(plain), 0); !errors.Is(err, ErrInvalidTxnState) {
		t.Fatalf("non-transactional write inside an open txn: %v", err)
	}
	if _, err := l.AppendAsLeader(markerBatch(10, 0, false, 5), 0); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("client control batch: %v", err)
	}
	res, err := l.AppendControlAsLeader(markerBatch(10, 0, false, 5), 0) // ABORT at 5
	if err != nil || res.FirstOffset != 5 {
		t.Fatalf("marker: %+v %v", res, err)
	}
	l.SetHighWatermark(l.LogEndOffset())
	if lso := l.LastStableOffset(); lso != 6 {
		t.Fatalf("LSO after abort = %d, want 6", lso)
	}
	got := l.AbortedTransactions(0, 6)
	if len(got) != 1 || got[0] != (AbortedTxn{ProducerID: 10, FirstOffset: 0}) {
		t.Fatalf("aborted txns %+v", got)
	}
	if got := l.AbortedTransactions(6, 10); len(got) != 0 {
		t.Fatalf("aborted txns past the marker %+v", got)
	}
	data, _ := os.ReadFile(filepath.Join(l.dir, segmentName(0)+".txnindex"))
	want := make([]byte, 34)
	be.PutUint64(want[2:], 10)
	be.PutUint64(want[10:], 0)
	be.PutUint64(want[18:], 5)
	be.PutUint64(want[26:], 6)
	if string(data) != string(want) {
		t.Fatalf(".txnindex = %x, want %x", data, want)
	}
	ps := l.ActiveProducers()
	if len(ps) != 1 || ps[0].CoordinatorEpoch != 5 || ps[0].CurrentTxnStartOffset != -1 {
		t.Fatalf("producer after marker %+v", ps)
	}
	// A committed transaction leaves no index entry.
	txn.seq = 2
	l.AppendAsLeader(makeBatch(txn), 0)
	l.AppendControlAsLeader(markerBatch(10, 0, true, 5), 0)
	if got := l.AbortedTransactions(0, l.LogEndOffset()); len(got) != 1 {
		t.Fatalf("commit added an aborted entry: %+v", got)
	}
	// Truncating below the marker drops the entry and reopens the transaction.
	if err := l.TruncateTo(5); err != nil {
		t.Fatal(err)
	}
	if got := l.AbortedTransactions(0, 100); len(got) != 0 {
		t.Fatalf("entry survived truncation: %+v", got)
	}
	if fileSize(t, filepath.Join(l.dir, segmentName(0)+".txnindex")) != 0 {
		t.Fatal(".txnindex not truncated")
	}
	l.SetHighWatermark(5)
	if lso := l.LastStableOffset(); lso != 0 {
		t.Fatalf("LSO after truncation = %d, want 0 (txn open again)", lso)
	}
}

func TestFollowerIgnoresTrailingPartialBatch(t *testing.T) {
	m, l, _ := newTestLog(t, nil)
	defer m.Close()
	a := makeBatch(plainSpec(2, 10, 1))
	b := makeBatch(plainSpec(3, 10, 1))
	be.PutUint64(b[offBaseOffset:], 2)
	be.PutUint32(b[offCRC:], batchView(b).computeCRC())
	data := append(append([]byte(nil), a...), b[:len(b)-5]...)
	res, err := l.AppendAsFollower(data)
	if err != nil || res.LastOffset != 1 || l.LogEndOffset() != 2 {
		t.Fatalf("partial tail: %+v %v LEO %d", res, err, l.LogEndOffset())
	}
	if res, err := l.AppendAsFollower(b[:30]); err != nil || res.FirstOffset != -1 {
		t.Fatalf("only a partial batch: %+v %v", res, err)
	}
	if _, err := l.AppendAsFollower(b); err != nil || l.LogEndOffset() != 5 {
		t.Fatalf("whole batch: %v LEO %d", err, l.LogEndOffset())
	}
	bad := makeBatch(plainSpec(1, 10, 1))
	be.PutUint64(bad[offBaseOffset:], 5)
	bad[len(bad)-1] ^= 1
	if _, err := l.AppendAsFollower(bad); !errors.Is(err, ErrCorruptMessage) {
		t.Fatalf("corrupt replicated batch: %v", err)
	}
}
