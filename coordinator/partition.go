package coordinator

import (
	"math"
	"unicode/utf16"
)

// OffsetsTopic is the internal topic holding group metadata and committed offsets.
const OffsetsTopic = "__consumer_offsets"

// PartitionFor maps a group id to its __consumer_offsets partition exactly as Kafka does:
// Utils.abs(groupId.hashCode) % numPartitions, with Java's UTF-16 String.hashCode and
// abs(Integer.MIN_VALUE) = 0. The transaction coordinator uses the same function.
func PartitionFor(groupID string, numPartitions int32) int32 {
	if numPartitions <= 0 {
		return 0
	}
	return javaAbs(javaHashCode(groupID)) % numPartitions
}

func javaHashCode(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

func javaAbs(n int32) int32 {
	if n == math.MinInt32 {
		return 0
	}
	if n < 0 {
		return -n
	}
	return n
}
