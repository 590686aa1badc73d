package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/storeref"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestCertificateManager: a user exports an ACM certificate into a TLS Secret with ESO's
// documented manifests, sees why a certificate ACM will not export and a missing one are
// not synced, and imports a TLS Secret into ACM with a PushSecret that deletes it again.
func TestCertificateManager(t *testing.T) {
	ctx := context.Background()
	moto := testenv.MustStartMoto(t)
	certs := acm.NewFromConfig(testAWSConfig(t), func(o *acm.Options) { o.BaseEndpoint = aws.String(moto.Endpoint) })
	requested, err := certs.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("shop.example.test"),
		CertificateAuthorityArn: aws.String("arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/e2e")})
	if err != nil {
		t.Fatal(err)
	}
	exportable := aws.ToString(requested.CertificateArn)
	issued, err := certs.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: requested.CertificateArn})
	if err != nil {
		t.Fatal(err)
	}
	leafPEM, keyPEM := selfSignedTLS(t, "legacy.example.test")
	imported, err := certs.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: leafPEM, PrivateKey: keyPEM})
	if err != nil {
		t.Fatal(err)
	}
	missing := "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"

	startFerry(t, motoEnv(moto))
	ns := "acm"
	ensureNamespace(t, ns)
	tlsCrt, tlsKey := selfSignedTLS(t, "web.example.test")
	// The store first: a PushSecret created before its store is validated waits for its
	// refresh interval (an hour here) before it tries again.
	if out, err := kubectlApplyStdin(fmt.Sprintf(`apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: aws-certificate-manager, namespace: %s}
spec:
  provider:
    aws: {service: CertificateManager, region: eu-west-1}
`, ns)); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	testenv.Eventually(t, 60*time.Second, "the store Ready", func() (bool, error) {
		var store esv1.SecretStore
		err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "aws-certificate-manager"}, &store)
		return err == nil && storeref.Ready(&store), err
	})
	// ESO's aws-acm-external-secret-chain.yaml, less its filterCertChain: moto signs the
	// certificates it issues "privately" with their own key while naming an Amazon CA as
	// issuer, so they form no chain that filterCertChain could split.
	manifest := fmt.Sprintf(`apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: acm-exported-cert-chain, namespace: %[1]s}
spec:
  refreshInterval: 1h0m0s
  secretStoreRef: {kind: SecretStore, name: aws-certificate-manager}
  target:
    template:
      type: kubernetes.io/tls
      engineVersion: v2
      data:
        tls.crt: '{{ .cert | filterPEM "CERTIFICATE" }}'
        tls.key: '{{ .cert | filterPEM "PRIVATE KEY" }}'
  data:
    - secretKey: cert
      remoteRef: {key: %[2]s}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: not-exportable, namespace: %[1]s}
spec:
  secretStoreRef: {kind: SecretStore, name: aws-certificate-manager}
  data: [{secretKey: cert, remoteRef: {key: %[3]s}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: missing, namespace: %[1]s}
spec:
  secretStoreRef: {kind: SecretStore, name: aws-certificate-manager}
  data: [{secretKey: cert, remoteRef: {key: %[4]s}}]
---
apiVersion: v1
kind: Secret
metadata: {name: my-tls-cert, namespace: %[1]s}
type: kubernetes.io/tls
stringData:
  tls.crt: |
%[5]s
  tls.key: |
%[6]s
---
apiVersion: external-secrets.io/v1alpha1
kind: PushSecret
metadata: {name: acm-certificate-with-tags, namespace: %[1]s}
spec:
  deletionPolicy: Delete
  refreshInterval: 1h0m0s
  secretStoreRefs: [{name: aws-certificate-manager, kind: SecretStore}]
  selector: {secret: {name: my-tls-cert}}
  data:
    - match:
        remoteRef: {remoteKey: my-app-certificate}
      metadata:
        apiVersion: kubernetes.external-secrets.io/v1alpha1
        kind: PushSecretMetadata
        spec:
          tags: {environment: production, team: platform}
`, ns, exportable, aws.ToString(imported.CertificateArn), missing, indent(tlsCrt), indent(tlsKey))
	if out, err := kubectlApplyStdin(manifest); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}

	t.Run("exported into a TLS Secret", func(t *testing.T) {
		var s corev1.Secret
		testenv.Eventually(t, 60*time.Second, "the TLS Secret", func() (bool, error) {
			err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "acm-exported-cert-chain"}, &s)
			if apierrors.IsNotFound(err) {
				return false, fmt.Errorf("no Secret yet; %s", statusOf(ctx, &esv1.ExternalSecret{}, ns, "acm-exported-cert-chain"))
			}
			return err == nil, err
		})
		if s.Type != corev1.SecretTypeTLS {
			t.Errorf("type = %s, want kubernetes.io/tls", s.Type)
		}
		want := strings.TrimSpace(aws.ToString(issued.Certificate)) + "\n" + strings.TrimSpace(aws.ToString(issued.CertificateChain))
		if strings.TrimSpace(string(s.Data["tls.crt"])) != want {
			t.Errorf("tls.crt is not the certificate ACM issued, then its chain:\n%s", s.Data["tls.crt"])
		}
		if _, err := tls.X509KeyPair(s.Data["tls.crt"], s.Data["tls.key"]); err != nil {
			t.Errorf("tls.crt and tls.key do not pair: %v", err)
		}
	})

	t.Run("why a certificate is not synced", func(t *testing.T) {
		for name, want := range map[string]string{
			"not-exportable": "ACM exports only private certificates",
			"missing":        "not found",
		} {
			reason, message := waitNotReady(t, ns, name)
			if reason != esv1.ReasonSecretSyncedError || !strings.Contains(message, want) {
				t.Errorf("%s: Ready=False %s %q, want %s and a message containing %q", name, reason, message, esv1.ReasonSecretSyncedError, want)
			}
		}
	})

	t.Run("pushed, tagged, then deleted", func(t *testing.T) {
		var arn string
		testenv.Eventually(t, 60*time.Second, "the pushed certificate in ACM", func() (bool, error) {
			arn = certificateTagged(ctx, t, certs, "my-app-certificate")
			return arn != "", fmt.Errorf("not pushed yet; %s", statusOf(ctx, &esv1alpha1.PushSecret{}, ns, "acm-certificate-with-tags"))
		})
		tags := certificateTagMap(ctx, t, certs, arn)
		if tags["managed-by"] != "external-secrets" || tags["environment"] != "production" || tags["team"] != "platform" || len(tags) != 4 {
			t.Errorf("tags = %v, want managed-by, the remote key, environment and team", tags)
		}
		got, err := certs.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
		if err != nil || strings.TrimSpace(aws.ToString(got.Certificate)) != strings.TrimSpace(string(tlsCrt)) {
			t.Fatalf("ACM holds another certificate than tls.crt (%v)", err)
		}
		if out, err := kubectlErr("delete", "pushsecret", "-n", ns, "acm-certificate-with-tags"); err != nil {
			t.Fatalf("deleting the PushSecret: %v\n%s", err, out)
		}
		testenv.Eventually(t, 60*time.Second, "the certificate deleted", func() (bool, error) {
			_, err := certs.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
			return err != nil && strings.Contains(err.Error(), "ResourceNotFound"), nil
		})
	})
}

