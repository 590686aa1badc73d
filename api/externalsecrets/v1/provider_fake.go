package v1

// FakeProvider serves static values from the store's spec. It exists for tests and demos.
type FakeProvider struct {
	// Data are the values the store serves.
	Data []FakeProviderData `json:"data"`

	// ValidationResult forces the store's validation outcome:
	// 0 ready, 1 unknown, 2 error.
	// +optional
	ValidationResult *ValidationResult `json:"validationResult,omitempty"`
}

// ValidationResult is the outcome of a store validation.
type ValidationResult uint8

// Validation outcomes.
const (
	ValidationResultReady ValidationResult = iota
	ValidationResultUnknown
	ValidationResultError
)

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
