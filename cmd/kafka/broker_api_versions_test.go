package main

import (
	"strings"
	"testing"
)

func TestFormatNodeAPIVersions(t *testing.T) {
	got := formatNodeAPIVersions([]apiRange{{18, 0, 3}, {0, 0, 9}, {47, 0, 0}, {1, 0, 13}, {99, 0, 1}})
	lines := strings.Split(got, "\n")
	if lines[0] != "(" || lines[len(lines)-1] != ")" {
		t.Fatalf("frame: %q", got)
	}
	for _, want := range []string{
		"\tProduce(0): 0 to 9 [usable: 9],",
		"\tFetch(1): 0 to 13 [usable: 12],",
		"\tMetadata(3): UNSUPPORTED,",
		"\tApiVersions(18): 0 to 3 [usable: 3],",
		"\tOffsetDelete(47): 0 [usable: 0],",
		"\tDescribeProducers(61): UNSUPPORTED,",
		"\tUNKNOWN(99): 0 to 1",
	} {
		if !strings.Contains(got+",", want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "Vote(52)") || strings.Contains(got, "Envelope(58)") {
		t.Errorf("controller-only APIs listed:\n%s", got)
	}
	if lines[len(lines)-2] != "\tUNKNOWN(99): 0 to 1" {
		t.Errorf("last entry %q", lines[len(lines)-2])
	}
}
