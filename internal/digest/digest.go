// Package digest computes keyed digests (HMAC-SHA256) of Secret data. Ferry puts them in
// annotations to detect changes without storing a plain hash that would let anyone who can
// read the annotation test guesses of a secret value. It holds no state beyond the key.
package digest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"maps"
	"slices"
)

// Key is the HMAC key. The same key must be used across restarts so digests stay stable.
type Key []byte

// Data returns the keyed digest of a Secret's data: keys in order, each key and value
// length-prefixed so no two different maps share an encoding.
func (k Key) Data(data map[string][]byte) string {
	mac := hmac.New(sha256.New, k)
	writeData(mac, data)
	return hex.EncodeToString(mac.Sum(nil))
}

// Parts returns the keyed digest of several named data maps (for example every Secret and
// ConfigMap a workload uses), in the order of their names.
func (k Key) Parts(parts map[string]map[string][]byte) string {
	mac := hmac.New(sha256.New, k)
	for _, name := range slices.Sorted(maps.Keys(parts)) {
		writeBytes(mac, []byte(name))
		writeData(mac, parts[name])
	}
	return hex.EncodeToString(mac.Sum(nil))
}

func writeData(h hash.Hash, data map[string][]byte) {
	for _, key := range slices.Sorted(maps.Keys(data)) {
		writeBytes(h, []byte(key))
		writeBytes(h, data[key])
	}
}

func writeBytes(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	_, _ = h.Write(n[:])
	_, _ = h.Write(b)
}
