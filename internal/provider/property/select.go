package property

// Select returns doc itself when path is empty, and otherwise what Get returns: what
// GetSecret gives for a remote value and a remoteRef.property.
func Select(doc []byte, path string) ([]byte, error) {
	if path == "" {
		return doc, nil
	}
	return Get(doc, path)
}

// SpreadAt spreads the JSON object at path in doc (doc itself when path is empty) into
// Secret keys: what GetSecretMap gives for a remote value and a remoteRef.property.
func SpreadAt(doc []byte, path string) (map[string][]byte, error) {
	obj, err := Select(doc, path)
	if err != nil {
		return nil, err
	}
	return Spread(obj)
}
