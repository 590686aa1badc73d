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
// A sync for a reported change accepts values as old as the refresh interval: the fetcher
// rereads the changed keys whatever the age asked, and the other keys need no version check.
func maxCacheAge(es *esv1.ExternalSecret, forced, changeReported bool, now time.Time) time.Duration {
	interval := refreshInterval(es)
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

// fetchData reads every entry and returns the Secret data, and the remote keys that were
// not found (which deletionPolicy acts on).
func (r *Reconciler) fetchData(ctx context.Context, s *scope, stores map[storeref.Key]esv1.GenericStore) (map[string][]byte, []string, error) {
	es := s.es
	if err := validation.ExternalSecret(es); err != nil {
		return nil, nil, failure.Permanent(esv1.ReasonInvalidSpec, "%v", err)
	}
	if err := validation.Unsupported(es); err != nil {
		return nil, nil, failure.Permanent(esv1.ReasonNotSupported, "%v", err)
	}
	forced := es.Status.SyncedResourceVersion != syncedVersion(es)
	source := func(ref *esv1.SecretStoreRef) fetch.Source {
		k := storeref.KeyOf(es.Spec.SecretStoreRef)
		if ref != nil {
			k = storeref.KeyOf(*ref)
		}
		return r.source(es, stores[k], maxCacheAge(es, forced, s.changeReported, s.now))
	}

	data := map[string][]byte{}
	var missing []string
	notFound := func(err error, key string) bool {
		if errors.Is(err, provider.ErrNotFound) {
			missing = append(missing, key)
			return true
		}
		return false
	}

	for i, d := range es.Spec.DataFrom {
		var storeRef *esv1.SecretStoreRef
		if d.SourceRef != nil {
			storeRef = d.SourceRef.SecretStoreRef
		}
		field := fmt.Sprintf("spec.dataFrom[%d]", i)
		var values map[string][]byte
		var conv esv1.ExternalSecretConversionStrategy
		var dec esv1.ExternalSecretDecodingStrategy
		var nul esv1.ExternalSecretNullBytePolicy
		var err error
		switch {
		case d.Extract != nil:
			values, err = r.Fetcher.GetSecretMap(ctx, source(storeRef), *d.Extract)
			if notFound(err, d.Extract.Key) {
				continue
			}
			conv, dec, nul = d.Extract.ConversionStrategy, d.Extract.DecodingStrategy, d.Extract.NullBytePolicy
		case d.Find != nil:
			values, err = r.Fetcher.GetAllSecrets(ctx, source(storeRef), *d.Find)
			conv, dec, nul = d.Find.ConversionStrategy, d.Find.DecodingStrategy, d.Find.NullBytePolicy
		case d.SourceRef != nil && d.SourceRef.GeneratorRef != nil:
			// Generated values bypass the fetcher: they are new on every sync, never shared.
			if values, err = r.generate(ctx, es.Namespace, field, *d.SourceRef.GeneratorRef); err != nil {
				return nil, nil, err
			}
		}
		if err != nil {
			return nil, nil, providerFailure(field, err)
		}
		s.secrets.AddMap(values)
		values = convertKeys(conv, values)
		if values, err = rewrite(d.Rewrite, values); err != nil {
			return nil, nil, failure.Permanent(esv1.ReasonInvalidSpec, "%s.rewrite: %v", field, err)
		}
		for k, v := range values {
			out, err := decode(dec, v)
			if err != nil {
				return nil, nil, failure.Permanent(esv1.ReasonSecretSyncedError, "%s: key %q: %v", field, k, err)
			}
			if err := checkNullBytes(nul, out); err != nil {
				return nil, nil, failure.Permanent(esv1.ReasonSecretSyncedError, "%s: key %q: %v", field, k, err)
			}
			data[k] = out
		}
	}
	for i, d := range es.Spec.Data {
		var storeRef *esv1.SecretStoreRef
		if d.SourceRef != nil {
			storeRef = d.SourceRef.SecretStoreRef
		}
		field := fmt.Sprintf("spec.data[%d]", i)
		v, err := r.Fetcher.GetSecret(ctx, source(storeRef), d.RemoteRef)
		if notFound(err, d.RemoteRef.Key) {
			continue
		}
		if err != nil {
			return nil, nil, providerFailure(field, err)
		}
		s.secrets.Add(v)
		out, err := decode(d.RemoteRef.DecodingStrategy, v)
		if err != nil {
			return nil, nil, failure.Permanent(esv1.ReasonSecretSyncedError, "%s (secretKey %q): %v", field, d.SecretKey, err)
		}
		if err := checkNullBytes(d.RemoteRef.NullBytePolicy, out); err != nil {
			return nil, nil, failure.Permanent(esv1.ReasonSecretSyncedError, "%s (secretKey %q): %v", field, d.SecretKey, err)
		}
		data[d.SecretKey] = out
	}
	return data, missing, nil
}

// providerFailure wraps a provider error; errors that no retry can fix are permanent.
func providerFailure(field string, err error) error {
	return failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("%s: %w", field, err))
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
