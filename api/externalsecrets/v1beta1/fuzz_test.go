package v1beta1_test

import (
	"math"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/conversiontest"
	"github.com/ferryhq/ferry/api/externalsecrets/v1beta1"
)

// addSeeds gives each fuzz test a few inputs, which `go test` runs without fuzzing.
func addSeeds(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("seed walkthrough"))
	f.Add([]byte{0xff, 0x00, 0x7f, 0x10, 0x33, 0xa5, 0x5a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07})
	f.Add([]byte("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"))
}

// FuzzRoundTripV1beta1: any v1beta1 object converted to v1 and back is unchanged.
func FuzzRoundTripV1beta1(f *testing.F) {
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

		// v1 has a place for everything v1beta1 says, so the way up keeps nothing aside, but
		// for refresh intervals too long for v1 to read back as seconds and the two providers
		// ESO dropped from v1. This is what catches a conversion that drops a field: the
		// annotation would hide the loss from the round trip.
		if kept := conversiontest.KeptSections(t, hubES.ObjectMeta, "v1beta1"); kept != nil {
			t.Fatalf("v1 keeps %v of the v1beta1 ExternalSecret\n%s", kept, conversiontest.JSON(t, es))
		}
		for _, store := range []struct {
			hub  metav1.ObjectMeta
			spec *v1beta1.SecretStoreSpec
		}{{hubSS.ObjectMeta, &ss.Spec}, {hubCSS.ObjectMeta, &css.Spec}} {
			kept := conversiontest.KeptSections(t, store.hub, "v1beta1")
			if want := keptOnTheWayUp(store.spec); !slices.Equal(kept, want) {
				t.Fatalf("v1 keeps %v of the v1beta1 store, want %v\n%s", kept, want, conversiontest.JSON(t, store.spec))
			}
		}
	})
}

// keptOnTheWayUp names, sorted, the sections of a v1beta1 store spec that v1 cannot hold.
func keptOnTheWayUp(spec *v1beta1.SecretStoreSpec) []string {
	var kept []string
	if p := spec.Provider; p != nil && p.Alibaba != nil {
		kept = append(kept, "spec.provider.alibaba")
	}
	if p := spec.Provider; p != nil && p.Device42 != nil {
		kept = append(kept, "spec.provider.device42")
	}
	if spec.RefreshInterval > math.MaxInt32 || spec.RefreshInterval < math.MinInt32 {
		kept = append(kept, "spec.refreshInterval")
	}
	return kept
}

// FuzzRoundTripV1ViaV1beta1: any v1 object converted to v1beta1 and back is unchanged.
func FuzzRoundTripV1ViaV1beta1(f *testing.F) {
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
		conversiontest.HubRoundTrip(t, es, newES(), newHubES())
		conversiontest.HubRoundTrip(t, ss, newSS(), newHubSS())
		conversiontest.HubRoundTrip(t, css, newCSS(), newHubCSS())
	})
}
