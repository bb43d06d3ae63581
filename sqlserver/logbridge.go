package sqlserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"

	vtlog "github.com/dolthub/vitess/go/vt/log"
	"github.com/sirupsen/logrus"
)

// levelTrace is the slog level logrus's Trace maps to.
const levelTrace = slog.LevelDebug - 4

// RouteLibraryLogs sends the logging of go-mysql-server (logrus's standard
// logger, which GMS and its session loggers use) and of vitess's mysql
// package to logger, with matching levels, so `quarry serve` writes one
// structured stream. logrus's level is set to the most verbose level
// logger accepts, so disabled GMS messages are not even built.
// It changes process-wide state; call it once at program start.
func RouteLibraryLogs(logger *slog.Logger) {
	l := logrus.StandardLogger()
	l.SetOutput(io.Discard)
	l.SetFormatter(nopFormatter{})
	l.SetLevel(logrusLevel(logger))
	l.ReplaceHooks(logrus.LevelHooks{})
	l.AddHook(&slogHook{log: logger.With("component", "gms")})

	vt := logger.With("component", "vitess")
	logf := func(level slog.Level) func(string, ...any) {
		return func(format string, args ...any) {
			if vt.Enabled(context.Background(), level) {
				vt.Log(context.Background(), level, fmt.Sprintf(format, args...))
			}
		}
	}
	logp := func(level slog.Level) func(...any) {
		return func(args ...any) {
			if vt.Enabled(context.Background(), level) {
				vt.Log(context.Background(), level, fmt.Sprint(args...))
			}
		}
	}
	vtlog.Info, vtlog.Infof = logp(slog.LevelInfo), logf(slog.LevelInfo)
	vtlog.Warning, vtlog.Warningf = logp(slog.LevelWarn), logf(slog.LevelWarn)
	vtlog.Error, vtlog.Errorf = logp(slog.LevelError), logf(slog.LevelError)
}

// logrusLevel is the most verbose logrus level that logger would print.
func logrusLevel(logger *slog.Logger) logrus.Level {
	ctx := context.Background()
	switch {
	case logger.Enabled(ctx, levelTrace):
		return logrus.TraceLevel
	case logger.Enabled(ctx, slog.LevelDebug):
		return logrus.DebugLevel
	case logger.Enabled(ctx, slog.LevelInfo):
		return logrus.InfoLevel
	case logger.Enabled(ctx, slog.LevelWarn):
		return logrus.WarnLevel
	default:
		return logrus.ErrorLevel
	}
}

// slogLevel maps a logrus level to slog.
func slogLevel(l logrus.Level) slog.Level {
	switch l {
	case logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel:
		return slog.LevelError
	case logrus.WarnLevel:
		return slog.LevelWarn
	case logrus.InfoLevel:
		return slog.LevelInfo
	case logrus.DebugLevel:
		return slog.LevelDebug
	default:
		return levelTrace
	}
}

// slogHook forwards logrus entries, with their fields, to slog.
type slogHook struct {
	log *slog.Logger
}

func (h *slogHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h *slogHook) Fire(e *logrus.Entry) error {
	ctx := e.Context
	if ctx == nil {
		ctx = context.Background()
	}
	level := slogLevel(e.Level)
	if !h.log.Enabled(ctx, level) {
		return nil
	}
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		v := e.Data[k]
		if err, ok := v.(error); ok {
			v = err.Error()
		}
		attrs = append(attrs, slog.Any(k, v))
	}
	h.log.LogAttrs(ctx, level, e.Message, attrs...)
	return nil
}

// nopFormatter skips formatting: the hook already emitted the entry.
type nopFormatter struct{}

func (nopFormatter) Format(*logrus.Entry) ([]byte, error) { return nil, nil }
