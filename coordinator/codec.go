package coordinator

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kbin"
)

// Schema versions of the __consumer_offsets records (OffsetCommitKey/Value, GroupMetadataKey/Value).
const (
	offsetKeyVersion      int16 = 1 // 0 and 1 share a layout; 2.8 writes 1
	groupKeyVersion       int16 = 2
	offsetValueVersion    int16 = 3 // written unless an explicit expire timestamp must be kept (then 1)
	groupValueVersion     int16 = 3
	maxOffsetValueVer     int16 = 3
	maxGroupValueVer      int16 = 3
	noExpireTimestamp           = int64(-1)
	noLeaderEpoch               = int32(-1)
	unknownStateTimestamp       = int64(-1)
)

var (
	// ErrCorruptRecord reports a __consumer_offsets key or value that does not parse.
	ErrCorruptRecord = errors.New("coordinator: corrupt __consumer_offsets record")
	// ErrUnknownVersion reports a key or value schema version this coordinator does not know.
	ErrUnknownVersion = errors.New("coordinator: unknown __consumer_offsets record version")
)

// RecordKey is a decoded __consumer_offsets key. Version 0 and 1 name an offset commit
// (Group, Topic, Partition); version 2 names a group's metadata (Group only).
type RecordKey struct {
	Version   int16
	Group     string
	Topic     string
	Partition int32
}

// IsOffsetKey reports whether the key addresses a committed offset rather than group metadata.
func (k RecordKey) IsOffsetKey() bool { return k.Version <= 1 }

// OffsetValue is OffsetCommitValue. LeaderEpoch is -1 when unknown; ExpireTimestamp is -1 unless
// the commit carried an explicit retention (only value version 1 stores it).
type OffsetValue struct {
	Offset          int64
	LeaderEpoch     int32
	Metadata        string
	CommitTimestamp int64
	ExpireTimestamp int64
}

// GroupValue is GroupMetadataValue. Protocol and Leader are nil for groups without members.
// CurrentStateTimestamp is -1 when unknown (value versions before 2).
type GroupValue struct {
	ProtocolType          string
	Generation            int32
	Protocol              *string
	Leader                *string
	CurrentStateTimestamp int64
	Members               []MemberValue
}

// MemberValue is one member inside GroupMetadataValue.
type MemberValue struct {
	MemberID         string
	InstanceID       *string
	ClientID         string
	ClientHost       string
	RebalanceTimeout int32
	SessionTimeout   int32
	Subscription     []byte
	Assignment       []byte
}

// EncodeOffsetKey returns the key of a committed offset (key version 1).
func EncodeOffsetKey(group, topic string, partition int32) []byte {
	b := make([]byte, 0, 2+2+len(group)+2+len(topic)+4)
	b = kbin.AppendInt16(b, offsetKeyVersion)
	b = kbin.AppendString(b, group)
	b = kbin.AppendString(b, topic)
	return kbin.AppendInt32(b, partition)
}

// EncodeGroupKey returns the key of a group's metadata record (key version 2).
func EncodeGroupKey(group string) []byte {
	b := make([]byte, 0, 2+2+len(group))
	b = kbin.AppendInt16(b, groupKeyVersion)
	return kbin.AppendString(b, group)
}

// DecodeKey parses either kind of key.
func DecodeKey(b []byte) (RecordKey, error) {
	r := kbin.Reader{Src: b}
	var k RecordKey
	k.Version = r.Int16()
	switch {
	case !r.Ok():
		return k, fmt.Errorf("%w: key of %d bytes", ErrCorruptRecord, len(b))
	case k.Version == 0 || k.Version == 1:
		k.Group = r.String()
		k.Topic = r.String()
		k.Partition = r.Int32()
	case k.Version == 2:
		k.Group = r.String()
	default:
		return k, fmt.Errorf("%w: key version %d", ErrUnknownVersion, k.Version)
	}
	if err := r.Complete(); err != nil {
		return k, fmt.Errorf("%w: key version %d truncated", ErrCorruptRecord, k.Version)
	}
	return k, nil
}

// EncodeOffsetValue writes value version 3, or version 1 when v carries an expire timestamp, which
// is what 2.8 does for commits that asked for an explicit retention time.
func EncodeOffsetValue(v OffsetValue) []byte {
	b := make([]byte, 0, 2+8+4+2+len(v.Metadata)+8+8)
	if v.ExpireTimestamp != noExpireTimestamp {
		b = kbin.AppendInt16(b, 1)
		b = kbin.AppendInt64(b, v.Offset)
		b = kbin.AppendString(b, v.Metadata)
		b = kbin.AppendInt64(b, v.CommitTimestamp)
		return kbin.AppendInt64(b, v.ExpireTimestamp)
	}
	b = kbin.AppendInt16(b, offsetValueVersion)
	b = kbin.AppendInt64(b, v.Offset)
	b = kbin.AppendInt32(b, v.LeaderEpoch)
	b = kbin.AppendString(b, v.Metadata)
	return kbin.AppendInt64(b, v.CommitTimestamp)
}

