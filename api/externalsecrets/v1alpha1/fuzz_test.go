package v1alpha1_test

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/conversiontest"
	"github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/api/externalsecrets/v1beta1"
)

// addSeeds gives each fuzz test a few inputs, which `go test` runs without fuzzing.
func addSeeds(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("seed walkthrough"))
	f.Add([]byte{0xff, 0x00, 0x7f, 0x10, 0x33, 0xa5, 0x5a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07})
	f.Add([]byte("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"))
}

// FuzzRoundTripV1alpha1: any v1alpha1 object converted to v1 and back is unchanged.
func FuzzRoundTripV1alpha1(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		filler := conversiontest.Filler(data)
		es, ss, css := newES(), newSS(), newCSS()
		filler.Fill(&es.ObjectMeta)
		filler.Fill(&es.Spec)
		filler.Fill(&es.Status)
		filler.Fill(&ss.ObjectMeta)
		filler.Fill(&ss.Spec)
		filler.Fill(&ss.Status)
		filler.Fill(&css.ObjectMeta)
		filler.Fill(&css.Spec)
		filler.Fill(&css.Status)
		hubES := conversiontest.SpokeRoundTrip(t, es, newHubES(), newES())
		hubSS := conversiontest.SpokeRoundTrip(t, ss, newHubSS(), newSS())
		hubCSS := conversiontest.SpokeRoundTrip(t, css, newHubCSS(), newCSS())

		// v1 has a place for everything v1alpha1 says, so the way up keeps nothing aside,
		// except fake valueMaps, which v1 serves as JSON values, and the alibaba provider,
		// which v1 no longer has. This is what catches a conversion that drops a field: the
		// annotation would hide the loss from the round trip.
		if kept := conversiontest.KeptSections(t, hubES.ObjectMeta, "v1alpha1"); kept != nil {
			t.Fatalf("v1 keeps %v of the v1alpha1 ExternalSecret\n%s", kept, conversiontest.JSON(t, es))
		}
		for _, store := range []struct {
			hub  metav1.ObjectMeta
			spec *v1alpha1.SecretStoreSpec
		}{{hubSS.ObjectMeta, &ss.Spec}, {hubCSS.ObjectMeta, &css.Spec}} {
			kept := conversiontest.KeptSections(t, store.hub, "v1alpha1")
			if want := keptOfStore(store.spec); !slices.Equal(kept, want) {
				t.Fatalf("v1 keeps %v of the v1alpha1 store, want %v\n%s", kept, want, conversiontest.JSON(t, store.spec))
			}
		}
	})
}

// keptOfStore returns the sections of a v1alpha1 store that v1 cannot hold, sorted as
// KeptSections returns them: the alibaba provider and fake entries with a valueMap.
func keptOfStore(spec *v1alpha1.SecretStoreSpec) []string {
	if spec.Provider == nil {
		return nil
	}
	var kept []string
	if spec.Provider.Alibaba != nil {
		kept = append(kept, "spec.provider.alibaba")
	}
	if spec.Provider.Fake != nil && slices.ContainsFunc(spec.Provider.Fake.Data, func(data v1alpha1.FakeProviderData) bool {
		return len(data.ValueMap) > 0
	}) {
		kept = append(kept, "spec.provider.fake.data")
	}
	return kept
}

// FuzzRoundTripV1ViaV1alpha1: any v1 object converted to v1alpha1 and back is unchanged.
func FuzzRoundTripV1ViaV1alpha1(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		filler := conversiontest.Filler(data)
		es, ss, css := newHubES(), newHubSS(), newHubCSS()
		filler.Fill(&es.ObjectMeta)
		filler.Fill(&es.Spec)
		filler.Fill(&es.Status)
		filler.Fill(&ss.ObjectMeta)
		filler.Fill(&ss.Spec)
		filler.Fill(&ss.Status)
		filler.Fill(&css.ObjectMeta)
		filler.Fill(&css.Spec)
		filler.Fill(&css.Status)
		// v1alpha1 has no status.capabilities; the controller recomputes it, so it is not kept.
		ss.Status.Capabilities, css.Status.Capabilities = "", ""
		conversiontest.HubRoundTrip(t, es, newES(), newHubES())
		conversiontest.HubRoundTrip(t, ss, newSS(), newHubSS())
		conversiontest.HubRoundTrip(t, css, newCSS(), newHubCSS())
	})
}

// FuzzRoundTripV1alpha1ViaV1beta1: a v1alpha1 object read as v1beta1 (through v1, as the
// conversion webhook does) and written back is unchanged, so values each older version keeps
// for itself do not disturb the other's.
func FuzzRoundTripV1alpha1ViaV1beta1(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		filler := conversiontest.Filler(data)
		es := newES()
		filler.Fill(&es.ObjectMeta)
		filler.Fill(&es.Spec)
		filler.Fill(&es.Status)
		viaV1beta1(t, es, newHubES(), &v1beta1.ExternalSecret{}, newHubES(), newES())
		ss := newSS()
		filler.Fill(&ss.ObjectMeta)
		filler.Fill(&ss.Spec)
		filler.Fill(&ss.Status)
		viaV1beta1(t, ss, newHubSS(), &v1beta1.SecretStore{}, newHubSS(), newSS())
	})
}

// viaV1beta1 converts spoke up to hub, down to v1beta1, up to hub2 and down to back, and
// fails unless back encodes as spoke did.
func viaV1beta1(t *testing.T, spoke spokeObject, hub hubObject, beta spokeObject, hub2 hubObject, back spokeObject) {
	t.Helper()
	want := conversiontest.JSON(t, spoke)
	// Each converted object passes through JSON, as between the API server and the webhook.
	steps := []struct {
		convert   func() error
		converted any
	}{
		{func() error { return spoke.ConvertTo(hub) }, hub},
		{func() error { return beta.ConvertFrom(hub) }, beta},
		{func() error { return beta.ConvertTo(hub2) }, hub2},
		{func() error { return back.ConvertFrom(hub2) }, back},
	}
	for i, step := range steps {
		if err := step.convert(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		conversiontest.ThroughJSON(t, step.converted)
	}
	if got := conversiontest.JSON(t, back); got != want {
		t.Fatalf("lost on the way through v1beta1:\nwant %s\ngot  %s\nv1beta1 %s", want, got, conversiontest.JSON(t, beta))
	}
}
