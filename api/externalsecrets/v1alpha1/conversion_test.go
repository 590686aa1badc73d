package v1alpha1_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/conversion"
	"sigs.k8s.io/yaml"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/conversiontest"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

// The seed walkthrough's manifests, as written.
const (
	seedSecretStore = `
apiVersion: external-secrets.io/v1alpha1
kind: SecretStore
metadata: {name: secretstore-example, namespace: example}
spec:
  provider:
    aws:
      service: SecretsManager
      region: eu-west-1
      auth:
        jwt:
          serviceAccountRef:
            name: example
`
	seedExternalSecret = `
apiVersion: external-secrets.io/v1alpha1
kind: ExternalSecret
metadata: {name: externalsecret-example, namespace: example}
spec:
  refreshInterval: 1m
  secretStoreRef: {name: secretstore-example, kind: SecretStore}
  target: {name: example-secret, creationPolicy: Owner}
  dataFrom:
  - key: example
`
)

func typeMeta(version, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: "external-secrets.io/" + version, Kind: kind}
}

// Fresh objects as the conversion webhook allocates them: empty but for their kind.
func newHubES() *esv1.ExternalSecret {
	return &esv1.ExternalSecret{TypeMeta: typeMeta("v1", "ExternalSecret")}
}

func newES() *v1alpha1.ExternalSecret {
	return &v1alpha1.ExternalSecret{TypeMeta: typeMeta("v1alpha1", "ExternalSecret")}
}

func newHubSS() *esv1.SecretStore { return &esv1.SecretStore{TypeMeta: typeMeta("v1", "SecretStore")} }

func newSS() *v1alpha1.SecretStore {
	return &v1alpha1.SecretStore{TypeMeta: typeMeta("v1alpha1", "SecretStore")}
}

func newHubCSS() *esv1.ClusterSecretStore {
	return &esv1.ClusterSecretStore{TypeMeta: typeMeta("v1", "ClusterSecretStore")}
}

func newCSS() *v1alpha1.ClusterSecretStore {
	return &v1alpha1.ClusterSecretStore{TypeMeta: typeMeta("v1alpha1", "ClusterSecretStore")}
}

func decode[T any](t *testing.T, manifest string) *T {
	t.Helper()
	obj := new(T)
	if err := yaml.UnmarshalStrict([]byte(manifest), obj); err != nil {
		t.Fatalf("cannot decode the manifest: %v", err)
	}
	return obj
}

func TestSeedManifestsConvertToV1AndBack(t *testing.T) {
	es := decode[v1alpha1.ExternalSecret](t, seedExternalSecret)
	hubES := conversiontest.SpokeRoundTrip(t, es, newHubES(), newES())
	if _, ok := hubES.Annotations[esv1.AnnotationConversionData]; ok {
		t.Errorf("the v1 ExternalSecret has a conversion annotation: %v", hubES.Annotations)
	}
	if got := hubES.Spec.DataFrom; len(got) != 1 || got[0].Extract == nil || got[0].Extract.Key != "example" ||
		got[0].Find != nil || got[0].SourceRef != nil {
		t.Errorf("dataFrom = %s, want one extract of key example", conversiontest.JSON(t, got))
	}
	wantTarget := esv1.ExternalSecretTarget{
		Name: "example-secret", CreationPolicy: esv1.CreatePolicyOwner, DeletionPolicy: esv1.DeletionPolicyRetain,
	}
	if got := conversiontest.JSON(t, hubES.Spec.Target); got != conversiontest.JSON(t, wantTarget) {
		t.Errorf("target = %s, want %s", got, conversiontest.JSON(t, wantTarget))
	}
	if got := hubES.Spec.SecretStoreRef; got != (esv1.SecretStoreRef{Name: "secretstore-example", Kind: "SecretStore"}) {
		t.Errorf("secretStoreRef = %+v", got)
	}
	if got := hubES.Spec.RefreshInterval; got == nil || got.Duration != time.Minute {
		t.Errorf("refreshInterval = %v, want 1m", got)
	}
	if hubES.Name != "externalsecret-example" || hubES.Namespace != "example" {
		t.Errorf("metadata = %s/%s", hubES.Namespace, hubES.Name)
	}

	ss := decode[v1alpha1.SecretStore](t, seedSecretStore)
	hubSS := conversiontest.SpokeRoundTrip(t, ss, newHubSS(), newSS())
	if _, ok := hubSS.Annotations[esv1.AnnotationConversionData]; ok {
		t.Errorf("the v1 SecretStore has a conversion annotation: %v", hubSS.Annotations)
	}
	aws := hubSS.Spec.Provider.AWS
	if aws == nil || aws.Service != esv1.AWSServiceSecretsManager || aws.Region != "eu-west-1" ||
		aws.Auth.JWTAuth == nil || aws.Auth.JWTAuth.ServiceAccountRef == nil ||
		aws.Auth.JWTAuth.ServiceAccountRef.Name != "example" || aws.Auth.SecretRef != nil {
		t.Fatalf("provider = %s", conversiontest.JSON(t, hubSS.Spec.Provider))
	}
	if aws.SessionTagsPolicy != "None" {
		t.Errorf("sessionTagsPolicy = %q, want None, what v1alpha1 means", aws.SessionTagsPolicy)
	}
}

