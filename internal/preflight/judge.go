package preflight

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/storeref"
	"github.com/ferryhq/ferry/internal/validation"
)

// Verdict is what this Ferry will do with an object.
type Verdict string

// The verdicts, from best to worst for a migration.
const (
	// Serves: this Ferry handles the object.
	Serves Verdict = "serves"
	// HandsOff: the object is another controller class's (its store's spec.controller);
	// this Ferry leaves it untouched.
	HandsOff Verdict = "hands off"
	// CannotYet: the object is this Ferry's, but it uses something Ferry does not implement
	// yet; Ferry keeps it and reports why, and does not act on it.
	CannotYet Verdict = "cannot yet"
)

// Config is what the judged Ferry serves.
type Config struct {
	// ControllerClass is the Ferry's --controller-class.
	ControllerClass string
	// Providers are the providers it implements (internal/builtin).
	Providers *provider.Registry
	// GeneratorKinds are the generator kinds it implements (internal/builtin).
	GeneratorKinds []string
}

// Result is the verdict on one object.
type Result struct {
	Kind       string  `json:"kind"`
	APIVersion string  `json:"apiVersion"`
	Namespace  string  `json:"namespace,omitempty"`
	Name       string  `json:"name"`
	Source     string  `json:"source,omitempty"`
	Verdict    Verdict `json:"verdict"`
	// Reasons say why the object is handed off or cannot be served yet.
	Reasons []string `json:"reasons,omitempty"`
	// Notes are what else to know: a store that is not among the objects read, a spec
	// Ferry will report as invalid. They do not change the verdict.
	Notes []string `json:"notes,omitempty"`
	// Differences are the IDs of the behaviour differences from ESO that apply (see
	// Differences).
	Differences []string `json:"differences,omitempty"`
}

// judgement collects a Result's verdict as facts come in.
type judgement struct {
	handsOff, cannotYet, notes []string
}

func (j *judgement) result(o *Object) Result {
	r := Result{Kind: o.Kind, APIVersion: o.APIVersion, Namespace: o.Namespace, Name: o.Name, Source: o.Source,
		Verdict: Serves, Notes: j.notes}
	switch {
	case len(j.handsOff) > 0:
		// A handed-off object is never touched, so what Ferry lacks does not matter to it.
		r.Verdict, r.Reasons = HandsOff, j.handsOff
	case len(j.cannotYet) > 0:
		r.Verdict, r.Reasons = CannotYet, j.cannotYet
	}
	for _, d := range Differences {
		if r.Verdict != HandsOff && d.applies(o) {
			r.Differences = append(r.Differences, d.ID)
		}
	}
	return r
}

// judge holds the inventory indexed for lookups.
type judge struct {
	cfg        Config
	complete   bool
	stores     map[storeKey]esv1.GenericStore
	generators map[storeKey]*generatorObject
}

type storeKey struct{ kind, namespace, name string }

// Judge returns one Result per object of the inventory, in its order.
func Judge(inv *Inventory, cfg Config) []Result {
	j := judge{cfg: cfg, complete: inv.Complete, stores: map[storeKey]esv1.GenericStore{}, generators: map[storeKey]*generatorObject{}}
	for i := range inv.Objects {
		o := &inv.Objects[i]
		switch t := o.typed.(type) {
		case esv1.GenericStore:
			j.stores[storeKey{o.Kind, o.Namespace, o.Name}] = t
		case *generatorObject:
			j.generators[storeKey{o.Kind, o.Namespace, o.Name}] = t
		}
	}
	results := make([]Result, 0, len(inv.Objects))
	for i := range inv.Objects {
		results = append(results, j.object(&inv.Objects[i]))
	}
	return results
}

