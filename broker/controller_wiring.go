package broker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kafka-classic/kafka-classic/broker/controller"
	"github.com/kafka-classic/kafka-classic/protocol"
	"github.com/kafka-classic/kafka-classic/zkmeta"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// interBrokerClients keeps one Kafka-protocol connection per target address for the
// controller's channel manager and the controlled-shutdown client.
type interBrokerClients struct {
	clientID string
	listener string
	timeout  time.Duration

	mu      sync.Mutex
	clients map[string]*protocol.Client
}

func (c *interBrokerClients) addr(b zkmeta.BrokerInfo) (string, error) {
	for _, ep := range b.Endpoints {
		if ep.Listener == c.listener {
			return fmt.Sprintf("%s:%d", ep.Host, ep.Port), nil
		}
	}
	return "", fmt.Errorf("broker %d has no endpoint for listener %s", b.ID, c.listener)
}

// Send implements controller.Sender.
func (c *interBrokerClients) Send(ctx context.Context, b zkmeta.BrokerInfo, req kmsg.Request) (kmsg.Response, error) {
	addr, err := c.addr(b)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	cl := c.clients[addr]
	c.mu.Unlock()
	if cl == nil {
		dctx, cancel := context.WithTimeout(ctx, c.timeout)
		cl, err = protocol.Dial(dctx, addr, c.clientID)
		cancel()
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if old := c.clients[addr]; old != nil {
			_ = old.Close()
		}
		c.clients[addr] = cl
		c.mu.Unlock()
	}
	resp, err := cl.Request(ctx, req)
	if err != nil {
		c.mu.Lock()
		if c.clients[addr] == cl {
			delete(c.clients, addr)
		}
		c.mu.Unlock()
		_ = cl.Close()
	}
	return resp, err
}

func (c *interBrokerClients) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, cl := range c.clients {
		_ = cl.Close()
		delete(c.clients, k)
	}
}

// newController builds the controller module; Startup starts it once the broker is registered.
func (s *Server) newController() {
	sender := &interBrokerClients{
		clientID: fmt.Sprintf("controller-%d", s.cfg.BrokerID),
		listener: s.cfg.InterBrokerListenerName,
		timeout:  s.cfg.ControllerSocketTimeout,
		clients:  map[string]*protocol.Client{},
	}
	s.ctrl = controller.New(controller.Config{
		BrokerID:                     s.cfg.BrokerID,
		BrokerEpoch:                  s.brokerEpoch.Load,
		InterBrokerListener:          s.cfg.InterBrokerListenerName,
		DeleteTopicEnable:            s.cfg.DeleteTopicEnable,
		UncleanLeaderElectionEnable:  s.cfg.UncleanLeaderElectionEnable,
		AutoLeaderRebalanceEnable:    s.cfg.AutoLeaderRebalanceEnable,
		LeaderImbalanceCheckInterval: s.cfg.LeaderImbalanceCheckInterval,
		SocketTimeout:                s.cfg.ControllerSocketTimeout,
	}, s.zk, sender, s.log.With().Str(LoggerField, "kafka.controller.KafkaController").Logger())
}

// controlledShutdown asks the active controller to move leadership off this broker before it
// stops (KafkaServer.controlledShutdown), retrying while partitions remain.
func (s *Server) controlledShutdown() {
	s.log.Info().Msg(s.prefix() + "Starting controlled shutdown")
	clients := &interBrokerClients{clientID: fmt.Sprintf("%d", s.cfg.BrokerID), listener: s.cfg.InterBrokerListenerName,
		timeout: s.cfg.ControllerSocketTimeout, clients: map[string]*protocol.Client{}}
	defer clients.closeAll()
	retries := int(s.cfg.ControlledShutdownMaxRetries)
	if retries < 1 {
		retries = 1
	}
	for attempt := 1; attempt <= retries; attempt++ {
		id, err := s.zk.GetControllerID()
		if err == nil && id >= 0 {
			var b zkmeta.BrokerInfo
			if b, err = s.zk.GetBroker(id); err == nil {
				req := kmsg.NewPtrControlledShutdownRequest()
				req.Version = 3
				req.BrokerID, req.BrokerEpoch = s.cfg.BrokerID, s.brokerEpoch.Load()
				ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ControllerSocketTimeout)
				var resp kmsg.Response
				resp, err = clients.Send(ctx, b, req)
				cancel()
				if err == nil {
					r := resp.(*kmsg.ControlledShutdownResponse)
					if r.ErrorCode == 0 && len(r.PartitionsRemaining) == 0 {
						s.log.Info().Msg(s.prefix() + "Controlled shutdown request returned successfully after " + fmt.Sprint(attempt) + " attempt(s)")
						return
					}
					err = kerr.ErrorForCode(r.ErrorCode)
					if err == nil {
						err = fmt.Errorf("%d partitions remaining", len(r.PartitionsRemaining))
					}
				}
			}
		}
		s.log.Warn().Msgf("%sRetrying controlled shutdown after the previous attempt failed... (%v)", s.prefix(), err)
		if attempt < retries {
			time.Sleep(s.cfg.ControlledShutdownRetryBackoff)
		}
	}
	s.log.Warn().Msg(s.prefix() + "Proceeding to do an unclean shutdown as all the controlled shutdown attempts failed")
}
