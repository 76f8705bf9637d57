package broker

import (
	"context"

	"github.com/kafka-classic/kafka-classic/config"
	"github.com/rs/zerolog"
)

// Run starts a broker from cfg and serves until ctx is cancelled (SIGTERM/SIGINT in
// kafka-server-start), then shuts down cleanly. It returns a non-nil error when start-up fails
// (cluster id mismatch, broker id in use, ZooKeeper unreachable...).
func Run(ctx context.Context, cfg *config.Broker, log zerolog.Logger) error {
	s := NewServer(cfg, log)
	if err := s.Startup(); err != nil {
		s.log.Error().Msgf("[KafkaServer id=%d] Fatal error during KafkaServer startup. Prepare to shutdown: %v", cfg.BrokerID, err)
		s.Shutdown()
		return err
	}
	<-ctx.Done()
	s.Shutdown()
	return nil
}
