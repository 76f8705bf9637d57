package protocol

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

func TestRegistryMatchesKafka28(t *testing.T) {
	v28 := kversion.V2_8_0()
	apis := SupportedAPIs()
	if len(apis) != len(kafka28ZkAPIs) {
		t.Errorf("registered %d keys, want %d", len(apis), len(kafka28ZkAPIs))
	}
	for _, k := range apis {
		want, ok := v28.LookupMaxKeyVersion(k.ApiKey)
		if !ok {
			t.Errorf("key %d (%s) is not a Kafka 2.8 API", k.ApiKey, kmsg.NameForKey(k.ApiKey))
			continue
		}
		if k.MinVersion != 0 || k.MaxVersion != want {
			t.Errorf("key %d (%s): v%d-%d, Kafka 2.8 has v0-%d", k.ApiKey, kmsg.NameForKey(k.ApiKey), k.MinVersion, k.MaxVersion, want)
		}
		if got, _ := MaxVersion(k.ApiKey); got != k.MaxVersion {
			t.Errorf("MaxVersion(%d) = %d", k.ApiKey, got)
		}
	}
	if _, ok := MaxVersion(17); ok {
		t.Error("SaslHandshake is not implemented but MaxVersion knows it")
	}
}

func TestRegistryBufferAliasing(t *testing.T) {
	for key, want := range map[int16]bool{
		0:  false, // Produce borrows its record bytes
		1:  false, // Fetch requests have no byte fields
		3:  false,
		11: true, // JoinGroup protocol metadata is kept by the coordinator
		14: true, // SyncGroup assignments too
		18: false,
	} {
		h, ok := lookup(key)
		if !ok {
			t.Fatalf("key %d not registered", key)
		}
		if h.aliases != want {
			t.Errorf("key %d: aliases = %v, want %v", key, h.aliases, want)
		}
	}
}

func TestValidateProduceRecords(t *testing.T) {
	batch := oneBatch(0)
	two := append(append([]byte(nil), batch...), batch...)
	legacy := make([]byte, 12+14) // one v0 message entry
	legacy[11] = 14
	v1magic := append([]byte(nil), batch...)
	v1magic[16] = 1
	tests := []struct {
		name    string
		version int16
		recs    []byte
		code    int16
	}{
		{"one batch v9", 9, batch, 0},
		{"one batch v3", 3, batch, 0},
		{"null records v9", 9, nil, 87},
		{"two batches v9", 9, two, 87},
		{"legacy set v2", 2, legacy, 0},
		{"two legacy v2", 2, append(append([]byte(nil), legacy...), legacy...), 0},
		{"legacy magic v5", 5, v1magic, 87},
		{"partial header", 9, batch[:8], 2},
		{"truncated batch", 9, batch[:40], 2},
		{"trailing garbage", 9, append(append([]byte(nil), batch...), 1, 2, 3), 2},
		{"tiny size", 9, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3}, 2},
		{"negative size", 9, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, 2},
		{"zstd v6", 6, oneBatch(4), 76},
		{"zstd v7", 7, oneBatch(4), 0},
		{"lz4 v3", 3, oneBatch(3), 0},
		{"short v2 batch", 9, shortBatch(), 2},
	}
	for i, tt := range tests {
		code, _ := validateProduceRecords(tt.version, tt.recs)
		if code != tt.code {
			t.Errorf("#%d %s: code %d, want %d", i, tt.name, code, tt.code)
		}
	}
}

func shortBatch() []byte {
	b := make([]byte, 12+20)
	b[11] = 20
	b[16] = 2
	return b
}
