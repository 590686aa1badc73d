package generator

import (
	"context"
	"encoding/base32"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// kubeWithSecrets is a client holding the given Secrets.
func kubeWithSecrets(t *testing.T, secrets ...*corev1.Secret) client.Client {
	t.Helper()
	objs := make([]client.Object, len(secrets))
	for i, s := range secrets {
		objs[i] = s
	}
	return kubeWith(t, objs...)
}

// TestMFAMatchesRFC6238 checks the codes against the test vectors of RFC 6238, appendix B:
// 8 digits, 30 s steps, one seed per hash.
func TestMFAMatchesRFC6238(t *testing.T) {
	seeds := map[string]string{
		"sha1":   "12345678901234567890",
		"sha256": "12345678901234567890123456789012",
		"sha512": "1234567890123456789012345678901234567890123456789012345678901234",
	}
	vectors := []struct {
		unix  int64
		codes map[string]string
	}{
		{59, map[string]string{"sha1": "94287082", "sha256": "46119246", "sha512": "90693936"}},
		{1111111109, map[string]string{"sha1": "07081804", "sha256": "68084774", "sha512": "25091201"}},
		{1111111111, map[string]string{"sha1": "14050471", "sha256": "67062674", "sha512": "99943326"}},
		{1234567890, map[string]string{"sha1": "89005924", "sha256": "91819424", "sha512": "93441116"}},
		{2000000000, map[string]string{"sha1": "69279037", "sha256": "90698825", "sha512": "38618901"}},
		{20000000000, map[string]string{"sha1": "65353130", "sha256": "77737706", "sha512": "47863826"}},
	}
	var secrets []*corev1.Secret
	for algorithm, seed := range seeds {
		secrets = append(secrets, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: algorithm},
			Data: map[string][]byte{"seed": []byte(base32.StdEncoding.EncodeToString([]byte(seed)))}})
	}
	kube := kubeWithSecrets(t, secrets...)
	for _, v := range vectors {
		for algorithm, want := range v.codes {
			when := metav1.NewTime(time.Unix(v.unix, 0))
			spec := &genv1alpha1.GeneratorSpec{MFASpec: &genv1alpha1.MFASpec{
				Secret: esv1.SecretKeySelector{Name: algorithm, Key: "seed"}, Length: 8, Algorithm: algorithm, When: &when}}
			got, err := NewMFA().Generate(context.Background(), spec, kube, "team")
			if err != nil {
				t.Fatal(err)
			}
			if string(got["token"]) != want {
				t.Errorf("%s at %d: token %s, want %s", algorithm, v.unix, got["token"], want)
			}
			wantLeft := 30 - v.unix%30
			if string(got["timeLeft"]) != strconv.FormatInt(wantLeft, 10) {
				t.Errorf("%s at %d: timeLeft %s, want %d", algorithm, v.unix, got["timeLeft"], wantLeft)
			}
		}
	}
}

// TestMFADefaultsAndSeedForms checks ESO's defaults (6 digits, 30 s, sha1, now) and that a
// seed written in groups, in lower case or with padding gives the same code.
func TestMFADefaultsAndSeedForms(t *testing.T) {
	seed := base32.StdEncoding.EncodeToString([]byte("12345678901234567890")) // GEZDGNBV...
	grouped := strings.ToLower(seed[:4] + " " + seed[4:8] + " " + seed[8:])
	kube := kubeWithSecrets(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "totp"},
		Data: map[string][]byte{"plain": []byte(seed), "grouped": []byte(grouped + "=")}})
	g := NewMFA()
	g.now = func() time.Time { return time.Unix(1111111111, 0) }
	for _, key := range []string{"plain", "grouped"} {
		spec := &genv1alpha1.GeneratorSpec{MFASpec: &genv1alpha1.MFASpec{Secret: esv1.SecretKeySelector{Name: "totp", Key: key}}}
		got, err := g.Generate(context.Background(), spec, kube, "team")
		if err != nil {
			t.Fatal(err)
		}
		// The RFC's 8-digit code 14050471, cut to the default 6 digits.
		if string(got["token"]) != "050471" || string(got["timeLeft"]) != "29" {
			t.Errorf("%s: token %s timeLeft %s, want 050471 and 29", key, got["token"], got["timeLeft"])
		}
	}
}

// TestMFARefusals checks what no retry fixes: a seed Secret in another namespace, a seed
// that is not base32, an unknown algorithm.
func TestMFARefusals(t *testing.T) {
	kube := kubeWithSecrets(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "totp"},
		Data: map[string][]byte{"bad": []byte("not base32!")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "totp"},
			Data: map[string][]byte{"seed": []byte("GEZDGNBV")}})
	tests := []struct {
		name string
		spec genv1alpha1.MFASpec
		want string
	}{
		{"other namespace", genv1alpha1.MFASpec{Secret: esv1.SecretKeySelector{Name: "totp", Key: "seed", Namespace: ptr("other")}},
			"spec.secret.namespace: a generator reads Secrets only in the namespace of the ExternalSecret that uses it (team), not in other"},
		{"not base32", genv1alpha1.MFASpec{Secret: esv1.SecretKeySelector{Name: "totp", Key: "bad"}},
			"spec.secret: the seed is not base32"},
		{"algorithm", genv1alpha1.MFASpec{Secret: esv1.SecretKeySelector{Name: "totp", Key: "bad"}, Algorithm: "md5"},
			`spec.algorithm: "md5" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewMFA().Generate(context.Background(), &genv1alpha1.GeneratorSpec{MFASpec: &tt.spec}, kube, "team")
			if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want an invalid spec with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "GEZDGNBV") {
				t.Error("the error shows the seed")
			}
		})
	}
}
