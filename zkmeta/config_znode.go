package zkmeta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// Sanitize is Kafka's Sanitizer.sanitize for user and client names: Java
// URLEncoder (UTF-8) output with '*' -> %2A and '+' (space) -> %20.
func Sanitize(name string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		ch := name[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '.', ch == '-', ch == '_':
			b.WriteByte(ch)
		case ch == ' ':
			b.WriteString("%20")
		default: // includes '*', which URLEncoder leaves alone and Kafka then escapes
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		}
	}
	return b.String()
}

// Desanitize is Sanitizer.desanitize (URLDecoder: '+' is a space).
func Desanitize(name string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		switch ch := name[i]; ch {
		case '+':
			b.WriteByte(' ')
		case '%':
			if i+2 >= len(name) {
				return "", fmt.Errorf("%w: incomplete escape in %q", ErrBadData, name)
			}
			hi, ok1 := unhex(name[i+1])
			lo, ok2 := unhex(name[i+2])
			if !ok1 || !ok2 {
				return "", fmt.Errorf("%w: bad escape in %q", ErrBadData, name)
			}
			b.WriteByte(hi<<4 | lo)
			i += 2
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const userClientSep = "/clients/"

// SanitizeEntityName turns a raw entity name into its znode form: user and
// client names are sanitized (except <default>); a user entity may name a
// user/client pair as "<user>/clients/<client>".
func SanitizeEntityName(entityType, name string) string {
	one := func(s string) string {
		if s == DefaultEntityName {
			return s
		}
		return Sanitize(s)
	}
	switch entityType {
	case ConfigTypeClient:
		return one(name)
	case ConfigTypeUser:
		if i := strings.Index(name, userClientSep); i >= 0 {
			return one(name[:i]) + userClientSep + one(name[i+len(userClientSep):])
		}
		return one(name)
	}
	return name
}

// DesanitizeEntityName reverses SanitizeEntityName.
func DesanitizeEntityName(entityType, name string) (string, error) {
	one := func(s string) (string, error) {
		if s == DefaultEntityName {
			return s, nil
		}
		return Desanitize(s)
	}
	switch entityType {
	case ConfigTypeClient:
		return one(name)
	case ConfigTypeUser:
		if i := strings.Index(name, userClientSep); i >= 0 {
			u, err := one(name[:i])
			if err != nil {
				return "", err
			}
			cl, err := one(name[i+len(userClientSep):])
			if err != nil {
				return "", err
			}
			return u + userClientSep + cl, nil
		}
		return one(name)
	}
	return name, nil
}

// EncodeEntityConfig renders {"version":1,"config":{...}} (keys sorted).
func EncodeEntityConfig(cfg map[string]string) []byte {
	return newObj().num("version", 1).raw("config", jsonStringMap(cfg)).bytes()
}

// DecodeEntityConfig parses /config/<type>/<name> data; null data is empty.
func DecodeEntityConfig(data []byte) (map[string]string, error) {
	out := map[string]string{}
	if len(data) == 0 || string(data) == "null" {
		return out, nil
	}
	var j struct {
		Config map[string]json.RawMessage `json:"config"`
	}
	if err := decodeJSON("entity config", data, &j); err != nil {
		return nil, err
	}
	for k, raw := range j.Config {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			s = string(raw) // tolerate numbers/booleans written by other tools
		}
		out[k] = s
	}
	return out, nil
}

// GetEntityConfig returns the overrides of one entity (raw name; user and
// client names are sanitized here). Empty map if the node is absent.
func (c *Client) GetEntityConfig(entityType, name string) (map[string]string, error) {
	data, _, err := c.Get(EntityConfigPath(entityType, SanitizeEntityName(entityType, name)))
	if errors.Is(err, ErrNoNode) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	return DecodeEntityConfig(data)
}

// GetEntityNames lists the (desanitized) entities with a config node of a type.
func (c *Client) GetEntityNames(entityType string) ([]string, error) {
	kids, err := c.Children(EntityTypePath(entityType))
	if errors.Is(err, ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(kids))
	for _, k := range kids {
		if n, err := DesanitizeEntityName(entityType, k); err == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// SetEntityConfig replaces an entity's overrides and writes a v2
// config_change_ notification so every broker reloads it
// (AdminZkClient.changeEntityConfig). Topic creation does not use this.
func (c *Client) SetEntityConfig(entityType, name string, cfg map[string]string) error {
	sanitized := SanitizeEntityName(entityType, name)
	if err := c.setOrCreateEntityConfig(entityType, sanitized, cfg); err != nil {
		return err
	}
	return c.createSequential(ConfigChangesPath, ConfigChangePrefix, EncodeConfigChange(entityType+"/"+sanitized))
}

func (c *Client) setOrCreateEntityConfig(entityType, sanitizedName string, cfg map[string]string) error {
	path := EntityConfigPath(entityType, sanitizedName)
	data := EncodeEntityConfig(cfg)
	_, err := c.Set(path, data, -1)
	if !errors.Is(err, ErrNoNode) {
		return err
	}
	err = c.CreateRecursive(path, data)
	if errors.Is(err, ErrNodeExists) {
		_, err = c.Set(path, data, -1)
	}
	return err
}

// EncodeConfigChange renders {"version":2,"entity_path":"<type>/<sanitized name>"}.
func EncodeConfigChange(entityPath string) []byte {
	return newObj().num("version", 2).str("entity_path", entityPath).bytes()
}

// ConfigChange is one /config/changes notification. EntityName is the raw
// (desanitized) name, usable with GetEntityConfig.
type ConfigChange struct {
	Seq        int64
	EntityType string
	EntityName string
}

// DecodeConfigChange parses v2 {"entity_path":"users/a/clients/b"} and v1
// {"entity_type":..,"entity_name":..} notifications.
func DecodeConfigChange(data []byte) (entityType, entityName string, err error) {
	var j struct {
		Version    int     `json:"version"`
		EntityPath *string `json:"entity_path"`
		EntityType *string `json:"entity_type"`
		EntityName *string `json:"entity_name"`
	}
	if err := decodeJSON(ConfigChangesPath, data, &j); err != nil {
		return "", "", err
	}
	switch {
	case j.EntityPath != nil:
		i := strings.IndexByte(*j.EntityPath, '/')
		if i <= 0 || i == len(*j.EntityPath)-1 {
			return "", "", fmt.Errorf("%w: invalid entity_path %q", ErrBadData, *j.EntityPath)
		}
		entityType, entityName = (*j.EntityPath)[:i], (*j.EntityPath)[i+1:]
	case j.EntityType != nil && j.EntityName != nil:
		entityType, entityName = *j.EntityType, *j.EntityName
	default:
		return "", "", fmt.Errorf("%w: config change notification version %d without entity", ErrBadData, j.Version)
	}
	if n, err := DesanitizeEntityName(entityType, entityName); err == nil {
		entityName = n
	}
	return entityType, entityName, nil
}

// ConfigChangeExpiration is how old (by ctime) a notification must be before
// brokers purge it.
const ConfigChangeExpiration = 15 * time.Minute

// configChangeExpiration is what the watcher uses; tests shorten it.
var configChangeExpiration = ConfigChangeExpiration

// WatchConfigChanges is ZkNodeChangeNotificationListener for /config/changes.
// It blocks until ctx is done or the client closes (then returns nil). It
// first processes every existing notification, then each new one with a
// higher sequence number than the last processed, calling fn in order from
// this goroutine. Notifications older than ConfigChangeExpiration (by ctime)
// are deleted. After session expiry the child watch is re-armed and missed
// notifications are processed. An error is returned only if the first pass
// fails; later failures are logged and retried.
func (c *Client) WatchConfigChanges(ctx context.Context, fn func(ConfigChange)) error {
	w := &changeWatcher{c: c, fn: fn, last: -1}
	_, genCh := c.sessionGeneration()
	ch, err := w.process()
	if err != nil {
		return err
	}
	w.run(ctx, ch, genCh)
	return nil
}

type changeWatcher struct {
	c    *Client
	fn   func(ConfigChange)
	last int64
}

func (w *changeWatcher) run(ctx context.Context, ch <-chan zk.Event, genCh <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.c.done:
			return
		case <-ch:
		case <-genCh:
		}
		for {
			_, genCh = w.c.sessionGeneration()
			var err error
			ch, err = w.process()
			if err == nil {
				break
			}
			w.c.log.Warn().Msgf("Error processing notifications under %s: %v; retrying", ConfigChangesPath, err)
			t := time.NewTimer(time.Second)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-w.c.done:
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

func (w *changeWatcher) process() (<-chan zk.Event, error) {
	c := w.c
	kids, ch, err := c.ChildrenW(ConfigChangesPath)
	if errors.Is(err, ErrNoNode) {
		if err := c.makeSurePersistentPathExists(ConfigChangesPath); err != nil {
			return nil, err
		}
		kids, ch, err = c.ChildrenW(ConfigChangesPath)
	}
	if err != nil {
		return nil, err
	}
	if len(kids) == 0 {
		return ch, nil
	}
	c.log.Info().Msgf("Processing notification(s) to %s", ConfigChangesPath)
	now := time.Now()
	for _, k := range kids {
		seq, ok := sequenceNumber(k, ConfigChangePrefix)
		if !ok || seq <= w.last {
			continue
		}
		path := ConfigChangesPath + "/" + k
		data, _, err := c.Get(path)
		if errors.Is(err, ErrNoNode) {
			w.last = seq
			continue
		}
		if err != nil {
			return nil, err
		}
		et, en, err := DecodeConfigChange(data)
		if err != nil {
			c.log.Error().Msgf("Failed to process config change notification %s: %v", path, err)
		} else {
			w.fn(ConfigChange{Seq: seq, EntityType: et, EntityName: en})
		}
		w.last = seq
	}
	for _, k := range kids {
		path := ConfigChangesPath + "/" + k
		ok, st, err := c.Exists(path)
		if err != nil || !ok {
			continue
		}
		if now.Sub(time.UnixMilli(st.Ctime)) > configChangeExpiration {
			c.log.Debug().Msgf("Purging change notification %s", path)
			_ = c.Delete(path, -1)
		}
	}
	return ch, nil
}
