package dev.berth.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.berth.storage.s3.S3Settings;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.berth.registry.gc.GcSettings;
import dev.berth.registry.gc.Glob;
import dev.berth.registry.gc.RetentionPolicy;

/**
 * Reads Berth's configuration: a YAML file shaped like CNCF distribution's {@code config.yml}, then environment
 * overrides ({@code BERTH_HTTP_ADDR} for {@code http.addr}), into one validated {@link BerthConfig}.
 *
 * <p>Every problem is reported with the full path of the key it concerns, all at once: unknown keys, keys of
 * distribution that Berth does not support, values of the wrong shape. See docs/configuration.md.
 *
 * <h2>How it works</h2>
 * The {@link #SCHEMA} declares every key Berth reads, by path: {@code leaf} (one value), {@code list} (one value or
 * a YAML list of them), {@code free} (a mapping whose keys are the user's, such as header names), {@code entries}
 * (a YAML list of mappings; {@code *} stands for the index in the paths below it), {@code fixed} (a distribution
 * key accepted only with the value that matches what Berth does) and {@code ignored}. The mappings in between come
 * by themselves. Reading turns the file and the environment into one flat map of values by concrete path
 * ({@code notifications.endpoints.0.url}); building reads that map section by section into the records.
 * The environment variable of a key follows from its path: {@code BERTH_} + the path upper-cased with {@code _}
 * for each dot, a list index as a number ({@code BERTH_NOTIFICATIONS_ENDPOINTS_0_URL}), a free key upper-cased
 * with {@code _} for {@code -} ({@code BERTH_HTTP_HEADERS_X_FRAME_OPTIONS}).
 *
 * <h2>Adding a section (or a key)</h2>
 * <ol>
 *   <li>Declare its keys in the static block below ({@code leaf("storage.s3.bucket")}, {@code secret(...)} for
 *       credentials), and take the section out of {@link #UNSUPPORTED} if distribution has it.</li>
 *   <li>Give {@link BerthConfig} a record (or a component) for it, with its defaults; keep the old constructors.</li>
 *   <li>Read it in a {@code build...} method with the typed readers of {@link Values} ({@code string},
 *       {@code bool}, {@code duration}, {@code whole}, {@code list}, {@code free}, {@code count}): each records a
 *       problem naming the key (and the variable it came from) and returns the default, so every problem is
 *       reported at once. Call the method from {@link #build}.</li>
 *   <li>Show it in {@link #describe} ({@link BerthConfig#MASK} for secrets): {@code berth config check} and the
 *       start-up log print it, and a test reads the output back.</li>
 *   <li>List the keys with their defaults and variables in docs/configuration.md.</li>
 * </ol>
 */
public final class ConfigLoader {

    /** Prefix of every environment override. */
    public static final String ENV_PREFIX = "BERTH_";

    /** The environment variable that selects the storage driver ({@code filesystem}, {@code s3} or {@code inmemory}). */
    public static final String ENV_STORAGE_DRIVER = ENV_PREFIX + "STORAGE";

    private static final String MASK = BerthConfig.MASK;

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

    /** {@code BERTH_} + the path upper-cased with dots as underscores. */
    public static String envNameOf(String path) {
        return ENV_PREFIX + path.toUpperCase(Locale.ROOT).replace('.', '_').replace("*", "<N>");
    }

    // ------------------------------------------------------------------------------------------------ schema

    private enum Kind { MAP, LEAF, LIST, FREE, ENTRIES, IGNORED_TREE, FIXED }

    /**
     * @param freeValues for {@code FREE}: whether its values are LEAF or LIST
     * @param secret     the value is masked when shown (for {@code FREE}: every value)
     * @param dashes     for {@code FREE} from the environment: {@code _} in the key stands for {@code -}
     */
    private record Rule(Kind kind, Predicate<String> allowed, String refusal, Kind freeValues, boolean secret,
                        boolean dashes) {
        static Rule of(Kind kind) {
            return new Rule(kind, v -> true, null, null, false, false);
        }
    }

    /** Every key Berth reads, by path pattern ({@code *}: a list index), in the order of the docs. */
    private static final Map<String, Rule> SCHEMA = new LinkedHashMap<>();

    /** Keys of distribution that Berth refuses by name rather than ignoring (ignoring would change behaviour). */
    private static final Set<String> UNSUPPORTED = Set.of(
            // top level sections of distribution
            "middleware", "reporting", "redis", "health.file", "health.http", "health.tcp", "proxy",
            "validation", "compatibility", "policy", "catalog", "log.hooks",
            // http
            "http.prefix", "http.host", "http.relativeurls", "http.h2c",
            // auth and TLS: what Berth does not do (docs/auth.md)
            "auth.silly", "auth.token.autoredirect", "auth.token.autoredirectpath", "http.tls.letsencrypt",
            "http.tls.ciphersuites", "http.tls.clientauth",
            // storage drivers and options
            "storage.azure", "storage.gcs", "storage.swift", "storage.oss", "storage.tag",
            "storage.s3.maxrequestspersecond", "storage.s3.maxretries", "storage.cache.blobdescriptorsize",
            "storage.filesystem.maxthreads",
            "storage.maintenance.uploadpurging.interval",
            // notifications
            "notifications.endpoints.*.certificate", "notifications.endpoints.*.key",
            "notifications.endpoints.*.ca");

    static {
        fixed("version", v -> v.equals("0.1"), "Berth reads configuration version 0.1");
        // log (distribution's): level, formatter, fields, access log
        leaf("log.level");
        leaf("log.formatter");
        free("log.fields", Kind.LEAF, false, false);
        leaf("log.accesslog.disabled");
        leaf("loglevel");                       // distribution's deprecated spelling of log.level
        // http
        leaf("http.addr");
        fixed("http.net", v -> v.equals("tcp"), "only tcp is supported by Berth");
        // signs upload URLs (their _state); every node of a scale-out must have the same (docs/scale-out.md)
        secret("http.secret");
        leaf("http.idletimeout");
        leaf("http.maxmanifestbytes");
        leaf("http.maxpagesize");
        leaf("http.draintimeout");
        free("http.headers", Kind.LIST, false, true);
        leaf("http.debug.addr");
        leaf("http.debug.prometheus.enabled");
        leaf("http.debug.prometheus.path");
        // storage
        map("storage.filesystem");
        map("storage.inmemory");
        leaf("storage.filesystem.rootdirectory");
        // scale-out: the S3 driver (distribution's storage.s3 keys) and redirects to the bucket (docs/scale-out.md)
        map("storage.s3");
        leaf("storage.s3.bucket");
        leaf("storage.s3.region");
        leaf("storage.s3.regionendpoint");
        leaf("storage.s3.forcepathstyle");
        leaf("storage.s3.accesskey");
        secret("storage.s3.secretkey");
        leaf("storage.s3.rootdirectory");
        leaf("storage.s3.storageclass");
        leaf("storage.s3.encrypt");
        leaf("storage.s3.keyid");
        leaf("storage.s3.chunksize");
        leaf("storage.s3.multipartcopychunksize");
        leaf("storage.s3.multipartcopymaxconcurrency");
        leaf("storage.s3.multipartcopythresholdsize");
        leaf("storage.s3.spooldirectory");
        ignored("storage.s3.secure");           // the scheme of regionendpoint decides (AWS: always https)
        fixed("storage.s3.v4auth", v -> Boolean.TRUE.equals(bool(v)), "only true is supported by Berth");
        fixed("storage.s3.skipverify", v -> Boolean.FALSE.equals(bool(v)),
                "only false is supported by Berth (give the store a certificate the JVM trusts)");
        fixed("storage.s3.usedualstack", v -> Boolean.FALSE.equals(bool(v)), "only false is supported by Berth");
        fixed("storage.s3.accelerate", v -> Boolean.FALSE.equals(bool(v)), "only false is supported by Berth");
        fixed("storage.s3.objectacl", v -> v.equals("private"), "only private is supported by Berth");
        ignored("storage.s3.useragent");
        ignored("storage.s3.loglevel");
        leaf("storage.redirect.disable");
        leaf("storage.redirect.expiry");
        leaf("storage.delete.enabled");
        fixed("storage.cache.blobdescriptor", v -> v.equals("inmemory"), "only inmemory is supported by Berth");
        leaf("storage.maintenance.uploadpurging.age");
        fixed("storage.maintenance.uploadpurging.enabled", v -> Boolean.TRUE.equals(bool(v)),
                "only true is supported by Berth (idle uploads are always purged)");
        fixed("storage.maintenance.uploadpurging.dryrun", v -> Boolean.FALSE.equals(bool(v)),
                "only false is supported by Berth");
        leaf("storage.maintenance.readonly.enabled");
        leaf("storage.maintenance.gc.enabled");
        leaf("storage.maintenance.gc.interval");
        leaf("storage.maintenance.gc.graceperiod");
        leaf("storage.maintenance.gc.deleteuntagged");
        entries("storage.maintenance.gc.retention");
        leaf("storage.maintenance.gc.retention.*.repositories");
        leaf("storage.maintenance.gc.retention.*.keepnewest");
        leaf("storage.maintenance.gc.retention.*.olderthan");
        list("storage.maintenance.gc.retention.*.keeptags");
        // database
        leaf("database.url");
        leaf("database.username");
        secret("database.password");
        leaf("database.maxpoolsize");
        // notifications
        leaf("notifications.events.includereferences");
        entries("notifications.endpoints");
        leaf("notifications.endpoints.*.name");
        leaf("notifications.endpoints.*.disabled");
        leaf("notifications.endpoints.*.url");
        free("notifications.endpoints.*.headers", Kind.LIST, true, true);
        leaf("notifications.endpoints.*.timeout");
        leaf("notifications.endpoints.*.threshold");
        leaf("notifications.endpoints.*.backoff");
        list("notifications.endpoints.*.ignoredmediatypes");
        list("notifications.endpoints.*.ignore.mediatypes");
        list("notifications.endpoints.*.ignore.actions");
        leaf("notifications.endpoints.*.queuesize");
        // tracing (Berth's)
        leaf("tracing.enabled");
        leaf("tracing.endpoint");
        leaf("tracing.servicename");
        leaf("tracing.samplingratio");
        free("tracing.headers", Kind.LEAF, true, true);
        // health: distribution's periodic storage driver check, and Berth's readiness timeout
        leaf("health.storagedriver.enabled");
        leaf("health.storagedriver.interval");
        leaf("health.storagedriver.threshold");
        leaf("health.readiness.timeout");
        // auth and TLS (docs/auth.md)
        declareAuthAndTlsKeys();
    }

