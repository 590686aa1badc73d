package v1beta1_test

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/conversion"
	"sigs.k8s.io/yaml"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/conversiontest"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/api/externalsecrets/v1beta1"
)

// Manifests in the v1beta1 shape, using most of what v1beta1 has.
const (
	betaExternalSecret = `
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: app, namespace: team-a}
spec:
  refreshInterval: 15m
  refreshPolicy: Periodic
  secretStoreRef: {name: aws, kind: ClusterSecretStore}
  target:
    name: app-secret
    creationPolicy: Orphan
    deletionPolicy: Delete
    template:
      engineVersion: v2
      mergePolicy: Merge
      type: kubernetes.io/dockerconfigjson
      metadata: {labels: {app: web}}
      data: {config: '{{ .user }}:{{ .password }}'}
      templateFrom:
      - configMap: {name: tpl, items: [{key: a, templateAs: KeysAndValues}]}
        target: Labels
      - literal: '{{ .user }}'
        target: Annotations
  data:
  - secretKey: password
    remoteRef: {key: db, property: password, decodingStrategy: Base64, metadataPolicy: None}
    sourceRef: {storeRef: {name: other, kind: SecretStore}}
  dataFrom:
  - extract: {key: app, conversionStrategy: Unicode}
  - find:
      path: /app
      name: {regexp: '^app-'}
      tags: {env: prod}
    rewrite:
    - regexp: {source: '^app-', target: ''}
    - transform: {template: '{{ .value | upper }}'}
  - sourceRef: {generatorRef: {apiVersion: generators.external-secrets.io/v1alpha1, kind: Password, name: pw}}
`
	betaSecretStore = `
apiVersion: external-secrets.io/v1beta1
kind: SecretStore
metadata: {name: aws, namespace: team-a}
spec:
  refreshInterval: 300
  retrySettings: {maxRetries: 3, retryInterval: 10s}
  provider:
    aws:
      service: ParameterStore
      region: eu-west-1
      role: arn:aws:iam::123456789012:role/read
      additionalRoles: [arn:aws:iam::123456789012:role/first]
      externalID: ext
      prefix: /app/
      sessionTags: [{key: team, value: a}]
      transitiveTagKeys: [team]
      secretsManager: {forceDeleteWithoutRecovery: true}
      auth:
        secretRef:
          accessKeyIDSecretRef: {name: aws, key: id}
          secretAccessKeySecretRef: {name: aws, key: secret}
          sessionTokenSecretRef: {name: aws, key: token}
`
)

func typeMeta(version, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: "external-secrets.io/" + version, Kind: kind}
}

// Fresh objects as the conversion webhook allocates them: empty but for their kind.
func newHubES() *esv1.ExternalSecret {
	return &esv1.ExternalSecret{TypeMeta: typeMeta("v1", "ExternalSecret")}
}

func newES() *v1beta1.ExternalSecret {
	return &v1beta1.ExternalSecret{TypeMeta: typeMeta("v1beta1", "ExternalSecret")}
}

func newHubSS() *esv1.SecretStore { return &esv1.SecretStore{TypeMeta: typeMeta("v1", "SecretStore")} }

func newSS() *v1beta1.SecretStore {
	return &v1beta1.SecretStore{TypeMeta: typeMeta("v1beta1", "SecretStore")}
}

func newHubCSS() *esv1.ClusterSecretStore {
	return &esv1.ClusterSecretStore{TypeMeta: typeMeta("v1", "ClusterSecretStore")}
}

func newCSS() *v1beta1.ClusterSecretStore {
	return &v1beta1.ClusterSecretStore{TypeMeta: typeMeta("v1beta1", "ClusterSecretStore")}
}

func decode[T any](t *testing.T, manifest string) *T {
	t.Helper()
	obj := new(T)
	if err := yaml.UnmarshalStrict([]byte(manifest), obj); err != nil {
		t.Fatalf("cannot decode the manifest: %v", err)
	}
	return obj
}

type spokeObject interface {
	conversion.Convertible
	metav1.Object
}

type hubObject interface {
	conversion.Hub
	metav1.Object
}

