package keepersecurity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ferryhq/ferry/internal/provider"
)

// Keeper records carry no tags. Ferry marks the records it creates as ESO does, by their
// record type: managedType, which the vault shows as the record's type. A record of another
// type is never written or deleted, even when its title is the one a PushSecret names.
const managedType = "externalSecrets"

var _ provider.Writer = (*Client)(nil)

// pushTarget is a record title and the key pushed into it.
type pushTarget struct {
	title, key string
}

// pushTargetOf reads ESO's remoteKey "<record title>/<key>"; Ferry also takes the title
// alone in remoteKey with the key in property. Keeper's writer reads no metadata.
func pushTargetOf(ref provider.PushRef) (pushTarget, error) {
	if err := provider.NoMetadata(ref, "keepersecurity"); err != nil {
		return pushTarget{}, err
	}
	title, key, slash := strings.Cut(ref.RemoteKey, "/")
	switch {
	case slash && ref.Property != "":
		return pushTarget{}, fmt.Errorf("remoteRef: remoteKey %q already names the field after its slash; leave property empty", ref.RemoteKey)
	case slash && (key == "" || strings.Contains(key, "/")):
		return pushTarget{}, fmt.Errorf("remoteRef.remoteKey %q: write it as <record title>/<field>, with one slash", ref.RemoteKey)
	case !slash && ref.Property == "":
		return pushTarget{}, fmt.Errorf("remoteRef.remoteKey %q: write it as <record title>/<field>, as ESO does, or set remoteRef.property to the field", ref.RemoteKey)
	case !slash:
		key = ref.Property
	}
	if strings.TrimSpace(title) == "" {
		return pushTarget{}, fmt.Errorf("remoteRef.remoteKey %q: the record title before the slash is empty", ref.RemoteKey)
	}
	return pushTarget{title: title, key: key}, nil
}

// PushSecret writes value to the field of the managedType record titled as the remote key
// says, creating the record in the store's folderID when there is none. Like ESO, a key
// whose name contains login or username goes to the standard login field, password to the
// password field, url to the url field, any other to a custom "secret" field labelled with
// the key. The value already there is not written again.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	if ref.SecretKey == "" {
		return errors.New("keeper: pushing a whole Secret is not supported (nor by ESO); push its keys one by one with secretKey")
	}
	target, err := pushTargetOf(ref)
	if err != nil {
		return err
	}
	if !utf8.Valid(value) {
		return fmt.Errorf("keeper record %q: the value of %q is not UTF-8 text, which Keeper fields hold (%d bytes)", target.title, target.key, len(value))
	}
	owned, answer, err := c.ownedRecord(ctx, target.title)
	if err != nil {
		return err
	}
	if owned == nil {
		return c.create(ctx, target, string(value), answer.folderKeys)
	}
	data, err := parseRecordData(owned)
	if err != nil {
		return err
	}
	if !data.set(slotFor(target.key), string(value)) {
		return nil
	}
	return c.update(ctx, owned, data)
}

// DeleteSecret removes the pushed field from the managedType record of that title; a
// record left holding no value is deleted, as ESO deletes it. A record that is gone, or of
// another type, is left as it is.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	target, err := pushTargetOf(ref)
	if err != nil {
		return err
	}
	owned, _, err := c.ownedRecord(ctx, target.title)
	if errors.Is(err, provider.ErrNotManaged) {
		return nil
	}
	if err != nil || owned == nil {
		return err
	}
	data, err := parseRecordData(owned)
	if err != nil {
		return err
	}
	removed := data.remove(slotFor(target.key))
	if !data.holdsValue() {
		return c.deleteRecord(ctx, owned)
	}
	if !removed {
		return nil
	}
	return c.update(ctx, owned, data)
}

// SecretExists reports whether the managedType record of that title holds a value in the
// pushed field.
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	target, err := pushTargetOf(ref)
	if err != nil {
		return false, err
	}
	owned, _, err := c.ownedRecord(ctx, target.title)
	if err != nil || owned == nil {
		return false, err
	}
	data, err := parseRecordData(owned)
	if err != nil {
		return false, err
	}
	return len(data.get(slotFor(target.key))) > 0, nil
}

