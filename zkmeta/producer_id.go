package zkmeta

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ProducerIDBlockSize is ProducerIdManager.PidBlockSize.
const ProducerIDBlockSize = 1000

// ProducerIDBlock is /latest_producer_id_block (§1.15); Start and End are
// inclusive and stored as JSON strings.
type ProducerIDBlock struct {
	BrokerID int32
	Start    int64
	End      int64
}

func (b ProducerIDBlock) Encode() []byte {
	return newObj().num("version", 1).num("broker", int64(b.BrokerID)).
		str("block_start", strconv.FormatInt(b.Start, 10)).
		str("block_end", strconv.FormatInt(b.End, 10)).bytes()
}

func DecodeProducerIDBlock(data []byte) (ProducerIDBlock, error) {
	var j struct {
		Broker int32     `json:"broker"`
		Start  flexInt64 `json:"block_start"`
		End    flexInt64 `json:"block_end"`
	}
	if err := decodeJSON(ProducerIDBlockPath, data, &j); err != nil {
		return ProducerIDBlock{}, err
	}
	if !j.Start.Valid || !j.End.Valid {
		return ProducerIDBlock{}, fmt.Errorf("%w: %s: missing block bounds", ErrBadData, ProducerIDBlockPath)
	}
	return ProducerIDBlock{BrokerID: j.Broker, Start: j.Start.V, End: j.End.V}, nil
}

// ClaimProducerIDBlock reserves the next block of 1000 producer ids for
// brokerID: read the node and its version, compute [prevEnd+1, prevEnd+1000]
// (or [0, 999] when the node holds no data), and write it with a
// conditional setData, retrying on a concurrent claim. A BADVERSION whose
// stored block equals ours is our own write whose response was lost.
func (c *Client) ClaimProducerIDBlock(brokerID int32) (start, end int64, err error) {
	for attempt := 0; attempt < 100; attempt++ {
		data, st, err := c.Get(ProducerIDBlockPath)
		if errors.Is(err, ErrNoNode) {
			if err := c.makeSurePersistentPathExists(ProducerIDBlockPath); err != nil {
				return 0, 0, err
			}
			continue
		}
		if err != nil {
			return 0, 0, err
		}
		next := ProducerIDBlock{BrokerID: brokerID, Start: 0, End: ProducerIDBlockSize - 1}
		if len(data) > 0 {
			cur, err := DecodeProducerIDBlock(data)
			if err != nil {
				return 0, 0, err
			}
			if cur.End > math.MaxInt64-ProducerIDBlockSize {
				c.log.Error().Msgf("Exhausted all producerIds as the next block's end producerId is will has exceeded long type limit (current block end producerId is %d)", cur.End)
				return 0, 0, kerr(ErrProducerIDsExhausted, "Have exhausted all producerIds.")
			}
			next.Start, next.End = cur.End+1, cur.End+ProducerIDBlockSize
		}
		_, err = c.Set(ProducerIDBlockPath, next.Encode(), st.Version)
		if err == nil {
			c.log.Info().Msgf("Acquired new producerId block (brokerId:%d,blockStartProducerId:%d,blockEndProducerId:%d) by writing to Zk with path version %d",
				brokerID, next.Start, next.End, st.Version+1)
			return next.Start, next.End, nil
		}
		if !errors.Is(err, ErrBadVersion) {
			return 0, 0, err
		}
		if cur, _, gerr := c.Get(ProducerIDBlockPath); gerr == nil && len(cur) > 0 {
			if b, derr := DecodeProducerIDBlock(cur); derr == nil && b == next {
				return next.Start, next.End, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("zkmeta: could not claim a producer id block: too much contention on %s", ProducerIDBlockPath)
}
