package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ferryhq/ferry/internal/provider"
)

// currentFunc reads a remote key's value and whether Ferry (or ESO) manages it; a missing key
// is (nil, false, false, nil).
type currentFunc func(ctx context.Context, key string) (value []byte, exists, managed bool, err error)

// planPush reads key and says what a push of value (or of its property) writes: next, or
// nothing when the key holds it already. A key that exists unmanaged is refused. noun names
// the remote object in errors ("secret", "parameter").
func planPush(ctx context.Context, current currentFunc, noun, key string, value []byte, property string) (next []byte, exists, unchanged bool, err error) {
	cur, exists, managed, err := current(ctx, key)
	if err != nil {
		return nil, false, false, err
	}
	if exists && !managed {
		return nil, true, false, fmt.Errorf("%s %q: %w", noun, key, provider.ErrNotManaged)
	}
	next, err = withProperty(cur, value, property)
	if err != nil {
		return nil, exists, false, fmt.Errorf("%s %q: %w", noun, key, err)
	}
	return next, exists, exists && cur != nil && bytes.Equal(cur, next), nil
}

// planDelete reads key and says what a delete (of the whole key, or of property) does:
// nothing when the key is gone (exists false), rewrite rest when other properties remain,
// or delete the key (rest nil). A key that exists unmanaged is refused.
func planDelete(ctx context.Context, current currentFunc, noun, key, property string) (rest []byte, exists bool, err error) {
	cur, exists, managed, err := current(ctx, key)
	if err != nil || !exists {
		return nil, false, err
	}
	if !managed {
		return nil, true, fmt.Errorf("%s %q: %w", noun, key, provider.ErrNotManaged)
	}
	if property == "" {
		return nil, true, nil
	}
	rest, empty, err := withoutProperty(cur, property)
	if err != nil {
		return nil, true, fmt.Errorf("%s %q: %w", noun, key, err)
	}
	if empty {
		return nil, true, nil
	}
	return rest, true, nil
}

// withProperty returns value, or the JSON object cur with property set to value.
func withProperty(cur, value []byte, property string) ([]byte, error) {
	if property == "" {
		return value, nil
	}
	obj := map[string]any{}
	if len(cur) > 0 {
		if err := json.Unmarshal(cur, &obj); err != nil {
			return nil, fmt.Errorf("the value is not a JSON object, so property %q cannot be set in it", property)
		}
	}
	obj[property] = string(value)
	return json.Marshal(obj)
}

// withoutProperty removes property from the JSON object cur and says whether it is empty.
func withoutProperty(cur []byte, property string) ([]byte, bool, error) {
	obj := map[string]any{}
	if len(cur) > 0 {
		if err := json.Unmarshal(cur, &obj); err != nil {
			return nil, false, fmt.Errorf("the value is not a JSON object, so property %q cannot be removed from it", property)
		}
	}
	delete(obj, property)
	out, err := json.Marshal(obj)
	return out, len(obj) == 0, err
}

// decodeNested decodes raw, the metadata key field (as "tier"), into the struct into points
// to, refusing keys it does not have, and says which key is wrong.
func decodeNested(raw json.RawMessage, field string, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return fmt.Errorf("%w: metadata.spec.%s.%s: must be a %s", provider.ErrInvalidMetadata, field, typeErr.Field, typeErr.Type)
		case errors.As(err, &typeErr):
			return fmt.Errorf("%w: metadata.spec.%s: must be a JSON object", provider.ErrInvalidMetadata, field)
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return fmt.Errorf("%w: metadata.spec.%s: unknown key %s", provider.ErrInvalidMetadata, field, name)
		}
		return fmt.Errorf("%w: metadata.spec.%s: not valid JSON", provider.ErrInvalidMetadata, field)
	}
	return nil
}
