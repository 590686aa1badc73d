package externalsecret

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/failure"
)

// apply makes the target Secret hold data, under the creation and deletion policies.
// Every write is one request, so a Secret is never left half-written.
func (r *Reconciler) apply(ctx context.Context, s *scope, data map[string][]byte, missing []string) (outcome, error) {
	es := s.es
	policy := creationPolicy(es)
	if len(missing) > 0 {
		switch deletionPolicy(es) {
		case esv1.DeletionPolicyRetain:
			return unchanged, failure.Permanent(esv1.ReasonSecretSyncedError,
				"remote secret %s not found; the Secret is kept as it is (deletionPolicy Retain)", quoteList(missing))
		case esv1.DeletionPolicyDelete:
			if len(data) == 0 {
				return r.deleteTarget(ctx, s)
			}
		}
		// Merge, or Delete with some keys left: write what remains.
	}
	shaped, err := r.render(ctx, s, data)
	if err != nil {
		return unchanged, err
	}
	if policy == esv1.CreatePolicyNone {
		return notWritten, nil
	}
	data = shaped.Data
	s.labels, s.annotations = shaped.Labels, shaped.Annotations
	if s.target == nil {
		o, err := r.create(ctx, s, data)
		if o == created || err != nil {
			return o, err
		}
		// The Secret exists, unmanaged: adopt it or refuse, as for one read up front.
	}
	target := s.target
	if err := checkOwner(es, target); err != nil {
		return unchanged, err
	}
	desired := target.DeepCopy()
	if err := r.shape(s, desired, data); err != nil {
		return unchanged, err
	}
	if equality.Semantic.DeepEqual(target, desired) {
		return unchanged, nil
	}
	if err := checkData(desired); err != nil {
		return unchanged, err
	}
	if target.Immutable != nil && *target.Immutable && !equality.Semantic.DeepEqual(target.Data, desired.Data) {
		return unchanged, failure.Permanent(esv1.ReasonSecretSyncedError,
			"target Secret %s is immutable and its data would change: delete it so Ferry can create it again", target.Name)
	}
	r.Metrics.SecretWrite("update")
	if err := r.Client.Update(ctx, desired); err != nil {
		if apierrors.IsConflict(err) {
			return unchanged, failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("updating Secret %s: it changed meanwhile: %w", target.Name, err))
		}
		return unchanged, failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("updating Secret %s: %w", target.Name, err))
	}
	return updated, nil
}

// create creates the target Secret. When one exists already (the cache holds managed
// Secrets only, so a first sync does not read before it writes), it reads that Secret into
// s.target and returns unchanged, for apply to adopt or refuse it.
func (r *Reconciler) create(ctx context.Context, s *scope, data map[string][]byte) (outcome, error) {
	es := s.es
	key := client.ObjectKey{Namespace: es.Namespace, Name: targetName(es)}
	if creationPolicy(es) == esv1.CreatePolicyMerge {
		return unchanged, failure.Permanent(esv1.ReasonSecretMissing,
			"target Secret %s does not exist and creationPolicy Merge only merges into an existing Secret: create it, or use CreateOrMerge",
			key.Name)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	if err := r.shape(s, secret, data); err != nil {
		return unchanged, err
	}
	if err := checkData(secret); err != nil {
		return unchanged, err
	}
	r.Metrics.SecretWrite("create")
	err := r.Client.Create(ctx, secret)
	switch {
	case err == nil:
		return created, nil
	case !apierrors.IsAlreadyExists(err):
		return unchanged, failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("creating Secret %s: %w", key.Name, err))
	}
	existing, err := r.readUncached(ctx, key)
	if err != nil || existing == nil { // deleted since: the next try creates it
		return unchanged, failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("creating Secret %s: it exists: %w", key.Name, err))
	}
	s.secrets.AddMap(existing.Data)
	s.target = existing
	return unchanged, nil
}

