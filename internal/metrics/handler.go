package metrics

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// textFormat is the exposition format the handler writes: Prometheus' text format 0.0.4,
// which every scraper accepts whatever it asks for first.
var textFormat = string(expfmt.NewFormat(expfmt.TypeTextPlain))

// Handler serves /metrics: the series of reg, then the per-object series of m (ESO's
// <kind>_status_condition, _reconcile_duration and the ExternalSecrets' sync counters),
// which are written straight from m's tables rather than gathered as metric objects
// (objectTable). It always answers in the text format, gzipped when the scraper accepts it.
// An error of reg's answers 500, as controller-runtime's handler does.
func Handler(reg prometheus.Gatherer, m *Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		families, err := reg.Gather()
		if err != nil {
			http.Error(w, "gathering metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", textFormat)
		var out io.Writer = w
		if acceptsGzip(r) {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzipWriters.Get().(*gzip.Writer)
			gz.Reset(w)
			defer func() {
				_ = gz.Close()
				gzipWriters.Put(gz)
			}()
			out = gz
		}
		tw := &textWriter{w: bufio.NewWriterSize(out, 32<<10)}
		for _, f := range families {
			if _, err := expfmt.MetricFamilyToText(tw.w, f); err != nil {
				return // the scraper went away
			}
		}
		if m != nil {
			for _, kind := range kinds {
				if t := m.objects[kind]; t != nil {
					t.writeText(tw)
				}
			}
		}
		_ = tw.w.Flush()
	})
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		if enc, _, _ := strings.Cut(strings.TrimSpace(part), ";"); enc == "gzip" {
			return true
		}
	}
	return false
}

// textWriter writes series in the text format. Write errors are left to the bufio.Writer,
// which keeps the first and drops what follows.
type textWriter struct {
	w *bufio.Writer
	// current is the family being written; headed says its HELP and TYPE lines are written
	// (before its first sample).
	current *family
	headed  bool
	buf     []byte
}

// family writes the samples each writes for rows under f's HELP and TYPE lines, which are
// left out when each writes none.
func (tw *textWriter) family(f family, rows []row, each func(*row)) {
	tw.current, tw.headed = &f, false
	for i := range rows {
		each(&rows[i])
	}
	tw.current = nil
}

// sample writes one series of an object in the current family:
// name{[condition,]name,namespace[,status]} value. condition and status are left out when
// empty.
func (tw *textWriter) sample(key types.NamespacedName, condition, status string, value float64) {
	b := tw.buf[:0]
	f := tw.current
	if !tw.headed {
		b = append(b, "# HELP "...)
		b = appendEscaped(b, f.name+" "+f.help, false)
		b = append(b, "\n# TYPE "...)
		b = append(b, f.name...)
		b = append(b, ' ')
		b = append(b, f.typ...)
		b = append(b, '\n')
		tw.headed = true
	}
	b = append(b, f.name...)
	b = append(b, '{')
	if condition != "" {
		b = appendLabel(b, "condition", condition)
		b = append(b, ',')
	}
	b = appendLabel(b, "name", key.Name)
	b = append(b, ',')
	b = appendLabel(b, "namespace", key.Namespace)
	if status != "" {
		b = append(b, ',')
		b = appendLabel(b, "status", status)
	}
	b = append(b, "} "...)
	b = appendFloat(b, value)
	b = append(b, '\n')
	tw.buf = b
	_, _ = tw.w.Write(b)
}

func appendLabel(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, `="`...)
	b = appendEscaped(b, value, true)
	return append(b, '"')
}

// appendEscaped escapes as the text format wants: backslash and newline everywhere, the
// double quote in label values.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// NewServer returns the metrics server for the manager (mgr.Add): Handler on /metrics at
// addr, started with the manager's other HTTP servers, before its caches, on every replica.
// It replaces controller-runtime's metrics server, whose handler gathers every series as a
// metric object.
func NewServer(addr string, handler http.Handler) *manager.Server {
	mux := http.NewServeMux()
	mux.Handle("/metrics", handler)
	shutdown := time.Minute
	return &manager.Server{Name: "metrics", ShutdownTimeout: &shutdown,
		Server: &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 30 * time.Second}}
}
