package dev.berth.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * java.util.logging set up for the server: one line a record on stderr,
 * {@code 2026-11-29T15:00:00.123Z INFO  dev.berth.cli.ServeCommand message}. Netty and HikariCP log through
 * SLF4J, which slf4j-jdk14 routes here.
 */
public final class Logging {

    /** Overrides the level of Berth's own loggers: SEVERE, WARNING, INFO, FINE... or ERROR, WARN, DEBUG, TRACE. */
    public static final String LEVEL_ENV = "BERTH_LOG_LEVEL";

    /** Held strongly: java.util.logging forgets the level of a logger nobody references. */
    private static final Logger BERTH = Logger.getLogger("dev.berth");

    private Logging() {
    }

    /** Replaces the root logger's handlers with one stderr handler using {@link OneLineFormatter}. */
    public static void setup(Level berthLevel) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(Level.INFO);
        Handler handler = new ConsoleHandler();
        handler.setFormatter(new OneLineFormatter());
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        BERTH.setLevel(berthLevel); // the root handler takes every level, so finer records of Berth get through
    }

    /** {@link #setup(Level)} with the level named by {@code BERTH_LOG_LEVEL} (default INFO). */
    public static void setup() {
        setup(parseLevel(System.getenv(LEVEL_ENV)));
    }

    /** A JUL level from its name or an SLF4J-style alias; INFO for null, empty or unknown. */
    public static Level parseLevel(String name) {
        if (name == null || name.isBlank()) {
            return Level.INFO;
        }
        return switch (name.strip().toUpperCase(Locale.ROOT)) {
            case "ERROR", "SEVERE" -> Level.SEVERE;
            case "WARN", "WARNING" -> Level.WARNING;
            case "INFO" -> Level.INFO;
            case "CONFIG" -> Level.CONFIG;
            case "DEBUG", "FINE" -> Level.FINE;
            case "FINER" -> Level.FINER;
            case "TRACE", "FINEST" -> Level.FINEST;
            case "ALL" -> Level.ALL;
            case "OFF" -> Level.OFF;
            default -> Level.INFO;
        };
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
            out.append(formatMessage(record));
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
}
