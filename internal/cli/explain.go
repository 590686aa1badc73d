package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/storeref"
)

// storeFacts is what explain learned about one store the ExternalSecret reads.
type storeFacts struct {
	kind, name string
	store      esv1.GenericStore // nil when it could not be read
	err        error             // why it could not be read; NotFound when it does not exist
}

// explainFacts is everything explain gathered; advise judges it without calling the API.
type explainFacts struct {
	es     *esv1.ExternalSecret
	stores []storeFacts
	// target is the Secret's metadata (never its data); nil when it does not exist.
	target *metav1.PartialObjectMetadata
	events []eventsv1.Event
	now    time.Time
}

// explain prints why an ExternalSecret is (not) Ready, following it to its stores and events,
// and what to do about it.
func (e *env) explain(ctx context.Context, name string) error {
	f := explainFacts{es: &esv1.ExternalSecret{}, now: e.now()}
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: e.namespace, Name: name}, f.es); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("ExternalSecret %s not found in namespace %s", name, e.namespace)
		}
		return err
	}
	for _, ref := range storeRefs(f.es) {
		sf := storeFacts{kind: ref.Kind, name: ref.Name, store: storeref.New(ref.Kind)}
		key := client.ObjectKey{Name: ref.Name}
		if ref.Kind == esv1.SecretStoreKind {
			key.Namespace = f.es.Namespace
		}
		if err := e.client.Get(ctx, key, sf.store); err != nil {
			sf.store, sf.err = nil, err
		}
		f.stores = append(f.stores, sf)
	}
	target := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}}
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: f.es.Namespace, Name: targetName(f.es)}, target); err == nil {
		f.target = target
	} else if !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading the metadata of Secret %s: %w", targetName(f.es), err)
	}
	var events eventsv1.EventList
	if err := e.client.List(ctx, &events, client.InNamespace(f.es.Namespace)); err == nil {
		f.events = relevantEvents(events.Items, f.es)
	}
	printExplanation(e.out, f)
	return nil
}

func printExplanation(out io.Writer, f explainFacts) {
	es := f.es
	fmt.Fprintf(out, "ExternalSecret %s/%s\n", es.Namespace, es.Name)
	printCondition(out, readyCondition(es), f.now)
	fmt.Fprintf(out, "  Target:   Secret %s: %s\n", targetName(es), targetState(es, f.target))
	fmt.Fprintf(out, "  Refresh:  %s\n", refreshLine(es, f.now))
	for _, s := range f.stores {
		fmt.Fprintf(out, "%s %s\n", s.kind, s.name)
		if s.store == nil {
			fmt.Fprintf(out, "  Cannot read it: %v\n", s.err)
			continue
		}
		fmt.Fprintf(out, "  Provider: %s\n", strings.Join(provider.Configured(s.store.GetSpec().Provider), ", "))
		if class := s.store.GetSpec().Controller; class != "" {
			fmt.Fprintf(out, "  Controller class: %s\n", class)
		}
		printStoreCondition(out, storeref.ReadyCondition(s.store), f.now)
	}
	if len(f.events) > 0 {
		fmt.Fprintln(out, "Events (newest first):")
		for _, ev := range f.events {
			fmt.Fprintf(out, "  %s ago  %s  %s  %s/%s: %s\n", age(f.now.Sub(eventTime(ev))), ev.Type, ev.Reason,
				ev.Regarding.Kind, ev.Regarding.Name, ev.Note)
		}
	}
	fmt.Fprintln(out, "What to do:")
	for _, line := range advise(f) {
		fmt.Fprintf(out, "  - %s\n", line)
	}
}

func printCondition(out io.Writer, c *esv1.ExternalSecretStatusCondition, now time.Time) {
	if c == nil {
		fmt.Fprintln(out, "  Ready:    Unknown (Ferry has not reported on it)")
		return
	}
	fmt.Fprintf(out, "  Ready:    %s, reason %s, since %s ago\n", c.Status, c.Reason, age(now.Sub(c.LastTransitionTime.Time)))
	if c.Message != "" {
		fmt.Fprintf(out, "  Message:  %s\n", c.Message)
	}
}

func printStoreCondition(out io.Writer, c *esv1.SecretStoreStatusCondition, now time.Time) {
	if c == nil {
		fmt.Fprintln(out, "  Ready:    Unknown (not validated yet)")
		return
	}
	fmt.Fprintf(out, "  Ready:    %s, reason %s, since %s ago\n", c.Status, c.Reason, age(now.Sub(c.LastTransitionTime.Time)))
	if c.Message != "" {
		fmt.Fprintf(out, "  Message:  %s\n", c.Message)
	}
}

