package dev.berth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the package directions of DESIGN.md honest with a plain scan of the sources: every {@code import} and every
 * fully-qualified reference in code (comments and string literals do not count).
 *
 * <p>Order: {@code oci < api < storage < metadata < registry < auth < http < config < cli < bench}. A package may
 * use its own sub-packages and the packages before it, nothing after it. {@code bench} (the {@code berth bench}
 * load tool, an HTTP client of any registry) is a leaf: it may use anything, and only {@code cli}'s
 * {@code BenchCommand} uses it, to register the command. {@code storage.filesystem} counts as
 * {@code storage}, {@code metadata.jdbc} as {@code metadata}, {@code http.netty} as {@code http}. Only {@code http}
 * may use Netty; only {@code metadata} may use JDBC and its pool and drivers.
 */
class ArchitectureTest {

    /** DESIGN.md, "Layout": each package depends only on those listed before it. */
    static final List<String> ORDER = List.of(
            "oci", "api", "storage", "metadata", "registry", "auth", "http", "config", "cli", "bench");

    /**
     * Deliberate exceptions to {@link #ORDER}, as "from -> to". Nothing below {@code config} reads the
     * configuration tree; components get plain values from {@code cli}, which wires everything. The one exception:
     * {@code cli} registers the {@code bench} command, and only in {@link #BENCH_ENTRY} (checked below).
     */
    static final Set<String> ALLOWED_EXCEPTIONS = Set.of("cli -> bench");

    /** The only file outside {@code bench} that may use it. */
    static final Path BENCH_ENTRY = Path.of("dev", "berth", "cli", "BenchCommand.java");

    /** External libraries only one package may touch. */
    static final Map<String, String> CONFINED = Map.of(
            "io.netty", "http",
            "java.sql", "metadata",
            "javax.sql", "metadata",
            "com.zaxxer", "metadata",
            "org.sqlite", "metadata",
            "org.postgresql", "metadata");

    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern IMPORT =
            Pattern.compile("^\\s*import\\s+(?:static\\s+)?([\\w.]+(?:\\.\\*)?)\\s*;", Pattern.MULTILINE);
    private static final Pattern BERTH_REFERENCE =
            Pattern.compile("(?<![\\w.$])dev\\s*\\.\\s*berth\\s*\\.\\s*([a-z_][a-z0-9_]*)\\b");
    private static final Pattern CONFINED_REFERENCE = Pattern.compile("(?<![\\w.$])("
            + CONFINED.keySet().stream().map(p -> p.replace(".", "\\s*\\.\\s*")).collect(Collectors.joining("|"))
            + ")\\s*\\.");

    private static List<SourceFile> sources;

    record SourceFile(Path path, String packageName, String code) {
    }

    /** One use of a package or library by a file: where, and the text that uses it. */
    record Use(Path file, int line, String target, String text) {
        @Override
        public String toString() {
            return file + ":" + line + " uses " + target + ": " + text;
        }
    }

