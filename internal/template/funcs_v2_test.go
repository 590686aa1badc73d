package template

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"golang.org/x/crypto/bcrypt"
	"software.sslmate.com/src/go-pkcs12"
)

func encodePKCS12(t *testing.T, key crypto.PrivateKey, leaf *x509.Certificate, caCerts []*x509.Certificate, password string) string {
	t.Helper()
	archive, err := pkcs12.Modern.Encode(key, leaf, caCerts, password)
	if err != nil {
		t.Fatal(err)
	}
	return string(archive)
}

func TestPKCS12ExtractV2(t *testing.T) {
	p := testCerts(t)
	// The archive lists the CA certificates root first: pkcs12cert must order the chain.
	archive := encodePKCS12(t, p.leafKey, p.leaf, []*x509.Certificate{p.root, p.intermediate}, "")
	locked := encodePKCS12(t, p.leafKey, p.leaf, []*x509.Certificate{p.intermediate}, "s3cret")
	ecArchive := encodePKCS12(t, p.ecKey, p.ecCert, nil, "")
	// Two leaves of the same missing issuer are no chain: they keep the archive's order.
	twoLeaves := encodePKCS12(t, p.ecKey, p.ecCert, []*x509.Certificate{p.leaf}, "")

	tests := []struct {
		name, template string
		values         map[string]string
		want           string
	}{
		{"pkcs12key", `{{ .archive | pkcs12key }}`, map[string]string{"archive": archive}, p.leafKeyPKCS8PEM},
		{"pkcs12key ec", `{{ .archive | pkcs12key }}`, map[string]string{"archive": ecArchive}, p.ecKeyPKCS8PEM},
		{"pkcs12keyPass", `{{ .archive | pkcs12keyPass "s3cret" }}`, map[string]string{"archive": locked}, p.leafKeyPKCS8PEM},
		{"pkcs12keyPass from a value", `{{ .archive | pkcs12keyPass .pass }}`, map[string]string{"archive": locked, "pass": "s3cret"}, p.leafKeyPKCS8PEM},
		{"pkcs12cert orders leaf, intermediate, root", `{{ .archive | pkcs12cert }}`, map[string]string{"archive": archive}, p.leafPEM + p.intermediatePEM + p.rootPEM},
		{"pkcs12cert two leaves as they are", `{{ .archive | pkcs12cert }}`, map[string]string{"archive": twoLeaves}, p.ecPEM + p.leafPEM},
		{"pkcs12certPass", `{{ .archive | pkcs12certPass "s3cret" }}`, map[string]string{"archive": locked}, p.leafPEM + p.intermediatePEM},
		// ESO's documented example (pkcs12-template-v2-external-secret.yaml).
		{"ESO example tls.crt", `{{ .mysecret | pkcs12cert }}`, map[string]string{"mysecret": ecArchive}, p.ecPEM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustRender(t, EngineV2, tt.template, tt.values); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		_, err := render(t, EngineV2, `{{ .archive | pkcs12key }}`, map[string]string{"archive": locked})
		errContains(t, err, "error calling pkcs12key: the password of the PKCS#12 archive is wrong")
	})
	t.Run("not an archive", func(t *testing.T) {
		_, err := render(t, EngineV2, `{{ .archive | pkcs12cert }}`, map[string]string{"archive": "not a p12"})
		errContains(t, err, "error calling pkcs12cert: the input is not a PKCS#12 archive")
	})
}

// decodeB64PKCS12 decodes what pemToPkcs12 renders: a base64 PKCS#12 archive.
func decodeB64PKCS12(t *testing.T, rendered, password string) (crypto.PrivateKey, *x509.Certificate, []*x509.Certificate) {
	t.Helper()
	archive, err := base64.StdEncoding.DecodeString(rendered)
	if err != nil {
		t.Fatalf("output is not base64: %v", err)
	}
	key, leaf, caCerts, err := pkcs12.DecodeChain(archive, password)
	if err != nil {
		t.Fatalf("output is not a PKCS#12 archive for that password: %v", err)
	}
	return key, leaf, caCerts
}

