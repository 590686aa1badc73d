package keepersecurity

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

const (
	certPEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydA==\n-----END CERTIFICATE-----\n"
	caPEM   = "-----BEGIN CERTIFICATE-----\nMIIBdTCCARugAwIBAgIUQ0E=\n-----END CERTIFICATE-----\n"
)

// TestAttachments reads a record's files as ESO gives them: a property names a file by its
// title (not its file name) after the fields; the whole record's JSON, extract and find
// carry every file's content. Only what a read needs is downloaded.
func TestAttachments(t *testing.T) {
	f := startKeeper(t)
	uid := f.add(t, "team-folder", customRecord("web-tls", map[string]string{"password": "key-pass"}))
	f.attach(t, uid, "tls.crt", "server.crt", []byte(certPEM))
	f.attach(t, uid, "ca.pem", "ca-bundle.pem", []byte(caPEM))
	c := newTestClient(t, f, f.config(t, f.register(t), "10"), false)
	ctx := context.Background()

	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid, Property: "tls.crt"})
	if err != nil || string(got) != certPEM {
		t.Fatalf("GetSecret property tls.crt = %q, %v; want the file's content", got, err)
	}
	if n := f.downloadCount(); n != 1 {
		t.Errorf("reading one file downloaded %d, want 1", n)
	}
	if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid, Property: "password"}); err != nil || string(got) != "key-pass" {
		t.Errorf("GetSecret property password = %q, %v", got, err)
	}
	if n := f.downloadCount(); n != 1 {
		t.Errorf("reading a field downloaded a file (%d downloads in all)", n)
	}
	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid, Property: "server.crt"})
	if err == nil || !strings.Contains(err.Error(), "[ca.pem password tls.crt]") {
		t.Errorf("GetSecret by file name = %v, want an error listing the titles", err)
	}

	whole, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid})
	if err != nil {
		t.Fatal(err)
	}
	// ESO writes each file as {"type": <title>, "content": <content>}, in that order.
	files := `[{"type":"tls.crt","content":` + string(appendJSON(nil, certPEM)) + `},{"type":"ca.pem","content":` + string(appendJSON(nil, caPEM)) + `}]`
	want := strings.TrimSuffix(esoJSON("web-tls", map[string]string{"password": "key-pass"}), `"files":null}`) + `"files":` + files + "}"
	if string(whole) != want {
		t.Errorf("GetSecret without property =\n%s\nwant\n%s", whole, want)
	}
	if n := f.downloadCount(); n != 3 {
		t.Errorf("the whole record made %d downloads in all, want 3", n)
	}

	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(asStrings(m), map[string]string{"password": "key-pass", "tls.crt": certPEM, "ca.pem": caPEM}) {
		t.Errorf("GetSecretMap = %v", slices.Sorted(maps.Keys(m)))
	}
	found, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^web-"}})
	if err != nil || string(found["web-tls"]) != want {
		t.Errorf("GetAllSecrets = %q, %v; want the record's JSON with its files", found["web-tls"], err)
	}
}

// TestAttachmentLimits: a file larger than a Secret can hold is refused before its
// download when its metadata says so, and cut off during it when the metadata is wrong; a
// file that does not decrypt with its key is an error; none of them quotes content.
func TestAttachmentLimits(t *testing.T) {
	f := startKeeper(t)
	uid := f.add(t, "", customRecord("files", map[string]string{"password": "pw"}))
	big := bytes.Repeat([]byte("A"), maxFileBytes+1)
	f.attach(t, uid, "declared-big", "a.bin", big)
	f.attach(t, uid, "undeclared-big", "b.bin", big)
	f.attach(t, uid, "wrong-key", "c.bin", []byte("secret-content"))
	f.mu.Lock()
	files := f.records[uid].files
	files[1].meta = []byte(`{"name":"b.bin","title":"undeclared-big","type":"application/octet-stream","size":10}`)
	files[2].sealed, _ = gcmSeal(randomBytes(t, 32), []byte("secret-content"))
	f.mu.Unlock()
	c := newTestClient(t, f, f.config(t, f.register(t), "10"), false)
	ctx := context.Background()

	for title, tt := range map[string]struct {
		want      string
		downloads int
	}{
		"declared-big":   {"more than the 1048576 a Kubernetes Secret holds", 0},
		"undeclared-big": {"more than the 1048576 bytes a Kubernetes Secret holds", 1},
		"wrong-key":      {"does not decrypt with the file's key", 1},
	} {
		before := f.downloadCount()
		_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid, Property: title})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), title) {
			t.Errorf("%s: GetSecret = %v, want %q", title, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "AAAA") || strings.Contains(err.Error(), "secret-content")) {
			t.Errorf("%s: the error quotes the content", title)
		}
		if n := f.downloadCount() - before; n != tt.downloads {
			t.Errorf("%s: %d downloads, want %d", title, n, tt.downloads)
		}
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid}); err == nil {
		t.Error("the whole record with a file too big was read")
	}
	if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid, Property: "password"}); err != nil || string(got) != "pw" {
		t.Errorf("a field beside files that cannot be read = %q, %v", got, err)
	}
}

// TestAttachmentTitleClash: a file titled as a field is a name a property could not
// resolve; the record is refused, as ESO refuses it.
func TestAttachmentTitleClash(t *testing.T) {
	f := startKeeper(t)
	uid := f.add(t, "", customRecord("clash", map[string]string{"password": "pw"}))
	f.attach(t, uid, "password", "password.txt", []byte("file-content"))
	c := newTestClient(t, f, f.config(t, f.register(t), "10"), false)
	_, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: uid, Property: "password"})
	if err == nil || !strings.Contains(err.Error(), "more than one field named password") {
		t.Errorf("GetSecret = %v, want the clash named", err)
	}
	if f.downloadCount() != 0 {
		t.Error("a refused record's file was downloaded")
	}
}
