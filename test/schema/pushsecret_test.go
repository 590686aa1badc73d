package schema

import (
	"path/filepath"
	"testing"
)

// TestPushSecretMatchesESO compares PushSecret, which ESO serves as v1alpha1 only and lists
// in its current inventory, with that inventory.
func TestPushSecretMatchesESO(t *testing.T) {
	ref, err := loadReference(referenceFile)
	if err != nil {
		t.Fatalf("cannot load the reference: %v", err)
	}
	crd, err := loadCRD(filepath.Join(crdDir, "external-secrets.io_pushsecrets.yaml"))
	if err != nil {
		t.Fatalf("cannot load the CRD: %v", err)
	}
	version, err := servedSchema(crd, "v1alpha1")
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range headerProblems(ref, crd, version) {
		t.Error(problem)
	}
	want := ref.fields[kindVersion{"PushSecret", "v1alpha1"}]
	if len(want) == 0 {
		t.Fatal("the reference lists no field of PushSecret v1alpha1")
	}
	problems, extras := fieldProblems(want, flatten(version.Schema.OpenAPIV3Schema))
	for _, problem := range problems {
		t.Error(problem)
	}
	for _, extra := range extras {
		t.Log(extra)
	}
}
