package preflight

import (
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/storeref"
)

// migrationDoc is the page whose "What differs" table lists every difference; each row
// carries the anchor named here, and TestDifferencesMatchTheDocs keeps both in step.
const migrationDoc = "docs/migrating-from-eso-and-reloader.md"

// Difference is one documented way Ferry behaves differently from ESO.
type Difference struct {
	// ID is stable, for scripts (-o json).
	ID string `json:"id"`
	// Summary says in one sentence what a user will see.
	Summary string `json:"summary"`
	// Doc is the page and anchor that documents it, from the repository root.
	Doc string `json:"doc"`
	// applies says whether the object is concerned.
	applies func(o *Object) bool
}

// Differences is every behaviour difference from ESO that concerns one object; differences
// of the deployment as a whole (one Deployment, metric labels, flags) are in the docs only.
var Differences = []Difference{
	{ID: "refresh-time", Doc: migrationDoc + "#diff-refresh-time", applies: syncsSecrets,
		Summary: "status.refreshTime moves when the Secret changes or the object becomes Ready, not on every periodic check; a check that finds nothing new writes no status"},
	{ID: "refresh-grid", Doc: migrationDoc + "#diff-refresh-grid", applies: refreshesPeriodically,
		Summary: "periodic refreshes fall on a grid shifted by store, not one interval after the last sync: an object's first refresh can come sooner than refreshInterval"},
	{ID: "ready-reasons", Doc: migrationDoc + "#diff-ready-reasons", applies: reportsSyncs,
		Summary: "Ready=False carries a precise reason (StoreNotFound, StoreNotReady, StoreNotAllowed, ProviderNotImplemented, SecretOwnedElsewhere, InvalidSpec, NotSupported) where ESO says SecretSyncedError"},
	{ID: "store-reasons", Doc: migrationDoc + "#diff-store-reasons", applies: isStore,
		Summary: "a store of a provider Ferry does not implement is kept as written and reported Ready=False, reason ProviderNotImplemented; every spec problem is InvalidProviderConfig"},
	{ID: "data-hash", Doc: migrationDoc + "#diff-data-hash", applies: writesSecret,
		Summary: "the data-hash annotation is an HMAC keyed per cluster; on switching, Ferry rewrites each Secret once with the same data and its own hash"},
	{ID: "shared-reads", Doc: migrationDoc + "#diff-shared-reads", applies: readsStores,
		Summary: "provider clients and credentials are kept per store and identical reads are shared, so the provider sees fewer calls than under ESO"},
	{ID: "durations", Doc: migrationDoc + "#diff-durations", applies: hasDuration,
		Summary: "durations keep the text they were written with in every API version (1h stays 1h, not 1h0m0s); one that is not a duration is refused by the webhook, or reported on its own object, instead of failing to decode"},
	{ID: "metrics", Doc: migrationDoc + "#diff-metrics", applies: syncsSecrets,
		Summary: "ESO's metric series keep their names and labels, but externalsecret_sync_calls_total counts syncs, not every reconcile, a deleted object leaves no series, and a failing ClusterExternalSecret reports status=\"False\""},
	{ID: "merge-keys", Doc: migrationDoc + "#diff-merge-keys", applies: merges,
		Summary: "with creationPolicy Merge or CreateOrMerge, the merged key names are recorded in the Secret's ferry.dev/managed-keys annotation"},
	{ID: "values-decoding", Doc: migrationDoc + "#diff-values-decoding", applies: decodesTemplateValues,
		Summary: "templateFrom[].valuesDecodingStrategy is ignored: values reach the template as read"},
	{ID: "templates", Doc: migrationDoc + "#diff-templates", applies: templates,
		Summary: "templates run with limits and without getHostByName and a few newer ESO helpers; some functions fail where ESO returned an empty value"},
	{ID: "ces-every-class", Doc: migrationDoc + "#diff-ces-every-class", applies: isKind(esv1.ClusterExternalSecretKind),
		Summary: "every Ferry keeps ClusterExternalSecrets, whatever its controller class; next to ESO, turn ESO's processClusterExternalSecret off"},
	{ID: "sync-windows", Doc: migrationDoc + "#diff-sync-windows", applies: hasSyncWindows,
		Summary: "sync windows are read in UTC as by ESO, or in the zone of the ferry.dev/sync-windows-time-zone annotation; @every D opens at multiples of D from the Unix epoch"},
	{ID: "generator-class", Doc: migrationDoc + "#diff-generator-class", applies: generatorWithClass,
		Summary: "a generator's spec.controller is not read: an ExternalSecret goes to the controller of its stores' class"},
	{ID: "webhook-ntlm", Doc: migrationDoc + "#diff-webhook-ntlm", applies: webhookNTLM,
		Summary: "webhook NTLM never falls back to Basic, keeps caBundle and caProvider, hashes DOMAIN\\user with the domain written, and in a ClusterSecretStore reads credential Secrets without a namespace in each ExternalSecret's namespace (ESO fails)"},
}

