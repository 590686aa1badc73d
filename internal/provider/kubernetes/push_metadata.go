package kubernetes

import (
	"fmt"
	"maps"

	"github.com/ferryhq/ferry/internal/provider"
)

// pushMetadata is the metadata a PushSecret entry may give the remote Secret: the keys ESO's
// Kubernetes provider reads, with its meaning.
type pushMetadata struct {
	// Labels and Annotations are set on the remote Secret as TargetMergePolicy says.
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	// TargetMergePolicy is Merge (the default: set these over the Secret's own), Replace
	// (these only) or Ignore (leave the Secret's alone).
	TargetMergePolicy string `json:"targetMergePolicy"`
	// SourceMergePolicy says whether these are merged over the source Secret's labels and
	// annotations (Merge, the default) or replace them (Replace).
	SourceMergePolicy string `json:"sourceMergePolicy"`
	// RemoteNamespace, for a ClusterSecretStore, is the namespace the Secret is pushed to
	// instead of the store's remoteNamespace.
	RemoteNamespace string `json:"remoteNamespace"`
}

const (
	policyMerge   = "Merge"
	policyReplace = "Replace"
	policyIgnore  = "Ignore"
)

// pushMetadataOf decodes and checks ref's metadata; clusterStore says whether the store is
// a ClusterSecretStore.
func pushMetadataOf(ref provider.PushRef, clusterStore bool) (pushMetadata, error) {
	var meta pushMetadata
	if err := provider.DecodeMetadata(ref, "kubernetes", &meta); err != nil {
		return meta, err
	}
	switch meta.TargetMergePolicy {
	case "", policyMerge, policyReplace, policyIgnore:
	default:
		return meta, fmt.Errorf("%w: metadata.spec.targetMergePolicy: %q: use Merge, Replace or Ignore", provider.ErrInvalidMetadata, meta.TargetMergePolicy)
	}
	switch meta.SourceMergePolicy {
	case "", policyMerge, policyReplace:
	default:
		return meta, fmt.Errorf("%w: metadata.spec.sourceMergePolicy: %q: use Merge or Replace", provider.ErrInvalidMetadata, meta.SourceMergePolicy)
	}
	if meta.RemoteNamespace != "" && !clusterStore {
		return meta, fmt.Errorf("%w: metadata.spec.remoteNamespace: only a ClusterSecretStore may push to another namespace; set the SecretStore's remoteNamespace instead",
			provider.ErrInvalidMetadata)
	}
	if err := provider.RefuseManagedByKey("labels", meta.Labels); err != nil {
		return meta, err
	}
	return meta, nil
}

// desired returns the labels and annotations an entry gives the remote Secret: the
// source's (as spec.template leaves them) with these over them, or these alone.
func (meta pushMetadata) desired(source *provider.SourceMeta) (map[string]string, map[string]string) {
	labels, annotations := map[string]string{}, map[string]string{}
	if source != nil && meta.SourceMergePolicy != policyReplace {
		maps.Copy(labels, source.Labels)
		maps.Copy(annotations, source.Annotations)
	}
	maps.Copy(labels, meta.Labels)
	maps.Copy(annotations, meta.Annotations)
	return labels, annotations
}

// apply returns the labels and annotations the remote Secret should carry, given those it
// has (nil when it is new) and the source's; managed-by is always among the labels.
func (meta pushMetadata) apply(source *provider.SourceMeta, labels, annotations map[string]string) (map[string]string, map[string]string) {
	wantLabels, wantAnnotations := meta.desired(source)
	outLabels, outAnnotations := map[string]string{}, map[string]string{}
	switch meta.TargetMergePolicy {
	case "", policyMerge:
		maps.Copy(outLabels, labels)
		maps.Copy(outLabels, wantLabels)
		maps.Copy(outAnnotations, annotations)
		maps.Copy(outAnnotations, wantAnnotations)
	case policyReplace:
		maps.Copy(outLabels, wantLabels)
		maps.Copy(outAnnotations, wantAnnotations)
	case policyIgnore:
		maps.Copy(outLabels, labels)
		maps.Copy(outAnnotations, annotations)
	}
	outLabels[provider.ManagedByTag] = provider.ManagedByValue
	if len(outAnnotations) == 0 {
		outAnnotations = nil
	}
	return outLabels, outAnnotations
}
