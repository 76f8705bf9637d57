package broker

import (
	"errors"
	"net"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

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

// registerGauges adds the gauges that read live broker state.
func (s *Server) registerGauges() {
	labels := prometheus.Labels{"broker": strconv.Itoa(int(s.cfg.BrokerID))}
	s.metrics.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kafka_controller_kafkacontroller_activecontrollercount",
			Help: "1 when this broker is the active controller (ActiveControllerCount).", ConstLabels: labels},
			func() float64 {
				if s.ctrl != nil && s.ctrl.IsActive() {
					return 1
				}
				return 0
			}),
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