// externalSecretSpec is the ExternalSecret spec an object syncs with: its own, or the one
// a ClusterExternalSecret stamps out; nil for other kinds.
func externalSecretSpec(o *Object) *esv1.ExternalSecretSpec {
	switch t := o.typed.(type) {
	case *esv1.ExternalSecret:
		return &t.Spec
	case *esv1.ClusterExternalSecret:
		return &t.Spec.ExternalSecretSpec
	}
	return nil
}

func syncsSecrets(o *Object) bool { return externalSecretSpec(o) != nil }

func refreshesPeriodically(o *Object) bool {
	spec := externalSecretSpec(o)
	if spec == nil {
		return false
	}
	interval := spec.RefreshInterval == nil || spec.RefreshInterval.Duration > 0 // unset is ESO's default, 1h
	return interval && (spec.RefreshPolicy == "" || spec.RefreshPolicy == esv1.RefreshPolicyPeriodic)
}

func reportsSyncs(o *Object) bool {
	_, push := o.typed.(*esv1alpha1.PushSecret)
	return push || syncsSecrets(o)
}

func isStore(o *Object) bool {
	_, ok := o.typed.(esv1.GenericStore)
	return ok
}

func writesSecret(o *Object) bool {
	spec := externalSecretSpec(o)
	return spec != nil && spec.Target.CreationPolicy != esv1.CreatePolicyNone
}

func readsStores(o *Object) bool {
	spec := externalSecretSpec(o)
	return spec != nil && len(storeref.Of(&esv1.ExternalSecret{Spec: *spec})) > 0
}

func hasDuration(o *Object) bool {
	switch t := o.typed.(type) {
	case *esv1.ExternalSecret:
		return t.Spec.RefreshInterval != nil
	case *esv1.ClusterExternalSecret:
		return t.Spec.RefreshInterval != nil || t.Spec.ExternalSecretSpec.RefreshInterval != nil
	case *esv1alpha1.PushSecret:
		return t.Spec.RefreshInterval != nil
	}
	return false
}

func hasSyncWindows(o *Object) bool {
	spec := externalSecretSpec(o)
	return spec != nil && spec.SyncWindows != nil
}

func merges(o *Object) bool {
	spec := externalSecretSpec(o)
	return spec != nil && (spec.Target.CreationPolicy == esv1.CreatePolicyMerge || spec.Target.CreationPolicy == esv1.CreatePolicyCreateOrMerge)
}

func decodesTemplateValues(o *Object) bool {
	spec := externalSecretSpec(o)
	if spec == nil || spec.Target.Template == nil {
		return false
	}
	for _, from := range spec.Target.Template.TemplateFrom {
		if from.ValuesDecodingStrategy != "" {
			return true
		}
	}
	return false
}

func templates(o *Object) bool {
	spec := externalSecretSpec(o)
	return spec != nil && spec.Target.Template != nil
}

func isKind(kind string) func(o *Object) bool {
	return func(o *Object) bool { return o.Kind == kind && o.typed != nil }
}

func webhookNTLM(o *Object) bool {
	store, ok := o.typed.(esv1.GenericStore)
	if !ok {
		return false
	}
	p := store.GetSpec().Provider
	return p != nil && p.Webhook != nil && p.Webhook.Auth != nil && p.Webhook.Auth.NTLM != nil
}

func generatorWithClass(o *Object) bool {
	g, ok := o.typed.(*generatorObject)
	return ok && g.controller != ""
}
