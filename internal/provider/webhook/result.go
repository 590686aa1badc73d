package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/client-go/util/jsonpath"
)

// errNoMatch means result.jsonPath selects nothing in the response.
var errNoMatch = errors.New("result.jsonPath selects nothing in the response")

// selectResult returns what path selects in the JSON body, or the body itself when path
// is empty. A string is returned as it is, anything else as JSON; several matches are a
// JSON array. Errors never quote the body.
func selectResult(body []byte, path string) ([]byte, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return body, nil
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, errors.New("result.jsonPath: the response is not JSON")
	}
	expr := path
	if !strings.HasPrefix(expr, "{") {
		expr = "{" + expr + "}"
	}
	jp := jsonpath.New("result")
	if err := jp.Parse(expr); err != nil {
		return nil, fmt.Errorf("result.jsonPath %q: %w", path, err)
	}
	results, err := jp.FindResults(doc)
	if err != nil {
		// Messages of a failed lookup name the path, never the values.
		return nil, fmt.Errorf("result.jsonPath %q: %w", path, errNoMatch)
	}
	var values []any
	for _, set := range results {
		for _, v := range set {
			values = append(values, v.Interface())
		}
	}
	switch len(values) {
	case 0:
		return nil, fmt.Errorf("result.jsonPath %q: %w", path, errNoMatch)
	case 1:
		return render(values[0])
	default:
		return render(values)
	}
}

func render(v any) ([]byte, error) {
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, errors.New("result.jsonPath: the selected value cannot be encoded as JSON")
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
