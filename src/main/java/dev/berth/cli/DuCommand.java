package dev.berth.cli;

import dev.berth.config.BerthConfig;
import dev.berth.metadata.RepositoryUsage;
import dev.berth.metadata.StorageUsage;
import dev.berth.registry.gc.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * {@code berth du [--config FILE] [--bytes]}: storage used per repository and in total, from the metadata. A blob
 * counts in every repository that uses it (links it, or has a manifest that is it or refers to it) and once in the
 * total.
 */
@Command(name = "du",
        description = {"Show the storage each repository uses and the total, counting a blob shared by several "
                + "repositories once in the total. Blobs no repository uses any more (garbage collection removes "
                + "them) are shown apart."},
        sortOptions = false)
public final class DuCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML configuration file (the same as for 'berth serve').")
    Path config;

    @Option(names = "--bytes", description = "Sizes as exact byte counts.")
    boolean bytes;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;

    public DuCommand(Map<String, String> env) {
        this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BerthConfig cfg = OfflineStores.loadConfig("du", config, env, err);
        if (cfg == null) {
            return Main.EXIT_CONFIG;
        }
        try (OfflineStores stores = OfflineStores.open(cfg)) {
            StorageUsage usage = stores.metadata.usage();
            int width = "not used by any repository".length();
            for (RepositoryUsage r : usage.repositories()) {
                width = Math.max(width, r.repository().length());
            }
            String row = "%-" + width + "s  %8s  %14s%n";
            out.printf(Locale.ROOT, row, "REPOSITORY", "BLOBS", "SIZE");
            for (RepositoryUsage r : usage.repositories()) {
                out.printf(Locale.ROOT, row, r.repository(), r.blobs(), size(r.bytes()));
            }
            out.printf(Locale.ROOT, row, "total (shared blobs once)", usage.blobs(), size(usage.bytes()));
            out.printf(Locale.ROOT, row, "not used by any repository", usage.unusedBlobs(), size(usage.unusedBytes()));
            out.flush();
            return 0;
        } catch (OfflineStores.Unusable e) {
            err.println("berth du: " + e.getMessage());
            err.flush();
            return Main.EXIT_CONFIG;
        } catch (Exception e) {
            err.println("berth du: failed: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private String size(long n) {
        return bytes ? Long.toString(n) : Sizes.human(n);
    }
}
