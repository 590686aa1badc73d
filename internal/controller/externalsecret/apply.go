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
	ctrl "sigs.k8s.io/controller-runtime"
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
				"remote secret %s not found; the %s is kept as it is (deletionPolicy Retain)", quoteList(missing), targetKind(es))
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
	if isGeneric(es) {
		s.labels, s.annotations = shaped.Labels, shaped.Annotations
		return r.applyGeneric(ctx, s, shaped)
	}
	if len(shaped.Fields) > 0 {
		return unchanged, failure.Permanent(esv1.ReasonInvalidSpec,
			"spec.target.template.templateFrom: a field path target needs a generic target (spec.target.manifest); a Secret takes Data, Annotations or Labels")
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
	if err := checkOwner(es, target, "Secret"); err != nil {
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
	if err := r.write(ctx, s, desired, func() error { return r.Client.Update(ctx, desired) }); err != nil {
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
	err := r.write(ctx, s, secret, func() error { return r.Client.Create(ctx, secret) })
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

// write runs op, a write of secret by s's object, so that its watch event does not queue
// the object again (echoes.go), and has the object reconciled again when an event held
// back meanwhile showed someone else's change.
func (r *Reconciler) write(ctx context.Context, s *scope, secret *corev1.Secret, op func() error) error {
	target, writer := client.ObjectKeyFromObject(secret), key(s)
	r.echoes.writing(target, writer, s.now)
	err := op()
	written := ""
	if err == nil {
		written = secret.ResourceVersion
	}
	if r.echoes.wrote(target, writer, written) {
		ctrl.LoggerFrom(ctx).Info("The target Secret changed while this sync wrote it: syncing again", "secret", target.Name)
		s.eventMissed = true
	}
	return err
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

// checkOwner refuses a target (a Secret, or the kind of a generic target) that another
// object controls.
func checkOwner(es *esv1.ExternalSecret, target metav1.Object, kind string) error {
	owner := metav1.GetControllerOf(target)
	if owner == nil || owner.UID == es.UID {
		return nil
	}
	return failure.Permanent(esv1.ReasonSecretOwnedElsewhere,
		"target %s %s is already owned by %s %s: two ExternalSecrets cannot own one %s; change spec.target.name",
		kind, target.GetName(), owner.Kind, owner.Name, kind)
}

// shapeMeta sets what every target carries, a Secret or a generic one: the rendered labels
// and annotations, the template's finalizers, the managed label and, under creationPolicy
// Owner, the ExternalSecret as controller.
func (r *Reconciler) shapeMeta(s *scope, target client.Object, kind string) error {
	es := s.es
	labels, annotations := target.GetLabels(), target.GetAnnotations()
	if labels == nil {
		labels = map[string]string{}
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	maps.Copy(labels, s.labels)
	maps.Copy(annotations, s.annotations)
	labels[esv1.LabelManaged] = esv1.LabelManagedValue
	target.SetLabels(labels)
	target.SetAnnotations(annotations)
	if t := es.Spec.Target.Template; t != nil {
		for _, f := range t.Metadata.Finalizers {
			controllerutil.AddFinalizer(target, f)
		}
	}
	if creationPolicy(es) == esv1.CreatePolicyOwner {
		if err := controllerutil.SetControllerReference(es, target, r.Client.Scheme()); err != nil {
			return failure.Permanent(esv1.ReasonSecretOwnedElsewhere, "setting owner of %s %s: %v", kind, target.GetName(), err)
		}
	}
	return nil
}

// shape sets the data, type, labels, annotations and owner of secret for this object.
func (r *Reconciler) shape(s *scope, secret *corev1.Secret, data map[string][]byte) error {
	es := s.es
	if err := r.shapeMeta(s, secret, "Secret"); err != nil {
		return err
	}
	if t := es.Spec.Target.Template; t != nil && t.Type != "" {
		secret.Type = t.Type
	}
	if secret.Type == "" {
		secret.Type = corev1.SecretTypeOpaque
	}

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
	return nil
}

// deleteTarget deletes the target for deletionPolicy Delete, but only a target this
// object manages.
func (r *Reconciler) deleteTarget(ctx context.Context, s *scope) (outcome, error) {
	if isGeneric(s.es) {
		if s.object == nil { // read at the start of the reconcile
			return deleted, nil
		}
		return r.deleteManaged(ctx, s, s.object)
	}
	target := s.target
	if target == nil { // not in the cache of managed Secrets: an unmanaged one may exist
		var err error
		if target, err = r.readUncached(ctx, client.ObjectKey{Namespace: s.es.Namespace, Name: targetName(s.es)}); err != nil || target == nil {
			return deleted, err
		}
	}
	return r.deleteManaged(ctx, s, target)
}

// deleteManaged deletes target, a Secret or a generic target, when this object manages it.
func (r *Reconciler) deleteManaged(ctx context.Context, s *scope, target client.Object) (outcome, error) {
	kind := targetKind(s.es)
	if target.GetLabels()[esv1.LabelManaged] != esv1.LabelManagedValue {
		return unchanged, failure.Permanent(esv1.ReasonSecretSyncedError,
			"the remote data is gone but %s %s is not managed by Ferry, so it is kept", kind, target.GetName())
	}
	if err := checkOwner(s.es, target, kind); err != nil {
		return unchanged, err
	}
	r.Metrics.SecretWrite("delete")
	uid, version := target.GetUID(), target.GetResourceVersion()
	writer := r.Client
	if isGeneric(s.es) {
		writer = r.genericWriter()
	}
	err := writer.Delete(ctx, target, client.Preconditions{UID: &uid, ResourceVersion: &version})
	if err != nil && !apierrors.IsNotFound(err) {
		return unchanged, failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("deleting %s %s: %w", kind, target.GetName(), err))
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
