package broker

import (
	"errors"
	"net"
	"net/http"
	"strconv"

	"github.com/kafka-classic/kafka-classic/broker/controller"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type controllerMetrics = controller.Metrics

// metrics carries the Prometheus series named after Kafka's MBeans
// (kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec and friends).
type metrics struct {
	reg        *prometheus.Registry
	messagesIn prometheus.Counter
	bytesIn    prometheus.Counter
	bytesOut   prometheus.Counter
	srv        *http.Server
}

func newMetrics(brokerID int32) *metrics {
	reg := prometheus.NewRegistry()
	labels := prometheus.Labels{"broker": strconv.Itoa(int(brokerID))}
	m := &metrics{
		reg: reg,
		messagesIn: prometheus.NewCounter(prometheus.CounterOpts{Name: "kafka_server_brokertopicmetrics_messagesin_total",
			Help: "Records appended by this broker as leader (MessagesInPerSec).", ConstLabels: labels}),
		bytesIn: prometheus.NewCounter(prometheus.CounterOpts{Name: "kafka_server_brokertopicmetrics_bytesin_total",
			Help: "Record bytes produced to this broker (BytesInPerSec).", ConstLabels: labels}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{Name: "kafka_server_brokertopicmetrics_bytesout_total",
			Help: "Record bytes fetched by consumers (BytesOutPerSec).", ConstLabels: labels}),
	}
	reg.MustRegister(m.messagesIn, m.bytesIn, m.bytesOut)
	return m
}

// liveCollector reads controller and socket-server state at scrape time, so the series stay
// true without the request paths updating anything.
type liveCollector struct {
	s       *Server
	labels  prometheus.Labels
	descs   map[string]*prometheus.Desc
	reqDesc *prometheus.Desc
}

// controllerGauges are KafkaController's gauges, named kafka.controller:type=KafkaController,name=X.
var controllerGauges = []struct {
	name, help string
	get        func(m controllerMetrics) int
}{
	{"activecontrollercount", "1 when this broker is the active controller (ActiveControllerCount).", func(m controllerMetrics) int { return m.ActiveControllerCount }},
	{"offlinepartitionscount", "Partitions without a live leader (OfflinePartitionsCount).", func(m controllerMetrics) int { return m.OfflinePartitionsCount }},
	{"preferredreplicaimbalancecount", "Partitions not led by their preferred replica (PreferredReplicaImbalanceCount).", func(m controllerMetrics) int { return m.PreferredReplicaImbalanceCount }},
	{"globaltopiccount", "Topics in the cluster (GlobalTopicCount).", func(m controllerMetrics) int { return m.GlobalTopicCount }},
	{"globalpartitioncount", "Partitions in the cluster (GlobalPartitionCount).", func(m controllerMetrics) int { return m.GlobalPartitionCount }},
	{"topicstodeletecount", "Topics queued for deletion (TopicsToDeleteCount).", func(m controllerMetrics) int { return m.TopicsToDeleteCount }},
}

func newLiveCollector(s *Server, labels prometheus.Labels) *liveCollector {
	c := &liveCollector{s: s, labels: labels, descs: map[string]*prometheus.Desc{}}
	for _, g := range controllerGauges {
		c.descs[g.name] = prometheus.NewDesc("kafka_controller_kafkacontroller_"+g.name, g.help, nil, labels)
	}
	c.reqDesc = prometheus.NewDesc("kafka_network_requestmetrics_requests_total",
		"Requests received, by API (RequestsPerSec).", []string{"request"}, labels)
	return c
}

func (c *liveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
	ch <- c.reqDesc
}

func (c *liveCollector) Collect(ch chan<- prometheus.Metric) {
	var m controllerMetrics
	if c.s.ctrl != nil {
		m = c.s.ctrl.Metrics()
	}
	for _, g := range controllerGauges {
		ch <- prometheus.MustNewConstMetric(c.descs[g.name], prometheus.GaugeValue, float64(g.get(m)))
	}
	if c.s.net != nil {
		for key, n := range c.s.net.RequestCounts() {
			ch <- prometheus.MustNewConstMetric(c.reqDesc, prometheus.CounterValue, float64(n), kmsg.NameForKey(key))
		}
	}
}

// registerGauges adds the series that read live broker state.
func (s *Server) registerGauges() {
	labels := prometheus.Labels{"broker": strconv.Itoa(int(s.cfg.BrokerID))}
	s.metrics.reg.MustRegister(
		newLiveCollector(s, labels),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kafka_server_replicamanager_partitioncount",
			Help: "Partitions hosted by this broker (PartitionCount).", ConstLabels: labels},
			func() float64 { return float64(len(s.replicas.allPartitions())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kafka_server_replicamanager_leadercount",
			Help: "Partitions this broker leads (LeaderCount).", ConstLabels: labels},
			func() float64 {
				return float64(s.countPartitions(func(p *Partition) bool { return p.isLeaderLocked() }))
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kafka_server_replicamanager_underreplicatedpartitions",
			Help: "Led partitions whose ISR is smaller than the replica set (UnderReplicatedPartitions).", ConstLabels: labels},
			func() float64 {
				return float64(s.countPartitions(func(p *Partition) bool { return p.isLeaderLocked() && len(p.isr) < len(p.replicas) }))
			}),
	)
}

func (s *Server) countPartitions(pred func(p *Partition) bool) int {
	n := 0
	for _, p := range s.replicas.allPartitions() {
		p.mu.RLock()
		if pred(p) {
			n++
		}
		p.mu.RUnlock()
	}
	return n
}

func (s *Server) startMetricsServer() {
	s.registerGauges()
	if s.cfg.MetricsListen == "" {
		return
	}
	ln, err := net.Listen("tcp", s.cfg.MetricsListen)
	if err != nil {
		s.log.Warn().Err(err).Msgf("Could not start the metrics endpoint on %s", s.cfg.MetricsListen)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	s.metrics.srv = &http.Server{Handler: mux}
	go func() {
		if err := s.metrics.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn().Err(err).Msg("metrics endpoint stopped")
		}
	}()
	s.log.Info().Msgf("Prometheus metrics served on http://%s/metrics", ln.Addr())
}

func (s *Server) stopMetricsServer() {
	if s.metrics.srv != nil {
		_ = s.metrics.srv.Close()
	}
}
