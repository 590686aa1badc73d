package webhook

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/aws"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/provider/vault"
	webhookprovider "github.com/ferryhq/ferry/internal/provider/webhook"
	"github.com/ferryhq/ferry/internal/validation"
)

// TestStoreValidatorAdmitsUnimplementedProviders: the webhook validates the providers
// Ferry implements and only schema-checks the rest, so a store meant for another
// controller, or kept until Ferry implements its provider, is never refused.
func TestStoreValidatorAdmitsUnimplementedProviders(t *testing.T) {
	v := storeValidator[*esv1.SecretStore]{registry: provider.NewRegistry(fake.New())}
	doppler := &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{
		Doppler: &esv1.DopplerProvider{Project: "backend"}}}}
	if _, err := v.ValidateCreate(context.Background(), doppler); err != nil {
		t.Errorf("store of a provider Ferry does not implement refused: %v", err)
	}
	doppler.Spec.Controller = "eso"
	if _, err := v.ValidateUpdate(context.Background(), doppler, doppler); err != nil {
		t.Errorf("store of another controller refused: %v", err)
	}
	none := &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{}}}
	if _, err := v.ValidateCreate(context.Background(), none); err == nil {
		t.Error("store without a provider admitted")
	}
}

// TestStoreValidatorWarnsOnFeatureGaps: a store using a provider setting Ferry does not
// implement yet (Vault's GCP auth) is admitted with a warning, as it may be another
// controller's; the same store with a mistake as well is refused, naming only the mistake.
func TestStoreValidatorWarnsOnFeatureGaps(t *testing.T) {
	v := storeValidator[*esv1.SecretStore]{registry: provider.NewRegistry(vault.New())}
	gcp := &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Controller: "eso", Provider: &esv1.SecretStoreProvider{
		Vault: &esv1.VaultProvider{Server: "https://vault.example.test", Auth: &esv1.VaultAuth{GCP: &esv1.VaultGCPAuth{}}}}}}
	warnings, err := v.ValidateCreate(context.Background(), gcp)
	if err != nil {
		t.Fatalf("store using a setting Ferry does not implement refused: %v", err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "spec.provider.vault.auth.gcp: the GCP auth method is not supported by Ferry yet") {
		t.Errorf("warnings %q, want one naming spec.provider.vault.auth.gcp", warnings)
	}
	gcp.Spec.Provider.Vault.Server = ""
	_, err = v.ValidateUpdate(context.Background(), gcp, gcp)
	if err == nil || !strings.Contains(err.Error(), "spec.provider.vault.server: required") || strings.Contains(err.Error(), "GCP") {
		t.Errorf("store with a missing server: %v, want the server refused and the gap left out", err)
	}
}

// TestStoreValidatorAdmitsNTLM: the webhook provider's NTLM auth is served, so a store
// using it is admitted without a warning; a credential reference without a Secret name or
// key, which ESO's schema and webhook admit, is admitted with a warning naming the field.
func TestStoreValidatorAdmitsNTLM(t *testing.T) {
	v := storeValidator[*esv1.SecretStore]{registry: provider.NewRegistry(webhookprovider.New())}
	ntlm := &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{
		Webhook: &esv1.WebhookProvider{URL: "https://example.test/{{ .remoteRef.key }}", Auth: &esv1.WebhookAuth{NTLM: &esv1.NTLMProtocol{
			UserName: esv1.SecretKeySelector{Name: "ntlm", Key: "user"}, Password: esv1.SecretKeySelector{Name: "ntlm", Key: "password"}}}}}}}
	warnings, err := v.ValidateCreate(context.Background(), ntlm)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("NTLM store: warnings %q, %v; want it admitted as it is", warnings, err)
	}
	ntlm.Spec.Provider.Webhook.Auth.NTLM.UserName.Name = ""
	ntlm.Spec.Provider.Webhook.Auth.NTLM.Password.Key = ""
	warnings, err = v.ValidateUpdate(context.Background(), ntlm, ntlm)
	if err != nil {
		t.Fatalf("NTLM store without a user name's Secret refused: %v", err)
	}
	want := []string{"spec.provider.webhook.auth.ntlm.usernameSecret.name: required", "spec.provider.webhook.auth.ntlm.passwordSecret.key: required"}
	if len(warnings) != len(want) || !strings.HasPrefix(warnings[0], want[0]) || !strings.HasPrefix(warnings[1], want[1]) {
		t.Errorf("warnings %q, want ones starting %q", warnings, want)
	}
}

// TestStoreValidatorAdmitsWhatESOAdmits: a role given as a bare name cannot work (STS
// assumes roles by ARN), but ESO's schema admits it and ESO's docs show it: admitted with a
// warning that names the field, never refused.
func TestStoreValidatorAdmitsWhatESOAdmits(t *testing.T) {
	v := storeValidator[*esv1.SecretStore]{registry: provider.NewRegistry(aws.New())}
	store := &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{
		AWS: &esv1.AWSProvider{Service: esv1.AWSServiceParameterStore, Region: "eu-central-1", Role: "iam-role"}}}}
	warnings, err := v.ValidateCreate(context.Background(), store)
	if err != nil {
		t.Fatalf("store with a bare role name refused: %v", err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `spec.provider.aws.role: "iam-role" is not an IAM role ARN`) {
		t.Errorf("warnings %q, want one naming spec.provider.aws.role", warnings)
	}
}

