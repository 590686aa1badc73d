package aws

import (
	"context"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// credentialsExpiryWindow renews cached credentials this long before they expire, so a
// call never leaves with credentials that lapse in flight.
const credentialsExpiryWindow = time.Minute

// credentials resolves the store's base credentials (auth.jwt, then auth.secretRef, else the
// SDK's default chain), then assumes additionalRoles and role in turn. Every link is
// cached: a client built once costs one STS call per link until the credentials near
// expiry, however many reads go through it.
func (p *Provider) credentials(ctx context.Context, cfg aws.Config, store esv1.GenericStore,
	kube client.Client, namespace string) (aws.CredentialsProvider, error) {
	spec := store.GetSpec().Provider.AWS
	var creds aws.CredentialsProvider
	switch {
	case spec.Auth.JWTAuth != nil:
		jwt, err := p.webIdentityCredentials(ctx, cfg, store, kube, namespace, spec.Auth.JWTAuth)
		if err != nil {
			return nil, err
		}
		creds = cache(jwt)
	case spec.Auth.SecretRef != nil:
		static, err := staticCredentials(ctx, store, kube, namespace, spec.Auth.SecretRef)
		if err != nil {
			return nil, err
		}
		creds = cache(static)
	default:
		// LoadDefaultConfig already wraps its chain in a cache.
		creds = cfg.Credentials
	}
	for _, role := range spec.AdditionalRoles {
		creds = p.assumeRole(cfg, creds, role, sessionName(store), nil)
	}
	if spec.Role != "" {
		tags := sessionTags(store, namespace)
		creds = p.assumeRole(cfg, creds, spec.Role, sessionName(store), func(o *stscreds.AssumeRoleOptions) {
			if spec.ExternalID != "" {
				o.ExternalID = aws.String(spec.ExternalID)
			}
			o.Tags = tags
			o.TransitiveTagKeys = spec.TransitiveTagKeys
		})
	}
	return creds, nil
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

func cache(creds aws.CredentialsProvider) aws.CredentialsProvider {
	return aws.NewCredentialsCache(creds, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = credentialsExpiryWindow
	})
}

// sessionTags returns the tags passed when assuming role: sessionTags, then with the
// Simple or Custom sessionTagsPolicy the store's namespace, name and kind, then with Custom
// customSessionTags (sorted, so every client sends the same request).
func sessionTags(store esv1.GenericStore, namespace string) []ststypes.Tag {
	spec := store.GetSpec().Provider.AWS
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
func sessionName(store esv1.GenericStore) string {
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