// DecodeOffsetValue parses value versions 0-3. Fields a version lacks come back as -1.
func DecodeOffsetValue(b []byte) (OffsetValue, int16, error) {
	r := kbin.Reader{Src: b}
	v := OffsetValue{LeaderEpoch: noLeaderEpoch, ExpireTimestamp: noExpireTimestamp}
	version := r.Int16()
	if !r.Ok() {
		return v, version, fmt.Errorf("%w: offset value of %d bytes", ErrCorruptRecord, len(b))
	}
	if version < 0 || version > maxOffsetValueVer {
		return v, version, fmt.Errorf("%w: offset value version %d", ErrUnknownVersion, version)
	}
	v.Offset = r.Int64()
	if version >= 3 {
		v.LeaderEpoch = r.Int32()
	}
	v.Metadata = r.String()
	v.CommitTimestamp = r.Int64()
	if version == 1 {
		v.ExpireTimestamp = r.Int64()
	}
	if err := r.Complete(); err != nil {
		return v, version, fmt.Errorf("%w: offset value version %d truncated", ErrCorruptRecord, version)
	}
	return v, version, nil
}

// EncodeGroupValue writes GroupMetadataValue version 3.
func EncodeGroupValue(v GroupValue) []byte {
	b := make([]byte, 0, 64)
	b = kbin.AppendInt16(b, groupValueVersion)
	b = kbin.AppendString(b, v.ProtocolType)
	b = kbin.AppendInt32(b, v.Generation)
	b = kbin.AppendNullableString(b, v.Protocol)
	b = kbin.AppendNullableString(b, v.Leader)
	b = kbin.AppendInt64(b, v.CurrentStateTimestamp)
	b = kbin.AppendArrayLen(b, len(v.Members))
	for _, m := range v.Members {
		b = kbin.AppendString(b, m.MemberID)
		b = kbin.AppendNullableString(b, m.InstanceID)
		b = kbin.AppendString(b, m.ClientID)
		b = kbin.AppendString(b, m.ClientHost)
		b = kbin.AppendInt32(b, m.RebalanceTimeout)
		b = kbin.AppendInt32(b, m.SessionTimeout)
		b = kbin.AppendBytes(b, m.Subscription)
		b = kbin.AppendBytes(b, m.Assignment)
	}
	return b
}

// DecodeGroupValue parses GroupMetadataValue versions 0-3. Version 0 has no rebalance timeout
// (Kafka then uses the session timeout), versions before 2 no state timestamp (-1), before 3 no
// group instance ids.
func DecodeGroupValue(b []byte) (GroupValue, int16, error) {
	r := kbin.Reader{Src: b}
	v := GroupValue{CurrentStateTimestamp: unknownStateTimestamp}
	version := r.Int16()
	if !r.Ok() {
		return v, version, fmt.Errorf("%w: group value of %d bytes", ErrCorruptRecord, len(b))
	}
	if version < 0 || version > maxGroupValueVer {
		return v, version, fmt.Errorf("%w: group value version %d", ErrUnknownVersion, version)
	}
	v.ProtocolType = r.String()
	v.Generation = r.Int32()
	v.Protocol = r.NullableString()
	v.Leader = r.NullableString()
	if version >= 2 {
		v.CurrentStateTimestamp = r.Int64()
	}
	n := r.ArrayLen()
	for i := int32(0); i < n && r.Ok(); i++ {
		var m MemberValue
		m.MemberID = r.String()
		if version >= 3 {
			m.InstanceID = r.NullableString()
		}
		m.ClientID = r.String()
		m.ClientHost = r.String()
		if version >= 1 {
			m.RebalanceTimeout = r.Int32()
		}
		m.SessionTimeout = r.Int32()
		if version == 0 {
			m.RebalanceTimeout = m.SessionTimeout
		}
		m.Subscription = append([]byte{}, r.Bytes()...)
		m.Assignment = append([]byte{}, r.Bytes()...)
		v.Members = append(v.Members, m)
	}
	if err := r.Complete(); err != nil {
		return v, version, fmt.Errorf("%w: group value version %d truncated", ErrCorruptRecord, version)
	}
	return v, version, nil
}

