package cli

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// statusRow is one line of the status table.
type statusRow struct {
	namespace, name, store, ready, reason, lastSync, nextRefresh string
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
	rows := statusRows(list.Items, e.now())
	w := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	if all {
		fmt.Fprint(w, "NAMESPACE\t")
	}
	fmt.Fprintln(w, "NAME\tSTORE\tREADY\tREASON\tLAST SYNC\tNEXT REFRESH")
	for _, r := range rows {
		if all {
			fmt.Fprintf(w, "%s\t", r.namespace)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.name, r.store, r.ready, r.reason, r.lastSync, r.nextRefresh)
	}
	return w.Flush()
}

// statusRows turns ExternalSecrets into table rows, sorted by namespace and name.
func statusRows(items []esv1.ExternalSecret, now time.Time) []statusRow {
	rows := make([]statusRow, 0, len(items))
	for i := range items {
		es := &items[i]
		r := statusRow{namespace: es.Namespace, name: es.Name, store: storeColumn(es), ready: "Unknown", reason: "-",
			lastSync: "never", nextRefresh: nextRefresh(es, now)}
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
	return "in ~" + age(nextCheck(es, interval, now).Sub(now))
}

// The refresh grid of internal/controller/externalsecret (decide.go), which this mirrors:
// an object is checked every interval from the Unix epoch, shifted by its store's place in
// the interval and its own jitter within a tenth of it (at most five minutes). Intervals
// above a year follow the last sync instead.
const maxGridInterval = 365 * 24 * time.Hour

// nextCheck is the first instant after now on the object's refresh grid.
func nextCheck(es *esv1.ExternalSecret, interval time.Duration, now time.Time) time.Time {
	ref := es.Spec.SecretStoreRef
	store := ref.Kind + "/" + ref.Name
	if ref.Kind != esv1.ClusterSecretStoreKind {
		store = es.Namespace + "/" + store
	}
	offset := time.Duration(hash64(store) % uint64(interval)) //nolint:gosec // below interval
	if spread := min(interval/10, 5*time.Minute); spread > 0 {
		offset += time.Duration(hash64(string(es.UID)) % uint64(spread)) //nolint:gosec // below spread
	}
	if interval > maxGridInterval {
		return es.Status.RefreshTime.Add(interval + offset%interval)
	}
	i := int64(interval)
	shifted := now.UnixNano() - int64(offset%interval)
	n := shifted / i
	if shifted < 0 && shifted%i != 0 {
		n--
	}
	return time.Unix(0, (n+1)*i+int64(offset%interval))
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

func readyCondition(es *esv1.ExternalSecret) *esv1.ExternalSecretStatusCondition {
	for i := range es.Status.Conditions {
		if es.Status.Conditions[i].Type == esv1.ExternalSecretReady {
			return &es.Status.Conditions[i]
		}
	}
	return nil
}
