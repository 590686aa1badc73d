package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	dir := flag.String("dir", "", "folder of manifests to check")
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the API server")
	ns := flag.String("namespace", "default", "namespace namespaced objects are dry-run-created in")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: snippetcheck -dir DIR [-kubeconfig FILE] [-namespace NS]")
		os.Exit(2)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "snippetcheck:", err)
		os.Exit(2)
	}
	c, err := NewChecker(cfg, *ns)
	if err != nil {
		fmt.Fprintln(os.Stderr, "snippetcheck:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rep, err := c.CheckDir(ctx, *dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "snippetcheck:", err)
		os.Exit(2)
	}
	if rep.Print(os.Stdout) {
		os.Exit(1)
	}
}

// NewChecker builds a Checker for the API server of cfg.
func NewChecker(cfg *rest.Config, namespace string) (*Checker, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	return &Checker{Client: dyn, Mapper: mapper, Namespace: namespace}, nil
}

// Print writes one line per object and per skipped file, then the counts; it reports whether
// any object was refused or lost or changed a field.
func (r *Report) Print(w io.Writer) bool {
	var admitted, refused, lossy int
	for _, o := range r.Outcomes {
		id := fmt.Sprintf("%s %s %s/%s", o.File, o.APIVersion, o.Kind, o.Name)
		switch {
		case o.Refused != "":
			refused++
			fmt.Fprintf(w, "REFUSED %s: %s\n", id, o.Refused)
			continue
		case len(o.Lost)+len(o.Changed) > 0:
			lossy++
			fmt.Fprintf(w, "LOST    %s: lost %s; changed %s\n", id, list(o.Lost), list(o.Changed))
		default:
			fmt.Fprintf(w, "OK      %s\n", id)
		}
		admitted++
		if len(o.Added) > 0 {
			fmt.Fprintf(w, "        defaults added: %s\n", list(o.Added))
		}
		if len(o.Nulls) > 0 {
			fmt.Fprintf(w, "        nulls dropped: %s\n", list(o.Nulls))
		}
	}
	files := make([]string, 0, len(r.Skipped))
	for f := range r.Skipped {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		fmt.Fprintf(w, "SKIPPED %s: %s\n", f, r.Skipped[f])
	}
	fmt.Fprintf(w, "objects: %d admitted (%d with lost or changed fields), %d refused; files skipped: %d\n",
		admitted, lossy, refused, len(r.Skipped))
	return refused+lossy > 0
}

func list(paths []string) string {
	if len(paths) == 0 {
		return "-"
	}
	return strings.Join(paths, ", ")
}
