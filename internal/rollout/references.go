package rollout

import (
	"cmp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// SourceKind is the kind of object a workload can watch.
type SourceKind string

// Source kinds, as they appear in indexes and in AnnotationLastDigests.
const (
	KindSecret    SourceKind = "secret"
	KindConfigMap SourceKind = "configmap"
	// KindSecretProviderClass is a Secrets Store CSI SecretProviderClass, watched through the
	// SecretProviderClassPodStatus objects of the pods that mount it (--enable-csi-integration).
	KindSecretProviderClass SourceKind = "secretproviderclass"
)

// sourceKinds are every kind of source, in the order their rules are read.
var sourceKinds = []SourceKind{KindConfigMap, KindSecret, KindSecretProviderClass}

// Ref names a Secret, ConfigMap or SecretProviderClass in the workload's namespace.
type Ref struct {
	Kind SourceKind
	Name string
}

// String returns "secret/<name>", "configmap/<name>" or "secretproviderclass/<name>".
func (r Ref) String() string { return string(r.Kind) + "/" + r.Name }

// Display returns "Secret <name>", "ConfigMap <name>" or "SecretProviderClass <name>", for
// events.
func (r Ref) Display() string {
	switch r.Kind {
	case KindSecret:
		return "Secret " + r.Name
	case KindSecretProviderClass:
		return "SecretProviderClass " + r.Name
	}
	return "ConfigMap " + r.Name
}

func compareRefs(a, b Ref) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
}

// References returns the Secrets, ConfigMaps and SecretProviderClasses a pod spec uses, sorted
// and each once: env valueFrom (secretKeyRef, configMapKeyRef) and envFrom of every container,
// init and ephemeral container; secret, configMap and projected volumes; and CSI volumes of the
// Secrets Store driver, by their secretProviderClass attribute.
func References(spec *corev1.PodSpec) []Ref {
	scopes := Scopes(spec)
	refs := make([]Ref, 0, len(scopes))
	for ref := range scopes {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, compareRefs)
	return refs
}

// Scope is how a pod template uses one source: whole (envFrom, a volume without items) or
// only through some of its keys (env valueFrom, volume items).
type Scope struct {
	Whole bool
	// Keys are the keys used, sorted, each once; meaningful when not Whole.
	Keys []string
}

// Scopes returns, for each source a pod spec uses, how it uses it. A SecretProviderClass is
// always used whole.
func Scopes(spec *corev1.PodSpec) map[Ref]Scope {
	scopes := map[Ref]Scope{}
	use := func(kind SourceKind, name string, keys ...string) {
		if name == "" {
			return
		}
		ref := Ref{Kind: kind, Name: name}
		s := scopes[ref]
		if len(keys) == 0 {
			s.Whole = true
		}
		s.Keys = append(s.Keys, keys...)
		scopes[ref] = s
	}
	forEachContainer(spec, func(env []corev1.EnvVar, envFrom []corev1.EnvFromSource) {
		for _, e := range env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				use(KindSecret, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
			}
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				use(KindConfigMap, e.ValueFrom.ConfigMapKeyRef.Name, e.ValueFrom.ConfigMapKeyRef.Key)
			}
		}
		for _, e := range envFrom {
			if e.SecretRef != nil {
				use(KindSecret, e.SecretRef.Name)
			}
			if e.ConfigMapRef != nil {
				use(KindConfigMap, e.ConfigMapRef.Name)
			}
		}
	})
	for _, v := range spec.Volumes {
		switch {
		case v.Secret != nil:
			use(KindSecret, v.Secret.SecretName, itemKeys(v.Secret.Items)...)
		case v.ConfigMap != nil:
			use(KindConfigMap, v.ConfigMap.Name, itemKeys(v.ConfigMap.Items)...)
		case v.CSI != nil && v.CSI.Driver == SecretsStoreDriver:
			use(KindSecretProviderClass, v.CSI.VolumeAttributes[secretProviderClassAttribute])
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					use(KindSecret, s.Secret.Name, itemKeys(s.Secret.Items)...)
				}
				if s.ConfigMap != nil {
					use(KindConfigMap, s.ConfigMap.Name, itemKeys(s.ConfigMap.Items)...)
				}
			}
		}
	}
	for ref, s := range scopes {
		if s.Whole {
			s.Keys = nil
		} else {
			slices.Sort(s.Keys)
			s.Keys = slices.Compact(s.Keys)
		}
		scopes[ref] = s
	}
	return scopes
}

// SecretsStoreDriver is the CSI driver of the Secrets Store; a volume of it names the
// SecretProviderClass it mounts in secretProviderClassAttribute.
const (
	SecretsStoreDriver           = "secrets-store.csi.k8s.io"
	secretProviderClassAttribute = "secretProviderClass"
)

func itemKeys(items []corev1.KeyToPath) []string {
	keys := make([]string, 0, len(items))
	for _, i := range items {
		keys = append(keys, i.Key)
	}
	return keys
}

func forEachContainer(spec *corev1.PodSpec, visit func([]corev1.EnvVar, []corev1.EnvFromSource)) {
	for _, c := range spec.InitContainers {
		visit(c.Env, c.EnvFrom)
	}
	for _, c := range spec.Containers {
		visit(c.Env, c.EnvFrom)
	}
	for _, c := range spec.EphemeralContainers {
		visit(c.Env, c.EnvFrom)
	}
}

// recordName is the name of a source in AnnotationLastDigests: "secret/<name>" when it is
// watched whole, "secret/<name>:<key>+<key>" when only those keys are used, so that a
// change of another key is no change, and a record written before key scopes existed reads
// as a source no longer watched (recorded again, never restarted for).
func recordName(ref Ref, scope Scope, referenced bool) string {
	if !referenced || scope.Whole || len(scope.Keys) == 0 {
		return ref.String()
	}
	return ref.String() + ":" + strings.Join(scope.Keys, "+")
}

// scoped returns the part of data a scope uses: the used keys that exist.
func scoped(data map[string][]byte, scope Scope, referenced bool) map[string][]byte {
	if !referenced || scope.Whole {
		return data
	}
	out := make(map[string][]byte, len(scope.Keys))
	for _, k := range scope.Keys {
		if v, ok := data[k]; ok {
			out[k] = v
		}
	}
	return out
}
