package schema

import (
	"path/filepath"
	"testing"
)

// pushCRDFiles maps the kinds ESO serves as external-secrets.io/v1alpha1 only to the file
// `make generate` writes their CRD to.
var pushCRDFiles = map[string]string{
	"PushSecret":        "external-secrets.io_pushsecrets.yaml",
	"ClusterPushSecret": "external-secrets.io_clusterpushsecrets.yaml",
}

// TestPushSecretsMatchESO compares PushSecret and ClusterPushSecret, which ESO serves and
// stores as v1alpha1 only, with ESO's full inventory.
func TestPushSecretsMatchESO(t *testing.T) {
	ref, err := loadReference(referenceFile)
	if err != nil {
		t.Fatalf("cannot load the reference: %v", err)
	}
	for kind, file := range pushCRDFiles {
		t.Run(kind, func(t *testing.T) {
			crd, err := loadCRD(filepath.Join(crdDir, file))
			if err != nil {
				t.Fatalf("cannot load the CRD: %v", err)
			}
			if crd.Spec.Names.Kind != kind {
				t.Fatalf("the CRD file of %s holds kind %s", kind, crd.Spec.Names.Kind)
			}
			if len(crd.Spec.Versions) != 1 {
				t.Errorf("%s has %d versions, want v1alpha1 only", kind, len(crd.Spec.Versions))
			}
			version, err := servedSchema(crd, "v1alpha1")
			if err != nil {
				t.Fatal(err)
			}
			compareSingleVersion(t, ref, crd, version)
		})
	}
}
