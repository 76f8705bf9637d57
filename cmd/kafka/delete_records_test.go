package main

import (
	"reflect"
	"testing"
)

func TestParseOffsetJSON(t *testing.T) {
	got, err := parseOffsetJSON([]byte(`{"partitions":[{"topic":"foo","partition":1,"offset":5},{"topic":"foo","partition":0,"offset":-1}],"version":1}`))
	if err != nil || !reflect.DeepEqual(got, []deleteRecordsEntry{{tpKey{"foo", 1}, 5}, {tpKey{"foo", 0}, -1}}) {
		t.Errorf("%v %v", got, err)
	}
	for in, msg := range map[string]string{
		`nope`:                          "The input string is not a valid JSON",
		`{"version":2,"partitions":[]}`: "Not supported version field value 2",
		`{"version":1}`:                 "Missing partitions field",
	} {
		if _, err := parseOffsetJSON([]byte(in)); err == nil || err.Error() != msg {
			t.Errorf("%s: %v", in, err)
		}
	}
	_, errOut, code := runIn(t, "kafka-delete-records", "", "--bootstrap-server", "b:1")
	if code != 1 || firstLine(errOut) != `Missing required argument "[offset-json-file]"` {
		t.Errorf("%d %q", code, errOut)
	}
}
