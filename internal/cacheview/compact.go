package cacheview

import (
	"maps"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Compactor makes cached objects share what repeats between them instead of each holding
// its own copy: the strings that name namespaces, kinds, label and annotation keys, stores
// and conditions, and whole label maps (a release's objects carry the same labels; every
// managed Secret the same managed label). A decoded object allocates each of them afresh —
// a one-entry map alone is some 300 bytes — and the caches hold one of each per object.
//
// Sharing is safe because nothing changes a cached object in place: reads through the
// cache's client deep-copy (new maps, new strings), and the readers of the informers'
// stores (this package) must not change what they read.
//
// What it remembers is bounded: past maxStrings strings or maxLabelSets label maps it
// shares only what it already holds.
type Compactor struct {
	mu        sync.Mutex
	strings   map[string]string
	labelSets map[string]map[string]string
}

const (
	maxStrings    = 8192
	maxStringLen  = 256
	maxLabelSets  = 4096
	maxSharedKeys = 16
)

// NewCompactor returns an empty Compactor.
func NewCompactor() *Compactor {
	return &Compactor{strings: map[string]string{}, labelSets: map[string]map[string]string{}}
}

// str returns the shared copy of s. Callers hold c.mu.
func (c *Compactor) str(s string) string {
	if s == "" || len(s) > maxStringLen {
		return s
	}
	if shared, ok := c.strings[s]; ok {
		return shared
	}
	if len(c.strings) < maxStrings {
		c.strings[s] = s
	}
	return s
}

// Share replaces each string with the copy shared with the objects compacted before: for
// cached types of Ferry's own, whose strings Transform does not know.
func (c *Compactor) Share(strs ...*string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range strs {
		*s = c.str(*s)
	}
}

// labels returns a map equal to m shared with the objects that have the same labels.
// Callers hold c.mu.
func (c *Compactor) labels(m map[string]string) map[string]string {
	if len(m) == 0 || len(m) > maxSharedKeys {
		return m
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(m[k])
		b.WriteByte(0)
	}
	key := b.String()
	if shared, ok := c.labelSets[key]; ok {
		return shared
	}
	if len(c.labelSets) >= maxLabelSets {
		return m
	}
	shared := make(map[string]string, len(m))
	for k, v := range m {
		shared[c.str(k)] = c.str(v)
	}
	c.labelSets[key] = shared
	return shared
}

// meta compacts what objects share in their metadata. Callers hold c.mu.
func (c *Compactor) meta(tm *metav1.TypeMeta, om *metav1.ObjectMeta) {
	tm.APIVersion, tm.Kind = c.str(tm.APIVersion), c.str(tm.Kind)
	om.Namespace = c.str(om.Namespace)
	om.Labels = c.labels(om.Labels)
	if len(om.Annotations) > 0 {
		annotations := make(map[string]string, len(om.Annotations))
		for k, v := range om.Annotations {
			annotations[c.str(k)] = v
		}
		om.Annotations = annotations
	}
	for i := range om.OwnerReferences {
		ref := &om.OwnerReferences[i]
		ref.APIVersion, ref.Kind = c.str(ref.APIVersion), c.str(ref.Kind)
		ref.Controller = sharedBool(ref.Controller)
		ref.BlockOwnerDeletion = sharedBool(ref.BlockOwnerDeletion)
	}
}

var sharedTrue, sharedFalse = true, false

func sharedBool(b *bool) *bool {
	switch {
	case b == nil:
		return nil
	case *b:
		return &sharedTrue
	default:
		return &sharedFalse
	}
}

// Transform compacts Secrets and ExternalSecrets: a cache transform
// (cache.ByObject.Transform). It drops the managed fields of both, and kubectl's
// last-applied-configuration of ExternalSecrets (TrimMetadata), which Ferry only patches;
// Secrets keep it, as Ferry writes managed Secrets back whole.
func (c *Compactor) Transform(in any) (any, error) {
	switch o := in.(type) {
	case *corev1.Secret:
		o.ManagedFields = nil
		c.mu.Lock()
		defer c.mu.Unlock()
		c.meta(&o.TypeMeta, &o.ObjectMeta)
		o.Type = corev1.SecretType(c.str(string(o.Type)))
	case *esv1.ExternalSecret:
		TrimMetadata(o)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.meta(&o.TypeMeta, &o.ObjectMeta)
		c.externalSecret(o)
	}
	return in, nil
}

// externalSecret compacts what ExternalSecrets repeat in their spec and status. Callers
// hold c.mu.
func (c *Compactor) externalSecret(es *esv1.ExternalSecret) {
	s := &es.Spec
	s.SecretStoreRef.Name, s.SecretStoreRef.Kind = c.str(s.SecretStoreRef.Name), c.str(s.SecretStoreRef.Kind)
	s.Target.CreationPolicy = esv1.ExternalSecretCreationPolicy(c.str(string(s.Target.CreationPolicy)))
	s.Target.DeletionPolicy = esv1.ExternalSecretDeletionPolicy(c.str(string(s.Target.DeletionPolicy)))
	s.RefreshPolicy = esv1.ExternalSecretRefreshPolicy(c.str(string(s.RefreshPolicy)))
	for i := range s.Data {
		d := &s.Data[i]
		d.SecretKey = c.str(d.SecretKey)
		c.remoteRef(&d.RemoteRef)
		if d.SourceRef != nil && d.SourceRef.SecretStoreRef != nil {
			ref := d.SourceRef.SecretStoreRef
			ref.Name, ref.Kind = c.str(ref.Name), c.str(ref.Kind)
		}
	}
	for i := range s.DataFrom {
		d := &s.DataFrom[i]
		if d.Extract != nil {
			c.remoteRef(d.Extract)
		}
		if d.SourceRef != nil && d.SourceRef.SecretStoreRef != nil {
			ref := d.SourceRef.SecretStoreRef
			ref.Name, ref.Kind = c.str(ref.Name), c.str(ref.Kind)
		}
	}
	for i := range es.Status.Conditions {
		cond := &es.Status.Conditions[i]
		cond.Type = esv1.ExternalSecretConditionType(c.str(string(cond.Type)))
		cond.Status = corev1.ConditionStatus(c.str(string(cond.Status)))
		cond.Reason = c.str(cond.Reason)
		if cond.Status == corev1.ConditionTrue {
			// A failure's message may name what failed, and would fill the strings.
			cond.Message = c.str(cond.Message)
		}
	}
}

// remoteRef compacts a remote reference. Callers hold c.mu.
func (c *Compactor) remoteRef(r *esv1.ExternalSecretDataRemoteRef) {
	r.Key, r.Property, r.Version = c.str(r.Key), c.str(r.Property), c.str(r.Version)
	r.ConversionStrategy = esv1.ExternalSecretConversionStrategy(c.str(string(r.ConversionStrategy)))
	r.DecodingStrategy = esv1.ExternalSecretDecodingStrategy(c.str(string(r.DecodingStrategy)))
	r.MetadataPolicy = esv1.ExternalSecretMetadataPolicy(c.str(string(r.MetadataPolicy)))
}
