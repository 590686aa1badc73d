package rollout

import (
	"encoding/json"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/cacheview"
)

func TestReferences(t *testing.T) {
	secretKey := func(name string) corev1.EnvVar {
		return corev1.EnvVar{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "k"}}}
	}
	configMapKey := func(name string) corev1.EnvVar {
		return corev1.EnvVar{Name: "Y", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "k"}}}
	}
	for name, tc := range map[string]struct {
		spec corev1.PodSpec
		want []string
	}{
		"nothing": {spec: corev1.PodSpec{Containers: []corev1.Container{{Env: []corev1.EnvVar{{Name: "A", Value: "plain"}}}}}},
		"env valueFrom": {
			spec: corev1.PodSpec{Containers: []corev1.Container{{Env: []corev1.EnvVar{secretKey("s"), configMapKey("c"),
				{Name: "F", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}}}},
			want: []string{"configmap/c", "secret/s"},
		},
		"envFrom": {
			spec: corev1.PodSpec{Containers: []corev1.Container{{EnvFrom: []corev1.EnvFromSource{
				{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}}},
				{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}},
			}}}},
			want: []string{"configmap/c", "secret/s"},
		},
		"init and ephemeral containers": {
			spec: corev1.PodSpec{
				InitContainers:      []corev1.Container{{Env: []corev1.EnvVar{secretKey("init")}}},
				EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Env: []corev1.EnvVar{configMapKey("debug")}}}},
			},
			want: []string{"configmap/debug", "secret/init"},
		},
		"volumes": {
			spec: corev1.PodSpec{Volumes: []corev1.Volume{
				{Name: "a", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls"}}},
				{Name: "b", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}}}},
				{Name: "c", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			}},
			want: []string{"configmap/conf", "secret/tls"},
		},
		"projected": {
			spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{
					{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "ps"}}},
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "pc"}}},
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
				}}}}}},
			want: []string{"configmap/pc", "secret/ps"},
		},
		"same name, both kinds, many uses: each once, sorted": {
			spec: corev1.PodSpec{
				Containers: []corev1.Container{{Env: []corev1.EnvVar{secretKey("x"), secretKey("x"), configMapKey("x")}}, {Env: []corev1.EnvVar{secretKey("a")}}},
				Volumes:    []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "x"}}}},
			},
			want: []string{"configmap/x", "secret/a", "secret/x"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			if got := refStrings(References(&tc.spec)); !slices.Equal(got, tc.want) {
				t.Errorf("References = %v, want %v", got, tc.want)
			}
		})
	}
}

func refStrings(refs []Ref) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.String())
	}
	return out
}

func TestScopes(t *testing.T) {
	secretKey := func(name, key string) corev1.EnvVar {
		return corev1.EnvVar{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}}}
	}
	items := func(keys ...string) []corev1.KeyToPath {
		var out []corev1.KeyToPath
		for _, k := range keys {
			out = append(out, corev1.KeyToPath{Key: k, Path: k})
		}
		return out
	}
	spec := corev1.PodSpec{
		Containers: []corev1.Container{{
			Env:     []corev1.EnvVar{secretKey("db", "password"), secretKey("db", "password"), secretKey("api", "token"), secretKey("tls", "ca")},
			EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "whole"}}}},
		}},
		Volumes: []corev1.Volume{
			{Name: "a", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "api", Items: items("cert", "token")}}},
			{Name: "b", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls"}}},
			{Name: "c", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}, Items: items("app.yaml")}}},
			{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "proj"}, Items: items("k")}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "projcm"}}},
			}}}},
		},
	}
	got := Scopes(&spec)
	want := map[Ref]string{
		{KindSecret, "db"}:        "secret/db:password",
		{KindSecret, "api"}:       "secret/api:cert+token",
		{KindSecret, "tls"}:       "secret/tls", // a volume without items uses every key
		{KindSecret, "proj"}:      "secret/proj:k",
		{KindConfigMap, "whole"}:  "configmap/whole",
		{KindConfigMap, "conf"}:   "configmap/conf:app.yaml",
		{KindConfigMap, "projcm"}: "configmap/projcm",
	}
	if len(got) != len(want) {
		t.Fatalf("Scopes = %v, want %d sources", got, len(want))
	}
	for ref, name := range want {
		scope, ok := got[ref]
		if !ok {
			t.Errorf("%v missing", ref)
			continue
		}
		if n := recordName(ref, scope, true); n != name {
			t.Errorf("recordName(%v) = %q, want %q", ref, n, name)
		}
		if n := recordName(ref, scope, false); n != ref.String() {
			t.Errorf("a source named but not used is watched whole: %q", n)
		}
	}
	data := map[string][]byte{"password": []byte("p"), "username": []byte("u")}
	if s := scoped(data, got[Ref{KindSecret, "db"}], true); len(s) != 1 || string(s["password"]) != "p" {
		t.Errorf("scoped = %v, want only the password key", s)
	}
	if s := scoped(data, got[Ref{KindSecret, "tls"}], true); len(s) != 2 {
		t.Errorf("whole scope dropped keys: %v", s)
	}
	if r := parseRef("secret/db:password"); r != (Ref{KindSecret, "db"}) {
		t.Errorf("parseRef = %v", r)
	}
}

