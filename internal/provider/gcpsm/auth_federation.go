package gcpsm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google/externalaccount"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/redact"
)

const (
	wifField = field + ".auth.workloadIdentityFederation"

	// googleSTS is the only token_url a credential configuration may name: the subject
	// token is sent there, so another URL would hand it to someone else.
	googleSTS = "https://sts.googleapis.com/v1/token"
	// operatorTokenPath is where Ferry's own ServiceAccount token is mounted; a credential
	// configuration may not send it, or any store could act as the operator.
	operatorTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"

	subjectTokenTypeJWT = "urn:ietf:params:oauth:token-type:jwt"
	subjectTokenTypeAWS = "urn:ietf:params:aws:token-type:aws4_request"
)

// impersonationURL is the only form of a credential configuration's
// service_account_impersonation_url: generateAccessToken of one service account.
var impersonationURL = regexp.MustCompile(`^https://iamcredentials\.googleapis\.com/v1/projects/-/serviceAccounts/([^/:\s]+):generateAccessToken$`)

// federationTokenSource exchanges an external credential for a Google access token at the
// Security Token Service (workload identity federation), then, when a GCP service account
// is named, for that account's token with generateAccessToken. The subject token is a
// Kubernetes ServiceAccount token (serviceAccountRef), a signed AWS GetCallerIdentity
// request (awsSecurityCredentials), or what a credential configuration in a ConfigMap
// points at (credConfig: a file or a URL). The first token is fetched now, so that a store
// whose exchange fails is not ready; later ones are reused until near expiry.
func (p Provider) federationTokenSource(ctx context.Context, a Access, kube client.Client, namespace string) (oauth2.TokenSource, error) {
	wif := a.Spec.Auth.WorkloadIdentityFederation
	cfg := externalaccount.Config{Audience: wif.Audience, SubjectTokenType: subjectTokenTypeJWT,
		TokenURL: p.endpoints.STS, Scopes: []string{cloudPlatformScope}}
	var gcpSA string
	switch {
	case wif.CredConfig != nil:
		file, err := readCredentialConfig(ctx, a, kube, namespace, wif)
		if err != nil {
			return nil, err
		}
		if cfg.Audience == "" {
			cfg.Audience = file.Audience
		}
		if file.SubjectTokenType != "" {
			cfg.SubjectTokenType = file.SubjectTokenType
		}
		cfg.CredentialSource = &file.CredentialSource
		cfg.ServiceAccountImpersonationLifetimeSeconds = file.Impersonation.TokenLifetimeSeconds
		if m := impersonationURL.FindStringSubmatch(file.ServiceAccountImpersonationURL); m != nil {
			gcpSA = m[1]
		}
	case wif.ServiceAccountRef != nil:
		const saField = wifField + ".serviceAccountRef"
		sa, err := provider.ServiceAccount(ctx, kube, a.For, namespace, *wif.ServiceAccountRef, saField)
		if err != nil {
			return nil, err
		}
		cfg.SubjectTokenSupplier = serviceAccountTokens{kube: kube, sa: sa, audiences: wif.ServiceAccountRef.Audiences}
		gcpSA = sa.Annotations[GCPServiceAccountAnnotation]
	case wif.AwsSecurityCredentials != nil:
		creds, err := readAWSCredentials(ctx, a, kube, namespace, wif.AwsSecurityCredentials)
		if err != nil {
			return nil, err
		}
		cfg.SubjectTokenType = subjectTokenTypeAWS
		cfg.AwsSecurityCredentialsSupplier = awsCredentials{region: wif.AwsSecurityCredentials.Region, creds: creds}
	}
	if wif.GCPServiceAccountEmail != "" {
		gcpSA = wif.GCPServiceAccountEmail
	}
	if gcpSA != "" {
		cfg.ServiceAccountImpersonationURL = fmt.Sprintf("%s/v1/projects/-/serviceAccounts/%s:generateAccessToken",
			p.endpoints.IAMCredentials, gcpSA)
	}
	if cfg.Audience == "" {
		return nil, errors.New(wifField + ".audience: required (the workload identity pool provider, //iam.googleapis.com/projects/...), " +
			"and the credential configuration names none")
	}
	// The token source keeps this context for every later exchange, after the reconcile
	// that built it has returned: it carries the HTTP client, not the reconcile's deadline.
	hc := p.endpoints.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	lasting := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	ts, err := externalaccount.NewTokenSource(lasting, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", wifField, err)
	}
	ts = federationErrors{ts}
	first, err := ts.Token()
	if err != nil {
		return nil, err
	}
	return oauth2.ReuseTokenSource(first, ts), nil
}

