package keepersecurity

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strings"
)

// getPayload is the body of get_secret: the records to read (none: all of them).
type getPayload struct {
	ClientVersion    string   `json:"clientVersion"`
	ClientID         string   `json:"clientId"`
	RequestedRecords []string `json:"requestedRecords"`
	RequestedFolders []string `json:"requestedFolders"`
}

// secretsAnswer is what get_secret answers: records shared with the application one by
// one, and shared folders with their records.
type secretsAnswer struct {
	Records []wireRecord `json:"records"`
	Folders []wireFolder `json:"folders"`
}

// wireRecord is a record as Keeper sends it: its key encrypted with the application key (or
// its folder's key), its data with its own key, both base64.
type wireRecord struct {
	RecordUID string     `json:"recordUid"`
	RecordKey string     `json:"recordKey"`
	Data      string     `json:"data"`
	Revision  int64      `json:"revision"`
	Files     []wireFile `json:"files"`
}

// wireFolder is a shared folder: its key encrypted with the application key.
type wireFolder struct {
	FolderUID string       `json:"folderUid"`
	FolderKey string       `json:"folderKey"`
	Records   []wireRecord `json:"records"`
}

// recordField is one field of a record's data (a standard one in fields, a custom one in custom).
type recordField struct {
	Type  string `json:"type"`
	Label string `json:"label,omitempty"`
	Value []any  `json:"value"`
}

// customField is recordField as ESO writes a custom one: its label always present.
type customField struct {
	Type  string `json:"type"`
	Label string `json:"label"`
	Value []any  `json:"value"`
}

// fileEntry is an entry of ESO's files list: the file's title (under "type", as ESO writes
// it) and its content as a string. The list is null for a record without attachments.
type fileEntry struct {
	Title   string `json:"type"`
	Content string `json:"content"`
}

// record is a decrypted record in the shape ESO gives it without a property:
// {"title","type","fields","custom","files"}.
type record struct {
	UID string `json:"-"`
	// key, revision and plain are what a write needs: the record's own key, the revision
	// Keeper checks an update against, and the decrypted data as Keeper holds it (with the
	// parts Ferry does not read, such as notes).
	key      []byte
	revision int64
	plain    []byte
	// attachments are the record's files; Files is filled from them when a read needs
	// their content.
	attachments []*attachment
	Title       string        `json:"title"`
	Type        string        `json:"type"`
	Fields      []recordField `json:"fields"`
	Custom      []customField `json:"custom"`
	Files       []fileEntry   `json:"files"`
}

// Field types ESO leaves out of a property lookup: file references and one-time codes.
const (
	typeFileRef = "fileRef"
	typeOTP     = "oneTimeCode"
)

// decrypted is an answer of get_secret opened: its records, and the keys of its shared
// folders by folder UID (a record is created in a folder with that folder's key).
type decrypted struct {
	records    []*record
	folderKeys map[string][]byte
}

// decryptRecords opens every record of an answer with appKey; the records of a shared
// folder with the folder's key.
func decryptRecords(answer *secretsAnswer, appKey []byte) (*decrypted, error) {
	out := &decrypted{folderKeys: map[string][]byte{}}
	for _, w := range answer.Records {
		r, err := decryptRecord(w, appKey)
		if err != nil {
			return nil, err
		}
		out.records = append(out.records, r)
	}
	for _, f := range answer.Folders {
		sealed, err := decodeBase64(f.FolderKey)
		if err != nil {
			return nil, fmt.Errorf("shared folder %q: its key is not base64", f.FolderUID)
		}
		folderKey, err := open(appKey, sealed)
		if err != nil {
			return nil, fmt.Errorf("shared folder %q: its key does not decrypt with the configuration's appKey", f.FolderUID)
		}
		out.folderKeys[f.FolderUID] = folderKey
		for _, w := range f.Records {
			r, err := decryptRecord(w, folderKey)
			if err != nil {
				return nil, err
			}
			out.records = append(out.records, r)
		}
	}
	return out, nil
}

