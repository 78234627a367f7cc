package dev.berth.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Berth's configuration: a YAML file shaped like CNCF distribution's {@code config.yml}, then environment
 * overrides ({@code BERTH_HTTP_ADDR} for {@code http.addr}), into one validated {@link BerthConfig}.
 *
 * <p>Every problem is reported with the full path of the key it concerns, all at once: unknown keys, keys of
 * distribution that Berth does not support yet, values of the wrong shape. See docs/configuration.md.
 */
public final class ConfigLoader {

    /** Prefix of every environment override. */
    public static final String ENV_PREFIX = "BERTH_";

    /** The environment variable that selects the storage driver ({@code filesystem} or {@code inmemory}). */
    public static final String ENV_STORAGE_DRIVER = ENV_PREFIX + "STORAGE";

    private static final String MASK = "*****";

    private ConfigLoader() {
    }

    /** A configuration that cannot be used; {@link #getMessage()} names the key(s) and says what is wrong. */
    public static final class ConfigException extends RuntimeException {
        private final List<String> problems;

        public ConfigException(List<String> problems) {
            super(problems.size() == 1 ? problems.get(0)
                    : problems.size() + " configuration problems:\n  " + String.join("\n  ", problems));
            this.problems = List.copyOf(problems);
        }

        public ConfigException(String problem) {
            this(List.of(problem));
        }

        /** Each problem on its own, one line each. */
        public List<String> problems() {
            return problems;
        }
    }

    /** Every leaf Berth reads, with its YAML path; its environment variable is derived from the path. */
    public enum Key {
        HTTP_ADDR("http.addr"),
        HTTP_IDLETIMEOUT("http.idletimeout"),
        HTTP_MAXMANIFESTBYTES("http.maxmanifestbytes"),
        HTTP_MAXPAGESIZE("http.maxpagesize"),
        STORAGE_FILESYSTEM_ROOTDIRECTORY("storage.filesystem.rootdirectory"),
        STORAGE_DELETE_ENABLED("storage.delete.enabled"),
        STORAGE_MAINTENANCE_UPLOADPURGING_AGE("storage.maintenance.uploadpurging.age"),
        DATABASE_URL("database.url"),
        DATABASE_USERNAME("database.username"),
        DATABASE_PASSWORD("database.password"),
        DATABASE_MAXPOOLSIZE("database.maxpoolsize");

        private final String path;

        Key(String path) {
            this.path = path;
        }

        /** The YAML path, e.g. {@code http.addr}. */
        public String path() {
            return path;
        }

        /** The environment variable that overrides it, e.g. {@code BERTH_HTTP_ADDR}. */
        public String envName() {
            return envNameOf(path);
        }
    }

