package vault

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/provider"
)

// kvChangeOperations are the KV event types, by engine version, that report a change of one
// secret (Vault's "Event notifications" concepts page). Others name no secret
// (kv-v2/config-write) or changed nothing: Vault 1.13 published kv-v2/metadata-read on
// every metadata read, and following it would turn Ferry's own reads into a loop.
var kvChangeOperations = map[string]map[string]bool{
	"kv-v1": {"write": true, "delete": true},
	"kv-v2": {"data-write": true, "data-patch": true, "data-delete": true, "delete": true, "destroy": true,
		"undelete": true, "metadata-write": true, "metadata-patch": true, "metadata-delete": true},
}

// kvV2Sections are the first segments of KV v2 API paths below the mount that name a
// secret: the path of the event's request, e.g. "secret/delete/app".
var kvV2Sections = map[string]bool{"data": true, "metadata": true, "delete": true, "destroy": true, "undelete": true}

// vaultEvent is the part of a JSON event (a CloudEvent) the feed reads. Vault documents
// the data's fields in snake case and, for 1.13, also in camel case; both are read. The
// metadata names the secret and never holds its value, but a message is still never logged:
// Vault warns that a future payload may carry the secret to tokens that may read it.
type vaultEvent struct {
	Time string `json:"time"`
	Data struct {
		Event struct {
			Metadata struct {
				Path     string `json:"path"`
				DataPath string `json:"data_path"`
			} `json:"metadata"`
		} `json:"event"`
		EventType       string          `json:"event_type"`
		EventTypeCamel  string          `json:"eventType"`
		PluginInfo      vaultEventMount `json:"plugin_info"`
		PluginInfoCamel vaultEventMount `json:"pluginInfo"`
	} `json:"data"`
}

type vaultEventMount struct {
	MountPath      string `json:"mount_path"`
	MountPathCamel string `json:"mountPath"`
}

// parseEvent returns the change a JSON event message reports, for a store of layout l. An
// event of another mount, engine version or plugin reports no key; a message that is not
// an event, or a KV change without a path, is malformed.
func (l layout) parseEvent(message []byte) provider.Change {
	var e vaultEvent
	if err := json.Unmarshal(message, &e); err != nil {
		return provider.Change{Malformed: true}
	}
	eventType := firstOf(e.Data.EventType, e.Data.EventTypeCamel)
	if eventType == "" {
		return provider.Change{Malformed: true}
	}
	engine, operation, _ := strings.Cut(eventType, "/")
	if !kvChangeOperations[engine][operation] {
		return provider.Change{}
	}
	path := firstOf(e.Data.Event.Metadata.DataPath, e.Data.Event.Metadata.Path)
	if strings.Trim(path, "/") == "" {
		return provider.Change{Malformed: true}
	}
	mount := firstOf(e.Data.PluginInfo.MountPath, e.Data.PluginInfo.MountPathCamel,
		e.Data.PluginInfoCamel.MountPath, e.Data.PluginInfoCamel.MountPathCamel)
	c := provider.Change{Keys: l.eventKeys(engine == "kv-v2", mount, path)}
	if at, err := time.Parse(time.RFC3339Nano, e.Time); err == nil {
		c.At = at
	}
	return c
}

// eventKeys returns the remote keys, in every form this store's ExternalSecrets may write
// them, of the secret at path (with or without its mount, which Vault sent as mountPath,
// possibly empty) of a KV engine of version 2 or 1. Each key returned reads exactly that
// secret through l; a secret of another mount or version yields none.
func (l layout) eventKeys(v2 bool, mountPath, path string) []string {
	if v2 != l.v2 {
		return nil
	}
	path = strings.Trim(path, "/")
	mount := strings.Trim(mountPath, "/")
	var rest string
	switch {
	case mount != "":
		// Vault 1.13 sent the path below the mount ("data/app"), later versions the whole
		// API path ("secret/data/app").
		rest = strings.TrimPrefix(path, mount+"/")
	case l.mount != "" && strings.HasPrefix(path, l.mount+"/"):
		mount, rest = l.mount, strings.TrimPrefix(path, l.mount+"/")
	default:
		return nil
	}
	secret := rest
	if v2 {
		section, after, _ := strings.Cut(rest, "/")
		if !kvV2Sections[section] {
			return nil
		}
		secret = after
	}
	if strings.Trim(secret, "/") == "" {
		return nil
	}
	want := joinPath(mount, secret)
	candidates := []string{secret, joinPath(mount, secret)}
	if v2 {
		want = joinPath(mount, "data", secret)
		candidates = append(candidates, want)
	}
	var keys []string
	for _, k := range candidates {
		if l.dataPath(k) == want && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
