package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafka-classic/kafka-classic/broker/controller"
	"github.com/kafka-classic/kafka-classic/config"
	"github.com/kafka-classic/kafka-classic/coordinator"
	"github.com/kafka-classic/kafka-classic/logstore"
	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/kafka-classic/kafka-classic/zkmeta"
	"github.com/rs/zerolog"
)

var (
	// ErrInconsistentClusterID is fatal at start-up: the log dirs belong to another cluster.
	ErrInconsistentClusterID = errors.New("broker: inconsistent cluster id")
	// ErrInconsistentBrokerID is fatal at start-up: the log dirs belong to another broker id.
	ErrInconsistentBrokerID = errors.New("broker: inconsistent broker id")
)

// Server is one running broker (Kafka's KafkaServer).
type Server struct {
	cfg *config.Broker
	log zerolog.Logger

	zk          *zkmeta.Client
	clusterID   string
	brokerEpoch atomic.Int64
	logs        *logstore.Manager
	net         *protocol.Server
	cache       *MetadataCache
	replicas    *ReplicaManager
	fetchers    *replicaFetcherManager
	ctrl        *controller.Controller
	groups      *coordinator.Coordinator
	pids        *producerIDManager
	topicCfg    topicConfigs
	// ctrlStarted: the broker registered and its controller runs; only then does shutdown
	// involve the cluster (a broker that failed to start must not ask for a controlled
	// shutdown on behalf of another broker with its id).
	ctrlStarted bool
	isrChanges  isrChangeSet
	metrics     *metrics
	advertised  []zkmeta.Endpoint

	mdMu      sync.Mutex
	mdChanged chan struct{}

	bgCtx    context.Context
	bgCancel context.CancelFunc
	bgWG     sync.WaitGroup
}

// NewServer prepares a broker; Startup brings it up.
func NewServer(cfg *config.Broker, log zerolog.Logger) *Server {
	s := &Server{
		cfg:       cfg,
		log:       log.With().Str(LoggerField, "kafka.server.KafkaServer").Logger(),
		cache:     newMetadataCache(),
		mdChanged: make(chan struct{}),
		metrics:   newMetrics(cfg.BrokerID),
	}
	s.topicCfg.overrides = map[string]map[string]string{}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	return s
}

func (s *Server) prefix() string { return fmt.Sprintf("[KafkaServer id=%d] ", s.cfg.BrokerID) }

// metadataChanged returns a channel closed at the next metadata cache update.
func (s *Server) metadataChanged() <-chan struct{} {
	s.mdMu.Lock()
	defer s.mdMu.Unlock()
	return s.mdChanged
}

func (s *Server) notifyMetadata() {
	s.mdMu.Lock()
	close(s.mdChanged)
	s.mdChanged = make(chan struct{})
	s.mdMu.Unlock()
}

