// Package logging builds Ferry's logger: JSON lines through zap, with verbosity capped so
// that client-go's request and response body dumps (verbosity 8 and up, which would print
// Secret data) can never be switched on. It must not be bypassed by other packages.
package logging

import (
	"io"

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
	return logr.New(capped{LogSink: base.GetSink(), max: verbosity})
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

// capped drops every message above max, whatever the underlying sink would accept.
type capped struct {
	logr.LogSink
	max int
}

func (c capped) Enabled(level int) bool { return level <= c.max && c.LogSink.Enabled(level) }

func (c capped) Info(level int, msg string, kv ...any) {
	if level <= c.max {
		c.LogSink.Info(level, msg, kv...)
	}
}

func (c capped) WithValues(kv ...any) logr.LogSink {
	return capped{LogSink: c.LogSink.WithValues(kv...), max: c.max}
}

func (c capped) WithName(name string) logr.LogSink {
	return capped{LogSink: c.LogSink.WithName(name), max: c.max}
}
