package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// namespaceConditions computes externalsecret_status_condition{namespace,condition,status}
// (LabelsLow) at scrape time from the cache: the number of ExternalSecrets of a namespace
// in each condition, with no per-object state kept between scrapes.
type namespaceConditions struct {
	reader client.Reader
	desc   *prometheus.Desc
}

func newNamespaceConditions(reader client.Reader) *namespaceConditions {
	return &namespaceConditions{reader: reader, desc: prometheus.NewDesc("externalsecret_status_condition",
		"ExternalSecrets of each namespace by condition and status.", []string{"namespace", "condition", "status"}, nil)}
}

func (c *namespaceConditions) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *namespaceConditions) Collect(ch chan<- prometheus.Metric) {
	if c.reader == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var list esv1.ExternalSecretList
	if err := c.reader.List(ctx, &list); err != nil {
		return
	}
	type key struct{ namespace, condition, status string }
	counts := map[key]float64{}
	for i := range list.Items {
		es := &list.Items[i]
		for _, cond := range es.Status.Conditions {
			counts[key{namespace: es.Namespace, condition: string(cond.Type), status: string(cond.Status)}]++
		}
	}
	for k, v := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, k.namespace, k.condition, k.status)
	}
}