// TestStoredObjectsReadBackWithoutAnnotation follows a v1alpha1 manifest through the API
// server: defaulted as v1alpha1, stored as v1, read back with v1's defaults and converted to
// v1alpha1 again. The user must get back what they applied, without a conversion annotation.
func TestStoredObjectsReadBackWithoutAnnotation(t *testing.T) {
	es := decode[v1alpha1.ExternalSecret](t, seedExternalSecret)
	es.Spec.Target.Template = &v1alpha1.ExternalSecretTemplate{
		Data: map[string]string{"url": "{{ .host }}"},
		TemplateFrom: []v1alpha1.TemplateFrom{{ConfigMap: &v1alpha1.TemplateRef{
			Name: "templates", Items: []v1alpha1.TemplateRefItem{{Key: "config.yaml"}},
		}}},
	}
	es.Spec.Data = []v1alpha1.ExternalSecretData{{SecretKey: "password", RemoteRef: v1alpha1.ExternalSecretDataRemoteRef{Key: "db"}}}
	ss := decode[v1alpha1.SecretStore](t, seedSecretStore)
	css := &v1alpha1.ClusterSecretStore{TypeMeta: typeMeta("v1alpha1", "ClusterSecretStore"),
		ObjectMeta: metav1.ObjectMeta{Name: "fake"},
		Spec: v1alpha1.SecretStoreSpec{Provider: &v1alpha1.SecretStoreProvider{Fake: &v1alpha1.FakeProvider{
			Data: []v1alpha1.FakeProviderData{{Key: "/foo/bar", Value: "HELLO1", Version: "v1"}},
		}}},
	}

	tests := []struct {
		kind        string
		spoke, back spokeObject
		hub         hubObject
	}{
		{kind: "ExternalSecret", spoke: es, back: newES(), hub: newHubES()},
		{kind: "SecretStore", spoke: ss, back: newSS(), hub: newHubSS()},
		{kind: "ClusterSecretStore", spoke: css, back: newCSS(), hub: newHubCSS()},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			conversiontest.ApplyDefaults(t, tt.kind, "v1alpha1", tt.spoke)
			if err := tt.spoke.ConvertTo(tt.hub); err != nil {
				t.Fatalf("cannot convert to v1: %v", err)
			}
			conversiontest.ApplyDefaults(t, tt.kind, "v1", tt.hub)
			if err := tt.back.ConvertFrom(tt.hub); err != nil {
				t.Fatalf("cannot convert from v1: %v", err)
			}
			if want, got := conversiontest.JSON(t, tt.spoke), conversiontest.JSON(t, tt.back); got != want {
				t.Errorf("read back\n%s\nwant\n%s\nstored\n%s", got, want, conversiontest.JSON(t, tt.hub))
			}
			if kept := tt.hub.GetAnnotations()[esv1.AnnotationConversionData]; kept != "" {
				t.Errorf("the stored object keeps %s", kept)
			}
		})
	}
}

type spokeObject interface {
	conversion.Convertible
	metav1.Object
}

