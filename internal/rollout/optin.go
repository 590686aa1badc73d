package rollout

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Rule is what a workload asks for one kind of source (Secrets, ConfigMaps or
// SecretProviderClasses).
type Rule struct {
	// Auto watches every source of this kind the pod template uses.
	Auto bool
	// Search watches the sources of this kind the pod template uses that carry the match
	// annotation. It is never set for SecretProviderClasses, whose pod statuses carry no
	// annotation of the user's.
	Search bool
	// Named lists the entries of the reload annotation: each a name or an anchored regular
	// expression. A source they match is watched whether or not the pod template uses it.
	Named []NamePattern
	// Exclude lists, by exact name, sources whose changes never restart the workload.
	Exclude []string
}

func (r Rule) enabled() bool { return r.Auto || r.Search || len(r.Named) > 0 }

// named reports whether an entry of the reload annotation matches name.
func (r Rule) named(name string) bool {
	return slices.ContainsFunc(r.Named, func(p NamePattern) bool { return p.Match(name) })
}

// NamePattern is one entry of a reload annotation. As in Reloader, it is a regular
// expression matched against the whole name; an entry that is a plain name matches that
// name only.
type NamePattern struct {
	// Raw is the entry as written, trimmed.
	Raw string
	re  *regexp.Regexp
}

// literalName matches entries that can only match themselves.
var literalName = regexp.MustCompile(`^[a-z0-9-]+$`)

// Literal reports whether the entry names one source, so that it can be looked up without
// listing the sources of the namespace.
func (p NamePattern) Literal() bool { return p.re == nil }

// Match reports whether the entry matches the name of a source.
func (p NamePattern) Match(name string) bool {
	if p.re == nil {
		return p.Raw == name
	}
	return p.re.MatchString(name)
}

// OptIn is what a workload's annotations ask for, read as Reloader reads them.
type OptIn struct {
	Secrets, ConfigMaps, SecretProviderClasses Rule
	// Ignored is set by the ignore annotation on the workload itself: nothing restarts it.
	Ignored bool
	// Invalid lists entries of the reload annotations that are not valid regular
	// expressions; they match nothing.
	Invalid []string
}

// annotationKeys are the Ferry and Reloader keys of one opt-in annotation.
type annotationKeys struct{ ferry, reloader string }

var (
	keysAuto   = annotationKeys{FerryAuto, ReloaderAuto}
	keysSearch = annotationKeys{FerrySearch, ReloaderSearch}
	keysMatch  = annotationKeys{FerryMatch, ReloaderMatch}
	keysIgnore = annotationKeys{FerryIgnore, ReloaderIgnore}
)

// kindKeys are the annotations that concern one kind of source.
type kindKeys struct{ typedAuto, reload, exclude annotationKeys }

func keysOf(kind SourceKind) kindKeys {
	switch kind {
	case KindSecret:
		return kindKeys{
			typedAuto: annotationKeys{FerrySecretAuto, ReloaderSecretAuto},
			reload:    annotationKeys{FerrySecretReload, ReloaderSecretReload},
			exclude:   annotationKeys{FerrySecretExclude, ReloaderSecretExclude},
		}
	case KindSecretProviderClass:
		return kindKeys{
			typedAuto: annotationKeys{FerrySecretProviderClassAuto, ReloaderSecretProviderClassAuto},
			reload:    annotationKeys{FerrySecretProviderClassReload, ReloaderSecretProviderClassReload},
			exclude:   annotationKeys{FerrySecretProviderClassExclude, ReloaderSecretProviderClassExclude},
		}
	}
	return kindKeys{
		typedAuto: annotationKeys{FerryConfigMapAuto, ReloaderConfigMapAuto},
		reload:    annotationKeys{FerryConfigMapReload, ReloaderConfigMapReload},
		exclude:   annotationKeys{FerryConfigMapExclude, ReloaderConfigMapExclude},
	}
}

// ReadOptIn reads the annotations of a workload's metadata and of its pod template. For each
// kind of source it reads the workload's metadata when that carries any annotation about
// the kind (auto, its typed auto, its reload list, search), else the pod template's, as
// Reloader does. Exclude lists are read from both. autoReloadAll treats a workload without
// an auto annotation as if it had auto "true" (--auto-reload-all); auto "false" opts out.
// For each annotation, Ferry's key wins over Reloader's when both are set.
func ReadOptIn(workload, template map[string]string, autoReloadAll bool) OptIn {
	o := OptIn{Ignored: isTrue(workload, keysIgnore)}
	o.Secrets = o.readRule(KindSecret, workload, template, autoReloadAll)
	o.ConfigMaps = o.readRule(KindConfigMap, workload, template, autoReloadAll)
	o.SecretProviderClasses = o.readRule(KindSecretProviderClass, workload, template, autoReloadAll)
	return o
}

func (o *OptIn) readRule(kind SourceKind, workload, template map[string]string, autoReloadAll bool) Rule {
	keys := keysOf(kind)
	annotations := workload
	if !hasAny(workload, keysAuto, keysSearch, keys.typedAuto, keys.reload) {
		annotations = template
	}
	auto, _ := lookup(annotations, keysAuto)
	typedAuto, _ := lookup(annotations, keys.typedAuto)
	r := Rule{
		Auto:   truthy(auto) || truthy(typedAuto) || (autoReloadAll && auto == "" && typedAuto == ""),
		Search: kind != KindSecretProviderClass && isTrue(annotations, keysSearch),
	}
	reload, _ := lookup(annotations, keys.reload)
	for _, entry := range splitList(reload) {
		p, ok := compilePattern(entry)
		if !ok {
			o.Invalid = append(o.Invalid, entry)
			continue
		}
		r.Named = append(r.Named, p)
	}
	for _, from := range []map[string]string{workload, template} {
		exclude, _ := lookup(from, keys.exclude)
		r.Exclude = append(r.Exclude, splitList(exclude)...)
	}
	return r
}

func compilePattern(entry string) (NamePattern, bool) {
	if literalName.MatchString(entry) {
		return NamePattern{Raw: entry}, true
	}
	re, err := regexp.Compile("^(?:" + entry + ")$")
	if err != nil {
		return NamePattern{}, false
	}
	return NamePattern{Raw: entry, re: re}, true
}

// Rule returns the rule for one kind of source.
func (o OptIn) Rule(kind SourceKind) Rule {
	switch kind {
	case KindSecret:
		return o.Secrets
	case KindSecretProviderClass:
		return o.SecretProviderClasses
	}
	return o.ConfigMaps
}

// Enabled reports whether the workload opted in at all.
func (o OptIn) Enabled() bool {
	return !o.Ignored && (o.Secrets.enabled() || o.ConfigMaps.enabled() || o.SecretProviderClasses.enabled())
}

// Candidates returns the sources worth reading for a workload whose pod template uses
// referenced: those that Watches can accept once their annotations are known, except those
// that only a regular expression of a reload list names (see Patterns).
func (o OptIn) Candidates(referenced []Ref) []Ref {
	var out []Ref
	for _, kind := range sourceKinds {
		for _, p := range o.Rule(kind).Named {
			if p.Literal() {
				out = append(out, Ref{Kind: kind, Name: p.Raw})
			}
		}
	}
	for _, r := range referenced {
		rule := o.Rule(r.Kind)
		if rule.Auto || rule.Search || rule.named(r.Name) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, compareRefs)
	return slices.Compact(out)
}

// Patterns reports whether a reload list of this kind holds a regular expression, so that
// the sources it names are found only by listing those of the namespace.
func (o OptIn) Patterns(kind SourceKind) bool {
	return slices.ContainsFunc(o.Rule(kind).Named, func(p NamePattern) bool { return !p.Literal() })
}

// Watches reports whether a change of source ref, carrying the given annotations, restarts
// the workload. referenced tells whether the pod template uses it. In order: the source's
// ignore annotation, the workload's exclude list, its reload list, then (for sources the
// pod template uses) search with match, then auto.
func (o OptIn) Watches(ref Ref, referenced bool, source map[string]string) bool {
	rule := o.Rule(ref.Kind)
	switch {
	case o.Ignored, isTrue(source, keysIgnore), slices.Contains(rule.Exclude, ref.Name):
		return false
	case rule.named(ref.Name):
		return true
	case !referenced:
		return false
	case rule.Search && isTrue(source, keysMatch):
		return true
	default:
		return rule.Auto
	}
}

// lookup returns Ferry's annotation when set, else Reloader's.
func lookup(annotations map[string]string, keys annotationKeys) (string, bool) {
	if v, ok := annotations[keys.ferry]; ok {
		return v, true
	}
	v, ok := annotations[keys.reloader]
	return v, ok
}

func hasAny(annotations map[string]string, keys ...annotationKeys) bool {
	for _, k := range keys {
		if _, ok := lookup(annotations, k); ok {
			return true
		}
	}
	return false
}

func isTrue(annotations map[string]string, keys annotationKeys) bool {
	v, _ := lookup(annotations, keys)
	return truthy(v)
}

// truthy accepts "true" in any case, and the other true forms of Go's strconv.ParseBool
// ("1", "t") that Reloader accepts for auto.
func truthy(v string) bool {
	v = strings.TrimSpace(v)
	b, err := strconv.ParseBool(v)
	return (err == nil && b) || strings.EqualFold(v, "true")
}

func splitList(v string) []string {
	var out []string
	for entry := range strings.SplitSeq(v, ",") {
		if entry = strings.TrimSpace(entry); entry != "" {
			out = append(out, entry)
		}
	}
	return out
}