func TestManifestsConvertToV1AndBack(t *testing.T) {
	es := decode[v1beta1.ExternalSecret](t, betaExternalSecret)
	hubES := conversiontest.SpokeRoundTrip(t, es, newHubES(), newES())
	if kept := hubES.Annotations[esv1.AnnotationConversionData]; kept != "" {
		t.Errorf("the v1 ExternalSecret keeps %s", kept)
	}
	// v1 is v1beta1 plus fields, so the v1 object is the same document but for apiVersion.
	wantSpec := conversiontest.JSON(t, es.Spec)
	if got := conversiontest.JSON(t, hubES.Spec); got != wantSpec {
		t.Errorf("v1 spec\n%s\nwant\n%s", got, wantSpec)
	}

	ss := decode[v1beta1.SecretStore](t, betaSecretStore)
	hubSS := conversiontest.SpokeRoundTrip(t, ss, newHubSS(), newSS())
	if kept := hubSS.Annotations[esv1.AnnotationConversionData]; kept != "" {
		t.Errorf("the v1 SecretStore keeps %s", kept)
	}
	if got := hubSS.Spec.RefreshInterval; got == nil || *got != intstr.FromInt32(300) {
		t.Errorf("refreshInterval = %v, want 300 seconds", got)
	}
	aws := hubSS.Spec.Provider.AWS
	if aws.SessionTagsPolicy != "None" || aws.Prefix != "/app/" || aws.Auth.SecretRef.SessionToken.Key != "token" ||
		!slices.Equal(aws.AdditionalRoles, []string{"arn:aws:iam::123456789012:role/first"}) {
		t.Errorf("aws = %s", conversiontest.JSON(t, aws))
	}
}

