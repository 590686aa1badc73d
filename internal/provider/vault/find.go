package vault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// maxFindSecrets bounds how many secrets one find may walk, so a find over a large mount
// fails clearly instead of reading it all on every sync.
const maxFindSecrets = 2000

// kvList is Vault's answer to a LIST.
type kvList struct {
	Data *struct {
		Keys []string `json:"keys"`
	} `json:"data"`
}

// GetAllSecrets walks the KV folder find.path names (recursively), keeps the secrets
// whose path matches find.name.regexp and whose custom_metadata holds every find.tags
// pair, and returns each one's data as a JSON object, keyed by the remote key a remoteRef
// of this store would name it with.
func (c *kvClient) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	l := c.conn.layout
	switch {
	case !l.v2 && !c.listsKV1:
		return nil, errors.New("dataFrom.find: a KV v1 engine cannot be searched; use a KV v2 store")
	case !l.v2 && len(find.Tags) > 0:
		return nil, errors.New("dataFrom.find.tags: a KV v1 engine keeps no metadata to match tags against; use a KV v2 store or find by name")
	}
	sel, err := provider.CompileFind(find, provider.FindOptions{PathIsScope: true, EmptySelectsAll: true})
	if err != nil {
		return nil, err
	}
	mount, folder := l.listRoot(deref(find.Path))
	if mount == "" {
		return nil, errors.New("dataFrom.find.path: required when the store sets no path: its first segment names the KV mount")
	}
	paths, err := c.walk(ctx, mount, folder)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, path := range paths {
		if !sel.MatchName(path) {
			continue
		}
		key := l.remoteKey(mount, path)
		if len(find.Tags) > 0 {
			meta, err := c.metadataV2(ctx, joinPath(mount, "metadata", path), key)
			if errors.Is(err, provider.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if !sel.MatchTags(meta) {
				continue
			}
		}
		var data []byte
		if l.v2 {
			data, err = c.dataV2(ctx, joinPath(mount, "data", path), key, "")
		} else {
			data, err = c.dataV1(ctx, joinPath(mount, path), key)
		}
		if errors.Is(err, provider.ErrNotFound) {
			// Deleted since it was listed, or its latest version is soft-deleted.
			continue
		}
		if err != nil {
			return nil, err
		}
		out[key] = data
	}
	return out, nil
}

// walk lists the secrets below folder of a KV mount, depth first, as paths below the
// mount, sorted.
func (c *kvClient) walk(ctx context.Context, mount, folder string) ([]string, error) {
	var found []string
	pending := []string{folder}
	for len(pending) > 0 {
		dir := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		var out kvList
		listPath := joinPath(mount, dir)
		if c.conn.layout.v2 {
			listPath = joinPath(mount, "metadata", dir)
		}
		req := request{method: http.MethodGet, path: listPath, query: url.Values{"list": {"true"}}}
		err := c.conn.call(ctx, req, &out)
		if statusOf(err) == http.StatusNotFound {
			continue // an empty or missing folder
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s folder %q: %w", c.product(), joinPath(mount, dir), err)
		}
		if out.Data == nil {
			continue
		}
		for _, k := range out.Data.Keys {
			if strings.HasSuffix(k, "/") {
				pending = append(pending, joinPath(dir, k))
				continue
			}
			found = append(found, joinPath(dir, k))
			if len(found) > maxFindSecrets {
				return nil, fmt.Errorf("dataFrom.find: more than %d secrets below %q; narrow find.path", maxFindSecrets, joinPath(mount, folder))
			}
		}
	}
	sort.Strings(found)
	return found, nil
}
