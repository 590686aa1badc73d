package rollout

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// SourceKind is the kind of object a workload can watch.
type SourceKind string

// Source kinds, as they appear in indexes and in AnnotationLastDigests.
const (
	KindSecret    SourceKind = "secret"
	KindConfigMap SourceKind = "configmap"
)

// Ref names a Secret or ConfigMap in the workload's namespace.
type Ref struct {
	Kind SourceKind
	Name string
}

// String returns "secret/<name>" or "configmap/<name>".
func (r Ref) String() string { return string(r.Kind) + "/" + r.Name }

// Display returns "Secret <name>" or "ConfigMap <name>", for events.
func (r Ref) Display() string {
	if r.Kind == KindSecret {
		return "Secret " + r.Name
	}
	return "ConfigMap " + r.Name
}

func compareRefs(a, b Ref) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
}

// References returns the Secrets and ConfigMaps a pod spec uses, sorted and each once:
// env valueFrom (secretKeyRef, configMapKeyRef) and envFrom of every container, init and
// ephemeral container, and secret, configMap and projected volumes.
func References(spec *corev1.PodSpec) []Ref {
	var refs []Ref
	add := func(kind SourceKind, name string) {
		if name != "" {
			refs = append(refs, Ref{Kind: kind, Name: name})
		}
	}
	containers := func(env []corev1.EnvVar, envFrom []corev1.EnvFromSource) {
		for _, e := range env {
			if e.ValueFrom == nil {
				continue
			}
			if s := e.ValueFrom.SecretKeyRef; s != nil {
				add(KindSecret, s.Name)
			}
			if c := e.ValueFrom.ConfigMapKeyRef; c != nil {
				add(KindConfigMap, c.Name)
			}
		}
		for _, e := range envFrom {
			if e.SecretRef != nil {
				add(KindSecret, e.SecretRef.Name)
			}
			if e.ConfigMapRef != nil {
				add(KindConfigMap, e.ConfigMapRef.Name)
			}
		}
	}
	for _, c := range spec.InitContainers {
		containers(c.Env, c.EnvFrom)
	}
	for _, c := range spec.Containers {
		containers(c.Env, c.EnvFrom)
	}
	for _, c := range spec.EphemeralContainers {
		containers(c.Env, c.EnvFrom)
	}
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			add(KindSecret, v.Secret.SecretName)
		}
		if v.ConfigMap != nil {
			add(KindConfigMap, v.ConfigMap.Name)
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					add(KindSecret, s.Secret.Name)
				}
				if s.ConfigMap != nil {
					add(KindConfigMap, s.ConfigMap.Name)
				}
			}
		}
	}
	slices.SortFunc(refs, compareRefs)
	return slices.Compact(refs)
}
