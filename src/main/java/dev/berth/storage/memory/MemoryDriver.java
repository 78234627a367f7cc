package dev.berth.storage.memory;

import dev.berth.storage.FileInfo;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StoragePath;
import dev.berth.storage.StorageWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Keeps objects in memory, for tests. Objects are a sorted map from path to bytes; a directory exists while some
 * object lies below it. It behaves as {@link dev.berth.storage.filesystem.FilesystemDriver} does, including refusing
 * an object below another object or in place of a directory.
 *
 * <p>Stored bytes are never modified in place, so a reader keeps seeing the bytes it was opened on. A writer appends
 * to its own buffer and publishes after every write: what it wrote is visible at once, as with a file.
 */
public final class MemoryDriver implements StorageDriver {

    /** Arrays cannot grow past this. */
    private static final int MAX_SIZE = Integer.MAX_VALUE - 8;

    /**
     * The first {@code length} bytes of {@code data} are the object's content and never change; a writer may keep
     * appending beyond {@code length} in the same array.
     */
    private record Entry(byte[] data, int length, Instant modified) {
    }

    private final ConcurrentSkipListMap<String, Entry> objects = new ConcurrentSkipListMap<>();
    private final Clock clock;
    private final Instant created;

    /** An empty store whose modification times come from the system clock. */
    public MemoryDriver() {
        this(Clock.systemUTC());
    }

    /** An empty store whose modification times come from {@code clock}. */
    public MemoryDriver(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.created = clock.instant();
    }

    @Override
    public String name() {
        return "inmemory";
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        Entry entry = existing(path);
        return Arrays.copyOf(entry.data, entry.length);
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        checkObject(path);
        requireRoomFor(path);
        objects.put(path, new Entry(content.clone(), content.length, clock.instant()));
    }

    @Override
    public InputStream reader(String path, long offset) throws IOException {
        StoragePath.check(path);
        requireNonNegative(offset);
        Entry entry = existing(path);
        int from = (int) Math.min(offset, entry.length);
        return new ByteArrayInputStream(entry.data, from, entry.length - from);
    }

    @Override
    public StorageWriter writer(String path, long offset) throws IOException {
        checkObject(path);
        requireNonNegative(offset);
        byte[] buffer;
        if (offset == 0) {
            requireRoomFor(path);
            buffer = new byte[0];
        } else {
            Entry entry = existing(path);
            if (offset > entry.length) {
                throw new IOException("cannot continue " + path + " at offset " + offset + ": its size is "
                        + entry.length);
            }
            // a copy: readers of the old entry may still read beyond offset
            buffer = Arrays.copyOf(entry.data, (int) offset);
        }
        MemoryWriter writer = new MemoryWriter(path, buffer, (int) offset);
        writer.publish();
        return writer;
    }

    @Override
    public Optional<FileInfo> stat(String path) throws IOException {
        StoragePath.check(path);
        Entry entry = objects.get(path);
        if (entry != null) {
            return Optional.of(new FileInfo(path, entry.length, entry.modified, false));
        }
        // a directory: modified when the newest object below it was
        Instant newest = null;
        for (Entry below : below(path).values()) {
            if (newest == null || below.modified.isAfter(newest)) {
                newest = below.modified;
            }
        }
        if (newest == null && !path.equals("/")) {
            return Optional.empty();
        }
        return Optional.of(new FileInfo(path, 0, newest == null ? created : newest, true));
    }

    @Override
    public List<String> list(String path) throws IOException {
        StoragePath.check(path);
        String prefix = directoryPrefix(path);
        // keys sort "/a/b-c" < "/a/b/x", so children do not come in the order of their full paths: collect sorted
        SortedSet<String> children = new TreeSet<>();
        String key = objects.ceilingKey(prefix);
        while (key != null && key.startsWith(prefix)) {
            int slash = key.indexOf('/', prefix.length());
            String child = slash < 0 ? key : key.substring(0, slash);
            children.add(child);
            // skip the rest of a child directory: '0' is the character after '/'
            key = slash < 0 ? objects.higherKey(key) : objects.ceilingKey(child + "0");
        }
        return List.copyOf(children);
    }

    @Override
    public void move(String source, String destination) throws IOException {
        checkObject(source);
        checkObject(destination);
        Entry entry = existing(source);
        if (source.equals(destination)) {
            return;
        }
        requireRoomFor(destination);
        objects.put(destination, entry);
        objects.remove(source, entry);
    }

    @Override
    public void delete(String path) throws IOException {
        checkObject(path);
        objects.remove(path);
        below(path).clear();
    }

    @Override
    public Optional<Path> localFile(String path) {
        StoragePath.check(path);
        return Optional.empty();
    }

    private Entry existing(String path) throws NoSuchFileException {
        StoragePath.check(path);
        Entry entry = objects.get(path);
        if (entry == null) {
            throw new NoSuchFileException(path);
        }
        return entry;
    }

    /** Everything below the directory {@code path}. */
    private Map<String, Entry> below(String path) {
        String prefix = directoryPrefix(path);
        // '0' is the character after '/': the range is exactly the keys that start with the prefix
        return objects.subMap(prefix, prefix.substring(0, prefix.length() - 1) + "0");
    }

    /** Refuses an object below another object, or where a directory is (as a file system would). */
    private void requireRoomFor(String path) throws FileSystemException {
        for (int slash = path.indexOf('/', 1); slash > 0; slash = path.indexOf('/', slash + 1)) {
            String ancestor = path.substring(0, slash);
            if (objects.containsKey(ancestor)) {
                throw new FileSystemException(path, ancestor, "Not a directory");
            }
        }
        if (!below(path).isEmpty()) {
            throw new FileSystemException(path, null, "Is a directory");
        }
    }

    private static String directoryPrefix(String path) {
        return path.equals("/") ? "/" : path + "/";
    }

    private static void checkObject(String path) {
        StoragePath.check(path);
        if (path.equals("/")) {
            throw new IllegalArgumentException("the storage root is a directory, not an object");
        }
    }

    private static void requireNonNegative(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
    }

    /** Appends to a private, growing array and publishes its filled prefix after every write. */
    private final class MemoryWriter implements StorageWriter {

        private final String path;
        private byte[] buffer;
        private int size;
        private boolean closed;

        MemoryWriter(String path, byte[] buffer, int size) {
            this.path = path;
            this.buffer = buffer;
            this.size = size;
        }

        @Override
        public void write(ByteBuffer src) throws IOException {
            if (closed) {
                throw new IOException("writer for " + path + " is closed");
            }
            int n = src.remaining();
            if (n > MAX_SIZE - size) {
                throw new IOException("object too large for the in-memory driver: " + path);
            }
            if (size + n > buffer.length) {
                long grown = Math.max(size + n, Math.min(MAX_SIZE, Math.max(4096L, 2L * buffer.length)));
                buffer = Arrays.copyOf(buffer, (int) grown);
            }
            src.get(buffer, size, n);
            size += n;
            publish();
        }

        /** Bytes below {@code size} are never written again, so sharing the array is safe. */
        void publish() {
            objects.put(path, new Entry(buffer, size, clock.instant()));
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void commit() {
            closed = true;
        }

        @Override
        public void cancel() {
            closed = true;
            objects.remove(path);
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
