package zkmeta

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// Endpoint is one advertised listener (Kafka's EndPoint).
type Endpoint struct {
	Listener         string
	Host             string
	Port             int
	SecurityProtocol string // "" means the listener name (PLAINTEXT, SSL, ...)
}

func (e Endpoint) protocol() string {
	if e.SecurityProtocol != "" {
		return e.SecurityProtocol
	}
	return e.Listener
}

// ConnectionString is LISTENER://host:port, bracketing IPv6 hosts.
func (e Endpoint) ConnectionString() string {
	return e.Listener + "://" + formatAddress(e.Host, e.Port)
}

func formatAddress(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

var endpointRe = regexp.MustCompile(`^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$`)

// ParseEndpoint parses "LISTENER://host:port" (EndPoint.createEndPoint);
// protocolMap maps listener names to security protocols (nil: name is protocol).
func ParseEndpoint(s string, protocolMap map[string]string) (Endpoint, error) {
	m := endpointRe.FindStringSubmatch(s)
	if m == nil {
		return Endpoint{}, fmt.Errorf("%w: unable to parse %q to a broker endpoint", ErrBadData, s)
	}
	port, err := strconv.Atoi(m[3])
	if err != nil {
		return Endpoint{}, fmt.Errorf("%w: endpoint port in %q", ErrBadData, s)
	}
	ep := Endpoint{Listener: m[1], Host: m[2], Port: port, SecurityProtocol: m[1]}
	if protocolMap != nil {
		p, ok := protocolMap[ep.Listener]
		if !ok {
			return Endpoint{}, fmt.Errorf("%w: no security protocol defined for listener %s", ErrBadData, ep.Listener)
		}
		ep.SecurityProtocol = p
	}
	return ep, nil
}

// BrokerInfo is the content of /brokers/ids/<id> plus its broker epoch.
type BrokerInfo struct {
	ID        int32
	Endpoints []Endpoint
	Rack      string
	JmxPort   int   // -1 when JMX is off; 0 is written as -1
	Timestamp int64 // ms; RegisterBroker fills 0 with the current time
	Epoch     int64 // czxid of the registration znode (not part of the JSON)
}

// BrokerInfoVersion is the registration version 2.8 writes (IBP >= 2.7-IV0).
const BrokerInfoVersion = 5

// Encode renders the v5 registration JSON (§1.5). host/port name the first
// PLAINTEXT endpoint for pre-0.9 clients, else null/-1.
func (b BrokerInfo) Encode() []byte {
	lspm := newObj()
	eps := make([]string, 0, len(b.Endpoints))
	seen := map[string]bool{}
	var plain *Endpoint
	for i := range b.Endpoints {
		e := b.Endpoints[i]
		if !seen[e.Listener] {
			seen[e.Listener] = true
			lspm.str(e.Listener, e.protocol())
		}
		eps = append(eps, e.ConnectionString())
		if plain == nil && e.protocol() == "PLAINTEXT" {
			plain = &b.Endpoints[i]
		}
	}
	epsJSON, _ := json.Marshal(eps)
	jmx := b.JmxPort
	if jmx == 0 {
		jmx = -1
	}
	o := newObj()
	o.raw("features", []byte("{}"))
	o.raw("listener_security_protocol_map", lspm.bytes())
	o.raw("endpoints", epsJSON)
	o.num("jmx_port", int64(jmx))
	if plain != nil {
		o.num("port", int64(plain.Port))
		o.str("host", plain.Host)
	} else {
		o.num("port", -1)
		o.null("host")
	}
	if b.Rack != "" {
		o.str("rack", b.Rack)
	}
	o.num("version", BrokerInfoVersion)
	o.str("timestamp", strconv.FormatInt(b.Timestamp, 10))
	return o.bytes()
}

type brokerJSON struct {
	Version   int               `json:"version"`
	Host      *string           `json:"host"`
	Port      *int              `json:"port"`
	Endpoints []string          `json:"endpoints"`
	LSPM      map[string]string `json:"listener_security_protocol_map"`
	JmxPort   *int              `json:"jmx_port"`
	Timestamp flexInt64         `json:"timestamp"`
	Rack      *string           `json:"rack"`
}

// DecodeBrokerInfo parses any registration version (1..5) by key.
func DecodeBrokerInfo(id int32, data []byte) (BrokerInfo, error) {
	var j brokerJSON
	if err := decodeJSON(BrokerPath(id), data, &j); err != nil {
		return BrokerInfo{}, err
	}
	b := BrokerInfo{ID: id, JmxPort: -1, Timestamp: j.Timestamp.V}
	if j.JmxPort != nil {
		b.JmxPort = *j.JmxPort
	}
	if j.Rack != nil {
		b.Rack = *j.Rack
	}
	switch {
	case j.Version >= 3 || len(j.Endpoints) > 0:
		for _, s := range j.Endpoints {
			ep, err := ParseEndpoint(s, j.LSPM)
			if err != nil {
				return BrokerInfo{}, fmt.Errorf("%s: %w", BrokerPath(id), err)
			}
			b.Endpoints = append(b.Endpoints, ep)
		}
	case j.Host != nil && j.Port != nil:
		b.Endpoints = []Endpoint{{Listener: "PLAINTEXT", Host: *j.Host, Port: *j.Port, SecurityProtocol: "PLAINTEXT"}}
	}
	return b, nil
}

// RegisterBroker creates /brokers/ids/<id> as a "checked ephemeral" (a multi
// of create(null, EPHEMERAL) + setData(json, version 0), KAFKA-7165) and
// returns the znode's czxid, the broker epoch. An existing node owned by this
// session is accepted; one left by an earlier session of this client is
// deleted and re-created; anything else is ErrBrokerIDInUse.
func (c *Client) RegisterBroker(b BrokerInfo) (int64, error) {
	if b.Timestamp == 0 {
		b.Timestamp = time.Now().UnixMilli()
	}
	path := BrokerPath(b.ID)
	data := b.Encode()
	for attempt := 0; ; attempt++ {
		if attempt > 10 {
			return -1, fmt.Errorf("zkmeta: registering %s: node keeps changing", path)
		}
		res, err := c.Multi(
			&zk.CreateRequest{Path: path, Data: nil, Flags: zk.FlagEphemeral},
			&zk.SetDataRequest{Path: path, Data: data, Version: 0})
		if err == nil {
			epoch := res[1].Stat.Czxid
			c.logRegistered(b, path, epoch)
			return epoch, nil
		}
		if !errors.Is(err, ErrNodeExists) {
			c.log.Error().Msgf("Error while creating ephemeral at %s with return code: %v", path, err)
			return -1, err
		}
		cur, st, err := c.Get(path)
		if errors.Is(err, ErrNoNode) {
			c.log.Info().Msgf("The ephemeral node at %s went away while reading it, attempting create() again", path)
			continue
		}
		if err != nil {
			c.log.Error().Msgf("Error while creating ephemeral at %s as it already exists and error getting the node data due to %v", path, err)
			return -1, err
		}
		session := c.SessionID()
		switch {
		case st.EphemeralOwner == session:
			// Our own node, e.g. the multi succeeded but its response was lost.
			if string(cur) != string(data) {
				if _, err := c.Set(path, data, st.Version); err != nil {
					return -1, err
				}
			}
			c.logRegistered(b, path, st.Czxid)
			return st.Czxid, nil
		case st.EphemeralOwner != 0 && c.isPreviousSession(st.EphemeralOwner):
			c.log.Info().Msgf("Deleting stale ephemeral %s left by previous session '%d'", path, st.EphemeralOwner)
			if err := c.Delete(path, st.Version); err != nil && !errors.Is(err, ErrNoNode) && !errors.Is(err, ErrBadVersion) {
				return -1, err
			}
			continue
		default:
			msg := fmt.Sprintf("Error while creating ephemeral at %s, node already exists and owner '%d' does not match current session '%d'",
				path, st.EphemeralOwner, session)
			c.log.Error().Msg(msg)
			return -1, kerr(ErrBrokerIDInUse, "%s", msg)
		}
	}
}

func (c *Client) logRegistered(b BrokerInfo, path string, epoch int64) {
	eps := make([]string, len(b.Endpoints))
	for i, e := range b.Endpoints {
		// EndPoint.connectionString: LISTENER://host:port
		eps[i] = fmt.Sprintf("%s://%s", e.Listener, net.JoinHostPort(e.Host, strconv.Itoa(e.Port)))
	}
	// Kafka logs this from KafkaZkClient, not from the ZooKeeper client underneath it.
	c.log.Info().Str("logger", "kafka.zk.KafkaZkClient").Msgf("Registered broker %d at path %s with addresses: %s, czxid (broker epoch): %d",
		b.ID, path, strings.Join(eps, ","), epoch)
}

// GetBroker reads one registration (ErrNoNode if the broker is not live).
func (c *Client) GetBroker(id int32) (BrokerInfo, error) {
	data, st, err := c.Get(BrokerPath(id))
	if err != nil {
		return BrokerInfo{}, err
	}
	b, err := DecodeBrokerInfo(id, data)
	if err != nil {
		return BrokerInfo{}, err
	}
	b.Epoch = st.Czxid
	return b, nil
}

// GetAllBrokers returns the live brokers sorted by id; brokers that vanish
// between listing and reading are skipped.
func (c *Client) GetAllBrokers() ([]BrokerInfo, error) {
	kids, err := c.Children(BrokerIDsPath)
	if err != nil {
		if errors.Is(err, ErrNoNode) {
			return nil, nil
		}
		return nil, err
	}
	var out []BrokerInfo
	for _, k := range kids {
		id, err := strconv.ParseInt(k, 10, 32)
		if err != nil {
			continue
		}
		b, err := c.GetBroker(int32(id))
		if errors.Is(err, ErrNoNode) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// GetBrokerIDs returns the sorted ids under /brokers/ids.
func (c *Client) GetBrokerIDs() ([]int32, error) {
	kids, err := c.Children(BrokerIDsPath)
	if err != nil {
		return nil, err
	}
	var ids []int32
	for _, k := range kids {
		if id, err := strconv.ParseInt(k, 10, 32); err == nil {
			ids = append(ids, int32(id))
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// GenerateBrokerSequenceID bumps /brokers/seqid and returns its new
// dataVersion (1, 2, ...); the broker adds reserved.broker.max.id (§1.8).
func (c *Client) GenerateBrokerSequenceID() (int32, error) {
	st, err := c.Set(BrokerSeqIDPath, []byte{}, -1)
	if errors.Is(err, ErrNoNode) {
		if err := c.makeSurePersistentPathExists(BrokerSeqIDPath); err != nil {
			return 0, err
		}
		st, err = c.Set(BrokerSeqIDPath, []byte{}, -1)
	}
	if err != nil {
		return 0, err
	}
	return st.Version, nil
}

// EnsurePersistentPaths creates ZkData.PersistentZkPaths (null data), leaving
// existing nodes alone.
func (c *Client) EnsurePersistentPaths() error {
	for _, p := range PersistentPaths {
		if err := c.makeSurePersistentPathExists(p); err != nil {
			return err
		}
	}
	return nil
}

// EncodeClusterID renders /cluster/id; "version" is the string "1" in Kafka.
func EncodeClusterID(id string) []byte {
	return newObj().str("version", "1").str("id", id).bytes()
}

// DecodeClusterID reads the id from /cluster/id data.
func DecodeClusterID(data []byte) (string, error) {
	var j struct {
		ID *string `json:"id"`
	}
	if err := decodeJSON(ClusterIDPath, data, &j); err != nil {
		return "", err
	}
	if j.ID == nil {
		return "", fmt.Errorf("%w: %s: no id", ErrBadData, ClusterIDPath)
	}
	return *j.ID, nil
}

// GetOrCreateClusterID returns the cluster id, creating it with a fresh
// 22-character id if absent; a concurrent creator's id wins.
func (c *Client) GetOrCreateClusterID() (string, error) {
	data, _, err := c.Get(ClusterIDPath)
	if err == nil {
		return DecodeClusterID(data)
	}
	if !errors.Is(err, ErrNoNode) {
		return "", err
	}
	id := NewTopicID()
	err = c.CreateRecursive(ClusterIDPath, EncodeClusterID(id))
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, ErrNodeExists) {
		return "", err
	}
	data, _, err = c.Get(ClusterIDPath)
	if err != nil {
		return "", err
	}
	return DecodeClusterID(data)
}

// NewTopicID returns a random (v4) UUID as unpadded URL-safe base64, the form
// Kafka uses for topic ids and cluster ids. Ids starting with '-' are
// avoided because command-line tools mistake them for flags.
func NewTopicID() string {
	for {
		var u [16]byte
		_, _ = rand.Read(u[:])
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		s := base64.RawURLEncoding.EncodeToString(u[:])
		if s[0] != '-' && s != "AAAAAAAAAAAAAAAAAAAAAA" {
			return s
		}
	}
}

// ParseTopicID decodes a 22-character id into its 16 bytes.
func ParseTopicID(s string) ([16]byte, error) {
	var u [16]byte
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return u, fmt.Errorf("%w: bad uuid %q", ErrBadData, s)
	}
	copy(u[:], b)
	return u, nil
}

// FormatTopicID encodes 16 bytes as Kafka's base64 id ("" for the zero id).
func FormatTopicID(u [16]byte) string {
	if u == ([16]byte{}) {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(u[:])
}
