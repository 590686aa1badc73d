package generator

import (
	"context"
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

func reader(t *testing.T, objs ...client.Object) client.Reader {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := genv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return fakeclient.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
}

func TestRegistryGenerate(t *testing.T) {
	objs := []client.Object{
		&genv1alpha1.Fake{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "static"},
			Spec: genv1alpha1.FakeSpec{Data: map[string]string{"k": "v"}}},
		&genv1alpha1.Password{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "short"},
			Spec: genv1alpha1.PasswordSpec{Length: 4, Digits: ptr(3), Symbols: ptr(3)}},
		&genv1alpha1.ClusterGenerator{ObjectMeta: metav1.ObjectMeta{Name: "shared"},
			Spec: genv1alpha1.ClusterGeneratorSpec{Kind: "Fake",
				Generator: genv1alpha1.GeneratorSpec{FakeSpec: &genv1alpha1.FakeSpec{Data: map[string]string{"c": "cluster"}}}}},
		&genv1alpha1.ClusterGenerator{ObjectMeta: metav1.ObjectMeta{Name: "mismatch"},
			Spec: genv1alpha1.ClusterGeneratorSpec{Kind: "Password",
				Generator: genv1alpha1.GeneratorSpec{FakeSpec: &genv1alpha1.FakeSpec{}}}},
		&genv1alpha1.ClusterGenerator{ObjectMeta: metav1.ObjectMeta{Name: "unserved"},
			Spec: genv1alpha1.ClusterGeneratorSpec{Kind: "UUID", Generator: genv1alpha1.GeneratorSpec{UUIDSpec: &genv1alpha1.UUIDSpec{}}}},
	}
	r := reader(t, objs...)
	registry := NewRegistry(NewFake(), NewPassword()) // no UUID: it stands for an unserved kind
	tests := []struct {
		name      string
		ref       esv1.GeneratorRef
		namespace string
		want      map[string]string
		class     error  // nil: no class
		errText   string // part of the error; empty: no error
	}{
		{name: "namespaced", ref: esv1.GeneratorRef{Kind: "Fake", Name: "static"}, namespace: "team", want: map[string]string{"k": "v"}},
		{name: "cluster generator from any namespace", ref: esv1.GeneratorRef{Kind: "ClusterGenerator", Name: "shared"},
			namespace: "other", want: map[string]string{"c": "cluster"}},
		{name: "other namespace", ref: esv1.GeneratorRef{Kind: "Fake", Name: "static"}, namespace: "other",
			errText: `Fake "static" not found in namespace other`},
		{name: "invalid spec", ref: esv1.GeneratorRef{Kind: "Password", Name: "short"}, namespace: "team",
			class: ErrInvalidSpec, errText: `Password "short": spec.length: 4 is shorter than digits (3) plus symbols (3)`},
		{name: "union of another kind", ref: esv1.GeneratorRef{Kind: "ClusterGenerator", Name: "mismatch"}, namespace: "team",
			class: ErrInvalidSpec, errText: "needs spec.generator.passwordSpec"},
		{name: "cluster generator of a kind not in the registry", ref: esv1.GeneratorRef{Kind: "ClusterGenerator", Name: "unserved"},
			namespace: "team", class: ErrNotImplemented,
			errText: `ClusterGenerator "unserved": UUID generators are not implemented by this version of Ferry`},
		{name: "namespaced kind not in the registry", ref: esv1.GeneratorRef{Kind: "UUID", Name: "any"}, namespace: "team",
			class: ErrNotImplemented, errText: "UUID generators are not implemented by this version of Ferry"},
		{name: "another kind not in the registry", ref: esv1.GeneratorRef{Kind: "SSHKey", Name: "deploy"}, namespace: "team",
			class: ErrNotImplemented, errText: "SSHKey generators are not implemented by this version of Ferry"},
		{name: "message names what is implemented", ref: esv1.GeneratorRef{Kind: "SSHKey", Name: "x"}, namespace: "team",
			class: ErrNotImplemented, errText: "(implemented: Fake, Password)"},
		{name: "other apiVersion", ref: esv1.GeneratorRef{APIVersion: "generators.external-secrets.io/v2", Kind: "Fake", Name: "static"},
			namespace: "team", class: ErrInvalidSpec, errText: "generatorRef.apiVersion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := registry.Generate(context.Background(), r, nil, tt.ref, tt.namespace)
			if tt.errText == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("got keys %v, want %v", keysOf(got), tt.want)
				}
				for k, v := range tt.want {
					if string(got[k]) != v {
						t.Errorf("%s = %q, want %q", k, got[k], v)
					}
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errText) {
				t.Fatalf("error %v, want one with %q", err, tt.errText)
			}
			for _, class := range []error{ErrInvalidSpec, ErrNotServed, ErrNotImplemented} {
				want := tt.class != nil && errors.Is(tt.class, class)
				if errors.Is(err, class) != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", class, !want, want)
				}
			}
			// A class is a spec problem no retry fixes: terminal for controller-runtime,
			// and the message does not say so itself.
			if terminal := errors.Is(err, reconcile.TerminalError(nil)); terminal != (tt.class != nil) {
				t.Errorf("terminal = %v, want %v", terminal, tt.class != nil)
			}
			if strings.Contains(err.Error(), "terminal error") {
				t.Errorf("message %q names the error's class", err)
			}
		})
	}
}
