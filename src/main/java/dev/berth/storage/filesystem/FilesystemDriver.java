package dev.berth.storage.filesystem;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.berth.storage.FileInfo;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StoragePath;
import dev.berth.storage.StorageWriter;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Keeps each object as a file under a root directory, at the storage path (so {@code /docker/registry/v2/...} is
 * {@code <root>/docker/registry/v2/...}, exactly where CNCF distribution's filesystem driver keeps it).
 *
 * <p>Every path passes {@link StoragePath#check} and must resolve inside the root. The driver never creates
 * symbolic links; one found where an object should be is not read, written through, or followed when a tree is
 * deleted. Symbolic links to <em>directories</em> are followed, so an operator may put part of the tree on another
 * disk. Writes of whole objects and moves are atomic renames; temporary files carry a {@code ~} in their name, which
 * no storage path can contain, so they never collide with objects and {@link #list} never shows them.
 */
public final class FilesystemDriver implements StorageDriver {

    private static final String TEMP_PREFIX = ".berth~";
    private static final int READ_BUFFER = 64 * 1024;
    /** Attempts for writes that race a concurrent delete of their parent directory. */
    private static final int ATTEMPTS = 3;

    private final Path root;
    private final boolean fsync;

    /** A driver rooted at {@code root}, created if absent; no fsync on commit. */
    public FilesystemDriver(Path root) throws IOException {
        this(root, false);
    }

    /**
     * A driver rooted at {@code root}, created if absent. With {@code fsync}, {@link StorageWriter#commit()} and
     * {@link #putContent} force the data to disk before returning (safer against power loss, much slower).
     */
    public FilesystemDriver(Path root, boolean fsync) throws IOException {
        Files.createDirectories(root);
        this.root = root.toRealPath();
        this.fsync = fsync;
    }

    /** The root directory (its real path). */
    public Path root() {
        return root;
    }

    @Override
    public String name() {
        return "filesystem";
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        try (FileChannel channel = openObject(path)) {
            return Channels.newInputStream(channel).readAllBytes();
        }
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        Path file = resolveObject(path);
        for (int attempt = 1; ; attempt++) {
            Files.createDirectories(file.getParent());
            Path temp = tempSibling(file);
            try {
                try (FileChannel channel = FileChannel.open(temp, CREATE_NEW, WRITE)) {
                    writeFully(channel, ByteBuffer.wrap(content));
                    if (fsync) {
                        channel.force(true);
                    }
                }
                Files.move(temp, file, ATOMIC_MOVE, REPLACE_EXISTING);
                return;
            } catch (NoSuchFileException e) {
                // the parent directory was deleted under us (a tree delete racing this write): create it again
                Files.deleteIfExists(temp);
                if (attempt == ATTEMPTS) {
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                deleteAfterFailure(temp, e);
                throw e;
            }
        }
    }

    @Override
    public InputStream reader(String path, long offset) throws IOException {
        requireNonNegative(offset);
        FileChannel channel = openObject(path);
        try {
            channel.position(offset);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new BufferedInputStream(Channels.newInputStream(channel), READ_BUFFER);
    }

    @Override
    public StorageWriter writer(String path, long offset) throws IOException {
        Path file = resolveObject(path);
        requireNonNegative(offset);
        FileChannel channel;
        if (offset == 0) {
            channel = openCreating(file);
        } else {
            channel = FileChannel.open(file, WRITE, NOFOLLOW_LINKS);
            long size;
            try {
                size = channel.size();
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            if (offset > size) {
                channel.close();
                throw new IOException("cannot continue " + path + " at offset " + offset + ": its size is " + size);
            }
        }
        try {
            channel.truncate(offset);
            channel.position(offset);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new ChannelWriter(file, channel, offset);
    }

    @Override
    public Optional<FileInfo> stat(String path) throws IOException {
        Path file = resolve(path);
        BasicFileAttributes attributes = attributes(file);
        if (attributes != null && attributes.isSymbolicLink()) {
            // only a link to a directory counts (an operator's choice); a linked object is refused
            attributes = directoryBehindLink(file);
        }
        if (attributes == null || !(attributes.isRegularFile() || attributes.isDirectory())) {
            return Optional.empty();
        }
        boolean directory = attributes.isDirectory();
        return Optional.of(new FileInfo(path, directory ? 0 : attributes.size(),
                attributes.lastModifiedTime().toInstant(), directory));
    }

    @Override
    public List<String> list(String path) throws IOException {
        Path directory = resolve(path);
        String prefix = path.equals("/") ? "/" : path + "/";
        List<String> children = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (isStorageName(name)) {
                    children.add(prefix + name);
                }
            }
        } catch (FileSystemException e) {
            // absent, not a directory, or below a file: no children (anything else is a real failure)
            if (!Files.isDirectory(directory)) {
                return List.of();
            }
            throw e;
        }
        Collections.sort(children);
        return children;
    }

    @Override
    public void move(String source, String destination) throws IOException {
        Path from = resolveObject(source);
        Path to = resolveObject(destination);
        BasicFileAttributes attributes = attributes(from);
        if (attributes == null || !attributes.isRegularFile()) {
            throw new NoSuchFileException(source);
        }
        for (int attempt = 1; ; attempt++) {
            Files.createDirectories(to.getParent());
            try {
                Files.move(from, to, ATOMIC_MOVE, REPLACE_EXISTING);
                return;
            } catch (AtomicMoveNotSupportedException e) {
                copyAcrossFileSystems(from, to);
                return;
            } catch (NoSuchFileException e) {
                if (!Files.exists(from, NOFOLLOW_LINKS)) {
                    throw new NoSuchFileException(source);
                }
                // the destination directory was deleted under us: create it again
                if (attempt == ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    @Override
    public void delete(String path) throws IOException {
        Path target = resolveObject(path);
        BasicFileAttributes attributes = attributes(target);
        if (attributes == null) {
            return;
        }
        if (!attributes.isDirectory()) {
            Files.deleteIfExists(target); // a file, or a link (never its target)
            return;
        }
        Files.walkFileTree(target, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // deleted concurrently
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @Override
    public Optional<Path> localFile(String path) throws IOException {
        Path file = resolve(path);
        BasicFileAttributes attributes = attributes(file);
        return attributes != null && attributes.isRegularFile() ? Optional.of(file) : Optional.empty();
    }

    /** Maps a checked storage path into the root, refusing (again) anything that would land outside it. */
    private Path resolve(String path) {
        StoragePath.check(path);
        Path resolved = root.resolve(path.substring(1)).normalize();
        if (!resolved.startsWith(root)) {
            throw new IllegalArgumentException("storage path leads outside the root: " + path);
        }
        return resolved;
    }

    /** As {@link #resolve}, for operations that create, replace or remove: the root itself is not an object. */
    private Path resolveObject(String path) {
        Path resolved = resolve(path);
        if (resolved.equals(root)) {
            throw new IllegalArgumentException("the storage root is a directory, not an object");
        }
        return resolved;
    }

    /** Opens an existing regular file for reading; anything else at the path is {@link NoSuchFileException}. */
    private FileChannel openObject(String path) throws IOException {
        Path file = resolve(path);
        BasicFileAttributes attributes = attributes(file);
        if (attributes == null || !attributes.isRegularFile()) {
            throw new NoSuchFileException(path);
        }
        return FileChannel.open(file, READ, NOFOLLOW_LINKS);
    }

    private static FileChannel openCreating(Path file) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Files.createDirectories(file.getParent());
            try {
                return FileChannel.open(file, CREATE, WRITE, NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /** The attributes of the entry itself (a link is not followed), or null when nothing is there. */
    private static BasicFileAttributes attributes(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        } catch (FileSystemException e) {
            // ENOTDIR: an ancestor is a file, so nothing can be here
            if (!Files.isDirectory(file.getParent())) {
                return null;
            }
            throw e;
        }
    }

    private static BasicFileAttributes directoryBehindLink(Path link) throws IOException {
        try {
            BasicFileAttributes target = Files.readAttributes(link, BasicFileAttributes.class);
            return target.isDirectory() ? target : null;
        } catch (NoSuchFileException e) {
            return null; // a dangling link
        }
    }

    /** A file moved between file systems (a directory linked to another disk): copy, rename into place, delete. */
    private static void copyAcrossFileSystems(Path from, Path to) throws IOException {
        Path temp = tempSibling(to);
        try {
            Files.copy(from, temp, NOFOLLOW_LINKS);
            Files.move(temp, to, ATOMIC_MOVE, REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            deleteAfterFailure(temp, e);
            throw e;
        }
        Files.deleteIfExists(from);
    }

    private static Path tempSibling(Path file) {
        return file.resolveSibling(TEMP_PREFIX + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    }

    private static void deleteAfterFailure(Path temp, Exception failure) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    private static boolean isStorageName(String name) {
        try {
            StoragePath.check("/" + name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            channel.write(src);
        }
    }

    private static void requireNonNegative(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
    }

    /** Writes through one file channel positioned at the writer's offset. */
    private final class ChannelWriter implements StorageWriter {

        private final Path file;
        private final FileChannel channel;
        private long size;

        ChannelWriter(Path file, FileChannel channel, long offset) {
            this.file = file;
            this.channel = channel;
            this.size = offset;
        }

        @Override
        public void write(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                size += channel.write(src);
            }
        }

        @Override
        public void write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            // one writev(2) for many network buffers; direct buffers go to the kernel without a copy
            int first = offset;
            int end = offset + length;
            while (first < end) {
                size += channel.write(srcs, first, end - first);
                while (first < end && !srcs[first].hasRemaining()) {
                    first++;
                }
            }
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void commit() throws IOException {
            try {
                if (fsync) {
                    channel.force(false);
                }
            } finally {
                channel.close();
            }
        }

        @Override
        public void cancel() throws IOException {
            try {
                channel.close();
            } finally {
                Files.deleteIfExists(file);
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