    /** {@code BERTH_} + the path upper-cased with dots as underscores. */
    public static String envNameOf(String path) {
        return ENV_PREFIX + path.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    // ------------------------------------------------------------------------------------------------ schema

    private enum Kind { MAP, LEAF, IGNORED_TREE, FIXED }

    private record Rule(Kind kind, Predicate<String> allowed, String refusal) {
        static Rule of(Kind kind) {
            return new Rule(kind, v -> true, null);
        }

        /** A key Berth accepts only with the one value that matches what it always does. */
        static Rule fixed(Predicate<String> allowed, String refusal) {
            return new Rule(Kind.FIXED, allowed, refusal);
        }
    }

    private static final Map<String, Rule> SCHEMA = new LinkedHashMap<>();
    private static final Set<String> UNSUPPORTED = Set.of(
            // top level sections of distribution
            "auth", "middleware", "reporting", "notifications", "redis", "health", "proxy", "validation",
            "compatibility", "policy", "catalog",
            // http
            "http.prefix", "http.host", "http.relativeurls", "http.draintimeout", "http.tls", "http.debug",
            "http.headers", "http.http2", "http.h2c",
            // storage drivers and options
            "storage.s3", "storage.azure", "storage.gcs", "storage.swift", "storage.oss", "storage.redirect",
            "storage.tag", "storage.cache.blobdescriptorsize", "storage.filesystem.maxthreads",
            "storage.maintenance.readonly", "storage.maintenance.uploadpurging.interval");

    static {
        SCHEMA.put("", Rule.of(Kind.MAP));
        SCHEMA.put("version", Rule.fixed(v -> v.equals("0.1"), "Berth reads configuration version 0.1"));
        SCHEMA.put("log", Rule.of(Kind.IGNORED_TREE));
        SCHEMA.put("loglevel", Rule.of(Kind.IGNORED_TREE));
        SCHEMA.put("http", Rule.of(Kind.MAP));
        SCHEMA.put("http.net", Rule.fixed(v -> v.equals("tcp"), "only tcp is supported by Berth"));
        // distribution signs upload state with it; Berth keeps upload state in the database and needs no secret
        SCHEMA.put("http.secret", Rule.of(Kind.IGNORED_TREE));
        SCHEMA.put("storage", Rule.of(Kind.MAP));
        SCHEMA.put("storage.filesystem", Rule.of(Kind.MAP));
        SCHEMA.put("storage.inmemory", Rule.of(Kind.MAP));
        SCHEMA.put("storage.delete", Rule.of(Kind.MAP));
        SCHEMA.put("storage.cache", Rule.of(Kind.MAP));
        SCHEMA.put("storage.cache.blobdescriptor", Rule.fixed(v -> v.equals("inmemory"),
                "only inmemory is supported by Berth"));
        SCHEMA.put("storage.maintenance", Rule.of(Kind.MAP));
        SCHEMA.put("storage.maintenance.uploadpurging", Rule.of(Kind.MAP));
        SCHEMA.put("storage.maintenance.uploadpurging.enabled", Rule.fixed(v -> Boolean.TRUE.equals(bool(v)),
                "only true is supported by Berth (idle uploads are always purged)"));
        SCHEMA.put("storage.maintenance.uploadpurging.dryrun", Rule.fixed(v -> Boolean.FALSE.equals(bool(v)),
                "only false is supported by Berth"));
        SCHEMA.put("database", Rule.of(Kind.MAP));
        for (Key k : Key.values()) {
            SCHEMA.put(k.path(), Rule.of(Kind.LEAF));
        }
    }

    private static final List<String> ENV_SECTIONS = List.of(
            ENV_PREFIX + "HTTP_", ENV_PREFIX + "STORAGE_", ENV_PREFIX + "DATABASE_");

    // ------------------------------------------------------------------------------------------------ loading

    /** The defaults with environment overrides applied: the configuration when no file is given. */
    public static BerthConfig load(Map<String, String> env) {
        return build(new Reading("(defaults)"), env);
    }

    /**
     * Reads {@code file} (if not null) and applies environment overrides.
     *
     * @throws ConfigException if the file cannot be read or anything in it or in the environment is invalid
     */
    public static BerthConfig load(Path file, Map<String, String> env) {
        if (file == null) {
            return load(env);
        }
        String text;
        try {
            if (Files.isDirectory(file)) {
                throw new ConfigException("config file " + file + " is a directory");
            }
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file not found: " + file);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        return parse(text, file.toString(), env);
    }

    /** Reads YAML text (named {@code source} in messages) and applies environment overrides. */
    public static BerthConfig parse(String yaml, String source, Map<String, String> env) {
        Objects.requireNonNull(yaml, "yaml");
        Objects.requireNonNull(env, "env");
        ObjectMapper mapper = YAMLMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        JsonNode root;
        try {
            root = mapper.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": invalid YAML" + where(e.getLocation()) + ": "
                    + yamlReason(e.getOriginalMessage()));
        }
        Reading reading = new Reading(source);
        if (root != null && !root.isMissingNode() && !root.isNull()) {
            if (!root.isObject()) {
                throw new ConfigException(source + ": expected a mapping of keys at the top level, got "
                        + shape(root));
            }
            walk(root, "", reading);
        }
        return build(reading, env);
    }

    private static String where(JsonLocation loc) {
        if (loc == null || loc.getLineNr() < 1) {
            return "";
        }
        return " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    /** SnakeYAML's explanation without its indented source excerpts: "while parsing ...; expected ...". */
    private static String yamlReason(String s) {
        if (s == null || s.isBlank()) {
            return "unreadable";
        }
        List<String> parts = new ArrayList<>();
        for (String line : s.split("\\R")) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                parts.add(line.strip());
            }
        }
        return parts.isEmpty() ? s.strip() : String.join("; ", parts);
    }

    /** What came out of the file: leaf values, and the problems found in its shape. */
    private static final class Reading {
        final String source;
        final Map<Key, String> values = new EnumMap<>(Key.class);
        final List<String> drivers = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        final List<String> unknown = new ArrayList<>();
        final List<String> unsupported = new ArrayList<>();

