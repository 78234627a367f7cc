package dev.berth.storage.filesystem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageDriverContract;
import dev.berth.storage.StorageWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemDriverTest extends StorageDriverContract {

    @TempDir
    Path temp;

    private Path root;

    @Override
    protected StorageDriver newDriver() throws IOException {
        root = temp.resolve("root");
        return new FilesystemDriver(root);
    }

    @Test
    void name_isFilesystem() {
        assertThat(driver.name()).isEqualTo("filesystem");
    }

    @Test
    void constructor_missingRoot_createsIt() throws IOException {
        Path nested = temp.resolve("a/b/root");

        new FilesystemDriver(nested).close();

        assertThat(nested).isDirectory();
    }

    @Test
    void constructor_rootIsAFile_throws() throws IOException {
        Path file = Files.writeString(temp.resolve("file"), "x");

        assertThatThrownBy(() -> new FilesystemDriver(file)).isInstanceOf(IOException.class);
    }

    @Test
    void putContent_storesFileAtDistributionPath() throws IOException {
        put("/docker/registry/v2/blobs/sha256/ab/abcd/data", "blob");

        assertThat(root.resolve("docker/registry/v2/blobs/sha256/ab/abcd/data")).hasContent("blob");
    }

    @Test
    void getContent_fileWrittenByDistribution_isRead() throws IOException {
        Path file = root.resolve("docker/registry/v2/repositories/library/ubuntu/_layers/sha256/ab/link");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "sha256:ab");

        assertThat(content("/docker/registry/v2/repositories/library/ubuntu/_layers/sha256/ab/link"))
                .isEqualTo("sha256:ab");
    }

    @Test
    void putContent_leavesNoTemporaryFiles() throws IOException {
        put("/p/data", "first");
        put("/p/data", "second");

        try (Stream<Path> files = Files.list(root.resolve("p"))) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("data");
        }
    }

    @Test
    void list_skipsNamesThatAreNotStoragePaths() throws IOException {
        put("/l/object", "x");
        Files.createDirectory(root.resolve("l/lost+found"));
        Files.writeString(root.resolve("l/.berth~123"), "an interrupted write");
        Files.writeString(root.resolve("l/with space"), "x");

        assertThat(driver.list("/l")).containsExactly("/l/object");
    }

    @Test
    void localFile_object_returnsFileWithItsBytes() throws IOException {
        put("/blobs/data", "blob bytes");

        Path file = driver.localFile("/blobs/data").orElseThrow();

        assertThat(file).hasContent("blob bytes");
        assertThat(file.toRealPath()).startsWith(root.toRealPath());
    }

    @Test
    void localFile_missingOrDirectory_isEmpty() throws IOException {
        put("/blobs/data", "x");

        assertThat(driver.localFile("/blobs/missing")).isEmpty();
        assertThat(driver.localFile("/blobs")).isEmpty();
        assertThat(driver.localFile("/")).isEmpty();
    }

    @Test
    void invalidPaths_createNothingOutsideTheRoot() throws IOException {
        put("/valid/object", "x");
        Map<String, Long> before = snapshot(temp);

        callWithEveryInvalidPath(driver);

        assertThat(snapshot(temp)).isEqualTo(before);
    }

    @Test
    void writer_withFsync_keepsData() throws IOException {
        try (FilesystemDriver durable = new FilesystemDriver(root, true);
             StorageWriter writer = durable.writer("/w", 0)) {
            writer.write(ByteBuffer.wrap(bytes("durable")));
            writer.commit();
        }

        assertThat(content("/w")).isEqualTo("durable");
    }

    @Test
    void putContent_belowAnObject_throws() throws IOException {
        put("/object", "x");

        assertThatThrownBy(() -> put("/object/child", "y")).isInstanceOf(IOException.class);
        assertThat(content("/object")).isEqualTo("x");
    }

    @Test
    void putContent_onDirectory_throws() throws IOException {
        put("/dir/child", "x");

        assertThatThrownBy(() -> put("/dir", "y")).isInstanceOf(IOException.class);
        assertThat(content("/dir/child")).isEqualTo("x");
    }

    @Test
    void move_ontoDirectory_throws() throws IOException {
        put("/dir/child", "x");
        put("/object", "y");

        assertThatThrownBy(() -> driver.move("/object", "/dir")).isInstanceOf(IOException.class);
        assertThat(content("/object")).isEqualTo("y");
    }

    // --- symbolic links: the driver never creates them, and never reads or writes through one to an object ------

    @Test
    void getContent_symlinkToOutsideFile_isRefused() throws IOException {
        Path secret = Files.writeString(temp.resolve("secret"), "secret");
        Files.createSymbolicLink(root.resolve("link"), secret);

        assertThatThrownBy(() -> driver.getContent("/link")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> driver.reader("/link", 0)).isInstanceOf(NoSuchFileException.class);
        assertThat(driver.stat("/link")).isEmpty();
        assertThat(driver.localFile("/link")).isEmpty();
    }

    @Test
    void writer_onSymlink_doesNotWriteThroughIt() throws IOException {
        Path secret = Files.writeString(temp.resolve("secret"), "secret");
        Files.createSymbolicLink(root.resolve("link"), secret);

        assertThatThrownBy(() -> driver.writer("/link", 0)).isInstanceOf(IOException.class);
        assertThat(secret).hasContent("secret");
    }

    @Test
    void writer_onDanglingSymlink_createsNothingOutside() throws IOException {
        Path target = temp.resolve("created-outside");
        Files.createSymbolicLink(root.resolve("link"), target);

        assertThatThrownBy(() -> driver.writer("/link", 0)).isInstanceOf(IOException.class);
        assertThat(target).doesNotExist();
    }

    @Test
    void putContent_onSymlink_replacesLinkNotTarget() throws IOException {
        Path secret = Files.writeString(temp.resolve("secret"), "secret");
        Files.createSymbolicLink(root.resolve("link"), secret);

        put("/link", "new");

        assertThat(secret).hasContent("secret");
        assertThat(root.resolve("link")).isRegularFile().hasContent("new");
    }

    @Test
    void move_symlinkSource_isRefused() throws IOException {
        Path secret = Files.writeString(temp.resolve("secret"), "secret");
        Files.createSymbolicLink(root.resolve("link"), secret);

        assertThatThrownBy(() -> driver.move("/link", "/moved")).isInstanceOf(NoSuchFileException.class);
        assertThat(driver.stat("/moved")).isEmpty();
    }

    @Test
    void delete_treeWithSymlinkToOutsideDirectory_keepsOutsideFiles() throws IOException {
        Path outside = Files.createDirectory(temp.resolve("outside"));
        Files.writeString(outside.resolve("precious"), "keep me");
        put("/tree/object", "x");
        Files.createSymbolicLink(root.resolve("tree/link"), outside);

        driver.delete("/tree");

        assertThat(root.resolve("tree")).doesNotExist();
        assertThat(outside.resolve("precious")).hasContent("keep me");
    }

    @Test
    void delete_symlinkToOutsideDirectory_removesOnlyTheLink() throws IOException {
        Path outside = Files.createDirectory(temp.resolve("outside"));
        Files.writeString(outside.resolve("precious"), "keep me");
        Files.createSymbolicLink(root.resolve("link"), outside);

        driver.delete("/link");

        assertThat(root.resolve("link")).doesNotExist();
        assertThat(outside.resolve("precious")).hasContent("keep me");
    }

    @Test
    void symlinkedDirectory_isFollowed() throws IOException {
        Path disk = Files.createDirectory(temp.resolve("other-disk"));
        Files.createSymbolicLink(root.resolve("docker"), disk);

        put("/docker/registry/data", "on the other disk");

        assertThat(disk.resolve("registry/data")).hasContent("on the other disk");
        assertThat(driver.stat("/docker")).hasValueSatisfying(info -> assertThat(info.directory()).isTrue());
        assertThat(driver.list("/docker")).containsExactly("/docker/registry");
    }

    @Test
    void move_acrossFileSystems_copiesThenRemovesSource() throws IOException {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "/dev/shm is available");
        assumeTrue(!Files.getFileStore(shm).equals(Files.getFileStore(temp)), "/dev/shm is another file system");
        Path other = Files.createTempDirectory(shm, "berth-storage-test");
        try {
            Files.createSymbolicLink(root.resolve("uploads"), other);
            put("/uploads/u/data", "moved across disks");

            driver.move("/uploads/u/data", "/blobs/ab/data");

            assertThat(content("/blobs/ab/data")).isEqualTo("moved across disks");
            assertThat(driver.stat("/uploads/u/data")).isEmpty();
            assertThat(driver.list("/blobs/ab")).containsExactly("/blobs/ab/data");
        } finally {
            driver.delete("/uploads/u");
            Files.deleteIfExists(other);
        }
    }

    /** Every path below {@code dir} with its size (-1 for directories). */
    private static Map<String, Long> snapshot(Path dir) throws IOException {
        Map<String, Long> entries = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                entries.put(dir.relativize(p).toString(), Files.isDirectory(p) ? -1L : Files.size(p));
            }
        }
        return entries;
    }
}