// ownedRecord reads every record shared with the application (Keeper finds none by title)
// and returns the one managedType record titled title, or nil. A title only records of
// other types have is ErrNotManaged; two managedType records of one title are refused, as
// Ferry could not tell which one it wrote.
func (c *Client) ownedRecord(ctx context.Context, title string) (*record, *decrypted, error) {
	answer, err := c.fetchAnswer(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	var owned, others []string
	var found *record
	for _, r := range answer.records {
		switch {
		case r.Title != title:
		case r.Type == managedType:
			owned = append(owned, r.UID)
			found = r
		default:
			others = append(others, r.UID)
		}
	}
	switch {
	case len(owned) > 1:
		slices.Sort(owned)
		return nil, nil, fmt.Errorf("keeper: records %v are all titled %q and of type %s; Ferry cannot tell which one it writes: delete all but one in Keeper", owned, title, managedType)
	case len(owned) == 0 && len(others) > 0:
		slices.Sort(others)
		return nil, answer, fmt.Errorf("keeper record %q (%s) is of another type than %s, the type Ferry and ESO give the records they create: %w; push to another title",
			title, strings.Join(others, ", "), managedType, provider.ErrNotManaged)
	}
	return found, answer, nil
}

// createPayload is the body of create_secret: the record's key encrypted to the
// application owner's public key and, as folderKey, with the folder's key; its data with
// its own key.
type createPayload struct {
	ClientVersion string `json:"clientVersion"`
	ClientID      string `json:"clientId"`
	RecordUID     string `json:"recordUid"`
	RecordKey     string `json:"recordKey"`
	FolderUID     string `json:"folderUid"`
	FolderKey     string `json:"folderKey"`
	Data          string `json:"data"`
}

// updatePayload is the body of update_secret: Keeper refuses it when revision is not the
// record's current one, so a record changed since Ferry read it is not overwritten.
type updatePayload struct {
	ClientVersion string `json:"clientVersion"`
	ClientID      string `json:"clientId"`
	RecordUID     string `json:"recordUid"`
	Revision      int64  `json:"revision"`
	Data          string `json:"data"`
}

// deletePayload is the body of delete_secret.
type deletePayload struct {
	ClientVersion string   `json:"clientVersion"`
	ClientID      string   `json:"clientId"`
	RecordUIDs    []string `json:"recordUids"`
}

// create makes a managedType record titled target.title in the store's folder.
func (c *Client) create(ctx context.Context, target pushTarget, value string, folderKeys map[string][]byte) error {
	if c.folderID == "" {
		return fmt.Errorf("keeper record %q does not exist, and %s.folderID is empty: set it to the UID of the shared folder where Ferry creates records", target.title, field)
	}
	folderKey, ok := folderKeys[c.folderID]
	if !ok {
		return fmt.Errorf("keeper record %q does not exist, and the store's folderID %q is not a shared folder Keeper gives this application: share the folder with the application (with edit rights); Keeper lists a shared folder only once it holds a record",
			target.title, c.folderID)
	}
	if c.api.creds.ownerKey == nil {
		return fmt.Errorf("keeper record %q does not exist, and the Secrets Manager configuration has no appOwnerPublicKey, which creating a record needs: take the application's configuration from Keeper again", target.title)
	}
	data := newRecordData(target.title)
	data.set(slotFor(target.key), value)
	plain, err := data.marshal()
	if err != nil {
		return err
	}
	recordKey := make([]byte, 32)
	uid := make([]byte, 16)
	if _, err := rand.Read(recordKey); err != nil {
		return err
	}
	if _, err := rand.Read(uid); err != nil {
		return err
	}
	sealedData, err := seal(recordKey, plain)
	if err != nil {
		return err
	}
	forOwner, err := sealTo(c.api.creds.ownerKey, recordKey)
	if err != nil {
		return err
	}
	forFolder, err := seal(folderKey, recordKey)
	if err != nil {
		return err
	}
	payload := createPayload{
		ClientVersion: clientVersion, ClientID: c.api.creds.clientID,
		RecordUID: base64.RawURLEncoding.EncodeToString(uid),
		RecordKey: base64.StdEncoding.EncodeToString(forOwner),
		FolderUID: c.folderID, FolderKey: base64.StdEncoding.EncodeToString(forFolder),
		Data: base64.StdEncoding.EncodeToString(sealedData),
	}
	if _, err := c.api.post(ctx, "create_secret", payload); err != nil {
		return fmt.Errorf("creating keeper record %q in folder %q: %w", target.title, c.folderID, err)
	}
	return nil
}

// update writes data over r at the revision Ferry read.
func (c *Client) update(ctx context.Context, r *record, data *recordData) error {
	plain, err := data.marshal()
	if err != nil {
		return err
	}
	sealed, err := seal(r.key, plain)
	if err != nil {
		return err
	}
	payload := updatePayload{ClientVersion: clientVersion, ClientID: c.api.creds.clientID, RecordUID: r.UID, Revision: r.revision,
		Data: base64.RawURLEncoding.EncodeToString(sealed)}
	if _, err := c.api.post(ctx, "update_secret", payload); err != nil {
		return fmt.Errorf("updating keeper record %q (%s) at revision %d: %w", r.Title, r.UID, r.revision, err)
	}
	return nil
}

// deleteRecord deletes r; Keeper answers a status for each record.
func (c *Client) deleteRecord(ctx context.Context, r *record) error {
	answer, err := c.api.post(ctx, "delete_secret", deletePayload{ClientVersion: clientVersion, ClientID: c.api.creds.clientID, RecordUIDs: []string{r.UID}})
	if err != nil {
		return fmt.Errorf("deleting keeper record %q (%s): %w", r.Title, r.UID, err)
	}
	var statuses struct {
		Records []struct {
			RecordUID    string `json:"recordUid"`
			ResponseCode string `json:"responseCode"`
			ErrorMessage string `json:"errorMessage"`
		} `json:"records"`
	}
	if len(answer) > 0 && json.Unmarshal(answer, &statuses) != nil {
		return fmt.Errorf("deleting keeper record %q (%s): the answer is not a list of record statuses", r.Title, r.UID)
	}
	for _, s := range statuses.Records {
		if s.RecordUID == r.UID && s.ResponseCode != "ok" {
			return fmt.Errorf("deleting keeper record %q (%s): Keeper answered %s: %s", r.Title, r.UID, s.ResponseCode, truncate(s.ErrorMessage))
		}
	}
	return nil
}

// fieldSlot is where a pushed key goes in a record: a standard field by its type, or a
// custom field by its label.
type fieldSlot struct {
	standard string
	label    string
}

// slotFor places a key as ESO does, by what its lower-cased name contains: login or
// username, password, url (baseurl too) go to those standard fields; any other key to a
// custom field labelled with it.
func slotFor(key string) fieldSlot {
	k := strings.ToLower(key)
	switch {
	case strings.Contains(k, "login") || strings.Contains(k, "username"):
		return fieldSlot{standard: "login"}
	case strings.Contains(k, "password"):
		return fieldSlot{standard: "password"}
	case strings.Contains(k, "url"):
		return fieldSlot{standard: "url"}
	}
	return fieldSlot{label: key}
}

// recordData is a record's decrypted data for editing: its fields and custom fields as
// JSON objects, the rest kept as Keeper sent it.
type recordData struct {
	doc    map[string]json.RawMessage
	fields []map[string]any
	custom []map[string]any
}

func newRecordData(title string) *recordData {
	t, _ := json.Marshal(title)
	return &recordData{doc: map[string]json.RawMessage{
		"title": t, "type": json.RawMessage(`"` + managedType + `"`), "notes": json.RawMessage(`""`),
	}, fields: []map[string]any{}, custom: []map[string]any{}}
}

func parseRecordData(r *record) (*recordData, error) {
	d := &recordData{fields: []map[string]any{}, custom: []map[string]any{}}
	if err := json.Unmarshal(r.plain, &d.doc); err != nil {
		return nil, fmt.Errorf("keeper record %q: its data is not a JSON record", r.UID)
	}
	for name, list := range map[string]*[]map[string]any{"fields": &d.fields, "custom": &d.custom} {
		if raw, ok := d.doc[name]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, list); err != nil {
				return nil, fmt.Errorf("keeper record %q: its %s are not a list of fields", r.UID, name)
			}
		}
	}
	return d, nil
}

