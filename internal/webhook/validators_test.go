package webhook

import (
	"context"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/aws"
	"github.com/ferryhq/ferry/internal/provider/fake"
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
// implement yet (AWS CertificateManager) is admitted with a warning, as it may be another
// controller's; the same store with a mistake as well is refused, naming only the mistake.
func TestStoreValidatorWarnsOnFeatureGaps(t *testing.T) {
	v := storeValidator[*esv1.SecretStore]{registry: provider.NewRegistry(aws.New())}
	acm := &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Controller: "eso", Provider: &esv1.SecretStoreProvider{
		AWS: &esv1.AWSProvider{Service: esv1.AWSServiceCertificateManager, Region: "eu-west-1"}}}}
	warnings, err := v.ValidateCreate(context.Background(), acm)
	if err != nil {
		t.Fatalf("store using a setting Ferry does not implement refused: %v", err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "spec.provider.aws.service: CertificateManager is not supported by Ferry yet") {
		t.Errorf("warnings %q, want one naming spec.provider.aws.service", warnings)
	}
	acm.Spec.Provider.AWS.Region = ""
	_, err = v.ValidateUpdate(context.Background(), acm, acm)
	if err == nil || !strings.Contains(err.Error(), "spec.provider.aws.region: required") || strings.Contains(err.Error(), "CertificateManager") {
		t.Errorf("store with a missing region: %v, want the region refused and the gap left out", err)
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
