package keepersecurity

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// keeperServerKeys are Keeper's published Secrets Manager server keys (uncompressed P-256
// points, URL-safe base64), by the id a request names in its PublicKeyId header; they are
// the keys Keeper's SDKs carry.
var keeperServerKeys = map[string]string{
	"7":  "BK9w6TZFxE6nFNbMfIpULCup2a8xc6w2tUTABjxny7yFmxW0dAEojwC6j6zb5nTlmb1dAx8nwo3qF7RPYGmloRM",
	"8":  "BKnhy0obglZJK-igwthNLdknoSXRrGB-mvFRzyb_L-DKKefWjYdFD2888qN1ROczz4n3keYSfKz9Koj90Z6w_tQ",
	"9":  "BAsPQdCpLIGXdWNLdAwx-3J5lNqUtKbaOMV56hUj8VzxE2USLHuHHuKDeno0ymJt-acxWV1xPlBfNUShhRTR77g",
	"10": "BNYIh_Sv03nRZUUJveE8d2mxKLIDXv654UbshaItHrCJhd6cT7pdZ_XwbdyxAOCWMkBb9AZ4t1XRCsM8-wkEBRg",
	"11": "BA6uNfeYSvqagwu4TOY6wFK4JyU5C200vJna0lH4PJ-SzGVXej8l9dElyQ58_ljfPs5Rq6zVVXpdDe8A7Y3WRhk",
	"12": "BMjTIlXfohI8TDymsHxo0DqYysCy7yZGJ80WhgOBR4QUd6LBDA6-_318a-jCGW96zxXKMm8clDTKpE8w75KG-FY",
	"13": "BJBDU1P1H21IwIdT2brKkPqbQR0Zl0TIHf7Bz_OO9jaNgIwydMkxt4GpBmkYoprZ_DHUGOrno2faB7pmTR7HhuI",
	"14": "BJFF8j-dH7pDEw_U347w2CBM6xYM8Dk5fPPAktjib-opOqzvvbsER-WDHM4ONCSBf9O_obAHzCyygxmtpktDuiE",
	"15": "BDKyWBvLbyZ-jMueORl3JwJnnEpCiZdN7yUvT0vOyjwpPBCDf6zfL4RWzvSkhAAFnwOni_1tQSl8dfXHbXqXsQ8",
	"16": "BDXyZZnrl0tc2jdC5I61JjwkjK2kr7uet9tZjt8StTiJTAQQmnVOYBgbtP08PWDbecxnHghx3kJ8QXq1XE68y8c",
	"17": "BFX68cb97m9_sweGdOVavFM3j5ot6gveg6xT4BtGahfGhKib-zdZyO9pwvv1cBda9ahkSzo1BQ4NVXp9qRyqVGU",
}

// defaultServerKeyID is the key the SDKs use when the configuration names none.
const defaultServerKeyID = "10"

// keeperRegions are the region codes a configuration's hostname may give instead of a host.
var keeperRegions = map[string]string{
	"US":  "keepersecurity.com",
	"EU":  "keepersecurity.eu",
	"AU":  "keepersecurity.com.au",
	"GOV": "govcloud.keepersecurity.us",
}

// knownServerKeys parses keeperServerKeys.
func knownServerKeys() map[string]*ecdh.PublicKey {
	out := make(map[string]*ecdh.PublicKey, len(keeperServerKeys))
	for id, encoded := range keeperServerKeys {
		raw, err := decodeBase64(encoded)
		if err != nil {
			panic("keepersecurity: server key " + id + " is not base64")
		}
		key, err := ecdh.P256().NewPublicKey(raw)
		if err != nil {
			panic("keepersecurity: server key " + id + " is not a P-256 point")
		}
		out[id] = key
	}
	return out
}

// ksmConfig is a Secrets Manager application's configuration, as `ksm init` and the
// Keeper vault print it (the JSON document, usually base64-encoded).
type ksmConfig struct {
	Hostname          string `json:"hostname"`
	ClientID          string `json:"clientId"`
	PrivateKey        string `json:"privateKey"`
	AppKey            string `json:"appKey"`
	ServerPublicKeyID string `json:"serverPublicKeyId"`
	AppOwnerPublicKey string `json:"appOwnerPublicKey"`
}