func TestPEMToPKCS12(t *testing.T) {
	p := testCerts(t)
	chain := p.leafPEM + p.intermediatePEM + p.rootPEM
	tests := []struct {
		name, template, password string
		values                   map[string]string
		wantKey                  crypto.Signer
		wantLeaf                 *x509.Certificate
		wantCA                   []*x509.Certificate
	}{
		{
			name: "pemToPkcs12 PKCS#8 key", template: `{{ pemToPkcs12 .cert .key }}`,
			values:  map[string]string{"cert": p.leafPEM, "key": p.leafKeyPKCS8PEM},
			wantKey: p.leafKey, wantLeaf: p.leaf,
		},
		{
			name: "pemToPkcs12 piped key, PKCS#1", template: `{{ .key | pemToPkcs12 .cert }}`,
			values:  map[string]string{"cert": p.leafPEM, "key": p.leafKeyPKCS1PEM},
			wantKey: p.leafKey, wantLeaf: p.leaf,
		},
		{
			name: "pemToPkcs12 keeps only the leaf of a chain", template: `{{ pemToPkcs12 .cert .key }}`,
			values:  map[string]string{"cert": chain, "key": p.leafKeyPKCS8PEM},
			wantKey: p.leafKey, wantLeaf: p.leaf,
		},
		{
			name: "pemToPkcs12 SEC 1 EC key", template: `{{ pemToPkcs12 .cert .key }}`,
			values:  map[string]string{"cert": p.ecPEM, "key": p.ecKeySEC1PEM},
			wantKey: p.ecKey, wantLeaf: p.ecCert,
		},
		{
			name: "pemToPkcs12Pass", template: `{{ pemToPkcs12Pass .cert .key "pw" }}`, password: "pw",
			values:  map[string]string{"cert": p.leafPEM, "key": p.leafKeyPKCS8PEM},
			wantKey: p.leafKey, wantLeaf: p.leaf,
		},
		{
			name: "fullPemToPkcs12", template: `{{ fullPemToPkcs12 .cert .key }}`,
			values:  map[string]string{"cert": chain, "key": p.leafKeyPKCS8PEM},
			wantKey: p.leafKey, wantLeaf: p.leaf, wantCA: []*x509.Certificate{p.intermediate, p.root},
		},
		{
			name: "fullPemToPkcs12 finds the leaf anywhere in the chain", template: `{{ fullPemToPkcs12 .cert .key }}`,
			values:  map[string]string{"cert": p.intermediatePEM + p.leafPEM + p.rootPEM, "key": p.leafKeyPKCS8PEM},
			wantKey: p.leafKey, wantLeaf: p.leaf, wantCA: []*x509.Certificate{p.intermediate, p.root},
		},
		{
			name: "fullPemToPkcs12Pass", template: `{{ fullPemToPkcs12Pass .cert .key .pw }}`, password: "from-a-value",
			values:  map[string]string{"cert": chain, "key": p.leafKeyPKCS8PEM, "pw": "from-a-value"},
			wantKey: p.leafKey, wantLeaf: p.leaf, wantCA: []*x509.Certificate{p.intermediate, p.root},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, leaf, caCerts := decodeB64PKCS12(t, mustRender(t, EngineV2, tt.template, tt.values), tt.password)
			if !tt.wantKey.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(key.(crypto.Signer).Public()) {
				t.Error("the archive holds another key")
			}
			if !leaf.Equal(tt.wantLeaf) {
				t.Errorf("leaf is %s, want %s", leaf.Subject, tt.wantLeaf.Subject)
			}
			if len(caCerts) != len(tt.wantCA) {
				t.Fatalf("%d CA certificates, want %d", len(caCerts), len(tt.wantCA))
			}
			for i := range caCerts {
				if !caCerts[i].Equal(tt.wantCA[i]) {
					t.Errorf("CA %d is %s, want %s", i, caCerts[i].Subject, tt.wantCA[i].Subject)
				}
			}
			// The round trip: pkcs12key and pkcs12cert read back what pemToPkcs12 wrote.
			if tt.password == "" {
				back := mustRender(t, EngineV2, `{{ `+strings.Trim(tt.template, "{} ")+` | b64dec | pkcs12key }}`, tt.values)
				if back != keyPKCS8PEM(t, tt.wantKey) {
					t.Errorf("pkcs12key of the archive is\n%s", back)
				}
			}
		})
	}

	errorTests := []struct {
		name, template string
		values         map[string]string
		want           string
	}{
		{"key of another certificate", `{{ pemToPkcs12 .cert .key }}`, map[string]string{"cert": p.ecPEM, "key": p.leafKeyPKCS8PEM}, "no certificate matches the private key"},
		{"no key", `{{ pemToPkcs12 .cert .key }}`, map[string]string{"cert": p.leafPEM, "key": p.leafPEM}, "no PEM private key found"},
		{"no certificate", `{{ fullPemToPkcs12 .cert .key }}`, map[string]string{"cert": "", "key": p.leafKeyPKCS8PEM}, "no PEM certificate found"},
		{"broken key", `{{ pemToPkcs12 .cert .key }}`, map[string]string{"cert": p.leafPEM, "key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, "a PRIVATE KEY block is not a valid PKCS#8 key"},
	}
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, EngineV2, tt.template, tt.values)
			errContains(t, err, tt.want)
		})
	}
}

