package main

import (
	"flag"
	"io"
	"slices"
	"testing"

	"github.com/ferryhq/ferry/internal/rollout"
)

func TestRolloutFlags(t *testing.T) {
	t.Setenv("ALERT_ON_RELOAD", "true")
	t.Setenv("ALERT_WEBHOOK_URL", "http://127.0.0.1:9/hook")
	t.Setenv("ALERT_SINK", "slack")
	t.Setenv("ALERT_ADDITIONAL_INFO", "cluster a")
	fs := flag.NewFlagSet("ferry", flag.ContinueOnError)
	var o rollout.Options
	rolloutFlags(fs, &o)
	err := fs.Parse([]string{"--auto-reload-all", "--namespaces-to-ignore=kube-system, other", "--namespace-selector=team in (a)",
		"--resource-label-selector=reload=yes", "--resources-to-ignore=configmaps", "--ignored-workload-types=jobs,cronjobs",
		"--reload-on-create", "--reload-on-delete=true", "--reload-strategy=env-vars", "--enable-csi-integration"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.AutoReloadAll || !slices.Equal(o.NamespacesToIgnore, []string{"kube-system", "other"}) || o.NamespaceSelector != "team in (a)" ||
		o.ResourceLabelSelector != "reload=yes" || !o.IgnoreConfigMaps || o.IgnoreSecrets ||
		!slices.Equal(o.IgnoredWorkloadTypes, []string{"jobs", "cronjobs"}) || !o.ReloadOnCreate || !o.ReloadOnDelete ||
		o.ReloadStrategy != rollout.StrategyEnvVars || !o.EnableCSIIntegration {
		t.Errorf("options = %+v", o)
	}
	if o.Alerts != (rollout.AlertOptions{WebhookURL: "http://127.0.0.1:9/hook", Sink: "slack", AdditionalInfo: "cluster a"}) {
		t.Errorf("alerts from Reloader's variables = %+v", o.Alerts)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	bad := flag.NewFlagSet("ferry", flag.ContinueOnError)
	bad.SetOutput(io.Discard)
	rolloutFlags(bad, &rollout.Options{})
	if err := bad.Parse([]string{"--resources-to-ignore=pods"}); err == nil {
		t.Errorf("--resources-to-ignore=pods was accepted")
	}
}

func TestAlertURLNeedsAlertOnReload(t *testing.T) {
	t.Setenv("ALERT_ON_RELOAD", "")
	t.Setenv("ALERT_WEBHOOK_URL", "http://127.0.0.1:9/hook")
	fs := flag.NewFlagSet("ferry", flag.ContinueOnError)
	var o rollout.Options
	rolloutFlags(fs, &o)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if o.Alerts.WebhookURL != "" {
		t.Errorf("ALERT_WEBHOOK_URL used without ALERT_ON_RELOAD=true")
	}
}
