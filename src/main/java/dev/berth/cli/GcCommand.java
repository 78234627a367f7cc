package dev.berth.cli;

import dev.berth.config.BerthConfig;
import dev.berth.config.ConfigLoader;
import dev.berth.registry.Uploads;
import dev.berth.registry.gc.Finding;
import dev.berth.registry.gc.GarbageCollector;
import dev.berth.registry.gc.GcReport;
import dev.berth.registry.gc.GcSettings;
import dev.berth.registry.gc.RetentionPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * {@code berth gc [--config FILE] [--dry-run] [--delete-untagged] [--grace-period D] [--retention P]...}: one
 * garbage collection on the storage and database of the configuration, while a server runs on them or not (see
 * docs/gc.md). Prints one line per thing deleted (or, with {@code --dry-run}, that would be) and a summary.
 * Exit codes: 0 done, 1 failed or another collection is running, 2 bad usage or configuration.
 */
@Command(name = "gc",
        description = {"Delete what nothing needs any more: manifests no tag or index needs (with "
                + "--delete-untagged), blob links no manifest of their repository refers to, blobs nothing "
                + "needs, content no record names, idle uploads. Nothing younger than the grace period is "
                + "deleted, so pushes in progress are safe; a server may keep running.",
                "Tags are deleted first by the retention policies. Blobs whose content is missing from storage "
                        + "are reported (MISSING), never deleted. See docs/gc.md."},
        sortOptions = false)
public final class GcCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML configuration file (the same as for 'berth serve').")
    Path config;

    @Option(names = "--dry-run", description = "Print what would be deleted and how many bytes it frees; change "
            + "nothing.")
    boolean dryRun;

    @Option(names = "--delete-untagged", description = "Also delete manifests no tag points to and no index "
            + "lists (referrers of a remaining manifest are kept).")
    boolean deleteUntagged;

    @Option(names = "--grace-period", paramLabel = "DURATION", description = "Keep everything recorded, linked "
            + "or confirmed more recently than this (Go syntax: 90m, 6h). Default: the configuration's, else 6h.")
    String gracePeriod;

    @Option(names = "--retention", paramLabel = "POLICY", description = "A tag retention policy, replacing the "
            + "configured ones; repeatable, the first whose repositories match applies: "
            + "'REPOS:keepnewest=N,olderthan=DURATION,keeptags=GLOB|GLOB' (e.g. 'team/**:keepnewest=10,"
            + "keeptags=latest|v*').")
    List<String> retention;

    @Option(names = {"-q", "--quiet"}, description = "Print only the summary (and missing content).")
    boolean quiet;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;
    private final Function<BerthConfig, GcSettings> settingsOf;

    /** Garbage collection settings from the configuration with {@code settingsOf}. */
    public GcCommand(Map<String, String> env, Function<BerthConfig, GcSettings> settingsOf) {
        this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
        this.settingsOf = Objects.requireNonNull(settingsOf, "settingsOf");
    }

    /** With the default settings ({@link GcSettings#defaults()}) whatever the configuration says. */
    public GcCommand(Map<String, String> env) {
        this(env, c -> GcSettings.defaults());
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BerthConfig cfg = OfflineStores.loadConfig("gc", config, env, err);
        if (cfg == null) {
            return Main.EXIT_CONFIG;
        }
        GcSettings settings = settingsOf.apply(cfg);
        if (gracePeriod != null) {
            try {
                Duration grace = ConfigLoader.parseDuration(gracePeriod);
                if (grace.isNegative()) {
                    throw new IllegalArgumentException("must not be negative, got " + gracePeriod);
                }
                settings = settings.withGracePeriod(grace);
            } catch (IllegalArgumentException e) {
                err.println("berth gc: --grace-period: " + e.getMessage());
                err.flush();
                return Main.EXIT_CONFIG;
            }
        }
        if (retention != null) {
            List<RetentionPolicy> policies = new ArrayList<>();
            for (String p : retention) {
                try {
                    policies.add(RetentionPolicy.parse(p, ConfigLoader::parseDuration));
                } catch (IllegalArgumentException e) {
                    err.println("berth gc: --retention " + p + ": " + e.getMessage());
                    err.flush();
                    return Main.EXIT_CONFIG;
                }
            }
            settings = settings.withRetention(policies);
        }
        if (deleteUntagged) {
            settings = settings.withDeleteUntagged(true);
        }
        try (OfflineStores stores = OfflineStores.open(cfg)) {
            Clock clock = Clock.systemUTC();
            Uploads uploads = new Uploads(stores.storage, stores.metadata, clock, () -> UUID.randomUUID().toString());
            GarbageCollector gc = new GarbageCollector(stores.storage, stores.metadata, uploads, clock,
                    GarbageCollector.nodeId());
            out.println((dryRun ? "dry run, " : "") + "grace period " + ConfigLoader.formatDuration(
                    settings.gracePeriod()) + (settings.deleteUntagged() ? ", deleting untagged manifests" : "")
                    + (settings.retention().isEmpty() ? "" : ", retention "
                    + String.join("; ", settings.retention().stream()
                    .map(p -> p.describe(ConfigLoader::formatDuration)).toList())));
            GcReport report = gc.run(GarbageCollector.Options.of(settings, dryRun,
                    Optional.of(cfg.storage().uploadPurgeAge())), f -> {
                        if (!quiet || f.kind() == Finding.Kind.MISSING) {
                            out.println(f.line(dryRun));
                            out.flush();
                        }
                    });
            out.println(report.summary());
            out.flush();
            return 0;
        } catch (GarbageCollector.LeaseBusyException e) {
            err.println("berth gc: " + e.getMessage() + "; try again later");
            err.flush();
            return 1;
        } catch (OfflineStores.Unusable e) {
            err.println("berth gc: " + e.getMessage());
            err.flush();
            return Main.EXIT_CONFIG;
        } catch (Exception e) {
            err.println("berth gc: failed: " + e.getMessage());
            err.flush();
            return 1;
        }
    }
}
