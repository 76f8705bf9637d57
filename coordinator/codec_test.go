package coordinator

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPartitionForMatchesJavaHashCode(t *testing.T) {
	cases := []struct {
		group string
		n     int32
		want  int32
	}{
		{"hello", 50, 99162322 % 50},         // "hello".hashCode() == 99162322
		{"polygenelubricants", 50, 0},        // hashCode == Integer.MIN_VALUE; Utils.abs gives 0
		{"\U0001F600", 1000, 1772899 % 1000}, // surrogate pair D83D DE00: 31*0xD83D + 0xDE00
		{"", 50, 0},
	}
	for _, c := range cases {
		if got := PartitionFor(c.group, c.n); got != c.want {
			t.Errorf("PartitionFor(%q, %d) = %d, want %d", c.group, c.n, got, c.want)
		}
	}
	// "Aa" and "BB" collide in Java (both 2112).
	if PartitionFor("Aa", 50) != PartitionFor("BB", 50) {
		t.Error("Java hash collision not reproduced")
	}
	// "Hello World".hashCode() == -862545276: negative hashes are made positive first.
	if got := PartitionFor("Hello World", 50); got != 862545276%50 {
		t.Errorf("PartitionFor(Hello World) = %d", got)
	}
}

func TestOffsetKeyBytes(t *testing.T) {
	want := unhex(t, "0001 0001 67 0001 74 00000000")
	got := EncodeOffsetKey("g", "t", 0)
	if !bytes.Equal(got, want) {
		t.Fatalf("key = %x, want %x", got, want)
	}
	k, err := DecodeKey(got)
	if err != nil || k != (RecordKey{Version: 1, Group: "g", Topic: "t", Partition: 0}) {
		t.Fatalf("decode = %+v, %v", k, err)
	}
	// Key version 0 has the same layout.
	k, err = DecodeKey(unhex(t, "0000 0002 6767 0003 746f70 00000007"))
	if err != nil || k != (RecordKey{Version: 0, Group: "gg", Topic: "top", Partition: 7}) || !k.IsOffsetKey() {
		t.Fatalf("v0 decode = %+v, %v", k, err)
	}
}

func TestGroupKeyBytes(t *testing.T) {
	want := unhex(t, "0002 0001 67")
	if got := EncodeGroupKey("g"); !bytes.Equal(got, want) {
		t.Fatalf("key = %x, want %x", got, want)
	}
	k, err := DecodeKey(want)
	if err != nil || k.Version != 2 || k.Group != "g" || k.IsOffsetKey() {
		t.Fatalf("decode = %+v, %v", k, err)
	}
	if _, err := DecodeKey(unhex(t, "0003 0001 67")); !errors.Is(err, ErrUnknownVersion) {
		t.Fatalf("key version 3: err = %v", err)
	}
	if _, err := DecodeKey(unhex(t, "0001 0001 67 00")); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("truncated key: err = %v", err)
	}
}

func TestOffsetValueBytes(t *testing.T) {
	v := OffsetValue{Offset: 5, LeaderEpoch: -1, Metadata: "", CommitTimestamp: 1000, ExpireTimestamp: -1}
	want := unhex(t, "0003 0000000000000005 ffffffff 0000 00000000000003e8")
	got := EncodeOffsetValue(v)
	if !bytes.Equal(got, want) {
		t.Fatalf("v3 value = %x, want %x", got, want)
	}
	back, ver, err := DecodeOffsetValue(got)
	if err != nil || ver != 3 || back != v {
		t.Fatalf("decode = %+v v%d %v", back, ver, err)
	}

	// An explicit retention keeps the v1 layout with the expire timestamp.
	v1 := OffsetValue{Offset: 9, LeaderEpoch: -1, Metadata: "m", CommitTimestamp: 1000, ExpireTimestamp: 2000}
	want = unhex(t, "0001 0000000000000009 0001 6d 00000000000003e8 00000000000007d0")
	if got := EncodeOffsetValue(v1); !bytes.Equal(got, want) {
		t.Fatalf("v1 value = %x, want %x", got, want)
	}
	back, ver, err = DecodeOffsetValue(want)
	if err != nil || ver != 1 || back != v1 {
		t.Fatalf("v1 decode = %+v v%d %v", back, ver, err)
	}

	// v0 and v2: offset, metadata, timestamp.
	for _, version := range []string{"0000", "0002"} {
		back, _, err = DecodeOffsetValue(unhex(t, version+" 0000000000000002 0000 0000000000000064"))
		want := OffsetValue{Offset: 2, LeaderEpoch: -1, CommitTimestamp: 100, ExpireTimestamp: -1}
		if err != nil || back != want {
			t.Fatalf("%s decode = %+v %v", version, back, err)
		}
	}
	if _, _, err := DecodeOffsetValue(unhex(t, "0004 00")); !errors.Is(err, ErrUnknownVersion) {
		t.Fatalf("v4: %v", err)
	}
}