type hubObject interface {
	conversion.Hub
	metav1.Object
}

// TestExternalSecretConversions covers what v1alpha1 and v1 shape differently, both ways.
func TestExternalSecretConversions(t *testing.T) {
	oneMinute := esv1.NewDuration(time.Minute)
	literal := "{{ .password }}"
	hubTests := []struct {
		name string
		hub  *esv1.ExternalSecret
		// check inspects the v1alpha1 form of hub.
		check func(t *testing.T, es *v1alpha1.ExternalSecret)
	}{
		{
			name: "find and generator entries are kept aside, extract entries shown",
			hub: &esv1.ExternalSecret{Spec: esv1.ExternalSecretSpec{
				Target: esv1.ExternalSecretTarget{DeletionPolicy: esv1.DeletionPolicyRetain},
				DataFrom: []esv1.ExternalSecretDataFromRemoteRef{
					{Find: &esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^db-"}}},
					{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "a", Property: "p", DecodingStrategy: esv1.DecodingBase64}},
					{SourceRef: &esv1.StoreGeneratorSourceRef{GeneratorRef: &esv1.GeneratorRef{Kind: "Password", Name: "pw"}}},
				},
			}},
			check: func(t *testing.T, es *v1alpha1.ExternalSecret) {
				want := []v1alpha1.ExternalSecretDataRemoteRef{{Key: "a", Property: "p"}}
				if got := es.Spec.DataFrom; conversiontest.JSON(t, got) != conversiontest.JSON(t, want) {
					t.Errorf("dataFrom = %s", conversiontest.JSON(t, got))
				}
				if got := conversiontest.KeptSections(t, es.ObjectMeta, "v1"); !slices.Equal(got, []string{"spec.dataFrom"}) {
					t.Errorf("kept %v", got)
				}
			},
		},
		{
			// The v1alpha1 object has no dataFrom at all, in JSON; the kept list must still
			// come back, and the fuzz tests would not find this without the JSON in between.
			name: "a list of find entries only is kept aside whole",
			hub: &esv1.ExternalSecret{Spec: esv1.ExternalSecretSpec{
				Target: esv1.ExternalSecretTarget{DeletionPolicy: esv1.DeletionPolicyRetain},
				DataFrom: []esv1.ExternalSecretDataFromRemoteRef{
					{Find: &esv1.ExternalSecretFind{Path: new("/team-a/")}},
				},
			}},
			check: func(t *testing.T, es *v1alpha1.ExternalSecret) {
				if es.Spec.DataFrom != nil {
					t.Errorf("dataFrom = %s, want none", conversiontest.JSON(t, es.Spec.DataFrom))
				}
			},
		},
		{
			name: "fields v1alpha1 lacks are kept",
			hub: &esv1.ExternalSecret{Spec: esv1.ExternalSecretSpec{
				RefreshPolicy: esv1.RefreshPolicyOnChange,
				SyncWindows: &esv1.SyncWindows{Kind: "allow", Windows: []esv1.SyncWindow{
					{Schedule: "0 * * * *", Duration: "10m"},
				}},
				Target: esv1.ExternalSecretTarget{
					CreationPolicy: esv1.CreatePolicyCreateOrMerge,
					DeletionPolicy: esv1.DeletionPolicyDelete,
					Manifest:       &esv1.ManifestReference{APIVersion: "v1", Kind: "ConfigMap"},
					Template: &esv1.ExternalSecretTemplate{
						EngineVersion: esv1.TemplateEngineV2,
						MergePolicy:   esv1.MergePolicyMerge,
						Metadata:      esv1.ExternalSecretTemplateMetadata{Finalizers: []string{"example.com/keep"}},
					},
				},
				Data: []esv1.ExternalSecretData{{
					SecretKey: "k",
					RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "r", NullBytePolicy: esv1.NullBytePolicyFail},
				}},
			}},
			check: func(t *testing.T, es *v1alpha1.ExternalSecret) {
				want := []string{
					"spec.data", "spec.refreshPolicy", "spec.syncWindows", "spec.target.deletionPolicy",
					"spec.target.manifest", "spec.target.template.mergePolicy",
					"spec.target.template.metadata.finalizers",
				}
				if got := conversiontest.KeptSections(t, es.ObjectMeta, "v1"); !slices.Equal(got, want) {
					t.Errorf("kept %v, want %v", got, want)
				}
				if es.Spec.Target.CreationPolicy != "CreateOrMerge" {
					t.Errorf("creationPolicy = %q, want it passed through", es.Spec.Target.CreationPolicy)
				}
				if es.Spec.Data[0].RemoteRef.Key != "r" {
					t.Errorf("data = %s", conversiontest.JSON(t, es.Spec.Data))
				}
			},
		},
		{
			name: "literal templates are kept aside, ConfigMap templates shown",
			hub: &esv1.ExternalSecret{Spec: esv1.ExternalSecretSpec{
				Target: esv1.ExternalSecretTarget{DeletionPolicy: esv1.DeletionPolicyRetain, Template: &esv1.ExternalSecretTemplate{
					MergePolicy: esv1.MergePolicyReplace,
					TemplateFrom: []esv1.TemplateFrom{
						{Literal: &literal, Target: esv1.TemplateTargetAnnotations},
						{ConfigMap: &esv1.TemplateRef{Name: "cm", Items: []esv1.TemplateRefItem{
							{Key: "k", TemplateAs: esv1.TemplateScopeKeysAndValues},
						}}, Target: esv1.TemplateTargetData},
					},
				}},
			}},
			check: func(t *testing.T, es *v1alpha1.ExternalSecret) {
				want := []v1alpha1.TemplateFrom{{ConfigMap: &v1alpha1.TemplateRef{
					Name: "cm", Items: []v1alpha1.TemplateRefItem{{Key: "k"}},
				}}}
				if got := es.Spec.Target.Template.TemplateFrom; conversiontest.JSON(t, got) != conversiontest.JSON(t, want) {
					t.Errorf("templateFrom = %s", conversiontest.JSON(t, got))
				}
				if got := conversiontest.KeptSections(t, es.ObjectMeta, "v1"); !slices.Equal(got, []string{"spec.target.template.templateFrom"}) {
					t.Errorf("kept %v", got)
				}
			},
		},
		{
			name: "v1 defaults need no annotation",
			hub: &esv1.ExternalSecret{Spec: esv1.ExternalSecretSpec{
				RefreshInterval: oneMinute,
				Target: esv1.ExternalSecretTarget{
					CreationPolicy: esv1.CreatePolicyOwner, DeletionPolicy: esv1.DeletionPolicyRetain,
					Template: &esv1.ExternalSecretTemplate{
						EngineVersion: esv1.TemplateEngineV2, MergePolicy: esv1.MergePolicyReplace,
						TemplateFrom: []esv1.TemplateFrom{{
							Secret: &esv1.TemplateRef{Name: "s", Items: []esv1.TemplateRefItem{
								{Key: "k", TemplateAs: esv1.TemplateScopeValues},
							}},
							Target: esv1.TemplateTargetData,
						}},
					},
				},
				DataFrom: []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "a"}}},
			}},
			check: func(t *testing.T, es *v1alpha1.ExternalSecret) {
				if got := conversiontest.KeptSections(t, es.ObjectMeta, "v1"); got != nil {
					t.Errorf("kept %v, want nothing", got)
				}
			},
		},
		{
			name: "an empty v1 deletion policy is kept, not defaulted",
			hub:  &esv1.ExternalSecret{},
			check: func(t *testing.T, es *v1alpha1.ExternalSecret) {
				if got := conversiontest.KeptSections(t, es.ObjectMeta, "v1"); !slices.Equal(got, []string{"spec.target.deletionPolicy"}) {
					t.Errorf("kept %v", got)
				}
			},
		},
		{
			name: "values kept for another version pass through unchanged",
			hub: &esv1.ExternalSecret{
				ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
					esv1.AnnotationConversionData: `{"v1beta1":{"spec.whatever":{"a":1}}}`,
					"team":                        "payments",
				}},
				Spec: esv1.ExternalSecretSpec{Target: esv1.ExternalSecretTarget{DeletionPolicy: esv1.DeletionPolicyRetain}},
			},
			check: func(t *testing.T, es *v1alpha1.ExternalSecret) {
				if got := es.Annotations[esv1.AnnotationConversionData]; got != `{"v1beta1":{"spec.whatever":{"a":1}}}` {
					t.Errorf("annotation = %s", got)
				}
			},
		},
	}
	for _, tt := range hubTests {
		t.Run(tt.name, func(t *testing.T) {
			tt.hub.TypeMeta = typeMeta("v1", "ExternalSecret")
			es := conversiontest.HubRoundTrip(t, tt.hub, newES(), newHubES())
			tt.check(t, es)
		})
	}

	spokeTests := []struct {
		name  string
		spoke *v1alpha1.ExternalSecret
		// check inspects the v1 form of spoke.
		check func(t *testing.T, hub *esv1.ExternalSecret)
	}{
		{
			name: "template engine v1 stays v1",
			spoke: &v1alpha1.ExternalSecret{Spec: v1alpha1.ExternalSecretSpec{Target: v1alpha1.ExternalSecretTarget{
				Template: &v1alpha1.ExternalSecretTemplate{EngineVersion: v1alpha1.TemplateEngineV1},
			}}},
			check: func(t *testing.T, hub *esv1.ExternalSecret) {
				template := hub.Spec.Target.Template
				if template.EngineVersion != "v1" || template.MergePolicy != esv1.MergePolicyReplace {
					t.Errorf("template = %s", conversiontest.JSON(t, template))
				}
				if got := conversiontest.KeptSections(t, hub.ObjectMeta, "v1alpha1"); got != nil {
					t.Errorf("kept %v, want nothing", got)
				}
			},
		},
		{
			name: "data and dataFrom map to remote refs and extracts",
			spoke: &v1alpha1.ExternalSecret{Spec: v1alpha1.ExternalSecretSpec{
				Data: []v1alpha1.ExternalSecretData{{SecretKey: "user", RemoteRef: v1alpha1.ExternalSecretDataRemoteRef{
					Key: "db", Property: "user", Version: "3", ConversionStrategy: v1alpha1.ConversionUnicode,
				}}},
				DataFrom: []v1alpha1.ExternalSecretDataRemoteRef{
					{Key: "one", ConversionStrategy: v1alpha1.ConversionDefault},
					{Key: "two", Property: "nested", Version: "AWSCURRENT"},
				},
			}},
			check: func(t *testing.T, hub *esv1.ExternalSecret) {
				wantData := []esv1.ExternalSecretData{{SecretKey: "user", RemoteRef: esv1.ExternalSecretDataRemoteRef{
					Key: "db", Property: "user", Version: "3", ConversionStrategy: esv1.ConversionUnicode,
				}}}
				if conversiontest.JSON(t, hub.Spec.Data) != conversiontest.JSON(t, wantData) {
					t.Errorf("data = %s", conversiontest.JSON(t, hub.Spec.Data))
				}
				wantDataFrom := []esv1.ExternalSecretDataFromRemoteRef{
					{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "one", ConversionStrategy: esv1.ConversionDefault}},
					{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "two", Property: "nested", Version: "AWSCURRENT"}},
				}
				if conversiontest.JSON(t, hub.Spec.DataFrom) != conversiontest.JSON(t, wantDataFrom) {
					t.Errorf("dataFrom = %s", conversiontest.JSON(t, hub.Spec.DataFrom))
				}
			},
		},
		{
			name: "an invalid empty templateFrom entry survives",
			spoke: &v1alpha1.ExternalSecret{Spec: v1alpha1.ExternalSecretSpec{Target: v1alpha1.ExternalSecretTarget{
				Template: &v1alpha1.ExternalSecretTemplate{TemplateFrom: []v1alpha1.TemplateFrom{{}}},
			}}},
			check: func(*testing.T, *esv1.ExternalSecret) {},
		},
	}
	for _, tt := range spokeTests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spoke.TypeMeta = typeMeta("v1alpha1", "ExternalSecret")
			hub := conversiontest.SpokeRoundTrip(t, tt.spoke, newHubES(), newES())
			tt.check(t, hub)
		})
	}
}

