package yandex

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	lockbox "github.com/yandex-cloud/go-genproto/yandex/cloud/lockbox/v1"
	"google.golang.org/grpc"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// LockboxClient reads the secrets of Yandex Lockbox for one store.
type LockboxClient struct {
	*session
}

var _ provider.Client = (*LockboxClient)(nil)

// entry is one entry of a secret's version: its value is text or bytes.
type entry struct {
	key    string
	text   string
	binary []byte
	isText bool
}

func (e entry) bytes() []byte {
	if e.isText {
		return []byte(e.text)
	}
	return e.binary
}

// payload reads the entries of the version of the secret key names (its current version
// when version is empty): by ID with PayloadService.Get, or by name in the store's folder
// with PayloadService.GetEx, which gives every value as bytes.
func (c *LockboxClient) payload(ctx context.Context, key, version string) ([]entry, error) {
	var entries []entry
	err := c.call(ctx, key, func(ctx context.Context, conn *grpc.ClientConn) error {
		payloads := lockbox.NewPayloadServiceClient(conn)
		if c.byName() {
			resp, err := payloads.GetEx(ctx, &lockbox.GetExRequest{
				Identifier: &lockbox.GetExRequest_FolderAndName{FolderAndName: &lockbox.FolderAndName{FolderId: c.folderID, SecretName: key}},
				VersionId:  version,
			})
			if err != nil {
				return err
			}
			entries = entries[:0]
			for k, v := range resp.GetEntries() {
				entries = append(entries, entry{key: k, binary: v})
			}
			sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
			return nil
		}
		resp, err := payloads.Get(ctx, &lockbox.GetPayloadRequest{SecretId: key, VersionId: version})
		if err != nil {
			return err
		}
		entries = entries[:0]
		for _, e := range resp.GetEntries() {
			switch v := e.GetValue().(type) {
			case *lockbox.Payload_Entry_TextValue:
				entries = append(entries, entry{key: e.GetKey(), text: v.TextValue, isText: true})
			case *lockbox.Payload_Entry_BinaryValue:
				entries = append(entries, entry{key: e.GetKey(), binary: v.BinaryValue})
			default:
				return fmt.Errorf("reading Lockbox secret %q: entry %q has neither a text nor a binary value", key, e.GetKey())
			}
		}
		return nil
	})
	return entries, err
}

// GetSecret returns the entry ref.Property names, as its bytes; without a property, the
// JSON object of every entry, where a text value is a string and a binary value the base64
// string of its bytes (ESO's encoding, which JSON gives a byte slice).
func (c *LockboxClient) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	entries, err := c.payload(ctx, ref.Key, ref.Version)
	if err != nil {
		return nil, err
	}
	if ref.Property == "" {
		whole := make(map[string]any, len(entries))
		for _, e := range entries {
			if e.isText {
				whole[e.key] = e.text
			} else {
				whole[e.key] = e.binary
			}
		}
		return json.Marshal(whole)
	}
	for _, e := range entries {
		if e.key == ref.Property {
			return e.bytes(), nil
		}
	}
	return nil, fmt.Errorf("remoteRef.key %q: the Lockbox secret has no entry %q (it has %s); remoteRef.property names an entry's key",
		ref.Key, ref.Property, entryKeys(entries))
}

func entryKeys(entries []entry) string {
	if len(entries) == 0 {
		return "none"
	}
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.key
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// GetSecretMap returns every entry of the secret, each as its bytes. ref.Property is not
// read, as in ESO: an entry's value is not a document to look into.
func (c *LockboxClient) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	entries, err := c.payload(ctx, ref.Key, ref.Version)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(entries))
	for _, e := range entries {
		out[e.key] = e.bytes()
	}
	return out, nil
}