func (j *judge) object(o *Object) Result {
	var jm judgement
	if o.unknownFields != "" {
		jm.cannotYet = append(jm.cannotYet, "fields Ferry's schema does not have (the API server keeps only what it knows): "+o.unknownFields)
	}
	switch t := o.typed.(type) {
	case esv1.GenericStore:
		j.store(&jm, t)
	case *esv1.ExternalSecret:
		j.externalSecret(&jm, t)
	case *esv1.ClusterExternalSecret:
		j.clusterExternalSecret(&jm, t)
	case *esv1alpha1.PushSecret:
		j.pushSecret(&jm, t)
	case *esv1alpha1.ClusterPushSecret:
		j.clusterPushSecret(&jm, t)
	case *generatorObject:
		j.generator(&jm, t)
	default:
		jm.cannotYet = append(jm.cannotYet, fmt.Sprintf("Ferry does not act on %s in %s yet", o.Kind, o.APIVersion))
	}
	return jm.result(o)
}

// store judges a SecretStore or ClusterSecretStore as the store controller would.
func (j *judge) store(jm *judgement, store esv1.GenericStore) {
	if class := store.GetSpec().Controller; class != j.cfg.ControllerClass {
		jm.handsOff = append(jm.handsOff, fmt.Sprintf("spec.controller is %q, this Ferry's class is %q: the controller of that class handles it",
			class, j.cfg.ControllerClass))
		return
	}
	if err := validation.Store(store); err != nil {
		jm.notes = append(jm.notes, "Ferry will report the store InvalidProviderConfig: "+err.Error())
	}
	p, err := j.cfg.Providers.ForStore(store)
	var notImplemented *provider.NotImplementedError
	switch {
	case errors.As(err, &notImplemented):
		jm.cannotYet = append(jm.cannotYet, fmt.Sprintf("provider %s is not implemented (Ferry implements %s)",
			notImplemented.Provider, strings.Join(notImplemented.Served, ", ")))
		return
	case err != nil:
		jm.notes = append(jm.notes, "Ferry will report the store InvalidProviderConfig: "+err.Error())
		return
	}
	gaps, mistakes := provider.SplitFeatureGaps(p.ValidateStore(store))
	for _, g := range gaps {
		jm.cannotYet = append(jm.cannotYet, g.Error())
	}
	for _, m := range mistakes {
		jm.notes = append(jm.notes, "Ferry will report the store InvalidProviderConfig: "+m.Error())
	}
}

// storeUse is what an object's reference to one store comes to.
type storeUse int

const (
	storeOurs storeUse = iota
	storeOtherClass
	storeMissing
)

// useStore looks up the store k names for an object in namespace and judges the reference:
// another class's, missing, or ours (adding what the store itself cannot do yet). Messages
// start with how the object uses the store, e.g. "reads" or "spec.secretStoreRefs[0] names".
func (j *judge) useStore(jm *judgement, k storeref.Key, namespace, uses string) storeUse {
	key := storeKey{k.Kind, "", k.Name}
	if k.Kind == esv1.SecretStoreKind {
		key.namespace = namespace
	}
	store, ok := j.stores[key]
	switch {
	case !ok && j.complete:
		jm.notes = append(jm.notes, fmt.Sprintf("%s %s %s, which does not exist: Ferry reports StoreNotFound", uses, k.Kind, k.Name))
		return storeMissing
	case !ok:
		jm.notes = append(jm.notes, fmt.Sprintf("%s %s %s, which is not among the manifests read: its controller class and provider were not checked",
			uses, k.Kind, k.Name))
		return storeMissing
	}
	if class := store.GetSpec().Controller; class != j.cfg.ControllerClass {
		jm.handsOff = append(jm.handsOff, fmt.Sprintf("%s %s %s, whose spec.controller is %q (this Ferry's class is %q)", uses, k.Kind, k.Name,
			class, j.cfg.ControllerClass))
		return storeOtherClass
	}
	var inner judgement
	j.store(&inner, store)
	for _, why := range inner.cannotYet {
		jm.cannotYet = append(jm.cannotYet, fmt.Sprintf("%s %s %s: %s", uses, k.Kind, k.Name, why))
	}
	return storeOurs
}

