package protocol

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// handlerFunc serves one decoded request. A nil response with a nil error means "send nothing"
// (acks=0 produce); a non-nil error closes the connection, as KafkaApis does for requests it
// cannot make sense of. Protocol-level failures belong in the response's error codes instead.
type handlerFunc func(ctx context.Context, svc Services, rc *RequestContext, req kmsg.Request) (kmsg.Response, error)

// handler is one API key's registration: the version range we advertise in ApiVersions and serve.
type handler struct {
	Key        int16
	MinVersion int16
	MaxVersion int16
	Func       handlerFunc

	// BorrowsBytes declares that Services never keep the request's byte fields (record batches)
	// past the call, so the connection may reuse its read buffer. Without it, a request type that
	// has []byte fields gets a fresh buffer, because kmsg.ReadFrom aliases bytes into the frame.
	BorrowsBytes bool

	aliases bool // decoded request may hold slices of the frame (computed at registration)
}

var (
	registryMu sync.RWMutex
	registry   = map[int16]*handler{}
)

// register is called from each handler file's init. Double registration or a range kmsg cannot
// decode is a programming error, caught when the package loads.
func register(h handler) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[h.Key]; dup {
		panic(fmt.Sprintf("protocol: API key %d registered twice", h.Key))
	}
	req := kmsg.RequestForKey(h.Key)
	if req == nil || h.MinVersion < 0 || h.MaxVersion < h.MinVersion || h.MaxVersion > req.MaxVersion() || h.Func == nil {
		panic(fmt.Sprintf("protocol: invalid registration for API key %d (v%d-%d)", h.Key, h.MinVersion, h.MaxVersion))
	}
	h.aliases = !h.BorrowsBytes && hasByteSlices(reflect.TypeOf(req).Elem(), map[reflect.Type]bool{})
	registry[h.Key] = &h
	apiKeysCache = nil
}

// hasByteSlices reports whether a decoded value of t can hold []byte fields. kmsg.Tags (unknown
// tagged fields) also alias the frame, but nothing in the broker keeps them.
func hasByteSlices(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return true
		}
		return hasByteSlices(t.Elem(), seen)
	case reflect.Ptr, reflect.Array:
		return hasByteSlices(t.Elem(), seen)
	case reflect.Struct:
		if t == reflect.TypeOf(kmsg.Tags{}) {
			return false
		}
		for i := 0; i < t.NumField(); i++ {
			if hasByteSlices(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

func lookup(key int16) (*handler, bool) {
	registryMu.RLock()
	h, ok := registry[key]
	registryMu.RUnlock()
	return h, ok
}

var apiKeysCache []kmsg.ApiVersionsResponseApiKey // guarded by registryMu

// SupportedAPIs is what ApiVersions advertises: every registered key with its range, sorted by
// key. The slice is a copy.
func SupportedAPIs() []kmsg.ApiVersionsResponseApiKey {
	registryMu.RLock()
	cached := apiKeysCache
	registryMu.RUnlock()
	if cached == nil {
		registryMu.Lock()
		if apiKeysCache == nil {
			keys := make([]kmsg.ApiVersionsResponseApiKey, 0, len(registry))
			for _, h := range registry {
				k := kmsg.NewApiVersionsResponseApiKey()
				k.ApiKey, k.MinVersion, k.MaxVersion = h.Key, h.MinVersion, h.MaxVersion
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool { return keys[i].ApiKey < keys[j].ApiKey })
			apiKeysCache = keys
		}
		cached = apiKeysCache
		registryMu.Unlock()
	}
	return append([]kmsg.ApiVersionsResponseApiKey(nil), cached...)
}

// MaxVersion is the highest version we serve for key (false when the key is not implemented).
// The inter-broker Client uses it as the default request version.
func MaxVersion(key int16) (int16, bool) {
	h, ok := lookup(key)
	if !ok {
		return -1, false
	}
	return h.MaxVersion, true
}
