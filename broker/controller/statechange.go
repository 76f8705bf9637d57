package controller

import (
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/kafka-classic/kafka-classic/zkmeta"
)

// stateChange writes one line to the state-change log with Kafka's StateChangeLogger prefix.
func (c *Controller) stateChange(level zerolog.Level, format string, args ...interface{}) {
	e := c.scl.WithLevel(level)
	if e == nil {
		return
	}
	e.Msg(fmt.Sprintf("[Controller id=%d epoch=%d] ", c.cfg.BrokerID, c.ctx.epoch) + fmt.Sprintf(format, args...))
}

// scalaList renders ids the way Scala prints a List: List(0, 1, 2).
func scalaList(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return "List(" + strings.Join(s, ", ") + ")"
}

// leaderAndIsrString is Kafka's LeaderAndIsr.toString.
func leaderAndIsrString(li zkmeta.LeaderIsr) string {
	return fmt.Sprintf("LeaderAndIsr(leader=%d, leaderEpoch=%d, isr=%s, zkVersion=%d)",
		li.Leader, li.LeaderEpoch, scalaList(li.ISR), li.ZkVersion)
}

// leaderIsrAndEpochString is Kafka's LeaderIsrAndControllerEpoch.toString.
func leaderIsrAndEpochString(li zkmeta.LeaderIsr) string {
	return fmt.Sprintf("(Leader:%d,ISR:%s,LeaderEpoch:%d,ControllerEpoch:%d)",
		li.Leader, joinIDs(li.ISR), li.LeaderEpoch, li.ControllerEpoch)
}
