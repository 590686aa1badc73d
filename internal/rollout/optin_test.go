package rollout

import (
	"slices"
	"testing"
)

func TestReadOptInAndCandidates(t *testing.T) {
	referenced := []Ref{{KindConfigMap, "cm"}, {KindSecret, "s"}}
	for name, tc := range map[string]struct {
		annotations map[string]string
		enabled     bool
		candidates  []string
	}{
		"none":                       {annotations: map[string]string{"other": "true"}},
		"auto":                       {annotations: map[string]string{ReloaderAuto: "true"}, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"auto, any case":             {annotations: map[string]string{ReloaderAuto: "True"}, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"auto false":                 {annotations: map[string]string{ReloaderAuto: "false"}},
		"auto garbage":               {annotations: map[string]string{ReloaderAuto: "yes"}},
		"secret auto":                {annotations: map[string]string{ReloaderSecretAuto: "true"}, enabled: true, candidates: []string{"secret/s"}},
		"configmap auto":             {annotations: map[string]string{ReloaderConfigMapAuto: "true"}, enabled: true, candidates: []string{"configmap/cm"}},
		"search":                     {annotations: map[string]string{ReloaderSearch: "true"}, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"named, referenced or not":   {annotations: map[string]string{ReloaderSecretReload: " s, other ,,", ReloaderConfigMapReload: "cm"}, enabled: true, candidates: []string{"configmap/cm", "secret/other", "secret/s"}},
		"named with auto false":      {annotations: map[string]string{ReloaderAuto: "false", ReloaderSecretReload: "other"}, enabled: true, candidates: []string{"secret/other"}},
		"ferry auto":                 {annotations: map[string]string{FerryAuto: "true"}, enabled: true, candidates: []string{"configmap/cm", "secret/s"}},
		"ferry false beats reloader": {annotations: map[string]string{FerryAuto: "false", ReloaderAuto: "true"}},
		"ferry named list":           {annotations: map[string]string{FerrySecretReload: "a", ReloaderSecretReload: "b"}, enabled: true, candidates: []string{"secret/a"}},
		"ferry configmap auto":       {annotations: map[string]string{FerryConfigMapAuto: "true"}, enabled: true, candidates: []string{"configmap/cm"}},
	} {
		t.Run(name, func(t *testing.T) {
			o := ReadOptIn(tc.annotations)
			if o.Enabled() != tc.enabled {
				t.Errorf("Enabled = %v, want %v (%+v)", o.Enabled(), tc.enabled, o)
			}
			if got := refStrings(o.Candidates(referenced)); !slices.Equal(got, tc.candidates) {
				t.Errorf("Candidates = %v, want %v", got, tc.candidates)
			}
		})
	}
}

func TestWatches(t *testing.T) {
	secret, cm := Ref{KindSecret, "s"}, Ref{KindConfigMap, "cm"}
	match := map[string]string{ReloaderMatch: "true"}
	ignore := map[string]string{ReloaderIgnore: "true"}
	for name, tc := range map[string]struct {
		workload   map[string]string
		ref        Ref
		referenced bool
		source     map[string]string
		want       bool
	}{
		"auto, referenced":                  {workload: map[string]string{ReloaderAuto: "true"}, ref: secret, referenced: true, want: true},
		"auto, not referenced":              {workload: map[string]string{ReloaderAuto: "true"}, ref: secret, want: false},
		"auto, ignored source":              {workload: map[string]string{ReloaderAuto: "true"}, ref: secret, referenced: true, source: ignore, want: false},
		"auto, ferry ignore":                {workload: map[string]string{ReloaderAuto: "true"}, ref: cm, referenced: true, source: map[string]string{FerryIgnore: "true"}, want: false},
		"auto, ignore false":                {workload: map[string]string{ReloaderAuto: "true"}, ref: cm, referenced: true, source: map[string]string{ReloaderIgnore: "false"}, want: true},
		"secret auto, configmap":            {workload: map[string]string{ReloaderSecretAuto: "true"}, ref: cm, referenced: true, want: false},
		"configmap auto, configmap":         {workload: map[string]string{ReloaderConfigMapAuto: "true"}, ref: cm, referenced: true, want: true},
		"both typed autos, secret":          {workload: map[string]string{ReloaderConfigMapAuto: "true", ReloaderSecretAuto: "true"}, ref: secret, referenced: true, want: true},
		"search, match":                     {workload: map[string]string{ReloaderSearch: "true"}, ref: secret, referenced: true, source: match, want: true},
		"search, ferry match":               {workload: map[string]string{FerrySearch: "true"}, ref: cm, referenced: true, source: map[string]string{FerryMatch: "true"}, want: true},
		"search, no match":                  {workload: map[string]string{ReloaderSearch: "true"}, ref: secret, referenced: true, want: false},
		"search, match, not referenced":     {workload: map[string]string{ReloaderSearch: "true"}, ref: secret, source: match, want: false},
		"search and typed auto: auto wins":  {workload: map[string]string{ReloaderSearch: "true", ReloaderSecretAuto: "true"}, ref: cm, referenced: true, source: match, want: false},
		"named, not referenced":             {workload: map[string]string{ReloaderSecretReload: "s"}, ref: secret, want: true},
		"named, other kind":                 {workload: map[string]string{ReloaderSecretReload: "cm"}, ref: cm, referenced: true, want: false},
		"named, ignored":                    {workload: map[string]string{ReloaderSecretReload: "s"}, ref: secret, source: ignore, want: false},
		"named list only, referenced other": {workload: map[string]string{ReloaderSecretReload: "a"}, ref: secret, referenced: true, want: false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := ReadOptIn(tc.workload).Watches(tc.ref, tc.referenced, tc.source); got != tc.want {
				t.Errorf("Watches = %v, want %v", got, tc.want)
			}
		})
	}
}