func targetState(es *esv1.ExternalSecret, target *metav1.PartialObjectMetadata) string {
	switch {
	case target == nil && es.Spec.Target.CreationPolicy == esv1.CreatePolicyNone:
		return "not written (creationPolicy None)"
	case target == nil:
		return "does not exist"
	case target.Labels[esv1.LabelManaged] == esv1.LabelManagedValue:
		return "exists, managed by Ferry"
	default:
		return "exists, not (yet) managed by Ferry"
	}
}

func refreshLine(es *esv1.ExternalSecret, now time.Time) string {
	every := "1h"
	if es.Spec.RefreshInterval != nil {
		every = es.Spec.RefreshInterval.Duration.String()
	}
	last := "never"
	if !es.Status.RefreshTime.IsZero() {
		last = age(now.Sub(es.Status.RefreshTime.Time)) + " ago"
	}
	return fmt.Sprintf("every %s; Secret last written or confirmed %s; next check %s", every, last, nextRefresh(es, now))
}

// storeRefs lists the named stores an ExternalSecret reads, as the controller resolves them
// (storeref.Of); a reference without a name is the controller's InvalidSpec, not a store.
func storeRefs(es *esv1.ExternalSecret) []storeref.Key {
	var refs []storeref.Key
	for _, k := range storeref.Of(es) {
		if k.Name != "" {
			refs = append(refs, k)
		}
	}
	return refs
}

func targetName(es *esv1.ExternalSecret) string {
	if es.Spec.Target.Name != "" {
		return es.Spec.Target.Name
	}
	return es.Name
}