func TestFilterPEM(t *testing.T) {
	p := testCerts(t)
	bundle := p.leafKeyPKCS8PEM + p.leafPEM + "some text between blocks\n" + p.intermediatePEM
	tests := []struct {
		name, template, want string
	}{
		{"certificates in order", `{{ .bundle | filterPEM "CERTIFICATE" }}`, p.leafPEM + p.intermediatePEM},
		{"the key", `{{ .bundle | filterPEM "PRIVATE KEY" }}`, p.leafKeyPKCS8PEM},
		{"the type in any case, as in ESO", `{{ .bundle | filterPEM "Certificate" }}`, p.leafPEM + p.intermediatePEM},
		{"first certificate", `{{ .bundle | filterPEM "CERTIFICATE" | splitList "-----END CERTIFICATE-----" | first }}-----END CERTIFICATE-----`, strings.TrimSuffix(p.leafPEM, "\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustRender(t, EngineV2, tt.template, map[string]string{"bundle": bundle}); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	_, err := render(t, EngineV2, `{{ .bundle | filterPEM "RSA PRIVATE KEY" }}`, map[string]string{"bundle": bundle})
	errContains(t, err, "error calling filterPEM: no PEM block of the requested type found")
}

func jwkJSON(t *testing.T, raw any) string {
	t.Helper()
	key, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestJWK(t *testing.T) {
	p := testCerts(t)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	xKey, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := func(pub crypto.PublicKey) string {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	tests := []struct {
		name        string
		jwk         string
		wantPublic  string
		wantPrivate string
	}{
		{"RSA private", jwkJSON(t, p.leafKey), publicPEM(p.leafKey.Public()), p.leafKeyPKCS8PEM},
		{"EC private", jwkJSON(t, p.ecKey), publicPEM(p.ecKey.Public()), p.ecKeyPKCS8PEM},
		{"Ed25519 private", jwkJSON(t, edKey), publicPEM(edKey.Public()), keyPKCS8PEM(t, edKey)},
		{"X25519 private", jwkJSON(t, xKey), publicPEM(xKey.Public()), keyPKCS8PEM(t, xKey)},
		{"RSA public", jwkJSON(t, p.leafKey.Public()), publicPEM(p.leafKey.Public()), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := map[string]string{"myjwk": tt.jwk}
			// ESO's documented example (jwk-template-v2-external-secret.yaml).
			if got := mustRender(t, EngineV2, `{{ .myjwk | jwkPublicKeyPem }}`, values); got != tt.wantPublic {
				t.Errorf("public key\n%s\nwant\n%s", got, tt.wantPublic)
			}
			got, err := render(t, EngineV2, `{{ .myjwk | jwkPrivateKeyPem }}`, values)
			if tt.wantPrivate == "" {
				errContains(t, err, "error calling jwkPrivateKeyPem: the JSON Web Key holds no private key")
				return
			}
			if err != nil || got != tt.wantPrivate {
				t.Errorf("private key %v\n%s\nwant\n%s", err, got, tt.wantPrivate)
			}
		})
	}

	symmetric := jwkJSON(t, []byte("0123456789abcdef"))
	_, err = render(t, EngineV2, `{{ .k | jwkPublicKeyPem }}`, map[string]string{"k": symmetric})
	errContains(t, err, "error calling jwkPublicKeyPem: the JSON Web Key has no public key")
	_, err = render(t, EngineV2, `{{ .k | jwkPrivateKeyPem }}`, map[string]string{"k": `{"kty":"RSA"`})
	errContains(t, err, "error calling jwkPrivateKeyPem: the input is not a valid JSON Web Key")
}

func TestYAMLFunctions(t *testing.T) {
	tests := []struct {
		name, template string
		values         map[string]string
		want           string
	}{
		{"toYaml dict", `{{ dict "b" (list "x" "z") "a" 1 | toYaml }}`, nil, "a: 1\nb:\n- x\n- z"},
		{"toYaml string", `{{ .s | toYaml }}`, map[string]string{"s": "multi\nline"}, "|-\n  multi\n  line"},
		{"toYaml of the values", `{{ toYaml . }}`, map[string]string{"user": "admin", "port": "5432"}, "port: \"5432\"\nuser: admin"},
		{"fromYaml field", `{{ (.doc | fromYaml).db.host }}`, map[string]string{"doc": "db:\n  host: example.org\n  port: 5432\n"}, "example.org"},
		{"fromYaml number", `{{ (.doc | fromYaml).db.port }}`, map[string]string{"doc": "db:\n  port: 5432\n"}, "5432"},
		{"fromYaml empty", `{{ .doc | fromYaml | len }}`, map[string]string{"doc": ""}, "0"},
		{"round trip", `{{ .doc | fromYaml | toYaml }}`, map[string]string{"doc": "{b: [1, 2], a: x}"}, "a: x\nb:\n- 1\n- 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustRender(t, EngineV2, tt.template, tt.values); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	_, err := render(t, EngineV2, `{{ (.doc | fromYaml).a }}`, map[string]string{"doc": "- a list\n- not a mapping"})
	errContains(t, err, "error calling fromYaml: the input is not a YAML mapping")
}

func TestSprigV2(t *testing.T) {
	values := map[string]string{"password": "p@ss", "dburl": "postgres://db:5432/app", "user": "admin"}
	tests := []struct{ template, want string }{
		// ESO's documented examples (multiline-template-v2-external-secret.yaml).
		{`password: "{{ .password }}"`, `password: "p@ss"`},
		{`{{ .dburl | replace "postgres://" "postgresql://" }}`, "postgresql://db:5432/app"},
		{`{{ .password | b64enc }}`, "cEBzcw=="},
		{`{{ "cEBzcw==" | b64dec }}`, "p@ss"},
		{`{{ .user | upper | quote }}`, `"ADMIN"`},
		{`{{ index . "user" }}`, "admin"},
		{`{{ get . "missing" | default "fallback" }}`, "fallback"},
		{`{{ if hasKey . "user" }}yes{{ end }}`, "yes"},
		{`{{ keys . | sortAlpha | join "," }}`, "dburl,password,user"},
		{`{{ dict "user" .user | toJson }}`, `{"user":"admin"}`},
		{`{{ range $k, $v := . }}{{ $k }};{{ end }}`, "dburl;password;user;"},
		{`{{ .user | sha256sum }}`, "8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918"},
		{`{{ printf "%s:%s" .user .password }}`, "admin:p@ss"},
		{`{{ print .user 1 }}`, "admin1"},
	}
	for _, tt := range tests {
		if got := mustRender(t, EngineV2, tt.template, values); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.template, got, tt.want)
		}
	}
}

func TestHtpasswd(t *testing.T) {
	for _, template := range []string{`{{ htpasswd .user .pw }}`, `{{ htpasswd .user .pw "bcrypt" }}`} {
		got := mustRender(t, EngineV2, template, map[string]string{"user": "alice", "pw": "wonderland"})
		user, hash, ok := strings.Cut(got, ":")
		if !ok || user != "alice" || bcrypt.CompareHashAndPassword([]byte(hash), []byte("wonderland")) != nil {
			t.Errorf("%s: %q is not alice's bcrypt entry", template, got)
		}
	}
	_, err := render(t, EngineV2, `{{ htpasswd .user .pw "md5" }}`, map[string]string{"user": "alice", "pw": "x"})
	errContains(t, err, "htpasswd supports only the bcrypt hash")
}
