package aws

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

func seedCertificateManager(m *testenv.Moto) *acm.Client {
	return acm.NewFromConfig(seedConfig(m.Endpoint))
}

// testCA is a certificate authority a test issues TLS certificates from, the way
// cert-manager would, with crypto/x509.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key := newTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func newTestKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// issue returns a TLS Secret's tls.crt (the leaf, then the CA) and tls.key for host.
func (ca *testCA) issue(t *testing.T, host string, serial int64) (certPEM, keyPEM []byte) {
	t.Helper()
	key := newTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(12 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	leaf := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return append(leaf, ca.pem...), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// tlsSecretValue is what the PushSecret controller hands a writer for an entry without
// secretKey: the whole source Secret's data as a JSON object.
func tlsSecretValue(t *testing.T, certPEM, keyPEM []byte) []byte {
	t.Helper()
	v, err := json.Marshal(map[string]string{"tls.crt": string(certPEM), "tls.key": string(keyPEM), "ca.crt": "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// requestPrivateCertificate asks moto's ACM for a certificate issued by a private CA, the
// kind ACM exports, and returns its ARN.
func requestPrivateCertificate(t *testing.T, seed *acm.Client, host string) string {
	t.Helper()
	out, err := seed.RequestCertificate(testContext(t), &acm.RequestCertificateInput{
		DomainName:              aws.String(host),
		CertificateAuthorityArn: aws.String("arn:aws:acm-pca:" + testRegion + ":123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"),
	})
	if err != nil {
		t.Fatalf("requesting a private certificate: %v", err)
	}
	return aws.ToString(out.CertificateArn)
}

// pemTypes lists the PEM block types of b in order.
func pemTypes(b []byte) []string {
	var types []string
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return types
		}
		types = append(types, block.Type)
	}
}

func TestCertificateManagerExport(t *testing.T) {
	t.Parallel()
	moto := testenv.MustStartMoto(t)
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, ns)
	c := newClient(t, moto, secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceCertificateManager, Auth: staticAuth()}), controlPlane.Client, ns)
	seed := seedCertificateManager(moto)
	ctx := testContext(t)
	arn := requestPrivateCertificate(t, seed, "api.example.test")
	issued, err := seed.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	wantCert := strings.TrimSpace(aws.ToString(issued.Certificate))
	wantChain := strings.TrimSpace(aws.ToString(issued.CertificateChain))

	moto.ResetCalls()
	bundle, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: arn})
	if err != nil {
		t.Fatalf("GetSecret: %v", err)
	}
	if !strings.HasPrefix(string(bundle), wantCert+"\n"+wantChain+"\n-----BEGIN PRIVATE KEY-----\n") || !strings.HasSuffix(string(bundle), "-----END PRIVATE KEY-----\n") {
		t.Errorf("bundle is not certificate, chain, then unencrypted key:\n%s", pemTypes(bundle))
	}
	types := pemTypes(bundle)
	if types[len(types)-1] != "PRIVATE KEY" || types[0] != "CERTIFICATE" {
		t.Errorf("PEM blocks = %v, want certificates then PRIVATE KEY", types)
	}
	// The key a user gets must be the certificate's: a TLS server could load the bundle.
	if _, err := tls.X509KeyPair(bundle, bundle); err != nil {
		t.Errorf("the exported certificate and key do not pair: %v", err)
	}

	tlsData, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: arn})
	if err != nil {
		t.Fatalf("GetSecretMap: %v", err)
	}
	if string(tlsData["tls.crt"]) != wantCert+"\n"+wantChain+"\n" {
		t.Errorf("tls.crt = %q, want the certificate then its chain", tlsData["tls.crt"])
	}
	if _, err := tls.X509KeyPair(tlsData["tls.crt"], tlsData["tls.key"]); err != nil {
		t.Errorf("tls.crt and tls.key do not pair: %v", err)
	}
	if len(tlsData) != 2 {
		t.Errorf("GetSecretMap keys = %d, want tls.crt and tls.key only", len(tlsData))
	}

	// Three reads of an unchanged certificate: each asks GetCertificate, only the first
	// exports. Property and version do not change what is read, as in ESO.
	again, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: arn, Property: "ignored", Version: "ignored"})
	if err != nil || string(again) != string(bundle) {
		t.Fatalf("second GetSecret = %v, same bytes %v", err, string(again) == string(bundle))
	}
	if got, want := moto.AllCalls(), map[string]int{"GetCertificate": 3, "ExportCertificate": 1}; got["GetCertificate"] != want["GetCertificate"] ||
		got["ExportCertificate"] != want["ExportCertificate"] || got["DescribeCertificate"] != 0 {
		t.Errorf("calls = %s, want GetCertificate=3 ExportCertificate=1 and nothing else from ACM", moto)
	}

	t.Run("a changed certificate is exported again", func(t *testing.T) {
		// Re-importing another certificate under the ARN changes what GetCertificate shows;
		// moto then refuses to export it (imported certificates are not exportable), which
		// proves the cached export was not served.
		ca := newTestCA(t, "reimport CA")
		certPEM, keyPEM := ca.issue(t, "api.example.test", 7)
		if _, err := seed.ImportCertificate(ctx, &acm.ImportCertificateInput{CertificateArn: aws.String(arn), Certificate: certPEM[:len(certPEM)-len(ca.pem)],
			PrivateKey: keyPEM}); err != nil {
			t.Fatal(err)
		}
		moto.ResetCalls()
		_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: arn})
		if !errors.Is(err, errNotExportable) {
			t.Fatalf("GetSecret after re-import = %v, want errNotExportable", err)
		}
		if moto.Calls("ExportCertificate") != 1 {
			t.Errorf("calls = %s, want one ExportCertificate", moto)
		}
	})
}

