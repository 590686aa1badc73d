package bitwarden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
)

// OwnershipLine is the line Ferry ends the note of the secrets it creates with, and the
// mark of the only secrets it overwrites or deletes. Bitwarden secrets have a key, a
// value and a note, nothing else to carry it. ESO marks nothing: a secret it pushed is
// Ferry's to manage once this line is added to its note.
const OwnershipLine = provider.ManagedByTag + "=" + provider.ManagedByValue

// noteMetadataKey is the key of PushSecret's spec.data[].metadata that sets the note, as
// in ESO.
const noteMetadataKey = "note"

// owned says whether note carries Ferry's ownership line.
func owned(note string) bool {
	for line := range strings.SplitSeq(note, "\n") {
		if strings.TrimSpace(line) == OwnershipLine {
			return true
		}
	}
	return false
}

// ownedNote is the note Ferry writes: the user's note, then the ownership line.
func ownedNote(note string) string {
	if note == "" {
		return OwnershipLine
	}
	return strings.TrimRight(note, "\n") + "\n" + OwnershipLine
}

// nameOnly refuses an ID as a push's remote key: ESO would create a secret named after it.
func nameOnly(key string) error {
	if uuidFormat.MatchString(key) {
		return fmt.Errorf("remote key %q: PushSecret names a secret by its name (key) in the store's project, not by an ID", key)
	}
	return nil
}

// pushTarget is what a push remote key names in the store's project: the secret Ferry
// owns there, if any, and whether a secret of that name exists at all.
type pushTarget struct {
	mine    *secret
	present bool
}

// target finds the secrets of the store's project named key and picks the one Ferry owns.
// A name only others' secrets hold is provider.ErrNotManaged; two of Ferry's is an error.
func (c *Client) target(ctx context.Context, key string) (*pushTarget, error) {
	if err := nameOnly(key); err != nil {
		return nil, err
	}
	found, err := c.named(ctx, key)
	if err != nil {
		return nil, err
	}
	t := &pushTarget{present: len(found) > 0}
	for _, s := range found {
		if !owned(s.Note) {
			continue
		}
		if t.mine != nil {
			return nil, fmt.Errorf("secret %q: two secrets of that name in project %s carry %s; delete one", key, c.projectID, OwnershipLine)
		}
		t.mine = s
	}
	if t.present && t.mine == nil {
		return nil, fmt.Errorf("secret %q: %w (its note lacks the line %s)", key, provider.ErrNotManaged, OwnershipLine)
	}
	return t, nil
}

// pushNote reads the note from the push's metadata ({"note": "..."}, as ESO reads it).
func pushNote(ref provider.PushRef) (string, error) {
	if ref.Metadata == nil || len(ref.Metadata.Raw) == 0 {
		return "", nil
	}
	var meta map[string]json.RawMessage
	if err := json.Unmarshal(ref.Metadata.Raw, &meta); err != nil {
		return "", errors.New("metadata: not a JSON object")
	}
	raw, ok := meta[noteMetadataKey]
	if !ok {
		return "", nil
	}
	var note string
	if err := json.Unmarshal(raw, &note); err != nil {
		return "", errors.New("metadata.note: not a string")
	}
	return note, nil
}

// PushSecret writes value (or sets the JSON property ref.Property to it) as the secret
// named ref.RemoteKey in the store's project, creating it with the metadata's note and
// Ferry's ownership line when no secret has that name. Pushing what is there already
// makes no write; a secret Ferry did not create is left alone.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	note, err := pushNote(ref)
	if err != nil {
		return err
	}
	t, err := c.target(ctx, ref.RemoteKey)
	if err != nil {
		return err
	}
	next := string(value)
	if ref.Property != "" {
		current, found := "", t.mine != nil
		if found {
			current = t.mine.Value
		}
		if next, err = flatscope.SetProperty(current, found, ref.Property, value); err != nil {
			return fmt.Errorf("secret %q: %w", ref.RemoteKey, err)
		}
	}
	body := map[string]any{"key": ref.RemoteKey, "value": next, "note": ownedNote(note),
		"organizationId": c.organizationID, "projectIds": []string{c.projectID}}
	if t.mine == nil {
		var created secret
		if err := c.do(ctx, http.MethodPost, "/secret", body, &created); err != nil {
			return fmt.Errorf("creating secret %q in project %s: %w", ref.RemoteKey, c.projectID, err)
		}
		return nil
	}
	if t.mine.Value == next && t.mine.Note == body["note"] {
		return nil
	}
	body["id"] = t.mine.ID
	if err := c.do(ctx, http.MethodPut, "/secret", body, nil); err != nil {
		return fmt.Errorf("updating secret %q: %w", ref.RemoteKey, err)
	}
	return nil
}

// DeleteSecret deletes the secret named ref.RemoteKey in the store's project, or with a
// property removes that key from its JSON object (the secret goes with its last key). A
// missing secret is no error; a secret Ferry did not create is left alone.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	t, err := c.target(ctx, ref.RemoteKey)
	if err != nil || t.mine == nil {
		return err
	}
	if ref.Property != "" {
		next, empty, had, err := flatscope.RemoveProperty(t.mine.Value, ref.Property)
		if err != nil {
			return fmt.Errorf("secret %q: %w", ref.RemoteKey, err)
		}
		if !had {
			return nil
		}
		if !empty {
			body := map[string]any{"id": t.mine.ID, "key": t.mine.Key, "value": next, "note": t.mine.Note,
				"organizationId": c.organizationID, "projectIds": []string{c.projectID}}
			if err := c.do(ctx, http.MethodPut, "/secret", body, nil); err != nil {
				return fmt.Errorf("updating secret %q: %w", ref.RemoteKey, err)
			}
			return nil
		}
	}
	var out struct {
		Data []struct {
			ID    string  `json:"id"`
			Error *string `json:"error"`
		} `json:"data"`
	}
	if err := c.do(ctx, http.MethodDelete, "/secret", map[string][]string{"ids": {t.mine.ID}}, &out); err != nil {
		return fmt.Errorf("deleting secret %q: %w", ref.RemoteKey, err)
	}
	for _, d := range out.Data {
		if d.Error != nil {
			// The SDK's text is not quoted: it is Bitwarden's answer, not the server's.
			return fmt.Errorf("deleting secret %q: the SDK server reports that Bitwarden refused the deletion of ID %s", ref.RemoteKey, d.ID)
		}
	}
	return nil
}

// SecretExists says whether a secret of that name is in the store's project (and, with a
// property, whether Ferry's holds that key).
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	if err := nameOnly(ref.RemoteKey); err != nil {
		return false, err
	}
	found, err := c.named(ctx, ref.RemoteKey)
	if err != nil || ref.Property == "" {
		return err == nil && len(found) > 0, err
	}
	for _, s := range found {
		if flatscope.HasProperty(s.Value, ref.Property) {
			return true, nil
		}
	}
	return false, nil
}
