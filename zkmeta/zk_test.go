package zkmeta

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"
)

// These tests run against a real ZooKeeper (see zk_test_helper_test.go).
// Each subtest uses its own chroot, which also exercises chroot handling.

func TestZK(t *testing.T) {
	z := startZK(t)
	root := connectT(t, z.Addr)
	n := 0
	chrooted := func(t *testing.T) (*Client, string) {
		n++
		chroot := fmt.Sprintf("/kafka/t%d", n)
		c := connectT(t, z.Addr+chroot)
		if err := c.EnsurePersistentPaths(); err != nil {
			t.Fatal(err)
		}
		return c, chroot
	}

	t.Run("ChrootAndPersistentPaths", func(t *testing.T) {
		c, chroot := chrooted(t)
		if c.Chroot() != chroot {
			t.Fatalf("chroot %q", c.Chroot())
		}
		for _, p := range PersistentPaths {
			data, _, err := root.Get(chroot + p)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if data != nil {
				t.Fatalf("%s holds %q, want null data", p, data)
			}
		}
		// Idempotent.
		if err := c.EnsurePersistentPaths(); err != nil {
			t.Fatal(err)
		}
		// Paths the client reports are chroot-relative.
		if _, err := c.Create("/seq", nil, 0); err != nil {
			t.Fatal(err)
		}
		p, err := c.Create("/seq/x", []byte("1"), zk.FlagSequence)
		if err != nil || p != "/seq/x0000000000" {
			t.Fatalf("created %q %v", p, err)
		}
		_, ch, err := c.ChildrenW("/brokers/ids")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := root.Create(chroot+"/brokers/ids/5", nil, 0); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-ch:
			if ev.Path != "/brokers/ids" || ev.Type != zk.EventNodeChildrenChanged {
				t.Fatalf("event %+v", ev)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no child watch event")
		}
		if err := c.DeleteRecursive("/brokers"); err != nil {
			t.Fatal(err)
		}
		if ok, _, _ := root.Exists(chroot + "/brokers"); ok {
			t.Fatal("DeleteRecursive left the node")
		}
		if _, _, err := c.Get("/nope"); !errors.Is(err, ErrNoNode) || !errors.Is(err, zk.ErrNoNode) {
			t.Fatalf("NoNode mapping: %v", err)
		}
	})

	t.Run("ClusterID", func(t *testing.T) {
		c, chroot := chrooted(t)
		id, err := c.GetOrCreateClusterID()
		if err != nil || len(id) != 22 {
			t.Fatalf("%q %v", id, err)
		}
		id2, err := c.GetOrCreateClusterID()
		if err != nil || id2 != id {
			t.Fatalf("second read %q %v", id2, err)
		}
		data, _, err := root.Get(chroot + ClusterIDPath)
		if err != nil || string(data) != `{"version":"1","id":"`+id+`"}` {
			t.Fatalf("%s %v", data, err)
		}
	})

	t.Run("BrokerRegistration", func(t *testing.T) {
		c, chroot := chrooted(t)
		b := BrokerInfo{ID: 0, Endpoints: []Endpoint{{Listener: "PLAINTEXT", Host: "localhost", Port: 9092, SecurityProtocol: "PLAINTEXT"}},
			JmxPort: -1, Timestamp: 1625140000000}
		epoch, err := c.RegisterBroker(b)
		if err != nil {
			t.Fatal(err)
		}
		data, st, err := root.Get(chroot + "/brokers/ids/0")
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != refBrokerV5 {
			t.Fatalf("registration bytes %s", data)
		}
		if epoch != st.Czxid || st.EphemeralOwner != c.SessionID() || st.Version != 1 {
			t.Fatalf("epoch %d czxid %d owner %x session %x version %d", epoch, st.Czxid, st.EphemeralOwner, c.SessionID(), st.Version)
		}
		// Same session: accepted with the same epoch.
		if e2, err := c.RegisterBroker(b); err != nil || e2 != epoch {
			t.Fatalf("re-register same session: %d %v", e2, err)
		}
		// Another session: rejected with Kafka's message.
		other := connectT(t, z.Addr+chroot)
		_, err = other.RegisterBroker(b)
		want := fmt.Sprintf("Error while creating ephemeral at /brokers/ids/0, node already exists and owner '%d' does not match current session '%d'",
			c.SessionID(), other.SessionID())
		if !errors.Is(err, ErrBrokerIDInUse) || err.Error() != want {
			t.Fatalf("duplicate id: %v", err)
		}
		b1 := BrokerInfo{ID: 1, Rack: "r", Endpoints: []Endpoint{{Listener: "PLAINTEXT", Host: "h", Port: 1}}}
		e1, err := other.RegisterBroker(b1)
		if err != nil || e1 <= epoch {
			t.Fatalf("broker 1: %d %v", e1, err)
		}
		all, err := c.GetAllBrokers()
		if err != nil || len(all) != 2 || all[0].ID != 0 || all[1].ID != 1 || all[0].Epoch != epoch || all[1].Epoch != e1 || all[1].Rack != "r" || all[1].Timestamp == 0 {
			t.Fatalf("all brokers %+v %v", all, err)
		}
		// Closing the owner's session frees the id at once.
		c.Close()
		e3, err := other.RegisterBroker(b)
		if err != nil || e3 <= e1 {
			t.Fatalf("after owner closed: %d %v", e3, err)
		}
		// A node left by one of this client's earlier sessions is replaced.
		third := connectT(t, z.Addr+chroot)
		b7 := BrokerInfo{ID: 7, Endpoints: []Endpoint{{Listener: "PLAINTEXT", Host: "old", Port: 1}}}
		if _, err := third.RegisterBroker(b7); err != nil {
			t.Fatal(err)
		}
		other.mu.Lock()
		other.prevSessions = append(other.prevSessions, third.SessionID())
		other.mu.Unlock()
		b7.Endpoints[0].Host = "new"
		e7, err := other.RegisterBroker(b7)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := other.GetBroker(7); err != nil || got.Endpoints[0].Host != "new" || got.Epoch != e7 {
			t.Fatalf("%+v %v", got, err)
		}
		if _, st, _ := root.Get(chroot + "/brokers/ids/7"); st.EphemeralOwner != other.SessionID() {
			t.Fatalf("owner %x", st.EphemeralOwner)
		}
		if id, err := other.GenerateBrokerSequenceID(); err != nil || id != 1 {
			t.Fatalf("seqid %d %v", id, err)
		}
		if id, err := other.GenerateBrokerSequenceID(); err != nil || id != 2 {
			t.Fatalf("seqid %d %v", id, err)
		}
	})

	t.Run("ElectionAndFencing", func(t *testing.T) {
		c1, chroot := chrooted(t)
		c2 := connectT(t, z.Addr+chroot)
		if id, err := c1.GetControllerID(); err != nil || id != -1 {
			t.Fatalf("no controller yet: %d %v", id, err)
		}
		if e, v, err := c1.GetControllerEpoch(); err != nil || e != 0 || v != -1 {
			t.Fatalf("absent epoch: %d %d %v", e, v, err)
		}
		won, epoch, ver, err := c1.TryElect(1)
		if err != nil || !won || epoch != 1 || ver != 1 {
			t.Fatalf("elect 1: %v %d %d %v", won, epoch, ver, err)
		}
		data, st, _ := root.Get(chroot + ControllerPath)
		if !strings.HasPrefix(string(data), `{"version":1,"brokerid":1,"timestamp":"`) || st.EphemeralOwner != c1.SessionID() {
			t.Fatalf("controller node %s", data)
		}
		if data, _, _ := root.Get(chroot + ControllerEpochPath); string(data) != "1" {
			t.Fatalf("epoch node %q", data)
		}
		won, _, _, err = c2.TryElect(2)
		if err != nil || won {
			t.Fatalf("second candidate won=%v err=%v", won, err)
		}
		if id, _ := c2.GetControllerID(); id != 1 {
			t.Fatalf("controller id %d", id)
		}
		// A zombie with an old epoch zkVersion is fenced.
		tp := TP{"t", 0}
		if _, err := c1.CreatePartitionStatesFenced(0, map[TP]LeaderIsr{tp: {Leader: 1, ISR: []int32{1}, ControllerEpoch: 1}}); !errors.Is(err, ErrControllerMoved) {
			t.Fatalf("stale create: %v", err)
		}
		if ok, _, _ := root.Exists(chroot + "/brokers/topics/t/partitions"); ok {
			t.Fatal("fenced write leaked")
		}
		// Resign: a fenced delete of /controller lets broker 2 win epoch 2.
		if err := c1.DeleteControllerFenced(ver); err != nil {
			t.Fatal(err)
		}
		won, epoch2, ver2, err := c2.TryElect(2)
		if err != nil || !won || epoch2 != 2 || ver2 != 2 {
			t.Fatalf("elect 2: %v %d %d %v", won, epoch2, ver2, err)
		}
		if err := c1.DeleteControllerFenced(ver); !errors.Is(err, ErrControllerMoved) {
			t.Fatalf("old controller delete: %v", err)
		}
		if id, _ := c1.GetControllerID(); id != 2 {
			t.Fatalf("controller id %d", id)
		}
		if err := c2.CheckControllerEpoch(ver2); err != nil {
			t.Fatal(err)
		}
		if err := c1.CheckControllerEpoch(ver); !errors.Is(err, ErrControllerMoved) {
			t.Fatal(err)
		}
		// The new controller's writes go through.
		if err := c2.CreateTopic("t", map[int32][]int32{0: {2}}, nil, ""); err != nil {
			t.Fatal(err)
		}
		vs, err := c2.CreatePartitionStatesFenced(ver2, map[TP]LeaderIsr{tp: {Leader: 2, ISR: []int32{2}, ControllerEpoch: 2}})
		if err != nil || vs[tp] != 0 {
			t.Fatalf("create: %v %v", vs, err)
		}
		li := LeaderIsr{Leader: 2, LeaderEpoch: 1, ISR: []int32{2}, ControllerEpoch: 1, ZkVersion: 0}
		if _, err := c1.UpdatePartitionState(ver, tp, li); !errors.Is(err, ErrControllerMoved) {
			t.Fatalf("stale update: %v", err)
		}
		// Lost-response recovery: the winner's /controller is ours and the epoch matches.
		c2.Close()
		c3 := connectT(t, z.Addr+chroot)
		won, epoch3, _, err := c3.TryElect(3)
		if err != nil || !won || epoch3 != 3 {
			t.Fatalf("elect 3: %v %d %v", won, epoch3, err)
		}
	})

	t.Run("PartitionState", func(t *testing.T) {
		c, chroot := chrooted(t)
		won, _, ver, err := c.TryElect(0)
		if err != nil || !won {
			t.Fatal(won, err)
		}
		orders := map[int32][]int32{}
		for p := int32(0); p < 25; p++ {
			orders[p] = []int32{0}
		}
		if err := c.CreateTopic("orders", orders, nil, ""); err != nil {
			t.Fatal(err)
		}
		states := map[TP]LeaderIsr{}
		for p := int32(0); p < 25; p++ {
			states[TP{"orders", p}] = LeaderIsr{Leader: p % 3, ISR: []int32{p % 3, (p + 1) % 3}, ControllerEpoch: 1}
		}
		vs, err := c.CreatePartitionStatesFenced(ver, states)
		if err != nil || len(vs) != 25 {
			t.Fatalf("%d created, %v", len(vs), err)
		}
		data, st, err := root.Get(chroot + "/brokers/topics/orders/partitions/0/state")
		if err != nil || string(data) != `{"controller_epoch":1,"leader":0,"version":1,"leader_epoch":0,"isr":[0,1]}` || st.Version != 0 {
			t.Fatalf("%s %v", data, err)
		}
		if d, _, _ := root.Get(chroot + "/brokers/topics/orders/partitions/3"); d != nil {
			t.Fatalf("partition node data %q", d)
		}
		// Creating again reports NodeExists.
		if _, err := c.CreatePartitionStatesFenced(ver, map[TP]LeaderIsr{{"orders", 0}: states[TP{"orders", 0}]}); !errors.Is(err, ErrNodeExists) {
			t.Fatalf("re-create: %v", err)
		}
		got, err := c.GetPartitionStates([]TP{{"orders", 1}, {"orders", 99}, {"nope", 0}})
		if err != nil || len(got) != 1 || !reflect.DeepEqual(got[TP{"orders", 1}], LeaderIsr{Leader: 1, ISR: []int32{1, 2}, ControllerEpoch: 1, ZkVersion: 0}) {
			t.Fatalf("%+v %v", got, err)
		}
		tp := TP{"orders", 0}
		li := LeaderIsr{Leader: 1, LeaderEpoch: 1, ISR: []int32{1}, ControllerEpoch: 1, ZkVersion: 0}
		v, err := c.UpdatePartitionState(ver, tp, li)
		if err != nil || v != 1 {
			t.Fatalf("fenced update %d %v", v, err)
		}
		if _, err := c.UpdatePartitionState(ver, tp, li); !errors.Is(err, ErrBadVersion) {
			t.Fatalf("stale zkVersion: %v", err)
		}
		li.ZkVersion = 1
		li.ISR = []int32{1, 0}
		v, err = c.UpdatePartitionState(-1, tp, li)
		if err != nil || v != 2 {
			t.Fatalf("leader update %d %v", v, err)
		}
		// The same write retried after a lost response is recognised.
		if v, err := c.UpdatePartitionState(-1, tp, li); err != nil || v != 2 {
			t.Fatalf("lost response: %d %v", v, err)
		}
		li.ISR = []int32{1}
		if _, err := c.UpdatePartitionState(-1, tp, li); !errors.Is(err, ErrBadVersion) {
			t.Fatalf("conflicting write: %v", err)
		}
		cur, err := c.GetPartitionState("orders", 0)
		if err != nil || cur.ZkVersion != 2 || !reflect.DeepEqual(cur.ISR, []int32{1, 0}) {
			t.Fatalf("%+v %v", cur, err)
		}
		if _, err := c.GetPartitionState("orders", 77); !errors.Is(err, ErrNoNode) {
			t.Fatal(err)
		}

		// ISR change notifications.
		if err := c.WriteIsrChangeNotification([]TP{{"orders", 0}, {"orders", 3}}); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteIsrChangeNotification([]TP{{"orders", 3}, {"orders", 4}}); err != nil {
			t.Fatal(err)
		}
		kids, _ := root.Children(chroot + IsrChangeNotificationPath)
		if !reflect.DeepEqual(kids, []string{"isr_change_0000000000", "isr_change_0000000001"}) {
			t.Fatalf("children %v", kids)
		}
		data, _, _ = root.Get(chroot + IsrChangeNotificationPath + "/isr_change_0000000000")
		if string(data) != `{"version":1,"partitions":[{"topic":"orders","partition":0},{"topic":"orders","partition":3}]}` {
			t.Fatalf("%s", data)
		}
		tps, err := c.ReadAndDeleteIsrChangeNotifications(ver)
		if err != nil || !reflect.DeepEqual(tps, []TP{{"orders", 0}, {"orders", 3}, {"orders", 4}}) {
			t.Fatalf("%v %v", tps, err)
		}
		if kids, _ := root.Children(chroot + IsrChangeNotificationPath); len(kids) != 0 {
			t.Fatalf("left %v", kids)
		}
		// Log dir events.
		if err := c.WriteLogDirEventNotification(4); err != nil {
			t.Fatal(err)
		}
		data, _, _ = root.Get(chroot + LogDirEventNotificationPath + "/log_dir_event_0000000000")
		if string(data) != `{"version":1,"broker":4,"event":1}` {
			t.Fatalf("%s", data)
		}
		if bs, err := c.ReadAndDeleteLogDirEventNotifications(ver); err != nil || !reflect.DeepEqual(bs, []int32{4}) {
			t.Fatalf("%v %v", bs, err)
		}
	})

	t.Run("Topics", func(t *testing.T) {
		c, chroot := chrooted(t)
		assign := map[int32][]int32{0: {1, 2}, 1: {2, 1}}
		if err := c.CreateTopic("a.b", assign, nil, ""); err != nil {
			t.Fatal(err)
		}
		data, _, _ := root.Get(chroot + "/config/topics/a.b")
		if string(data) != `{"version":1,"config":{}}` {
			t.Fatalf("config %s", data)
		}
		data, _, _ = root.Get(chroot + "/brokers/topics/a.b")
		if string(data) != `{"version":3,"partitions":{"0":[1,2],"1":[2,1]},"adding_replicas":{},"removing_replicas":{}}` {
			t.Fatalf("topic %s", data)
		}
		if kids, _ := root.Children(chroot + ConfigChangesPath); len(kids) != 0 {
			t.Fatalf("topic creation wrote notifications %v", kids)
		}
		err := c.CreateTopic("a.b", assign, nil, "")
		if !errors.Is(err, ErrTopicExists) || err.Error() != "Topic 'a.b' already exists." {
			t.Fatalf("exists: %v", err)
		}
		err = c.CreateTopic("a_b", assign, nil, "")
		if !errors.Is(err, ErrInvalidTopic) || err.Error() != "Topic 'a_b' collides with existing topics: a.b" {
			t.Fatalf("collision: %v", err)
		}
		if err := c.CreateTopic("a b", assign, nil, ""); !errors.Is(err, ErrInvalidTopic) {
			t.Fatalf("bad name: %v", err)
		}
		if err := c.CreateTopic("uneven", map[int32][]int32{0: {1}, 1: {1, 2}}, nil, ""); !errors.Is(err, ErrInvalidReplicaAssignment) {
			t.Fatalf("uneven: %v", err)
		}
		id := NewTopicID()
		if err := c.CreateTopic("withid", map[int32][]int32{0: {0}}, map[string]string{"retention.ms": "1000"}, id); err != nil {
			t.Fatal(err)
		}
		a, err := c.GetTopicAssignment("withid")
		if err != nil || a.TopicID != id || a.ZkVersion != 0 {
			t.Fatalf("%+v %v", a, err)
		}
		if cfg, err := c.GetEntityConfig(ConfigTypeTopic, "withid"); err != nil || !reflect.DeepEqual(cfg, map[string]string{"retention.ms": "1000"}) {
			t.Fatalf("%v %v", cfg, err)
		}
		if ts, err := c.GetAllTopics(); err != nil || !reflect.DeepEqual(ts, []string{"a.b", "withid"}) {
			t.Fatalf("%v %v", ts, err)
		}

		// Add partitions keeps the topic id.
		bs := metas(0, 1, 2)
		added, err := PlanAddPartitions(a, bs, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddPartitions("withid", a, added); err != nil {
			t.Fatal(err)
		}
		a2, _ := c.GetTopicAssignment("withid")
		if len(a2.Partitions) != 3 || a2.TopicID != id || a2.ZkVersion != 1 {
			t.Fatalf("%+v", a2)
		}
		if err := c.AddPartitions("withid", a, added); !errors.Is(err, ErrBadVersion) {
			t.Fatalf("stale add: %v", err)
		}

		// Controller sets a topic id on the tool-created topic.
		won, _, ver, err := c.TryElect(0)
		if err != nil || !won {
			t.Fatal(won, err)
		}
		ab, _ := c.GetTopicAssignment("a.b")
		ab.TopicID = NewTopicID()
		if v, err := c.SetTopicAssignmentFenced(ver, ab); err != nil || v != 1 {
			t.Fatalf("%d %v", v, err)
		}
		if _, err := c.SetTopicAssignmentFenced(ver-1, ab); !errors.Is(err, ErrControllerMoved) {
			t.Fatal(err)
		}

		// Deletion.
		if err := c.MarkTopicForDeletion("nope"); !errors.Is(err, ErrUnknownTopicOrPartition) {
			t.Fatal(err)
		}
		if err := c.MarkTopicForDeletion("a.b"); err != nil {
			t.Fatal(err)
		}
		if data, _, err := root.Get(chroot + "/admin/delete_topics/a.b"); err != nil || data != nil {
			t.Fatalf("marker %q %v", data, err)
		}
		if err := c.MarkTopicForDeletion("a.b"); !errors.Is(err, ErrTopicAlreadyMarkedForDeletion) {
			t.Fatal(err)
		}
		if ts, _ := c.TopicsMarkedForDeletion(); !reflect.DeepEqual(ts, []string{"a.b"}) {
			t.Fatal(ts)
		}
		if _, err := c.CreatePartitionStatesFenced(ver, map[TP]LeaderIsr{{"a.b", 0}: {Leader: 1, ISR: []int32{1}}}); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteTopicFenced(ver, "a.b"); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/brokers/topics/a.b", "/config/topics/a.b", "/admin/delete_topics/a.b"} {
			if ok, _, _ := root.Exists(chroot + p); ok {
				t.Fatalf("%s survived", p)
			}
		}
		// Now a_b no longer collides.
		if err := c.CreateTopic("a_b", assign, nil, ""); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ConfigsAndNotifications", func(t *testing.T) {
		c, chroot := chrooted(t)
		var mu sync.Mutex
		var got []ConfigChange
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := c.SetEntityConfig(ConfigTypeTopic, "x", map[string]string{"retention.ms": "5"}); err != nil {
			t.Fatal(err)
		}
		if data, _, _ := root.Get(chroot + "/config/topics/x"); string(data) != `{"version":1,"config":{"retention.ms":"5"}}` {
			t.Fatalf("%s", data)
		}
		if data, _, _ := root.Get(chroot + "/config/changes/config_change_0000000000"); string(data) != `{"version":2,"entity_path":"topics/x"}` {
			t.Fatalf("%s", data)
		}
		watchDone := make(chan error, 1)
		go func() {
			watchDone <- c.WatchConfigChanges(ctx, func(ch ConfigChange) {
				mu.Lock()
				got = append(got, ch)
				mu.Unlock()
			})
		}()
		waitFor(t, "initial notification", 15*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) == 1
		})
		mu.Lock()
		if !reflect.DeepEqual(got, []ConfigChange{{0, "topics", "x"}}) {
			t.Fatalf("initial %v", got)
		}
		mu.Unlock()
		if err := c.SetEntityConfig(ConfigTypeUser, "User:alice/clients/app 1", map[string]string{"producer_byte_rate": "1024"}); err != nil {
			t.Fatal(err)
		}
		if data, _, err := root.Get(chroot + "/config/users/User%3Aalice/clients/app%201"); err != nil || string(data) != `{"version":1,"config":{"producer_byte_rate":"1024"}}` {
			t.Fatalf("%s %v", data, err)
		}
		if err := c.SetEntityConfig(ConfigTypeBroker, DefaultEntityName, map[string]string{"log.cleaner.threads": "2"}); err != nil {
			t.Fatal(err)
		}
		// A v1 notification written by an old tool is understood too.
		if _, err := root.Create(chroot+"/config/changes/config_change_", []byte(`{"version":1,"entity_type":"topics","entity_name":"y"}`), zk.FlagSequence); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "notifications", 15*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) == 4
		})
		mu.Lock()
		want := []ConfigChange{{0, "topics", "x"}, {1, "users", "User:alice/clients/app 1"}, {2, "brokers", "<default>"}, {3, "topics", "y"}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v", got)
		}
		mu.Unlock()
		if cfg, err := c.GetEntityConfig(ConfigTypeUser, "User:alice/clients/app 1"); err != nil || cfg["producer_byte_rate"] != "1024" {
			t.Fatalf("%v %v", cfg, err)
		}
		if cfg, err := c.GetEntityConfig(ConfigTypeTopic, "absent"); err != nil || len(cfg) != 0 || cfg == nil {
			t.Fatalf("absent: %v %v", cfg, err)
		}
		if names, err := c.GetEntityNames(ConfigTypeUser); err != nil || !reflect.DeepEqual(names, []string{"User:alice"}) {
			t.Fatalf("%v %v", names, err)
		}
		// Overwrite keeps one node and adds a notification.
		if err := c.SetEntityConfig(ConfigTypeTopic, "x", map[string]string{}); err != nil {
			t.Fatal(err)
		}
		if data, _, _ := root.Get(chroot + "/config/topics/x"); string(data) != `{"version":1,"config":{}}` {
			t.Fatalf("%s", data)
		}
		waitFor(t, "fifth notification", 15*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) == 5
		})
		cancel()
		select {
		case err := <-watchDone:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("watcher did not stop on cancel")
		}
	})

	t.Run("OldNotificationsPurged", func(t *testing.T) {
		c, chroot := chrooted(t)
		configChangeExpiration = -time.Hour // everything counts as expired
		defer func() { configChangeExpiration = ConfigChangeExpiration }()
		for i := 0; i < 3; i++ {
			if err := c.SetEntityConfig(ConfigTypeClient, "c*1", map[string]string{"consumer_byte_rate": "1"}); err != nil {
				t.Fatal(err)
			}
		}
		if data, _, err := root.Get(chroot + "/config/clients/c%2A1"); err != nil || data == nil {
			t.Fatalf("client config %s %v", data, err)
		}
		var mu sync.Mutex
		var got []ConfigChange
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			_ = c.WatchConfigChanges(ctx, func(ch ConfigChange) { mu.Lock(); got = append(got, ch); mu.Unlock() })
		}()
		// Stop the watcher before the deferred restore of the expiration.
		defer func() { cancel(); <-stopped }()
		waitFor(t, "purge", 15*time.Second, func() bool {
			kids, _ := root.Children(chroot + ConfigChangesPath)
			return len(kids) == 0
		})
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 3 || got[2] != (ConfigChange{2, "clients", "c*1"}) {
			t.Fatalf("%v", got)
		}
	})

	t.Run("ProducerIDBlocks", func(t *testing.T) {
		c, chroot := chrooted(t)
		s, e, err := c.ClaimProducerIDBlock(0)
		if err != nil || s != 0 || e != 999 {
			t.Fatalf("%d %d %v", s, e, err)
		}
		if data, _, _ := root.Get(chroot + ProducerIDBlockPath); string(data) != refProducerIDs {
			t.Fatalf("%s", data)
		}
		s, e, err = c.ClaimProducerIDBlock(1)
		if err != nil || s != 1000 || e != 1999 {
			t.Fatalf("%d %d %v", s, e, err)
		}
		// Concurrent claimers get disjoint blocks.
		other := connectT(t, z.Addr+chroot)
		var wg sync.WaitGroup
		starts := make(chan int64, 20)
		for i := 0; i < 10; i++ {
			for j, cl := range []*Client{c, other} {
				wg.Add(1)
				go func(cl *Client, broker int32) {
					defer wg.Done()
					s, e, err := cl.ClaimProducerIDBlock(broker)
					if err != nil || e-s != 999 || s%1000 != 0 {
						t.Errorf("%d %d %v", s, e, err)
					}
					starts <- s
				}(cl, int32(10+2*i+j))
			}
		}
		wg.Wait()
		close(starts)
		seen := map[int64]bool{}
		for s := range starts {
			if seen[s] {
				t.Fatalf("block %d handed out twice", s)
			}
			seen[s] = true
		}
		if len(seen) != 20 {
			t.Fatalf("%d blocks", len(seen))
		}
	})

	t.Run("AdminZnodes", func(t *testing.T) {
		c, chroot := chrooted(t)
		m := map[TP][]int32{{"foo", 1}: {1, 2, 3}}
		if err := c.CreateReassignment(m); err != nil {
			t.Fatal(err)
		}
		if data, _, _ := root.Get(chroot + ReassignPartitionsPath); string(data) != refReassign {
			t.Fatalf("%s", data)
		}
		if err := c.CreateReassignment(m); !errors.Is(err, ErrReassignmentInProgress) {
			t.Fatal(err)
		}
		if got, err := c.GetReassignment(); err != nil || !reflect.DeepEqual(got, m) {
			t.Fatal(got, err)
		}
		won, _, ver, _ := c.TryElect(0)
		if !won {
			t.Fatal("not elected")
		}
		if err := c.SetReassignmentFenced(ver, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetReassignment(); !errors.Is(err, ErrNoNode) {
			t.Fatal(err)
		}
		if err := c.CreatePreferredReplicaElection([]TP{{"foo", 0}, {"bar", 2}}); err != nil {
			t.Fatal(err)
		}
		if data, _, _ := root.Get(chroot + PreferredReplicaElectionPath); string(data) != refPreferred {
			t.Fatalf("%s", data)
		}
		if err := c.DeletePreferredReplicaElectionFenced(ver); err != nil {
			t.Fatal(err)
		}
		v, err := c.EnsureFeatureZNode()
		if err != nil || v != 0 {
			t.Fatal(v, err)
		}
		if data, _, _ := root.Get(chroot + FeaturePath); string(data) != refFeature {
			t.Fatalf("%s", data)
		}
	})

	t.Run("ConnectRetriesUntilServerReachable", func(t *testing.T) {
		p := startProxy(t, z.Addr)
		p.block()
		tl, log := newTestLogger(t)
		type result struct {
			c   *Client
			err error
		}
		done := make(chan result, 1)
		go func() {
			c, err := Connect(p.Addr+"/late", 6*time.Second, 30*time.Second, log)
			done <- result{c, err}
		}()
		waitFor(t, "waiting log line", 10*time.Second, func() bool { return strings.Contains(tl.String(), "Waiting until connected.") })
		time.Sleep(1500 * time.Millisecond) // let a few connection attempts fail
		p.unblock()
		select {
		case r := <-done:
			if r.err != nil {
				t.Fatal(r.err)
			}
			defer r.c.Close()
			if ok, _, _ := root.Exists("/late"); !ok {
				t.Fatal("chroot not created")
			}
		case <-time.After(30 * time.Second):
			t.Fatal("connect did not finish")
		}
	})
}