// decryptRecord opens one record: a record without a recordKey is sealed with parentKey
// itself, as the SDKs read it.
func decryptRecord(w wireRecord, parentKey []byte) (*record, error) {
	recordKey := parentKey
	if strings.TrimSpace(w.RecordKey) != "" {
		sealed, err := decodeBase64(w.RecordKey)
		if err != nil {
			return nil, fmt.Errorf("record %q: its key is not base64", w.RecordUID)
		}
		if recordKey, err = open(parentKey, sealed); err != nil {
			return nil, fmt.Errorf("record %q: its key does not decrypt with the application's (or its folder's) key; check the configuration's appKey", w.RecordUID)
		}
	}
	sealed, err := decodeBase64(w.Data)
	if err != nil {
		return nil, fmt.Errorf("record %q: its data is not base64", w.RecordUID)
	}
	plain, err := open(recordKey, sealed)
	if err != nil {
		return nil, fmt.Errorf("record %q: its data does not decrypt with its key", w.RecordUID)
	}
	r := &record{UID: w.RecordUID, key: recordKey, revision: w.Revision, plain: plain}
	if err := json.Unmarshal(plain, r); err != nil {
		return nil, fmt.Errorf("record %q: its data is not a JSON record", w.RecordUID)
	}
	r.Files = nil
	for _, wf := range w.Files {
		a, err := decryptFile(w.RecordUID, wf, recordKey)
		if err != nil {
			return nil, err
		}
		r.attachments = append(r.attachments, a)
	}
	return r, nil
}

// name is how ESO names a standard field: its label, or its type when it has none.
func (f recordField) name() string {
	if f.Label != "" {
		return f.Label
	}
	return f.Type
}

// value is a field's value as ESO gives it: a single string as it is, a single other
// value or several values as JSON.
func value(values []any) []byte {
	if len(values) == 1 {
		if s, ok := values[0].(string); ok {
			return []byte(s)
		}
		out, _ := json.Marshal(values[0])
		return out
	}
	out, _ := json.Marshal(values)
	return out
}

// checkNames refuses a record where two fields (standard by label or type, custom by
// label, attachments by title) have one name, as ESO does: a property could not say which
// one it means.
func (r *record) checkNames() error {
	seen := map[string]int{}
	for _, f := range r.Fields {
		seen[f.name()]++
	}
	for _, f := range r.Custom {
		seen[f.Label]++
	}
	for _, a := range r.attachments {
		seen[a.title]++
	}
	var twice []string
	for name, n := range seen {
		if n > 1 {
			twice = append(twice, name)
		}
	}
	if len(twice) == 0 {
		return nil
	}
	sort.Strings(twice)
	return fmt.Errorf("record %q has more than one field named %s; give its fields distinct labels in Keeper",
		r.UID, strings.Join(twice, ", "))
}

// property returns the field ESO's property names: a standard field by label or type
// (not a file reference or one-time code), else a custom field by label.
func (r *record) property(name string) ([]byte, bool) {
	for _, f := range r.Fields {
		if f.name() == name && f.Type != typeFileRef && f.Type != typeOTP && len(f.Value) > 0 {
			return value(f.Value), true
		}
	}
	for _, f := range r.Custom {
		if f.Label == name && len(f.Value) > 0 {
			return value(f.Value), true
		}
	}
	return nil, false
}

// asMap gives every field with a value: standard ones by label or type, then custom ones
// by label, then the downloaded attachments by title, each winning over the ones before
// it on a shared name, as in ESO.
func (r *record) asMap() map[string][]byte {
	out := map[string][]byte{}
	for _, f := range r.Fields {
		if len(f.Value) > 0 {
			out[f.name()] = value(f.Value)
		}
	}
	custom := map[string][]byte{}
	for _, f := range r.Custom {
		if len(f.Value) > 0 {
			custom[f.Label] = value(f.Value)
		}
	}
	maps.Copy(out, custom)
	for _, f := range r.Files {
		out[f.Title] = []byte(f.Content)
	}
	return out
}

// asJSON is the record without a property: ESO's JSON of title, type, fields, custom and
// files (downloaded before, with withFiles).
func (r *record) asJSON() ([]byte, error) {
	out, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("record %q: cannot be written as JSON", r.UID)
	}
	return out, nil
}
