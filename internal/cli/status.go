package cli

import (
	"context"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/schedule"
	"github.com/ferryhq/ferry/internal/storeref"
)

// statusRow is one line of the status table.
type statusRow struct {
	namespace, name, store, ready, reason, lastSync, nextRefresh, events string
}

// status prints the ExternalSecrets of the namespace (or of all namespaces) as a table.
func (e *env) status(ctx context.Context, all bool) error {
	var list esv1.ExternalSecretList
	var opts []client.ListOption
	if !all {
		opts = append(opts, client.InNamespace(e.namespace))
	}
	if err := e.client.List(ctx, &list, opts...); err != nil {
		return fmt.Errorf("listing ExternalSecrets: %w", err)
	}
	if len(list.Items) == 0 {
		if all {
			fmt.Fprintln(e.out, "No ExternalSecrets found.")
		} else {
			fmt.Fprintf(e.out, "No ExternalSecrets found in namespace %s.\n", e.namespace)
		}
		return nil
	}
	rows := statusRows(list.Items, e.now(), e.feeds(ctx, opts))
	// A sharded Ferry: which replica works on each object.
	owners := e.shardOwners(ctx)
	w := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	if all {
		fmt.Fprint(w, "NAMESPACE\t")
	}
	fmt.Fprint(w, "NAME\tSTORE\tREADY\tREASON\tLAST SYNC\tNEXT REFRESH\tEVENTS")
	if owners != nil {
		fmt.Fprint(w, "\tREPLICA")
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		if all {
			fmt.Fprintf(w, "%s\t", r.namespace)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s", r.name, r.store, r.ready, r.reason, r.lastSync, r.nextRefresh, r.events)
		if owners != nil {
			fmt.Fprintf(w, "\t%s", owners.owner(r.namespace, r.name))
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}

// statusRows turns ExternalSecrets into table rows, sorted by namespace and name. feeds
// holds the EventFeed condition status of the stores that have one.
func statusRows(items []esv1.ExternalSecret, now time.Time, feeds map[storeID]metav1.ConditionStatus) []statusRow {
	rows := make([]statusRow, 0, len(items))
	for i := range items {
		es := &items[i]
		r := statusRow{namespace: es.Namespace, name: es.Name, store: storeColumn(es), ready: "Unknown", reason: "-",
			lastSync: "never", nextRefresh: nextRefresh(es, now), events: eventsColumn(es, feeds)}
		if c := readyCondition(es); c != nil {
			r.ready, r.reason = string(c.Status), c.Reason
		}
		if !es.Status.RefreshTime.IsZero() {
			r.lastSync = age(now.Sub(es.Status.RefreshTime.Time)) + " ago"
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].namespace != rows[j].namespace {
			return rows[i].namespace < rows[j].namespace
		}
		return rows[i].name < rows[j].name
	})
	return rows
}

// storeColumn names the store: Kind/name, with "+N" when entries read from other stores too.
func storeColumn(es *esv1.ExternalSecret) string {
	kind := es.Spec.SecretStoreRef.Kind
	if kind == "" {
		kind = esv1.SecretStoreKind
	}
	col := kind + "/" + es.Spec.SecretStoreRef.Name
	if es.Spec.SecretStoreRef.Name == "" {
		col = "-"
	}
	others := 0
	for _, d := range es.Spec.Data {
		if d.SourceRef != nil && d.SourceRef.SecretStoreRef != nil && d.SourceRef.SecretStoreRef.Name != es.Spec.SecretStoreRef.Name {
			others++
		}
	}
	for _, d := range es.Spec.DataFrom {
		if d.SourceRef != nil && (d.SourceRef.SecretStoreRef != nil || d.SourceRef.GeneratorRef != nil) {
			others++
		}
	}
	if others > 0 {
		col += fmt.Sprintf(" (+%d)", others)
	}
	return col
}

// nextRefresh says when Ferry checks the object again on its own.
func nextRefresh(es *esv1.ExternalSecret, now time.Time) string {
	interval := time.Hour // the CRD's default
	if es.Spec.RefreshInterval != nil {
		interval = es.Spec.RefreshInterval.Duration
	}
	switch {
	case es.Spec.RefreshPolicy == esv1.RefreshPolicyCreatedOnce:
		return "never (CreatedOnce)"
	case es.Spec.RefreshPolicy == esv1.RefreshPolicyOnChange || interval <= 0:
		return "on change"
	}
	if c := readyCondition(es); c != nil && c.Status == corev1.ConditionFalse {
		return "retrying"
	}
	if es.Status.RefreshTime.IsZero() {
		return "pending"
	}
	next := nextCheck(es, interval, now)
	if next.IsZero() {
		return "never (no sync window opens again)"
	}
	return "in ~" + age(next.Sub(now))
}

// nextCheck is when the controller checks the object next: the first point of its refresh
// grid after its last sync, or after now when the last sync's point has passed (a
// confirmation without change moves no status field).
func nextCheck(es *esv1.ExternalSecret, interval time.Duration, now time.Time) time.Time {
	offset := schedule.Offset(es, interval)
	next := schedule.Next(es.Status.RefreshTime.Time, interval, offset)
	if !next.After(now) {
		next = schedule.Next(now, interval, offset)
	}
	// Sync windows move the refresh to the first instant they allow (zero: never).
	windows, _ := schedule.WindowsOf(es)
	return windows.NextAllowed(next)
}

func readyCondition(es *esv1.ExternalSecret) *esv1.ExternalSecretStatusCondition {
	for i := range es.Status.Conditions {
		if es.Status.Conditions[i].Type == esv1.ExternalSecretReady {
			return &es.Status.Conditions[i]
		}
	}
	return nil
}

// storeID names a store: kind, namespace (empty for a ClusterSecretStore), name.
type storeID struct{ kind, namespace, name string }

// eventFeedCondition is the store condition Ferry writes for a store with a change feed.
const eventFeedCondition = "EventFeed"

// feeds returns the EventFeed condition status of every store listed with opts (and of every
// ClusterSecretStore) that has one. Stores that cannot be listed are left out: the column
// then says "-".
func (e *env) feeds(ctx context.Context, opts []client.ListOption) map[storeID]metav1.ConditionStatus {
	out := map[storeID]metav1.ConditionStatus{}
	add := func(id storeID, conds []esv1.SecretStoreStatusCondition) {
		for _, c := range conds {
			if c.Type == eventFeedCondition {
				out[id] = c.Status
			}
		}
	}
	var stores esv1.SecretStoreList
	if e.client.List(ctx, &stores, opts...) == nil {
		for _, s := range stores.Items {
			add(storeID{esv1.SecretStoreKind, s.Namespace, s.Name}, s.Status.Conditions)
		}
	}
	var cluster esv1.ClusterSecretStoreList
	if e.client.List(ctx, &cluster) == nil {
		for _, s := range cluster.Items {
			add(storeID{esv1.ClusterSecretStoreKind, "", s.Name}, s.Status.Conditions)
		}
	}
	return out
}

// eventsColumn says whether es is refreshed by change events: "yes" when every store it
// reads has a receiving feed (polling is then only the safety net), "down" when a feed of
// one of them fails (es polls at its own interval), "-" otherwise.
func eventsColumn(es *esv1.ExternalSecret, feeds map[storeID]metav1.ConditionStatus) string {
	refs := storeref.Of(es)
	if len(refs) == 0 {
		return "-"
	}
	receiving := 0
	for _, k := range refs {
		id := storeID{k.Kind, es.Namespace, k.Name}
		if k.Kind == esv1.ClusterSecretStoreKind {
			id.namespace = ""
		}
		switch feeds[id] {
		case metav1.ConditionTrue:
			receiving++
		case metav1.ConditionFalse, metav1.ConditionUnknown:
			return "down"
		}
	}
	for _, d := range es.Spec.DataFrom {
		if d.SourceRef != nil && d.SourceRef.GeneratorRef != nil {
			return "-"
		}
	}
	if receiving == len(refs) {
		return "yes"
	}
	return "-"
}
