package rollout

// Annotations Ferry reads. Each Reloader annotation has a Ferry equivalent under the
// ferry.dev prefix; when a workload or source carries both, Ferry's wins.
const (
	// ReloaderAuto on a workload ("true") watches every Secret and ConfigMap its pod template
	// uses, and with --enable-csi-integration every SecretProviderClass it mounts.
	ReloaderAuto = "reloader.stakater.com/auto"
	// ReloaderSecretAuto on a workload ("true") watches every Secret its pod template uses.
	ReloaderSecretAuto = "secret.reloader.stakater.com/auto"
	// ReloaderConfigMapAuto on a workload ("true") watches every ConfigMap its pod template uses.
	ReloaderConfigMapAuto = "configmap.reloader.stakater.com/auto"
	// ReloaderSecretReload on a workload lists, comma-separated, Secrets to watch whether or
	// not the pod template uses them.
	ReloaderSecretReload = "secret.reloader.stakater.com/reload"
	// ReloaderConfigMapReload is ReloaderSecretReload for ConfigMaps.
	ReloaderConfigMapReload = "configmap.reloader.stakater.com/reload"
	// ReloaderSearch on a workload ("true") watches the Secrets and ConfigMaps its pod
	// template uses that carry ReloaderMatch.
	ReloaderSearch = "reloader.stakater.com/search"
	// ReloaderMatch on a Secret or ConfigMap ("true") makes it count for ReloaderSearch.
	ReloaderMatch = "reloader.stakater.com/match"
	// ReloaderIgnore on a Secret or ConfigMap ("true") keeps its changes from restarting
	// anything; on a workload it keeps the workload from being restarted.
	ReloaderIgnore = "reloader.stakater.com/ignore"
	// ReloaderSecretExclude on a workload lists, comma-separated, Secrets whose changes do not
	// restart it even though another annotation would.
	ReloaderSecretExclude = "secrets.exclude.reloader.stakater.com/reload"
	// ReloaderConfigMapExclude is ReloaderSecretExclude for ConfigMaps.
	ReloaderConfigMapExclude = "configmaps.exclude.reloader.stakater.com/reload"
	// ReloaderSecretProviderClassAuto on a workload ("true") watches every SecretProviderClass
	// its pod template mounts through a Secrets Store CSI volume (--enable-csi-integration).
	ReloaderSecretProviderClassAuto = "secretproviderclass.reloader.stakater.com/auto"
	// ReloaderSecretProviderClassReload is ReloaderSecretReload for SecretProviderClasses.
	ReloaderSecretProviderClassReload = "secretproviderclass.reloader.stakater.com/reload"
	// ReloaderSecretProviderClassExclude is ReloaderSecretExclude for SecretProviderClasses.
	ReloaderSecretProviderClassExclude = "secretproviderclasses.exclude.reloader.stakater.com/reload"
	// ReloaderRolloutStrategy on an Argo Rollout picks how it restarts: "rollout" (default)
	// changes the pod template, "restart" sets spec.restartAt.
	ReloaderRolloutStrategy = "reloader.stakater.com/rollout-strategy"
	// ReloaderPausePeriod on a Deployment (a Go duration) pauses it for that long after each
	// restart, so that changes made meanwhile roll out together when it resumes.
	ReloaderPausePeriod = "deployment.reloader.stakater.com/pause-period"
	// ReloaderPausedAt is what Reloader writes on a Deployment it paused (RFC 3339). Ferry
	// resumes a Deployment that carries it once the pause period has passed.
	ReloaderPausedAt = "deployment.reloader.stakater.com/paused-at"

	// FerryAuto is Ferry's ReloaderAuto.
	FerryAuto = "ferry.dev/auto"
	// FerrySecretAuto is Ferry's ReloaderSecretAuto.
	FerrySecretAuto = "secret.ferry.dev/auto"
	// FerryConfigMapAuto is Ferry's ReloaderConfigMapAuto.
	FerryConfigMapAuto = "configmap.ferry.dev/auto"
	// FerrySecretReload is Ferry's ReloaderSecretReload.
	FerrySecretReload = "secret.ferry.dev/reload"
	// FerryConfigMapReload is Ferry's ReloaderConfigMapReload.
	FerryConfigMapReload = "configmap.ferry.dev/reload"
	// FerrySearch is Ferry's ReloaderSearch.
	FerrySearch = "ferry.dev/search"
	// FerryMatch is Ferry's ReloaderMatch.
	FerryMatch = "ferry.dev/match"
	// FerryIgnore is Ferry's ReloaderIgnore.
	FerryIgnore = "ferry.dev/ignore"
	// FerrySecretExclude is Ferry's ReloaderSecretExclude.
	FerrySecretExclude = "secrets.exclude.ferry.dev/reload"
	// FerryConfigMapExclude is Ferry's ReloaderConfigMapExclude.
	FerryConfigMapExclude = "configmaps.exclude.ferry.dev/reload"
	// FerrySecretProviderClassAuto is Ferry's ReloaderSecretProviderClassAuto.
	FerrySecretProviderClassAuto = "secretproviderclass.ferry.dev/auto"
	// FerrySecretProviderClassReload is Ferry's ReloaderSecretProviderClassReload.
	FerrySecretProviderClassReload = "secretproviderclass.ferry.dev/reload"
	// FerrySecretProviderClassExclude is Ferry's ReloaderSecretProviderClassExclude.
	FerrySecretProviderClassExclude = "secretproviderclasses.exclude.ferry.dev/reload"
	// FerryRolloutStrategy is Ferry's ReloaderRolloutStrategy.
	FerryRolloutStrategy = "ferry.dev/rollout-strategy"
	// FerryPausePeriod is Ferry's ReloaderPausePeriod.
	FerryPausePeriod = "deployment.ferry.dev/pause-period"
)

// Annotations Ferry writes.
const (
	// AnnotationConfigDigest is set on the pod template when Ferry restarts a workload: a
	// keyed digest (HMAC-SHA256) of the data of every Secret and ConfigMap the workload
	// watches. Changing it is what makes the workload controller roll the pods.
	AnnotationConfigDigest = "ferry.dev/config-digest"
	// AnnotationLastDigests is set on the workload's own metadata (never the pod template): for
	// each watched source, "secret/<name>", "configmap/<name>" or
	// "secretproviderclass/<name>", the first 16 hex digits of a
	// keyed digest of its data, as Ferry last saw them. It survives Ferry restarts and leader
	// changes, so only a real change of data restarts anything.
	AnnotationLastDigests = "ferry.dev/last-digests"
	// AnnotationPausedAt is set on a Deployment that Ferry paused after a restart because it
	// carries a pause period (RFC 3339); Ferry resumes it and removes this once the period
	// has passed.
	AnnotationPausedAt = "deployment.ferry.dev/paused-at"
)