// externalSecret judges an ExternalSecret the way its controller resolves it: every store
// it reads must be of this class, and everything it uses implemented.
func (j *judge) externalSecret(jm *judgement, es *esv1.ExternalSecret) {
	j.externalSecretSpec(jm, es)
	refs := storeref.Of(es)
	if len(refs) == 0 && j.cfg.ControllerClass != "" {
		jm.handsOff = append(jm.handsOff, "it reads only generators, so no store names a controller class: the Ferry of the default class (\"\") handles it")
		return
	}
	ours := 0
	for _, k := range refs {
		if k.Name == "" {
			continue // the spec's own problem, reported by validation
		}
		if j.useStore(jm, k, es.Namespace, "reads") == storeOurs {
			ours++
		}
	}
	if len(jm.handsOff) > 0 && ours > 0 {
		jm.notes = append(jm.notes, "it reads stores of this Ferry's class too; ESO also skips an ExternalSecret when one of its stores is "+
			"another class's, so no controller will sync it: read stores of one class only")
	}
}

// externalSecretSpec judges what does not depend on stores: refused fields and generators.
func (j *judge) externalSecretSpec(jm *judgement, es *esv1.ExternalSecret) {
	if err := validation.Unsupported(es); err != nil {
		jm.cannotYet = append(jm.cannotYet, err.Error())
	}
	if err := validation.ExternalSecret(es); err != nil {
		jm.notes = append(jm.notes, "Ferry will report it InvalidSpec: "+err.Error())
	}
	if m := es.Spec.Target.Manifest; m != nil && (m.APIVersion != "v1" || m.Kind != "Secret") {
		jm.notes = append(jm.notes, fmt.Sprintf("it writes a %s (spec.target.manifest), in plain text: Ferry must run with "+
			"--unsafe-allow-generic-targets and allow the kind in --generic-target-kinds (Helm: genericTargets), "+
			"or it reports GenericTargetsDisabled and writes nothing", m.Kind))
	}
	for i, d := range es.Spec.DataFrom {
		if d.SourceRef == nil || d.SourceRef.GeneratorRef == nil {
			continue
		}
		j.useGenerator(jm, *d.SourceRef.GeneratorRef, es.Namespace, fmt.Sprintf("spec.dataFrom[%d].sourceRef.generatorRef", i))
	}
}

// useGenerator checks that the kind a generatorRef comes to is implemented.
func (j *judge) useGenerator(jm *judgement, ref esv1.GeneratorRef, namespace, field string) {
	kind := ref.Kind
	if kind == genv1alpha1.ClusterGeneratorKind {
		g, ok := j.generators[storeKey{kind, "", ref.Name}]
		if !ok {
			jm.notes = append(jm.notes, fmt.Sprintf("%s: ClusterGenerator %s is not among the objects read: the kind it generates was not checked", field, ref.Name))
			return
		}
		kind = g.kind
	}
	if gap := j.generatorGap(kind); gap != "" {
		jm.cannotYet = append(jm.cannotYet, field+": "+gap)
	}
}

// generatorGap says that a generator kind is not implemented, or returns "".
func (j *judge) generatorGap(kind string) string {
	if slices.Contains(j.cfg.GeneratorKinds, kind) {
		return ""
	}
	return fmt.Sprintf("generator kind %s is not implemented (Ferry implements %s)", kind, strings.Join(j.cfg.GeneratorKinds, ", "))
}

// clusterExternalSecret judges the ExternalSecret a ClusterExternalSecret stamps out. Every
// Ferry keeps ClusterExternalSecrets whatever their stores' class; the ExternalSecrets then
// go to their stores' controller.
func (j *judge) clusterExternalSecret(jm *judgement, ces *esv1.ClusterExternalSecret) {
	es := &esv1.ExternalSecret{Spec: ces.Spec.ExternalSecretSpec}
	j.externalSecretSpec(jm, es)
	for _, k := range storeref.Of(es) {
		if k.Kind != esv1.ClusterSecretStoreKind || k.Name == "" {
			continue // SecretStores are per namespace: judged on each ExternalSecret
		}
		var inner judgement
		if j.useStore(&inner, k, "", "its ExternalSecrets read") == storeOtherClass {
			jm.notes = append(jm.notes, fmt.Sprintf("its ExternalSecrets read ClusterSecretStore %s of another class: Ferry creates them, and their class's controller syncs them", k.Name))
		}
		jm.cannotYet = append(jm.cannotYet, inner.cannotYet...)
		jm.notes = append(jm.notes, inner.notes...)
	}
}