// checkData refuses data the API server would refuse, keys that are no valid Secret key
// and more than Kubernetes' 1 MiB, so that the reason is clear and a write that cannot
// succeed is not retried. Keys come from the provider (dataFrom) and may be anything.
func checkData(secret *corev1.Secret) error {
	size := 0
	for _, k := range slices.Sorted(maps.Keys(secret.Data)) {
		if problems := validation.IsConfigMapKey(k); len(problems) > 0 {
			return failure.Permanent(esv1.ReasonSecretSyncedError, "key %q is not a valid Secret key: %s: rename it with dataFrom[].rewrite",
				k, strings.Join(problems, "; "))
		}
		size += len(secret.Data[k])
	}
	if size > corev1.MaxSecretSize {
		return failure.Permanent(esv1.ReasonSecretSyncedError,
			"the Secret's data would be %d bytes, over Kubernetes' limit of %d bytes (1 MiB): split the keys over several ExternalSecrets",
			size, corev1.MaxSecretSize)
	}
	return nil
}

// checkOwner refuses a Secret that another object controls.
func checkOwner(es *esv1.ExternalSecret, target *corev1.Secret) error {
	owner := metav1.GetControllerOf(target)
	if owner == nil || owner.UID == es.UID {
		return nil
	}
	return failure.Permanent(esv1.ReasonSecretOwnedElsewhere,
		"target Secret %s is already owned by %s %s: two ExternalSecrets cannot own one Secret; change spec.target.name",
		target.Name, owner.Kind, owner.Name)
}

// shape sets the data, type, labels, annotations and owner of secret for this object.
func (r *Reconciler) shape(s *scope, secret *corev1.Secret, data map[string][]byte) error {
	es := s.es
	policy := creationPolicy(es)
	if secret.Labels == nil {
		secret.Labels = map[string]string{}
	}
	if secret.Annotations == nil {
		secret.Annotations = map[string]string{}
	}
	maps.Copy(secret.Labels, s.labels)
	maps.Copy(secret.Annotations, s.annotations)
	if t := es.Spec.Target.Template; t != nil {
		for _, f := range t.Metadata.Finalizers {
			controllerutil.AddFinalizer(secret, f)
		}
		if t.Type != "" {
			secret.Type = t.Type
		}
	}
	if secret.Type == "" {
		secret.Type = corev1.SecretTypeOpaque
	}
	secret.Labels[esv1.LabelManaged] = esv1.LabelManagedValue

	if merges(es) {
		merged := map[string][]byte{}
		maps.Copy(merged, secret.Data)
		for _, k := range managedKeys(secret) {
			delete(merged, k)
		}
		maps.Copy(merged, data)
		secret.Data = merged
		if len(data) > 0 {
			secret.Annotations[managedKeysAnnotation] = strings.Join(slices.Sorted(maps.Keys(data)), ",")
		} else {
			delete(secret.Annotations, managedKeysAnnotation)
		}
	} else {
		secret.Data = data
	}
	secret.Annotations[esv1.AnnotationDataHash] = r.HashKey.Data(managedData(es, secret))
	if es.Spec.Target.Immutable {
		secret.Immutable = ptrTo(true)
	}
	if policy == esv1.CreatePolicyOwner {
		if err := controllerutil.SetControllerReference(es, secret, r.Client.Scheme()); err != nil {
			return failure.Permanent(esv1.ReasonSecretOwnedElsewhere, "setting owner of Secret %s: %v", secret.Name, err)
		}
	}
	return nil
}

// deleteTarget deletes the target Secret for deletionPolicy Delete, but only a Secret this
// object manages.
func (r *Reconciler) deleteTarget(ctx context.Context, s *scope) (outcome, error) {
	target := s.target
	if target == nil { // not in the cache of managed Secrets: an unmanaged one may exist
		var err error
		if target, err = r.readUncached(ctx, client.ObjectKey{Namespace: s.es.Namespace, Name: targetName(s.es)}); err != nil || target == nil {
			return deleted, err
		}
	}
	if target.Labels[esv1.LabelManaged] != esv1.LabelManagedValue {
		return unchanged, failure.Permanent(esv1.ReasonSecretSyncedError,
			"the remote data is gone but Secret %s is not managed by Ferry, so it is kept", target.Name)
	}
	if err := checkOwner(s.es, target); err != nil {
		return unchanged, err
	}
	r.Metrics.SecretWrite("delete")
	err := r.Client.Delete(ctx, target, client.Preconditions{UID: &target.UID, ResourceVersion: &target.ResourceVersion})
	if err != nil && !apierrors.IsNotFound(err) {
		return unchanged, failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("deleting Secret %s: %w", target.Name, err))
	}
	return deleted, nil
}

func quoteList(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return strings.Join(q, ", ")
}

func ptrTo[T any](v T) *T { return &v }
