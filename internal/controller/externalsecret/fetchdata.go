package externalsecret

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/redact"
	"github.com/ferryhq/ferry/internal/schedule"
	"github.com/ferryhq/ferry/internal/storeref"
	"github.com/ferryhq/ferry/internal/validation"
)

// maxCacheAge is how long ago a value may have been confirmed current (read, or its version
// checked) and still serve this object. A refresh accepts the width of the refresh window,
// so that one version check of a store serves every object due in the window; a first sync
// accepts a value confirmed since the object was created (and within one refresh interval,
// the staleness any refresh allows), so objects created together share reads however long
// their first syncs take; any other forced sync reads the provider.
//
// interval is the one the object is refreshed at: its own, or the safety interval while
// change feeds cover it, whose wider window the grid spreads the object's refreshes over.
//
// A sync for a reported change accepts values as old as the refresh interval: the fetcher
// rereads the changed keys whatever the age asked, and the other keys need no version check.
func maxCacheAge(es *esv1.ExternalSecret, interval time.Duration, forced, changeReported bool, now time.Time) time.Duration {
	window := schedule.JitterSpread(interval)
	if window <= 0 {
		// refreshInterval 0: synced once, never refreshed.
		interval, window = time.Minute, time.Minute
	}
	switch {
	case !forced && changeReported:
		return interval
	case !forced:
		return window
	case es.Status.SyncedResourceVersion == "" && !es.CreationTimestamp.IsZero():
		// creationTimestamp is truncated to the second.
		return max(0, min(interval, now.Sub(es.CreationTimestamp.Time)-time.Second))
	default:
		return 0
	}
}

// validate checks the spec as written, before any read: an invalid spec, or a generic
// target this Ferry may not write, costs no provider call. It runs after the stores are
// resolved, because an ExternalSecret whose stores belong to another controller class is
// not Ferry's to report on.
func (r *Reconciler) validate(es *esv1.ExternalSecret) error {
	if err := validation.ExternalSecret(es); err != nil {
		return failure.Permanent(esv1.ReasonInvalidSpec, "%v", err)
	}
	if err := validation.Unsupported(es); err != nil {
		return failure.Permanent(esv1.ReasonNotSupported, "%v", err)
	}
	if isGeneric(es) {
		return r.GenericTargets.allow(es)
	}
	return nil
}

// sourceFunc returns where an entry with the given sourceRef.storeRef (nil: the
// ExternalSecret's own) is read from.
type sourceFunc func(ref *esv1.SecretStoreRef) fetch.Source

func (r *Reconciler) sources(s *scope, stores map[storeref.Key]esv1.GenericStore) sourceFunc {
	es := s.es
	maxAge := maxCacheAge(es, r.interval(es), es.Status.SyncedResourceVersion != syncedVersion(es), s.changeReported, s.now)
	return func(ref *esv1.SecretStoreRef) fetch.Source {
		return r.source(es, stores[readsFrom(es, ref)], maxAge)
	}
}

