package dev.berth.cli;

import dev.berth.api.telemetry.RequestScope;
import dev.berth.api.telemetry.StructuredLog;
import dev.berth.api.telemetry.TraceContext;
import dev.berth.config.BerthConfig;
import dev.berth.config.ConfigLoader;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * java.util.logging set up for the server: one record a line on stderr, as text
 * ({@code 2026-11-29T15:00:00.123Z INFO  dev.berth.cli.ServeCommand message}) or as JSON ({@code log.formatter:
 * json}: {@code {"time":...,"level":"info","logger":...,"msg":...}} with the record's fields, the request's trace id
 * and {@code log.fields}). Netty and HikariCP log through SLF4J, which slf4j-jdk14 routes here.
 */
public final class Logging {

    /** Overrides the level of Berth's own loggers before the configuration is read (also {@code log.level}). */
    public static final String LEVEL_ENV = "BERTH_LOG_LEVEL";

    /** Held strongly: java.util.logging forgets the level of a logger nobody references. */
    private static final Logger BERTH = Logger.getLogger("dev.berth");
    private static final Logger ACCESS = Logger.getLogger("berth.access");

    private Logging() {
    }

    /** Replaces the root logger's handlers with one stderr handler using {@link OneLineFormatter}. */
    public static void setup(Level berthLevel) {
        setup(berthLevel, new OneLineFormatter());
    }

