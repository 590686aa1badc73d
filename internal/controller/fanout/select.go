package fanout

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Selection is how a parent names its namespaces: by name, or by any of the label
// selectors.
type Selection struct {
	Names     []string
	Selectors []*metav1.LabelSelector
}

// Selected returns the names of the namespaces sel selects, sorted: a namespace is
// selected when it is named or matches any selector. An empty selector selects nothing (as
// in ESO, where it would otherwise select every namespace). Terminating namespaces are
// left out.
func Selected(sel Selection, namespaces []corev1.Namespace) ([]string, error) {
	parsed := make([]labels.Selector, 0, len(sel.Selectors))
	for i, s := range sel.Selectors {
		if s == nil {
			continue
		}
		p, err := metav1.LabelSelectorAsSelector(s)
		if err != nil {
			return nil, fmt.Errorf("namespace selector %d: %w", i, err)
		}
		parsed = append(parsed, p)
	}
	var out []string
	for _, ns := range namespaces {
		if ns.Status.Phase == corev1.NamespaceTerminating || !ns.DeletionTimestamp.IsZero() {
			continue
		}
		match := slices.Contains(sel.Names, ns.Name)
		for _, s := range parsed {
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
