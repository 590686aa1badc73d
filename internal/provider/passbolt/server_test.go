package passbolt

import (
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/ferryhq/ferry/internal/provider/passbolt/passboltfake"
)

// fakePassbolt is the in-process Passbolt server (passboltfake) with the helpers the tests
// call with their own entry type and *testing.T.
type fakePassbolt struct {
	*passboltfake.Server
}

var (
	reply       = passboltfake.Reply
	newUUID     = passboltfake.NewUUID
	fakeTypeIDs = passboltfake.TypeIDs
)

// startPassbolt starts the server for the user whose key is user.
func startPassbolt(t testing.TB, user *openpgp.Entity) *fakePassbolt {
	t.Helper()
	f, err := passboltfake.Start(user)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return &fakePassbolt{f}
}

func genKey(t testing.TB, name string) *openpgp.Entity {
	t.Helper()
	e, err := passboltfake.GenerateKey(name)
	if err != nil {
		t.Fatalf("generating a key: %v", err)
	}
	return e
}

// armoredPrivate is e's private key, encrypted with passphrase, armored, as a user
// downloads it from Passbolt.
func armoredPrivate(t testing.TB, e *openpgp.Entity, passphrase string) []byte {
	t.Helper()
	armored, err := passboltfake.ArmoredPrivate(e, passphrase)
	if err != nil {
		t.Fatal(err)
	}
	return armored
}

func encryptTo(t testing.TB, to, signer *openpgp.Entity, plain []byte) string {
	t.Helper()
	msg, err := passboltfake.Seal(to, signer, plain)
	if err != nil {
		t.Fatalf("encrypting: %v", err)
	}
	return msg
}

// caPEM is the PEM of the server's certificate, for a store's caBundle.
func (f *fakePassbolt) caPEM() []byte { return f.CertificatePEM() }

func (f *fakePassbolt) addV4(t testing.TB, slug string, e entry) string {
	t.Helper()
	id, err := f.AddV4(slug, passboltfake.Entry(e))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fakePassbolt) addV5(t testing.TB, e entry, shared bool) string {
	t.Helper()
	id, err := f.AddV5(passboltfake.Entry(e), shared)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fakePassbolt) withMetadataKey(t testing.TB) {
	t.Helper()
	if err := f.WithMetadataKey(); err != nil {
		t.Fatal(err)
	}
}
