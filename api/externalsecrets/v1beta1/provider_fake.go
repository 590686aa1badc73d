package v1beta1

// FakeProvider serves static values from the store's spec. It exists for tests and demos.
type FakeProvider struct {
	// Data are the values the store serves.
	Data []FakeProviderData `json:"data"`
}

// FakeProviderData is one value of a fake store.
type FakeProviderData struct {
	// Key of the value.
	Key string `json:"key"`
	// Value, a string (often JSON).
	Value string `json:"value"`
	// Version of the value; empty matches a request without a version.
	// +optional
	Version string `json:"version,omitempty"`
}
