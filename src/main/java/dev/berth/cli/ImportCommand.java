package dev.berth.cli;

import dev.berth.config.BerthConfig;
import dev.berth.registry.distribution.DistributionImport;
import dev.berth.registry.distribution.ImportReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * {@code berth import [--config FILE] [ROOT]}: reads a CNCF distribution storage tree into the metadata, in place
 * (the blobs stay where they are: Berth's layout is distribution's). ROOT must be the configured storage root.
 */
@Command(name = "import",
        description = {"Import a CNCF distribution (docker-registry) storage tree: its repositories, blob links, "
                + "manifests and tags become Berth's metadata; no blob is copied, Berth serves them where they are. "
                + "Run it again at any time: nothing is imported twice. Prints what it imported and what was "
                + "inconsistent (and skipped)."},
        sortOptions = false)
public final class ImportCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML configuration file (the same as for 'berth serve').")
    Path config;

    @Parameters(arity = "0..1", paramLabel = "ROOT", description = "The distribution root directory (the one "
            + "holding docker/registry/v2): its storage.filesystem.rootdirectory. It must be Berth's configured "
            + "storage root; default: that root.")
    Path root;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;

    public ImportCommand(Map<String, String> env) {
        this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BerthConfig cfg = OfflineStores.loadConfig("import", config, env, err);
        if (cfg == null) {
            return Main.EXIT_CONFIG;
        }
        Path configured = cfg.storage().rootDirectory();
        Path tree = root == null ? configured : root;
        if (!Files.isDirectory(tree.resolve("docker/registry/v2"))) {
            err.println("berth import: " + tree + " is not a distribution storage root (no docker/registry/v2 in it)");
            err.flush();
            return Main.EXIT_CONFIG;
        }
        try {
            if (root != null && (!Files.isDirectory(configured)
                    || !tree.toRealPath().equals(configured.toRealPath()))) {
                err.println("berth import: " + tree + " is not the configured storage root (" + configured + "). "
                        + "Berth serves an imported tree in place: set storage.filesystem.rootdirectory (or "
                        + "BERTH_STORAGE_FILESYSTEM_ROOTDIRECTORY) to " + tree + " and run the import again.");
                err.flush();
                return Main.EXIT_CONFIG;
            }
        } catch (IOException e) {
            err.println("berth import: " + e.getMessage());
            err.flush();
            return 1;
        }
        try (OfflineStores stores = OfflineStores.open(cfg)) {
            out.println("importing the distribution tree under " + tree);
            ImportReport report = new DistributionImport(stores.storage, stores.metadata, Clock.systemUTC())
                    .run(line -> {
                        out.println(line);
                        out.flush();
                    });
            out.println("imported " + report.summary());
            out.flush();
            return 0;
        } catch (OfflineStores.Unusable e) {
            err.println("berth import: " + e.getMessage());
            err.flush();
            return Main.EXIT_CONFIG;
        } catch (Exception e) {
            err.println("berth import: failed: " + e.getMessage());
            err.flush();
            return 1;
        }
    }
}
