package main

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestLogDirsJSON(t *testing.T) {
	resp := kmsg.NewPtrDescribeLogDirsResponse()
	d := kmsg.NewDescribeLogDirsResponseDir()
	d.Dir = "/tmp/kafka-logs"
	for _, name := range []string{"orders", "other"} {
		tp := kmsg.NewDescribeLogDirsResponseDirTopic()
		tp.Topic = name
		for _, p := range []int32{1, 0} {
			pp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
			pp.Partition, pp.Size = p, int64(100+p)
			tp.Partitions = append(tp.Partitions, pp)
		}
		d.Topics = append(d.Topics, tp)
	}
	bad := kmsg.NewDescribeLogDirsResponseDir()
	bad.Dir, bad.ErrorCode = "/bad", 57
	resp.Dirs = append(resp.Dirs, d, bad)
	got := formatLogDirsJSON([]int32{0}, map[int32]*kmsg.DescribeLogDirsResponse{0: resp}, map[string]bool{"orders": true})
	want := `{"version":1,"brokers":[{"broker":0,"logDirs":[{"logDir":"/tmp/kafka-logs","error":null,"partitions":[{"partition":"orders-0","size":100,"offsetLag":0,"isFuture":false},{"partition":"orders-1","size":101,"offsetLag":0,"isFuture":false}]},{"logDir":"/bad","error":"org.apache.kafka.common.errors.KafkaStorageException","partitions":[]}]}]}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
