package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// externalSecretCollector computes, at scrape time from the cache and with no per-object
// state kept between scrapes, ferry_externalsecret_not_ready{namespace,reason} and, with
// LabelsLow, externalsecret_status_condition{namespace,condition,status}: the number of
// ExternalSecrets of a namespace in each condition.
type externalSecretCollector struct {
	reader client.Reader
	// conditions is nil with LabelsESO, whose condition gauge is set by the controllers.
	conditions *prometheus.Desc
	notReady   *prometheus.Desc
}

func newExternalSecretCollector(reader client.Reader, countConditions bool) *externalSecretCollector {
	c := &externalSecretCollector{reader: reader, notReady: prometheus.NewDesc("ferry_externalsecret_not_ready",
		"ExternalSecrets whose Ready condition is False, by the condition's reason.", []string{"namespace", "reason"}, nil)}
	if countConditions {
		c.conditions = prometheus.NewDesc("externalsecret_status_condition",
			"ExternalSecrets of each namespace by condition and status.", []string{"namespace", "condition", "status"}, nil)
	}
	return c
}

func (c *externalSecretCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.notReady
	if c.conditions != nil {
		ch <- c.conditions
	}
}

func (c *externalSecretCollector) Collect(ch chan<- prometheus.Metric) {
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
	type reasonKey struct{ namespace, reason string }
	counts := map[key]float64{}
	notReady := map[reasonKey]float64{}
	for i := range list.Items {
		es := &list.Items[i]
		for _, cond := range es.Status.Conditions {
			counts[key{namespace: es.Namespace, condition: string(cond.Type), status: string(cond.Status)}]++
			if cond.Type == esv1.ExternalSecretReady && cond.Status == corev1.ConditionFalse {
				notReady[reasonKey{es.Namespace, cond.Reason}]++
			}
		}
	}
	for k, v := range notReady {
		ch <- prometheus.MustNewConstMetric(c.notReady, prometheus.GaugeValue, v, k.namespace, k.reason)
	}
	if c.conditions == nil {
		return
	}
	for k, v := range counts {
		ch <- prometheus.MustNewConstMetric(c.conditions, prometheus.GaugeValue, v, k.namespace, k.condition, k.status)
	}
}
