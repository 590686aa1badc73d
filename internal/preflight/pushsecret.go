package preflight

import (
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/storeref"
)

// pushSecret judges a PushSecret as its controller resolves it: Ferry pushes to the stores
// of its class and hands the object off when every store it names is another class's.
func (j *judge) pushSecret(jm *judgement, ps *esv1alpha1.PushSecret) {
	if ref := ps.Spec.Selector.GeneratorRef; ref != nil {
		j.useGenerator(jm, *ref, ps.Namespace, "spec.selector.generatorRef")
	}
	var stores judgement
	ours, others := 0, 0
	for i, ref := range ps.Spec.SecretStoreRefs {
		field := fmt.Sprintf("spec.secretStoreRefs[%d]", i)
		for _, k := range j.pushTargets(&stores, ref, ps.Namespace, field) {
			switch j.useStore(&stores, k, ps.Namespace, field+" names") {
			case storeOurs:
				ours++
				j.checkWritable(&stores, k, ps.Namespace, field)
			case storeOtherClass:
				others++
			case storeMissing:
			}
		}
	}
	jm.notes = append(jm.notes, stores.notes...)
	switch {
	case ours == 0 && others > 0:
		jm.handsOff = append(jm.handsOff, stores.handsOff...)
	case others > 0:
		jm.notes = append(jm.notes, "it also names stores of another controller class: Ferry pushes only to its own, their controller to the others")
		fallthrough
	default:
		jm.cannotYet = append(jm.cannotYet, stores.cannotYet...)
	}
}

// clusterPushSecret judges the PushSecret a ClusterPushSecret stamps out. Ferry keeps the
// PushSecrets in the selected namespaces whatever their stores' class; each then goes to
// its stores' controller. ClusterSecretStores named are judged here; SecretStores, which
// are per namespace, on each PushSecret.
func (j *judge) clusterPushSecret(jm *judgement, cps *esv1alpha1.ClusterPushSecret) {
	if ref := cps.Spec.PushSecretSpec.Selector.GeneratorRef; ref != nil {
		j.useGenerator(jm, *ref, "", "spec.pushSecretSpec.selector.generatorRef")
	}
	for i, ref := range cps.Spec.PushSecretSpec.SecretStoreRefs {
		if ref.Kind != esv1.ClusterSecretStoreKind || ref.Name == "" {
			continue
		}
		field := fmt.Sprintf("spec.pushSecretSpec.secretStoreRefs[%d]", i)
		var inner judgement
		k := storeref.Key{Kind: esv1.ClusterSecretStoreKind, Name: ref.Name}
		switch j.useStore(&inner, k, "", field+" names") {
		case storeOurs:
			j.checkWritable(&inner, k, "", field)
		case storeOtherClass:
			jm.notes = append(jm.notes, fmt.Sprintf("its PushSecrets push to ClusterSecretStore %s of another class: Ferry creates them, and their class's controller pushes", ref.Name))
		case storeMissing:
		}
		jm.cannotYet = append(jm.cannotYet, inner.cannotYet...)
		jm.notes = append(jm.notes, inner.notes...)
	}
}

// pushTargets lists the stores one secretStoreRef names: by name, or every store of the
// inventory its labelSelector matches.
func (j *judge) pushTargets(jm *judgement, ref esv1alpha1.PushSecretStoreRef, namespace, field string) []storeref.Key {
	kind := storeref.KeyOf(esv1.SecretStoreRef{Kind: ref.Kind}).Kind
	switch {
	case ref.Name != "":
		return []storeref.Key{{Kind: kind, Name: ref.Name}}
	case ref.LabelSelector == nil:
		return nil // the spec's own problem, reported by the controller
	}
	sel, err := metav1.LabelSelectorAsSelector(ref.LabelSelector)
	if err != nil {
		jm.notes = append(jm.notes, fmt.Sprintf("Ferry will report it InvalidSpec: %s.labelSelector: %v", field, err))
		return nil
	}
	var keys []storeref.Key
	for key, store := range j.stores {
		if key.kind == kind && (kind == esv1.ClusterSecretStoreKind || key.namespace == namespace) && sel.Matches(labels.Set(store.GetLabels())) {
			keys = append(keys, storeref.Key{Kind: kind, Name: key.name})
		}
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a].Name < keys[b].Name })
	if len(keys) == 0 {
		jm.notes = append(jm.notes, fmt.Sprintf("%s.labelSelector matches no %s among the objects read", field, kind))
	}
	return keys
}

// checkWritable adds a reason when the store's provider is one Ferry only reads from.
func (j *judge) checkWritable(jm *judgement, k storeref.Key, namespace, field string) {
	key := storeKey{k.Kind, "", k.Name}
	if k.Kind == esv1.SecretStoreKind {
		key.namespace = namespace
	}
	p, err := j.cfg.Providers.ForStore(j.stores[key])
	if err != nil || p.Capabilities() != esv1.SecretStoreReadOnly {
		return // an unimplemented provider is already a reason
	}
	jm.cannotYet = append(jm.cannotYet, fmt.Sprintf("%s names %s %s: Ferry's %s provider reads only; it cannot push yet", field, k.Kind, k.Name, p.Name()))
}

// generator judges a generator object by the kind it generates.
func (j *judge) generator(jm *judgement, g *generatorObject) {
	if g.kind == "" {
		jm.notes = append(jm.notes, "spec.kind is not set: Ferry will report the ClusterGenerator invalid when it is used")
		return
	}
	if gap := j.generatorGap(g.kind); gap != "" {
		jm.cannotYet = append(jm.cannotYet, gap)
	}
}
