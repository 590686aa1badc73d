package storeref

import esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"

// Of lists every store an ExternalSecret reads, each once: the per-entry sourceRefs, and
// spec.secretStoreRef when an entry uses the default store. An object whose entries all
// name their own store or a generator does not read spec.secretStoreRef; one with only
// generators still resolves a named spec.secretStoreRef, so that its controller class
// decides which Ferry instance handles the object.
func Of(es *esv1.ExternalSecret) []Key {
	seen := map[Key]bool{}
	var keys []Key
	add := func(ref esv1.SecretStoreRef) {
		k := KeyOf(ref)
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	usesDefault, generated := false, false
	for _, d := range es.Spec.Data {
		if d.SourceRef != nil && d.SourceRef.SecretStoreRef != nil {
			add(*d.SourceRef.SecretStoreRef)
		} else {
			usesDefault = true
		}
	}
	for _, d := range es.Spec.DataFrom {
		switch {
		case d.SourceRef != nil && d.SourceRef.SecretStoreRef != nil:
			add(*d.SourceRef.SecretStoreRef)
		case d.SourceRef != nil && d.SourceRef.GeneratorRef != nil:
			generated = true
		default:
			usesDefault = true
		}
	}
	generatedOnly := generated && es.Spec.SecretStoreRef.Name == ""
	if usesDefault || len(keys) == 0 && !generatedOnly {
		add(es.Spec.SecretStoreRef)
	}
	return keys
}
