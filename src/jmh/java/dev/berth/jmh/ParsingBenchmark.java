package dev.berth.jmh;

import dev.berth.api.Route;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import dev.berth.oci.Tag;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The per-request parsing of the hot read paths: route matching (the route table tried in order, each template
 * matched by its fixed markers without regular expressions), and the validation of the values it extracts
 * (digest, repository name, tag).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmx192m"})
public class ParsingBenchmark {

    static final String DIGEST = "sha256:c7cb8b4660d49b15a594b811041a280d433bcfc1fe3444704d74189203795541";
    static final String BLOB_PATH = "/v2/bench/full1/hot/blobs/" + DIGEST;
    static final String MANIFEST_PATH = "/v2/bench/full1/hot/manifests/latest";

    String digest = DIGEST;
    String name = "bench/full1/hot";
    String tag = "latest";
    String blobPath = BLOB_PATH;
    String manifestPath = MANIFEST_PATH;

    @Benchmark
    public Digest digestParse() {
        return Digest.parse(digest);
    }

    @Benchmark
    public RepositoryName repositoryName() {
        return RepositoryName.of(name);
    }

    @Benchmark
    public Tag tag() {
        return Tag.of(tag);
    }

    /** What the router does for HEAD/GET blob: the route and its variables, in one pass over the table. */
    @Benchmark
    public Route.Match routeBlob() {
        return Route.resolve(blobPath).orElseThrow();
    }

    @Benchmark
    public Route.Match routeManifest() {
        return Route.resolve(manifestPath).orElseThrow();
    }

    @Benchmark
    public Optional<Route> routeFindOnly() {
        return Route.find(blobPath);
    }
}
