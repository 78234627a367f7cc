package dev.berth.storage.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.storage.FileInfo;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageDriverContract;
import dev.berth.storage.StorageWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class MemoryDriverTest extends StorageDriverContract {

    @Override
    protected StorageDriver newDriver() {
        return new MemoryDriver();
    }

    @Test
    void name_isInmemory() {
        assertThat(driver.name()).isEqualTo("inmemory");
    }

    @Test
    void localFile_isAlwaysEmpty() throws IOException {
        put("/blobs/data", "x");

        assertThat(driver.localFile("/blobs/data")).isEmpty();
    }

    @Test
    void stat_modified_comesFromInjectedClock() throws IOException {
        Instant fixed = Instant.parse("2025-01-01T00:00:00Z");
        MemoryDriver store = new MemoryDriver(Clock.fixed(fixed, ZoneOffset.UTC));

        store.putContent("/dir/object", bytes("x"));

        assertThat(store.stat("/dir/object").map(FileInfo::modified)).hasValue(fixed);
        assertThat(store.stat("/").map(FileInfo::modified)).hasValue(fixed);
    }

    @Test
    void stat_directory_isModifiedWhenItsNewestObjectWas() throws IOException {
        MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
        MemoryDriver store = new MemoryDriver(clock);
        store.putContent("/dir/a", bytes("a"));
        clock.now = Instant.parse("2025-01-02T00:00:00Z");
        store.putContent("/dir/sub/b", bytes("b"));

        assertThat(store.stat("/dir").map(FileInfo::modified)).hasValue(clock.now);
    }

    @Test
    void getContent_returnsACopy() throws IOException {
        put("/x", "abc");

        driver.getContent("/x")[0] = 'X';

        assertThat(content("/x")).isEqualTo("abc");
    }

    @Test
    void reader_keepsBytesItWasOpenedOn_whenAWriterTruncates() throws IOException {
        put("/x", "0123456789");
        try (InputStream in = driver.reader("/x", 0)) {
            try (StorageWriter writer = driver.writer("/x", 2)) {
                writer.write(ByteBuffer.wrap(bytes("abcdefgh")));
            }

            assertThat(new String(in.readAllBytes())).isEqualTo("0123456789");
        }
        assertThat(content("/x")).isEqualTo("01abcdefgh");
    }

    @Test
    void writer_dataIsVisibleBeforeClose() throws IOException {
        try (StorageWriter writer = driver.writer("/w", 0)) {
            writer.write(ByteBuffer.wrap(bytes("partial")));

            assertThat(content("/w")).isEqualTo("partial");
        }
    }

    @Test
    void putContent_belowAnObject_throws() throws IOException {
        put("/object", "x");

        assertThatThrownBy(() -> put("/object/child", "y")).isInstanceOf(IOException.class);
        assertThat(driver.list("/object")).isEmpty();
    }

    @Test
    void putContent_onDirectory_throws() throws IOException {
        put("/dir/child", "x");

        assertThatThrownBy(() -> put("/dir", "y")).isInstanceOf(IOException.class);
        assertThat(driver.stat("/dir").orElseThrow().directory()).isTrue();
    }

    @Test
    void move_ontoDirectory_throws() throws IOException {
        put("/dir/child", "x");
        put("/object", "y");

        assertThatThrownBy(() -> driver.move("/object", "/dir")).isInstanceOf(IOException.class);
        assertThat(content("/object")).isEqualTo("y");
    }

    /** A clock tests move by hand. */
    private static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
