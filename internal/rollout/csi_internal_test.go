package rollout

import (
	"maps"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// status builds a pod status of class spc reporting id=version pairs.
func status(spc string, mounted bool, pairs ...string) podStatus {
	objects := []any{}
	for i := 0; i+1 < len(pairs); i += 2 {
		objects = append(objects, map[string]any{"id": pairs[i], "version": pairs[i+1]})
	}
	u := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{
		"secretProviderClassName": spc, "mounted": mounted, "podName": "p", "objects": objects}}}
	return decodePodStatus(u)
}

func TestClassVersions(t *testing.T) {
	for name, tc := range map[string]struct {
		statuses []podStatus
		want     map[string]string
		settled  bool
	}{
		"no pod mounts it":    {},
		"only unmounted pods": {statuses: []podStatus{status("spc", false, "a", "1")}},
		"one pod":             {statuses: []podStatus{status("spc", true, "a", "1", "b", "7")}, want: map[string]string{"a": "1", "b": "7"}, settled: true},
		"pods agree, in any order": {
			statuses: []podStatus{status("spc", true, "a", "2", "b", "7"), status("spc", true, "b", "7", "a", "2")},
			want:     map[string]string{"a": "2", "b": "7"}, settled: true,
		},
		"a rotation that reached one pod of two": {statuses: []podStatus{status("spc", true, "a", "2"), status("spc", true, "a", "1")}},
		"a pod that mounts one object fewer":     {statuses: []podStatus{status("spc", true, "a", "1", "b", "7"), status("spc", true, "a", "1")}},
		"an unmounted pod does not count": {
			statuses: []podStatus{status("spc", true, "a", "2"), status("spc", false, "a", "1")},
			want:     map[string]string{"a": "2"}, settled: true,
		},
		"mounted with no objects": {statuses: []podStatus{status("spc", true)}, want: map[string]string{}, settled: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, settled := classVersions(tc.statuses)
			if settled != tc.settled || !maps.Equal(got, tc.want) {
				t.Errorf("classVersions = %v, %v; want %v, %v", got, settled, tc.want, tc.settled)
			}
		})
	}
}

func TestSecretProviderClassReferences(t *testing.T) {
	csi := func(driver, class string) corev1.Volume {
		return corev1.Volume{Name: "v-" + class, VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{
			Driver: driver, VolumeAttributes: map[string]string{"secretProviderClass": class}}}}
	}
	spec := &corev1.PodSpec{Volumes: []corev1.Volume{
		csi(SecretsStoreDriver, "vault-db"),
		csi(SecretsStoreDriver, "vault-db"),
		csi("other.csi.example.com", "not-a-class"),
		{Name: "no-class", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: SecretsStoreDriver}}},
	}}
	if got, want := refStrings(References(spec)), []string{"secretproviderclass/vault-db"}; !slices.Equal(got, want) {
		t.Errorf("References = %v, want %v", got, want)
	}
	if s := Scopes(spec)[Ref{KindSecretProviderClass, "vault-db"}]; !s.Whole {
		t.Errorf("a SecretProviderClass is used %+v, want whole", s)
	}
	if got := (Ref{KindSecretProviderClass, "vault-db"}).Display(); got != "SecretProviderClass vault-db" {
		t.Errorf("Display = %q", got)
	}
	if got := EnvVarName(Ref{KindSecretProviderClass, "vault-db"}); got != "STAKATER_VAULT_DB_SECRETPROVIDERCLASS" {
		t.Errorf("EnvVarName = %q", got)
	}
}

func TestSecretProviderClassOptIn(t *testing.T) {
	referenced := []Ref{{KindSecret, "s"}, {KindSecretProviderClass, "mounted"}}
	for name, tc := range map[string]struct {
		annotations, template map[string]string
		candidates            []string
		pattern               bool
	}{
		"auto covers a mounted class":   {annotations: map[string]string{ReloaderAuto: "true"}, candidates: []string{"secret/s", "secretproviderclass/mounted"}},
		"typed auto, classes only":      {annotations: map[string]string{ReloaderSecretProviderClassAuto: "true"}, candidates: []string{"secretproviderclass/mounted"}},
		"ferry's typed auto":            {annotations: map[string]string{FerrySecretProviderClassAuto: "true"}, candidates: []string{"secretproviderclass/mounted"}},
		"secret auto leaves classes":    {annotations: map[string]string{ReloaderSecretAuto: "true"}, candidates: []string{"secret/s"}},
		"named, mounted or not":         {annotations: map[string]string{ReloaderSecretProviderClassReload: "other, mounted"}, candidates: []string{"secretproviderclass/mounted", "secretproviderclass/other"}},
		"named by expression":           {annotations: map[string]string{ReloaderSecretProviderClassReload: "vault-.*"}, pattern: true},
		"search does not reach classes": {annotations: map[string]string{ReloaderSearch: "true"}, candidates: []string{"secret/s"}},
		"pod template":                  {template: map[string]string{ReloaderSecretProviderClassAuto: "true"}, candidates: []string{"secretproviderclass/mounted"}},
	} {
		t.Run(name, func(t *testing.T) {
			o := ReadOptIn(tc.annotations, tc.template, false)
			if !o.Enabled() {
				t.Fatalf("not enabled: %+v", o)
			}
			if got := refStrings(o.Candidates(referenced)); !slices.Equal(got, tc.candidates) {
				t.Errorf("Candidates = %v, want %v", got, tc.candidates)
			}
			if got := o.Patterns(KindSecretProviderClass); got != tc.pattern {
				t.Errorf("Patterns = %v, want %v", got, tc.pattern)
			}
		})
	}

	excluded := ReadOptIn(map[string]string{ReloaderAuto: "true", ReloaderSecretProviderClassExclude: "mounted"}, nil, false)
	if excluded.Watches(Ref{KindSecretProviderClass, "mounted"}, true, nil) {
		t.Errorf("an excluded class is watched")
	}
	if !excluded.Watches(Ref{KindSecret, "s"}, true, nil) {
		t.Errorf("excluding a class excluded a Secret too")
	}
	ferryExcluded := ReadOptIn(map[string]string{ReloaderAuto: "true"}, map[string]string{FerrySecretProviderClassExclude: "mounted"}, false)
	if ferryExcluded.Watches(Ref{KindSecretProviderClass, "mounted"}, true, nil) {
		t.Errorf("a class excluded on the pod template with Ferry's key is watched")
	}
}
