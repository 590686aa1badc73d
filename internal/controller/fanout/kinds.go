package fanout

import (
	"maps"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/conditions"
	"github.com/ferryhq/ferry/internal/metrics"
)

// ExternalSecrets is the ClusterExternalSecret: an ExternalSecret in each namespace named
// (spec.namespaces) or selected (spec.namespaceSelector, spec.namespaceSelectors).
func ExternalSecrets() Kind[*esv1.ClusterExternalSecret, *esv1.ExternalSecret] {
	return Kind[*esv1.ClusterExternalSecret, *esv1.ExternalSecret]{
		Parent: esv1.ClusterExternalSecretKind, Child: esv1.ExtSecretKind, Metrics: metrics.ClusterExternalSecret,
		NewParent:     func() *esv1.ClusterExternalSecret { return &esv1.ClusterExternalSecret{} },
		NewChild:      func() *esv1.ExternalSecret { return &esv1.ExternalSecret{} },
		NewParentList: func() client.ObjectList { return &esv1.ClusterExternalSecretList{} },
		Selection: func(p *esv1.ClusterExternalSecret) Selection {
			sel := Selection{Selectors: p.Spec.NamespaceSelectors}
			if p.Spec.NamespaceSelector != nil {
				sel.Selectors = append(sel.Selectors[:len(sel.Selectors):len(sel.Selectors)], p.Spec.NamespaceSelector)
			}
			for _, n := range p.Spec.Namespaces {
				sel.Names = append(sel.Names, string(n))
			}
			return sel
		},
		ChildName: func(p *esv1.ClusterExternalSecret) string { return nameOr(p.Spec.ExternalSecretName, p.Name) },
		Refresh:   func(p *esv1.ClusterExternalSecret) time.Duration { return duration(p.Spec.RefreshInterval) },
		Shape: func(p *esv1.ClusterExternalSecret, c *esv1.ExternalSecret) {
			c.Spec = *p.Spec.ExternalSecretSpec.DeepCopy()
			mergeMetadata(c, p.Spec.ExternalSecretMetadata)
		},
		SameSpec: func(a, b *esv1.ExternalSecret) bool { return equality.Semantic.DeepEqual(a.Spec, b.Spec) },
		Status: func(p *esv1.ClusterExternalSecret) Outcome {
			return Outcome{ChildName: p.Status.ExternalSecretName, Provisioned: p.Status.ProvisionedNamespaces,
				Failed: p.Status.FailedNamespaces}
		},
		SetStatus: func(p *esv1.ClusterExternalSecret, o Outcome) {
			p.Status.ExternalSecretName, p.Status.ProvisionedNamespaces, p.Status.FailedNamespaces = o.ChildName, o.Provisioned, o.Failed
			conditions.Set(&p.Status.Conditions, esv1.ClusterExternalSecretStatusCondition{
				Type: esv1.ClusterExternalSecretReady, Status: status(o.Ready), Message: o.Message})
		},
		ReadyStatus: func(p *esv1.ClusterExternalSecret) string {
			if c := conditions.Find(p.Status.Conditions, string(esv1.ClusterExternalSecretReady)); c != nil {
				return string(c.Status)
			}
			return ""
		},
	}
}

// PushSecrets is the ClusterPushSecret: a PushSecret in each namespace selected by
// spec.namespaceSelectors.
func PushSecrets() Kind[*esv1alpha1.ClusterPushSecret, *esv1alpha1.PushSecret] {
	return Kind[*esv1alpha1.ClusterPushSecret, *esv1alpha1.PushSecret]{
		Parent: esv1alpha1.ClusterPushSecretKind, Child: "PushSecret", Metrics: metrics.ClusterPushSecret,
		NewParent:     func() *esv1alpha1.ClusterPushSecret { return &esv1alpha1.ClusterPushSecret{} },
		NewChild:      func() *esv1alpha1.PushSecret { return &esv1alpha1.PushSecret{} },
		NewParentList: func() client.ObjectList { return &esv1alpha1.ClusterPushSecretList{} },
		Selection: func(p *esv1alpha1.ClusterPushSecret) Selection {
			return Selection{Selectors: p.Spec.NamespaceSelectors}
		},
		ChildName: func(p *esv1alpha1.ClusterPushSecret) string { return nameOr(p.Spec.PushSecretName, p.Name) },
		Refresh:   func(p *esv1alpha1.ClusterPushSecret) time.Duration { return duration(p.Spec.RefreshInterval) },
		Shape: func(p *esv1alpha1.ClusterPushSecret, c *esv1alpha1.PushSecret) {
			c.Spec = *p.Spec.PushSecretSpec.DeepCopy()
			mergeMetadata(c, p.Spec.PushSecretMetadata)
		},
		SameSpec: func(a, b *esv1alpha1.PushSecret) bool { return equality.Semantic.DeepEqual(a.Spec, b.Spec) },
		Status: func(p *esv1alpha1.ClusterPushSecret) Outcome {
			return Outcome{ChildName: p.Status.PushSecretName, Provisioned: p.Status.ProvisionedNamespaces,
				Failed: p.Status.FailedNamespaces}
		},
		SetStatus: func(p *esv1alpha1.ClusterPushSecret, o Outcome) {
			p.Status.PushSecretName, p.Status.ProvisionedNamespaces, p.Status.FailedNamespaces = o.ChildName, o.Provisioned, o.Failed
			conditions.Set(&p.Status.Conditions, esv1alpha1.PushSecretStatusCondition{
				Type: readyCondition, Status: status(o.Ready), Message: o.Message, LastTransitionTime: metav1.Now()})
		},
		ReadyStatus: func(p *esv1alpha1.ClusterPushSecret) string {
			if c := conditions.Find(p.Status.Conditions, readyCondition); c != nil {
				return string(c.Status)
			}
			return ""
		},
	}
}

const readyCondition = "Ready"

func nameOr(name, fallback string) string {
	if name != "" {
		return name
	}
	return fallback
}

func duration(d *esv1.Duration) time.Duration {
	if d != nil && d.Err() == nil && d.Duration > 0 {
		return d.Duration
	}
	return 0
}

func status(ready bool) metav1.ConditionStatus {
	if ready {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}

// mergeMetadata adds the labels and annotations the parent asks for to the child's own.
func mergeMetadata(child client.Object, m *esv1.ExternalSecretMetadata) {
	if m == nil {
		return
	}
	if len(m.Labels) > 0 {
		l := child.GetLabels()
		if l == nil {
			l = map[string]string{}
		}
		maps.Copy(l, m.Labels)
		child.SetLabels(l)
	}
	if len(m.Annotations) > 0 {
		a := child.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		maps.Copy(a, m.Annotations)
		child.SetAnnotations(a)
	}
}
