package zkmeta

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-zookeeper/zk"
)

// EncodeController renders /controller; timestamp is a string in Kafka.
func EncodeController(brokerID int32, timestampMs int64) []byte {
	return newObj().num("version", 1).num("brokerid", int64(brokerID)).
		str("timestamp", strconv.FormatInt(timestampMs, 10)).bytes()
}

// DecodeController returns the broker id in /controller data; a bare integer
// (very old layouts) is accepted too.
func DecodeController(data []byte) (int32, error) {
	if v, err := strconv.ParseInt(string(bytes.TrimSpace(data)), 10, 32); err == nil {
		return int32(v), nil
	}
	var j struct {
		BrokerID *int32 `json:"brokerid"`
	}
	if err := decodeJSON(ControllerPath, data, &j); err != nil {
		return -1, err
	}
	if j.BrokerID == nil {
		return -1, fmt.Errorf("%w: %s: no brokerid", ErrBadData, ControllerPath)
	}
	return *j.BrokerID, nil
}

// GetControllerID returns the active controller's broker id, -1 if none.
func (c *Client) GetControllerID() (int32, error) {
	data, _, err := c.Get(ControllerPath)
	if errors.Is(err, ErrNoNode) {
		return -1, nil
	}
	if err != nil {
		return -1, err
	}
	return DecodeController(data)
}

// GetControllerEpoch returns /controller_epoch's value and dataVersion, or
// (0, -1) when the node does not exist yet.
func (c *Client) GetControllerEpoch() (int32, int32, error) {
	data, st, err := c.Get(ControllerEpochPath)
	if errors.Is(err, ErrNoNode) {
		return 0, -1, nil
	}
	if err != nil {
		return 0, -1, err
	}
	v, err := strconv.ParseInt(string(bytes.TrimSpace(data)), 10, 32)
	if err != nil {
		return 0, -1, fmt.Errorf("%w: %s: %q", ErrBadData, ControllerEpochPath, data)
	}
	return int32(v), st.Version, nil
}

// TryElect is KafkaZkClient.registerControllerAndIncrementControllerEpoch
// (§2.1 steps 2-4): create /controller_epoch with 0 if missing, then
// atomically create the ephemeral /controller and bump the epoch with a
// conditional setData. A lost response is recognised by finding ourselves in
// /controller with the epoch we wrote. won=false (err nil) means another
// broker is, or just became, controller.
func (c *Client) TryElect(brokerID int32) (won bool, epoch int32, epochZkVersion int32, err error) {
	cur, curVersion, err := c.GetControllerEpoch()
	if err != nil {
		return false, 0, -1, err
	}
	if curVersion < 0 {
		cur, curVersion, err = c.maybeCreateControllerEpoch()
		if err != nil {
			return false, 0, -1, err
		}
	}
	newEpoch := cur + 1
	c.log.Debug().Msgf("Try to create %s and increment controller epoch to %d with expected controller epoch zkVersion %d",
		ControllerPath, newEpoch, curVersion)
	res, err := c.Multi(
		&zk.CreateRequest{Path: ControllerPath, Data: EncodeController(brokerID, time.Now().UnixMilli()), Flags: zk.FlagEphemeral},
		&zk.SetDataRequest{Path: ControllerEpochPath, Data: []byte(strconv.Itoa(int(newEpoch))), Version: curVersion})
	if err == nil {
		return true, newEpoch, res[1].Stat.Version, nil
	}
	if !errors.Is(err, ErrNodeExists) && !errors.Is(err, ErrBadVersion) {
		return false, 0, -1, err
	}
	// checkControllerAndEpoch
	id, err := c.GetControllerID()
	if err != nil {
		return false, 0, -1, err
	}
	if id == brokerID {
		e, v, err := c.GetControllerEpoch()
		if err != nil {
			return false, 0, -1, err
		}
		if e == newEpoch {
			return true, newEpoch, v, nil
		}
	}
	return false, 0, -1, nil
}

func (c *Client) maybeCreateControllerEpoch() (int32, int32, error) {
	_, err := c.Create(ControllerEpochPath, []byte("0"), zk.FlagPersistent)
	if err == nil {
		c.log.Info().Msgf("Successfully created %s with initial epoch 0", ControllerEpochPath)
		return 0, 0, nil
	}
	if !errors.Is(err, ErrNodeExists) {
		return 0, -1, err
	}
	e, v, err := c.GetControllerEpoch()
	if err != nil {
		return 0, -1, err
	}
	if v < 0 {
		return 0, -1, fmt.Errorf("zkmeta: %s existed before but goes away while trying to read it", ControllerEpochPath)
	}
	return e, v, nil
}

// DeleteControllerFenced removes /controller (resignation after an illegal
// state) under the epoch fence; an already-missing node is fine.
func (c *Client) DeleteControllerFenced(epochZkVersion int32) error {
	_, err := c.fencedMulti(epochZkVersion, &zk.DeleteRequest{Path: ControllerPath, Version: -1})
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	return err
}

// CheckControllerEpoch verifies the fence without writing anything.
func (c *Client) CheckControllerEpoch(epochZkVersion int32) error {
	_, v, err := c.GetControllerEpoch()
	if err != nil {
		return err
	}
	if v != epochZkVersion {
		return kerr(ErrControllerMoved, "Controller epoch zkVersion check fails. Expected zkVersion = %d", epochZkVersion)
	}
	return nil
}