// TestStoredObjectsReadBackWithoutAnnotation follows v1beta1 manifests through the API server:
// defaulted as v1beta1, stored as v1, read back with v1's defaults and converted to v1beta1.
func TestStoredObjectsReadBackWithoutAnnotation(t *testing.T) {
	css := &v1beta1.ClusterSecretStore{TypeMeta: typeMeta("v1beta1", "ClusterSecretStore"),
		ObjectMeta: metav1.ObjectMeta{Name: "fake"},
		Spec: v1beta1.SecretStoreSpec{
			Conditions: []v1beta1.ClusterSecretStoreCondition{{NamespaceRegexes: []string{"^team-"}}},
			Provider: &v1beta1.SecretStoreProvider{Fake: &v1beta1.FakeProvider{
				Data: []v1beta1.FakeProviderData{{Key: "/foo/baz", Value: `{"john": "doe"}`, Version: "v1"}},
			}},
		},
	}
	tests := []struct {
		kind        string
		spoke, back spokeObject
		hub         hubObject
	}{
		{kind: "ExternalSecret", spoke: decode[v1beta1.ExternalSecret](t, betaExternalSecret), back: newES(), hub: newHubES()},
		{kind: "SecretStore", spoke: decode[v1beta1.SecretStore](t, betaSecretStore), back: newSS(), hub: newHubSS()},
		{kind: "ClusterSecretStore", spoke: css, back: newCSS(), hub: newHubCSS()},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			conversiontest.ApplyDefaults(t, tt.kind, "v1beta1", tt.spoke)
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

func TestExternalSecretV1FieldsAreKept(t *testing.T) {
	hub := decode[esv1.ExternalSecret](t, betaExternalSecret)
	hub.TypeMeta = typeMeta("v1", "ExternalSecret")
	hub.Spec.SyncWindows = &esv1.SyncWindows{Kind: "deny", Windows: []esv1.SyncWindow{{Schedule: "@daily", Duration: "1h"}}}
	hub.Spec.Target.CreationPolicy = esv1.CreatePolicyCreateOrMerge
	hub.Spec.Target.Manifest = &esv1.ManifestReference{APIVersion: "v1", Kind: "ConfigMap"}
	hub.Spec.Target.Template.Metadata.Finalizers = []string{"example.com/keep"}
	hub.Spec.Target.Template.TemplateFrom[0].ValuesDecodingStrategy = esv1.DecodingBase64
	hub.Spec.Data[0].RemoteRef.NullBytePolicy = esv1.NullBytePolicyFail
	hub.Spec.DataFrom[1].Rewrite = append(hub.Spec.DataFrom[1].Rewrite, esv1.ExternalSecretRewrite{
		Merge: &esv1.ExternalSecretRewriteMerge{Into: "all", Strategy: "JSON"},
	})

	es := conversiontest.HubRoundTrip(t, hub, newES(), newHubES())
	want := []string{
		"spec.data", "spec.dataFrom", "spec.syncWindows", "spec.target.manifest",
		"spec.target.template.metadata.finalizers", "spec.target.template.templateFrom",
	}
	if got := conversiontest.KeptSections(t, es.ObjectMeta, "v1"); !slices.Equal(got, want) {
		t.Errorf("kept %v,\nwant %v", got, want)
	}
	if got := es.Spec.Target.CreationPolicy; got != "CreateOrMerge" {
		t.Errorf("creationPolicy = %q, want v1's value passed through", got)
	}
	if got := len(es.Spec.DataFrom[1].Rewrite); got != 2 {
		t.Errorf("the find entry shows %d rewrites, want the 2 v1beta1 can hold", got)
	}
	// What v1beta1 shows of the kept lists is the v1 lists without v1's fields.
	if got := es.Spec.Data[0].RemoteRef; got.Key != "db" || got.DecodingStrategy != v1beta1.DecodingBase64 {
		t.Errorf("data[0].remoteRef = %+v", got)
	}
}

func TestStoreRefreshInterval(t *testing.T) {
	tests := []struct {
		name string
		v1   *intstr.IntOrString
		// seconds is what v1beta1 shows.
		seconds int
		// kept says whether v1's value needs the annotation to come back.
		kept bool
	}{
		{name: "unset", v1: nil, seconds: 0},
		{name: "seconds", v1: new(intstr.FromInt32(60)), seconds: 60},
		{name: "negative seconds", v1: new(intstr.FromInt32(-1)), seconds: -1},
		{name: "zero seconds", v1: new(intstr.FromInt32(0)), seconds: 0, kept: true},
		{name: "duration of whole seconds", v1: new(intstr.FromString("5m")), seconds: 300, kept: true},
		{name: "duration with a fraction", v1: new(intstr.FromString("1500ms")), seconds: 0, kept: true},
		{name: "not a duration", v1: new(intstr.FromString("often")), seconds: 0, kept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHubSS()
			hub.Spec.RefreshInterval = tt.v1
			ss := conversiontest.HubRoundTrip(t, hub, newSS(), newHubSS())
			if ss.Spec.RefreshInterval != tt.seconds {
				t.Errorf("v1beta1 refreshInterval = %d, want %d", ss.Spec.RefreshInterval, tt.seconds)
			}
			if kept := conversiontest.KeptSections(t, ss.ObjectMeta, "v1") != nil; kept != tt.kept {
				t.Errorf("kept = %t, want %t", kept, tt.kept)
			}
		})
	}

	t.Run("more seconds than v1 holds as an integer", func(t *testing.T) {
		ss := newSS()
		ss.Spec.RefreshInterval = 3_000_000_000
		hub := conversiontest.SpokeRoundTrip(t, ss, newHubSS(), newSS())
		if got := hub.Spec.RefreshInterval; got == nil || *got != intstr.FromString("3000000000s") {
			t.Errorf("v1 refreshInterval = %v, want the same seconds as a duration", got)
		}
	})

	t.Run("a v1beta1 edit replaces the kept duration", func(t *testing.T) {
		hub := newHubSS()
		hub.Spec.RefreshInterval = new(intstr.FromString("5m"))
		ss := newSS()
		if err := ss.ConvertFrom(hub); err != nil {
			t.Fatal(err)
		}
		ss.Spec.RefreshInterval = 600
		back := newHubSS()
		if err := ss.ConvertTo(back); err != nil {
			t.Fatal(err)
		}
		if got := back.Spec.RefreshInterval; got == nil || *got != intstr.FromInt32(600) {
			t.Errorf("v1 refreshInterval = %v, want the edited 600", got)
		}
		if _, ok := back.Annotations[esv1.AnnotationConversionData]; ok {
			t.Errorf("v1 keeps %v", back.Annotations)
		}
	})
}

func TestStoreV1FieldsAreKept(t *testing.T) {
	result := esv1.ValidationResultError
	hub := newHubCSS()
	hub.Spec.Provider = &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{
		Service: esv1.AWSServiceCertificateManager, Region: "us-east-1",
		SessionTagsPolicy: "Custom", CustomSessionTags: map[string]string{"team": "a"},
	}}
	css := conversiontest.HubRoundTrip(t, hub, newCSS(), newHubCSS())
	want := []string{"spec.provider.aws.customSessionTags", "spec.provider.aws.sessionTagsPolicy"}
	if got := conversiontest.KeptSections(t, css.ObjectMeta, "v1"); !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
	if got := css.Spec.Provider.AWS.Service; got != "CertificateManager" {
		t.Errorf("service = %q, want v1's value passed through", got)
	}

	hub = newHubCSS()
	hub.Spec.Provider = &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{ValidationResult: &result}}
	css = conversiontest.HubRoundTrip(t, hub, newCSS(), newHubCSS())
	if got := conversiontest.KeptSections(t, css.ObjectMeta, "v1"); !slices.Equal(got, []string{"spec.provider.fake.validationResult"}) {
		t.Errorf("kept %v", got)
	}
}
