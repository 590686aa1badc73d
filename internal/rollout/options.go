package rollout

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
)

// Defaults of Options.
const (
	DefaultWindow      = 5 * time.Second
	DefaultMinInterval = 30 * time.Second
	DefaultPerMinute   = 60
	// DefaultHealthTimeout is Options.HealthTimeout's default.
	DefaultHealthTimeout = 10 * time.Minute
)

// Reload strategies (Options.ReloadStrategy, --reload-strategy).
const (
	// StrategyAnnotations restarts by setting AnnotationConfigDigest on the pod template.
	StrategyAnnotations = "annotations"
	// StrategyEnvVars restarts by setting, in every container, an environment variable named
	// after each changed source (EnvVarName) to a keyed digest of its data, as Reloader's
	// env-vars strategy does.
	StrategyEnvVars = "env-vars"
)

// Options govern which workloads restart, how and how often. Zero values pick the defaults;
// a negative Window, MinInterval or PerMinute turns that limit off.
type Options struct {
	// Window coalesces changes: a workload restarts Window after Ferry first saw a change
	// it has not rolled out yet, with every change that arrived meanwhile.
	Window time.Duration
	// MinInterval is the least time between two restarts of the same workload.
	MinInterval time.Duration
	// PerMinute bounds restarts across all workloads, on average per minute.
	PerMinute int
	// Burst is how many restarts may start at once within PerMinute; default a tenth of it,
	// at least 1.
	Burst int
	// Namespaces restricts the watches to those namespaces; empty watches all. The operator
	// sets it from the namespaces it serves.
	Namespaces []string

	// AutoReloadAll treats every workload without an auto annotation as if it had
	// auto "true" (--auto-reload-all). Jobs still opt in one by one.
	AutoReloadAll bool
	// NamespacesToIgnore lists namespaces whose workloads are never restarted.
	NamespacesToIgnore []string
	// NamespaceSelector, a label selector, restricts restarts to the workloads of the
	// namespaces it selects; "" selects all.
	NamespaceSelector string
	// ResourceLabelSelector, a label selector, restricts the Secrets and ConfigMaps that
	// count to those it selects; "" selects all.
	ResourceLabelSelector string
	// IgnoreSecrets and IgnoreConfigMaps make changes of that kind restart nothing; that
	// kind is then not watched at all.
	IgnoreSecrets, IgnoreConfigMaps bool
	// EnableCSIIntegration watches the SecretProviderClassPodStatus objects of the Secrets
	// Store CSI driver, so that a rotation of the objects a SecretProviderClass mounts restarts
	// the workloads that ask for it (--enable-csi-integration). Off, SecretProviderClasses are
	// neither watched nor read.
	EnableCSIIntegration bool
	// IgnoredWorkloadTypes lists workload kinds never restarted, by resource name:
	// deployments, statefulsets, daemonsets, cronjobs, jobs, rollouts.
	IgnoredWorkloadTypes []string
	// ReloadOnCreate restarts a workload when a source it watched while the source did not
	// exist is created; ReloadOnDelete when a source it watches is deleted.
	ReloadOnCreate, ReloadOnDelete bool
	// ReloadStrategy is StrategyAnnotations (default) or StrategyEnvVars.
	ReloadStrategy string
	// Alerts sends a notification per restart to a webhook; empty URL sends none.
	Alerts AlertOptions
	// StopOnUnhealthy holds every other restart while a Deployment, StatefulSet or DaemonSet
	// that Ferry restarted has not gone healthy: its rollout failed (a Deployment's progress
	// deadline) or did not finish within HealthTimeout.
	StopOnUnhealthy bool
	// HealthTimeout is how long a restarted workload may take to go healthy; default 10m.
	HealthTimeout time.Duration
	// APIPollInterval is how often Ferry looks for an API that comes from a CRD (Argo
	// Rollouts, SecretProviderClassPodStatus) while it is not served; default 30s.
	APIPollInterval time.Duration
}

func (o Options) withDefaults() Options {
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.MinInterval == 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.PerMinute == 0 {
		o.PerMinute = DefaultPerMinute
	}
	if o.Burst <= 0 {
		o.Burst = max(1, o.PerMinute/10)
	}
	if o.ReloadStrategy == "" {
		o.ReloadStrategy = StrategyAnnotations
	}
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = DefaultHealthTimeout
	}
	if o.APIPollInterval <= 0 {
		o.APIPollInterval = 30 * time.Second
	}
	return o
}

// Validate reports options that cannot work: an unknown strategy, workload type or alert
// sink, or a selector that does not parse.
func (o Options) Validate() error {
	var errs []error
	if s := o.ReloadStrategy; s != "" && s != StrategyAnnotations && s != StrategyEnvVars {
		errs = append(errs, fmt.Errorf("reload strategy %q: want %q or %q", s, StrategyAnnotations, StrategyEnvVars))
	}
	for _, t := range o.IgnoredWorkloadTypes {
		if workloadType(t) == "" {
			errs = append(errs, fmt.Errorf("ignored workload type %q: want one of %s", t, strings.Join(workloadTypes, ", ")))
		}
	}
	for name, sel := range map[string]string{"namespace selector": o.NamespaceSelector, "resource label selector": o.ResourceLabelSelector} {
		if _, err := labels.Parse(sel); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", name, sel, err))
		}
	}
	if o.IgnoreSecrets && o.IgnoreConfigMaps {
		errs = append(errs, errors.New("ignoring both Secrets and ConfigMaps leaves nothing to watch; turn rollouts off instead"))
	}
	if err := o.Alerts.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// workloadTypes are the resource names IgnoredWorkloadTypes accepts.
var workloadTypes = []string{"deployments", "statefulsets", "daemonsets", "cronjobs", "jobs", "rollouts"}

// workloadType returns the resource name of t ("Deployment", "deployment" or "deployments"),
// or "" when it names no workload kind.
func workloadType(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	if !strings.HasSuffix(t, "s") {
		t += "s"
	}
	if slices.Contains(workloadTypes, t) {
		return t
	}
	return ""
}

// ignoresKind reports whether the options leave out the workload kind (its API name).
func (o Options) ignoresKind(kind string) bool {
	return slices.ContainsFunc(o.IgnoredWorkloadTypes, func(t string) bool { return workloadType(t) == workloadType(kind) })
}

// ignoresSource reports whether the options leave out a kind of source.
func (o Options) ignoresSource(kind SourceKind) bool {
	switch kind {
	case KindSecret:
		return o.IgnoreSecrets
	case KindConfigMap:
		return o.IgnoreConfigMaps
	case KindSecretProviderClass:
		return !o.EnableCSIIntegration
	}
	return true
}