func TestZKConnectTimeout(t *testing.T) {
	port := freePort(t) // nothing listens here
	tl, log := newTestLogger(t)
	log = log.Level(zerolog.DebugLevel)
	start := time.Now()
	c, err := Connect(fmt.Sprintf("127.0.0.1:%d", port), 6*time.Second, 1500*time.Millisecond, log)
	if err == nil {
		c.Close()
		t.Fatal("connected to nothing")
	}
	if !errors.Is(err, ErrConnectionTimeout) || err.Error() != "Timed out waiting for connection while in state: CONNECTING" {
		t.Fatalf("error %v", err)
	}
	if el := time.Since(start); el < 1400*time.Millisecond || el > 10*time.Second {
		t.Fatalf("gave up after %v", el)
	}
	// go-zookeeper's own lines arrive through zerolog at debug level.
	if !strings.Contains(tl.String(), `"level":"debug","message":"failed to connect to 127.0.0.1:`) {
		t.Fatalf("zk library log not routed: %s", tl.String())
	}
}

func TestZKSessionExpiry(t *testing.T) {
	z := startZK(t)
	root := connectT(t, z.Addr)
	p := startProxy(t, z.Addr)
	_, log := newTestLogger(t)
	c, err := Connect(p.Addr+"/exp", 4*time.Second, 20*time.Second, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.EnsurePersistentPaths(); err != nil {
		t.Fatal(err)
	}
	events := c.SessionEvents()
	if ev := <-events; ev != SessionConnected {
		t.Fatalf("first event %v", ev)
	}
	b := BrokerInfo{ID: 0, Endpoints: []Endpoint{{Listener: "PLAINTEXT", Host: "h", Port: 1}}}
	epoch1, err := c.RegisterBroker(b)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var changes []string
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = c.WatchConfigChanges(ctx, func(ch ConfigChange) {
			mu.Lock()
			changes = append(changes, ch.EntityName)
			mu.Unlock()
		})
	}()
	oldSession := c.SessionID()

	p.block()
	// The server expires the session once it misses heartbeats; its ephemeral goes.
	waitFor(t, "server-side expiry", 30*time.Second, func() bool {
		ok, _, err := root.Exists("/exp/brokers/ids/0")
		return err == nil && !ok
	})
	// A config change made while the broker is cut off must still be seen.
	rootExp := connectT(t, z.Addr+"/exp")
	if err := rootExp.SetEntityConfig(ConfigTypeTopic, "during-outage", map[string]string{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	p.unblock()

	var seen []SessionEvent
	deadline := time.After(30 * time.Second)
	for len(seen) == 0 || seen[len(seen)-1] != SessionExpiredAndReconnected {
		select {
		case ev := <-events:
			seen = append(seen, ev)
		case <-deadline:
			t.Fatalf("events so far %v", seen)
		}
	}
	if !containsEvent(seen, SessionDisconnected) || !containsEvent(seen, SessionExpired) {
		t.Fatalf("events %v", seen)
	}
	if c.SessionID() == oldSession || c.SessionID() == 0 {
		t.Fatalf("session %x -> %x", oldSession, c.SessionID())
	}
	epoch2, err := c.RegisterBroker(b)
	if err != nil || epoch2 <= epoch1 {
		t.Fatalf("re-register: %d %v", epoch2, err)
	}
	waitFor(t, "config change after expiry", 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(changes) == 1 && changes[0] == "during-outage"
	})
	if err := rootExp.SetEntityConfig(ConfigTypeTopic, "after", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "watch re-armed", 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(changes) == 2 && changes[1] == "after"
	})
}

func containsEvent(evs []SessionEvent, e SessionEvent) bool {
	for _, x := range evs {
		if x == e {
			return true
		}
	}
	return false
}
