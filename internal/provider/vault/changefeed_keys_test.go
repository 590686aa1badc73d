package vault

import (
	"slices"
	"testing"
	"time"
)

// TestEventKeys: an event names its secret under every remote key that reads exactly that
// secret through the store (the key below the mount, with the mount, and for KV v2 with
// "data/", as ESO's path rules read them), and under none for a secret of another mount or
// engine version, the engine's configuration, a read, another plugin's event; a message
// that is no event, or a KV change without a path, is malformed.
func TestEventKeys(t *testing.T) {
	at := time.Date(2026, 12, 5, 13, 0, 0, 250000000, time.UTC)
	secretV2 := layout{mount: "secret", v2: true}
	for _, tc := range []struct {
		name      string
		layout    layout
		message   string
		want      []string
		malformed bool
	}{
		{"KV v2 write, Vault 1.15+ metadata", secretV2, kvEvent("kv-v2/data-write", "secret", "app/db", at),
			[]string{"app/db", "secret/app/db", "secret/data/app/db"}, false},
		{"KV v2 write, Vault 1.13 path below the mount", secretV2,
			`{"data":{"event":{"metadata":{"current_version":"1","oldest_version":"0","path":"data/foo"}},"event_type":"kv-v2/data-write","plugin_info":{"mount_path":"secret/","plugin":"kv"}}}`,
			[]string{"foo", "secret/foo", "secret/data/foo"}, false},
		{"KV v2 fields as Vault 1.13's list names them", secretV2,
			`{"data":{"event":{"metadata":{"path":"secret/data/foo"}},"eventType":"kv-v2/data-write","pluginInfo":{"mountPath":"secret/"}}}`,
			[]string{"foo", "secret/foo", "secret/data/foo"}, false},
		{"store without a mount: the first segment is the mount", layout{v2: true},
			kvEvent("kv-v2/data-patch", "secret", "app", at), []string{"secret/app", "secret/data/app"}, false},
		{"mount of two segments", layout{mount: "team/kv", v2: true}, kvEvent("kv-v2/data-write", "team/kv", "app", at),
			[]string{"app", "team/kv/app", "team/kv/data/app"}, false},
		{"soft delete", secretV2, kvEvent("kv-v2/delete", "secret", "app", at), []string{"app", "secret/app", "secret/data/app"}, false},
		{"destroy", secretV2, kvEvent("kv-v2/destroy", "secret", "app", at), []string{"app", "secret/app", "secret/data/app"}, false},
		{"undelete", secretV2, kvEvent("kv-v2/undelete", "secret", "app", at), []string{"app", "secret/app", "secret/data/app"}, false},
		{"custom metadata written", secretV2, kvEvent("kv-v2/metadata-write", "secret", "app", at), []string{"app", "secret/app", "secret/data/app"}, false},
		{"secret and its versions deleted", secretV2, kvEvent("kv-v2/metadata-delete", "secret", "app", at), []string{"app", "secret/app", "secret/data/app"}, false},
		{"no plugin info: the store's mount", secretV2,
			`{"data":{"event":{"metadata":{"path":"secret/data/app","data_path":"secret/data/app"}},"event_type":"kv-v2/data-write"}}`,
			[]string{"app", "secret/app", "secret/data/app"}, false},
		{"no plugin info, another mount", secretV2,
			`{"data":{"event":{"metadata":{"path":"other/data/app"}},"event_type":"kv-v2/data-write"}}`, nil, false},
		{"OpenBao's default mount", layout{mount: "kv", v2: true}, kvEvent("kv-v2/data-write", "kv", "app", at),
			[]string{"app", "kv/app", "kv/data/app"}, false},
		{"KV v1 write", layout{mount: "kv1"}, kvEvent("kv-v1/write", "kv1", "team/app", at), []string{"team/app", "kv1/team/app"}, false},
		{"KV v1 delete", layout{mount: "kv1"}, kvEvent("kv-v1/delete", "kv1", "app", at), []string{"app", "kv1/app"}, false},
		{"KV v1 store without a mount", layout{}, kvEvent("kv-v1/write", "kv1", "app", at), []string{"kv1/app"}, false},
		{"another mount", secretV2, kvEvent("kv-v2/data-write", "other", "app", at), nil, false},
		{"a KV v1 event on a KV v2 store", secretV2, kvEvent("kv-v1/write", "secret", "app", at), nil, false},
		{"a KV v2 event on a KV v1 store", layout{mount: "secret"}, kvEvent("kv-v2/data-write", "secret", "app", at), nil, false},
		{"the engine's configuration", secretV2,
			`{"data":{"event":{"metadata":{"path":"secret/config","data_path":"secret/config"}},"event_type":"kv-v2/config-write","plugin_info":{"mount_path":"secret/"}}}`,
			nil, false},
		{"a metadata read (Vault 1.13) changes nothing", secretV2,
			`{"data":{"event":{"metadata":{"path":"secret/metadata/app"}},"event_type":"kv-v2/metadata-read","plugin_info":{"mount_path":"secret/"}}}`,
			nil, false},
		{"another plugin", secretV2,
			`{"data":{"event":{"metadata":{"path":"database/rotate/app","name":"app"}},"event_type":"database/rotate","plugin_info":{"mount_path":"database/"}}}`,
			nil, false},
		{"not JSON", secretV2, `kv-v2/data-write secret/data/app`, nil, true},
		{"no event type", secretV2, `{"data":{"event":{"metadata":{"path":"secret/data/app"}}}}`, nil, true},
		{"a KV change without a path", secretV2, `{"data":{"event":{"metadata":{}},"event_type":"kv-v2/data-write"}}`, nil, true},
		{"a path of the wrong type", secretV2, `{"data":{"event":{"metadata":{"path":7}},"event_type":"kv-v2/data-write"}}`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.layout.parseEvent([]byte(tc.message))
			if !slices.Equal(c.Keys, tc.want) || c.Malformed != tc.malformed {
				t.Errorf("keys %q, malformed %v; want %q, %v", c.Keys, c.Malformed, tc.want, tc.malformed)
			}
			for _, k := range c.Keys {
				if got, want := tc.layout.dataPath(k), tc.layout.dataPath(c.Keys[0]); got != want {
					t.Errorf("key %q reads %s, key %q reads %s: not one secret", k, got, c.Keys[0], want)
				}
			}
		})
	}
	if c := secretV2.parseEvent([]byte(kvEvent("kv-v2/data-write", "secret", "app", at))); !c.At.Equal(at) {
		t.Errorf("change time %v, want the event's time %v", c.At, at)
	}
}

// FuzzParseEvent: no message makes the parser fail, and every key it returns reads the one
// secret the event names.
func FuzzParseEvent(f *testing.F) {
	f.Add(kvEvent("kv-v2/data-write", "secret", "app/db", time.Now()), "secret", true)
	f.Add(kvEvent("kv-v1/delete", "kv1", "app", time.Now()), "", false)
	f.Add(`{"data":{"event":{"metadata":{"path":"//"}},"event_type":"kv-v2/delete","plugin_info":{"mount_path":"/"}}}`, "", true)
	f.Fuzz(func(t *testing.T, message, mount string, v2 bool) {
		l := layout{mount: mount, v2: v2}
		c := l.parseEvent([]byte(message))
		if c.Malformed && len(c.Keys) > 0 {
			t.Fatalf("a malformed change names keys %q", c.Keys)
		}
		for _, k := range c.Keys {
			if l.dataPath(k) != l.dataPath(c.Keys[0]) {
				t.Fatalf("keys %q read different secrets", c.Keys)
			}
		}
	})
}