// TestStoreValidatorAdmitsProvidersOnlyOlderVersionsHave: an alibaba store written at
// v1alpha1 or v1beta1 reaches the webhook as v1 with an empty spec.provider, its block kept in
// the conversion annotation; it is admitted as a provider Ferry does not implement. An empty
// provider without such a block is still refused.
func TestStoreValidatorAdmitsProvidersOnlyOlderVersionsHave(t *testing.T) {
	v := storeValidator[*esv1.SecretStore]{registry: provider.NewRegistry(fake.New())}
	store := &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{}}}
	store.Annotations = map[string]string{esv1.AnnotationConversionData: `{"v1alpha1":{"spec.provider.alibaba":{"regionID":"eu-central-1"}}}`}
	if _, err := v.ValidateCreate(context.Background(), store); err != nil {
		t.Errorf("v1alpha1 alibaba store refused: %v", err)
	}
	store.Annotations = nil
	if _, err := v.ValidateCreate(context.Background(), store); err == nil {
		t.Error("store without a provider admitted")
	}
}

// TestPushSecretsAreWarnedNeverRefused: ESO serves PushSecrets and ClusterPushSecrets
// without a validating webhook, so Ferry admits every one; what no sync could get past is
// returned as one warning per problem, each naming its field (under spec.pushSecretSpec for
// a ClusterPushSecret).
func TestPushSecretsAreWarnedNeverRefused(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := errors.Join(esv1.AddToScheme(scheme), esv1alpha1.AddToScheme(scheme)); err != nil {
		t.Fatal(err)
	}
	hooks := Validators(scheme, provider.NewRegistry(fake.New()))
	if hooks[ValidatePath(esv1alpha1.PushSecretKind)] == nil || hooks[ValidatePath(esv1alpha1.ClusterPushSecretKind)] == nil {
		t.Fatalf("no PushSecret or ClusterPushSecret webhook among %v", slices.Collect(maps.Keys(hooks)))
	}
	spec := esv1alpha1.PushSecretSpec{
		SecretStoreRefs: []esv1alpha1.PushSecretStoreRef{{Name: "vault"}},
		DataTo:          []esv1alpha1.PushSecretDataTo{{StoreRef: &esv1alpha1.PushSecretStoreRef{Name: "vault"}, Match: &esv1alpha1.PushSecretDataToMatch{RegExp: "(db"}}},
	}
	ps := warnOnly[*esv1alpha1.PushSecret]{check: func(ps *esv1alpha1.PushSecret) []error {
		return []error{validation.PushSecret(&ps.Spec)}
	}}
	warnings, err := ps.ValidateCreate(context.Background(), &esv1alpha1.PushSecret{Spec: spec})
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	want := []string{"spec.selector.secret: required: name the Secret to push",
		"spec.dataTo[0].match.regexp: invalid regular expression: error parsing regexp: missing closing ): `(db`"}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings = %q, want %q", warnings, want)
	}
	cps := warnOnly[*esv1alpha1.ClusterPushSecret]{field: "spec.pushSecretSpec.", check: func(c *esv1alpha1.ClusterPushSecret) []error {
		return []error{validation.PushSecret(&c.Spec.PushSecretSpec)}
	}}
	warnings, err = cps.ValidateUpdate(context.Background(), nil, &esv1alpha1.ClusterPushSecret{Spec: esv1alpha1.ClusterPushSecretSpec{PushSecretSpec: spec}})
	if err != nil || len(warnings) != 2 || !strings.HasPrefix(warnings[0], "spec.pushSecretSpec.selector.secret: required") {
		t.Errorf("ClusterPushSecret: warnings %q, err %v; want two under spec.pushSecretSpec", warnings, err)
	}
	spec.Selector.Secret = &esv1alpha1.PushSecretSecret{Name: "db"}
	spec.DataTo[0].Match.RegExp = "^db-"
	if warnings, _ := ps.ValidateCreate(context.Background(), &esv1alpha1.PushSecret{Spec: spec}); len(warnings) != 0 {
		t.Errorf("a PushSecret that can sync was warned: %q", warnings)
	}
}

// TestExternalSecretRefusesOnlyWhatESORefuses: a mistake ESO's webhook admits (a template
// that does not parse) is admitted with a warning naming it; one ESO refuses too (extract
// and find in one dataFrom entry) is refused, and the admitted one is not repeated in
// the refusal.
func TestExternalSecretRefusesOnlyWhatESORefuses(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := esv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	h := externalSecretHandler{decoder: admission.NewDecoder(scheme)}
	review := func(spec string) admission.Response {
		raw := `{"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret","metadata":{"name":"a","namespace":"n"},"spec":` + spec + `}`
		return h.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: []byte(raw)}}})
	}
	badTemplate := `{"secretStoreRef":{"name":"s"},"target":{"template":{"data":{"tls.crt":"{{ .c | filterPEMChain }}"}}},
		"data":[{"secretKey":"c","remoteRef":{"key":"c"}}]`
	resp := review(badTemplate + `}`)
	if !resp.Allowed || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "spec.target.template.data[tls.crt]") {
		t.Errorf("template ESO admits: allowed=%v warnings=%q, want admitted with one warning naming it", resp.Allowed, resp.Warnings)
	}
	resp = review(badTemplate + `,"dataFrom":[{"extract":{"key":"a"},"find":{"path":"b"}}]}`)
	if resp.Allowed || !strings.Contains(resp.Result.Message, "spec.dataFrom[0]: set exactly one of extract, find") ||
		strings.Contains(resp.Result.Message, "tls.crt") {
		t.Errorf("extract and find together: allowed=%v %q, want refused naming only the dataFrom entry", resp.Allowed, resp.Result.Message)
	}
}