// Startup follows KafkaServer.startup against ZooKeeper (reference §1.2).
func (s *Server) Startup() error {
	s.log.Info().Msg(s.prefix() + "starting")
	s.log.Info().Msgf("%sConnecting to zookeeper on %s", s.prefix(), s.cfg.ZkConnect)
	zk, err := zkmeta.Connect(s.cfg.ZkConnect, s.cfg.ZkSessionTimeout, s.cfg.ZkConnectionTimeout,
		s.log.With().Str(LoggerField, "kafka.zookeeper.ZooKeeperClient").Logger())
	if err != nil {
		return fmt.Errorf("connecting to ZooKeeper at %s: %w", s.cfg.ZkConnect, err)
	}
	s.zk = zk
	if err := zk.EnsurePersistentPaths(); err != nil {
		return fmt.Errorf("creating persistent ZooKeeper paths: %w", err)
	}
	if s.clusterID, err = zk.GetOrCreateClusterID(); err != nil {
		return fmt.Errorf("reading /cluster/id: %w", err)
	}
	s.log.Info().Msgf("Cluster ID = %s", s.clusterID)

	s.logs, err = logstore.OpenManager(logstore.ManagerOptions{
		Dirs:                            s.cfg.LogDirs,
		Defaults:                        s.cfg.Log,
		RecoveryThreads:                 s.cfg.NumRecoveryThreadsPerDataDir,
		RetentionCheckInterval:          s.cfg.LogRetentionCheckInterval,
		RecoveryCheckpointInterval:      s.cfg.LogFlushOffsetCheckpointInterval,
		StartOffsetCheckpointInterval:   s.cfg.LogFlushStartOffsetCheckpointInterval,
		HighWatermarkCheckpointInterval: s.cfg.ReplicaHighWatermarkCheckpointInterval,
		FlushSchedulerInterval:          s.cfg.LogFlushSchedulerInterval,
		DisableCleaner:                  !s.cfg.LogCleanerEnable,
		CleanerBackoff:                  s.cfg.LogCleanerBackoff,
		CleanerDedupeBufferSize:         s.cfg.LogCleanerDedupeBufferSize,
		Logger:                          s.log.With().Str(LoggerField, "kafka.log.LogManager").Logger(),
	})
	if err != nil {
		return fmt.Errorf("loading logs: %w", err)
	}
	if err := s.checkMetaProperties(); err != nil {
		return err
	}

	s.replicas = newReplicaManager(s.cfg.BrokerID, s.logs, s.log)
	s.fetchers = newReplicaFetcherManager(s)
	for _, lg := range s.logs.Logs() {
		lg.SetConfig(s.topicLogConfig(lg.TopicPartition().Topic))
	}
	s.logs.StartBackground()

	// Everything a request handler reaches must exist before the listener accepts requests.
	s.pids = newProducerIDManager(s.cfg.BrokerID, s.zk, s.log)
	if err := s.pids.claimBlock(); err != nil {
		return fmt.Errorf("claiming a producer id block: %w", err)
	}
	s.startGroupCoordinator()
	s.newController()

	s.net = protocol.NewServer(protocol.ServerConfig{
		Listeners:       s.cfg.Listeners,
		MaxRequestBytes: s.cfg.SocketRequestMaxBytes,
		IdleTimeout:     s.cfg.ConnectionsMaxIdle,
	}, s, s.log.With().Str(LoggerField, "kafka.network.SocketServer").Logger())
	if err := s.net.Start(); err != nil {
		return fmt.Errorf("binding listeners: %w", err)
	}
	s.advertised = s.advertisedEndpoints()

	if err := s.register(); err != nil {
		return err
	}
	if err := s.logs.WriteMeta(logstore.MetaProperties{Version: 0, BrokerID: s.cfg.BrokerID, ClusterID: s.clusterID}); err != nil {
		return fmt.Errorf("writing meta.properties: %w", err)
	}

	s.ctrl.Start()
	s.ctrlStarted = true

	s.bgWG.Add(3)
	go func() {
		defer s.bgWG.Done()
		s.runIsrMaintenance()
	}()
	go func() {
		defer s.bgWG.Done()
		if err := s.zk.WatchConfigChanges(s.bgCtx, s.onConfigChange); err != nil && s.bgCtx.Err() == nil {
			s.log.Error().Err(err).Msg("Dynamic config change watcher stopped")
		}
	}()
	go func() {
		defer s.bgWG.Done()
		s.watchSession()
	}()
	s.startMetricsServer()
	s.log.Info().Msg(s.prefix() + "started")
	return nil
}

// checkMetaProperties enforces that the log dirs belong to this cluster and broker id.
func (s *Server) checkMetaProperties() error {
	for _, dir := range s.cfg.LogDirs {
		meta, ok, err := s.logs.ReadMeta(dir)
		if err != nil {
			return fmt.Errorf("reading meta.properties in %s: %w", dir, err)
		}
		if !ok {
			continue
		}
		if meta.ClusterID != "" && meta.ClusterID != s.clusterID {
			return fmt.Errorf("%w: The Cluster ID %s doesn't match stored clusterId Some(%s) in meta.properties. The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong.",
				ErrInconsistentClusterID, s.clusterID, meta.ClusterID)
		}
		if s.cfg.BrokerID >= 0 && meta.BrokerID != s.cfg.BrokerID {
			return fmt.Errorf("%w: Configured broker.id %d doesn't match stored broker.id %d in meta.properties. If you moved your data, make sure your configured broker.id matches. If you intend to create a new broker, you should remove all data in your data directories (log.dirs).",
				ErrInconsistentBrokerID, s.cfg.BrokerID, meta.BrokerID)
		}
		if s.cfg.BrokerID < 0 {
			s.cfg.BrokerID = meta.BrokerID
		}
	}
	if s.cfg.BrokerID < 0 {
		id, err := s.generateBrokerID()
		if err != nil {
			return err
		}
		s.cfg.BrokerID = id
	}
	return nil
}

