package clusterexternalsecret

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// selected returns the names of the namespaces the ClusterExternalSecret selects, sorted:
// a namespace is selected when it is named, or matches namespaceSelector or any of
// namespaceSelectors. Terminating namespaces are left out.
func selected(ces *esv1.ClusterExternalSecret, namespaces []corev1.Namespace) ([]string, error) {
	selectors := slices.Clone(ces.Spec.NamespaceSelectors)
	if ces.Spec.NamespaceSelector != nil {
		selectors = append(selectors, ces.Spec.NamespaceSelector)
	}
	parsed := make([]labels.Selector, 0, len(selectors))
	for i, sel := range selectors {
		if sel == nil {
			continue
		}
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			return nil, fmt.Errorf("namespace selector %d: %w", i, err)
		}
		parsed = append(parsed, s)
	}
	var out []string
	for _, ns := range namespaces {
		if ns.Status.Phase == corev1.NamespaceTerminating || !ns.DeletionTimestamp.IsZero() {
			continue
		}
		match := slices.Contains(ces.Spec.Namespaces, esv1.NamespaceName(ns.Name))
		for _, s := range parsed {
			// An empty selector would select every namespace; ESO treats it as selecting none.
			if !s.Empty() && s.Matches(labels.Set(ns.Labels)) {
				match = true
			}
		}
		if match {
			out = append(out, ns.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}
