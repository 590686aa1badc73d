// Package logging builds Ferry's logger: JSON lines through zap, with verbosity capped so
// that client-go's request and response body dumps (verbosity 8 and up, which would print
// Secret data) can never be switched on. It must not be bypassed by other packages.
package logging

import (
	"io"
	"slices"
	"sync"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// MaxVerbosity is the highest V level Ferry emits. client-go logs request headers at 7
// and bodies at 8; nothing above this cap is ever written.
const MaxVerbosity = 5

// New returns a JSON logger writing to w at the given verbosity (0 = info), capped at
// MaxVerbosity.
func New(w io.Writer, verbosity int) logr.Logger {
	if verbosity > MaxVerbosity {
		verbosity = MaxVerbosity
	}
	if verbosity < 0 {
		verbosity = 0
	}
	base := zap.New(zap.WriteTo(w), zap.Level(zapcore.Level(-verbosity)),
		zap.UseDevMode(false), zap.Encoder(zapcore.NewJSONEncoder(encoderConfig())))
	return logr.New(capped{root: base.GetSink(), max: verbosity})
}

func encoderConfig() zapcore.EncoderConfig {
	cfg := zapcore.EncoderConfig{
		TimeKey: "ts", LevelKey: "level", NameKey: "logger", MessageKey: "msg", StacktraceKey: "stacktrace",
		CallerKey: "", LineEnding: zapcore.DefaultLineEnding,
		EncodeLevel: zapcore.LowercaseLevelEncoder, EncodeTime: zapcore.ISO8601TimeEncoder,
		EncodeDuration: zapcore.StringDurationEncoder,
	}
	return cfg
}

// capped drops every message above max, whatever the underlying sink would accept, and
// applies names and values to the underlying sink only when a message is written.
//
// zap encodes a WithValues at once, into a buffer of its own (about 1 KB a call): the
// controllers' loggers, two WithValues per reconcile that rarely writes a line, were a tenth
// of all the memory a cold start of 10,000 ExternalSecrets allocated. Here a WithValues keeps
// its arguments, and a logger's chain is encoded once, at its first message: a value given to
// WithValues must not change afterwards (every caller passes strings, names and references).
type capped struct {
	root logr.LogSink // New's zap sink: levels, and the base of every chain
	with *deferred    // nil: root itself
	max  int
}

// deferred is one WithName or WithValues, applied to its parent's sink when first needed.
type deferred struct {
	parent *deferred // nil: the root
	name   string    // a WithName, when kv is nil
	kv     []any
	once   sync.Once
	sink   logr.LogSink
}

// sink returns the underlying sink with this logger's names and values applied.
func (c capped) sink() logr.LogSink {
	if c.with == nil {
		return c.root
	}
	return c.with.apply(c.root)
}

func (d *deferred) apply(root logr.LogSink) logr.LogSink {
	d.once.Do(func() {
		base := root
		if d.parent != nil {
			base = d.parent.apply(root)
		}
		if d.kv != nil {
			d.sink = base.WithValues(d.kv...)
		} else {
			d.sink = base.WithName(d.name)
		}
	})
	return d.sink
}

func (c capped) Init(info logr.RuntimeInfo) { c.root.Init(info) }

func (c capped) Enabled(level int) bool { return level <= c.max && c.root.Enabled(level) }

func (c capped) Info(level int, msg string, kv ...any) {
	if level <= c.max {
		c.sink().Info(level, msg, kv...)
	}
}

func (c capped) Error(err error, msg string, kv ...any) { c.sink().Error(err, msg, kv...) }

// WithValues copies kv: the caller may reuse its slice before the values are encoded.
func (c capped) WithValues(kv ...any) logr.LogSink {
	if len(kv) == 0 {
		return c
	}
	return capped{root: c.root, with: &deferred{parent: c.with, kv: slices.Clone(kv)}, max: c.max}
}

func (c capped) WithName(name string) logr.LogSink {
	return capped{root: c.root, with: &deferred{parent: c.with, name: name}, max: c.max}
}
