package aws

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// getParametersLimit is the most names GetParameters takes in one call.
const getParametersLimit = 10

// GetAllSecrets returns the parameters that find selects, keyed by name, SecureStrings
// decrypted. A find by path alone reads values while it lists (GetParametersByPath,
// recursive); a find by tags or name lists names first (DescribeParameters) and then reads
// them 10 at a time (GetParameters).
func (p *parameterStore) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	sel, err := newSelector(p.prefix, find)
	if err != nil {
		return nil, err
	}
	if find.Path != nil && len(find.Tags) == 0 {
		return p.byPath(ctx, p.prefix+*find.Path, sel)
	}
	names, err := p.describe(ctx, sel)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(names))
	for start := 0; start < len(names); start += getParametersLimit {
		batch := names[start:min(start+getParametersLimit, len(names))]
		res, err := p.api.GetParameters(ctx, &ssm.GetParametersInput{Names: batch, WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("reading %d parameters from AWS Parameter Store: %w", len(batch), err)
		}
		// Parameters deleted since they were listed come back as InvalidParameters and are
		// left out, as if the list had not found them.
		for _, param := range res.Parameters {
			out[aws.ToString(param.Name)] = []byte(aws.ToString(param.Value))
		}
	}
	return out, nil
}

func (p *parameterStore) byPath(ctx context.Context, path string, sel *selector) (map[string][]byte, error) {
	in := &ssm.GetParametersByPathInput{
		Path:           aws.String(path),
		Recursive:      aws.Bool(true),
		WithDecryption: aws.Bool(true),
		MaxResults:     aws.Int32(10),
	}
	out := map[string][]byte{}
	for {
		res, err := p.api.GetParametersByPath(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("reading parameters under %q from AWS Parameter Store: %w", path, err)
		}
		for _, param := range res.Parameters {
			if name := aws.ToString(param.Name); sel.Match(name, nil) {
				out[name] = []byte(aws.ToString(param.Value))
			}
		}
		if aws.ToString(res.NextToken) == "" {
			return out, nil
		}
		in.NextToken = res.NextToken
	}
}

// describe lists the names of the parameters sel selects, in order. Tags and the name
// prefix are filtered on the server; matches checks the name pattern.
func (p *parameterStore) describe(ctx context.Context, sel *selector) ([]string, error) {
	in := &ssm.DescribeParametersInput{MaxResults: aws.Int32(50), ParameterFilters: sel.parameterFilters()}
	var names []string
	for {
		res, err := p.api.DescribeParameters(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing parameters in AWS Parameter Store: %w", err)
		}
		for _, meta := range res.Parameters {
			// Tags were matched exactly by the server; DescribeParameters does not return them.
			if name := aws.ToString(meta.Name); sel.Match(name, sel.Tags) {
				names = append(names, name)
			}
		}
		if aws.ToString(res.NextToken) == "" {
			break
		}
		in.NextToken = res.NextToken
	}
	sort.Strings(names)
	return names, nil
}

func (sel *selector) parameterFilters() []ssmtypes.ParameterStringFilter {
	var filters []ssmtypes.ParameterStringFilter
	if sel.Path != "" {
		filters = append(filters, ssmtypes.ParameterStringFilter{
			Key: aws.String("Name"), Option: aws.String("BeginsWith"), Values: []string{sel.Path},
		})
	}
	keys := make([]string, 0, len(sel.Tags))
	for k := range sel.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		filters = append(filters, ssmtypes.ParameterStringFilter{
			Key: aws.String("tag:" + k), Option: aws.String("Equals"), Values: []string{sel.Tags[k]},
		})
	}
	return filters
}