        Reading(String source) {
            this.source = source;
        }
    }

    private static void walk(JsonNode map, String path, Reading r) {
        for (Map.Entry<String, JsonNode> field : map.properties()) {
            String child = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
            JsonNode value = field.getValue();
            Rule rule = SCHEMA.get(child);
            if (rule == null) {
                (UNSUPPORTED.contains(child) ? r.unsupported : r.unknown).add(child);
                continue;
            }
            switch (rule.kind()) {
                case IGNORED_TREE -> { }
                case MAP -> {
                    if (child.equals("storage.filesystem") || child.equals("storage.inmemory")) {
                        r.drivers.add(field.getKey());
                    }
                    if (value.isObject()) {
                        walk(value, child, r);
                    } else if (!value.isNull()) {
                        r.problems.add(child + ": expected a mapping of keys, got " + shape(value));
                    }
                }
                case LEAF, FIXED -> {
                    if (value.isNull()) {
                        continue; // "key:" with no value leaves the default in place
                    }
                    if (!value.isValueNode()) {
                        r.problems.add(child + ": expected a single value, got " + shape(value));
                        continue;
                    }
                    String text = value.asText();
                    if (rule.kind() == Kind.FIXED) {
                        if (!rule.allowed().test(text.strip())) {
                            r.problems.add(child + ": " + rule.refusal() + ", got " + text);
                        }
                    } else {
                        r.values.put(keyOf(child), text);
                    }
                }
            }
        }
    }

    private static Key keyOf(String path) {
        for (Key k : Key.values()) {
            if (k.path().equals(path)) {
                return k;
            }
        }
        throw new IllegalStateException(path);
    }

    private static String shape(JsonNode node) {
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        return "'" + node.asText() + "'";
    }

    // ------------------------------------------------------------------------------------------------ building

    /** One value and where it came from, for messages. */
    private record Value(String text, String label) {
    }

