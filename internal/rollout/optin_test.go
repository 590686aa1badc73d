package rollout

import (
	"slices"
	"testing"
)

func TestReadOptInAndCandidates(t *testing.T) {
	referenced := []Ref{{KindConfigMap, "cm"}, {KindSecret, "s"}}
	for name, tc := range map[string]struct {
		annotations, template map[string]string
		autoReloadAll         bool
		enabled               bool
		candidates            []string
		patterns              []SourceKind
	}{
		"none":                        {annotations: map[string]string{"other": "true"}},
		"auto":                        {annotations: map[string]string{ReloaderAuto: "true"}, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"auto, any case":              {annotations: map[string]string{ReloaderAuto: "True"}, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"auto, ParseBool form":        {annotations: map[string]string{ReloaderAuto: "1"}, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"auto false":                  {annotations: map[string]string{ReloaderAuto: "false"}},
		"auto garbage":                {annotations: map[string]string{ReloaderAuto: "yes"}},
		"secret auto":                 {annotations: map[string]string{ReloaderSecretAuto: "true"}, enabled: true, candidates: []string{"secret/s"}},
		"configmap auto":              {annotations: map[string]string{ReloaderConfigMapAuto: "true"}, enabled: true, candidates: []string{"configmap/cm"}},
		"search":                      {annotations: map[string]string{ReloaderSearch: "true"}, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"named, referenced or not":    {annotations: map[string]string{ReloaderSecretReload: " s, other ,,", ReloaderConfigMapReload: "cm"}, enabled: true, candidates: []string{"configmap/cm", "secret/other", "secret/s"}},
		"named with auto false":       {annotations: map[string]string{ReloaderAuto: "false", ReloaderSecretReload: "other"}, enabled: true, candidates: []string{"secret/other"}},
		"ferry auto":                  {annotations: map[string]string{FerryAuto: "true"}, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"ferry false beats reloader":  {annotations: map[string]string{FerryAuto: "false", ReloaderAuto: "true"}},
		"ferry named list":            {annotations: map[string]string{FerrySecretReload: "a", ReloaderSecretReload: "b"}, enabled: true, candidates: []string{"secret/a"}},
		"ferry configmap auto":        {annotations: map[string]string{FerryConfigMapAuto: "true"}, enabled: true, candidates: []string{"configmap/cm"}},
		"pod template auto":           {template: map[string]string{ReloaderAuto: "true"}, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"metadata wins over template": {annotations: map[string]string{ReloaderAuto: "false"}, template: map[string]string{ReloaderAuto: "true"}},
		"template read per kind": {annotations: map[string]string{ReloaderSecretReload: "x"}, template: map[string]string{ReloaderConfigMapAuto: "true"},
			enabled: true, candidates: []string{"configmap/cm", "secret/x"}},
		"regex list": {annotations: map[string]string{ReloaderSecretReload: "app-.*,db"}, enabled: true,
			candidates: []string{"secret/db"}, patterns: []SourceKind{KindSecret}},
		"regex matches a referenced source": {annotations: map[string]string{ReloaderConfigMapReload: "c."}, enabled: true,
			candidates: []string{"configmap/cm"}, patterns: []SourceKind{KindConfigMap}},
		"invalid regex matches nothing": {annotations: map[string]string{ReloaderSecretReload: "a(["}},
		"auto-reload-all":               {autoReloadAll: true, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"auto-reload-all, auto false":   {annotations: map[string]string{ReloaderAuto: "false"}, autoReloadAll: true},
		"auto-reload-all, typed auto":   {annotations: map[string]string{ReloaderSecretAuto: "true"}, autoReloadAll: true, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"ignored workload":              {annotations: map[string]string{ReloaderAuto: "true", ReloaderIgnore: "true"}, candidates: []string{"configmap/cm", "secret/s"}},
	} {
		t.Run(name, func(t *testing.T) {
			o := ReadOptIn(tc.annotations, tc.template, tc.autoReloadAll)
			if o.Enabled() != tc.enabled {
				t.Errorf("Enabled = %v, want %v (%+v)", o.Enabled(), tc.enabled, o)
			}
			if got := refStrings(o.Candidates(referenced)); !slices.Equal(got, tc.candidates) {
				t.Errorf("Candidates = %v, want %v", got, tc.candidates)
			}
			for _, kind := range []SourceKind{KindSecret, KindConfigMap} {
				if got, want := o.Patterns(kind), slices.Contains(tc.patterns, kind); got != want {
					t.Errorf("Patterns(%s) = %v, want %v", kind, got, want)
				}
			}
		})
	}
}

func TestWatches(t *testing.T) {
	secret, cm := Ref{KindSecret, "s"}, Ref{KindConfigMap, "cm"}
	match := map[string]string{ReloaderMatch: "true"}
	ignore := map[string]string{ReloaderIgnore: "true"}
	for name, tc := range map[string]struct {
		workload, template map[string]string
		ref                Ref
		referenced         bool
		source             map[string]string
		want               bool
	}{
		"auto, referenced":                     {workload: map[string]string{ReloaderAuto: "true"}, ref: secret, referenced: true, want: true},
		"auto, not referenced":                 {workload: map[string]string{ReloaderAuto: "true"}, ref: secret, want: false},
		"auto, ignored source":                 {workload: map[string]string{ReloaderAuto: "true"}, ref: secret, referenced: true, source: ignore, want: false},
		"auto, ferry ignore":                   {workload: map[string]string{ReloaderAuto: "true"}, ref: cm, referenced: true, source: map[string]string{FerryIgnore: "true"}, want: false},
		"auto, ignore false":                   {workload: map[string]string{ReloaderAuto: "true"}, ref: cm, referenced: true, source: map[string]string{ReloaderIgnore: "false"}, want: true},
		"secret auto, configmap":               {workload: map[string]string{ReloaderSecretAuto: "true"}, ref: cm, referenced: true, want: false},
		"configmap auto, configmap":            {workload: map[string]string{ReloaderConfigMapAuto: "true"}, ref: cm, referenced: true, want: true},
		"both typed autos, secret":             {workload: map[string]string{ReloaderConfigMapAuto: "true", ReloaderSecretAuto: "true"}, ref: secret, referenced: true, want: true},
		"search, match":                        {workload: map[string]string{ReloaderSearch: "true"}, ref: secret, referenced: true, source: match, want: true},
		"search, ferry match":                  {workload: map[string]string{FerrySearch: "true"}, ref: cm, referenced: true, source: map[string]string{FerryMatch: "true"}, want: true},
		"search, no match":                     {workload: map[string]string{ReloaderSearch: "true"}, ref: secret, referenced: true, want: false},
		"search, match, not referenced":        {workload: map[string]string{ReloaderSearch: "true"}, ref: secret, source: match, want: false},
		"search and secret auto, matched cm":   {workload: map[string]string{ReloaderSearch: "true", ReloaderSecretAuto: "true"}, ref: cm, referenced: true, source: match, want: true},
		"search and secret auto, unmatched cm": {workload: map[string]string{ReloaderSearch: "true", ReloaderSecretAuto: "true"}, ref: cm, referenced: true, want: false},
		"search and auto: auto wins":           {workload: map[string]string{ReloaderSearch: "true", ReloaderAuto: "true"}, ref: cm, referenced: true, want: true},
		"named, not referenced":                {workload: map[string]string{ReloaderSecretReload: "s"}, ref: secret, want: true},
		"named, other kind":                    {workload: map[string]string{ReloaderSecretReload: "cm"}, ref: cm, referenced: true, want: false},
		"named, ignored":                       {workload: map[string]string{ReloaderSecretReload: "s"}, ref: secret, source: ignore, want: false},
		"named list only, referenced other":    {workload: map[string]string{ReloaderSecretReload: "a"}, ref: secret, referenced: true, want: false},
		"regex, anchored match":                {workload: map[string]string{ReloaderSecretReload: "app-.*"}, ref: Ref{KindSecret, "app-db"}, want: true},
		"regex, anchored: no prefix match":     {workload: map[string]string{ReloaderSecretReload: "app-.*"}, ref: Ref{KindSecret, "my-app-db"}, want: false},
		"regex, alternation is anchored too":   {workload: map[string]string{ReloaderSecretReload: "a|b"}, ref: Ref{KindSecret, "ab"}, want: false},
		"exclude beats auto":                   {workload: map[string]string{ReloaderAuto: "true", ReloaderSecretExclude: "s"}, ref: secret, referenced: true, want: false},
		"exclude beats the reload list":        {workload: map[string]string{ReloaderSecretReload: "s", ReloaderSecretExclude: "x, s"}, ref: secret, want: false},
		"exclude is per kind":                  {workload: map[string]string{ReloaderAuto: "true", ReloaderSecretExclude: "cm"}, ref: cm, referenced: true, want: true},
		"configmap exclude":                    {workload: map[string]string{ReloaderAuto: "true", ReloaderConfigMapExclude: "cm"}, ref: cm, referenced: true, want: false},
		"exclude is a name, not a regex":       {workload: map[string]string{ReloaderAuto: "true", ReloaderSecretExclude: "."}, ref: secret, referenced: true, want: true},
		"exclude on the pod template":          {workload: map[string]string{ReloaderAuto: "true"}, template: map[string]string{FerrySecretExclude: "s"}, ref: secret, referenced: true, want: false},
		"template auto":                        {template: map[string]string{ReloaderAuto: "true"}, ref: secret, referenced: true, want: true},
		"ignored workload":                     {workload: map[string]string{ReloaderAuto: "true", ReloaderIgnore: "true"}, ref: secret, referenced: true, want: false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := ReadOptIn(tc.workload, tc.template, false).Watches(tc.ref, tc.referenced, tc.source); got != tc.want {
				t.Errorf("Watches = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEnvVarName(t *testing.T) {
	for ref, want := range map[Ref]string{
		{KindSecret, "db-creds"}:      "STAKATER_DB_CREDS_SECRET",
		{KindConfigMap, "app.conf-1"}: "STAKATER_APP_CONF_1_CONFIGMAP",
		{KindSecret, "a--b..c"}:       "STAKATER_A_B_C_SECRET",
	} {
		if got := EnvVarName(ref); got != want {
			t.Errorf("EnvVarName(%v) = %q, want %q", ref, got, want)
		}
	}
}
