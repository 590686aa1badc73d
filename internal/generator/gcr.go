package generator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/identity"
)

// gcrUsername is the user name Google's registries expect with an OAuth access token.
const gcrUsername = "oauth2accesstoken"

// GoogleTokens builds Google token sources with the Google Cloud Secret Manager provider's
// code, so a generator authenticates exactly as a Secret Manager store does; gcpsm.New
// returns one.
type GoogleTokens interface {
	// ValidateAccess checks an identity as written, without any call.
	ValidateAccess(a identity.Google) error
	// TokenSource validates an identity written as spec.provider.gcpsm's auth and returns
	// its token source.
	TokenSource(ctx context.Context, a identity.Google, kube client.Client, namespace string) (oauth2.TokenSource, error)
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
	id := gcrAccess(spec.GCRAccessTokenSpec, namespace)
	if err := g.google.ValidateAccess(id); err != nil {
		return nil, invalid(gcrFields(err))
	}
	source, err := g.google.TokenSource(ctx, id, kube, namespace)
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

// gcrAccess expresses the spec's auth in the Secret Manager provider's terms, used by the
// generator in namespace, the ExternalSecret's: its Secret and ServiceAccount are read
// there (its ConfigMap too, for federation), so a reference to another namespace is an
// invalid spec, also for a ClusterGenerator.
func gcrAccess(s *genv1alpha1.GCRAccessTokenSpec, namespace string) identity.Google {
	gcp := &esv1.GCPSMProvider{ProjectID: s.ProjectID}
	gcp.Auth.SecretRef = s.Auth.SecretRef
	if wi := s.Auth.WorkloadIdentity; wi != nil {
		gcp.Auth.WorkloadIdentity = &esv1.GCPWorkloadIdentity{ServiceAccountRef: wi.ServiceAccountRef,
			ClusterLocation: wi.ClusterLocation, ClusterName: wi.ClusterName, ClusterProjectID: wi.ClusterProjectID}
	}
	gcp.Auth.WorkloadIdentityFederation = s.Auth.WorkloadIdentityFederation
	return identity.Google{For: provider.GeneratorUse{Kind: genv1alpha1.GCRAccessTokenKind, Namespace: namespace}, Spec: gcp}
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
