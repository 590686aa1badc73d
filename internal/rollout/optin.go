package rollout

import (
	"slices"
	"strings"
)

// OptIn is what a workload's annotations ask for, read as Reloader reads them.
type OptIn struct {
	// AutoSecrets and AutoConfigMaps watch every Secret (ConfigMap) the pod template uses.
	AutoSecrets, AutoConfigMaps bool
	// Search watches the Secrets and ConfigMaps the pod template uses that carry the match
	// annotation. It is off when any auto annotation is on: auto takes precedence.
	Search bool
	// Named lists the sources named by the reload annotations; they are watched whether or
	// not the pod template uses them.
	Named []Ref
}

// ReadOptIn reads a workload's annotations. For each annotation, Ferry's key wins over
// Reloader's when both are set.
func ReadOptIn(annotations map[string]string) OptIn {
	auto := isTrue(annotations, FerryAuto, ReloaderAuto)
	o := OptIn{
		AutoSecrets:    auto || isTrue(annotations, FerrySecretAuto, ReloaderSecretAuto),
		AutoConfigMaps: auto || isTrue(annotations, FerryConfigMapAuto, ReloaderConfigMapAuto),
	}
	o.Search = !o.AutoSecrets && !o.AutoConfigMaps && isTrue(annotations, FerrySearch, ReloaderSearch)
	o.Named = append(names(KindSecret, annotations, FerrySecretReload, ReloaderSecretReload),
		names(KindConfigMap, annotations, FerryConfigMapReload, ReloaderConfigMapReload)...)
	slices.SortFunc(o.Named, compareRefs)
	o.Named = slices.Compact(o.Named)
	return o
}

// Enabled reports whether the workload opted in at all.
func (o OptIn) Enabled() bool {
	return o.AutoSecrets || o.AutoConfigMaps || o.Search || len(o.Named) > 0
}

// Candidates returns the sources worth reading for a workload whose pod template uses
// referenced: those that Watches can accept once their annotations are known. They are also
// the keys under which the workload is indexed.
func (o OptIn) Candidates(referenced []Ref) []Ref {
	out := slices.Clone(o.Named)
	for _, r := range referenced {
		if o.Search || (r.Kind == KindSecret && o.AutoSecrets) || (r.Kind == KindConfigMap && o.AutoConfigMaps) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, compareRefs)
	return slices.Compact(out)
}

// Watches reports whether a change of source ref, carrying the given annotations, restarts
// the workload. referenced tells whether the pod template uses it.
func (o OptIn) Watches(ref Ref, referenced bool, source map[string]string) bool {
	switch {
	case isTrue(source, FerryIgnore, ReloaderIgnore):
		return false
	case slices.Contains(o.Named, ref):
		return true
	case !referenced:
		return false
	case ref.Kind == KindSecret && o.AutoSecrets, ref.Kind == KindConfigMap && o.AutoConfigMaps:
		return true
	default:
		return o.Search && isTrue(source, FerryMatch, ReloaderMatch)
	}
}

// lookup returns Ferry's annotation when set, else Reloader's.
func lookup(annotations map[string]string, ferryKey, reloaderKey string) (string, bool) {
	if v, ok := annotations[ferryKey]; ok {
		return v, true
	}
	v, ok := annotations[reloaderKey]
	return v, ok
}

func isTrue(annotations map[string]string, ferryKey, reloaderKey string) bool {
	v, _ := lookup(annotations, ferryKey, reloaderKey)
	return strings.EqualFold(strings.TrimSpace(v), "true")
}

func names(kind SourceKind, annotations map[string]string, ferryKey, reloaderKey string) []Ref {
	v, _ := lookup(annotations, ferryKey, reloaderKey)
	var refs []Ref
	for name := range strings.SplitSeq(v, ",") {
		if name = strings.TrimSpace(name); name != "" {
			refs = append(refs, Ref{Kind: kind, Name: name})
		}
	}
	return refs
}