func TestCertificateManagerReadErrors(t *testing.T) {
	t.Parallel()
	c, _ := staticClient(t, esv1.AWSServiceCertificateManager)
	seed := seedCertificateManager(sharedMoto)
	ctx := testContext(t)
	ca := newTestCA(t, "errors CA")
	certPEM, keyPEM := ca.issue(t, "imported.example.test", 2)
	imported, err := seed.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: certPEM, PrivateKey: keyPEM})
	if err != nil {
		t.Fatal(err)
	}
	missing := "arn:aws:acm:" + testRegion + ":123456789012:certificate/00000000-0000-0000-0000-000000000000"

	t.Run("imported certificates are not exportable", func(t *testing.T) {
		_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: aws.ToString(imported.CertificateArn)})
		if !errors.Is(err, errNotExportable) || errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("error = %v, want errNotExportable", err)
		}
		if !strings.Contains(err.Error(), aws.ToString(imported.CertificateArn)) || !strings.Contains(err.Error(), "export enabled") {
			t.Errorf("error %q does not name the certificate and the way out", err)
		}
	})
	t.Run("missing certificate", func(t *testing.T) {
		for _, read := range []func() error{
			func() error { _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: missing}); return err },
			func() error {
				_, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: missing})
				return err
			},
		} {
			if err := read(); !errors.Is(err, provider.ErrNotFound) {
				t.Errorf("error = %v, want ErrNotFound", err)
			}
		}
	})
	t.Run("a key that is no ARN", func(t *testing.T) {
		_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "my-certificate"})
		if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "arn:aws:acm:<region>:<account>:certificate/<id>") {
			t.Fatalf("error = %v, want one showing the ARN's shape", err)
		}
	})
	t.Run("find", func(t *testing.T) {
		_, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: ".*"}})
		if !errors.Is(err, provider.ErrFindNotSupported) {
			t.Fatalf("error = %v, want ErrFindNotSupported", err)
		}
	})
}

// certificateTags returns the tags of the certificate at arn, as a user sees them.
func certificateTags(t *testing.T, seed *acm.Client, arn string) map[string]string {
	t.Helper()
	out, err := seed.ListTagsForCertificate(testContext(t), &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("listing the tags of %s: %v", arn, err)
	}
	tags := map[string]string{}
	for _, tag := range out.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return tags
}

