package dev.berth.cli;

import java.util.List;

import java.nio.file.Path;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The {@code berth} command. Exit codes: 0 ok, 1 the server failed, 2 bad usage or configuration.
 */
@Command(name = "berth",
        mixinStandardHelpOptions = true,
        versionProvider = Main.VersionProvider.class,
        description = "Berth, a container image registry (OCI Distribution / Docker Registry HTTP API V2).",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        footer = {"", "Run 'berth COMMAND --help' for a command's options."})
public final class Main implements Callable<Integer> {

    /** Exit code for a configuration error (and for bad usage, as picocli does). */
    public static final int EXIT_CONFIG = 2;

    @Spec
    CommandSpec spec;

    Main() {
    }

    /** With no command: the usage on stderr, exit 2. */
    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        cl.getErr().println("berth: missing command");
        cl.usage(cl.getErr());
        return EXIT_CONFIG;
    }

    public static void main(String[] args) {
        Logging.setup();
        int code = commandLine(System.getenv(), ServeCommand.BERTH_SERVER, true).execute(args);
        System.exit(code);
    }

    /**
     * The whole command tree, ready to {@link CommandLine#execute}; tests set out/err and pass their own
     * environment and server launcher.
     */
    public static CommandLine commandLine(Map<String, String> env, ServeCommand.Launcher launcher) {
        return commandLine(env, launcher, false);
    }

    /**
     * @param ownsProcess true from {@link #main}: {@code serve} then sets up logging from the configuration and
     *                    handles SIGTERM and SIGINT itself
     */
    static CommandLine commandLine(Map<String, String> env, ServeCommand.Launcher launcher, boolean ownsProcess) {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand("serve", new ServeCommand(env, launcher, ownsProcess));
        cl.addSubcommand("config", new CommandLine(new ConfigCommand())
                .addSubcommand("check", new ConfigCommand.Check(env)));
        cl.addSubcommand("gc", new GcCommand(env, c -> c.storage().gc()));
        cl.addSubcommand("du", new DuCommand(env));
        cl.addSubcommand("import", new ImportCommand(env));
        cl.addSubcommand("version", new VersionCommand());
        cl.addSubcommand("bench", new BenchCommand());
        cl.addSubcommand("help", new CommandLine.HelpCommand());
        return cl;
    }

    /** Implementation-Version from the jar's manifest; {@code dev} when run from classes. */
    public static String version() {
        String v = Main.class.getPackage() == null ? null : Main.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? "dev" : v;
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"berth " + version()};
        }
    }

    /**
     * Prints configuration problems the one way every command does: {@code berth[ <command>]: configuration
     * error (<file>): <problem>}, or a count followed by one indented line per problem.
     */
    static void printConfigProblems(PrintWriter err, String command, Path source, List<String> problems) {
        String who = command == null ? "berth" : "berth " + command;
        String where = source == null ? "" : " (" + source + ")";
        if (problems.size() == 1) {
            err.println(who + ": configuration error" + where + ": " + problems.get(0));
        } else {
            err.println(who + ": " + problems.size() + " configuration errors" + where + ":");
            for (String p : problems) {
                err.println("  " + p);
            }
        }
        err.flush();
    }
}