    @BeforeAll
    static void readSources() throws IOException {
        Path root = Path.of(System.getProperty("basedir", ".")).resolve("src/main/java/dev/berth");
        assertThat(root).as("the main sources, relative to the Maven base directory").isDirectory();
        try (Stream<Path> files = Files.walk(root)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).sorted().map(p -> {
                try {
                    String raw = Files.readString(p, StandardCharsets.UTF_8);
                    String code = stripCommentsAndLiterals(raw);
                    Matcher m = PACKAGE.matcher(code);
                    String pkg = m.find() ? m.group(1).replaceAll("\\s", "") : "";
                    return new SourceFile(root.getParent().getParent().relativize(p), pkg, code);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }
    }

    @Test
    void scan_findsTheSourcesOfEveryLayer() {
        Set<String> layers = sources.stream().map(s -> layerOf(s.packageName())).collect(Collectors.toSet());

        assertThat(sources).hasSizeGreaterThan(10);
        assertThat(layers).contains("oci", "api", "storage", "metadata", "registry", "http", "config", "cli");
    }

    @Test
    void everyFile_declaresThePackageOfItsDirectory() {
        List<String> wrong = new ArrayList<>();
        for (SourceFile s : sources) {
            String expected = s.path().getParent().toString().replace(s.path().getFileSystem().getSeparator(), ".");
            if (!s.packageName().equals(expected)) {
                wrong.add(s.path() + " declares package '" + s.packageName() + "'");
            }
        }
        assertThat(wrong).as("files whose package does not match their directory").isEmpty();
    }

    @Test
    void everyPackage_isALayerOfTheDesign() {
        Set<String> unknown = new TreeSet<>();
        for (SourceFile s : sources) {
            if (!ORDER.contains(layerOf(s.packageName()))) {
                unknown.add(s.path() + " is in " + s.packageName());
            }
        }
        assertThat(unknown).as("packages outside " + ORDER + " (add them to DESIGN.md and to ORDER)").isEmpty();
    }

    @Test
    void packages_useOnlyThePackagesBeforeThem() {
        List<String> offences = new ArrayList<>();
        for (SourceFile s : sources) {
            String from = layerOf(s.packageName());
            for (Use use : berthUses(s)) {
                String to = use.target();
                if (to.equals(from) || ALLOWED_EXCEPTIONS.contains(from + " -> " + to)) {
                    continue;
                }
                if (!ORDER.contains(to)) {
                    offences.add(use + "  (dev.berth." + to + " is not a layer of the design)");
                } else if (ORDER.contains(from) && ORDER.indexOf(to) > ORDER.indexOf(from)) {
                    offences.add(use + "  (" + from + " may use only " + ORDER.subList(0, ORDER.indexOf(from))
                            + ")");
                }
            }
        }
        assertThat(offences)
                .as("package directions of DESIGN.md (%s), offending file:line and import", String.join(" < ", ORDER))
                .isEmpty();
    }

    @Test
    void bench_isALeaf_usedOnlyByItsCommand() {
        List<String> offences = new ArrayList<>();
        for (SourceFile s : sources) {
            String from = layerOf(s.packageName());
            if (from.equals("bench") || s.path().equals(BENCH_ENTRY)) {
                continue;
            }
            for (Use use : berthUses(s)) {
                if (use.target().equals("bench")) {
                    offences.add(use + "  (only " + BENCH_ENTRY + " may use dev.berth.bench)");
                }
            }
        }
        assertThat(offences).as("uses of the bench tool outside its command").isEmpty();
    }

    @Test
    void confinedLibraries_areUsedOnlyByTheirPackage() {
        List<String> offences = new ArrayList<>();
        for (SourceFile s : sources) {
            String from = layerOf(s.packageName());
            for (Use use : confinedUses(s)) {
                String owner = CONFINED.get(use.target());
                if (!owner.equals(from)) {
                    offences.add(use + "  (only dev/berth/" + owner + " may use " + use.target() + ")");
                }
            }
        }
        assertThat(offences).as("libraries confined to one package, offending file:line and import").isEmpty();
    }

    @Test
    void netty_isUsedByHttp_andJdbcByMetadata() {
        // the rules above are only worth something if the scan sees the uses that are allowed
        Set<String> nettyUsers = new TreeSet<>();
        Set<String> sqlUsers = new TreeSet<>();
        for (SourceFile s : sources) {
            for (Use use : confinedUses(s)) {
                if (use.target().equals("io.netty")) {
                    nettyUsers.add(s.packageName());
                }
                if (use.target().equals("java.sql")) {
                    sqlUsers.add(s.packageName());
                }
            }
        }
        assertThat(nettyUsers).isNotEmpty().allMatch(p -> layerOf(p).equals("http"));
        assertThat(sqlUsers).isNotEmpty().allMatch(p -> layerOf(p).equals("metadata"));
    }

    // --- the scanner's own rules --------------------------------------------------------------------------------

    @Test
    void scanner_seesImportsStaticImportsWildcardsAndQualifiedNames() {
        SourceFile s = parse("""
                package dev.berth.api;

                import dev.berth.oci.Digest;
                import static dev.berth.registry.Uploads.copy;
                import dev.berth.storage.*;
                import io.netty.buffer.ByteBuf;

                class X {
                    dev.berth.http.Request r = new dev . berth . cli.Main();
                    java.sql.Connection c;
                }
                """);

        assertThat(berthUses(s)).extracting(Use::target)
                .containsExactly("oci", "registry", "storage", "http", "cli");
        assertThat(confinedUses(s)).extracting(Use::target).containsExactly("io.netty", "java.sql");
        assertThat(confinedUses(s)).extracting(Use::line).containsExactly(6, 10);
    }

    @Test
    void scanner_ignoresCommentsStringsCharsAndTextBlocks() {
        SourceFile s = parse("""
                package dev.berth.oci;
                // import dev.berth.http.Request;
                /* dev.berth.cli.Main io.netty.buffer.ByteBuf
                   import java.sql.Connection; */
                /** {@link dev.berth.registry.Uploads} */
                class X {
                    String a = "dev.berth.http.Request \\" io.netty.x";
                    char q = '"';
                    String b = "java.sql.Connection";
                    String t = \"""
                        dev.berth.cli.Main "quoted" io.netty.y
                        \""";
                    char e = '\\'';
                    String after = "x"; dev.berth.oci.Digest d;
                }
                """);

        assertThat(berthUses(s)).extracting(Use::target).containsExactly("oci");
        assertThat(confinedUses(s)).isEmpty();
        assertThat(berthUses(s).get(0).line()).isEqualTo(14);
    }

    @Test
    void layerOf_mapsSubPackagesToTheirLayer() {
        assertThat(layerOf("dev.berth.storage.filesystem")).isEqualTo("storage");
        assertThat(layerOf("dev.berth.metadata.jdbc")).isEqualTo("metadata");
        assertThat(layerOf("dev.berth.http.netty")).isEqualTo("http");
        assertThat(layerOf("dev.berth.oci")).isEqualTo("oci");
        assertThat(layerOf("dev.berth")).isEqualTo("");
    }

    // --- scanning -------------------------------------------------------------------------------------------------

    private static SourceFile parse(String source) {
        String code = stripCommentsAndLiterals(source);
        Matcher m = PACKAGE.matcher(code);
        return new SourceFile(Path.of("X.java"), m.find() ? m.group(1) : "", code);
    }

    /** The layer of a package: its first segment below {@code dev.berth}. */
    static String layerOf(String packageName) {
        String prefix = "dev.berth.";
        if (!packageName.startsWith(prefix)) {
            return "";
        }
        String rest = packageName.substring(prefix.length());
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    /** Every layer of Berth the file refers to, once per line, in order. */
    static List<Use> berthUses(SourceFile s) {
        Set<Use> uses = new LinkedHashSet<>();
        Matcher m = BERTH_REFERENCE.matcher(s.code());
        while (m.find()) {
            if (isPackageDeclaration(s.code(), m.start())) {
                continue;
            }
            int line = lineOf(s.code(), m.start());
            uses.add(new Use(s.path(), line, m.group(1), lineText(s.code(), m.start())));
        }
        return List.copyOf(uses);
    }

    /** Every use of a confined library, once per line, in order. */
    static List<Use> confinedUses(SourceFile s) {
        Set<Use> uses = new LinkedHashSet<>();
        Matcher m = CONFINED_REFERENCE.matcher(s.code());
        while (m.find()) {
            uses.add(new Use(s.path(), lineOf(s.code(), m.start()), m.group(1).replaceAll("\\s", ""),
                    lineText(s.code(), m.start())));
        }
        return List.copyOf(uses);
    }

    private static boolean isPackageDeclaration(String code, int at) {
        return lineText(code, at).startsWith("package ");
    }

    private static int lineOf(String code, int at) {
        int line = 1;
        for (int i = 0; i < at; i++) {
            if (code.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private static String lineText(String code, int at) {
        int start = code.lastIndexOf('\n', at - 1) + 1;
        int end = code.indexOf('\n', at);
        return code.substring(start, end < 0 ? code.length() : end).strip();
    }

    /**
     * Blanks out comments, string and character literals and text blocks, keeping every line break so line numbers
     * stay right. Unicode escapes outside literals are not interpreted (the sources do not use them for code).
     */
    static String stripCommentsAndLiterals(String src) {
        StringBuilder out = new StringBuilder(src.length());
        int i = 0;
        int n = src.length();
        while (i < n) {
            char c = src.charAt(i);
            if (c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
                while (i < n && src.charAt(i) != '\n') {
                    out.append(' ');
                    i++;
                }
            } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
                int end = src.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                blank(src, i, end, out);
                i = end;
            } else if (src.startsWith("\"\"\"", i)) {
                int j = i + 3;
                while (j < n && !src.startsWith("\"\"\"", j)) {
                    j += src.charAt(j) == '\\' ? 2 : 1;
                }
                int end = Math.min(n, j + 3);
                blank(src, i, end, out);
                i = end;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && src.charAt(j) != c && src.charAt(j) != '\n') {
                    j += src.charAt(j) == '\\' ? 2 : 1;
                }
                int end = Math.min(n, j + 1);
                blank(src, i, end, out);
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static void blank(String src, int from, int to, StringBuilder out) {
        for (int k = from; k < to; k++) {
            out.append(src.charAt(k) == '\n' ? '\n' : ' ');
        }
    }
}
