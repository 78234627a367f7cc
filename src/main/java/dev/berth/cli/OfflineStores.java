package dev.berth.cli;

import dev.berth.config.BerthConfig;
import dev.berth.config.ConfigLoader;
import dev.berth.metadata.MetadataStore;
import dev.berth.metadata.jdbc.JdbcMetadataStore;
import dev.berth.storage.StorageDriver;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/**
 * The storage driver and metadata store a configuration names, opened by a maintenance command ({@code gc},
 * {@code du}, {@code import}) beside or instead of a running server: the same storage root and database as
 * {@code berth serve} with that configuration.
 */
final class OfflineStores implements AutoCloseable {

    final BerthConfig config;
    final StorageDriver storage;
    final MetadataStore metadata;

    private OfflineStores(BerthConfig config, StorageDriver storage, MetadataStore metadata) {
        this.config = config;
        this.storage = storage;
        this.metadata = metadata;
    }

    /** A configuration the command cannot use; the message is for the user. */
    static final class Unusable extends Exception {
        Unusable(String message) {
            super(message);
        }
    }

    /**
     * Loads the configuration ({@code file} may be null) with environment overrides; configuration problems are
     * written to {@code err} and returned as null.
     */
    static BerthConfig loadConfig(String command, Path file, Map<String, String> env, PrintWriter err) {
        try {
            return ConfigLoader.load(file, env);
        } catch (ConfigLoader.ConfigException e) {
            Main.printConfigProblems(err, command, file, e.problems());
            return null;
        }
    }

    static OfflineStores open(BerthConfig config) throws Unusable, IOException {
        if (config.storage().driver().equals("inmemory")) {
            // inmemory lives only inside a server process
            throw new Unusable("maintenance commands need storage that outlives a server: filesystem or s3 "
                    + "(configured: inmemory)");
        }
        if (config.storage().driver().equals("s3") && config.storage().s3() == null) {
            throw new Unusable("storage.s3: the s3 driver needs its settings");
        }
        // the same driver as BerthServer opens (an S3 bucket is checked first, naming it on failure)
        StorageDriver storage = ScaleOut.openStorage(config.storage(), java.time.Clock.systemUTC());
        try {
            BerthConfig.Database db = config.database();
            return new OfflineStores(config, storage,
                    JdbcMetadataStore.open(db.url(), db.username(), db.password(), db.maxPoolSize()));
        } catch (RuntimeException e) {
            storage.close();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            metadata.close();
        } finally {
            storage.close();
        }
    }
}
