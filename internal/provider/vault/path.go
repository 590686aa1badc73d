package vault

import "strings"

// layout turns remote keys into API paths for one store: its mount (spec.provider.vault.path)
// and KV version.
type layout struct {
	// mount is the KV engine's mount path; empty when the store names none, and then the
	// first segment of each key is the mount.
	mount string
	v2    bool
}

// dataPath is the path a value is read from: for KV v2 "<mount>/data/<key>", for KV v1
// "<mount>/<key>".
func (l layout) dataPath(key string) string { return l.path(key, "data") }

// metadataPath is the path of a KV v2 secret's metadata: "<mount>/metadata/<key>". It is
// also where a KV v2 mount is listed.
func (l layout) metadataPath(key string) string { return l.path(key, "metadata") }

// path splits key into mount and secret path and inserts section ("data" or "metadata")
// after the mount for KV v2. Following External Secrets Operator: a key that already starts
// with the store's mount is not prefixed twice, and a key that already holds "/data/" (a
// path copied from Vault's UI) is taken as it is.
func (l layout) path(key, section string) string {
	key = strings.Trim(key, "/")
	var mount, rest string
	switch {
	case l.mount != "":
		mount = l.mount
		rest = key
		if after, ok := strings.CutPrefix(key, mount+"/"); ok {
			rest = after
			if l.v2 {
				if after, ok := strings.CutPrefix(rest, "data/"); ok {
					rest = after
				}
			}
		}
	case l.v2 && strings.Contains(key, "/data/"):
		mount, rest, _ = strings.Cut(key, "/data/")
	default:
		mount, rest, _ = strings.Cut(key, "/")
	}
	if !l.v2 {
		return joinPath(mount, rest)
	}
	return joinPath(mount, section, rest)
}

// remoteKey is the inverse of path for what a list finds: the key a remoteRef of this store
// would name the secret with, given its path below the mount.
func (l layout) remoteKey(mount, rest string) string {
	if l.mount != "" {
		return rest
	}
	return joinPath(mount, rest)
}

// listRoot splits a find.path into the mount to list and the folder below it.
func (l layout) listRoot(findPath string) (mount, folder string) {
	findPath = strings.Trim(findPath, "/")
	if l.mount != "" {
		if after, ok := strings.CutPrefix(findPath, l.mount+"/"); ok {
			return l.mount, after
		}
		if findPath == l.mount {
			return l.mount, ""
		}
		return l.mount, findPath
	}
	mount, folder, _ = strings.Cut(findPath, "/")
	return mount, folder
}

func joinPath(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.Trim(p, "/"); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "/")
}
