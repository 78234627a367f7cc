package dev.berth.cli;

import dev.berth.config.BerthConfig;
import dev.berth.config.ConfigLoader;
import dev.berth.config.ConfigLoader.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code berth serve [--config FILE]}: loads the configuration (file, then {@code BERTH_*} environment
 * overrides), logs it with secrets masked, starts the server, prints {@code berth listening on http://host:port}
 * and runs until the process is stopped (a shutdown hook closes the server gracefully).
 */
@Command(name = "serve",
        description = {"Start the registry.",
                "Without --config: HTTP on 127.0.0.1:5050, blobs under ./data/registry, metadata in "
                        + "./data/berth.db. BERTH_* environment variables override any key "
                        + "(BERTH_HTTP_ADDR=:5000, BERTH_STORAGE_FILESYSTEM_ROOTDIRECTORY=/srv/registry, ...); "
                        + "see docs/configuration.md."},
        sortOptions = false)
public final class ServeCommand implements Callable<Integer> {

    private static final Logger LOG = Logger.getLogger(ServeCommand.class.getName());

    /** Starts a server for a configuration. */
    @FunctionalInterface
    public interface Launcher {
        Running start(BerthConfig config) throws Exception;
    }

    /** A started server, as the command sees it. */
    public interface Running {
        int port();

        void close();

        void awaitTermination() throws InterruptedException;
    }

    /** The real thing: {@link BerthServer}. */
    public static final Launcher BERTH_SERVER = config -> {
        BerthServer server = BerthServer.start(config);
        return new Running() {
            @Override
            public int port() {
                return server.port();
            }

            @Override
            public void close() {
                server.close();
            }

            @Override
            public void awaitTermination() throws InterruptedException {
                server.awaitTermination();
            }
        };
    };

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML configuration file, shaped like CNCF distribution's config.yml.")
    Path config;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;
    private final Launcher launcher;

    ServeCommand(Map<String, String> env, Launcher launcher) {
        this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
        this.launcher = Objects.requireNonNull(launcher, "launcher");
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        BerthConfig cfg;
        try {
            cfg = ConfigLoader.load(config, env);
        } catch (ConfigException e) {
            reportConfigProblems(err, e);
            return Main.EXIT_CONFIG;
        }
        LOG.info(() -> "berth " + Main.version() + ", configuration from "
                + (config == null ? "built-in defaults" : config.toString())
                + appliedOverrides() + ":\n" + ConfigLoader.describe(cfg).stripTrailing());

        Running server;
        try {
            server = launcher.start(cfg);
        } catch (ConfigException e) {
            reportConfigProblems(err, e);
            return Main.EXIT_CONFIG;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("berth: interrupted while starting");
            err.flush();
            return 1;
        } catch (Exception e) {
            IOException io = ioCause(e);
            if (io == null) {
                LOG.log(Level.SEVERE, "could not start", e);
            }
            err.println("berth: could not start: " + describe(io != null ? io : e));
            err.flush();
            return 1;
        }

        Thread hook = new Thread(server::close, "berth-shutdown");
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            server.close();
            return 0;
        }
        String host = cfg.http().host();
        out.println("berth listening on http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
                + server.port());
        out.flush();
        try {
            server.awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is what stopped the server; nothing to undo
        }
        return 0;
    }

    private void reportConfigProblems(PrintWriter err, ConfigException e) {
        String where = config == null ? "" : " (" + config + ")";
        List<String> problems = e.problems();
        if (problems.size() == 1) {
            err.println("berth: configuration error" + where + ": " + problems.get(0));
        } else {
            err.println("berth: " + problems.size() + " configuration errors" + where + ":");
            for (String p : problems) {
                err.println("  " + p);
            }
        }
        err.flush();
    }

    private String appliedOverrides() {
        List<String> names = new ArrayList<>();
        for (ConfigLoader.Key k : ConfigLoader.Key.values()) {
            if (env.containsKey(k.envName()) && !env.get(k.envName()).isEmpty()) {
                names.add(k.envName());
            }
        }
        if (env.containsKey(ConfigLoader.ENV_STORAGE_DRIVER) && !env.get(ConfigLoader.ENV_STORAGE_DRIVER).isEmpty()) {
            names.add(ConfigLoader.ENV_STORAGE_DRIVER);
        }
        return names.isEmpty() ? "" : " with environment overrides " + String.join(", ", new TreeSet<>(names));
    }

    private static IOException ioCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException io) {
                return io;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