// statusOf returns the object's status as JSON, for failure messages.
func statusOf(ctx context.Context, obj client.Object, ns, name string) string {
	if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		return err.Error()
	}
	status, _ := json.Marshal(reflect.ValueOf(obj).Elem().FieldByName("Status").Interface())
	return string(status)
}

// selfSignedTLS returns a TLS Secret's tls.crt and tls.key for host.
func selfSignedTLS(t *testing.T, host string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// indent indents a block scalar's lines for the manifest.
func indent(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return "    " + strings.Join(lines, "\n    ")
}

// waitNotReady waits for the ExternalSecret's Ready condition to be False and returns its
// reason and message.
func waitNotReady(t *testing.T, ns, name string) (reason, message string) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, name+" Ready=False", func() (bool, error) {
		var es esv1.ExternalSecret
		if err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &es); err != nil {
			return false, err
		}
		for _, c := range es.Status.Conditions {
			if c.Type == esv1.ExternalSecretReady && c.Status == corev1.ConditionFalse {
				reason, message = c.Reason, c.Message
				return true, nil
			}
		}
		return false, nil
	})
	return reason, message
}

// certificateTagged returns the ARN of the certificate tagged with the remote key, or "".
func certificateTagged(ctx context.Context, t *testing.T, certs *acm.Client, remoteKey string) string {
	t.Helper()
	out, err := certs.ListCertificates(ctx, &acm.ListCertificatesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range out.CertificateSummaryList {
		if certificateTagMap(ctx, t, certs, aws.ToString(c.CertificateArn))["external-secrets-remote-key"] == remoteKey {
			return aws.ToString(c.CertificateArn)
		}
	}
	return ""
}

func certificateTagMap(ctx context.Context, t *testing.T, certs *acm.Client, arn string) map[string]string {
	t.Helper()
	out, err := certs.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tag := range out.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return tags
}