// find returns the list the slot is in and the index of its field (-1: none).
func (d *recordData) find(slot fieldSlot) (*[]map[string]any, int) {
	list, match := &d.custom, func(f map[string]any) bool { return f["label"] == slot.label }
	if slot.standard != "" {
		list, match = &d.fields, func(f map[string]any) bool { return f["type"] == slot.standard }
	}
	return list, slices.IndexFunc(*list, match)
}

// get returns the slot's values.
func (d *recordData) get(slot fieldSlot) []any {
	list, i := d.find(slot)
	if i < 0 {
		return nil
	}
	values, _ := (*list)[i]["value"].([]any)
	return values
}

// set puts value in the slot and reports whether that changed the record.
func (d *recordData) set(slot fieldSlot, value string) bool {
	if old := d.get(slot); len(old) == 1 && old[0] == value {
		return false
	}
	list, i := d.find(slot)
	if i >= 0 {
		(*list)[i]["value"] = []any{value}
		return true
	}
	f := map[string]any{"type": slot.standard, "value": []any{value}}
	if slot.standard == "" {
		f = map[string]any{"type": "secret", "label": slot.label, "value": []any{value}}
	}
	*list = append(*list, f)
	return true
}

// remove drops the slot's field and reports whether there was one.
func (d *recordData) remove(slot fieldSlot) bool {
	list, i := d.find(slot)
	if i < 0 {
		return false
	}
	*list = slices.Delete(*list, i, i+1)
	return true
}

// holdsValue reports whether any field keeps a value.
func (d *recordData) holdsValue() bool {
	for _, list := range [][]map[string]any{d.fields, d.custom} {
		for _, f := range list {
			if values, _ := f["value"].([]any); len(values) > 0 {
				return true
			}
		}
	}
	return false
}

func (d *recordData) marshal() ([]byte, error) {
	var err error
	if d.doc["fields"], err = json.Marshal(d.fields); err != nil {
		return nil, err
	}
	if d.doc["custom"], err = json.Marshal(d.custom); err != nil {
		return nil, err
	}
	return json.Marshal(d.doc)
}