// importedFor returns the ARNs of the certificates in ACM tagged with remote key key.
func importedFor(t *testing.T, seed *acm.Client, key string) []string {
	t.Helper()
	out, err := seed.ListCertificates(testContext(t), &acm.ListCertificatesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, s := range out.CertificateSummaryList {
		if certificateTags(t, seed, aws.ToString(s.CertificateArn))[remoteKeyTag] == key {
			arns = append(arns, aws.ToString(s.CertificateArn))
		}
	}
	return arns
}

func TestCertificateManagerPush(t *testing.T) {
	t.Parallel()
	moto := testenv.MustStartMoto(t)
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, ns)
	store := secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceCertificateManager, Auth: staticAuth(), Prefix: "team-a/"})
	c := newClient(t, moto, store, controlPlane.Client, ns)
	w := c.(provider.Writer)
	seed := seedCertificateManager(moto)
	ctx := testContext(t)
	ca := newTestCA(t, "push CA")
	certPEM, keyPEM := ca.issue(t, "web.example.test", 10)
	meta := func(tags string) provider.PushRef {
		ref := provider.PushRef{RemoteKey: "web"}
		if tags != "" {
			ref.Metadata = &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":{"tags":` + tags + `}}`)}
		}
		return ref
	}

	if exists, err := w.SecretExists(ctx, meta("")); err != nil || exists {
		t.Fatalf("SecretExists before the push = %v, %v", exists, err)
	}
	if err := w.PushSecret(ctx, tlsSecretValue(t, certPEM, keyPEM), meta(`{"team":"a"}`)); err != nil {
		t.Fatalf("PushSecret: %v", err)
	}
	arns := importedFor(t, seed, "team-a/web")
	if len(arns) != 1 {
		t.Fatalf("certificates imported for team-a/web = %v, want one", arns)
	}
	arn := arns[0]
	if got := certificateTags(t, seed, arn); len(got) != 3 || got["managed-by"] != "external-secrets" || got["team"] != "a" {
		t.Errorf("tags = %v, want managed-by, the remote key and team=a", got)
	}
	inACM, err := seed.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if leaf := certPEM[:len(certPEM)-len(ca.pem)]; strings.TrimSpace(aws.ToString(inACM.Certificate)) != strings.TrimSpace(string(leaf)) {
		t.Errorf("ACM holds another certificate than the pushed leaf")
	}
	if !strings.HasPrefix(aws.ToString(inACM.CertificateChain), strings.TrimSpace(string(ca.pem))) {
		t.Errorf("ACM's chain does not start with the pushed CA")
	}

	t.Run("unchanged, from a new client", func(t *testing.T) {
		fresh := newClient(t, moto, store, controlPlane.Client, ns).(provider.Writer)
		moto.ResetCalls()
		if err := fresh.PushSecret(ctx, tlsSecretValue(t, certPEM, keyPEM), meta(`{"team":"a"}`)); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"GetResources": 1, "GetCertificate": 1, "ListTagsForCertificate": 1}
		if got := moto.AllCalls(); len(got) != len(want) || got["GetResources"] != 1 || got["GetCertificate"] != 1 || got["ListTagsForCertificate"] != 1 {
			t.Errorf("calls = %s, want %v: an unchanged certificate is not imported again", moto, want)
		}
	})

	t.Run("renewed certificate and new tags", func(t *testing.T) {
		certPEM, keyPEM = ca.issue(t, "web.example.test", 11)
		moto.ResetCalls()
		if err := w.PushSecret(ctx, tlsSecretValue(t, certPEM, keyPEM), meta(`{"env":"prod"}`)); err != nil {
			t.Fatal(err)
		}
		if n := moto.Calls("ImportCertificate"); n != 1 || moto.Calls("GetResources") != 0 {
			t.Errorf("calls = %s, want one ImportCertificate and no search: the client knows the ARN", moto)
		}
		if got := importedFor(t, seed, "team-a/web"); len(got) != 1 || got[0] != arn {
			t.Errorf("certificates for team-a/web = %v, want %s re-imported in place", got, arn)
		}
		inACM, err := seed.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(aws.ToString(inACM.Certificate)) != strings.TrimSpace(string(certPEM[:len(certPEM)-len(ca.pem)])) {
			t.Errorf("ACM still holds the old certificate")
		}
		if got := certificateTags(t, seed, arn); len(got) != 3 || got["env"] != "prod" || got["team-a/web"] != "" || got[remoteKeyTag] != "team-a/web" {
			t.Errorf("tags = %v, want managed-by, the remote key and env=prod", got)
		}
	})

	t.Run("bad input is refused without a call", func(t *testing.T) {
		moto.ResetCalls()
		tests := []struct {
			name  string
			value []byte
			ref   provider.PushRef
			want  string
		}{
			{"secretKey set", keyPEM, provider.PushRef{RemoteKey: "web", SecretKey: "tls.crt"}, "leave secretKey empty"},
			{"no tls.key", mustJSON(t, map[string]string{"tls.crt": string(certPEM)}), meta(""), `no key "tls.key"`},
			{"no certificate", tlsSecretValue(t, keyPEM, keyPEM), meta(""), "holds no PEM CERTIFICATE"},
			{"managed-by in metadata", tlsSecretValue(t, certPEM, keyPEM), meta(`{"managed-by":"me"}`), "metadata.spec.tags.managed-by"},
			{"remote key tag in metadata", tlsSecretValue(t, certPEM, keyPEM), meta(`{"external-secrets-remote-key":"x"}`), "metadata.spec.tags.external-secrets-remote-key"},
		}
		for _, tt := range tests {
			err := w.PushSecret(ctx, tt.value, tt.ref)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
			}
			assertNoValue(t, err, string(keyPEM[40:80]))
		}
		if calls := moto.String(); calls != "" {
			t.Errorf("calls = %s, want none", calls)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if exists, err := w.SecretExists(ctx, meta("")); err != nil || !exists {
			t.Fatalf("SecretExists = %v, %v", exists, err)
		}
		if err := w.DeleteSecret(ctx, meta("")); err != nil {
			t.Fatalf("DeleteSecret: %v", err)
		}
		_, err := seed.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
		var notFound *acmtypes.ResourceNotFoundException
		if !errors.As(err, &notFound) {
			t.Fatalf("GetCertificate after delete = %v, want ResourceNotFoundException", err)
		}
		if err := w.DeleteSecret(ctx, meta("")); err != nil {
			t.Errorf("second DeleteSecret = %v, want nil: already gone", err)
		}
		if exists, err := w.SecretExists(ctx, meta("")); err != nil || exists {
			t.Errorf("SecretExists after delete = %v, %v", exists, err)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSameChain covers what moto cannot show: AWS answers GetCertificate for a certificate
// imported without a chain with the certificate itself as its chain (so ESO's provider
// notes; not checked against AWS here).
func TestSameChain(t *testing.T) {
	t.Parallel()
	leaf, ca, other, extra := []byte("leaf"), []byte("ca"), []byte("other-ca"), []byte("amazon-ca")
	tests := []struct {
		name          string
		inACM, pushed [][]byte
		same          bool
	}{
		{"no chain, AWS repeats the certificate", [][]byte{leaf}, nil, true},
		{"same chain", [][]byte{ca}, [][]byte{ca}, true},
		{"ACM appends a certificate", [][]byte{ca, extra}, [][]byte{ca}, true},
		{"chain added", nil, [][]byte{ca}, false},
		{"chain added where AWS repeats the certificate", [][]byte{leaf}, [][]byte{ca}, false},
		{"another CA", [][]byte{ca}, [][]byte{other}, false},
		{"chain grew", [][]byte{ca}, [][]byte{ca, other}, false},
	}
	for _, tt := range tests {
		if got := sameChain(tt.inACM, tt.pushed, leaf); got != tt.same {
			t.Errorf("%s: sameChain = %v, want %v", tt.name, got, tt.same)
		}
	}
}
