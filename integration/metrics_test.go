package integration

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestPrometheusMetrics scrapes the broker's Prometheus endpoint: the series named after
// Kafka's MBeans report what the broker really did.
func TestPrometheusMetrics(t *testing.T) {
	z := StartZooKeeper(t)
	addr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	b := StartBroker(t, z, 0, map[string]string{"kafka.metrics.prometheus.listen": addr})
	cl := Client(t, b)
	createTopic(t, b, "metered", 2, nil)
	for i := 0; i < 10; i++ {
		if err := cl.ProduceSync(Ctx(t, 30*time.Second), &kgo.Record{Topic: "metered", Partition: int32(i % 2), Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	scrape := func() string {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	want := []string{
		`kafka_controller_kafkacontroller_activecontrollercount{broker="0"} 1`,
		`kafka_controller_kafkacontroller_offlinepartitionscount{broker="0"} 0`,
		`kafka_controller_kafkacontroller_globaltopiccount{broker="0"} 1`,
		`kafka_controller_kafkacontroller_globalpartitioncount{broker="0"} 2`,
		`kafka_server_brokertopicmetrics_messagesin_total{broker="0"} 10`,
		`kafka_server_replicamanager_leadercount{broker="0"} 2`,
		`kafka_server_replicamanager_underreplicatedpartitions{broker="0"} 0`,
		`kafka_network_requestmetrics_requests_total{broker="0",request="Produce"} 10`,
	}
	WaitFor(t, 15*time.Second, func() (bool, string) {
		body := scrape()
		for _, w := range want {
			if !strings.Contains(body, w+"\n") {
				return false, fmt.Sprintf("missing %q in:\n%s", w, grepKafka(body))
			}
		}
		return true, ""
	})
}

func grepKafka(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "kafka_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