// FormatRecord renders a record the way kafka-dump-log.sh --offsets-decoder does
// (GroupMetadataManager.formatRecordKeyAndValue): "offset_commit::group=g,partition=t-0" with
// "offset=5[,metadata=m]", or "group_metadata::group=g" with a JSON summary; tombstones are <DELETE>.
func FormatRecord(key, value []byte) (string, string, error) {
	if key == nil {
		return "", "", fmt.Errorf("%w: message had a missing key", ErrCorruptRecord)
	}
	k, err := DecodeKey(key)
	if err != nil {
		return "", "", err
	}
	if k.IsOffsetKey() {
		ks := fmt.Sprintf("offset_commit::group=%s,partition=%s-%d", k.Group, k.Topic, k.Partition)
		if value == nil {
			return ks, "<DELETE>", nil
		}
		v, _, err := DecodeOffsetValue(value)
		if err != nil {
			return ks, "", err
		}
		if v.Metadata == "" {
			return ks, fmt.Sprintf("offset=%d", v.Offset), nil
		}
		return ks, fmt.Sprintf("offset=%d,metadata=%s", v.Offset, v.Metadata), nil
	}
	ks := "group_metadata::group=" + k.Group
	if value == nil {
		return ks, "<DELETE>", nil
	}
	g, _, err := DecodeGroupValue(value)
	if err != nil {
		return ks, "", err
	}
	parts := make([]string, 0, len(g.Members))
	for _, m := range g.Members {
		parts = append(parts, m.MemberID+"="+formatAssignment(g.ProtocolType, m.Assignment))
	}
	protocol := "null"
	if g.Protocol != nil {
		protocol = jsonString(*g.Protocol)
	}
	vs := fmt.Sprintf(`{"protocolType":%s,"protocol":%s,"generationId":%d,"assignment":%s}`,
		jsonString(g.ProtocolType), protocol, g.Generation, jsonString("{"+strings.Join(parts, ",")+"}"))
	return ks, vs, nil
}

// DescribeRecord is FormatRecord as one dump-log line fragment: "key: K payload: V".
func DescribeRecord(key, value []byte) string {
	k, v, err := FormatRecord(key, value)
	if err != nil {
		return fmt.Sprintf("key: %s payload: <%v>", k, err)
	}
	return fmt.Sprintf("key: %s payload: %s", k, v)
}

// formatAssignment prints a consumer assignment as its partition list ("[t-0, t-1]", plus
// ":HEX" user data), any other protocol's assignment as hex, as DumpLogSegments does.
func formatAssignment(protocolType string, assignment []byte) string {
	if protocolType != consumerProtocolType {
		return javaHex(assignment)
	}
	parts, userData, ok := parseConsumerAssignment(assignment)
	if !ok {
		return javaHex(assignment)
	}
	s := "[" + strings.Join(parts, ", ") + "]"
	if len(userData) > 0 {
		s += ":" + javaHex(userData)
	}
	return s
}

// javaHex is the dump decoder's hex(): "%X" of the bytes as a positive BigInt, so leading zeros
// vanish, and "" for no bytes.
func javaHex(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return fmt.Sprintf("%X", new(big.Int).SetBytes(b))
}

func jsonString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&sb, `\u%04x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

const consumerProtocolType = "consumer"

// parseConsumerSubscription reads the topics of a ConsumerProtocol subscription. Every version
// starts with the v0 layout (int16 version, topics array), which is all the coordinator needs.
func parseConsumerSubscription(b []byte) ([]string, bool) {
	r := kbin.Reader{Src: b}
	r.Int16()
	n := r.ArrayLen()
	topics := make([]string, 0, n)
	for i := int32(0); i < n && r.Ok(); i++ {
		topics = append(topics, r.String())
	}
	return topics, r.Ok()
}

// parseConsumerAssignment reads a ConsumerProtocol assignment as "topic-partition" strings.
func parseConsumerAssignment(b []byte) ([]string, []byte, bool) {
	r := kbin.Reader{Src: b}
	r.Int16()
	n := r.ArrayLen()
	var parts []string
	for i := int32(0); i < n && r.Ok(); i++ {
		topic := r.String()
		np := r.ArrayLen()
		for j := int32(0); j < np && r.Ok(); j++ {
			parts = append(parts, fmt.Sprintf("%s-%d", topic, r.Int32()))
		}
	}
	var userData []byte
	if len(r.Src) > 0 {
		userData = r.NullableBytes()
	}
	return parts, userData, r.Ok()
}

// sortedTopics returns a set's members in order, for stable log lines and responses.
func sortedTopics(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