// credentialConfig is the part of Google's external_account credential configuration
// Ferry reads.
type credentialConfig struct {
	Type                           string                           `json:"type"`
	Audience                       string                           `json:"audience"`
	SubjectTokenType               string                           `json:"subject_token_type"`
	TokenURL                       string                           `json:"token_url"`
	ServiceAccountImpersonationURL string                           `json:"service_account_impersonation_url"`
	CredentialSource               externalaccount.CredentialSource `json:"credential_source"`
	Impersonation                  struct {
		TokenLifetimeSeconds int `json:"token_lifetime_seconds"`
	} `json:"service_account_impersonation"`
}

// readCredentialConfig reads and checks the credential configuration of credConfig. The
// subject token may come from a file or from the store's externalTokenEndpoint; an
// executable or AWS metadata source is refused by name, as is a token_url or impersonation
// URL that is not Google's.
func readCredentialConfig(ctx context.Context, a Access, kube client.Client, namespace string,
	wif *esv1.GCPWorkloadIdentityFederation) (*credentialConfig, error) {
	const ccField = wifField + ".credConfig"
	ref := wif.CredConfig
	raw, err := provider.ConfigMapKeyValue(ctx, kube, a.For, namespace, ref.Name, ref.Namespace, ref.Key, ccField)
	if err != nil {
		return nil, err
	}
	var file credentialConfig
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: ConfigMap %s key %q is not a credential configuration (JSON): %w", ccField, ref.Name, ref.Key, err)
	}
	var errs []error
	if file.Type != "external_account" {
		errs = append(errs, fmt.Errorf("%s: type is %q; a workload identity federation configuration has type external_account "+
			"(gcloud iam workload-identity-pools create-cred-config writes one)", ccField, file.Type))
	}
	if file.TokenURL != "" && file.TokenURL != googleSTS {
		errs = append(errs, fmt.Errorf("%s: token_url %q: only %s is allowed", ccField, file.TokenURL, googleSTS))
	}
	if u := file.ServiceAccountImpersonationURL; u != "" && !impersonationURL.MatchString(u) {
		errs = append(errs, fmt.Errorf("%s: service_account_impersonation_url %q is not "+
			"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken", ccField, u))
	}
	src := file.CredentialSource
	switch {
	case src.Executable != nil:
		errs = append(errs, errors.New(ccField+": credential_source.executable is not served: Ferry runs no command from a ConfigMap; "+
			"use a file or url credential source, serviceAccountRef or awsSecurityCredentials"))
	case src.EnvironmentID != "":
		errs = append(errs, errors.New(ccField+": credential_source.environment_id (AWS credentials from the EC2 metadata server) "+
			"is not served by Ferry; put the AWS keys in a Secret and use awsSecurityCredentials"))
	case src.File == operatorTokenPath:
		errs = append(errs, errors.New(ccField+": credential_source.file is Ferry's own ServiceAccount token, which a store may not use; "+
			"name a ServiceAccount in serviceAccountRef instead"))
	case src.File != "":
	case src.URL != "":
		if src.URL != wif.ExternalTokenEndpoint {
			errs = append(errs, fmt.Errorf("%s: credential_source.url %q is not the store's externalTokenEndpoint %q; "+
				"set externalTokenEndpoint to the URL to allow it", ccField, src.URL, wif.ExternalTokenEndpoint))
		}
	default:
		errs = append(errs, errors.New(ccField+": credential_source names no file or url to read the subject token from"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &file, nil
}

// readAWSCredentials reads the access key of awsSecurityCredentials' Secret: keys
// aws_access_key_id and aws_secret_access_key, and aws_session_token when present.
func readAWSCredentials(ctx context.Context, a Access, kube client.Client, namespace string,
	ref *esv1.AwsCredentialsConfig) (*externalaccount.AwsSecurityCredentials, error) {
	const awsField = wifField + ".awsSecurityCredentials.awsCredentialsSecretRef"
	ns, err := provider.RefNamespace(a.For, ref.AwsCredentialsSecretRef.Namespace, namespace, awsField)
	if err != nil {
		return nil, err
	}
	var secret corev1.Secret
	if err := kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.AwsCredentialsSecretRef.Name}, &secret); err != nil {
		return nil, fmt.Errorf("%s: reading Secret %s/%s: %w", awsField, ns, ref.AwsCredentialsSecretRef.Name, err)
	}
	creds := &externalaccount.AwsSecurityCredentials{AccessKeyID: string(secret.Data["aws_access_key_id"]),
		SecretAccessKey: string(secret.Data["aws_secret_access_key"]), SessionToken: string(secret.Data["aws_session_token"])}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil, fmt.Errorf("%s: Secret %s/%s needs the keys aws_access_key_id and aws_secret_access_key",
			awsField, ns, ref.AwsCredentialsSecretRef.Name)
	}
	redact.RememberCredentialString(creds.SecretAccessKey)
	redact.RememberCredentialString(creds.SessionToken)
	return creds, nil
}

