package aws

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/ferryhq/ferry/internal/provider"
)

// certificateManagerWriteAPI is the part of the Certificate Manager client PushSecret
// imports, tags and deletes with.
type certificateManagerWriteAPI interface {
	ImportCertificate(ctx context.Context, in *acm.ImportCertificateInput, opts ...func(*acm.Options)) (*acm.ImportCertificateOutput, error)
	DeleteCertificate(ctx context.Context, in *acm.DeleteCertificateInput, opts ...func(*acm.Options)) (*acm.DeleteCertificateOutput, error)
	ListTagsForCertificate(ctx context.Context, in *acm.ListTagsForCertificateInput, opts ...func(*acm.Options)) (*acm.ListTagsForCertificateOutput, error)
	AddTagsToCertificate(ctx context.Context, in *acm.AddTagsToCertificateInput, opts ...func(*acm.Options)) (*acm.AddTagsToCertificateOutput, error)
	RemoveTagsFromCertificate(ctx context.Context, in *acm.RemoveTagsFromCertificateInput, opts ...func(*acm.Options)) (*acm.RemoveTagsFromCertificateOutput, error)
}

// resourceTaggingAPI finds the certificate a remote key was imported as, by its tags.
type resourceTaggingAPI interface {
	GetResources(ctx context.Context, in *resourcegroupstaggingapi.GetResourcesInput,
		opts ...func(*resourcegroupstaggingapi.Options)) (*resourcegroupstaggingapi.GetResourcesOutput, error)
}

var _ provider.Writer = (*certificateManager)(nil)

// remoteKeyTag names, on a certificate Ferry (or ESO) imported, the PushSecret remote key it
// was imported for: ACM names certificates by ARN only. The same tag as ESO's, so each
// finds the certificates the other imported.
const remoteKeyTag = "external-secrets-remote-key"

// certificateManagerMetadata is the push metadata ESO documents for Certificate Manager.
type certificateManagerMetadata struct {
	// Tags are kept on the certificate beside managed-by and the remote key tag; other
	// tags are removed.
	Tags map[string]string `json:"tags,omitempty"`
}

func certificateManagerMetadataOf(ref provider.PushRef) (certificateManagerMetadata, error) {
	var meta certificateManagerMetadata
	if err := provider.DecodeMetadata(ref, "aws (CertificateManager)", &meta); err != nil {
		return meta, err
	}
	if err := refuseManagedByTag(meta.Tags); err != nil {
		return meta, err
	}
	if _, ok := meta.Tags[remoteKeyTag]; ok {
		return meta, fmt.Errorf("%w: metadata.spec.tags.%s: set by Ferry itself; remove it", provider.ErrInvalidMetadata, remoteKeyTag)
	}
	return meta, nil
}

func (c *certificateManager) writer() (certificateManagerWriteAPI, error) {
	w, ok := c.api.(certificateManagerWriteAPI)
	if !ok || c.tagging == nil {
		return nil, errors.New("this Certificate Manager client cannot write")
	}
	return w, nil
}

// tlsBundle is a TLS Secret's certificate, split as ImportCertificate takes it, and key.
type tlsBundle struct {
	leaf, chain, key []byte
}

// tlsBundleOf reads the whole source Secret (value is its data as a JSON object) as a TLS
// Secret: tls.crt holds the certificate then its chain, tls.key the private key. Errors
// name keys, never values.
func tlsBundleOf(value []byte, ref provider.PushRef) (tlsBundle, error) {
	if ref.SecretKey != "" {
		return tlsBundle{}, fmt.Errorf("match.secretKey %q: AWS Certificate Manager imports a whole TLS Secret (tls.crt and tls.key); leave secretKey empty", ref.SecretKey)
	}
	var data map[string]string
	if err := json.Unmarshal(value, &data); err != nil {
		return tlsBundle{}, errors.New("the source Secret's data is not a set of keys")
	}
	for _, k := range []string{tlsCertKey, tlsKeyKey} {
		if data[k] == "" {
			return tlsBundle{}, fmt.Errorf("the source Secret has no key %q, or it is empty: AWS Certificate Manager imports a TLS Secret (tls.crt and tls.key)", k)
		}
	}
	var b tlsBundle
	rest := []byte(data[tlsCertKey])
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		encoded := pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: block.Bytes})
		if b.leaf == nil {
			if _, err := x509.ParseCertificate(block.Bytes); err != nil {
				return tlsBundle{}, fmt.Errorf("key %q: the first certificate does not parse: %w", tlsCertKey, err)
			}
			b.leaf = encoded
			continue
		}
		b.chain = append(b.chain, encoded...)
	}
	if b.leaf == nil {
		return tlsBundle{}, fmt.Errorf("key %q holds no PEM CERTIFICATE", tlsCertKey)
	}
	if block, _ := pem.Decode([]byte(data[tlsKeyKey])); block == nil {
		return tlsBundle{}, fmt.Errorf("key %q holds no PEM private key", tlsKeyKey)
	}
	b.key = []byte(data[tlsKeyKey])
	return b, nil
}

