package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func TestFormatStat(t *testing.T) {
	ts := time.Date(2021, 6, 1, 12, 0, 0, 0, time.Local).UnixMilli()
	st := &zk.Stat{Czxid: 0x1c, Mzxid: 0x2a, Pzxid: 0x1c, Ctime: ts, Mtime: ts, Version: 3, EphemeralOwner: 0x1000027e5da0000, DataLength: 54}
	d := time.UnixMilli(ts).Format("Mon Jan 02 15:04:05 MST 2006")
	want := "cZxid = 0x1c\nctime = " + d + "\nmZxid = 0x2a\nmtime = " + d + "\npZxid = 0x1c\ncversion = 0\ndataVersion = 3\naclVersion = 0\nephemeralOwner = 0x1000027e5da0000\ndataLength = 54\nnumChildren = 0\n"
	if got := formatStat(st); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestShellArgHelpers(t *testing.T) {
	flags, pos := splitFlags([]string{"-s", "-v", "3", "/a", "data"}, map[string]bool{"-v": true})
	if !reflect.DeepEqual(flags, map[string]string{"-s": "", "-v": "3"}) || !reflect.DeepEqual(pos, []string{"/a", "data"}) {
		t.Errorf("%v %v", flags, pos)
	}
	for p, ok := range map[string]bool{"/": true, "/a/b": true, "a": false, "/a/": false, "": false} {
		if (validPath(p) == nil) != ok {
			t.Errorf("validPath(%q)", p)
		}
	}
	sh := &zkShell{server: "localhost:2181/kafka", count: 3}
	if got := sh.prompt(); got != "[zk: localhost:2181/kafka(CONNECTED) 3] " {
		t.Errorf("prompt %q", got)
	}
}

func TestShellUsage(t *testing.T) {
	_, errOut, code := runIn(t, "zookeeper-shell", "")
	if code != 1 || errOut != "USAGE: bin/zookeeper-shell.sh zookeeper_host:port[/path] [-zk-tls-config-file <file>] [args...]\n" {
		t.Errorf("%d %q", code, errOut)
	}
}
