package dev.berth.registry;

import dev.berth.api.RegistryException;
import dev.berth.metadata.jdbc.JdbcMetadataStore;
import dev.berth.oci.RepositoryName;
import dev.berth.storage.Layout;
import dev.berth.storage.memory.MemoryDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UploadsPurgeTest {

    /** A clock the test moves by hand. */
    static final class MovableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @TempDir
    Path dir;
    private JdbcMetadataStore metadata;
    private MemoryDriver storage;
    private MovableClock clock;
    private Uploads uploads;
    private final RepositoryName repo = RepositoryName.of("purge/me");

    @BeforeEach
    void setUp() {
        metadata = JdbcMetadataStore.open("jdbc:sqlite:" + dir.resolve("m.db"), null, null, 2);
        storage = new MemoryDriver();
        clock = new MovableClock();
        uploads = new Uploads(storage, metadata, clock, () -> UUID.randomUUID().toString());
    }

    @AfterEach
    void tearDown() {
        metadata.close();
    }

    @Test
    void purgeIdle_removesOnlySessionsIdleLongerThanTheAge_withTheirData() throws Exception {
        var old = uploads.start(repo);
        uploads.append(repo, old.id(), new ByteArrayInputStream(new byte[100]), 100, Optional.empty());
        clock.advance(Duration.ofHours(3));
        var fresh = uploads.start(repo);
        uploads.append(repo, fresh.id(), new ByteArrayInputStream(new byte[10]), 10, Optional.empty());
        clock.advance(Duration.ofHours(1));

        int purged = uploads.purgeIdle(Duration.ofHours(2));

        assertThat(purged).isEqualTo(1);
        assertThatThrownBy(() -> uploads.status(repo, old.id())).isInstanceOf(RegistryException.class);
        assertThat(storage.stat(Layout.uploadData(repo, old.id()))).isEmpty();
        assertThat(uploads.status(repo, fresh.id()).size()).isEqualTo(10);
        assertThat(storage.stat(Layout.uploadData(repo, fresh.id()))).isPresent();
    }

    @Test
    void purgeIdle_sessionTouchedRecently_survives() throws Exception {
        var s = uploads.start(repo);
        clock.advance(Duration.ofHours(5));
        uploads.append(repo, s.id(), new ByteArrayInputStream(new byte[5]), 5, Optional.empty());

        assertThat(uploads.purgeIdle(Duration.ofHours(2))).isZero();
        assertThat(uploads.status(repo, s.id()).size()).isEqualTo(5);
    }
}
