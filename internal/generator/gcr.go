package generator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// gcrUsername is the user name Google's registries expect with an OAuth access token.
const gcrUsername = "oauth2accesstoken"

// GoogleTokens builds Google token sources with the Google Cloud Secret Manager provider's
// code, so a generator authenticates exactly as a Secret Manager store does; gcpsm.New
// returns one.
type GoogleTokens interface {
	// TokenSource validates store's spec.provider.gcpsm and returns its token source.
	TokenSource(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (oauth2.TokenSource, error)
}

// GCRAccessToken generates logins for Google Container Registry and Artifact Registry: a
// Google access token (scope cloud-platform) of the spec's identity. The keys are those of
// External Secrets Operator: username (oauth2accesstoken), password (the token) and expiry
// (Unix seconds; Google's tokens last an hour).
type GCRAccessToken struct {
	google GoogleTokens
}

// NewGCRAccessToken returns the generator; google authenticates it.
func NewGCRAccessToken(google GoogleTokens) *GCRAccessToken { return &GCRAccessToken{google: google} }

// Kind returns "GCRAccessToken".
func (*GCRAccessToken) Kind() string { return genv1alpha1.GCRAccessTokenKind }

// Generate obtains a Google access token.
func (g *GCRAccessToken) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	store, err := gcrStore(spec.GCRAccessTokenSpec, namespace)
	if err != nil {
		return nil, err
	}
	source, err := g.google.TokenSource(ctx, store, kube, namespace)
	if err != nil {
		return nil, gcrFields(err)
	}
	token, err := source.Token()
	if err != nil {
		return nil, gcrFields(fmt.Errorf("google access token: %w", oauthFailure(err)))
	}
	if token.AccessToken == "" {
		return nil, errors.New("google access token: the answer holds no token")
	}
	return map[string][]byte{
		"username": []byte(gcrUsername),
		"password": []byte(token.AccessToken),
		"expiry":   []byte(strconv.FormatInt(token.Expiry.UTC().Unix(), 10)),
	}, nil
}

// gcrStore expresses the spec's auth as a Secret Manager store in namespace, the
// ExternalSecret's: its Secret and ServiceAccount are read there, so a reference to another
// namespace is an invalid spec, also for a ClusterGenerator.
func gcrStore(s *genv1alpha1.GCRAccessTokenSpec, namespace string) (*esv1.SecretStore, error) {
	gcp := &esv1.GCPSMProvider{ProjectID: s.ProjectID}
	if ref := s.Auth.SecretRef; ref != nil {
		if err := inNamespace(ref.SecretAccessKey.Namespace, namespace, "spec.auth.secretRef.secretAccessKeySecretRef", "reads Secrets"); err != nil {
			return nil, err
		}
		gcp.Auth.SecretRef = ref
	}
	if wi := s.Auth.WorkloadIdentity; wi != nil {
		if err := inNamespace(wi.ServiceAccountRef.Namespace, namespace, "spec.auth.workloadIdentity.serviceAccountRef",
			"requests tokens for ServiceAccounts"); err != nil {
			return nil, err
		}
		gcp.Auth.WorkloadIdentity = &esv1.GCPWorkloadIdentity{ServiceAccountRef: wi.ServiceAccountRef,
			ClusterLocation: wi.ClusterLocation, ClusterName: wi.ClusterName, ClusterProjectID: wi.ClusterProjectID}
	}
	if s.Auth.WorkloadIdentityFederation != nil {
		return nil, notServed("spec.auth.workloadIdentityFederation is not supported by this version of Ferry " +
			"(nor for Google Cloud Secret Manager stores); use secretRef or workloadIdentity")
	}
	return &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "gcraccesstoken"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{GCPSM: gcp}},
	}, nil
}

// oauthFailure keeps, of a failed token request, the call, the status and the service's
// error_description, not the whole answer oauth2's error quotes.
func oauthFailure(err error) error {
	var failed *oauth2.RetrieveError
	if !errors.As(err, &failed) || failed.Response == nil || failed.Response.Request == nil {
		return unwrapURL(err)
	}
	return refusal(callOf(failed.Response.Request), failed.Response.StatusCode, failed.Body)
}

// gcrFields rewrites the field paths of the Secret Manager provider's errors into the
// generator's own.
func gcrFields(err error) error {
	return &renamed{err: err, msg: strings.ReplaceAll(err.Error(), "spec.provider.gcpsm.", "spec.")}
}