    private static void put(String path, Rule rule) {
        String[] segments = path.split("\\.");
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < segments.length - 1; i++) {
            if (i > 0) {
                prefix.append('.');
            }
            prefix.append(segments[i]);
            boolean listBelow = segments[i + 1].equals("*");
            Rule existing = SCHEMA.get(prefix.toString());
            if (listBelow && (existing == null || existing.kind() != Kind.ENTRIES)) {
                throw new IllegalStateException("declare entries(\"" + prefix + "\") before " + path);
            }
            if (existing == null) {
                SCHEMA.put(prefix.toString(), Rule.of(Kind.MAP));
            }
        }
        SCHEMA.put(path, rule);
    }

    private static void leaf(String path) {
        put(path, Rule.of(Kind.LEAF));
    }

    private static void secret(String path) {
        put(path, new Rule(Kind.LEAF, v -> true, null, null, true, false));
    }

    private static void list(String path) {
        put(path, Rule.of(Kind.LIST));
    }

    private static void map(String path) {
        put(path, Rule.of(Kind.MAP));
    }

    private static void entries(String path) {
        put(path, Rule.of(Kind.ENTRIES));
        SCHEMA.put(path + ".*", Rule.of(Kind.MAP));
    }

    private static void free(String path, Kind values, boolean secret, boolean dashes) {
        put(path, new Rule(Kind.FREE, v -> true, null, values, secret, dashes));
    }

    private static void ignored(String path) {
        put(path, Rule.of(Kind.IGNORED_TREE));
    }

    /** A key Berth accepts only with the one value that matches what it always does. */
    private static void fixed(String path, Predicate<String> allowed, String refusal) {
        put(path, new Rule(Kind.FIXED, allowed, refusal, null, false, false));
    }

    /** The top-level sections: a {@code BERTH_<SECTION>_...} variable that names no key is a typo. */
    private static Set<String> sections() {
        Set<String> s = new TreeSet<>();
        for (String p : SCHEMA.keySet()) {
            s.add(p.contains(".") ? p.substring(0, p.indexOf('.')) : p);
        }
        for (String p : UNSUPPORTED) {
            s.add(p.contains(".") ? p.substring(0, p.indexOf('.')) : p);
        }
        return s;
    }

    /** Every key path pattern Berth reads, with its environment variable, in the documented order. */
    public static Map<String, String> keys() {
        Map<String, String> m = new LinkedHashMap<>();
        SCHEMA.forEach((path, rule) -> {
            if (rule.kind() != Kind.MAP && rule.kind() != Kind.ENTRIES) {
                m.put(path, envNameOf(path) + (rule.kind() == Kind.FREE ? "_<NAME>" : ""));
            }
        });
        return m;
    }

    // ------------------------------------------------------------------------------------------------ environment

    /** One key's environment variable as a regular expression: the index and the free key are captured. */
    private record EnvKey(Pattern regex, String pattern, Rule rule) {
    }

    private static final List<EnvKey> ENV_KEYS = new ArrayList<>();

    static {
        for (Map.Entry<String, Rule> e : SCHEMA.entrySet()) {
            Kind k = e.getValue().kind();
            if (k == Kind.MAP || k == Kind.ENTRIES) {
                continue;
            }
            StringBuilder re = new StringBuilder(Pattern.quote(ENV_PREFIX));
            String[] segments = e.getKey().split("\\.");
            for (int i = 0; i < segments.length; i++) {
                if (i > 0) {
                    re.append('_');
                }
                re.append(segments[i].equals("*") ? "(\\d{1,4})" : Pattern.quote(segments[i].toUpperCase(Locale.ROOT)));
            }
            if (k == Kind.FREE) {
                re.append("_(.+)");
            }
            ENV_KEYS.add(new EnvKey(Pattern.compile(re.toString()), e.getKey(), e.getValue()));
        }
    }

    /** A variable's key: the concrete path, how to show it, its rule and (for a free key) the key's name. */
    private record EnvMatch(String path, String display, Rule rule, String freeKey, String pattern) {
    }

    private static EnvMatch matchEnv(String name) {
        for (EnvKey k : ENV_KEYS) {
            Matcher m = k.regex().matcher(name);
            if (!m.matches()) {
                continue;
            }
            String[] segments = k.pattern().split("\\.");
            StringBuilder path = new StringBuilder();
            StringBuilder display = new StringBuilder();
            int group = 1;
            for (int i = 0; i < segments.length; i++) {
                if (segments[i].equals("*")) {
                    String index = String.valueOf(Integer.parseInt(m.group(group++)));
                    path.append('.').append(index);
                    display.append('[').append(index).append(']');
                } else {
                    if (i > 0) {
                        path.append('.');
                        display.append('.');
                    }
                    path.append(segments[i]);
                    display.append(segments[i]);
                }
            }
            String free = null;
            if (k.rule().kind() == Kind.FREE) {
                free = m.group(group).toLowerCase(Locale.ROOT);
                if (k.rule().dashes()) {
                    free = free.replace('_', '-');
                }
                path.append('.').append(free.toLowerCase(Locale.ROOT));
                display.append('.').append(free);
            }
            return new EnvMatch(path.toString(), display.toString(), k.rule(), free, k.pattern());
        }
        return null;
    }

    /** The {@code BERTH_*} variables of {@code env} that set a configuration key (empty values do not). */
    public static List<String> appliedOverrides(Map<String, String> env) {
        List<String> names = new ArrayList<>();
        for (String name : new TreeSet<>(env.keySet())) {
            String v = env.get(name);
            if (v == null || v.isEmpty()) {
                continue;
            }
            if (name.equals(ENV_STORAGE_DRIVER) || matchEnv(name) != null) {
                names.add(name);
            }
        }
        return names;
    }

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
            walk(root, "", "", "", reading);
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

    /**
     * One value and where it came from.
     *
     * @param text  a single value (null for a list)
     * @param items a list's values (null for a single value)
     * @param label how to name it in messages: the key's path, and the variable it came from
     * @param key   for an entry of a free mapping, its key as written
     */
    private record Value(String text, List<String> items, String label, String key) {
    }

    /** What came out of the file: values by concrete path, and the problems found in its shape. */
    private static final class Reading {
        final String source;
        final Map<String, Value> values = new LinkedHashMap<>();
        final Map<String, Integer> entryCounts = new HashMap<>();
        final List<String> drivers = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        final List<String> unknown = new ArrayList<>();
        final List<String> unsupported = new ArrayList<>();

        Reading(String source) {
            this.source = source;
        }
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : a + "." + b;
    }

    private static void walk(JsonNode map, String pattern, String concrete, String display, Reading r) {
        for (Map.Entry<String, JsonNode> field : map.properties()) {
            String key = field.getKey();
            String childPattern = join(pattern, key);
            String childConcrete = join(concrete, key);
            String childDisplay = join(display, key);
            JsonNode value = field.getValue();
            Rule rule = SCHEMA.get(childPattern);
            if (rule == null) {
                (UNSUPPORTED.contains(childPattern) ? r.unsupported : r.unknown).add(childDisplay);
                continue;
            }
            switch (rule.kind()) {
                case IGNORED_TREE -> { }
                case MAP -> {
                    if (childPattern.equals("storage.filesystem") || childPattern.equals("storage.inmemory")
                            || childPattern.equals("storage.s3")) {
                        r.drivers.add(key);
                    }
                    if (value.isObject()) {
                        walk(value, childPattern, childConcrete, childDisplay, r);
                    } else if (!value.isNull()) {
                        r.problems.add(childDisplay + ": expected a mapping of keys, got " + shape(value));
                    }
                }
                case ENTRIES -> {
                    if (value.isArray()) {
                        r.entryCounts.merge(childConcrete, value.size(), Math::max);
                        for (int i = 0; i < value.size(); i++) {
                            JsonNode element = value.get(i);
                            String at = childDisplay + "[" + i + "]";
                            if (element.isObject()) {
                                walk(element, childPattern + ".*", childConcrete + "." + i, at, r);
                            } else if (!element.isNull()) {
                                r.problems.add(at + ": expected a mapping of keys, got " + shape(element));
                            }
                        }
                    } else if (!value.isNull()) {
                        r.problems.add(childDisplay + ": expected a list, got " + shape(value));
                    }
                }
                case FREE -> {
                    if (value.isObject()) {
                        for (Map.Entry<String, JsonNode> e : value.properties()) {
                            String entryPath = childConcrete + "." + e.getKey().toLowerCase(Locale.ROOT);
                            String entryDisplay = childDisplay + "." + e.getKey();
                            Value v = rule.freeValues() == Kind.LIST ? listValue(e.getValue(), entryDisplay, r)
                                    : scalarValue(e.getValue(), entryDisplay, r);
                            if (v != null) {
                                r.values.put(entryPath, new Value(v.text(), v.items(), v.label(), e.getKey()));
                            }
                        }
                    } else if (!value.isNull()) {
                        r.problems.add(childDisplay + ": expected a mapping of keys, got " + shape(value));
                    }
                }
                case LIST -> {
                    Value v = listValue(value, childDisplay, r);
                    if (v != null) {
                        r.values.put(childConcrete, v);
                    }
                }
                case LEAF, FIXED -> {
                    Value v = scalarValue(value, childDisplay, r);
                    if (v == null) {
                        continue;
                    }
                    if (rule.kind() == Kind.FIXED) {
                        if (!rule.allowed().test(v.text().strip())) {
                            r.problems.add(childDisplay + ": " + rule.refusal() + ", got " + v.text());
                        }
                    } else {
                        r.values.put(childConcrete, v);
                    }
                }
            }
        }
    }

    /** A single value; null (and maybe a problem) when there is none. "key:" with no value keeps the default. */
    private static Value scalarValue(JsonNode value, String display, Reading r) {
        if (value.isNull()) {
            return null;
        }
        if (!value.isValueNode()) {
            r.problems.add(display + ": expected a single value, got " + shape(value));
            return null;
        }
        return new Value(value.asText(), null, display, null);
    }

    /** A list of single values (one value counts as a list of one). */
    private static Value listValue(JsonNode value, String display, Reading r) {
        if (value.isNull()) {
            return null;
        }
        List<String> items = new ArrayList<>();
        if (value.isArray()) {
            for (JsonNode item : value) {
                if (!item.isValueNode() || item.isNull()) {
                    r.problems.add(display + ": expected a list of single values, got " + shape(item) + " in it");
                    return null;
                }
                items.add(item.asText());
            }
        } else if (value.isValueNode()) {
            items.add(value.asText());
        } else {
            r.problems.add(display + ": expected a value or a list of values, got " + shape(value));
            return null;
        }
        return new Value(null, List.copyOf(items), display, null);
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

    /**
     * The values of the file and the environment by concrete path, and typed readers over them. Each reader
     * records a problem naming the key when the value is wrong, and returns the default then.
     */
    private static final class Values {
        final Map<String, Value> map;
        final Map<String, Integer> entryCounts;
        final List<String> problems;

        Values(Map<String, Value> map, Map<String, Integer> entryCounts, List<String> problems) {
            this.map = map;
            this.entryCounts = entryCounts;
            this.problems = problems;
        }

        Value get(String path) {
            return map.get(path);
        }

        boolean has(String path) {
            return map.containsKey(path);
        }

        void problem(Value v, String what) {
            problems.add(v.label() + ": " + what);
        }

        /** A string; an empty value means "not set" (the fallback is null then). */
        String string(String path, String fallback) {
            Value v = get(path);
            if (v == null) {
                return fallback;
            }
            return v.text().isEmpty() ? null : v.text();
        }

        /** A string that must not be empty when given. */
        String nonEmpty(String path, String fallback) {
            Value v = get(path);
            if (v == null) {
                return fallback;
            }
            if (v.text().isBlank()) {
                problem(v, "must not be empty");
                return fallback;
            }
            return v.text().strip();
        }

        boolean bool(String path, boolean fallback) {
            Value v = get(path);
            if (v == null) {
                return fallback;
            }
            Boolean b = ConfigLoader.bool(v.text().strip());
            if (b == null) {
                problem(v, "expected true or false, got " + v.text());
                return fallback;
            }
            return b;
        }

        /** A Go-style duration, positive (or zero when {@code zeroAllowed}). */
        Duration duration(String path, Duration fallback, boolean zeroAllowed) {
            Value v = get(path);
            if (v == null) {
                return fallback;
            }
            try {
                Duration d = parseDuration(v.text());
                if (d.isNegative() || (d.isZero() && !zeroAllowed)) {
                    problem(v, "must be " + (zeroAllowed ? "zero or more" : "positive") + ", got " + v.text().strip());
                    return fallback;
                }
                return d;
            } catch (IllegalArgumentException e) {
                problem(v, e.getMessage());
                return fallback;
            }
        }

        /** A whole number from {@code min} to {@code max}; otherwise a problem saying it must be {@code what}. */
        long whole(String path, long fallback, long min, long max, String what) {
            Value v = get(path);
            if (v == null) {
                return fallback;
            }
            String t = v.text().strip();
            try {
                long n = t.matches("[0-9]{1,19}") ? Long.parseLong(t) : -1;
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // out of range for a long: refused below
            }
            problem(v, "must be " + what + ", got " + v.text());
            return fallback;
        }

        List<String> list(String path) {
            Value v = get(path);
            return v == null ? List.of() : v.items();
        }

        /** The entries of a free mapping, by their keys as written. */
        Map<String, Value> free(String path) {
            Map<String, Value> out = new LinkedHashMap<>();
            String prefix = path + ".";
            map.forEach((p, v) -> {
                if (p.startsWith(prefix) && v.key() != null && p.indexOf('.', prefix.length()) < 0) {
                    out.put(v.key(), v);
                }
            });
            return out;
        }

        /** How many entries a list of mappings has (the file's, or more when the environment names a later index). */
        int count(String path) {
            int n = entryCounts.getOrDefault(path, 0);
            String prefix = path + ".";
            for (String p : map.keySet()) {
                if (p.startsWith(prefix)) {
                    int end = p.indexOf('.', prefix.length());
                    String index = end < 0 ? p.substring(prefix.length()) : p.substring(prefix.length(), end);
                    if (index.matches("[0-9]{1,4}")) {
                        n = Math.max(n, Integer.parseInt(index) + 1);
                    }
                }
            }
            return n;
        }
    }

    private static BerthConfig build(Reading r, Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        List<String> problems = new ArrayList<>(r.problems);
        List<String> unsupported = new ArrayList<>(r.unsupported);

        Map<String, Value> values = new LinkedHashMap<>(r.values);
        List<String> unknownEnv = new ArrayList<>();
        Set<String> sections = sections();
        for (String name : new TreeSet<>(env.keySet())) {
            String text = env.get(name);
            if (!name.startsWith(ENV_PREFIX) || text == null || text.isEmpty() || name.equals(ENV_STORAGE_DRIVER)) {
                continue;
            }
            EnvMatch m = matchEnv(name);
            if (m == null) {
                String unsupportedKey = unsupportedEnv(name);
                if (unsupportedKey != null) {
                    unsupported.add(unsupportedKey + " (from " + name + ")");
                } else if (sections.stream().anyMatch(s -> name.startsWith(envNameOf(s) + "_"))) {
                    unknownEnv.add(name);
                }
                continue;
            }
            String label = m.display() + " (from " + name + ")";
            switch (m.rule().kind()) {
                case IGNORED_TREE -> { }
                case FIXED -> {
                    if (!m.rule().allowed().test(text.strip())) {
                        problems.add(label + ": " + m.rule().refusal() + ", got " + text);
                    }
                }
                case LIST -> values.put(m.path(), new Value(null, splitList(text), label, null));
                case FREE -> values.put(m.path(), m.rule().freeValues() == Kind.LIST
                        ? new Value(null, splitList(text), label, m.freeKey())
                        : new Value(text, null, label, m.freeKey()));
                default -> values.put(m.path(), new Value(text, null, label, null));
            }
        }
        if (!r.unknown.isEmpty()) {
            problems.add((r.unknown.size() == 1 ? "unknown configuration key: " : "unknown configuration keys: ")
                    + String.join(", ", r.unknown));
        }
        if (!unsupported.isEmpty()) {
            problems.add("not supported by Berth: " + String.join(", ", unsupported));
        }
        if (!unknownEnv.isEmpty()) {
            problems.add((unknownEnv.size() == 1 ? "unknown environment override: " : "unknown environment overrides: ")
                    + String.join(", ", unknownEnv));
        }

        Values v = new Values(values, r.entryCounts, problems);
        BerthConfig.Http http = buildHttp(v);
        BerthConfig.Storage storage = buildStorage(v, r, env);
        storage = buildScaleOutStorage(v, r, env, storage);     // storage.s3, storage.redirect
        http = http.withSecret(buildSecret(v));                   // http.secret
        BerthConfig.Database database = buildDatabase(v);
        BerthConfig.Log log = buildLog(v);
        BerthConfig.Notifications notifications = buildNotifications(v);
        BerthConfig.Tracing tracing = buildTracing(v);
        BerthConfig.Health dhl = BerthConfig.Health.defaults();
        BerthConfig.Health health = new BerthConfig.Health(
                v.duration("health.readiness.timeout", dhl.readinessTimeout(), false),
                v.bool("health.storagedriver.enabled", dhl.storageDriverCheck()),
                v.duration("health.storagedriver.interval", dhl.storageDriverInterval(), false),
                (int) v.whole("health.storagedriver.threshold", dhl.storageDriverThreshold(), 0, Integer.MAX_VALUE,
                        "a whole number"));

        AuthConfig auth = buildAuth(v);          // auth.* (docs/auth.md)
        TlsConfig tls = buildTls(v);             // http.tls.*, http.http2.disabled

        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        try {
            return new BerthConfig(http, storage, database, log, notifications, tracing, health)
                    .withAuth(auth).withTls(tls);
        } catch (IllegalArgumentException | NullPointerException e) {
            // the records validate too; anything they refuse that the checks above missed still names its key
            throw new ConfigException(String.valueOf(e.getMessage()));
        }
    }

    /** The unsupported key a variable falls under ({@code BERTH_REDIS_ADDR}: {@code redis}), or null. */
    private static String unsupportedEnv(String name) {
        String best = null;
        for (String u : UNSUPPORTED) {
            if (u.contains("*")) {
                continue;
            }
            String e = envNameOf(u);
            if ((name.equals(e) || name.startsWith(e + "_")) && (best == null || u.length() > best.length())) {
                best = u;
            }
        }
        return best;
    }

    private static List<String> splitList(String text) {
        List<String> items = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                items.add(part.strip());
            }
        }
        return List.copyOf(items);
    }

    // ---- sections --------------------------------------------------------------------------------------------

    private static BerthConfig.Http buildHttp(Values v) {
        BerthConfig.Http dh = BerthConfig.Http.defaults();
        String host = dh.host();
        int port = dh.port();
        Value addr = v.get("http.addr");
        if (addr != null) {
            try {
                String[] hp = parseAddr(addr.text());
                host = hp[0];
                port = Integer.parseInt(hp[1]);
            } catch (IllegalArgumentException e) {
                v.problem(addr, e.getMessage());
            }
        }
        Duration idle = v.duration("http.idletimeout", dh.idleTimeout(), false);
        long maxManifest = v.whole("http.maxmanifestbytes", dh.maxManifestBytes(), 1, Long.MAX_VALUE,
                "a positive whole number of bytes");
        int maxPage = (int) v.whole("http.maxpagesize", dh.maxPageSize(), 1, Integer.MAX_VALUE,
                "a positive whole number");
        Duration drain = v.duration("http.draintimeout", dh.drainTimeout(), true);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        v.free("http.headers").forEach((name, value) -> {
            if (!isToken(name)) {
                v.problem(value, "not a valid header name");
            } else if (value.items().stream().anyMatch(s -> s.chars().anyMatch(c -> c < 0x20 && c != '\t'))) {
                v.problem(value, "header values must not contain control characters");
            } else {
                headers.put(name, value.items());
            }
        });

        BerthConfig.Debug debug = BerthConfig.Debug.OFF;
        String debugHost = null;
        int debugPort = 0;
        Value debugAddr = v.get("http.debug.addr");
        if (debugAddr != null && !debugAddr.text().isBlank()) {
            try {
                String[] hp = parseAddr(debugAddr.text());
                debugHost = hp[0];
                debugPort = Integer.parseInt(hp[1]);
            } catch (IllegalArgumentException e) {
                v.problem(debugAddr, e.getMessage());
            }
        }
        boolean prometheus = v.bool("http.debug.prometheus.enabled", debug.prometheusEnabled());
        String metricsPath = v.nonEmpty("http.debug.prometheus.path", debug.prometheusPath());
        if (!metricsPath.startsWith("/") || metricsPath.chars().anyMatch(c -> c <= ' ' || c == '?' || c == '#')) {
            v.problem(v.get("http.debug.prometheus.path"), "must be a path starting with /, got " + metricsPath);
            metricsPath = debug.prometheusPath();
        } else if (Set.of("/health/live", "/health/ready", "/debug/health", "/admin/readonly").contains(metricsPath)) {
            v.problem(v.get("http.debug.prometheus.path"), "is taken by the operations listener, got " + metricsPath);
            metricsPath = debug.prometheusPath();
        }
        if (debugHost != null && port != 0 && debugPort == port) {
            v.problem(debugAddr, "must differ from http.addr (the operations listener is a listener of its own)");
        }
        debug = new BerthConfig.Debug(debugHost, debugPort, prometheus, metricsPath);
        return new BerthConfig.Http(host, port, idle, maxManifest, maxPage, drain, headers, debug);
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 0x80) && "!#$%&'*+-.^_`|~".indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    private static BerthConfig.Storage buildStorage(Values v, Reading r, Map<String, String> env) {
        BerthConfig.Storage ds = BerthConfig.Storage.defaults();
        String driver = ds.driver();
        String envDriver = env.get(ENV_STORAGE_DRIVER);
        if (envDriver != null && !envDriver.isEmpty()) {
            driver = envDriver.strip();
            if (!BerthConfig.Storage.DRIVERS.contains(driver)) {
                v.problems.add("storage (from " + ENV_STORAGE_DRIVER + "): unknown driver '" + driver
                        + "' (supported: filesystem, s3, inmemory)");
                driver = ds.driver();
            }
        } else if (r.drivers.size() > 1) {
            v.problems.add("storage: configure exactly one driver, got " + String.join(" and ", r.drivers));
        } else if (r.drivers.size() == 1) {
            driver = r.drivers.get(0);
        }
        Path root = ds.rootDirectory();
        Value rootValue = v.get("storage.filesystem.rootdirectory");
        if (rootValue != null) {
            if (rootValue.text().isBlank()) {
                v.problem(rootValue, "must not be empty");
            } else {
                try {
                    root = Path.of(rootValue.text());
                } catch (InvalidPathException e) {
                    v.problem(rootValue, "not a valid path: " + e.getMessage());
                }
            }
        }
        boolean deleteEnabled = v.bool("storage.delete.enabled", ds.deleteEnabled());
        Duration purgeAge = v.duration("storage.maintenance.uploadpurging.age", ds.uploadPurgeAge(), false);
        boolean readOnly = v.bool("storage.maintenance.readonly.enabled", ds.readOnly());
        return new BerthConfig.Storage(driver, root, deleteEnabled, purgeAge, readOnly, buildGc(v));
    }

    /** {@code storage.maintenance.gc}: the background collection and its retention policies. */
    private static GcSettings buildGc(Values v) {
        GcSettings d = GcSettings.defaults();
        String p = "storage.maintenance.gc.";
        boolean enabled = v.bool(p + "enabled", d.enabled());
        Duration interval = v.duration(p + "interval", d.interval(), false);
        Duration grace = v.duration(p + "graceperiod", d.gracePeriod(), true);
        boolean untagged = v.bool(p + "deleteuntagged", d.deleteUntagged());
        List<RetentionPolicy> policies = new ArrayList<>();
        int n = v.count(p + "retention");
        for (int i = 0; i < n; i++) {
            String e = p + "retention." + i + ".";
            String repositories = v.string(e + "repositories", null);
            if (repositories == null || repositories.isBlank()) {
                v.problems.add("storage.maintenance.gc.retention[" + i + "].repositories: required (a glob such as "
                        + "team/** or library/*)");
                continue;
            }
            Optional<Integer> keepNewest = v.get(e + "keepnewest") == null ? Optional.empty()
                    : Optional.of((int) v.whole(e + "keepnewest", 0, 0, Integer.MAX_VALUE, "a whole number"));
            Optional<Duration> olderThan = v.get(e + "olderthan") == null ? Optional.empty()
                    : Optional.of(v.duration(e + "olderthan", Duration.ZERO, true));
            List<Glob> keepTags = new ArrayList<>();
            for (String t : v.list(e + "keeptags")) {
                keepTags.add(Glob.of(t));
            }
            try {
                policies.add(new RetentionPolicy(Glob.of(repositories), keepNewest, olderThan, keepTags));
            } catch (IllegalArgumentException ex) {
                v.problems.add("storage.maintenance.gc.retention[" + i + "]: " + ex.getMessage());
            }
        }
        return new GcSettings(enabled, interval, grace, untagged, policies);
    }

    // ---- scale-out: storage.s3, storage.redirect, http.secret (docs/scale-out.md) ------------------------------

    /**
     * The S3 driver's settings when it is the driver, and {@code storage.redirect}. The driver is s3 when the file has
     * a {@code storage.s3} section, or {@code BERTH_STORAGE=s3}, or (with neither a driver section nor
     * {@code BERTH_STORAGE}) when {@code BERTH_STORAGE_S3_*} variables are set.
     */
    private static BerthConfig.Storage buildScaleOutStorage(Values v, Reading r, Map<String, String> env,
                                                            BerthConfig.Storage storage) {
        BerthConfig.Redirect dr = BerthConfig.Redirect.DEFAULT;
        boolean disabled = v.bool("storage.redirect.disable", dr.disabled());
        Duration expiry = v.duration("storage.redirect.expiry", dr.expiry(), false);
        if (expiry.compareTo(BerthConfig.Redirect.MAX_EXPIRY) > 0) {
            v.problem(v.get("storage.redirect.expiry"), "must be at most 168h (pre-signed URLs live 7 days at most)");
            expiry = dr.expiry();
        }
        storage = storage.withRedirect(new BerthConfig.Redirect(disabled, expiry));

        String envDriver = env.get(ENV_STORAGE_DRIVER);
        boolean envChoosesDriver = envDriver != null && !envDriver.isEmpty();
        List<String> s3Keys = v.map.keySet().stream().filter(p -> p.startsWith("storage.s3.")).toList();
        boolean s3 = storage.driver().equals("s3");
        if (!s3 && !envChoosesDriver && !s3Keys.isEmpty() && !r.drivers.contains("s3")) {
            if (r.drivers.isEmpty()) {
                s3 = true;      // configured by BERTH_STORAGE_S3_* alone
            } else {
                v.problem(v.get(s3Keys.get(0)), "set, but the storage driver is " + storage.driver()
                        + " (configure exactly one driver; " + ENV_STORAGE_DRIVER + "=s3 chooses s3)");
            }
        }
        if (!s3) {
            return storage;
        }
        S3Settings settings = buildS3(v);
        return settings == null ? storage : storage.withS3(settings);
    }

    /** {@code storage.s3}: every key checked and named; null when something is wrong (the problems say what). */
    private static S3Settings buildS3(Values v) {
        int before = v.problems.size();
        String bucket = v.nonEmpty("storage.s3.bucket", null);
        if (bucket == null && !v.has("storage.s3.bucket")) {
            v.problems.add("storage.s3.bucket: required (the bucket Berth stores blobs in; Berth never creates it)");
        } else if (bucket != null && !bucket.matches("[A-Za-z0-9._-]{1,255}")) {
            v.problem(v.get("storage.s3.bucket"), "not a bucket name: " + bucket);
        }
        URI endpoint = null;
        Value endpointValue = v.get("storage.s3.regionendpoint");
        if (endpointValue != null && !endpointValue.text().isBlank()) {
            String text = endpointValue.text().strip();
            try {
                URI u = new URI(text);
                if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null
                        || u.getRawUserInfo() != null || u.getRawQuery() != null || u.getRawFragment() != null) {
                    v.problem(endpointValue, "expected an http:// or https:// URL such as http://minio:9000, got "
                            + maskUrl(text));
                } else {
                    endpoint = u;
                }
            } catch (URISyntaxException e) {
                v.problem(endpointValue, "not a URL: " + maskUrl(text));
            }
        }
        String region = v.nonEmpty("storage.s3.region", null);
        if (region == null) {
            if (endpointValue != null && !endpointValue.text().isBlank()) {
                region = "us-east-1";       // what S3-compatible stores expect requests to be signed for
            } else if (!v.has("storage.s3.region")) {
                v.problems.add("storage.s3.region: required with AWS (the bucket's region, such as eu-west-1)");
            }
        } else if (!region.matches("[a-z0-9-]{1,64}")) {
            v.problem(v.get("storage.s3.region"), "not a region name such as eu-west-1: " + region);
        }
        boolean pathStyle = v.bool("storage.s3.forcepathstyle", false);
        String accessKey = v.string("storage.s3.accesskey", null);
        String secretKey = v.string("storage.s3.secretkey", null);
        if ((accessKey == null) != (secretKey == null)) {
            v.problems.add("storage.s3.accesskey and storage.s3.secretkey: give both, or neither for the default "
                    + "credentials chain (environment, web identity, profile, instance role)");
        }
        String root = v.string("storage.s3.rootdirectory", "");
        String storageClass = v.nonEmpty("storage.s3.storageclass", "STANDARD");
        if (!storageClass.matches("[A-Z_]+")) {
            v.problem(v.get("storage.s3.storageclass"), "expected a storage class such as STANDARD, "
                    + "REDUCED_REDUNDANCY or NONE, got " + storageClass);
            storageClass = "STANDARD";
        }
        boolean encrypt = v.bool("storage.s3.encrypt", false);
        String keyId = v.string("storage.s3.keyid", null);
        if (keyId != null && !encrypt) {
            v.problem(v.get("storage.s3.keyid"), "needs storage.s3.encrypt: true");
        }
        long min = S3Settings.MIN_PART_SIZE;
        long max = S3Settings.MAX_PART_SIZE;
        String partRange = "a whole number of bytes from 5242880 (5 MiB) to 5368709120 (5 GiB)";
        long chunkSize = v.whole("storage.s3.chunksize", S3Settings.DEFAULT_CHUNK_SIZE, min, max, partRange);
        long copyChunk = v.whole("storage.s3.multipartcopychunksize", S3Settings.DEFAULT_MULTIPART_COPY_CHUNK_SIZE,
                min, max, partRange);
        int copyConcurrency = (int) v.whole("storage.s3.multipartcopymaxconcurrency",
                S3Settings.DEFAULT_MULTIPART_COPY_MAX_CONCURRENCY, 1, 1000, "a whole number from 1 to 1000");
        long copyThreshold = v.whole("storage.s3.multipartcopythresholdsize",
                S3Settings.DEFAULT_MULTIPART_COPY_THRESHOLD, 0, max,
                "a whole number of bytes from 0 to 5368709120 (5 GiB)");
        Path spool = S3Settings.builder("b", "r").build().spoolDirectory();
        Value spoolValue = v.get("storage.s3.spooldirectory");
        if (spoolValue != null) {
            if (spoolValue.text().isBlank()) {
                v.problem(spoolValue, "must not be empty");
            } else {
                try {
                    spool = Path.of(spoolValue.text().strip());
                } catch (InvalidPathException e) {
                    v.problem(spoolValue, "not a valid path: " + e.getMessage());
                }
            }
        }
        if (v.problems.size() > before) {
            return null;
        }
        try {
            return S3Settings.builder(bucket, region).endpoint(endpoint).pathStyle(pathStyle)
                    .credentials(accessKey, secretKey).rootDirectory(root).storageClass(storageClass)
                    .encryption(encrypt ? (keyId != null ? S3Settings.Encryption.KMS : S3Settings.Encryption.AES256)
                            : S3Settings.Encryption.NONE, keyId)
                    .chunkSize(chunkSize).multipartCopy(copyThreshold, copyChunk, copyConcurrency)
                    .spoolDirectory(spool).build();
        } catch (IllegalArgumentException e) {
            v.problems.add("storage.s3: " + e.getMessage());    // S3Settings' own checks (the root directory)
            return null;
        }
    }

    /** {@code http.secret}, or null when not set. Its value never appears in a message. */
    private static String buildSecret(Values v) {
        Value value = v.get("http.secret");
        if (value == null || value.text().isEmpty()) {
            return null;
        }
        if (value.text().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                < BerthConfig.Http.MIN_SECRET_BYTES) {
            v.problem(value, "must be at least " + BerthConfig.Http.MIN_SECRET_BYTES
                    + " bytes long (openssl rand -hex 32 makes a good one)");
            return null;
        }
        return value.text();
    }

    /** The {@code storage.s3} section as {@link #describe} shows it, the secret key masked. */
    private static void describeS3(StringBuilder out, S3Settings s3) {
        line(out, 1, "s3", "");
        line(out, 2, "bucket", scalar(s3.bucket()));
        line(out, 2, "region", scalar(s3.region()));
        if (s3.endpoint() != null) {
            line(out, 2, "regionendpoint", scalar(s3.endpoint().toString()));
        }
        line(out, 2, "forcepathstyle", Boolean.toString(s3.pathStyle()));
        if (s3.accessKey() != null) {
            line(out, 2, "accesskey", scalar(s3.accessKey()));
            line(out, 2, "secretkey", MASK);
        }
        line(out, 2, "rootdirectory", s3.rootDirectory().isEmpty() ? "\"\"" : scalar(s3.rootDirectory()));
        line(out, 2, "storageclass", s3.storageClass() == null ? "NONE" : scalar(s3.storageClass()));
        line(out, 2, "encrypt", Boolean.toString(s3.encryption() != S3Settings.Encryption.NONE));
        if (s3.kmsKeyId() != null) {
            line(out, 2, "keyid", scalar(s3.kmsKeyId()));
        }
        line(out, 2, "chunksize", Long.toString(s3.chunkSize()));
        line(out, 2, "multipartcopychunksize", Long.toString(s3.multipartCopyChunkSize()));
        line(out, 2, "multipartcopymaxconcurrency", Integer.toString(s3.multipartCopyMaxConcurrency()));
        line(out, 2, "multipartcopythresholdsize", Long.toString(s3.multipartCopyThreshold()));
        line(out, 2, "spooldirectory", scalar(s3.spoolDirectory().toString()));
    }

    /** {@code storage.redirect}, shown with the S3 driver (the only one that redirects) or when not the default. */
    private static void describeRedirect(StringBuilder out, BerthConfig.Storage s) {
        if (s.driver().equals("s3") || !s.redirect().equals(BerthConfig.Redirect.DEFAULT)) {
            line(out, 1, "redirect", "");
            line(out, 2, "disable", Boolean.toString(s.redirect().disabled()));
            line(out, 2, "expiry", formatDuration(s.redirect().expiry()));
        }
    }

    private static BerthConfig.Database buildDatabase(Values v) {
        BerthConfig.Database dd = BerthConfig.Database.defaults();
        String url = dd.url();
        Value urlValue = v.get("database.url");
        if (urlValue != null) {
            String u = urlValue.text().strip();
            if (!u.startsWith("jdbc:sqlite:") && !u.startsWith("jdbc:postgresql:")) {
                v.problem(urlValue, "must start with jdbc:sqlite: or jdbc:postgresql:, got " + maskUrl(u));
            } else if (u.equals("jdbc:sqlite:")) {
                v.problem(urlValue, "names no database file (for example jdbc:sqlite:data/berth.db)");
            } else {
                url = u;
            }
        }
        String username = v.string("database.username", dd.username());
        String password = v.string("database.password", dd.password());
        int pool = (int) v.whole("database.maxpoolsize", dd.maxPoolSize(), 1, Integer.MAX_VALUE,
                "a whole number of at least 1");
        return new BerthConfig.Database(url, username, password, pool);
    }

    private static BerthConfig.Log buildLog(Values v) {
        BerthConfig.Log dl = BerthConfig.Log.defaults();
        String level = dl.level();
        Value lv = v.has("log.level") ? v.get("log.level") : v.get("loglevel");
        if (lv != null && !lv.text().isBlank()) {
            String normalized = normalizeLevel(lv.text());
            if (normalized == null) {
                v.problem(lv, "expected error, warn, info, debug or trace, got " + lv.text());
            } else {
                level = normalized;
            }
        }
        String formatter = dl.formatter();
        Value fv = v.get("log.formatter");
        if (fv != null && !fv.text().isBlank()) {
            String f = fv.text().strip().toLowerCase(Locale.ROOT);
            if (!BerthConfig.Log.FORMATTERS.contains(f)) {
                v.problem(fv, "expected text, json or logstash, got " + fv.text());
            } else {
                formatter = f;
            }
        }
        Map<String, String> fields = new LinkedHashMap<>();
        v.free("log.fields").forEach((k, value) -> fields.put(k, value.text()));
        boolean accessLog = !v.bool("log.accesslog.disabled", !dl.accessLog());
        return new BerthConfig.Log(level, formatter, fields, accessLog);
    }

    /** A level name of distribution (logrus) or java.util.logging, as one of {@link BerthConfig.Log#LEVELS}; null if none. */
    public static String normalizeLevel(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "panic", "fatal", "error", "severe" -> "error";
            case "warn", "warning" -> "warn";
            case "info", "config" -> "info";
            case "debug", "fine" -> "debug";
            case "trace", "finer", "finest", "all" -> "trace";
            default -> null;
        };
    }

    private static BerthConfig.Notifications buildNotifications(Values v) {
        boolean includeReferences = v.bool("notifications.events.includereferences", false);
        List<BerthConfig.Endpoint> endpoints = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        int n = v.count("notifications.endpoints");
        for (int i = 0; i < n; i++) {
            String p = "notifications.endpoints." + i + ".";
            String at = "notifications.endpoints[" + i + "]";
            String name = v.string(p + "name", null);
            if (name == null || name.isBlank()) {
                v.problems.add(at + ".name: required (a name for logs and metrics)");
                name = "endpoint-" + i;
            } else if (!names.add(name)) {
                v.problem(v.get(p + "name"), "another endpoint has the name " + name);
            }
            URI url = null;
            Value urlValue = v.get(p + "url");
            if (urlValue == null || urlValue.text().isBlank()) {
                v.problems.add(at + ".url: required (where events are sent)");
            } else {
                url = httpUrl(urlValue, v);
            }
            boolean disabled = v.bool(p + "disabled", false);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            v.free(p + "headers").forEach((h, value) -> {
                if (!isToken(h)) {
                    v.problem(value, "not a valid header name");
                } else {
                    headers.put(h, value.items());
                }
            });
            Duration timeout = v.duration(p + "timeout", BerthConfig.Endpoint.DEFAULT_TIMEOUT, false);
            int threshold = (int) v.whole(p + "threshold", BerthConfig.Endpoint.DEFAULT_THRESHOLD, 0,
                    Integer.MAX_VALUE, "a whole number");
            Duration backoff = v.duration(p + "backoff", BerthConfig.Endpoint.DEFAULT_BACKOFF, true);
            List<String> mediaTypes = new ArrayList<>(v.list(p + "ignoredmediatypes"));
            for (String m : v.list(p + "ignore.mediatypes")) {
                if (!mediaTypes.contains(m)) {
                    mediaTypes.add(m);
                }
            }
            List<String> actions = new ArrayList<>();
            for (String a : v.list(p + "ignore.actions")) {
                String action = a.strip().toLowerCase(Locale.ROOT);
                if (!BerthConfig.Endpoint.ACTIONS.contains(action)) {
                    v.problem(v.get(p + "ignore.actions"), "unknown action " + a + " (actions: "
                            + String.join(", ", BerthConfig.Endpoint.ACTIONS) + ")");
                } else if (!actions.contains(action)) {
                    actions.add(action);
                }
            }
            int queueSize = (int) v.whole(p + "queuesize", BerthConfig.Endpoint.DEFAULT_QUEUE_SIZE, 1, 1_000_000,
                    "a whole number from 1 to 1000000");
            if (url != null) {
                endpoints.add(new BerthConfig.Endpoint(name, url, disabled, headers, timeout, threshold, backoff,
                        mediaTypes, actions, queueSize));
            }
        }
        return new BerthConfig.Notifications(endpoints, includeReferences);
    }

    /** An absolute http(s) URL with a host; null (and a problem) otherwise. */
    private static URI httpUrl(Value value, Values v) {
        String text = value.text().strip();
        try {
            URI u = new URI(text);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && u.getHost() != null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // refused below
        }
        v.problem(value, "expected an http:// or https:// URL, got " + maskUrl(text));
        return null;
    }

    private static BerthConfig.Tracing buildTracing(Values v) {
        BerthConfig.Tracing dt = BerthConfig.Tracing.OFF;
        boolean enabled = v.bool("tracing.enabled", dt.enabled());
        URI endpoint = dt.endpoint();
        Value ev = v.get("tracing.endpoint");
        if (ev != null && !ev.text().isBlank()) {
            URI u = httpUrl(ev, v);
            if (u != null) {
                endpoint = u;
            }
        }
        String service = v.nonEmpty("tracing.servicename", dt.serviceName());
        double ratio = dt.samplingRatio();
        Value rv = v.get("tracing.samplingratio");
        if (rv != null) {
            try {
                ratio = Double.parseDouble(rv.text().strip());
                if (!(ratio >= 0 && ratio <= 1)) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                v.problem(rv, "must be a number from 0 to 1, got " + rv.text());
                ratio = dt.samplingRatio();
            }
        }
        Map<String, String> headers = new LinkedHashMap<>();
        v.free("tracing.headers").forEach((h, value) -> {
            if (!isToken(h)) {
                v.problem(value, "not a valid header name");
            } else {
                headers.put(h, value.text());
            }
        });
        return new BerthConfig.Tracing(enabled, endpoint, service, ratio, headers);
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

    // ---- auth and TLS: auth.*, http.tls.*, http.http2.disabled (docs/auth.md) ----------------------------------

    /** Declares the keys of authentication and TLS (called from the schema's static block). */
    private static void declareAuthAndTlsKeys() {
        leaf("http.tls.certificate");
        leaf("http.tls.key");
        list("http.tls.clientcas");
        leaf("http.tls.minimumtls");
        leaf("http.http2.disabled");
        leaf("auth.htpasswd.realm");
        leaf("auth.htpasswd.path");
        leaf("auth.htpasswd.credentialcache");
        leaf("auth.token.realm");
        leaf("auth.token.service");
        leaf("auth.token.issuer");
        leaf("auth.token.rootcertbundle");
        leaf("auth.token.jwks");
        list("auth.token.signingalgorithms");
        leaf("auth.token.leeway");
        leaf("auth.tokenserver.enabled");
        leaf("auth.tokenserver.key");
        leaf("auth.tokenserver.htpasswd");
        leaf("auth.tokenserver.ttl");
        leaf("auth.tokenserver.kid");
        list("auth.access.admins");
        free("auth.access.groups", Kind.LIST, false, false);
        list("auth.access.catalog");
        entries("auth.access.rules");
        leaf("auth.access.rules.*.repository");
        list("auth.access.rules.*.who");
        list("auth.access.rules.*.actions");
    }

    private static boolean hasUnder(Values v, String prefix) {
        return v.map.keySet().stream().anyMatch(p -> p.startsWith(prefix));
    }

    /** A path that must name a readable file; null (and a problem) when missing or unreadable. */
    private static Path readableFile(Values v, String key, String what) {
        Value value = v.get(key);
        if (value == null || value.text().isBlank()) {
            v.problems.add(key + ": required (" + what + ")");
            return null;
        }
        Path p;
        try {
            p = Path.of(value.text().strip());
        } catch (InvalidPathException e) {
            v.problem(value, "not a valid path: " + e.getMessage());
            return null;
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            v.problem(value, "cannot read " + p + (Files.exists(p) ? "" : " (no such file)"));
            return null;
        }
        return p;
    }

    private static Path optionalFile(Values v, String key, String what) {
        Value value = v.get(key);
        return value == null || value.text().isBlank() ? null : readableFile(v, key, what);
    }

    /** {@code http.tls}: null (plain HTTP) unless a certificate and key are given. */
    private static TlsConfig buildTls(Values v) {
        boolean http2 = !v.bool("http.http2.disabled", false);
        if (!hasUnder(v, "http.tls.")) {
            return null;
        }
        Path cert = readableFile(v, "http.tls.certificate", "the server certificate, PEM");
        Path key = readableFile(v, "http.tls.key", "its private key, PEM");
        List<Path> cas = new ArrayList<>();
        Value casValue = v.get("http.tls.clientcas");
        for (String ca : v.list("http.tls.clientcas")) {
            try {
                Path p = Path.of(ca.strip());
                if (Files.isRegularFile(p) && Files.isReadable(p)) {
                    cas.add(p);
                } else {
                    v.problem(casValue, "cannot read " + p);
                }
            } catch (InvalidPathException e) {
                v.problem(casValue, "not a valid path: " + ca);
            }
        }
        String minimum = TlsConfig.DEFAULT_MINIMUM;
        Value min = v.get("http.tls.minimumtls");
        if (min != null && !min.text().isBlank()) {
            String m = min.text().strip().toLowerCase(Locale.ROOT);
            if (TlsConfig.MINIMUMS.contains(m)) {
                minimum = m;
            } else {
                v.problem(min, "expected tls1.2 or tls1.3 (older versions are not offered), got " + min.text());
            }
        }
        return cert == null || key == null ? null : new TlsConfig(cert, key, cas, minimum, http2);
    }

    /** The {@code auth} section: at most one mode, the token server beside token mode, the access rules. */
    private static AuthConfig buildAuth(Values v) {
        boolean basic = hasUnder(v, "auth.htpasswd.");
        boolean token = hasUnder(v, "auth.token.");
        if (basic && token) {
            v.problems.add("auth: configure exactly one of htpasswd and token, got both");
            return AuthConfig.OFF;
        }
        int before = v.problems.size();
        AuthConfig.Htpasswd htpasswd = null;
        if (basic) {
            String realm = v.nonEmpty("auth.htpasswd.realm", AuthConfig.Htpasswd.DEFAULT_REALM);
            Path path = readableFile(v, "auth.htpasswd.path", "the htpasswd file, bcrypt entries (htpasswd -B)");
            Duration cache = v.duration("auth.htpasswd.credentialcache",
                    AuthConfig.Htpasswd.DEFAULT_CREDENTIAL_CACHE, true);
            if (path != null) {
                htpasswd = new AuthConfig.Htpasswd(realm, path, cache);
            }
        }
        boolean serverOn = v.bool("auth.tokenserver.enabled", false);
        if (serverOn && !token) {
            v.problems.add("auth.tokenserver: needs auth.token (realm, service, issuer), which says how its "
                    + "tokens are checked");
        }
        AuthConfig.TokenServer server = null;
        if (serverOn && token) {
            Path key = readableFile(v, "auth.tokenserver.key", "the private key tokens are signed with, PEM");
            Path users = optionalFile(v, "auth.tokenserver.htpasswd", "the users who may log in");
            Duration ttl = v.duration("auth.tokenserver.ttl", AuthConfig.TokenServer.DEFAULT_TTL, false);
            if (ttl.compareTo(Duration.ofSeconds(60)) < 0 || ttl.compareTo(Duration.ofHours(24)) > 0) {
                v.problem(v.get("auth.tokenserver.ttl"), "must be 60s to 24h, got " + formatDuration(ttl));
            }
            dev.berth.auth.TokenIssuer.KeyIdFormat kid = dev.berth.auth.TokenIssuer.KeyIdFormat.THUMBPRINT;
            Value kidValue = v.get("auth.tokenserver.kid");
            if (kidValue != null && !kidValue.text().isBlank()) {
                switch (kidValue.text().strip().toLowerCase(Locale.ROOT)) {
                    case "thumbprint" -> kid = dev.berth.auth.TokenIssuer.KeyIdFormat.THUMBPRINT;
                    case "libtrust" -> kid = dev.berth.auth.TokenIssuer.KeyIdFormat.LIBTRUST;
                    default -> v.problem(kidValue, "expected thumbprint or libtrust, got " + kidValue.text());
                }
            }
            if (key != null) {
                server = new AuthConfig.TokenServer(key, users, ttl, kid);
            }
        }
        AuthConfig.Token tokenConfig = null;
        if (token) {
            URI realm = null;
            Value realmValue = v.get("auth.token.realm");
            if (realmValue == null || realmValue.text().isBlank()) {
                v.problems.add("auth.token.realm: required (the token server's URL, for example "
                        + "https://registry.example:5050/auth/token for the built-in one)");
            } else {
                try {
                    URI u = new URI(realmValue.text().strip());
                    if (!("https".equals(u.getScheme()) || "http".equals(u.getScheme())) || u.getHost() == null) {
                        v.problem(realmValue, "must be an absolute http or https URL, got " + realmValue.text());
                    } else {
                        realm = u;
                    }
                } catch (URISyntaxException e) {
                    v.problem(realmValue, "not a URL: " + e.getMessage());
                }
            }
            String service = v.nonEmpty("auth.token.service", null);
            if (service == null) {
                v.problems.add("auth.token.service: required (this registry's name in tokens: their aud)");
            }
            String issuer = v.nonEmpty("auth.token.issuer", null);
            if (issuer == null) {
                v.problems.add("auth.token.issuer: required (the iss of the tokens accepted)");
            }
            Path bundle = optionalFile(v, "auth.token.rootcertbundle", "PEM certificates of the signing keys");
            Path jwks = optionalFile(v, "auth.token.jwks", "a JWKS of the signing keys");
            if (!v.has("auth.token.rootcertbundle") && !v.has("auth.token.jwks") && !serverOn) {
                v.problems.add("auth.token: needs rootcertbundle or jwks (the keys tokens are signed with), or the "
                        + "built-in token server (auth.tokenserver.enabled: true)");
            }
            List<String> algorithms = v.list("auth.token.signingalgorithms").stream().map(String::strip).toList();
            Duration leeway = v.duration("auth.token.leeway", AuthConfig.Token.DEFAULT_LEEWAY, true);
            if (leeway.compareTo(Duration.ofMinutes(5)) > 0) {
                v.problem(v.get("auth.token.leeway"), "must be at most 5m, got " + formatDuration(leeway));
            }
            try {
                new dev.berth.auth.TokenVerifier.Settings("i", "s", new LinkedHashSet<>(algorithms), Duration.ZERO);
            } catch (IllegalArgumentException e) {
                v.problem(v.get("auth.token.signingalgorithms"), e.getMessage());
            }
            if (realm != null && service != null && issuer != null) {
                tokenConfig = new AuthConfig.Token(realm, service, issuer, bundle, jwks, algorithms, leeway);
            }
        }
        dev.berth.auth.AccessRules.Settings access = null;
        // present, even as "rules: []" (nobody but the admins), replaces the default rule
        if (hasUnder(v, "auth.access.") || v.entryCounts.containsKey("auth.access.rules")) {
            if (!basic && !serverOn) {
                v.problems.add("auth.access: applies to auth.htpasswd and to the built-in token server "
                        + "(auth.tokenserver.enabled); an external token server decides access itself");
            } else {
                access = buildAccess(v);
            }
        }
        if (v.problems.size() > before) {
            return AuthConfig.OFF;
        }
        try {
            return new AuthConfig(htpasswd, tokenConfig, server, access);
        } catch (IllegalArgumentException e) {
            v.problems.add(e.getMessage());
            return AuthConfig.OFF;
        }
    }

    private static dev.berth.auth.AccessRules.Settings buildAccess(Values v) {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        v.free("auth.access.groups").forEach((name, value) -> groups.put(name,
                value.items().stream().map(String::strip).toList()));
        List<dev.berth.auth.AccessRules.Rule> rules = new ArrayList<>();
        int n = v.count("auth.access.rules");
        for (int i = 0; i < n; i++) {
            String p = "auth.access.rules." + i + ".";
            String at = "auth.access.rules[" + i + "]";
            String repository = v.string(p + "repository", null);
            if (repository == null || repository.isBlank()) {
                v.problems.add(at + ".repository: required (a repository name or pattern: team/*, team/**, **)");
                continue;
            }
            Set<dev.berth.auth.Action> actions = java.util.EnumSet.noneOf(dev.berth.auth.Action.class);
            for (String a : v.list(p + "actions")) {
                try {
                    actions.add(dev.berth.auth.Action.parse(a));
                } catch (IllegalArgumentException e) {
                    v.problem(v.get(p + "actions"), e.getMessage());
                }
            }
            rules.add(new dev.berth.auth.AccessRules.Rule(repository.strip(), v.list(p + "who").stream()
                    .map(String::strip).toList(), actions));
        }
        dev.berth.auth.AccessRules.Settings settings = new dev.berth.auth.AccessRules.Settings(
                v.list("auth.access.admins").stream().map(String::strip).toList(), groups, rules,
                v.list("auth.access.catalog").stream().map(String::strip).toList());
        try {
            new dev.berth.auth.AccessRules(settings);   // checks patterns, subjects and groups, naming where
        } catch (IllegalArgumentException e) {
            v.problems.add("auth.access." + e.getMessage());
        }
        return settings;
    }

    /** {@code http.tls} and {@code http.http2} lines of {@link #describe} (inside {@code http:}). */
    private static void describeTls(StringBuilder out, TlsConfig tls) {
        if (tls == null) {
            return;
        }
        line(out, 1, "tls", "");
        line(out, 2, "certificate", scalar(tls.certificate().toString()));
        line(out, 2, "key", scalar(tls.key().toString()));
        if (!tls.clientCas().isEmpty()) {
            line(out, 2, "clientcas", flowList(tls.clientCas().stream().map(Path::toString).toList(), false));
        }
        line(out, 2, "minimumtls", tls.minimumTls());
        line(out, 1, "http2", "");
        line(out, 2, "disabled", Boolean.toString(!tls.http2()));
    }

    /** The {@code auth} section of {@link #describe}; nothing when authentication is off. */
    private static void describeAuth(StringBuilder out, AuthConfig auth) {
        if (!auth.enabled()) {
            return;
        }
        out.append("auth:\n");
        if (auth.htpasswd() != null) {
            line(out, 1, "htpasswd", "");
            line(out, 2, "realm", scalar(auth.htpasswd().realm()));
            line(out, 2, "path", scalar(auth.htpasswd().path().toString()));
            line(out, 2, "credentialcache", formatDuration(auth.htpasswd().credentialCache()));
        }
        AuthConfig.Token t = auth.token();
        if (t != null) {
            line(out, 1, "token", "");
            line(out, 2, "realm", scalar(t.realm().toString()));
            line(out, 2, "service", scalar(t.service()));
            line(out, 2, "issuer", scalar(t.issuer()));
            if (t.rootCertBundle() != null) {
                line(out, 2, "rootcertbundle", scalar(t.rootCertBundle().toString()));
            }
            if (t.jwks() != null) {
                line(out, 2, "jwks", scalar(t.jwks().toString()));
            }
            if (!t.signingAlgorithms().isEmpty()) {
                line(out, 2, "signingalgorithms", flowList(t.signingAlgorithms(), false));
            }
            line(out, 2, "leeway", formatDuration(t.leeway()));
        }
        AuthConfig.TokenServer s = auth.tokenServer();
        if (s != null) {
            line(out, 1, "tokenserver", "");
            line(out, 2, "enabled", "true");
            line(out, 2, "key", scalar(s.key().toString()));
            if (s.htpasswd() != null) {
                line(out, 2, "htpasswd", scalar(s.htpasswd().toString()));
            }
            line(out, 2, "ttl", formatDuration(s.ttl()));
            line(out, 2, "kid", s.keyId().name().toLowerCase(Locale.ROOT));
        }
        dev.berth.auth.AccessRules.Settings a = auth.access();
        if (a != null) {
            line(out, 1, "access", "");
            if (!a.admins().isEmpty()) {
                line(out, 2, "admins", flowList(a.admins(), false));
            }
            if (!a.groups().isEmpty()) {
                line(out, 2, "groups", "");
                a.groups().forEach((g, members) -> line(out, 3, scalar(g), flowList(members, false)));
            }
            if (!a.catalog().isEmpty()) {
                line(out, 2, "catalog", flowList(a.catalog(), false));
            }
            line(out, 2, "rules", a.rules().isEmpty() ? "[]" : "");
            for (dev.berth.auth.AccessRules.Rule r : a.rules()) {
                out.append("      - repository: ").append(scalar(r.repository())).append('\n');
                line(out, 4, "who", flowList(r.who(), false));
                line(out, 4, "actions", flowList(r.actions().stream().sorted().map(dev.berth.auth.Action::wireName)
                        .toList(), false));
            }
        }
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
     * The effective configuration in the YAML shape it is read from, one key a line, for {@code berth config check}
     * and the start-up log. Secrets (the database password, a password inside a URL, the headers of notification
     * endpoints and of the trace collector) are shown as {@code *****}. Read back, the text gives the same
     * configuration (secrets aside).
     */
    public static String describe(BerthConfig config) {
        StringBuilder out = new StringBuilder();
        BerthConfig.Http h = config.http();
        out.append("http:\n");
        line(out, 1, "addr", scalar(h.addr()));
        line(out, 1, "idletimeout", formatDuration(h.idleTimeout()));
        line(out, 1, "maxmanifestbytes", Long.toString(h.maxManifestBytes()));
        line(out, 1, "maxpagesize", Integer.toString(h.maxPageSize()));
        line(out, 1, "draintimeout", formatDuration(h.drainTimeout()));
        if (h.secret() != null) {
            line(out, 1, "secret", MASK);
        }
        if (!h.headers().isEmpty()) {
            line(out, 1, "headers", "");
            h.headers().forEach((name, values) -> line(out, 2, scalar(name), flowList(values, false)));
        }
        BerthConfig.Debug d = h.debug();
        if (d.enabled()) {
            line(out, 1, "debug", "");
            line(out, 2, "addr", scalar(d.addr()));
            line(out, 2, "prometheus", "");
            line(out, 3, "enabled", Boolean.toString(d.prometheusEnabled()));
            line(out, 3, "path", scalar(d.prometheusPath()));
        }
        describeTls(out, config.tls());
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
        } else if (s.s3() != null) {
            describeS3(out, s.s3());
        } else {
            line(out, 1, s.driver(), "{}");
        }
        describeRedirect(out, s);
        line(out, 1, "delete", "");
        line(out, 2, "enabled", Boolean.toString(s.deleteEnabled()));
        line(out, 1, "maintenance", "");
        line(out, 2, "uploadpurging", "");
        line(out, 3, "age", formatDuration(s.uploadPurgeAge()));
        line(out, 2, "readonly", "");
        line(out, 3, "enabled", Boolean.toString(s.readOnly()));
        line(out, 2, "gc", "");
        line(out, 3, "enabled", Boolean.toString(s.gc().enabled()));
        line(out, 3, "interval", formatDuration(s.gc().interval()));
        line(out, 3, "graceperiod", formatDuration(s.gc().gracePeriod()));
        line(out, 3, "deleteuntagged", Boolean.toString(s.gc().deleteUntagged()));
        if (!s.gc().retention().isEmpty()) {
            line(out, 3, "retention", "");
            for (RetentionPolicy rp : s.gc().retention()) {
                out.append("        - repositories: ").append(scalar(rp.repositories().toString())).append('\n');
                rp.keepNewest().ifPresent(k -> line(out, 5, "keepnewest", Integer.toString(k)));
                rp.olderThan().ifPresent(o -> line(out, 5, "olderthan", formatDuration(o)));
                if (!rp.keepTags().isEmpty()) {
                    line(out, 5, "keeptags", "[" + String.join(", ", rp.keepTags().stream()
                            .map(g -> scalar(g.toString())).toList()) + "]");
                }
            }
        }
        BerthConfig.Database db = config.database();
        out.append("database:\n");
        line(out, 1, "url", scalar(maskUrl(db.url())));
        if (db.username() != null) {
            line(out, 1, "username", scalar(db.username()));
        }
        if (db.password() != null) {
            line(out, 1, "password", MASK);
        }
        line(out, 1, "maxpoolsize", Integer.toString(db.maxPoolSize()));
        BerthConfig.Log log = config.log();
        out.append("log:\n");
        line(out, 1, "level", log.level());
        line(out, 1, "formatter", log.formatter());
        if (!log.fields().isEmpty()) {
            line(out, 1, "fields", "");
            log.fields().forEach((k, v) -> line(out, 2, scalar(k), scalar(v)));
        }
        line(out, 1, "accesslog", "");
        line(out, 2, "disabled", Boolean.toString(!log.accessLog()));
        BerthConfig.Notifications n = config.notifications();
        if (!n.endpoints().isEmpty() || n.includeReferences()) {
            out.append("notifications:\n");
            line(out, 1, "events", "");
            line(out, 2, "includereferences", Boolean.toString(n.includeReferences()));
            if (!n.endpoints().isEmpty()) {
                line(out, 1, "endpoints", "");
                for (BerthConfig.Endpoint e : n.endpoints()) {
                    out.append("    - name: ").append(scalar(e.name())).append('\n');
                    line(out, 3, "url", scalar(maskQuery(maskUrl(e.url().toString()))));
                    if (e.disabled()) {
                        line(out, 3, "disabled", "true");
                    }
                    if (!e.headers().isEmpty()) {
                        line(out, 3, "headers", "");
                        e.headers().forEach((name, values) -> line(out, 4, scalar(name), flowList(values, true)));
                    }
                    line(out, 3, "timeout", formatDuration(e.timeout()));
                    line(out, 3, "threshold", Integer.toString(e.threshold()));
                    line(out, 3, "backoff", formatDuration(e.backoff()));
                    line(out, 3, "queuesize", Integer.toString(e.queueSize()));
                    if (!e.ignoredMediaTypes().isEmpty() || !e.ignoredActions().isEmpty()) {
                        line(out, 3, "ignore", "");
                        if (!e.ignoredMediaTypes().isEmpty()) {
                            line(out, 4, "mediatypes", flowList(e.ignoredMediaTypes(), false));
                        }
                        if (!e.ignoredActions().isEmpty()) {
                            line(out, 4, "actions", flowList(e.ignoredActions(), false));
                        }
                    }
                }
            }
        }
        BerthConfig.Tracing t = config.tracing();
        out.append("tracing:\n");
        line(out, 1, "enabled", Boolean.toString(t.enabled()));
        line(out, 1, "endpoint", scalar(maskQuery(maskUrl(t.endpoint().toString()))));
        line(out, 1, "servicename", scalar(t.serviceName()));
        line(out, 1, "samplingratio", Double.toString(t.samplingRatio()));
        if (!t.headers().isEmpty()) {
            line(out, 1, "headers", "");
            t.headers().forEach((name, value) -> line(out, 2, scalar(name), MASK));
        }
        out.append("health:\n");
        BerthConfig.Health hl = config.health();
        if (hl.storageDriverCheck()) {
            line(out, 1, "storagedriver", "");
            line(out, 2, "enabled", "true");
            line(out, 2, "interval", formatDuration(hl.storageDriverInterval()));
            line(out, 2, "threshold", Integer.toString(hl.storageDriverThreshold()));
        }
        line(out, 1, "readiness", "");
        line(out, 2, "timeout", formatDuration(config.health().readinessTimeout()));
        describeAuth(out, config.auth());
        return out.toString();
    }

    private static String flowList(List<String> values, boolean secret) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(secret ? MASK : scalar(values.get(i)));
        }
        return b.append(']').toString();
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

    private static final Pattern QUERY_VALUE = Pattern.compile("([?&][^=&#]*=)[^&#]*");

    /** A URL with every query value masked (webhook URLs often carry their token there). */
    static String maskQuery(String url) {
        return QUERY_VALUE.matcher(url).replaceAll("$1" + Matcher.quoteReplacement(MASK));
    }

    /** A JDBC URL with any password in it (a {@code password=} parameter or {@code user:pass@}) masked. */
    static String maskUrl(String url) {
        String masked = URL_PASSWORD.matcher(url).replaceAll("$1" + Matcher.quoteReplacement(MASK));
        return URL_USERINFO.matcher(masked).replaceAll("$1" + Matcher.quoteReplacement(MASK) + "@");
    }
}
