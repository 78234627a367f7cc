package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's class data sharing archive ({@code target/berth.jsa}), on a copy of {@code ./berth} whose jar is a
 * one-class program: the first {@code serve} writes the archive, later starts map it, and an archive made for
 * another jar is replaced even when it is newer than the jar (a serve started before a rebuild writes it after);
 * and a changed test source does not make the launcher build.
 */
class LauncherArchiveTest {

    @TempDir
    Path home;

    private Path javaHome;
    private Path jar;

    /** A launcher home: ./berth, scripts/find-java.sh, and target/berth.jar saying "one". No pom.xml, no sources. */
    @BeforeEach
    void home() throws IOException {
        javaHome = Path.of(System.getProperty("java.home"));
        assumeTrue(Files.exists(javaHome.resolve("lib/server/classes.jsa")), "this JDK has no base CDS archive");
        Files.copy(Path.of("berth"), home.resolve("berth"));
        Files.createDirectories(home.resolve("scripts"));
        Files.copy(Path.of("scripts/find-java.sh"), home.resolve("scripts/find-java.sh"));
        Files.createDirectories(home.resolve("target/lib"));
        jar = home.resolve("target/berth.jar");
        writeJar(jar, "one");
    }

    @Test
    void testSourceNewerThanTheJar_doesNotMakeTheLauncherBuild() throws Exception {
        // this home has no pom.xml: a build would fail
        Path test = Files.createDirectories(home.resolve("src/test/java")).resolve("SomeTest.java");
        Files.writeString(test, "class SomeTest { }");
        Files.setLastModifiedTime(test, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));

        assertThat(serve(javaHome).output()).contains("one serve").doesNotContain("building");
    }

    @Test
    void archive_writtenByFirstServe_mappedLater_andRemadeWhenTheJarChangesUnderARunningServe() throws Exception {
        Path archive = home.resolve("target/berth.jsa");
        Path stamp = home.resolve("target/berth.jsa.jar");

        assertThat(serve(javaHome).output()).contains("one serve");
        assertThat(archive).as("written at the first serve's exit").exists();
        assertThat(Files.readString(stamp)).contains(Long.toString(Files.size(jar)));
        Run mapped = serve(javaHome);
        assertThat(mapped.output()).contains("one serve").contains("Mapped dynamic region")
                .doesNotContain("mismatch");

        // a rebuild while a serve runs: the new jar, then the old serve's archive written after it
        FileTime rebuilt = Files.getLastModifiedTime(jar);
        Path old = home.resolve("old.jsa");
        Files.copy(archive, old);
        writeJar(jar, "two, a longer greeting so the jar's size changes");
        Files.copy(old, archive, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(archive, FileTime.fromMillis(rebuilt.toMillis() + 60_000));

        assertThat(serve(javaHome).output()).contains("two, a longer greeting so the jar's size changes serve")
                .doesNotContain("mismatch");
        Run remade = serve(javaHome);
        assertThat(remade.output()).as("the archive made again for the new jar is mapped")
                .contains("Mapped dynamic region").doesNotContain("mismatch");

        // a dump cut short: not an archive at all
        Files.writeString(archive, "not an archive");
        assertThat(serve(javaHome).output()).contains("serve").doesNotContain("mismatch");
        assertThat(serve(javaHome).output()).contains("Mapped dynamic region");
    }

    private record Run(int exit, String output) {
    }

    /** {@code ./berth serve} with CDS logging on (after the launcher's own options, so it wins). */
    private Run serve(Path javaHome) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("berth").toString(), "serve").redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", javaHome.toString());
        pb.environment().put("BERTH_JAVA_OPTS", "-Xmx64m -Xlog:cds=info");
        pb.environment().remove("BERTH_JAVA_CACHE");
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(output).isZero();
        return new Run(p.exitValue(), output);
    }

    /** A jar whose main class prints {@code greeting} and its arguments. */
    private void writeJar(Path jar, String greeting) throws IOException {
        Path src = Files.createDirectories(home.resolve("src-" + Math.abs(greeting.hashCode())));
        Path java = src.resolve("Hello.java");
        Files.writeString(java, "public class Hello { public static void main(String[] a) {"
                + " System.out.println(\"" + greeting + " \" + String.join(\" \", a)); } }");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac.run(null, null, null, "-d", src.toString(), java.toString())).isZero();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "Hello");
        Path tmp = jar.resolveSibling("berth.jar.tmp");
        try (OutputStream os = Files.newOutputStream(tmp); JarOutputStream out = new JarOutputStream(os, manifest)) {
            out.putNextEntry(new JarEntry("Hello.class"));
            out.write(Files.readAllBytes(src.resolve("Hello.class")));
            out.closeEntry();
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING);
        assertThat(jar).isRegularFile();
    }
}
