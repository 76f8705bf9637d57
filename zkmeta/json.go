package zkmeta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// jsonObj writes a JSON object with keys in the order they are added, so our
// znodes have one stable byte form (Kafka's own order is a hash-map artifact
// and readers must not depend on it).
type jsonObj struct {
	buf bytes.Buffer
	n   int
}

func newObj() *jsonObj {
	o := &jsonObj{}
	o.buf.WriteByte('{')
	return o
}

func (o *jsonObj) key(k string) {
	if o.n > 0 {
		o.buf.WriteByte(',')
	}
	o.n++
	o.buf.Write(jsonString(k))
	o.buf.WriteByte(':')
}

func (o *jsonObj) raw(k string, v []byte) *jsonObj { o.key(k); o.buf.Write(v); return o }
func (o *jsonObj) str(k, v string) *jsonObj        { o.key(k); o.buf.Write(jsonString(v)); return o }
func (o *jsonObj) num(k string, v int64) *jsonObj {
	o.key(k)
	o.buf.WriteString(strconv.FormatInt(v, 10))
	return o
}
func (o *jsonObj) null(k string) *jsonObj { o.key(k); o.buf.WriteString("null"); return o }

func (o *jsonObj) bytes() []byte {
	o.buf.WriteByte('}')
	return o.buf.Bytes()
}

// jsonString quotes like Jackson: no HTML escaping of <, >, &.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimRight(b.Bytes(), "\n")
}

func jsonInts(v []int32) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(x)))
	}
	b.WriteByte(']')
	return b.Bytes()
}

// jsonPartitionMap writes {"0":[..],"1":[..]} with partitions in numeric order.
func jsonPartitionMap(m map[int32][]int32) []byte {
	ps := make([]int32, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	o := newObj()
	for _, p := range ps {
		o.raw(strconv.Itoa(int(p)), jsonInts(m[p]))
	}
	return o.bytes()
}

// jsonStringMap writes a string->string object with sorted keys.
func jsonStringMap(m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := newObj()
	for _, k := range keys {
		o.str(k, m[k])
	}
	return o.bytes()
}

// flexInt64 accepts a JSON number or a decimal string: Kafka writes several
// numeric fields (timestamps, producer-id blocks) as strings.
type flexInt64 struct {
	V     int64
	Valid bool
}

func (f *flexInt64) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	f.V, f.Valid = v, true
	return nil
}

func decodeJSON(what string, data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%w: %s: empty", ErrBadData, what)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadData, what, err)
	}
	return nil
}

// partitionMapJSON decodes {"0":[1,2]} into map[int32][]int32.
type partitionMapJSON map[string][]int32

func (m partitionMapJSON) toMap() (map[int32][]int32, error) {
	out := make(map[int32][]int32, len(m))
	for k, v := range m {
		p, err := strconv.ParseInt(k, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("partition id %q: %v", k, err)
		}
		if v == nil {
			v = []int32{}
		}
		out[int32(p)] = v
	}
	return out, nil
}
