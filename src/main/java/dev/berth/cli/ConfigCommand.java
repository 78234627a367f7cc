package dev.berth.cli;

import dev.berth.config.BerthConfig;
import dev.berth.config.ConfigLoader;
import dev.berth.config.ConfigLoader.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

/** {@code berth config}: commands about the configuration; {@code berth config check [FILE]}. */
@Command(name = "config",
        description = "Work with Berth's configuration.",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n")
final class ConfigCommand implements Callable<Integer> {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    /** With no sub-command: the usage on stderr, exit 2. */
    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        cl.getErr().println("berth config: missing command (try: berth config check FILE)");
        cl.usage(cl.getErr());
        return Main.EXIT_CONFIG;
    }

    /**
     * {@code berth config check [FILE]}: reads the file (or the defaults) with the {@code BERTH_*} environment
     * overrides, exactly as {@code berth serve} would, and prints the effective configuration with secrets masked.
     * Exit 0 when Berth would start with it, 2 with every problem otherwise.
     */
    @Command(name = "check",
            description = {"Check a configuration file as 'berth serve' would read it (with the BERTH_* "
                    + "environment overrides) and print the effective configuration, secrets masked.",
                    "Exit code 0 when it is valid, 2 otherwise (every problem is listed)."},
            sortOptions = false)
    static final class Check implements Callable<Integer> {

        @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
                description = "YAML configuration file (without one: the defaults and the environment).")
        Path file;

        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "The same as FILE.")
        Path config;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Spec
        CommandSpec spec;

        private final Map<String, String> env;

        Check(Map<String, String> env) {
            this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
        }

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (file != null && config != null && !file.equals(config)) {
                err.println("berth config check: give the file once (FILE or --config)");
                err.flush();
                return Main.EXIT_CONFIG;
            }
            Path source = file != null ? file : config;
            BerthConfig cfg;
            try {
                cfg = ConfigLoader.load(source, env);
            } catch (ConfigException e) {
                Main.printConfigProblems(err, null, source, e.problems());
                return Main.EXIT_CONFIG;
            }
            List<String> overrides = ConfigLoader.appliedOverrides(env);
            out.println("# configuration OK: " + (source == null ? "built-in defaults" : source)
                    + (overrides.isEmpty() ? "" : " with environment overrides " + String.join(", ", overrides)));
            out.println("# effective configuration (secrets shown as " + BerthConfig.MASK + "):");
            out.print(ConfigLoader.describe(cfg));
            out.flush();
            return 0;
        }
    }
}