// relevantEvents keeps the five newest events about the ExternalSecret or its SecretStores.
func relevantEvents(all []eventsv1.Event, es *esv1.ExternalSecret) []eventsv1.Event {
	stores := map[string]bool{}
	for _, ref := range storeRefs(es) {
		if ref.Kind == esv1.SecretStoreKind {
			stores[ref.Name] = true
		}
	}
	var out []eventsv1.Event
	for _, ev := range all {
		r := ev.Regarding
		if (r.Kind == esv1.ExtSecretKind && r.Name == es.Name) || (r.Kind == esv1.SecretStoreKind && stores[r.Name]) {
			out = append(out, ev)
		}
	}
	sort.Slice(out, func(i, j int) bool { return eventTime(out[i]).After(eventTime(out[j])) })
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

func eventTime(ev eventsv1.Event) time.Time {
	switch {
	case ev.Series != nil:
		return ev.Series.LastObservedTime.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	case !ev.DeprecatedLastTimestamp.IsZero():
		return ev.DeprecatedLastTimestamp.Time
	default:
		return ev.CreationTimestamp.Time
	}
}

// advise turns the facts into next steps, most useful first.
func advise(f explainFacts) []string {
	es := f.es
	syncNow := fmt.Sprintf("After fixing it, run 'kubectl ferry sync %s -n %s' to sync at once instead of waiting for the next retry.", es.Name, es.Namespace)
	c := readyCondition(es)
	if c == nil {
		for _, s := range f.stores {
			if s.store != nil && s.store.GetSpec().Controller != "" {
				return []string{fmt.Sprintf("%s %s has spec.controller %q: only a Ferry started with --controller-class=%s handles it. Check that one runs and serves namespace %s.",
					s.kind, s.name, s.store.GetSpec().Controller, s.store.GetSpec().Controller, es.Namespace)}
			}
		}
		return []string{fmt.Sprintf("Ferry has not processed this ExternalSecret. Check that Ferry runs (kubectl get pods -A -l app.kubernetes.io/name=ferry) and serves namespace %s (a Ferry started with --namespaces serves only those); its log says why.", es.Namespace)}
	}
	if c.Status == corev1.ConditionTrue {
		return []string{"Nothing: the Secret is in sync with the store."}
	}
	var steps []string
	switch c.Reason {
	case esv1.ReasonStoreNotFound:
		ref := es.Spec.SecretStoreRef
		steps = append(steps, fmt.Sprintf("Create the store the ExternalSecret names, or point spec.secretStoreRef at one that exists ('kubectl get secretstores -n %s', 'kubectl get clustersecretstores'). It names %s %q.",
			es.Namespace, kindOrDefault(ref.Kind), ref.Name))
	case esv1.ReasonStoreNotReady, esv1.ReasonProviderNotImplemented:
		steps = append(steps, storeAdvice(f)...)
	case esv1.ReasonStoreNotAllowed:
		if strings.Contains(c.Message, "--namespace") {
			steps = append(steps, "The Ferry that serves this namespace runs for a list of namespaces only (--namespaces, chart scope.namespaces) and serves no ClusterSecretStores: use a SecretStore in the namespace, or run a cluster-wide Ferry for it.")
			break
		}
		steps = append(steps, fmt.Sprintf("The ClusterSecretStore's spec.conditions do not select namespace %s: add the namespace (or a label it carries) to them, or use a store that serves it.", es.Namespace))
	case esv1.ReasonSecretOwnedElsewhere:
		steps = append(steps, "The target Secret belongs to something else (another owner, or another ExternalSecret). Write to another Secret (spec.target.name), delete the existing one if it is stale, or use creationPolicy Merge to add keys to it.")
	case esv1.ReasonSecretMissing:
		steps = append(steps, "creationPolicy is Merge, which adds keys to an existing Secret, and the Secret does not exist: create it, or use creationPolicy Owner to let Ferry create it.")
	case esv1.ReasonInvalidSpec, esv1.ReasonNotSupported:
		steps = append(steps, "Fix the ExternalSecret's spec as the message says; Ferry syncs again as soon as it changes.")
	default:
		steps = append(steps, providerAdvice(c.Message, f.stores)...)
	}
	return append(steps, syncNow)
}

// storeAdvice follows a StoreNotReady to the store's own condition.
func storeAdvice(f explainFacts) []string {
	for _, s := range f.stores {
		if s.store == nil {
			continue
		}
		sc := storeref.ReadyCondition(s.store)
		switch {
		case sc == nil:
			return []string{fmt.Sprintf("%s %s has not been validated yet: check that Ferry runs for its controller class (%q).", s.kind, s.name, s.store.GetSpec().Controller)}
		case sc.Status == metav1.ConditionTrue:
			continue
		case sc.Reason == esv1.ReasonProviderNotImplemented:
			return []string{fmt.Sprintf("Ferry does not implement the provider of %s %s (%s) and keeps the store as written.", s.kind, s.name,
				strings.Join(provider.Configured(s.store.GetSpec().Provider), "")),
				"Leave the store to External Secrets Operator by setting its spec.controller to ESO's controller class, or move the secret to a provider Ferry implements (docs/migrating-from-eso-and-reloader.md)."}
		case sc.Reason == esv1.ReasonInvalidProviderConfig:
			return []string{fmt.Sprintf("Fix spec.provider of %s %s: %s. Ferry validates the store again as soon as it changes.", s.kind, s.name, sc.Message)}
		default:
			return []string{fmt.Sprintf("Ferry could not use %s %s: %s.", s.kind, s.name, sc.Message),
				"Check the credentials the store names (a Secret, or a ServiceAccount and the cloud or Vault role it maps to), the network path to the provider, and the provider-side policy (docs/providers/" +
					strings.Join(provider.Configured(s.store.GetSpec().Provider), "") + ".md). Ferry retries every minute."}
		}
	}
	return []string{"The store was not ready when Ferry last tried; it is now, and Ferry retries on its own."}
}

// providerAdvice reads a sync failure's message for the usual provider problems.
func providerAdvice(message string, stores []storeFacts) []string {
	lower := strings.ToLower(message)
	switch {
	case strings.Contains(lower, provider.ErrNotFound.Error()) || strings.Contains(lower, "remote secret") && strings.Contains(lower, "not found"):
		return []string{"The remote key does not exist (or not in the version asked for): check remoteRef.key, version and property against the provider. If it was deleted on purpose, spec.target.deletionPolicy says what happens to the Secret."}
	case strings.Contains(lower, "accessdenied") || strings.Contains(lower, "access denied") || strings.Contains(lower, "permission denied") ||
		strings.Contains(lower, "forbidden") || strings.Contains(lower, "not authorized") || strings.Contains(lower, "403"):
		names := make([]string, 0, len(stores))
		for _, s := range stores {
			names = append(names, s.kind+" "+s.name)
		}
		return []string{fmt.Sprintf("The provider refused the read: give the identity of %s read access to that key (the IAM or Vault policy in docs/providers/).", strings.Join(names, ", "))}
	case strings.Contains(lower, "template"):
		return []string{"The template could not be rendered: fix spec.target.template (docs/templates.md); 'ferry render' tries it offline."}
	}
	return []string{"The provider call failed as the message says. Ferry retries with backoff; if the message names a key or field, fix it; otherwise check the provider's status and the network path to it."}
}

func kindOrDefault(kind string) string {
	if kind == "" {
		return esv1.SecretStoreKind
	}
	return kind
}
