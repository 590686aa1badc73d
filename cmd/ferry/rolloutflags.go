package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/ferryhq/ferry/internal/rollout"
)

// rolloutFlags registers the flags of workload restarts, named as stakater Reloader names
// them where Reloader has one. The alert settings default to Reloader's ALERT_* environment
// variables, so a Reloader Deployment's env keeps working (the webhook URL, which may hold
// a token, is better set that way than as a flag).
func rolloutFlags(fs *flag.FlagSet, o *rollout.Options) {
	fs.DurationVar(&o.Window, "rollout-window", rollout.DefaultWindow, "changes within this window cause one restart per workload; negative disables")
	fs.DurationVar(&o.MinInterval, "rollout-min-interval", rollout.DefaultMinInterval, "least time between two restarts of a workload; negative disables")
	fs.IntVar(&o.PerMinute, "rollout-per-minute", rollout.DefaultPerMinute, "restarts per minute across all workloads; negative is unlimited")
	fs.BoolVar(&o.StopOnUnhealthy, "rollout-stop-on-unhealthy", false,
		"hold every other restart while a Deployment, StatefulSet or DaemonSet Ferry restarted has not gone healthy")
	fs.DurationVar(&o.HealthTimeout, "rollout-health-timeout", rollout.DefaultHealthTimeout,
		"with --rollout-stop-on-unhealthy, how long a restarted workload may take to go healthy")
	fs.BoolVar(&o.AutoReloadAll, "auto-reload-all", false, `restart every workload (but Jobs) that does not set reloader.stakater.com/auto: "false", as if it set "true"`)
	fs.Func("namespaces-to-ignore", "comma-separated namespaces whose workloads are never restarted", listFlag(&o.NamespacesToIgnore))
	fs.StringVar(&o.NamespaceSelector, "namespace-selector", "", "label selector: restart only workloads of the namespaces it selects")
	fs.StringVar(&o.ResourceLabelSelector, "resource-label-selector", "", "label selector: only the Secrets and ConfigMaps it selects count as changes")
	fs.BoolVar(&o.IgnoreSecrets, "ignore-secrets", false, "Secret changes restart nothing (Secrets are not watched for restarts)")
	fs.BoolVar(&o.IgnoreConfigMaps, "ignore-configmaps", false, "ConfigMap changes restart nothing (ConfigMaps are not watched for restarts)")
	fs.Func("resources-to-ignore", "Reloader's form of --ignore-secrets and --ignore-configmaps: secrets or configmaps", func(v string) error {
		for _, r := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(r)) {
			case "secrets":
				o.IgnoreSecrets = true
			case "configmaps":
				o.IgnoreConfigMaps = true
			case "":
			default:
				return fmt.Errorf("%q: want secrets or configmaps", r)
			}
		}
		return nil
	})
	fs.BoolVar(&o.EnableCSIIntegration, "enable-csi-integration", false,
		"restart workloads when the Secrets Store CSI driver reports new versions of the objects of a SecretProviderClass they mount (SecretProviderClassPodStatus)")
	fs.Func("ignored-workload-types", "comma-separated workload kinds never restarted: deployments, statefulsets, daemonsets, cronjobs, jobs, rollouts",
		listFlag(&o.IgnoredWorkloadTypes))
	fs.BoolVar(&o.ReloadOnCreate, "reload-on-create", false, "restart a workload when a Secret or ConfigMap it watches, missing until then, is created")
	fs.BoolVar(&o.ReloadOnDelete, "reload-on-delete", false, "restart a workload when a Secret or ConfigMap it watches is deleted")
	fs.StringVar(&o.ReloadStrategy, "reload-strategy", rollout.StrategyAnnotations,
		"how a restart changes the pod template: annotations (a keyed digest annotation) or env-vars (an environment variable per source, as Reloader)")
	fs.StringVar(&o.Alerts.WebhookURL, "alert-webhook-url", alertEnv("ALERT_WEBHOOK_URL"), "post a notification per restart to this URL (default $ALERT_WEBHOOK_URL when $ALERT_ON_RELOAD is true)")
	fs.StringVar(&o.Alerts.Sink, "alert-sink", envOr("ALERT_SINK", rollout.SinkWebhook), "shape of the notification: webhook, slack, teams or gchat (default $ALERT_SINK)")
	fs.StringVar(&o.Alerts.AdditionalInfo, "alert-additional-info", os.Getenv("ALERT_ADDITIONAL_INFO"), "text appended to every notification (default $ALERT_ADDITIONAL_INFO)")
}

// listFlag appends the comma-separated values of a flag to list.
func listFlag(list *[]string) func(string) error {
	return func(v string) error {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				*list = append(*list, item)
			}
		}
		return nil
	}
}

// alertEnv returns an ALERT_* variable when Reloader's ALERT_ON_RELOAD turns alerts on.
func alertEnv(name string) string {
	if !strings.EqualFold(os.Getenv("ALERT_ON_RELOAD"), "true") {
		return ""
	}
	return os.Getenv(name)
}