// PushSecret imports the TLS Secret (the whole source Secret: ref.SecretKey must be empty)
// into ACM as the certificate tagged with ref.RemoteKey, creating it when no such
// certificate exists and re-importing it, under the same ARN, when its certificate or chain
// changed. It then makes the certificate's tags those of the metadata, beside managed-by
// and the remote key tag. ref.Property is not used: a certificate has no properties.
func (c *certificateManager) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	meta, err := certificateManagerMetadataOf(ref)
	if err != nil {
		return err
	}
	bundle, err := tlsBundleOf(value, ref)
	if err != nil {
		return err
	}
	w, err := c.writer()
	if err != nil {
		return err
	}
	key := remoteKey(c.prefix, ref.RemoteKey)
	arn, err := c.findCertificate(ctx, key)
	if err != nil {
		return err
	}
	if arn != "" {
		unchanged, err := c.holds(ctx, arn, bundle)
		switch {
		case errors.Is(err, provider.ErrNotFound):
			c.arns.forget(key)
			arn = ""
		case err != nil:
			return err
		case !unchanged:
			in := &acm.ImportCertificateInput{CertificateArn: aws.String(arn), Certificate: bundle.leaf,
				CertificateChain: bundle.chain, PrivateKey: bundle.key}
			if _, err := w.ImportCertificate(ctx, in); err != nil {
				return fmt.Errorf("re-importing certificate %q (remote key %q) into AWS Certificate Manager: %w", arn, key, err)
			}
		}
	}
	if arn == "" {
		tags := []acmtypes.Tag{
			{Key: aws.String(provider.ManagedByTag), Value: aws.String(provider.ManagedByValue)},
			{Key: aws.String(remoteKeyTag), Value: aws.String(key)},
		}
		for _, k := range slices.Sorted(maps.Keys(meta.Tags)) {
			tags = append(tags, acmtypes.Tag{Key: aws.String(k), Value: aws.String(meta.Tags[k])})
		}
		out, err := w.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: bundle.leaf,
			CertificateChain: bundle.chain, PrivateKey: bundle.key, Tags: tags})
		if err != nil {
			return fmt.Errorf("importing remote key %q into AWS Certificate Manager: %w", key, err)
		}
		c.arns.remember(key, aws.ToString(out.CertificateArn))
		return nil // imported with every tag it should have
	}
	return c.syncTags(ctx, w, arn, key, meta.Tags)
}

// holds reports whether the certificate at arn is bundle's certificate and chain.
// ImportCertificate is not asked to compare: it always makes a new import.
func (c *certificateManager) holds(ctx context.Context, arn string, bundle tlsBundle) (bool, error) {
	out, err := c.api.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		return false, certificateError(err, arn, "reading")
	}
	if !sameCertificates(parseCertificates([]byte(aws.ToString(out.Certificate))), parseCertificates(bundle.leaf)) {
		return false, nil
	}
	leaf := parseCertificates(bundle.leaf)
	return sameChain(parseCertificates([]byte(aws.ToString(out.CertificateChain))), parseCertificates(bundle.chain), leaf[0]), nil
}

// sameChain compares the chain ACM returns with the one pushed. ACM's answer may repeat
// the certificate itself when it was imported without a chain, and may end with
// certificates ACM adds (moto, the emulator the tests run on, appends an Amazon CA to
// every chain); neither is a change. So the pushed chain must start ACM's, after copies of
// the leaf are dropped: a chain that only lost trailing certificates is not re-imported
// until the certificate itself changes.
func sameChain(inACM, pushed [][]byte, leaf []byte) bool {
	var got [][]byte
	for _, der := range inACM {
		if !slices.Equal(der, leaf) {
			got = append(got, der)
		}
	}
	return len(got) >= len(pushed) && sameCertificates(got[:len(pushed)], pushed)
}

func sameCertificates(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, func(x, y []byte) bool { return slices.Equal(x, y) })
}

// parseCertificates returns the DER of each PEM CERTIFICATE in b.
func parseCertificates(b []byte) [][]byte {
	var out [][]byte
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return out
		}
		if block.Type == "CERTIFICATE" {
			out = append(out, block.Bytes)
		}
	}
}

