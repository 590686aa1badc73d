// Package metrics defines Ferry's Prometheus metrics: the series ESO users already have
// dashboards and alerts for (externalsecret_*, secretstore_*, clustersecretstore_*,
// pushsecret_*, clusterexternalsecret_*), and Ferry's own (ferry_*). A *Metrics is built in
// the operator and handed to the parts that record; nothing registers from init(), and a nil
// *Metrics records nothing.
//
// By default (LabelsESO) ESO's series carry ESO's labels, one series per object; LabelsLow
// labels the ExternalSecret series by namespace only and leaves out the per-object series of
// the other kinds. Labels carry names of objects, providers and calls, never a secret value.
package metrics