// fetchData reads every entry and returns the Secret data, and the remote keys that were
// not found (which deletionPolicy acts on): dataFrom first, then data, later keys winning.
func (r *Reconciler) fetchData(ctx context.Context, s *scope, stores map[storeref.Key]esv1.GenericStore) (map[string][]byte, []string, error) {
	source := r.sources(s, stores)
	data := map[string][]byte{}
	var missing []string
	for i, d := range s.es.Spec.DataFrom {
		field := fmt.Sprintf("spec.dataFrom[%d]", i)
		values, err := r.readDataFrom(ctx, s, source, i, field, d)
		if d.Extract != nil && errors.Is(err, provider.ErrNotFound) {
			missing = append(missing, d.Extract.Key)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		s.secrets.AddMap(values)
		if err := mergeDataFrom(data, field, d, values); err != nil {
			return nil, nil, err
		}
	}
	for i, d := range s.es.Spec.Data {
		field := fmt.Sprintf("spec.data[%d]", i)
		var storeRef *esv1.SecretStoreRef
		if d.SourceRef != nil {
			storeRef = d.SourceRef.SecretStoreRef
		}
		v, err := r.Fetcher.GetSecret(ctx, source(storeRef), d.RemoteRef)
		if errors.Is(err, provider.ErrNotFound) {
			missing = append(missing, d.RemoteRef.Key)
			continue
		}
		if err != nil {
			return nil, nil, providerFailure(field, err)
		}
		s.secrets.Add(v)
		out, err := decodeValue(d.RemoteRef.DecodingStrategy, d.RemoteRef.NullBytePolicy, v)
		if err != nil {
			return nil, nil, failure.Permanent(esv1.ReasonSecretSyncedError, "%s (secretKey %q): %v", field, d.SecretKey, err)
		}
		data[d.SecretKey] = out
	}
	return data, missing, nil
}

// readDataFrom reads one dataFrom entry: an extracted secret, a find, or a generator.
func (r *Reconciler) readDataFrom(ctx context.Context, s *scope, source sourceFunc, i int, field string, d esv1.ExternalSecretDataFromRemoteRef) (map[string][]byte, error) {
	var storeRef *esv1.SecretStoreRef
	if d.SourceRef != nil {
		storeRef = d.SourceRef.SecretStoreRef
	}
	var values map[string][]byte
	var err error
	switch {
	case d.Extract != nil:
		values, err = r.Fetcher.GetSecretMap(ctx, source(storeRef), *d.Extract)
	case d.Find != nil:
		values, err = r.Fetcher.GetAllSecrets(ctx, source(storeRef), *d.Find)
	case d.SourceRef != nil && d.SourceRef.GeneratorRef != nil:
		// Generated values bypass the fetcher: they are new on every sync, never shared.
		return r.generate(ctx, s, i, field, *d.SourceRef.GeneratorRef)
	}
	if d.Extract != nil && errors.Is(err, provider.ErrNotFound) {
		return nil, err // a missing key, which deletionPolicy acts on
	}
	if err != nil {
		return nil, providerFailure(field, err)
	}
	return values, nil
}

// mergeDataFrom converts, rewrites and decodes the keys of one dataFrom entry into data.
func mergeDataFrom(data map[string][]byte, field string, d esv1.ExternalSecretDataFromRemoteRef, values map[string][]byte) error {
	var conv esv1.ExternalSecretConversionStrategy
	var dec esv1.ExternalSecretDecodingStrategy
	var nul esv1.ExternalSecretNullBytePolicy
	switch {
	case d.Extract != nil:
		conv, dec, nul = d.Extract.ConversionStrategy, d.Extract.DecodingStrategy, d.Extract.NullBytePolicy
	case d.Find != nil:
		conv, dec, nul = d.Find.ConversionStrategy, d.Find.DecodingStrategy, d.Find.NullBytePolicy
	}
	values, err := rewrite(d.Rewrite, convertKeys(conv, values))
	if err != nil {
		return failure.Permanent(esv1.ReasonInvalidSpec, "%s.rewrite: %v", field, err)
	}
	for k, v := range values {
		out, err := decodeValue(dec, nul, v)
		if err != nil {
			return failure.Permanent(esv1.ReasonSecretSyncedError, "%s: key %q: %v", field, k, err)
		}
		data[k] = out
	}
	return nil
}

// decodeValue applies a decodingStrategy, then a nullBytePolicy.
func decodeValue(strategy esv1.ExternalSecretDecodingStrategy, policy esv1.ExternalSecretNullBytePolicy, v []byte) ([]byte, error) {
	out, err := decode(strategy, v)
	if err != nil {
		return nil, err
	}
	if err := checkNullBytes(policy, out); err != nil {
		return nil, err
	}
	return out, nil
}

// providerFailure wraps a provider error. Its text is the provider's, not Ferry's, and is
// marked so (redact.Foreign): every value the reconcile knows, of any length, is removed
// from it before it reaches a condition, an event or a log.
func providerFailure(field string, err error) error {
	return failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("%s: %w", field, redact.Foreign(err)))
}

// decode applies a decodingStrategy. Auto decodes base64 (standard, then URL) when the
// value is valid base64 and keeps it as it is otherwise.
func decode(strategy esv1.ExternalSecretDecodingStrategy, v []byte) ([]byte, error) {
	switch strategy {
	case esv1.DecodingBase64:
		out, err := base64.StdEncoding.DecodeString(string(v))
		if err != nil {
			return nil, errors.New("decodingStrategy Base64: the value is not valid base64")
		}
		return out, nil
	case esv1.DecodingBase64URL:
		out, err := base64.URLEncoding.DecodeString(string(v))
		if err != nil {
			if out, err = base64.RawURLEncoding.DecodeString(string(v)); err != nil {
				return nil, errors.New("decodingStrategy Base64URL: the value is not valid base64url")
			}
		}
		return out, nil
	case esv1.DecodingAuto:
		if out, err := base64.StdEncoding.DecodeString(string(v)); err == nil {
			return out, nil
		}
		if out, err := base64.URLEncoding.DecodeString(string(v)); err == nil {
			return out, nil
		}
		return v, nil
	default:
		return v, nil
	}
}

func checkNullBytes(policy esv1.ExternalSecretNullBytePolicy, v []byte) error {
	if policy == esv1.NullBytePolicyFail && bytes.IndexByte(v, 0) >= 0 {
		return errors.New("the value contains a NUL byte and nullBytePolicy is Fail")
	}
	return nil
}

var invalidKeyChars = regexp.MustCompile(`[^-._a-zA-Z0-9]`)

// convertKeys makes remote names valid Secret keys: Default replaces each invalid
// character with "_", Unicode with "_U<hex code point>_".
func convertKeys(strategy esv1.ExternalSecretConversionStrategy, in map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(in))
	for k, v := range in {
		out[invalidKeyChars.ReplaceAllStringFunc(k, func(c string) string {
			if strategy == esv1.ConversionUnicode {
				var b strings.Builder
				for _, r := range c {
					fmt.Fprintf(&b, "_U%04x_", r)
				}
				return b.String()
			}
			return "_"
		})] = v
	}
	return out
}

// rewrite applies the rewrites of a dataFrom entry, in order (internal/controller/externalsecret/rewrite.go).
func rewrite(rules []esv1.ExternalSecretRewrite, in map[string][]byte) (map[string][]byte, error) {
	for i, rule := range rules {
		var err error
		switch {
		case rule.Regexp != nil:
			in, err = rewriteRegexp(*rule.Regexp, in)
		case rule.Transform != nil:
			in, err = rewriteTransform(*rule.Transform, in)
		case rule.Merge != nil:
			in, err = rewriteMerge(*rule.Merge, in)
		}
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return in, nil
}
