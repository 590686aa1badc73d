package rollout

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
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

// TestSlimWorkloadSpec checks that a cached workload keeps, of its spec, what restarts read or
// write — paused, the pod template's annotations, its containers whole (the env-vars
// strategy's patch carries them whole) and its volumes — and nothing else.
func TestSlimWorkloadSpec(t *testing.T) {
	containers := []corev1.Container{{Name: "app", Image: "app:1", Ports: []corev1.ContainerPort{{ContainerPort: 80}},
		Env: []corev1.EnvVar{{Name: "A", Value: "1"}}, EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "db"}}}}}}
	volumes := []corev1.Volume{{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls"}}}}
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a"}, Annotations: map[string]string{"keep": "me"}},
		Spec: corev1.PodSpec{Containers: containers, InitContainers: containers, Volumes: volumes,
			NodeSelector: map[string]string{"zone": "a"}, SecurityContext: &corev1.PodSecurityContext{}}}
	want := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"keep": "me"}},
		Spec: corev1.PodSpec{Containers: containers, InitContainers: containers, Volumes: volumes}}
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}
	for _, tc := range []struct {
		workload client.Object
		slimmed  func(client.Object) any
		want     any
	}{
		{&appsv1.Deployment{Spec: appsv1.DeploymentSpec{Paused: true, Replicas: new(int32(2)), Selector: selector, Template: template}},
			func(o client.Object) any { return o.(*appsv1.Deployment).Spec },
			appsv1.DeploymentSpec{Paused: true, Template: want}},
		{&appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Selector: selector, Template: template,
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{}}}},
			func(o client.Object) any { return o.(*appsv1.StatefulSet).Spec },
			appsv1.StatefulSetSpec{Template: want}},
		{&appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{Selector: selector, Template: template}},
			func(o client.Object) any { return o.(*appsv1.DaemonSet).Spec },
			appsv1.DaemonSetSpec{Template: want}},
		{&batchv1.CronJob{Spec: batchv1.CronJobSpec{Schedule: "* * * * *", JobTemplate: batchv1.JobTemplateSpec{
			Spec: batchv1.JobSpec{Template: template}}}},
			func(o client.Object) any { return o.(*batchv1.CronJob).Spec },
			batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: want}}}},
	} {
		out, err := slimWorkload(tc.workload)
		if err != nil {
			t.Fatal(err)
		}
		if got := tc.slimmed(out.(client.Object)); !equality.Semantic.DeepEqual(got, tc.want) {
			t.Errorf("%T spec after slimWorkload = %+v, want %+v", tc.workload, got, tc.want)
		}
	}
}

func TestSlimWorkload(t *testing.T) {
	d := &appsv1.Deployment{}
	d.Annotations = map[string]string{corev1.LastAppliedConfigAnnotation: "{}", ReloaderAuto: "true"}
	d.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	d.Status.Replicas = 3
	d.Spec.Template.Annotations = map[string]string{"keep": "me"}
	out, err := slimWorkload(d)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*appsv1.Deployment)
	if len(got.Annotations) != 1 || got.Annotations[ReloaderAuto] != "true" || got.ManagedFields != nil || got.Status.Replicas != 0 ||
		got.Spec.Template.Annotations["keep"] != "me" {
		t.Errorf("slimWorkload = %+v", got)
	}
	if len(CacheByObject()) != 4 {
		t.Errorf("CacheByObject covers %d kinds, want the 4 kept in full and always served", len(CacheByObject()))
	}
}