    private static BerthConfig build(Reading r, Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        List<String> problems = new ArrayList<>(r.problems);
        if (!r.unknown.isEmpty()) {
            problems.add((r.unknown.size() == 1 ? "unknown configuration key: " : "unknown configuration keys: ")
                    + String.join(", ", r.unknown));
        }
        if (!r.unsupported.isEmpty()) {
            problems.add("not supported by Berth: " + String.join(", ", r.unsupported));
        }

        Map<Key, Value> values = new EnumMap<>(Key.class);
        r.values.forEach((k, v) -> values.put(k, new Value(v, k.path())));
        for (Key k : Key.values()) {
            String v = env.get(k.envName());
            if (v != null && !v.isEmpty()) {
                values.put(k, new Value(v, k.path() + " (from " + k.envName() + ")"));
            }
        }
        Set<String> known = new TreeSet<>();
        for (Key k : Key.values()) {
            known.add(k.envName());
        }
        List<String> unknownEnv = new ArrayList<>();
        for (String name : new TreeSet<>(env.keySet())) {
            if (ENV_SECTIONS.stream().anyMatch(name::startsWith) && !known.contains(name)) {
                unknownEnv.add(name);
            }
        }
        if (!unknownEnv.isEmpty()) {
            problems.add((unknownEnv.size() == 1 ? "unknown environment override: " : "unknown environment overrides: ")
                    + String.join(", ", unknownEnv));
        }

        BerthConfig defaults = BerthConfig.defaults();

        // http
        BerthConfig.Http dh = defaults.http();
        String host = dh.host();
        int port = dh.port();
        Value addr = values.get(Key.HTTP_ADDR);
        if (addr != null) {
            try {
                String[] hp = parseAddr(addr.text());
                host = hp[0];
                port = Integer.parseInt(hp[1]);
            } catch (IllegalArgumentException e) {
                problems.add(addr.label() + ": " + e.getMessage());
            }
        }
        Duration idle = positiveDuration(values.get(Key.HTTP_IDLETIMEOUT), dh.idleTimeout(), problems);
        long maxManifest = positiveWhole(values.get(Key.HTTP_MAXMANIFESTBYTES), dh.maxManifestBytes(),
                Long.MAX_VALUE, "a positive whole number of bytes", problems);
        int maxPage = (int) positiveWhole(values.get(Key.HTTP_MAXPAGESIZE), dh.maxPageSize(), Integer.MAX_VALUE,
                "a positive whole number", problems);

        // storage
        BerthConfig.Storage ds = defaults.storage();
        String driver = ds.driver();
        String envDriver = env.get(ENV_STORAGE_DRIVER);
        if (envDriver != null && !envDriver.isEmpty()) {
            driver = envDriver.strip();
            if (!driver.equals("filesystem") && !driver.equals("inmemory")) {
                problems.add("storage (from " + ENV_STORAGE_DRIVER + "): unknown driver '" + driver
                        + "' (supported: filesystem, inmemory)");
                driver = ds.driver();
            }
        } else if (r.drivers.size() > 1) {
            problems.add("storage: configure exactly one driver, got " + String.join(" and ", r.drivers));
        } else if (r.drivers.size() == 1) {
            driver = r.drivers.get(0);
        }
        Path root = ds.rootDirectory();
        Value rootValue = values.get(Key.STORAGE_FILESYSTEM_ROOTDIRECTORY);
        if (rootValue != null) {
            if (rootValue.text().isBlank()) {
                problems.add(rootValue.label() + ": must not be empty");
            } else {
                try {
                    root = Path.of(rootValue.text());
                } catch (InvalidPathException e) {
                    problems.add(rootValue.label() + ": not a valid path: " + e.getMessage());
                }
            }
        }
        boolean deleteEnabled = ds.deleteEnabled();
        Value del = values.get(Key.STORAGE_DELETE_ENABLED);
        if (del != null) {
            Boolean b = bool(del.text().strip());
            if (b == null) {
                problems.add(del.label() + ": expected true or false, got " + del.text());
            } else {
                deleteEnabled = b;
            }
        }
        Duration purgeAge = positiveDuration(values.get(Key.STORAGE_MAINTENANCE_UPLOADPURGING_AGE),
                ds.uploadPurgeAge(), problems);

        // database
        BerthConfig.Database dd = defaults.database();
        String url = dd.url();
        Value urlValue = values.get(Key.DATABASE_URL);
        if (urlValue != null) {
            String u = urlValue.text().strip();
            if (!u.startsWith("jdbc:sqlite:") && !u.startsWith("jdbc:postgresql:")) {
                problems.add(urlValue.label() + ": must start with jdbc:sqlite: or jdbc:postgresql:, got "
                        + maskUrl(u));
            } else if (u.equals("jdbc:sqlite:")) {
                problems.add(urlValue.label() + ": names no database file (for example jdbc:sqlite:data/berth.db)");
            } else {
                url = u;
            }
        }
        String username = optional(values.get(Key.DATABASE_USERNAME), dd.username());
        String password = optional(values.get(Key.DATABASE_PASSWORD), dd.password());
        int pool = dd.maxPoolSize();
        Value poolValue = values.get(Key.DATABASE_MAXPOOLSIZE);
        if (poolValue != null) {
            String t = poolValue.text().strip();
            try {
                if (!t.matches("[0-9]+")) {
                    throw new NumberFormatException();
                }
                pool = Integer.parseInt(t);
                if (pool < 1) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                problems.add(poolValue.label() + ": must be a whole number of at least 1, got " + poolValue.text());
            }
        }

        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        try {
            return new BerthConfig(
                    new BerthConfig.Http(host, port, idle, maxManifest, maxPage),
                    new BerthConfig.Storage(driver, root, deleteEnabled, purgeAge),
                    new BerthConfig.Database(url, username, password, pool));
        } catch (IllegalArgumentException | NullPointerException e) {
            // the records validate too; anything they refuse that the checks above missed still names its key
            throw new ConfigException(String.valueOf(e.getMessage()));
        }
    }

    private static String optional(Value v, String fallback) {
        if (v == null) {
            return fallback;
        }
        return v.text().isEmpty() ? null : v.text();
    }

    /** A whole number from 1 to {@code max}; otherwise a problem saying it must be {@code what}. */
    private static long positiveWhole(Value v, long fallback, long max, String what, List<String> problems) {
        if (v == null) {
            return fallback;
        }
        String t = v.text().strip();
        try {
            long n = t.matches("[0-9]{1,19}") ? Long.parseLong(t) : -1;
            if (n > 0 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // out of range for a long: refused below
        }
        problems.add(v.label() + ": must be " + what + ", got " + v.text());
        return fallback;
    }

    private static Duration positiveDuration(Value v, Duration fallback, List<String> problems) {
        if (v == null) {
            return fallback;
        }
        try {
            Duration d = parseDuration(v.text());
            if (d.isNegative() || d.isZero()) {
                problems.add(v.label() + ": must be positive, got " + v.text().strip());
                return fallback;
            }
            return d;
        } catch (IllegalArgumentException e) {
            problems.add(v.label() + ": " + e.getMessage());
            return fallback;
        }
    }

    /** YAML 1.1 booleans, as distribution reads them; null if not one. */
    private static Boolean bool(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> Boolean.TRUE;
            case "false", "no", "off" -> Boolean.FALSE;
            default -> null;
        };
    }

