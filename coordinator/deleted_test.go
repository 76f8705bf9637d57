package coordinator

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Offsets of deleted partitions leave every group with tombstones; a standalone group left
// with nothing turns Dead (and, never having had a generation, gets no metadata tombstone);
// an active group keeps its other offsets and its members.
func TestHandleDeletedPartitions(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 2)
	for _, c := range []struct {
		topic string
		p     int32
	}{{"gone", 0}, {"gone", 1}, {"kept", 0}} {
		if code := h.commit("g", ids[0], gen, c.topic, c.p, 5, ""); code != 0 {
			t.Fatalf("commit %s-%d: %d", c.topic, c.p, code)
		}
	}
	if code := h.commit("solo", "", -1, "gone", 1, 9, ""); code != 0 {
		t.Fatalf("standalone commit: %d", code)
	}
	before := len(h.store.records(0))

	if n := h.c.HandleDeletedPartitions(map[string][]int32{"gone": {0, 1, 2}}); n != 3 {
		t.Fatalf("removed %d offsets, want 3", n)
	}
	if code, got := h.fetch("g", nil); code != 0 || fmt.Sprint(got) != "[kept-0=5]" {
		t.Fatalf("g's offsets after the deletion: %d %v", code, got)
	}
	if code, got := h.fetch("solo", nil); code != 0 || len(got) != 0 {
		t.Fatalf("solo's offsets after the deletion: %d %v", code, got)
	}
	d := h.c.DescribeGroups(context.Background(), &kmsg.DescribeGroupsRequest{Version: 5, Groups: []string{"g", "solo"}})
	if d.Groups[0].State != "Stable" || len(d.Groups[0].Members) != 2 || d.Groups[1].State != "Dead" {
		t.Fatalf("after the deletion: g %s/%d members, solo %s", d.Groups[0].State, len(d.Groups[0].Members), d.Groups[1].State)
	}
	var tomb []string
	for _, r := range h.store.records(0)[before:] {
		if r.Value != nil {
			t.Errorf("non-tombstone written: %s", DescribeRecord(r.Key, r.Value))
		}
		k, err := DecodeKey(r.Key)
		if err != nil {
			t.Fatal(err)
		}
		tomb = append(tomb, fmt.Sprintf("%s/%s-%d/v%d", k.Group, k.Topic, k.Partition, k.Version))
	}
	if got := strings.Join(tomb, " "); !strings.Contains(got, "g/gone-0/v1") || !strings.Contains(got, "g/gone-1/v1") ||
		!strings.Contains(got, "solo/gone-1/v1") || len(tomb) != 3 {
		t.Fatalf("tombstones %v", tomb)
	}
	if !strings.Contains(h.logs.String(), "Removed 3 offsets associated with deleted partitions: gone-0, gone-1, gone-2.") ||
		!strings.Contains(h.logs.String(), "Group solo transitioned to Dead in generation 0") {
		t.Fatalf("log lacks the deletion lines:\n%s", h.logs.String())
	}
	// Nothing deleted: nothing written.
	n := len(h.store.records(0))
	if h.c.HandleDeletedPartitions(map[string][]int32{"never": {0}}) != 0 || len(h.store.records(0)) != n {
		t.Fatal("a deletion of unknown partitions wrote records")
	}
}
