package template

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"maps"
	"strings"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

// removedSprigFuncs are the sprig functions the v2 engine does not offer: they read the
// operator's environment or ask DNS (see doc.go).
var removedSprigFuncs = []string{"env", "expandenv", "getHostByName"}

// v2Funcs is sprig's function map without removedSprigFuncs, plus ESO's v2 functions and
// hexdec, which ESO added to its own copy of sprig.
// Values are strings; the value a pipeline carries is a function's last argument.
func v2Funcs() map[string]any {
	funcs := map[string]any(sprig.TxtFuncMap())
	for _, name := range removedSprigFuncs {
		delete(funcs, name)
	}
	maps.Copy(funcs, map[string]any{
		"pkcs12key": func(archive string) (string, error) {
			return pkcs12PrivateKeyPEM([]byte(archive), "")
		},
		"pkcs12keyPass": func(password, archive string) (string, error) {
			return pkcs12PrivateKeyPEM([]byte(archive), password)
		},
		"pkcs12cert": func(archive string) (string, error) {
			return pkcs12CertificatesPEM([]byte(archive), "")
		},
		"pkcs12certPass": func(password, archive string) (string, error) {
			return pkcs12CertificatesPEM([]byte(archive), password)
		},
		"pemToPkcs12": func(cert, key string) (string, error) {
			return base64PKCS12(cert, key, "", false)
		},
		"pemToPkcs12Pass": func(cert, key, password string) (string, error) {
			return base64PKCS12(cert, key, password, false)
		},
		"fullPemToPkcs12": func(cert, key string) (string, error) {
			return base64PKCS12(cert, key, "", true)
		},
		"fullPemToPkcs12Pass": func(cert, key, password string) (string, error) {
			return base64PKCS12(cert, key, password, true)
		},
		"pemTruststoreToPKCS12": func(certs string) (string, error) {
			return pemTruststoreToPKCS12(certs, "")
		},
		"pemTruststoreToPKCS12Pass": pemTruststoreToPKCS12,
		"filterPEM": func(pemType, input string) (string, error) {
			return filterPEMBlocks(pemType, []byte(input))
		},
		"filterCertChain": filterCertChain,
		"certSANs":        certSANs,
		"rsaDecrypt":      rsaDecrypt,
		"hexdec":          hexDecode,
		"jwkPublicKeyPem": func(input string) (string, error) {
			return jwkPublicKeyPEM([]byte(input))
		},
		"jwkPrivateKeyPem": func(input string) (string, error) {
			return jwkPrivateKeyPEM([]byte(input))
		},
		"toYaml":   toYAML,
		"fromYaml": fromYAML,
	})
	if htpasswd, ok := funcs["htpasswd"].(func(string, string) string); ok {
		// ESO's documentation calls htpasswd with a third argument, "bcrypt", which sprig
		// v3.3 does not take; accept it so that example works.
		funcs["htpasswd"] = func(username, password string, hash ...string) (string, error) {
			if len(hash) > 1 || len(hash) == 1 && hash[0] != "bcrypt" {
				return "", safeErrorf("htpasswd supports only the bcrypt hash")
			}
			return htpasswd(username, password), nil
		}
	}
	return funcs
}

func base64PKCS12(cert, key, password string, withChain bool) (string, error) {
	archive, err := pemToPKCS12(cert, key, password, withChain)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(archive), nil
}

// hexDecode decodes hexadecimal text. Like sprig's b64dec (and ESO's hexdec) it renders the
// decoder's error text in place of the value when the input is not hexadecimal.
func hexDecode(input string) string {
	out, err := hex.DecodeString(input)
	if err != nil {
		return err.Error()
	}
	return string(out)
}

// toYAML marshals v to YAML without the final newline, and to "" when it cannot.
func toYAML(v any) string {
	out, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

// fromYAML parses a YAML mapping. Unlike toYAML it fails loudly: a template that reads a
// field of a document that did not parse would otherwise render an empty value.
func fromYAML(input string) (map[string]any, error) {
	out := map[string]any{}
	if err := yaml.Unmarshal([]byte(input), &out); err != nil {
		return nil, safeErrorf("the input is not a YAML mapping")
	}
	return out, nil
}

// v1Funcs is ESO's v1 function set. Values are bytes, and so are most results: a pipeline
// that should print text ends in toString.
func v1Funcs() map[string]any {
	return map[string]any{
		"pkcs12key": func(archive []byte) ([]byte, error) {
			return pkcs12PrivateKeyDER(archive, "")
		},
		"pkcs12keyPass": func(password string, archive []byte) ([]byte, error) {
			return pkcs12PrivateKeyDER(archive, password)
		},
		"pkcs12cert": func(archive []byte) ([]byte, error) {
			return pkcs12LeafDER(archive, "")
		},
		"pkcs12certPass": func(password string, archive []byte) ([]byte, error) {
			return pkcs12LeafDER(archive, password)
		},
		"pemPrivateKey": func(der []byte) string {
			return string(pem.EncodeToMemory(&pem.Block{Type: pemTypePrivateKey, Bytes: der}))
		},
		"pemCertificate": func(der []byte) string {
			return string(pem.EncodeToMemory(&pem.Block{Type: pemTypeCertificate, Bytes: der}))
		},
		"jwkPublicKeyPem":  jwkPublicKeyPEM,
		"jwkPrivateKeyPem": jwkPrivateKeyPEM,
		"base64decode": func(input []byte) ([]byte, error) {
			out, err := base64.StdEncoding.DecodeString(string(input))
			if err != nil {
				return nil, safeErrorf("the input is not valid base64")
			}
			return out, nil
		},
		"base64encode": func(input []byte) []byte {
			out := make([]byte, base64.StdEncoding.EncodedLen(len(input)))
			base64.StdEncoding.Encode(out, input)
			return out
		},
		"fromJSON": func(input []byte) (any, error) {
			var out any
			if err := json.Unmarshal(input, &out); err != nil {
				return nil, safeErrorf("the input is not valid JSON")
			}
			return out, nil
		},
		"toJSON": func(v any) (string, error) {
			out, err := json.Marshal(v)
			if err != nil {
				return "", safeErrorf("the value cannot be encoded as JSON")
			}
			return string(out), nil
		},
		"toString": func(input []byte) string { return string(input) },
		"toBytes":  func(input string) []byte { return []byte(input) },
		"upper":    strings.ToUpper,
		"lower":    strings.ToLower,
	}
}

// pkcs12LeafDER returns the leaf certificate of an archive in DER (v1's pkcs12cert).
func pkcs12LeafDER(archive []byte, password string) ([]byte, error) {
	_, certs, err := decodePKCS12(archive, password)
	if err != nil {
		return nil, err
	}
	return certs[0].Raw, nil
}