// TestEditsThroughV1alpha1 checks what happens to kept values when a user changes the object
// through v1alpha1: their edit wins where it touches what was kept, and the rest stays.
func TestEditsThroughV1alpha1(t *testing.T) {
	stored := &esv1.ExternalSecret{TypeMeta: typeMeta("v1", "ExternalSecret"), Spec: esv1.ExternalSecretSpec{
		RefreshPolicy: esv1.RefreshPolicyPeriodic,
		Target:        esv1.ExternalSecretTarget{DeletionPolicy: esv1.DeletionPolicyDelete},
		DataFrom: []esv1.ExternalSecretDataFromRemoteRef{
			{Find: &esv1.ExternalSecretFind{Tags: map[string]string{"team": "a"}}},
			{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "a", DecodingStrategy: esv1.DecodingBase64}},
		},
	}}
	tests := []struct {
		name string
		edit func(es *v1alpha1.ExternalSecret)
		want func(hub *esv1.ExternalSecret) // applied to a copy of stored
	}{
		{
			name: "an edit elsewhere keeps the list",
			edit: func(es *v1alpha1.ExternalSecret) { es.Spec.Target.Name = "renamed" },
			want: func(hub *esv1.ExternalSecret) { hub.Spec.Target.Name = "renamed" },
		},
		{
			name: "an edit of the list replaces it, other kept fields stay",
			edit: func(es *v1alpha1.ExternalSecret) {
				es.Spec.DataFrom = append(es.Spec.DataFrom, v1alpha1.ExternalSecretDataRemoteRef{Key: "b"})
			},
			want: func(hub *esv1.ExternalSecret) {
				hub.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{
					{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "a"}},
					{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "b"}},
				}
			},
		},
		{
			name: "removing the annotation gives v1alpha1's meaning",
			edit: func(es *v1alpha1.ExternalSecret) { delete(es.Annotations, esv1.AnnotationConversionData) },
			want: func(hub *esv1.ExternalSecret) {
				hub.Spec.RefreshPolicy = ""
				hub.Spec.Target.DeletionPolicy = esv1.DeletionPolicyRetain
				hub.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{
					{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "a"}},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := newES()
			if err := es.ConvertFrom(stored); err != nil {
				t.Fatalf("cannot convert from v1: %v", err)
			}
			tt.edit(es)
			got := newHubES()
			if err := es.ConvertTo(got); err != nil {
				t.Fatalf("cannot convert to v1: %v", err)
			}
			want := stored.DeepCopy()
			tt.want(want)
			if conversiontest.JSON(t, got) != conversiontest.JSON(t, want) {
				t.Errorf("stored\n%s\nwant\n%s", conversiontest.JSON(t, got), conversiontest.JSON(t, want))
			}
		})
	}
}