// TestWorkloadViews checks that each viewed kind, decoded from the JSON the API server sends
// (with the view scheme's JSON codec, as the workload cache decodes it) and slimmed, reads
// as the whole object does for what a reconcile uses — the opt-in annotations, the pod
// template's annotations, the sources it references and how, paused — and holds nothing a
// reconcile does not read: literal environment values, volumes of no source, kubectl's copy
// of the manifest.
func TestWorkloadViews(t *testing.T) {
	containers := []corev1.Container{{Name: "app", Image: "app:1", Ports: []corev1.ContainerPort{{ContainerPort: 80}},
		Env: []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "P", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}}},
		EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}}}}
	volumes := []corev1.Volume{
		{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls"}}},
		{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "csi", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: SecretsStoreDriver,
			VolumeAttributes: map[string]string{secretProviderClassAttribute: "spc"}}}}}
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a"}, Annotations: map[string]string{ReloaderSecretReload: "x"}},
		Spec: corev1.PodSpec{Containers: containers, InitContainers: containers, Volumes: volumes,
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Env: containers[0].Env}}},
			NodeSelector:        map[string]string{"zone": "a"}, SecurityContext: &corev1.PodSecurityContext{}}}
	meta := metav1.ObjectMeta{Namespace: "ns", Name: "w", ResourceVersion: "7", Generation: 3,
		Annotations:   map[string]string{corev1.LastAppliedConfigAnnotation: "{}", ReloaderAuto: "true"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}}
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}
	wantRefs := References(&template.Spec)
	wantScopes := Scopes(&template.Spec)
	codecs := serializer.NewCodecFactory(ViewScheme)
	for _, tc := range []struct {
		whole  client.Object
		paused bool
	}{
		{&appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: meta,
			Spec:   appsv1.DeploymentSpec{Paused: true, Replicas: new(int32(2)), Selector: selector, Template: template},
			Status: appsv1.DeploymentStatus{Replicas: 2}}, true},
		{&appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}, ObjectMeta: meta,
			Spec: appsv1.StatefulSetSpec{Selector: selector, Template: template, VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{}}}}, false},
		{&appsv1.DaemonSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}, ObjectMeta: meta,
			Spec: appsv1.DaemonSetSpec{Selector: selector, Template: template}}, false},
		{&batchv1.CronJob{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"}, ObjectMeta: meta,
			Spec: batchv1.CronJobSpec{Schedule: "* * * * *", JobTemplate: batchv1.JobTemplateSpec{
				Spec: batchv1.JobSpec{Template: template}}}}, false},
	} {
		gvk := tc.whole.GetObjectKind().GroupVersionKind()
		t.Run(gvk.Kind, func(t *testing.T) {
			raw, err := json.Marshal(tc.whole)
			if err != nil {
				t.Fatal(err)
			}
			decoded, _, err := codecs.UniversalDeserializer().Decode(raw, nil, nil)
			if err != nil {
				t.Fatalf("decoding a %s into its view: %v", gvk.Kind, err)
			}
			slimmed, err := slimView(gvk, cacheview.NewCompactor())(decoded)
			if err != nil {
				t.Fatal(err)
			}
			v, ok := slimmed.(view)
			if !ok {
				t.Fatalf("decoded a %T, not a view", slimmed)
			}
			if v.GetObjectKind().GroupVersionKind() != gvk || v.GetName() != "w" || v.GetResourceVersion() != "7" || v.GetGeneration() != 3 {
				t.Errorf("view metadata = %v %s rv %s gen %d", v.GetObjectKind().GroupVersionKind(), v.GetName(), v.GetResourceVersion(), v.GetGeneration())
			}
			if len(v.GetAnnotations()) != 1 || v.GetAnnotations()[ReloaderAuto] != "true" || v.GetManagedFields() != nil {
				t.Errorf("view annotations %v, managed fields %v: want only the opt-in", v.GetAnnotations(), v.GetManagedFields())
			}
			var kind workloadKind
			for _, k := range workloadKinds() {
				if k.gvk == gvk {
					kind = k
				}
			}
			if kind.paused(v) != tc.paused || kind.paused(tc.whole) != tc.paused {
				t.Errorf("paused: view %v, whole %v, want %v", kind.paused(v), kind.paused(tc.whole), tc.paused)
			}
			got := kind.template(v)
			if got.Annotations[ReloaderSecretReload] != "x" || len(got.Annotations) != 1 {
				t.Errorf("pod template annotations = %v", got.Annotations)
			}
			if refs := References(&got.Spec); !slices.Equal(refs, wantRefs) {
				t.Errorf("references of the view = %v, of the whole object %v", refs, wantRefs)
			}
			if scopes := Scopes(&got.Spec); !equality.Semantic.DeepEqual(scopes, wantScopes) {
				t.Errorf("scopes of the view = %v, of the whole object %v", scopes, wantScopes)
			}
			for _, c := range got.Spec.Containers {
				for _, e := range c.Env {
					if e.Value != "" {
						t.Errorf("the view keeps the literal value of %s", e.Name)
					}
				}
			}
			if len(got.Spec.Volumes) != 2 {
				t.Errorf("view volumes = %v, want the Secret and CSI ones", got.Spec.Volumes)
			}
			// A copy shares nothing with the cached view.
			cp := v.DeepCopyObject().(view)
			if !sameAnnotations(v, cp) {
				t.Error("a copy of the view has other annotations")
			}
			cp.SetAnnotations(map[string]string{ReloaderAuto: "false"})
			if sameAnnotations(v, cp) {
				t.Error("views with other annotations compare the same")
			}
			kind.template(cp).Annotations["changed"] = "yes"
			cp.spec().Template.Spec.Containers = nil
			if !equality.Semantic.DeepEqual(kind.template(v), got) {
				t.Error("changing a deep copy changed the view")
			}
		})
	}
}