// serviceAccountTokens supplies a fresh token of a Kubernetes ServiceAccount for each
// exchange.
type serviceAccountTokens struct {
	kube      client.Client
	sa        *corev1.ServiceAccount
	audiences []string
}

func (s serviceAccountTokens) SubjectToken(ctx context.Context, _ externalaccount.SupplierOptions) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	token, _, err := provider.ServiceAccountToken(ctx, s.kube, s.sa, s.audiences, 600)
	if err != nil {
		return "", fmt.Errorf("%s.serviceAccountRef: %w", wifField, err)
	}
	return token, nil
}

// awsCredentials supplies the AWS access key whose signature of GetCallerIdentity is the
// subject token.
type awsCredentials struct {
	region string
	creds  *externalaccount.AwsSecurityCredentials
}

func (a awsCredentials) AwsRegion(context.Context, externalaccount.SupplierOptions) (string, error) {
	return a.region, nil
}

func (a awsCredentials) AwsSecurityCredentials(context.Context, externalaccount.SupplierOptions) (*externalaccount.AwsSecurityCredentials, error) {
	return a.creds, nil
}

// federationErrors rewords the exchange's failures: the library quotes whole answers, of
// which only Google's own error code and description are kept.
type federationErrors struct{ ts oauth2.TokenSource }

func (f federationErrors) Token() (*oauth2.Token, error) {
	token, err := f.ts.Token()
	if err != nil {
		return nil, federationFailure(err)
	}
	return token, nil
}

// answered is how golang.org/x/oauth2's Google code reports a refusal: the status and the
// body, after "oauth2/google:" from STS or generateAccessToken, after
// "oauth2/google/externalaccount:" from a URL credential source. A refused STS exchange
// under impersonation comes wrapped in generateAccessToken's failed call.
var answered = regexp.MustCompile(`(?s)oauth2/google(/externalaccount)?: status code (\d{3}): (.*)$`)

// federationFailure says which call failed with which status, and repeats the answer's
// error only when it is Google's own: STS's {"error", "error_description"} or a Google
// API's {"error": {"message", "status"}}; other answers (a proxy's, the token endpoint's)
// are not quoted.
func federationFailure(err error) error {
	m := answered.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("workload identity federation: %w", err)
	}
	status, _ := strconv.Atoi(m[2])
	if m[1] != "" {
		return fmt.Errorf("workload identity federation: reading the subject token from the credential source URL failed with HTTP %d", status)
	}
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	var api struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	body := []byte(m[3])
	switch {
	case json.Unmarshal(body, &oauth) == nil && oauth.Error != "" && oauth.Description != "":
		return fmt.Errorf("workload identity federation: the STS token exchange failed with HTTP %d: %s: %s",
			status, oauth.Error, oauth.Description)
	case json.Unmarshal(body, &api) == nil && api.Error.Message != "" && api.Error.Status != "":
		return fmt.Errorf("workload identity federation: generateAccessToken failed with HTTP %d: %s: %s",
			status, api.Error.Status, api.Error.Message)
	default:
		return fmt.Errorf("workload identity federation: the STS token exchange or generateAccessToken failed with HTTP %d", status)
	}
}