func TestSecretStoreConversions(t *testing.T) {
	namespace := "creds"
	t.Run("AWS fields v1alpha1 lacks are kept", func(t *testing.T) {
		hub := &esv1.ClusterSecretStore{TypeMeta: typeMeta("v1", "ClusterSecretStore"), Spec: esv1.SecretStoreSpec{
			RefreshInterval: new(intstr.FromString("5m")),
			Conditions:      []esv1.ClusterSecretStoreCondition{{Namespaces: []esv1.NamespaceName{"team-a"}}},
			Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{
				Service: esv1.AWSServiceParameterStore, Region: "eu-west-1", Role: "arn:role",
				AdditionalRoles: []string{"arn:first"}, ExternalID: "x", SessionTagsPolicy: "Custom",
				CustomSessionTags: map[string]string{"team": "a"}, SessionTags: []*esv1.AWSTag{{Key: "k", Value: "v"}},
				SecretsManager:    &esv1.AWSSecretsManager{RecoveryWindowInDays: 7},
				TransitiveTagKeys: []string{"k"}, Prefix: "/app/",
				Auth: esv1.AWSAuth{SecretRef: &esv1.AWSAuthSecretRef{
					AccessKeyID:  esv1.SecretKeySelector{Name: "aws", Namespace: &namespace, Key: "id"},
					SessionToken: &esv1.SecretKeySelector{Name: "aws", Key: "token"},
				}},
			}},
		}}
		css := conversiontest.HubRoundTrip(t, hub, newCSS(), newHubCSS())
		aws := css.Spec.Provider.AWS
		if aws.Service != "ParameterStore" || aws.Region != "eu-west-1" || aws.Role != "arn:role" ||
			aws.Auth.SecretRef.AccessKeyID.Name != "aws" || *aws.Auth.SecretRef.AccessKeyID.Namespace != "creds" {
			t.Errorf("aws = %s", conversiontest.JSON(t, aws))
		}
		want := []string{
			"spec.conditions", "spec.provider.aws.additionalRoles", "spec.provider.aws.auth.secretRef.sessionTokenSecretRef",
			"spec.provider.aws.customSessionTags", "spec.provider.aws.externalID", "spec.provider.aws.prefix",
			"spec.provider.aws.secretsManager", "spec.provider.aws.sessionTags", "spec.provider.aws.sessionTagsPolicy",
			"spec.provider.aws.transitiveTagKeys", "spec.refreshInterval",
		}
		if got := conversiontest.KeptSections(t, css.ObjectMeta, "v1"); !slices.Equal(got, want) {
			t.Errorf("kept %v,\nwant %v", got, want)
		}
	})
	t.Run("fake valueMap is served as JSON in v1", func(t *testing.T) {
		ss := &v1alpha1.SecretStore{TypeMeta: typeMeta("v1alpha1", "SecretStore"), Spec: v1alpha1.SecretStoreSpec{
			Provider: &v1alpha1.SecretStoreProvider{Fake: &v1alpha1.FakeProvider{Data: []v1alpha1.FakeProviderData{
				{Key: "/foo/bar", Value: "HELLO1"},
				{Key: "/foo/baz", ValueMap: map[string]string{"other": "thing", "foo": "example"}},
			}}},
		}}
		hub := conversiontest.SpokeRoundTrip(t, ss, newHubSS(), newSS())
		want := []esv1.FakeProviderData{{Key: "/foo/bar", Value: "HELLO1"}, {Key: "/foo/baz", Value: `{"foo":"example","other":"thing"}`}}
		if got := hub.Spec.Provider.Fake.Data; conversiontest.JSON(t, got) != conversiontest.JSON(t, want) {
			t.Errorf("data = %s", conversiontest.JSON(t, got))
		}

		// A v1 edit of the values makes the kept valueMap stale: v1alpha1 then shows v1's values.
		hub.Spec.Provider.Fake.Data[1].Value = `{"foo":"changed"}`
		back := newSS()
		if err := back.ConvertFrom(hub); err != nil {
			t.Fatalf("cannot convert from v1: %v", err)
		}
		wantBack := []v1alpha1.FakeProviderData{{Key: "/foo/bar", Value: "HELLO1"}, {Key: "/foo/baz", Value: `{"foo":"changed"}`}}
		if got := back.Spec.Provider.Fake.Data; conversiontest.JSON(t, got) != conversiontest.JSON(t, wantBack) {
			t.Errorf("after a v1 edit, data = %s", conversiontest.JSON(t, got))
		}
		if _, ok := back.Annotations[esv1.AnnotationConversionData]; ok {
			t.Errorf("a stale value is still kept: %v", back.Annotations)
		}
	})
}

func TestInvalidAnnotationFails(t *testing.T) {
	es := decode[v1alpha1.ExternalSecret](t, seedExternalSecret)
	es.Annotations = map[string]string{esv1.AnnotationConversionData: "{not json"}
	err := es.ConvertTo(newHubES())
	if err == nil || !strings.Contains(err.Error(), esv1.AnnotationConversionData) ||
		!strings.Contains(err.Error(), "example/externalsecret-example") {
		t.Errorf("err = %v, want one naming the annotation and the object", err)
	}
	hub := newHubSS()
	hub.Annotations = map[string]string{esv1.AnnotationConversionData: `{"v1alpha1":{"spec.provider.fake.data":"not a list"}}`}
	hub.Spec.Provider = &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{}}
	if err := newSS().ConvertFrom(hub); err == nil {
		t.Error("a kept value of the wrong shape converted without error")
	}
}
