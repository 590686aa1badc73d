package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/builtin"
	"github.com/ferryhq/ferry/internal/preflight"
)

// ErrCannotYet is what preflight returns when Ferry cannot serve some object yet: the
// process exits 1, so that CI can gate a migration on it.
var ErrCannotYet = errors.New("some objects cannot be served by Ferry yet")

// inputError is preflight failing to read what it was asked to judge (exit 2).
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// ExitCode is the process exit code for what Main returned: 0 for nil, 2 when preflight
// could not read its input, 1 otherwise (ErrCannotYet, and every other command's failure).
func ExitCode(err error) int {
	var input *inputError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &input):
		return 2
	default:
		return 1
	}
}

// report is preflight's output as JSON.
type report struct {
	ControllerClass string                    `json:"controllerClass"`
	Providers       []string                  `json:"providers"`
	GeneratorKinds  []string                  `json:"generatorKinds"`
	Summary         map[preflight.Verdict]int `json:"summary"`
	Objects         []preflight.Result        `json:"objects"`
	// Differences describes every difference some object lists.
	Differences []preflight.Difference `json:"differences"`
}

// runPreflight reads manifests (-f) or the cluster, judges every object for a Ferry of the
// given controller class, and prints the verdicts.
func runPreflight(ctx context.Context, opts options, out io.Writer) error {
	if opts.output != "table" && opts.output != "json" {
		return &inputError{fmt.Errorf("-o %q: use table or json", opts.output)}
	}
	inv, clusterScoped, err := readInventory(ctx, opts)
	if err != nil {
		return &inputError{err}
	}
	providers, generators := builtin.Registries(nil)
	cfg := preflight.Config{ControllerClass: opts.controllerClass, Providers: providers,
		GeneratorKinds: generators.Kinds()}
	results := preflight.Judge(inv, cfg)
	if opts.filename == "" {
		results = clusterOrder(results, clusterScoped)
	}
	r := report{ControllerClass: cfg.ControllerClass, Providers: cfg.Providers.Names(), GeneratorKinds: cfg.GeneratorKinds,
		Summary: map[preflight.Verdict]int{}, Objects: results, Differences: applying(results)}
	for _, res := range results {
		r.Summary[res.Verdict]++
	}
	if opts.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else if err := printPreflight(out, r, opts.filename != ""); err != nil {
		return err
	}
	if n := r.Summary[preflight.CannotYet]; n > 0 {
		return fmt.Errorf("%w: %d of %d objects", ErrCannotYet, n, len(results))
	}
	return nil
}

// readInventory reads the manifests of -f, or every object of the two API groups in the
// cluster. Cluster-scoped objects are always read, as namespaced ones refer to them;
// clusterScoped says whether they are reported too (no -n).
func readInventory(ctx context.Context, opts options) (*preflight.Inventory, bool, error) {
	if opts.filename != "" {
		inv, err := preflight.ReadPath(opts.filename)
		return inv, true, err
	}
	cfg, _, err := loadConfig(opts)
	if err != nil {
		return nil, false, err
	}
	inv, err := readCluster(ctx, cfg, opts.namespace)
	return inv, opts.namespace == "", err
}

// readCluster lists every kind the API server serves in external-secrets.io and
// generators.external-secrets.io, in its preferred version, so that kinds Ferry has no
// types for (newer generators) are judged too.
func readCluster(ctx context.Context, cfg *rest.Config, namespace string) (*preflight.Inventory, error) {
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the API server: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the API server: %w", err)
	}
	lists, err := disco.ServerPreferredResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, fmt.Errorf("discovering the API: %w", err)
	}
	inv := &preflight.Inventory{Complete: true}
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil || (gv.Group != esv1.Group && gv.Group != genv1alpha1.Group) {
			continue
		}
		for _, res := range list.APIResources {
			if strings.Contains(res.Name, "/") {
				continue // a subresource
			}
			client := dyn.Resource(gv.WithResource(res.Name))
			var items dynamic.ResourceInterface = client
			if res.Namespaced && namespace != "" {
				items = client.Namespace(namespace)
			}
			found, err := items.List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, fmt.Errorf("listing %s: %w", res.Name, err)
			}
			for i := range found.Items {
				if err := inv.Add(&found.Items[i], ""); err != nil {
					return nil, err
				}
			}
		}
	}
	return inv, nil
}

// clusterOrder sorts a cluster's results as a reader looks for them — stores, then what
// reads them, then generators, each by namespace and name — and drops cluster-scoped
// objects when only one namespace was asked for.
func clusterOrder(results []preflight.Result, clusterScoped bool) []preflight.Result {
	rank := map[string]int{esv1.SecretStoreKind: 0, esv1.ClusterSecretStoreKind: 1, esv1.ExtSecretKind: 2, esv1.ClusterExternalSecretKind: 3, "PushSecret": 4}
	order := func(r preflight.Result) int {
		if n, ok := rank[r.Kind]; ok {
			return n
		}
		if strings.HasPrefix(r.APIVersion, genv1alpha1.Group+"/") {
			return 6
		}
		return 5
	}
	kept := results[:0]
	for _, r := range results {
		if r.Namespace != "" || clusterScoped {
			kept = append(kept, r)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool {
		a, b := kept[i], kept[j]
		if order(a) != order(b) {
			return order(a) < order(b)
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return kept
}

// applying returns the differences that some result lists, in the table's order.
func applying(results []preflight.Result) []preflight.Difference {
	listed := map[string]bool{}
	for _, r := range results {
		for _, id := range r.Differences {
			listed[id] = true
		}
	}
	out := []preflight.Difference{}
	for _, d := range preflight.Differences {
		if listed[d.ID] {
			out = append(out, d)
		}
	}
	return out
}

// printPreflight prints one row per object, its reasons and notes on lines of their own,
// then the differences that apply and a count per verdict.
func printPreflight(out io.Writer, r report, withSource bool) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	source := func(s string) string {
		if withSource {
			return s + "\t"
		}
		return ""
	}
	fmt.Fprint(w, source("SOURCE"))
	fmt.Fprintln(w, "KIND\tNAMESPACE\tNAME\tVERDICT\tDETAILS")
	for _, res := range r.Objects {
		details := append([]string{}, res.Reasons...)
		for _, n := range res.Notes {
			details = append(details, "note: "+n)
		}
		if len(res.Differences) > 0 {
			details = append(details, "differs from ESO: "+strings.Join(res.Differences, ", "))
		}
		if len(details) == 0 {
			details = []string{"-"}
		}
		namespace := res.Namespace
		if namespace == "" {
			namespace = "-"
		}
		fmt.Fprintf(w, "%s%s\t%s\t%s\t%s\t%s\n", source(res.Source), res.Kind, namespace, res.Name, res.Verdict, details[0])
		for _, d := range details[1:] {
			fmt.Fprintf(w, "%s\t\t\t\t%s\n", source(""), d)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(r.Differences) > 0 {
		fmt.Fprintln(out, "\nDifferences from ESO that apply:")
		for _, d := range r.Differences {
			fmt.Fprintf(out, "  %s: %s (%s)\n", d.ID, d.Summary, d.Doc)
		}
	}
	fmt.Fprintf(out, "\n%d objects: %d served, %d handed off, %d cannot be served yet (controller class %q).\n", len(r.Objects),
		r.Summary[preflight.Serves], r.Summary[preflight.HandsOff], r.Summary[preflight.CannotYet], r.ControllerClass)
	return nil
}
