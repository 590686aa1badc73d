package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// storeCollector computes ferry_store_status_condition at scrape time from the cache: one
// series per store and condition, valued 1. Stores are few (administrators write them), so
// they are labelled by name.
type storeCollector struct {
	reader        client.Reader
	clusterStores bool
	desc          *prometheus.Desc
}

func newStoreCollector(reader client.Reader, clusterStores bool) *storeCollector {
	return &storeCollector{reader: reader, clusterStores: clusterStores, desc: prometheus.NewDesc(
		"ferry_store_status_condition",
		"SecretStores and ClusterSecretStores by condition and status: 1 per store and condition (namespace is empty for a ClusterSecretStore).",
		[]string{"kind", "namespace", "name", "condition", "status"}, nil)}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	if c.reader == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var stores esv1.SecretStoreList
	if err := c.reader.List(ctx, &stores); err == nil {
		for i := range stores.Items {
			s := &stores.Items[i]
			c.emit(ch, esv1.SecretStoreKind, s.Namespace, s.Name, s.Status.Conditions)
		}
	}
	if !c.clusterStores {
		return
	}
	var cluster esv1.ClusterSecretStoreList
	if err := c.reader.List(ctx, &cluster); err == nil {
		for i := range cluster.Items {
			s := &cluster.Items[i]
			c.emit(ch, esv1.ClusterSecretStoreKind, "", s.Name, s.Status.Conditions)
		}
	}
}

func (c *storeCollector) emit(ch chan<- prometheus.Metric, kind, namespace, name string, conditions []esv1.SecretStoreStatusCondition) {
	for _, cond := range conditions {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, 1, kind, namespace, name, string(cond.Type), string(cond.Status))
	}
}