    private static void setup(Level berthLevel, Formatter formatter) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        // third-party libraries log at INFO and above, or less when Berth is asked to be quieter
        root.setLevel(berthLevel.intValue() > Level.INFO.intValue() ? berthLevel : Level.INFO);
        Handler handler = new ConsoleHandler();
        handler.setFormatter(formatter);
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        BERTH.setLevel(berthLevel); // the root handler takes every level, so finer records of Berth get through
        // the access log is switched by log.accesslog.disabled, not by the level (as distribution's)
        ACCESS.setLevel(Level.INFO);
    }

    /** {@link #setup(Level)} with the level named by {@code BERTH_LOG_LEVEL} (default INFO). */
    public static void setup() {
        setup(parseLevel(System.getenv(LEVEL_ENV)));
    }

    /** Applies the {@code log} section: level, text or JSON, extra fields. */
    public static void configure(BerthConfig.Log log) {
        Level level = parseLevel(log.level());
        setup(level, log.formatter().equals("text") ? new OneLineFormatter()
                : new JsonFormatter(log.fields(), log.formatter().equals("logstash")));
    }

    /** A JUL level from its name or an SLF4J/distribution alias; INFO for null, empty or unknown. */
    public static Level parseLevel(String name) {
        if (name == null || name.isBlank()) {
            return Level.INFO;
        }
        String upper = name.strip().toUpperCase(Locale.ROOT);
        if (upper.equals("OFF")) {
            return Level.OFF;
        }
        String normalized = ConfigLoader.normalizeLevel(name);
        if (normalized == null) {
            return Level.INFO;
        }
        return switch (normalized) {
            case "error" -> Level.SEVERE;
            case "warn" -> Level.WARNING;
            case "debug" -> Level.FINE;
            case "trace" -> upper.equals("FINER") ? Level.FINER : upper.equals("ALL") ? Level.ALL : Level.FINEST;
            default -> upper.equals("CONFIG") ? Level.CONFIG : Level.INFO;
        };
    }

    /** The message of a record: as given when it carries its fields (no {@code {0}} substitution), else formatted. */
    private static String message(Formatter f, LogRecord record) {
        Object[] params = record.getParameters();
        if (params != null && params.length == 1 && params[0] instanceof StructuredLog) {
            return record.getMessage();
        }
        return f.formatMessage(record);
    }

    /** {@code <ISO-8601 UTC millis> <LEVEL padded to 5> <logger> <message>}, then any stack trace. */
    public static final class OneLineFormatter extends Formatter {
        private static final DateTimeFormatter TIME =
                DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

        @Override
        public String format(LogRecord record) {
            StringBuilder out = new StringBuilder(128);
            TIME.formatTo(record.getInstant(), out);
            out.append(' ');
            String level = levelName(record.getLevel());
            out.append(level);
            out.append(" ".repeat(Math.max(1, 6 - level.length())));
            out.append(record.getLoggerName() == null ? "-" : record.getLoggerName());
            out.append(' ');
            out.append(message(this, record));
            out.append(System.lineSeparator());
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                out.append(trace);
            }
            return out.toString();
        }

        static String levelName(Level level) {
            int v = level.intValue();
            if (v >= Level.SEVERE.intValue()) {
                return "ERROR";
            }
            if (v >= Level.WARNING.intValue()) {
                return "WARN";
            }
            if (v >= Level.INFO.intValue()) {
                return "INFO";
            }
            if (v >= Level.CONFIG.intValue()) {
                return "CONF";
            }
            if (v >= Level.FINE.intValue()) {
                return "DEBUG";
            }
            return "TRACE";
        }
    }

    /**
     * One JSON object a line: {@code time}, {@code level}, {@code logger}, {@code msg}, the record's own fields
     * ({@link StructuredLog}: the access log's {@code http.request.method}, {@code http.response.status}, ...), the
     * current request's {@code trace_id} and {@code span_id}, {@code log.fields}, and {@code error} with the stack
     * trace. With {@code logstash}, the names logstash expects: {@code @timestamp}, {@code @version},
     * {@code message}.
     */
    public static final class JsonFormatter extends Formatter {
        private final Map<String, String> fields;
        private final boolean logstash;

        public JsonFormatter(Map<String, String> fields, boolean logstash) {
            this.fields = Map.copyOf(fields);
            this.logstash = logstash;
        }

        @Override
        public String format(LogRecord record) {
            StringBuilder out = new StringBuilder(256);
            out.append('{');
            field(out, logstash ? "@timestamp" : "time", record.getInstant().toString(), true);
            if (logstash) {
                field(out, "@version", "1", false);
            }
            field(out, "level", levelName(record.getLevel()), false);
            field(out, "logger", record.getLoggerName(), false);
            field(out, logstash ? "message" : "msg", message(this, record), false);
            Object[] params = record.getParameters();
            boolean traced = false;
            if (params != null && params.length == 1 && params[0] instanceof StructuredLog s) {
                boolean[] hasTrace = {false};
                s.fields((name, value) -> {
                    if (value != null) {
                        field(out, name, value, false);
                        hasTrace[0] |= name.equals("trace_id");
                    }
                });
                traced = hasTrace[0];
            }
            if (!traced) {
                RequestScope scope = RequestScope.current();
                TraceContext t = scope == null ? null : scope.trace();
                if (t != null) {
                    field(out, "trace_id", t.traceId(), false);
                    field(out, "span_id", t.spanId(), false);
                }
            }
            fields.forEach((k, v) -> field(out, k, v, false));
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                field(out, "error", trace.toString(), false);
            }
            out.append('}').append(System.lineSeparator());
            return out.toString();
        }

        private static String levelName(Level level) {
            return switch (OneLineFormatter.levelName(level)) {
                case "ERROR" -> "error";
                case "WARN" -> "warning";
                case "INFO", "CONF" -> "info";
                case "DEBUG" -> "debug";
                default -> "trace";
            };
        }

        private static void field(StringBuilder out, String name, Object value, boolean first) {
            if (value == null) {
                return;
            }
            if (!first) {
                out.append(',');
            }
            string(out, name);
            out.append(':');
            if (value instanceof Number || value instanceof Boolean) {
                out.append(value);
            } else {
                string(out, value.toString());
            }
        }

        /** A JSON string: quotes, backslashes and control characters escaped. */
        static void string(StringBuilder out, String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> {
                        if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                            out.append("\\u");
                            String hex = Integer.toHexString(c);
                            out.append("0".repeat(4 - hex.length())).append(hex);
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }
}
