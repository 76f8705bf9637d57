package protocol

import (
	"iter"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Handlers guarantee a well-formed answer even when a service forgets part of it: every topic,
// partition, group or resource the client asked about gets an entry. A missing entry would make
// kgo and the Java client wait or fail in confusing ways; UNKNOWN_SERVER_ERROR tells the truth.

type tpKey struct {
	topic string
	part  int32
}

// tpAccess describes one topic/partition response shape to fillTP.
type tpAccess[T, P any] struct {
	topic    func(*T) string
	parts    func(*T) *[]P
	part     func(*P) int32
	newTopic func(string) T
	newPart  func(int32) P
}

// fillTP appends an entry made by a.newPart for every wanted (topic, partition) the response
// does not answer. The common case, a response in request order, costs no allocation.
func fillTP[T, P any](topics *[]T, want iter.Seq2[string, int32], a tpAccess[T, P]) {
	if tpInOrder(*topics, want, a) {
		return
	}
	idx := make(map[string]int, len(*topics))
	have := map[tpKey]struct{}{}
	for i := range *topics {
		t := &(*topics)[i]
		name := a.topic(t)
		if _, ok := idx[name]; !ok {
			idx[name] = i
		}
		ps := *a.parts(t)
		for j := range ps {
			have[tpKey{name, a.part(&ps[j])}] = struct{}{}
		}
	}
	for name, p := range want {
		k := tpKey{name, p}
		if _, ok := have[k]; ok {
			continue
		}
		have[k] = struct{}{}
		i, ok := idx[name]
		if !ok {
			*topics = append(*topics, a.newTopic(name))
			i = len(*topics) - 1
			idx[name] = i
		}
		ps := a.parts(&(*topics)[i])
		*ps = append(*ps, a.newPart(p))
	}
}

func tpInOrder[T, P any](topics []T, want iter.Seq2[string, int32], a tpAccess[T, P]) bool {
	ti, pi := 0, 0
	for name, p := range want {
		for ti < len(topics) && pi >= len(*a.parts(&topics[ti])) {
			ti, pi = ti+1, 0
		}
		if ti >= len(topics) || a.topic(&topics[ti]) != name {
			return false
		}
		if a.part(&(*a.parts(&topics[ti]))[pi]) != p {
			return false
		}
		pi++
	}
	return true
}

// fillNamed appends newItem(name) for every wanted name the response lacks (groups, topics
// without partitions, config resources).
func fillNamed[T any](items *[]T, want iter.Seq[string], name func(*T) string, newItem func(string) T) {
	have := make(map[string]struct{}, len(*items))
	for i := range *items {
		have[name(&(*items)[i])] = struct{}{}
	}
	for n := range want {
		if _, ok := have[n]; ok {
			continue
		}
		have[n] = struct{}{}
		*items = append(*items, newItem(n))
	}
}

// orUnknown is the code for entries the service left out: the response's own top-level error
// when it has one (the service failed the whole request), otherwise UNKNOWN_SERVER_ERROR.
func orUnknown(top int16) int16 {
	if top != 0 {
		return top
	}
	return kerr.UnknownServerError.Code
}

// duplicates returns the names that occur more than once, or nil.
func duplicates[K comparable](names iter.Seq[K]) map[K]bool {
	var seen, dup map[K]bool
	for n := range names {
		if seen == nil {
			seen = map[K]bool{}
		}
		if seen[n] {
			if dup == nil {
				dup = map[K]bool{}
			}
			dup[n] = true
		}
		seen[n] = true
	}
	return dup
}

func strPtr(s string) *string { return &s }