// credentials are what a configuration gives a client.
type credentials struct {
	baseURL     string
	clientID    string
	privateKey  *ecdsa.PrivateKey
	appKey      []byte
	serverKeyID string
	// ownerKey is the public key of the application's owner (appOwnerPublicKey): a record
	// Ferry creates has its key encrypted to it, so that the owner's vault can open it. Nil
	// in configurations made before Keeper added it; such an application cannot create.
	ownerKey *ecdh.PublicKey
}

// parseConfig reads the configuration the authRef Secret key holds: base64 of the JSON
// document, or the JSON document itself. Errors name the configuration's keys, never their
// values.
func parseConfig(raw []byte, field string) (*credentials, error) {
	text := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(text, "{") {
		decoded, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			if decoded, err = decodeBase64(text); err != nil {
				return nil, fmt.Errorf("%s: the Secret key holds neither JSON nor base64; put the Secrets Manager configuration there (`ksm init k8s` or the vault's \"Add Device\" base64 configuration)", field)
			}
		}
		text = strings.TrimSpace(string(decoded))
	}
	var cfg ksmConfig
	if err := json.Unmarshal([]byte(text), &cfg); err != nil {
		return nil, fmt.Errorf("%s: the Secrets Manager configuration is not a JSON object of hostname, clientId, privateKey, appKey and serverPublicKeyId", field)
	}
	var missing []string
	for name, value := range map[string]string{"clientId": cfg.ClientID, "privateKey": cfg.PrivateKey, "appKey": cfg.AppKey} {
		if strings.TrimSpace(value) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("%s: the Secrets Manager configuration has no %s; use the configuration of an application device that was initialised (a one-time access token alone is not enough)",
			field, strings.Join(missing, ", "))
	}
	creds := &credentials{clientID: strings.TrimSpace(cfg.ClientID), serverKeyID: strings.TrimSpace(cfg.ServerPublicKeyID)}
	if creds.serverKeyID == "" {
		creds.serverKeyID = defaultServerKeyID
	}
	var err error
	if creds.baseURL, err = baseURL(cfg.Hostname, field); err != nil {
		return nil, err
	}
	der, err := decodeBase64(cfg.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("%s: the configuration's privateKey is not base64", field)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	key, ok := parsed.(*ecdsa.PrivateKey)
	if err != nil || !ok || key.Curve.Params().Name != "P-256" {
		return nil, fmt.Errorf("%s: the configuration's privateKey is not a PKCS#8 P-256 key, as Keeper issues", field)
	}
	creds.privateKey = key
	if creds.appKey, err = decodeBase64(cfg.AppKey); err != nil || len(creds.appKey) != 32 {
		return nil, fmt.Errorf("%s: the configuration's appKey is not a base64 32-byte key", field)
	}
	if owner := strings.TrimSpace(cfg.AppOwnerPublicKey); owner != "" {
		raw, err := decodeBase64(owner)
		if err == nil {
			creds.ownerKey, err = ecdh.P256().NewPublicKey(raw)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: the configuration's appOwnerPublicKey is not a base64 P-256 public key, as Keeper issues", field)
		}
	}
	return creds, nil
}

// baseURL turns a configuration's hostname (a host, a region code, or a URL) into the
// base of the Secrets Manager API.
func baseURL(hostname, field string) (string, error) {
	host := strings.TrimSpace(hostname)
	if host == "" {
		host = keeperRegions["US"]
	}
	if region, ok := keeperRegions[strings.ToUpper(host)]; ok {
		host = region
	}
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" || u.Scheme != "https" {
		return "", errors.New(field + ": the configuration's hostname is not a host name, an https URL or a region code (US, EU, AU, GOV)")
	}
	return "https://" + u.Host + "/api/rest/sm/v1/", nil
}
