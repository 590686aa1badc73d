package rollout

import (
	"context"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/cachesync"
	"github.com/ferryhq/ferry/internal/cacheview"
	"github.com/ferryhq/ferry/internal/secretmeta"
	"github.com/ferryhq/ferry/internal/shard"
)

func configMapMetadata() *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}}
}

func namespaceMetadata() *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}}
}

func metadataList(kind string) *metav1.PartialObjectMetadataList {
	return &metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: kind + "List"}}
}

// ownCache is a cache the rollout keeps beside the manager's: GetCache makes the manager
// start it with its own caches, before any controller. The metadata of Secrets and
// ConfigMaps is one (newSourceCache): the manager's cache keys its settings by
// GroupVersionKind, so a metadata watch of Secrets there would share the managed-label
// selector of the Secret data cache and see only managed Secrets. The workload views are the
// other (newWorkloadCache): their scheme is not the manager's.
type ownCache struct{ cache.Cache }

// GetCache returns the cache itself.
func (c ownCache) GetCache() cache.Cache { return c.Cache }

// newSourceCache returns a cache of metadata only: of Secrets that do not carry the managed
// label (managed ones are in the manager's cache, with their data), unless another cache
// holds them (sharedSecrets), and of every ConfigMap, both narrowed by the resource label
// selector and left out when ignored; and of Namespaces when a namespace selector is set. It
// keeps, of each object, its identity and the annotations Ferry reads on sources (and the
// labels of Namespaces).
func newSourceCache(cfg *rest.Config, scheme *runtime.Scheme, mapper meta.RESTMapper, httpClient *http.Client, opts Options, sharedSecrets bool, shards *shard.Gate) (ownCache, error) {
	resources, err := labels.Parse(opts.ResourceLabelSelector)
	if err != nil {
		return ownCache{}, fmt.Errorf("resource label selector: %w", err)
	}
	notManaged, err := labels.NewRequirement(esv1.LabelManaged, selection.NotEquals, []string{esv1.LabelManagedValue})
	if err != nil {
		return ownCache{}, err
	}
	byObject := map[client.Object]cache.ByObject{}
	if !opts.IgnoreSecrets && !sharedSecrets {
		byObject[secretmeta.Object()] = cache.ByObject{Label: resources.Add(*notManaged), Transform: slimMetadata}
	}
	if !opts.IgnoreConfigMaps {
		byObject[configMapMetadata()] = cache.ByObject{Label: resources, Transform: slimMetadata}
	}
	if opts.NamespaceSelector != "" {
		byObject[namespaceMetadata()] = cache.ByObject{Transform: cache.TransformStripManagedFields()}
	}
	cacheOpts := cache.Options{Scheme: scheme, Mapper: mapper, HTTPClient: httpClient, ByObject: byObject,
		NewInformer: shards.NewInformer(scheme)}
	cacheOpts.DefaultNamespaces = cacheNamespaces(opts.Namespaces)
	c, err := cachesync.New(cfg, cacheOpts)
	if err != nil {
		return ownCache{}, fmt.Errorf("creating the Secret and ConfigMap metadata cache: %w", err)
	}
	return ownCache{c}, nil
}

// slimMetadata keeps what the watch needs of a source's metadata: name, namespace,
// resourceVersion and the ignore and match annotations. It drops managed fields, labels,
// owners and every other annotation — among them kubectl's last-applied-configuration,
// which on a Secret holds its data.
func slimMetadata(in any) (any, error) {
	m, ok := in.(*metav1.PartialObjectMetadata)
	if !ok {
		return in, nil
	}
	var kept map[string]string
	for k, v := range m.Annotations {
		if IsSourceAnnotation(k) {
			if kept == nil {
				kept = map[string]string{}
			}
			kept[k] = v
		}
	}
	m.Annotations, m.Labels, m.ManagedFields, m.OwnerReferences, m.UID = kept, nil, nil, nil, ""
	return m, nil
}

// IsSourceAnnotation reports whether key is an annotation Ferry reads on a Secret or
// ConfigMap (ignore, match): a metadata cache of sources must keep these.
func IsSourceAnnotation(key string) bool {
	switch key {
	case ReloaderIgnore, ReloaderMatch, FerryIgnore, FerryMatch:
		return true
	}
	return false
}

// sourceData is what Ferry reads of a source: the data of a Secret or ConfigMap, with its
// annotations and labels, or the versions of a SecretProviderClass's objects.
type sourceData struct {
	data        map[string][]byte
	annotations map[string]string
	labels      map[string]string
	// held is set for a SecretProviderClass without a settled state (classVersions): it
	// keeps the digest recorded for it, neither changed nor missing.
	held bool
}

