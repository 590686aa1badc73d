package devservers

import (
	"encoding/base64"
	"fmt"

	"github.com/ferryhq/ferry/internal/provider/bitwarden/bitwardenfake"
	"github.com/ferryhq/ferry/internal/provider/onepassword/onepasswordfake"
	"github.com/ferryhq/ferry/internal/provider/passbolt/passboltfake"
	"github.com/ferryhq/ferry/internal/provider/yandex/yandexfake"
)

// The developer-platform providers whose stand-ins run on make dev: 1Password Connect,
// Bitwarden Secrets Manager (through its SDK server), Passbolt and Yandex Cloud (Lockbox
// and Certificate Manager). Keeper Secrets Manager is not among them: its client seals
// every call to Keeper's published server keys, which a stand-in cannot open.

// passboltPassphrase protects the make dev Passbolt user's private key.
const passboltPassphrase = "passbolt-dev-passphrase-4e7a"

func (s *Servers) startOnePassword() error {
	// Plain HTTP, as a Connect server serves behind its Service: ESO's store has no field for
	// a CA.
	f, err := onepasswordfake.Start("staging", "shared")
	if err != nil {
		return fmt.Errorf("starting the 1Password Connect stand-in: %w", err)
	}
	s.OnePassword, s.closers = f, append(s.closers, f.Close)
	f.PutFile("ferry-dev-cert-crt", []byte("onepassword-cert-crt-2a91"))
	f.PutFile("ferry-dev-cert-key", []byte("onepassword-cert-key-7c03"))
	f.Add("staging", onepasswordfake.Item{Title: "my-cert", Category: "DOCUMENT",
		Files: []onepasswordfake.File{{ID: "ferry-dev-cert-crt", Name: "cert.crt"}, {ID: "ferry-dev-cert-key", Name: "cert.key"}}})
	f.Add("shared", onepasswordfake.Item{Title: "ferry-dev-db", Category: "LOGIN",
		Fields: []onepasswordfake.Field{{Label: "username", Value: "op-user"}, {Label: "password", Value: "op-pw-58d1"}}})
	s.values["onePasswordURL"], s.values["onePasswordToken"] = f.URL, onepasswordfake.Token
	cert := map[string]string{"cert.crt": "onepassword-cert-crt-2a91", "cert.key": "onepassword-cert-key-7c03"}
	s.target("onepassword", "my-cert", "my-cert", cert)
	s.target("onepassword", "my-cert-extract", "my-cert-extract", map[string]string{"cert.key": "onepassword-cert-key-7c03"})
	s.target("onepassword", "my-cert-find", "my-cert-find", cert)
	s.target("onepassword", "ferry-dev-db", "ferry-dev-db", map[string]string{"password": "op-pw-58d1"})
	return nil
}

func (s *Servers) startBitwarden() error {
	f, err := bitwardenfake.Start()
	if err != nil {
		return fmt.Errorf("starting the Bitwarden SDK server stand-in: %w", err)
	}
	s.Bitwarden, s.closers = f, append(s.closers, f.Close)
	id := f.Put(bitwardenfake.Project, "ferry-dev-token", "bitwarden-token-3f62", "")
	f.Put(bitwardenfake.Project, "secret-name", "bitwarden-by-name-d40e", "")
	s.values["bitwardenURL"], s.values["bitwardenToken"] = f.URL, bitwardenfake.Token
	s.values["bitwardenCABundle"] = base64.StdEncoding.EncodeToString(f.CertificatePEM())
	s.values["bitwardenOrg"], s.values["bitwardenProject"], s.values["bitwardenSecretID"] = bitwardenfake.Org, bitwardenfake.Project, id
	s.target("bitwarden", "bitwarden", "bitwarden", map[string]string{"test": "bitwarden-token-3f62"})
	s.target("bitwarden", "bitwarden-by-name", "bitwarden-by-name", map[string]string{"test": "bitwarden-by-name-d40e"})
	return nil
}

func (s *Servers) startPassbolt() error {
	user, err := passboltfake.GenerateKey("ferry-dev")
	if err != nil {
		return err
	}
	armored, err := passboltfake.ArmoredPrivate(user, passboltPassphrase)
	if err != nil {
		return err
	}
	f, err := passboltfake.Start(user)
	if err != nil {
		return fmt.Errorf("starting the Passbolt stand-in: %w", err)
	}
	s.Passbolt, s.closers = f, append(s.closers, f.Close)
	id, err := f.AddV4("password-and-description", passboltfake.Entry{Name: "passbolt-secret", Username: "some-username",
		Password: "passbolt-pw-e81b", URI: "passbolt.com", Description: "some description"})
	if err != nil {
		return err
	}
	s.values["passboltURL"], s.values["passboltID"], s.values["passboltPassphrase"] = f.URL, id, passboltPassphrase
	s.values["passboltPrivateKey"] = indent(string(armored), 4)
	s.values["passboltCABundle"] = base64.StdEncoding.EncodeToString(f.CertificatePEM())
	full := `{"name":"passbolt-secret","username":"some-username","password":"passbolt-pw-e81b","uri":"passbolt.com","description":"some description"}`
	s.target("passbolt", "passbolt-example-simple", "passbolt-example", map[string]string{"full_secret": full, "password_only": "passbolt-pw-e81b"})
	s.target("passbolt", "passbolt-example-find", "passbolt-example-find", map[string]string{id: full})
	return nil
}

func (s *Servers) startYandex() error {
	f, err := yandexfake.Start()
	if err != nil {
		return fmt.Errorf("starting the Yandex Cloud stand-in: %w", err)
	}
	s.Yandex, s.closers = f, append(s.closers, f.Close)
	// The operator checks IAM tokens against the wall clock.
	f.SetLive()
	key, err := f.NewKey("ajekeyferrydev", yandexfake.ServiceAccount)
	if err != nil {
		return err
	}
	f.PutSecret("e6qferrydevlockbox", yandexfake.Folder, "lockbox-secret", yandexfake.Text("password", "lockbox-pw-0b7e"))
	const chain, privateKey = "-----BEGIN CERTIFICATE-----\nyandex-dev-chain\n-----END CERTIFICATE-----",
		"-----BEGIN PRIVATE KEY-----\nyandex-dev-key\n-----END PRIVATE KEY-----"
	f.PutCert("fpqferrydevcert", yandexfake.Folder, "ferry-dev-cert", []string{chain}, privateKey)
	s.values["yandexAPIEndpoint"], s.values["yandexFolder"] = f.APIEndpoint, yandexfake.Folder
	s.values["yandexAuthorizedKey"], s.values["yandexCA"] = indent(string(key), 4), indent(string(f.CAPEM), 4)
	s.target("yandex", "external-secret", "k8s-secret", map[string]string{"password": "lockbox-pw-0b7e"})
	s.target("yandex", "external-secret-by-name", "k8s-secret-by-name", map[string]string{"password": "lockbox-pw-0b7e"})
	s.target("yandex", "external-secret-certificate", "k8s-secret-certificate",
		map[string]string{"tls.crt": chain + "\n", "tls.key": privateKey + "\n"})
	return nil
}
