package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/redact"
)

// credentialsExpiryWindow renews cached credentials this long before they expire, so a
// call never leaves with credentials that lapse in flight.
const credentialsExpiryWindow = time.Minute

// credentials resolves the store's base credentials (auth.jwt, then auth.secretRef, else the
// SDK's default chain), then assumes additionalRoles and role in turn. Every link is
// cached, and the whole chain is shared by every caller that resolves the same one (the
// fetcher's client of a store, its change feed, a generator with the same auth): a chain
// costs one STS call per link until its credentials near expiry, however many clients and
// reads go through it.
func (p *Provider) credentials(ctx context.Context, cfg aws.Config, a Access,
	kube client.Client, namespace string) (aws.CredentialsProvider, error) {
	spec := a.Spec
	var base aws.CredentialsProvider
	var identity string
	switch {
	case spec.Auth.JWTAuth != nil:
		jwt, who, err := p.webIdentityCredentials(ctx, cfg, a, kube, namespace, spec.Auth.JWTAuth)
		if err != nil {
			return nil, err
		}
		base, identity = cache(jwt), "jwt:"+who
	case spec.Auth.SecretRef != nil:
		static, err := staticCredentials(ctx, a, kube, namespace, spec.Auth.SecretRef)
		if err != nil {
			return nil, err
		}
		v := static.Value
		sum := sha256.Sum256([]byte(v.AccessKeyID + "\x00" + v.SecretAccessKey + "\x00" + v.SessionToken))
		base, identity = cache(static), "static:"+hex.EncodeToString(sum[:])
	default:
		// The SDK's default chain (environment, shared files, IMDS, IRSA), cached again
		// here so that what it returns is remembered.
		base, identity = cfg.Credentials, "default"
		if base != nil {
			base = cache(base)
		}
	}
	key := chainKey(identity, cfg.Region, sessionName(a.For), spec.AdditionalRoles, spec.Role, spec.ExternalID,
		sessionTags(a, namespace), spec.TransitiveTagKeys)
	return p.chains.get(key, func() aws.CredentialsProvider {
		creds := base
		for _, role := range spec.AdditionalRoles {
			creds = p.assumeRole(cfg, creds, role, sessionName(a.For), nil)
		}
		if spec.Role != "" {
			tags := sessionTags(a, namespace)
			creds = p.assumeRole(cfg, creds, spec.Role, sessionName(a.For), func(o *stscreds.AssumeRoleOptions) {
				if spec.ExternalID != "" {
					o.ExternalID = aws.String(spec.ExternalID)
				}
				o.Tags = tags
				o.TransitiveTagKeys = spec.TransitiveTagKeys
			})
		}
		return creds
	}), nil
}

// chainKey names a credential chain by everything that decides what it returns: the base
// credentials' identity (never a secret in clear: static keys are hashed), the region its
// STS calls go to, and each role with the session name, external ID and tags it is assumed
// with.
func chainKey(identity, region, session string, additionalRoles []string, role, externalID string,
	tags []ststypes.Tag, transitive []string) string {
	parts := []string{identity, region, session, strings.Join(additionalRoles, ","), role, externalID,
		strings.Join(transitive, ",")}
	for _, t := range tags {
		parts = append(parts, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return strings.Join(parts, "\x00")
}

// chainIdle is how long a shared chain is kept unused: a store deleted, or static keys
// rotated, leave one behind that nobody resolves again.
const chainIdle = 24 * time.Hour

// chains is the process's shared credential chains by chainKey.
type chains struct {
	mu      sync.Mutex
	entries map[string]*sharedChain
}

type sharedChain struct {
	creds aws.CredentialsProvider
	used  time.Time
}

// get returns the chain of key, building it with build when there is none, and drops the
// chains unused for chainIdle.
func (c *chains) get(key string, build func() aws.CredentialsProvider) aws.CredentialsProvider {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if e, ok := c.entries[key]; ok {
		e.used = now
		return e.creds
	}
	if c.entries == nil {
		c.entries = map[string]*sharedChain{}
	}
	for k, e := range c.entries {
		if now.Sub(e.used) > chainIdle {
			delete(c.entries, k)
		}
	}
	e := &sharedChain{creds: build(), used: now}
	c.entries[key] = e
	return e.creds
}

// assumeRole returns cached credentials of roleARN, assumed with the source credentials.
func (p *Provider) assumeRole(cfg aws.Config, source aws.CredentialsProvider, roleARN, session string,
	configure func(*stscreds.AssumeRoleOptions)) aws.CredentialsProvider {
	stsConfig := cfg.Copy()
	stsConfig.Credentials = source
	stsClient := sts.NewFromConfig(stsConfig, p.stsOptions)
	return cache(stscreds.NewAssumeRoleProvider(stsClient, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = session
		if configure != nil {
			configure(o)
		}
	}))
}

// cache caches creds until shortly before they expire, and remembers each set it fetches
// as credentials (redact.RememberCredential), so that a message echoing them (an error body
// that quotes the request's session token) never reaches a condition, event or log.
func cache(creds aws.CredentialsProvider) aws.CredentialsProvider {
	return aws.NewCredentialsCache(remembered{creds}, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = credentialsExpiryWindow
	})
}

// remembered remembers the secret parts of the credentials it retrieves. Behind a cache,
// it runs once per set of credentials.
type remembered struct{ aws.CredentialsProvider }

func (r remembered) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := r.CredentialsProvider.Retrieve(ctx)
	if err == nil {
		redact.RememberCredentialString(creds.SecretAccessKey)
		redact.RememberCredentialString(creds.SessionToken)
	}
	return creds, err
}

// sessionTags returns the tags passed when assuming role: sessionTags, then with the
// Simple or Custom sessionTagsPolicy the store's namespace, name and kind, then with Custom
// customSessionTags (sorted, so every client sends the same request).
func sessionTags(a Access, namespace string) []ststypes.Tag {
	spec, store := a.Spec, a.For
	var tags []ststypes.Tag
	for _, t := range spec.SessionTags {
		if t != nil {
			tags = append(tags, ststypes.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
		}
	}
	if spec.SessionTagsPolicy == sessionTagsSimple || spec.SessionTagsPolicy == sessionTagsCustom {
		ns := store.GetNamespace()
		if ns == "" {
			ns = namespace
		}
		tags = append(tags,
			ststypes.Tag{Key: aws.String(sessionTagNamespace), Value: aws.String(ns)},
			ststypes.Tag{Key: aws.String(sessionTagStoreName), Value: aws.String(store.GetName())},
			ststypes.Tag{Key: aws.String(sessionTagStoreKind), Value: aws.String(store.GetKind())},
		)
	}
	if spec.SessionTagsPolicy == sessionTagsCustom {
		keys := make([]string, 0, len(spec.CustomSessionTags))
		for k := range spec.CustomSessionTags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			tags = append(tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(spec.CustomSessionTags[k])})
		}
	}
	return tags
}

// sessionName names Ferry's role sessions after the store, so CloudTrail shows which store
// acted. STS allows 2 to 64 characters of [\w+=,.@-]; store names already fit that set.
func sessionName(store provider.Referent) string {
	name := "ferry"
	if ns := store.GetNamespace(); ns != "" {
		name += "@" + ns
	}
	name += "." + store.GetName()
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}
