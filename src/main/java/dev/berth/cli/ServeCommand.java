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
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code berth serve [--config FILE]}: loads the configuration (file, then {@code BERTH_*} environment
 * overrides), logs it with secrets masked, starts the server, prints {@code berth listening on http://host:port}
 * and runs until the process is stopped. On {@code SIGTERM} or {@code SIGINT} it stops gracefully (requests in
 * flight get {@code http.draintimeout}) and exits 0; a second signal while draining exits at once with 130.
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
    private final boolean ownsProcess;

    /**
     * @param ownsProcess whether this command runs the JVM (from {@code main}): it then sets up logging from the
     *                    configuration and handles SIGTERM and SIGINT; in-process callers (tests) keep theirs
     */
    ServeCommand(Map<String, String> env, Launcher launcher, boolean ownsProcess) {
        this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
        this.launcher = Objects.requireNonNull(launcher, "launcher");
        this.ownsProcess = ownsProcess;
    }

    ServeCommand(Map<String, String> env, Launcher launcher) {
        this(env, launcher, false);
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
        if (ownsProcess) {
            Logging.configure(cfg.log());
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
        if (ownsProcess) {
            handleStopSignals(server);
        }
        String host = cfg.http().host();
        out.println("berth listening on " + (cfg.tls() == null ? "http" : "https") + "://"
                + (host.contains(":") ? "[" + host + "]" : host) + ":"
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
        Main.printConfigProblems(err, null, config, e.problems());
    }

    private String appliedOverrides() {
        List<String> names = ConfigLoader.appliedOverrides(env);
        return names.isEmpty() ? "" : " with environment overrides " + String.join(", ", names);
    }

    /**
     * SIGTERM and SIGINT close the server gracefully on a thread of their own; {@link #call} then returns 0, so the
     * process exits 0 rather than with the 143 or 130 of a shutdown by signal. A second signal exits at once.
     * Uses {@code sun.misc.Signal} (module jdk.unsupported) through reflection; without it the shutdown hook
     * still closes the server gracefully, with the signal's exit code.
     */
    private static void handleStopSignals(Running server) {
        AtomicBoolean stopping = new AtomicBoolean();
        Runnable stop = () -> {
            if (!stopping.compareAndSet(false, true)) {
                LOG.warning("second stop signal: exiting without waiting for requests in flight");
                Runtime.getRuntime().halt(130);
            }
            Thread.ofPlatform().name("berth-stop").start(server::close);
        };
        for (String name : new String[] {"TERM", "INT"}) {
            if (!onSignal(name, stop)) {
                LOG.fine("cannot handle SIG" + name + "; the shutdown hook will stop the server");
            }
        }
    }

    static boolean onSignal(String name, Runnable action) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            action.run();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "berth stop handler";
                    });
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return false;
        }
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
