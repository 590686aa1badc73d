package keepersecurity

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// maxFileBytes bounds an attachment Ferry downloads: a Kubernetes Secret holds at most
// 1 MiB, so a larger file could not be written anyway.
const maxFileBytes = 1 << 20

// wireFile is an attachment as get_secret lists it with its record: its key sealed with
// the record's key, its metadata (name, title, type, size) with its own key, and the URL its
// content (sealed with its key too) is downloaded from.
type wireFile struct {
	FileUID string `json:"fileUid"`
	FileKey string `json:"fileKey"`
	Data    string `json:"data"`
	URL     string `json:"url"`
}

// attachment is a record's file whose metadata is decrypted; its content is downloaded
// only when a read needs it.
type attachment struct {
	uid, title, name, url string
	size                  int64
	key                   []byte
}

// decryptFile opens an attachment's key and metadata with its record's key.
func decryptFile(recordUID string, w wireFile, recordKey []byte) (*attachment, error) {
	sealedKey, err := decodeBase64(w.FileKey)
	if err != nil {
		return nil, fmt.Errorf("record %q: the key of file %q is not base64", recordUID, w.FileUID)
	}
	fileKey, err := open(recordKey, sealedKey)
	if err != nil {
		return nil, fmt.Errorf("record %q: the key of file %q does not decrypt with the record's key", recordUID, w.FileUID)
	}
	sealedMeta, err := decodeBase64(w.Data)
	if err != nil {
		return nil, fmt.Errorf("record %q: the metadata of file %q is not base64", recordUID, w.FileUID)
	}
	plain, err := open(fileKey, sealedMeta)
	if err != nil {
		return nil, fmt.Errorf("record %q: the metadata of file %q does not decrypt with its key", recordUID, w.FileUID)
	}
	var meta struct {
		Name  string `json:"name"`
		Title string `json:"title"`
		Size  int64  `json:"size"`
	}
	if err := json.Unmarshal(plain, &meta); err != nil {
		return nil, fmt.Errorf("record %q: the metadata of file %q is not JSON", recordUID, w.FileUID)
	}
	return &attachment{uid: w.FileUID, title: meta.Title, name: meta.Name, url: w.URL, size: meta.Size, key: fileKey}, nil
}

// attachmentTitled is the record's file whose title is title, as ESO names files; nil
// when none is.
func (r *record) attachmentTitled(title string) *attachment {
	for _, a := range r.attachments {
		if a.title == title {
			return a
		}
	}
	return nil
}

// withFiles downloads every attachment of r into its JSON's files, as ESO gives them.
func (c *Client) withFiles(ctx context.Context, r *record) error {
	if r.Files != nil {
		return nil
	}
	for _, a := range r.attachments {
		content, err := c.download(ctx, r, a)
		if err != nil {
			return err
		}
		r.Files = append(r.Files, fileEntry{Title: a.title, Content: string(content)})
	}
	return nil
}

// download fetches an attachment's content from the URL Keeper gave and opens it with the
// file's key, reading at most maxFileBytes of it.
func (c *Client) download(ctx context.Context, r *record, a *attachment) ([]byte, error) {
	where := fmt.Sprintf("record %q, file %q (%s)", r.UID, a.title, a.uid)
	if a.size > maxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a Kubernetes Secret holds", where, a.size, maxFileBytes)
	}
	u, err := url.Parse(a.url)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%s: Keeper gave no https URL to download it from", where)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.api.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: downloading: %w", where, restclient.UnwrapURLError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: the download answered HTTP %d", where, resp.StatusCode)
	}
	// The sealed content is the file, a 12-byte nonce and a 16-byte tag.
	sealed, err := io.ReadAll(io.LimitReader(resp.Body, maxFileBytes+gcmNonceSize+16+1))
	if err != nil {
		return nil, fmt.Errorf("%s: downloading: %w", where, err)
	}
	if len(sealed) > maxFileBytes+gcmNonceSize+16 {
		return nil, fmt.Errorf("%s: more than the %d bytes a Kubernetes Secret holds", where, maxFileBytes)
	}
	content, err := open(a.key, sealed)
	if err != nil {
		return nil, fmt.Errorf("%s: the downloaded content does not decrypt with the file's key", where)
	}
	return content, nil
}