// sourceReader reads sources: managed Secrets from the manager's cache, other Secrets and
// ConfigMaps straight from the API server, so their data is never cached. meta is the
// metadata cache of ConfigMaps and Namespaces, secretMeta that of unmanaged Secrets (the
// same cache, unless shared), for names; podStatuses reads SecretProviderClasses.
type sourceReader struct {
	cached      client.Reader
	direct      client.Reader
	meta        client.Reader
	secretMeta  client.Reader
	podStatuses podStatuses
	// secretsComplete and configMapsComplete say the metadata cache of the kind holds
	// every one that may be read (no resource label selector narrows it, the kind is not
	// ignored): one that neither it nor the managed cache holds does not exist, or not yet
	// — its create event will queue its workloads — and is not asked of the API server. At
	// a cold start, workloads reference Secrets not synced yet.
	secretsComplete, configMapsComplete bool
}

// names lists the names of the sources of one kind in a namespace, from the caches.
func (sr sourceReader) names(ctx context.Context, namespace string, kind SourceKind) ([]string, error) {
	if kind == KindSecretProviderClass {
		return sr.podStatuses.classNames(ctx, namespace)
	}
	var out []string
	listKind, meta := "ConfigMap", sr.meta
	if kind == KindSecret {
		listKind, meta = "Secret", sr.secretMeta
		var managed corev1.SecretList
		if err := sr.cached.List(ctx, &managed, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("listing managed Secrets: %w", err)
		}
		for i := range managed.Items {
			out = append(out, managed.Items[i].Name)
		}
	}
	if kind == KindSecret {
		names, err := secretmeta.Names(ctx, sr.secretMeta, namespace)
		return append(out, names...), err
	}
	list := metadataList(listKind)
	if err := meta.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing %ss: %w", listKind, err)
	}
	for i := range list.Items {
		out = append(out, list.Items[i].Name)
	}
	return out, nil
}

// read returns the source, or nil when it does not exist. A SecretProviderClass is never
// missing: without a settled state it is held. A Secret or ConfigMap that the complete
// metadata caches do not hold is missing, unless confirm asks the API server.
func (sr sourceReader) read(ctx context.Context, namespace string, ref Ref, confirm bool) (*sourceData, error) {
	if len(validation.IsDNS1123Subdomain(ref.Name)) > 0 {
		// No object can have this name ("other-namespace/name" in a reload list): it is
		// missing, and must not stop the workload's other sources from being watched.
		return nil, nil
	}
	if ref.Kind == KindSecretProviderClass {
		return sr.podStatuses.read(ctx, namespace, ref.Name)
	}
	key := client.ObjectKey{Namespace: namespace, Name: ref.Name}
	if ref.Kind == KindSecret {
		var secret corev1.Secret
		err := sr.cached.Get(ctx, key, &secret)
		if apierrors.IsNotFound(err) { // not managed (or not yet in the cache): ask the API server
			if sr.secretsComplete && !confirm {
				if known, err := secretmeta.Has(ctx, sr.secretMeta, key); err != nil || !known {
					return nil, err
				}
			}
			err = sr.direct.Get(ctx, key, &secret)
		}
		switch {
		case apierrors.IsNotFound(err):
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("reading Secret %s: %w", ref.Name, err)
		}
		return &sourceData{data: secret.Data, annotations: secret.Annotations, labels: secret.Labels}, nil
	}
	if known, err := known(ctx, sr.configMapsComplete && !confirm, sr.meta, configMapMetadata(), key); err != nil || !known {
		return nil, err
	}
	var cm corev1.ConfigMap
	if err := sr.direct.Get(ctx, key, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading ConfigMap %s: %w", ref.Name, err)
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData { // the API server keeps the keys of Data and BinaryData apart
		data[k] = v
	}
	return &sourceData{data: data, annotations: cm.Annotations, labels: cm.Labels}, nil
}

// known says whether the object key may exist, from the metadata cache meta of its kind
// (obj): false only when that cache is complete and does not hold it.
func known(ctx context.Context, complete bool, meta client.Reader, obj *metav1.PartialObjectMetadata, key client.ObjectKey) (bool, error) {
	if !complete {
		return true, nil
	}
	ok, err := cacheview.Has(ctx, meta, obj, key)
	if err != nil {
		return false, fmt.Errorf("reading the metadata of %s %s: %w", obj.Kind, key.Name, err)
	}
	return ok, nil
}

// shortDigest is the part of a keyed digest recorded per source.
func shortDigest(digest string) string { return digest[:16] }

// cacheNamespaces restricts a cache to namespaces; none leaves it cluster-wide.
func cacheNamespaces(namespaces []string) map[string]cache.Config {
	if len(namespaces) == 0 {
		return nil
	}
	m := make(map[string]cache.Config, len(namespaces))
	for _, ns := range namespaces {
		m[ns] = cache.Config{}
	}
	return m
}