func TestGroupValueBytes(t *testing.T) {
	v := GroupValue{
		ProtocolType:          "consumer",
		Generation:            1,
		Protocol:              ptr("range"),
		Leader:                ptr("c-1"),
		CurrentStateTimestamp: 1000,
		Members: []MemberValue{{
			MemberID: "c-1", ClientID: "c", ClientHost: "/h",
			RebalanceTimeout: 30000, SessionTimeout: 10000,
			Subscription: []byte{1}, Assignment: []byte{2, 3},
		}},
	}
	want := unhex(t, `0003
		0008 636f6e73756d6572
		00000001
		0005 72616e6765
		0003 632d31
		00000000000003e8
		00000001
		  0003 632d31
		  ffff
		  0001 63
		  0002 2f68
		  00007530
		  00002710
		  00000001 01
		  00000002 0203`)
	got := EncodeGroupValue(v)
	if !bytes.Equal(got, want) {
		t.Fatalf("value =\n%x\nwant\n%x", got, want)
	}
	back, ver, err := DecodeGroupValue(got)
	if err != nil || ver != 3 || !reflect.DeepEqual(back, v) {
		t.Fatalf("decode = %+v v%d %v", back, ver, err)
	}

	// An empty group: null protocol and leader, no members.
	empty := GroupValue{ProtocolType: "consumer", Generation: 2, CurrentStateTimestamp: 5}
	want = unhex(t, "0003 0008 636f6e73756d6572 00000002 ffff ffff 0000000000000005 00000000")
	if got := EncodeGroupValue(empty); !bytes.Equal(got, want) {
		t.Fatalf("empty value = %x, want %x", got, want)
	}

	// v0: no state timestamp, no instance id, no rebalance timeout (it takes the session timeout).
	v0 := unhex(t, `0000 0001 78 00000003 0001 72 0001 6d 00000001
		0001 6d 0001 63 0001 68 00001388 00000000 00000000`)
	back, ver, err = DecodeGroupValue(v0)
	wantV0 := GroupValue{ProtocolType: "x", Generation: 3, Protocol: ptr("r"), Leader: ptr("m"), CurrentStateTimestamp: -1,
		Members: []MemberValue{{MemberID: "m", ClientID: "c", ClientHost: "h", RebalanceTimeout: 5000, SessionTimeout: 5000,
			Subscription: []byte{}, Assignment: []byte{}}}}
	if err != nil || ver != 0 || !reflect.DeepEqual(back, wantV0) {
		t.Fatalf("v0 decode = %+v v%d %v", back, ver, err)
	}
	if _, _, err := DecodeGroupValue(got[:len(got)-1]); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("truncated: %v", err)
	}
}

func TestDescribeRecord(t *testing.T) {
	cases := []struct {
		key, value []byte
		want       string
	}{
		{EncodeOffsetKey("g", "t", 3), EncodeOffsetValue(OffsetValue{Offset: 42, LeaderEpoch: -1, ExpireTimestamp: -1}),
			"key: offset_commit::group=g,partition=t-3 payload: offset=42"},
		{EncodeOffsetKey("g", "t", 3), EncodeOffsetValue(OffsetValue{Offset: 42, Metadata: "hi", ExpireTimestamp: -1}),
			"key: offset_commit::group=g,partition=t-3 payload: offset=42,metadata=hi"},
		{EncodeOffsetKey("g", "t", 3), nil, "key: offset_commit::group=g,partition=t-3 payload: <DELETE>"},
		{EncodeGroupKey("g"), nil, "key: group_metadata::group=g payload: <DELETE>"},
		{EncodeGroupKey("g"), EncodeGroupValue(GroupValue{ProtocolType: "consumer", Generation: 2, Protocol: ptr("range"),
			Members: []MemberValue{{MemberID: "c-1", Assignment: assignment("t", 0, 1)}}}),
			`key: group_metadata::group=g payload: {"protocolType":"consumer","protocol":"range","generationId":2,"assignment":"{c-1=[t-0, t-1]}"}`},
		{EncodeGroupKey("g"), EncodeGroupValue(GroupValue{ProtocolType: "connect", Generation: 1, Protocol: ptr("sessioned"),
			Members: []MemberValue{{MemberID: "w-1", Assignment: []byte{0x00, 0x0a, 0xbc}}}}),
			`key: group_metadata::group=g payload: {"protocolType":"connect","protocol":"sessioned","generationId":1,"assignment":"{w-1=ABC}"}`},
		{EncodeGroupKey("g"), EncodeGroupValue(GroupValue{ProtocolType: "consumer", Generation: 3}),
			`key: group_metadata::group=g payload: {"protocolType":"consumer","protocol":null,"generationId":3,"assignment":"{}"}`},
	}
	for _, c := range cases {
		if got := DescribeRecord(c.key, c.value); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}
