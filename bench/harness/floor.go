package harness

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// floor measures how long a bare client takes to create n Secrets shaped like the ones an
// operator writes (a managed label, a hash annotation, one small key), with the operator's
// client QPS and burst and as many workers as its concurrency: the physical limit of the
// API server on this machine for the writes a cold start cannot avoid. Call cleanup, after
// reading whatever the floor should be measured by, to delete the Secrets.
func floor(ctx context.Context, base *rest.Config, cfg *Config) (took time.Duration, cleanup func() error, err error) {
	rc := rest.CopyConfig(base)
	rc.QPS, rc.Burst = float32(cfg.QPS), cfg.Burst
	c, err := client.New(rc, client.Options{})
	if err != nil {
		return 0, nil, err
	}
	hash := strings.Repeat("0", 64)
	start := time.Now()
	err = parallel(ctx, cfg.N, cfg.Concurrency, func(ctx context.Context, i int) error {
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: floorNamespace, Name: esName(i),
				Labels:      map[string]string{esv1.LabelManaged: esv1.LabelManagedValue},
				Annotations: map[string]string{esv1.AnnotationDataHash: hash}},
			Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{secretKey: []byte(remoteValue(keyOf(i, cfg.K), 1))},
		}
		if err := c.Create(ctx, s); err != nil {
			return fmt.Errorf("floor: creating Secret %s: %w", s.Name, err)
		}
		return nil
	})
	took = time.Since(start)
	if err != nil {
		return 0, nil, err
	}
	return took, func() error {
		if err := c.DeleteAllOf(ctx, &corev1.Secret{}, client.InNamespace(floorNamespace)); err != nil {
			return fmt.Errorf("floor: deleting its Secrets: %w", err)
		}
		return nil
	}, nil
}
