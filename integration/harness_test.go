package integration

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestHarnessZooKeeper checks the harness itself: a real standalone ZooKeeper starts on a
// free port, serves reads and writes, and is gone (process and port) after Stop.
func TestHarnessZooKeeper(t *testing.T) {
	z := StartZooKeeper(t)
	if !ProcessAlive(z.Pid) {
		t.Fatalf("zookeeper pid %d not alive after start", z.Pid)
	}
	out, err := FourLetter(z.Addr, "srvr")
	if err != nil || !strings.Contains(out, "Mode: standalone") {
		t.Fatalf("srvr = %q, %v; want Mode: standalone", out, err)
	}

	ZKCreate(t, z, "/harness", "hello")
	ZKCreate(t, z, "/harness/child", "")
	if got := ZKGet(t, z, "/harness"); got != "hello" {
		t.Fatalf("get /harness = %q, want hello", got)
	}
	if got := ZKChildren(t, z, "/harness"); len(got) != 1 || got[0] != "child" {
		t.Fatalf("children /harness = %v", got)
	}
	if _, ok := ZKGetOK(t, z, "/absent"); ok {
		t.Fatal("/absent exists")
	}
	if st := ZKStat(t, z, "/harness"); st == nil || st.DataLength != 5 {
		t.Fatalf("stat /harness = %+v", st)
	}

	pid := z.Pid
	z.Stop()
	WaitFor(t, 10*time.Second, func() (bool, string) {
		return !ProcessAlive(pid), fmt.Sprintf("pid %d still alive", pid)
	})
	if c, err := net.DialTimeout("tcp", z.Addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Stop", z.Addr)
	}
	z.Stop() // idempotent
}

// TestHarnessEnsemble checks a 3-node quorum: one leader, two followers, and a write through
// one node is readable through another.
func TestHarnessEnsemble(t *testing.T) {
	if testing.Short() {
		t.Skip("three JVMs; skipped with -short")
	}
	e := StartEnsemble(t, 3)
	modes := map[string]int{}
	for _, n := range e.Nodes {
		out, err := FourLetter(n.Addr, "srvr")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "Mode: ") {
				modes[strings.TrimSpace(strings.TrimPrefix(line, "Mode: "))]++
			}
		}
	}
	if modes["leader"] != 1 || modes["follower"] != 2 {
		t.Fatalf("modes = %v, want 1 leader and 2 followers", modes)
	}

	first := &ZK{Addr: e.Nodes[0].Addr}
	first.client.servers = []string{first.Addr}
	last := &ZK{Addr: e.Nodes[2].Addr}
	last.client.servers = []string{last.Addr}
	t.Cleanup(first.client.close)
	t.Cleanup(last.client.close)

	ZKCreate(t, first, "/replicated", "x")
	WaitFor(t, 10*time.Second, func() (bool, string) {
		data, ok := ZKGetOK(t, last, "/replicated")
		return ok && data == "x", fmt.Sprintf("node 3 sees %q (exists %v)", data, ok)
	})
	if !strings.Contains(e.ConnectString(), ",") {
		t.Fatalf("connect string %q", e.ConnectString())
	}
}

// TestHarnessBatchCodec checks the batch builder and parser against each other, and the
// CRC against a corruption.
func TestHarnessBatchCodec(t *testing.T) {
	b1 := BuildBatch(-1, -1, -1, 1_600_000_000_000,
		RawRecord{Key: []byte("k1"), Value: []byte("v1"), Headers: [][2][]byte{{[]byte("h"), []byte("1")}}},
		RawRecord{Key: nil, Value: []byte("v2")})
	b2 := BuildBatch(7, 0, 3, 1_600_000_000_001, RawRecord{Key: []byte("k3"), Value: nil})
	buf := append(append([]byte{}, b1...), b2...)
	buf = append(buf, 0, 0, 0) // a torn tail is ignored

	bs, rest, err := ParseBatches(buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || rest != int64(len(b1)+len(b2)) {
		t.Fatalf("parsed %d batches, rest %d", len(bs), rest)
	}
	if !bs[0].CRCValid() || !bs[1].CRCValid() {
		t.Fatal("CRC of a freshly built batch is invalid")
	}
	if bs[0].NumRecords != 2 || bs[0].LastOffsetDelta != 1 || bs[0].ProducerID != -1 || bs[0].LeaderEpoch != -1 {
		t.Fatalf("batch 0 header = %+v", bs[0])
	}
	if bs[1].ProducerID != 7 || bs[1].BaseSequence != 3 || bs[1].NumRecords != 1 {
		t.Fatalf("batch 1 header = %+v", bs[1])
	}
	recs, err := DecodeRecords(bs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || string(recs[0].Key) != "k1" || string(recs[0].Value) != "v1" ||
		len(recs[0].Headers) != 1 || string(recs[0].Headers[0][0]) != "h" || recs[1].Key != nil || recs[1].Offset != 1 {
		t.Fatalf("records = %+v", recs)
	}
	recs, err = DecodeRecords(bs[1])
	if err != nil || len(recs) != 1 || recs[0].Value != nil || !bytes.Equal(recs[0].Key, []byte("k3")) {
		t.Fatalf("records = %+v, %v", recs, err)
	}

	bad := append([]byte{}, b1...)
	bad[len(bad)-1] ^= 0xff
	bs, _, _ = ParseBatches(bad)
	if len(bs) != 1 || bs[0].CRCValid() {
		t.Fatal("a flipped byte did not invalidate the CRC")
	}
}
