package dev.berth.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Bytes by path, the whole of what the registry needs from a store (after CNCF distribution's driver).
 *
 * <p>Paths are absolute, {@code /}-separated, made of segments of {@code [A-Za-z0-9._:=-]} that are neither
 * {@code .} nor {@code ..} (see {@link StoragePath#check}). Every driver refuses any other path with
 * {@link IllegalArgumentException}, so nothing can be read or written outside the driver's root; the root itself
 * ({@code /}) can be listed and stat'ed but never written, moved or deleted.
 * A missing path is reported with {@link java.nio.file.NoSuchFileException} where an operation needs it
 * to exist. Every method is safe to call from many threads at once.
 */
public interface StorageDriver extends AutoCloseable {

    /** A short name for logs and metrics: "filesystem", "inmemory", "s3". */
    String name();

    /** The whole content of a small object (a manifest, a link). */
    byte[] getContent(String path) throws IOException;

    /** Writes a small object atomically: readers see the old content or the new, never a part. */
    void putContent(String path, byte[] content) throws IOException;

    /** Streams the content from {@code offset}; the caller closes the stream. */
    InputStream reader(String path, long offset) throws IOException;

    /**
     * Opens a writer that continues the object at {@code path} from {@code offset}: anything stored beyond
     * {@code offset} is discarded first; {@code offset} 0 creates the object (or empties it). An offset beyond
     * the current size is an {@link IOException}.
     */
    StorageWriter writer(String path, long offset) throws IOException;

    /** Size and modification time, or empty when nothing is there. A directory has size 0. */
    Optional<FileInfo> stat(String path) throws IOException;

    /** Full paths of the direct children of a directory, sorted; empty when the directory is absent. */
    List<String> list(String path) throws IOException;

    /** Moves an object, replacing what is at {@code destination} (atomically where the store allows). */
    void move(String source, String destination) throws IOException;

    /** Deletes an object or a whole directory tree; deleting what is not there is not an error. */
    void delete(String path) throws IOException;

    /**
     * A local file holding exactly the object's bytes, when the driver keeps objects as files, so the HTTP layer
     * can send it with zero copies. Empty for remote and in-memory stores.
     */
    default Optional<Path> localFile(String path) throws IOException {
        StoragePath.check(path);
        return Optional.empty();
    }

    /**
     * A URL a client may fetch the object from directly, valid for {@code expiry} (a pre-signed GET for object
     * stores), so the HTTP layer can answer a blob GET with a redirect instead of streaming the bytes itself
     * (distribution's {@code storage.redirect}). Empty when the driver cannot offer one. Whether the object exists
     * is not checked: the caller knows that from the metadata.
     */
    default Optional<URI> redirectUrl(String path, Duration expiry) throws IOException {
        StoragePath.check(path);
        return Optional.empty();
    }

    @Override
    default void close() throws IOException {
    }
}
