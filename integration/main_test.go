package integration

import (
	"fmt"
	"os"
	"testing"
)

// TestMain owns the per-run scratch directory; the binary is built lazily, once, by the
// first test that needs it, so the harness self-tests run even while cmd/kafka is unbuildable.
func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	teardown()
	os.Exit(code)
}