// generateBrokerID takes the next sequence number from /brokers/seqid's data version.
func (s *Server) generateBrokerID() (int32, error) {
	st, err := s.zk.Set("/brokers/seqid", nil, -1)
	if err != nil {
		return -1, fmt.Errorf("generating a broker id from /brokers/seqid: %w", err)
	}
	return st.Version + 1000, nil
}

// advertisedEndpoints resolves empty hosts to the host name and port 0 to the bound port.
func (s *Server) advertisedEndpoints() []zkmeta.Endpoint {
	bound := s.net.BoundAddrs()
	var out []zkmeta.Endpoint
	for _, l := range s.cfg.AdvertisedListeners {
		host, port := l.Host, l.Port
		if b, ok := bound[l.Name]; ok && port == 0 {
			if _, p, err := net.SplitHostPort(b); err == nil {
				port, _ = strconv.Atoi(p)
			}
		}
		if host == "" {
			host = canonicalHostName()
		}
		proto := s.cfg.ListenerSecurityProtocolMap[l.Name]
		if proto == "" {
			proto = l.Name
		}
		out = append(out, zkmeta.Endpoint{Listener: l.Name, Host: host, Port: port, SecurityProtocol: proto})
	}
	return out
}

func canonicalHostName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	if addrs, err := net.LookupHost(h); err != nil || len(addrs) == 0 {
		return "localhost"
	}
	return h
}

// register writes the ephemeral /brokers/ids/<id> znode; its czxid is the broker epoch.
func (s *Server) register() error {
	info := zkmeta.BrokerInfo{ID: s.cfg.BrokerID, Endpoints: s.advertised, Rack: s.cfg.BrokerRack, JmxPort: -1, Timestamp: time.Now().UnixMilli()}
	epoch, err := s.zk.RegisterBroker(info)
	if err != nil {
		return fmt.Errorf("registering broker %d in ZooKeeper: %w", s.cfg.BrokerID, err)
	}
	s.brokerEpoch.Store(epoch)
	return nil
}

// watchSession re-registers the broker and re-runs the election after a ZooKeeper session
// expires (KafkaServer's session expiration handler).
func (s *Server) watchSession() {
	for {
		select {
		case <-s.bgCtx.Done():
			return
		case ev, ok := <-s.zk.SessionEvents():
			if !ok {
				return
			}
			if ev == zkmeta.SessionExpired && s.ctrl != nil {
				s.ctrl.OnSessionExpired()
			}
			if ev != zkmeta.SessionExpiredAndReconnected {
				continue
			}
			s.log.Info().Msg("ZooKeeper session expired; re-registering broker and re-electing controller")
			if err := s.register(); err != nil {
				s.log.Error().Err(err).Msg("Re-registration after session expiry failed")
			}
			if s.ctrl != nil {
				s.ctrl.OnSessionReestablished()
			}
		}
	}
}

// Shutdown stops the broker cleanly (KafkaServer.shutdown): controlled shutdown first, then
// the network, replication, coordinators, controller, and finally a clean log shutdown.
func (s *Server) Shutdown() {
	s.log.Info().Msg(s.prefix() + "shutting down")
	if s.cfg.ControlledShutdownEnable && s.ctrlStarted {
		s.controlledShutdown()
	}
	s.bgCancel()
	if s.net != nil {
		_ = s.net.Close()
	}
	if s.fetchers != nil {
		s.fetchers.shutdown()
	}
	if s.groups != nil {
		s.groups.Close()
	}
	if s.ctrlStarted {
		s.ctrl.Shutdown()
	}
	s.stopMetricsServer()
	if s.logs != nil {
		if err := s.logs.Close(); err != nil {
			s.log.Error().Err(err).Msg("Error during log manager shutdown")
		}
	}
	if s.zk != nil {
		s.zk.Close()
	}
	s.bgWG.Wait()
	s.log.Info().Msg(s.prefix() + "shut down completed")
}