    /**
     * Splits {@code host:port}; {@code :port} means every interface (0.0.0.0); IPv6 hosts are bracketed
     * ({@code [::1]:5050}). Messages are phrased to follow "http.addr: ".
     */
    static String[] parseAddr(String text) {
        String s = text.strip();
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected host:port (for example 127.0.0.1:5050 or :5050), got " + s);
        }
        String host = s.substring(0, colon);
        String portText = s.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
            if (host.isEmpty()) {
                throw new IllegalArgumentException("empty IPv6 address in " + s);
            }
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("an IPv6 host needs brackets (for example [::1]:5050), got " + s);
        }
        if (host.isEmpty()) {
            host = "0.0.0.0";
        }
        if (host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/' || c == '[' || c == ']')) {
            throw new IllegalArgumentException("not a valid host: " + host);
        }
        if (portText.isEmpty()) {
            throw new IllegalArgumentException("missing port (for example 127.0.0.1:5050), got " + s);
        }
        if (!portText.matches("[0-9]+")) {
            throw new IllegalArgumentException("port must be a number, got " + portText);
        }
        BigInteger port = new BigInteger(portText);
        if (port.compareTo(BigInteger.valueOf(65535)) > 0) {
            throw new IllegalArgumentException("port must be 0-65535, got " + portText);
        }
        return new String[] {host, port.toString()};
    }

    // ------------------------------------------------------------------------------------------------ durations

    private static final Pattern DURATION_PART = Pattern.compile("([0-9]*(?:\\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)");

    /**
     * Parses a Go duration ({@code time.ParseDuration}): a sequence of decimal numbers with units
     * {@code ns us µs ms s m h}, e.g. {@code 90s}, {@code 5m}, {@code 168h}, {@code 1h30m}, {@code 1.5h};
     * an optional sign; a bare {@code 0}.
     *
     * @throws IllegalArgumentException with a message suitable after "key: "
     */
    public static Duration parseDuration(String text) {
        String s = text.strip();
        String original = s;
        boolean negative = false;
        if (s.startsWith("-") || s.startsWith("+")) {
            negative = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.isEmpty()) {
            throw badDuration(original);
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher m = DURATION_PART.matcher(s);
        int at = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                throw badDuration(original);
            }
            String number = m.group(1);
            if (number.isEmpty() || number.equals(".")) {
                throw badDuration(original);
            }
            BigDecimal unit = switch (m.group(2)) {
                case "ns" -> BigDecimal.ONE;
                case "us", "µs", "μs" -> BigDecimal.valueOf(1_000L);
                case "ms" -> BigDecimal.valueOf(1_000_000L);
                case "s" -> BigDecimal.valueOf(1_000_000_000L);
                case "m" -> BigDecimal.valueOf(60_000_000_000L);
                case "h" -> BigDecimal.valueOf(3_600_000_000_000L);
                default -> throw new IllegalStateException(m.group(2));
            };
            nanos = nanos.add(new BigDecimal(number).multiply(unit));
            at = m.end();
        }
        if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("duration too long: " + original);
        }
        long n = nanos.longValue();
        return Duration.ofNanos(negative ? -n : n);
    }

    private static IllegalArgumentException badDuration(String text) {
        if (text.matches("[0-9]+")) {
            return new IllegalArgumentException("a duration needs a unit (for example " + text + "s), got " + text);
        }
        return new IllegalArgumentException("expected a duration like 90s, 5m, 168h or 1h30m, got " + text);
    }

    /** The shortest Go-style rendering: {@code 168h}, {@code 1h30m}, {@code 90s} as {@code 1m30s}, {@code 250ms}. */
    public static String formatDuration(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        if (d.isNegative()) {
            return "-" + formatDuration(d.negated());
        }
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            long ns = d.toNanos();
            if (ns % 1_000_000 == 0) {
                return ns / 1_000_000 + "ms";
            }
            if (ns % 1_000 == 0) {
                return ns / 1_000 + "us";
            }
            return ns + "ns";
        }
        StringBuilder out = new StringBuilder();
        long hours = d.toHours();
        int minutes = d.toMinutesPart();
        int seconds = d.toSecondsPart();
        int nanos = d.toNanosPart();
        if (hours > 0) {
            out.append(hours).append('h');
        }
        if (minutes > 0) {
            out.append(minutes).append('m');
        }
        if (seconds > 0 || nanos > 0) {
            out.append(seconds);
            if (nanos > 0) {
                String frac = String.format("%09d", nanos).replaceAll("0+$", "");
                out.append('.').append(frac);
            }
            out.append('s');
        }
        return out.toString();
    }

    // ------------------------------------------------------------------------------------------------ describe

    /**
     * The effective configuration in the YAML shape it is read from, one key a line, for logging at start.
     * Secrets (the database password, and a password inside the database URL) are shown as {@code *****}.
     */
    public static String describe(BerthConfig config) {
        StringBuilder out = new StringBuilder();
        BerthConfig.Http h = config.http();
        out.append("http:\n");
        line(out, 1, "addr", scalar(h.addr()));
        line(out, 1, "idletimeout", formatDuration(h.idleTimeout()));
        line(out, 1, "maxmanifestbytes", Long.toString(h.maxManifestBytes()));
        line(out, 1, "maxpagesize", Integer.toString(h.maxPageSize()));
        BerthConfig.Storage s = config.storage();
        out.append("storage:\n");
        if (s.driver().equals("filesystem")) {
            line(out, 1, "filesystem", "");
            String abs;
            try {
                abs = s.rootDirectory().toAbsolutePath().normalize().toString();
            } catch (RuntimeException e) {
                abs = null;
            }
            String root = scalar(s.rootDirectory().toString());
            if (abs != null && !abs.equals(s.rootDirectory().toString())) {
                root += "  # " + abs;
            }
            line(out, 2, "rootdirectory", root);
        } else {
            line(out, 1, s.driver(), "{}");
        }
        line(out, 1, "delete", "");
        line(out, 2, "enabled", Boolean.toString(s.deleteEnabled()));
        line(out, 1, "maintenance", "");
        line(out, 2, "uploadpurging", "");
        line(out, 3, "age", formatDuration(s.uploadPurgeAge()));
        BerthConfig.Database d = config.database();
        out.append("database:\n");
        line(out, 1, "url", scalar(maskUrl(d.url())));
        if (d.username() != null) {
            line(out, 1, "username", scalar(d.username()));
        }
        if (d.password() != null) {
            line(out, 1, "password", MASK);
        }
        line(out, 1, "maxpoolsize", Integer.toString(d.maxPoolSize()));
        return out.toString();
    }

    private static void line(StringBuilder out, int depth, String key, String value) {
        out.append("  ".repeat(depth)).append(key).append(':');
        if (!value.isEmpty()) {
            out.append(' ').append(value);
        }
        out.append('\n');
    }

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./~][A-Za-z0-9_./:@=?&%+~,*-]*");
    private static final Pattern LOOKS_TYPED = Pattern.compile(
            "(?i)true|false|yes|no|on|off|y|n|null|~|[-+]?[0-9][0-9_.eE+-]*|\\.inf|\\.nan");

    /** A YAML scalar: plain when that reads back as the same string, else double-quoted. */
    static String scalar(String s) {
        if (PLAIN.matcher(s).matches() && !LOOKS_TYPED.matcher(s).matches() && !s.endsWith(":")) {
            return s;
        }
        StringBuilder q = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\t' -> q.append("\\t");
                default -> {
                    if (c < 0x20) {
                        q.append(String.format("\\x%02x", (int) c));
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }

    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");
    private static final Pattern URL_USERINFO = Pattern.compile("(//[^/:@?]*:)[^/@?]*@");

    /** A JDBC URL with any password in it (a {@code password=} parameter or {@code user:pass@}) masked. */
    static String maskUrl(String url) {
        String masked = URL_PASSWORD.matcher(url).replaceAll("$1" + Matcher.quoteReplacement(MASK));
        return URL_USERINFO.matcher(masked).replaceAll("$1" + Matcher.quoteReplacement(MASK) + "@");
    }
}