// syncTags makes the certificate's tags managed-by, the remote key tag and those of the
// metadata. The first two are put back should a re-import have lost them (moto drops every
// tag on re-import; AWS keeps them).
func (c *certificateManager) syncTags(ctx context.Context, w certificateManagerWriteAPI, arn, key string, metaTags map[string]string) error {
	current, err := c.certificateTags(ctx, w, arn)
	if err != nil {
		return err
	}
	want := maps.Clone(metaTags)
	if want == nil {
		want = map[string]string{}
	}
	want[provider.ManagedByTag], want[remoteKeyTag] = provider.ManagedByValue, key
	var add, remove []acmtypes.Tag
	for _, k := range slices.Sorted(maps.Keys(current)) {
		if _, keep := want[k]; !keep {
			remove = append(remove, acmtypes.Tag{Key: aws.String(k), Value: aws.String(current[k])})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if v, ok := current[k]; !ok || v != want[k] {
			add = append(add, acmtypes.Tag{Key: aws.String(k), Value: aws.String(want[k])})
		}
	}
	if len(remove) > 0 {
		if _, err := w.RemoveTagsFromCertificate(ctx, &acm.RemoveTagsFromCertificateInput{CertificateArn: aws.String(arn), Tags: remove}); err != nil {
			return fmt.Errorf("removing tags of certificate %q: %w", arn, err)
		}
	}
	if len(add) > 0 {
		if _, err := w.AddTagsToCertificate(ctx, &acm.AddTagsToCertificateInput{CertificateArn: aws.String(arn), Tags: add}); err != nil {
			return fmt.Errorf("tagging certificate %q: %w", arn, err)
		}
	}
	return nil
}

func (c *certificateManager) certificateTags(ctx context.Context, w certificateManagerWriteAPI, arn string) (map[string]string, error) {
	out, err := w.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		return nil, certificateError(err, arn, "listing the tags of")
	}
	tags := make(map[string]string, len(out.Tags))
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

// DeleteSecret deletes the certificate imported for ref.RemoteKey. A certificate that is
// already gone is not an error; one that lost its managed-by tag is left alone.
func (c *certificateManager) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	w, err := c.writer()
	if err != nil {
		return err
	}
	key := remoteKey(c.prefix, ref.RemoteKey)
	arn, err := c.findCertificate(ctx, key)
	if err != nil || arn == "" {
		return err
	}
	tags, err := c.certificateTags(ctx, w, arn)
	if errors.Is(err, provider.ErrNotFound) {
		c.arns.forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	if tags[provider.ManagedByTag] != provider.ManagedByValue || tags[remoteKeyTag] != key {
		return fmt.Errorf("certificate %q: %w", arn, provider.ErrNotManaged)
	}
	if _, err := w.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)}); err != nil {
		if code, _ := acmErrorCode(err); code == "ResourceNotFoundException" {
			c.arns.forget(key)
			return nil
		}
		if code, _ := acmErrorCode(err); code == "ResourceInUseException" {
			return fmt.Errorf("certificate %q is still in use by another AWS resource (a load balancer, a CloudFront distribution); detach it and the delete is retried: %w", arn, err)
		}
		return fmt.Errorf("deleting certificate %q: %w", arn, err)
	}
	c.arns.forget(key)
	return nil
}

// SecretExists says whether a certificate was imported for ref.RemoteKey.
func (c *certificateManager) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	w, err := c.writer()
	if err != nil {
		return false, err
	}
	key := remoteKey(c.prefix, ref.RemoteKey)
	arn, err := c.findCertificate(ctx, key)
	if err != nil || arn == "" {
		return false, err
	}
	if _, err := c.certificateTags(ctx, w, arn); err != nil {
		if errors.Is(err, provider.ErrNotFound) {
			c.arns.forget(key)
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// findCertificate returns the ARN of the certificate imported for key, or "" when there is
// none: the one this client imported, or the one the tagging API finds with managed-by and
// the remote key tag. Should several match (two operators raced), the smallest ARN wins,
// as in ESO, so both pick the same one.
func (c *certificateManager) findCertificate(ctx context.Context, key string) (string, error) {
	if arn, ok := c.arns.lookup(key); ok {
		return arn, nil
	}
	in := &resourcegroupstaggingapi.GetResourcesInput{
		// "acm" rather than "acm:certificate": both are valid to AWS, and the service form is
		// the one moto, the emulator the tests run against, filters on.
		ResourceTypeFilters: []string{"acm"},
		TagFilters: []taggingtypes.TagFilter{
			{Key: aws.String(provider.ManagedByTag), Values: []string{provider.ManagedByValue}},
			{Key: aws.String(remoteKeyTag), Values: []string{key}},
		},
	}
	var arns []string
	pages := resourcegroupstaggingapi.NewGetResourcesPaginator(c.tagging, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("finding the certificate of remote key %q by its tags: %w", key, err)
		}
		for _, r := range out.ResourceTagMappingList {
			if arn := aws.ToString(r.ResourceARN); arn != "" {
				arns = append(arns, arn)
			}
		}
	}
	if len(arns) == 0 {
		return "", nil
	}
	arn := slices.Min(arns)
	c.arns.remember(key, arn)
	return arn, nil
}

// arnCache maps pushed remote keys to the certificates imported for them.
type arnCache struct {
	mu   sync.Mutex
	arns map[string]string
}

func newARNCache() *arnCache { return &arnCache{arns: map[string]string{}} }

func (c *arnCache) lookup(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	arn, ok := c.arns[key]
	return arn, ok
}

func (c *arnCache) remember(key, arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.arns[key] = arn
}

func (c *arnCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.arns, key)
}
