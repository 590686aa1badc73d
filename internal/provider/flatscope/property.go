package flatscope

import (
	"encoding/json"
	"fmt"
)

// SetProperty returns old (a JSON object, or nothing when !found) with key prop set to
// value as a JSON string, keeping its other keys. Errors name prop, never a value.
func SetProperty(old string, found bool, prop string, value []byte) (string, error) {
	obj := map[string]json.RawMessage{}
	if found && old != "" {
		if err := json.Unmarshal([]byte(old), &obj); err != nil || obj == nil {
			return "", fmt.Errorf("the value is not a JSON object, so property %q cannot be set", prop)
		}
	}
	encoded, err := json.Marshal(string(value))
	if err != nil {
		return "", fmt.Errorf("property %q: %w", prop, err)
	}
	obj[prop] = encoded
	doc, err := json.Marshal(obj)
	if err != nil {
		return "", fmt.Errorf("property %q: %w", prop, err)
	}
	return string(doc), nil
}

// RemoveProperty returns old without key prop; empty reports that no key is left, had
// that prop was there.
func RemoveProperty(old string, prop string) (next string, empty, had bool, err error) {
	obj := map[string]json.RawMessage{}
	if err := json.Unmarshal([]byte(old), &obj); err != nil || obj == nil {
		return "", false, false, fmt.Errorf("the value is not a JSON object, so property %q cannot be removed", prop)
	}
	if _, ok := obj[prop]; !ok {
		return old, false, false, nil
	}
	delete(obj, prop)
	doc, err := json.Marshal(obj)
	if err != nil {
		return "", false, true, fmt.Errorf("property %q: %w", prop, err)
	}
	return string(doc), len(obj) == 0, true, nil
}

// HasProperty says whether value is a JSON object with key prop.
func HasProperty(value, prop string) bool {
	obj := map[string]json.RawMessage{}
	if json.Unmarshal([]byte(value), &obj) != nil {
		return false
	}
	_, ok := obj[prop]
	return ok
}
