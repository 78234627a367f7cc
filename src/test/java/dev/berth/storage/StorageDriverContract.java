package dev.berth.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link StorageDriver} shares. A driver's test extends this class and says how to make a fresh,
 * empty driver; nothing here assumes files, so a remote store runs the same tests.
 */
public abstract class StorageDriverContract {

    /**
     * Paths every method must refuse with {@link IllegalArgumentException}: relative, traversal, empty segments,
     * separators and escapes of other systems, control characters, spaces, non-ASCII look-alikes.
     */
    public static final List<String> INVALID_PATHS = Arrays.asList(
            null, "", "a", "a/b", "./a", "../a", "data",
            "/.", "/..", "/../etc/passwd", "/a/../../b", "/a/./b", "/a/.", "/a/..", "/./a",
            "//", "//a", "/a//b", "/a/", "/a/b/",
            "/a\\b", "/..\\..\\etc", "\\a", "C:\\Windows",
            "/%2e%2e/etc", "/a/%2e", "/a%2fb", "/a%00",
            "/a\0b", "/a\0", "/a b", " /a", "/a ", "/a\tb", "/a\nb", "/a\rb",
            "/a?b", "/a#b", "/a*", "/~", "/a;b", "/a+b", "/a@b",
            "/\u00e9", "/a/\u2024\u2024", "/\uff0e\uff0e/x", "/a\u2215b",
            "file:///etc/passwd");

    private static final int MIB = 1024 * 1024;

    protected StorageDriver driver;

    /** A new driver over empty storage, used for one test. */
    protected abstract StorageDriver newDriver() throws Exception;

    @BeforeEach
    void openDriver() throws Exception {
        driver = newDriver();
    }

    @AfterEach
    void closeDriver() throws Exception {
        driver.close();
    }

    // --- getContent / putContent -------------------------------------------------------------------------------

    @Test
    void putContent_thenGetContent_returnsSameBytes() throws IOException {
        byte[] content = new byte[256];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) i;
        }

        driver.putContent("/a/b/c", content);

        assertThat(driver.getContent("/a/b/c")).isEqualTo(content);
    }

    @Test
    void putContent_emptyContent_storesEmptyObject() throws IOException {
        driver.putContent("/empty", new byte[0]);

        assertThat(driver.getContent("/empty")).isEmpty();
        assertThat(driver.stat("/empty")).hasValueSatisfying(info -> {
            assertThat(info.size()).isZero();
            assertThat(info.directory()).isFalse();
        });
    }

    @Test
    void putContent_existingObject_replacesContent() throws IOException {
        put("/x", "a longer first version");

        put("/x", "second");

        assertThat(content("/x")).isEqualTo("second");
        assertThat(driver.stat("/x").orElseThrow().size()).isEqualTo(6);
    }

    @Test
    void putContent_createsParentDirectories() throws IOException {
        put("/p/q/r/object", "x");

        assertThat(driver.stat("/p/q/r")).hasValueSatisfying(info -> assertThat(info.directory()).isTrue());
        assertThat(driver.list("/p")).containsExactly("/p/q");
    }

    @Test
    void putContent_allAllowedCharacters_roundTrip() throws IOException {
        String path = "/AZaz09._:=-/.../..a/a../.hidden/sha256:abc=1";

        put(path, "ok");

        assertThat(content(path)).isEqualTo("ok");
        assertThat(driver.list("/AZaz09._:=-")).containsExactly("/AZaz09._:=-/...");
    }

    @Test
    void putContent_afterCallerChangesArray_keepsOriginalBytes() throws IOException {
        byte[] content = "original".getBytes(UTF_8);

        driver.putContent("/x", content);
        content[0] = 'X';

        assertThat(content("/x")).isEqualTo("original");
    }

    @Test
    @Timeout(60)
    void putContent_concurrentReplace_readersNeverSeePartialContent() throws Exception {
        int size = 64 * 1024;
        byte[] as = filled(size, 'a');
        byte[] bs = filled(size, 'b');
        driver.putContent("/atomic", as);
        AtomicBoolean done = new AtomicBoolean();
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<?> writer = pool.submit(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        driver.putContent("/atomic", i % 2 == 0 ? bs : as);
                    }
                } finally {
                    done.set(true);
                }
                return null;
            });
            Future<Integer> reader = pool.submit(() -> {
                int reads = 0;
                while (!done.get() || reads == 0) {
                    byte[] seen = driver.getContent("/atomic");
                    assertThat(seen.length).as("size of a read").isEqualTo(size);
                    assertThat(Arrays.equals(seen, as) || Arrays.equals(seen, bs)).as("read one whole version").isTrue();
                    reads++;
                }
                return reads;
            });
            writer.get();
            assertThat(reader.get()).isPositive();
        }
    }

    @Test
    void getContent_missing_throwsNoSuchFile() {
        assertThatThrownBy(() -> driver.getContent("/missing")).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void getContent_directory_throwsNoSuchFile() throws IOException {
        put("/dir/object", "x");

        assertThatThrownBy(() -> driver.getContent("/dir")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> driver.getContent("/")).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void getContent_belowAnObject_throwsNoSuchFile() throws IOException {
        put("/object", "x");

        assertThatThrownBy(() -> driver.getContent("/object/child")).isInstanceOf(NoSuchFileException.class);
    }

    // --- reader ------------------------------------------------------------------------------------------------

    @Test
    void reader_fromZero_returnsWholeContent() throws IOException {
        put("/r", "0123456789");

        assertThat(read("/r", 0)).isEqualTo("0123456789");
    }

    @Test
    void reader_fromOffset_skipsBytes() throws IOException {
        put("/r", "0123456789");

        assertThat(read("/r", 4)).isEqualTo("456789");
    }

    @Test
    void reader_offsetAtSize_returnsEmptyStream() throws IOException {
        put("/r", "0123456789");

        assertThat(read("/r", 10)).isEmpty();
    }

    @Test
    void reader_offsetBeyondSize_returnsEmptyStream() throws IOException {
        put("/r", "0123456789");

        assertThat(read("/r", 1000)).isEmpty();
    }

    @Test
    void reader_missing_throwsNoSuchFile() {
        assertThatThrownBy(() -> driver.reader("/missing", 0)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void reader_directory_throwsNoSuchFile() throws IOException {
        put("/dir/object", "x");

        assertThatThrownBy(() -> driver.reader("/dir", 0)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void reader_negativeOffset_throwsIllegalArgument() throws IOException {
        put("/r", "x");

        assertThatThrownBy(() -> driver.reader("/r", -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reader_openBeforeReplace_readsOneWholeVersion() throws IOException {
        put("/r", "first version");

        try (InputStream in = driver.reader("/r", 0)) {
            put("/r", "second version");

            assertThat(new String(in.readAllBytes(), UTF_8)).isIn("first version", "second version");
        }
        assertThat(content("/r")).isEqualTo("second version");
    }

    // --- writer ------------------------------------------------------------------------------------------------

    @Test
    void writer_newObject_commitStoresAllBytes() throws IOException {
        try (StorageWriter writer = driver.writer("/w/data", 0)) {
            writer.write(buffer("hello "));
            writer.write(buffer("world"));
            writer.commit();
        }

        assertThat(content("/w/data")).isEqualTo("hello world");
        assertThat(driver.stat("/w/data").orElseThrow().size()).isEqualTo(11);
    }

    @Test
    void writer_createsParentDirectories() throws IOException {
        try (StorageWriter writer = driver.writer("/deep/er/data", 0)) {
            writer.write(buffer("x"));
            writer.commit();
        }

        assertThat(driver.stat("/deep/er")).hasValueSatisfying(info -> assertThat(info.directory()).isTrue());
    }

    @Test
    void writer_write_consumesWholeBuffer() throws IOException {
        ByteBuffer src = ByteBuffer.wrap(new byte[3 * MIB + 17]);
        try (StorageWriter writer = driver.writer("/w", 0)) {
            writer.write(src);

            assertThat(src.hasRemaining()).isFalse();
            assertThat(writer.size()).isEqualTo(3 * MIB + 17);
            writer.commit();
        }
    }

    @Test
    void writer_gatheringWrite_writesTheGivenRangeOfBuffersInOrder() throws IOException {
        ByteBuffer big = ByteBuffer.allocateDirect(2 * MIB + 3);
        for (int i = 0; i < big.capacity(); i++) {
            big.put((byte) ('a' + i % 26));
        }
        big.flip();
        ByteBuffer[] srcs = {buffer("not this "), buffer("one "), ByteBuffer.allocateDirect(0), big.duplicate(),
                buffer(" two"), buffer(" nor this")};

        try (StorageWriter writer = driver.writer("/w", 0)) {
            writer.write(buffer("<"));
            writer.write(srcs, 1, 4);

            assertThat(writer.size()).isEqualTo(1 + 4 + big.remaining() + 4);
            assertThat(srcs[0].position()).isZero();
            assertThat(srcs[3].hasRemaining()).isFalse();
            assertThat(srcs[5].position()).isZero();
            writer.commit();
        }

        byte[] expected = new byte[1 + 4 + big.remaining() + 4];
        ByteBuffer e = ByteBuffer.wrap(expected).put(bytes("<one ")).put(big.duplicate()).put(bytes(" two"));
        assertThat(e.hasRemaining()).isFalse();
        try (var in = driver.reader("/w", 0)) {
            assertThat(in.readAllBytes()).isEqualTo(expected);
        }
    }

    @Test
    void writer_heapAndDirectBuffers_bothWritten() throws IOException {
        ByteBuffer direct = ByteBuffer.allocateDirect(6);
        direct.put(bytes("direct")).flip();
        ByteBuffer slice = ByteBuffer.wrap(bytes("[heap-slice]"), 1, 10).slice();

        try (StorageWriter writer = driver.writer("/w", 0)) {
            writer.write(buffer("heap "));
            writer.write(direct);
            writer.write(buffer(" "));
            writer.write(slice);
            writer.commit();
        }

        assertThat(content("/w")).isEqualTo("heap direct heap-slice");
    }

    @Test
    void writer_size_countsOffsetAndWrittenBytes() throws IOException {
        put("/w", "0123456789");

        try (StorageWriter writer = driver.writer("/w", 4)) {
            assertThat(writer.size()).isEqualTo(4);
            writer.write(buffer("abc"));
            assertThat(writer.size()).isEqualTo(7);
            writer.commit();
            assertThat(writer.size()).isEqualTo(7);
        }
    }

    @Test
    void writer_atOffset_truncatesBeyondOffset() throws IOException {
        put("/w", "0123456789");

        try (StorageWriter writer = driver.writer("/w", 4)) {
            writer.write(buffer("ab"));
            writer.commit();
        }

        assertThat(content("/w")).isEqualTo("0123ab");
    }

    @Test
    void writer_atOffsetWithoutWriting_truncatesToOffset() throws IOException {
        put("/w", "0123456789");

        driver.writer("/w", 3).close();

        assertThat(content("/w")).isEqualTo("012");
    }

    @Test
    void writer_atSize_appends() throws IOException {
        put("/w", "0123");

        try (StorageWriter writer = driver.writer("/w", 4)) {
            writer.write(buffer("4567"));
            writer.commit();
        }

        assertThat(content("/w")).isEqualTo("01234567");
    }

    @Test
    void writer_atZero_emptiesExistingObject() throws IOException {
        put("/w", "0123456789");

        try (StorageWriter writer = driver.writer("/w", 0)) {
            writer.write(buffer("new"));
            writer.commit();
        }

        assertThat(content("/w")).isEqualTo("new");
    }

    @Test
    void writer_offsetBeyondSize_throws() throws IOException {
        put("/w", "0123");

        assertThatThrownBy(() -> driver.writer("/w", 5)).isInstanceOf(IOException.class);
        assertThat(content("/w")).isEqualTo("0123");
    }

    @Test
    void writer_nonZeroOffsetOnMissingObject_throwsAndCreatesNothing() throws IOException {
        assertThatThrownBy(() -> driver.writer("/nothing/data", 1)).isInstanceOf(IOException.class);

        assertThat(driver.stat("/nothing/data")).isEmpty();
        assertThat(driver.list("/")).isEmpty();
    }

    @Test
    void writer_negativeOffset_throwsIllegalArgument() {
        assertThatThrownBy(() -> driver.writer("/w", -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writer_close_keepsDataAndLaterWriterContinues() throws IOException {
        try (StorageWriter first = driver.writer("/upload/data", 0)) {
            first.write(buffer("chunk1-"));
        }
        assertThat(driver.stat("/upload/data").orElseThrow().size()).isEqualTo(7);

        try (StorageWriter second = driver.writer("/upload/data", 7)) {
            second.write(buffer("chunk2"));
        }

        assertThat(content("/upload/data")).isEqualTo("chunk1-chunk2");
    }

    @Test
    void writer_closeAfterCommit_isHarmless() throws IOException {
        StorageWriter writer = driver.writer("/w", 0);
        writer.write(buffer("x"));
        writer.commit();

        writer.close();
        writer.close();

        assertThat(content("/w")).isEqualTo("x");
    }

    @Test
    void writer_cancel_removesObject() throws IOException {
        put("/w", "old");
        StorageWriter writer = driver.writer("/w", 3);
        writer.write(buffer("new"));

        writer.cancel();

        assertThat(driver.stat("/w")).isEmpty();
        assertThatThrownBy(() -> driver.getContent("/w")).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void writer_writeAfterClose_throws() throws IOException {
        StorageWriter writer = driver.writer("/w", 0);
        writer.write(buffer("x"));
        writer.close();

        assertThatThrownBy(() -> writer.write(buffer("y"))).isInstanceOf(IOException.class);
        assertThat(content("/w")).isEqualTo("x");
    }

    @Test
    @Timeout(120)
    void writer_64MiBInOneMiBPieces_readsBackEqual() throws IOException {
        int pieces = 64;
        byte[] piece = new byte[MIB];
        ByteBuffer direct = ByteBuffer.allocateDirect(MIB);
        try (StorageWriter writer = driver.writer("/big/data", 0)) {
            for (int i = 0; i < pieces; i++) {
                fillPiece(piece, i);
                if (i % 2 == 0) {
                    writer.write(ByteBuffer.wrap(piece));
                } else {
                    direct.clear();
                    direct.put(piece).flip();
                    writer.write(direct);
                }
            }
            writer.commit();
        }

        assertThat(driver.stat("/big/data").orElseThrow().size()).isEqualTo((long) pieces * MIB);
        byte[] expected = new byte[MIB];
        try (InputStream in = driver.reader("/big/data", 0)) {
            for (int i = 0; i < pieces; i++) {
                fillPiece(expected, i);
                byte[] actual = in.readNBytes(MIB);
                assertThat(actual).as("length of piece %d", i).hasSize(MIB);
                assertThat(Arrays.mismatch(actual, expected)).as("first differing byte in piece %d", i).isEqualTo(-1);
            }
            assertThat(in.read()).as("end of stream").isEqualTo(-1);
        }
    }

    // --- stat --------------------------------------------------------------------------------------------------

    @Test
    void stat_object_reportsPathSizeAndRecentModification() throws IOException {
        Instant before = Instant.now().minusSeconds(5);
        put("/s/object", "12345");

        FileInfo info = driver.stat("/s/object").orElseThrow();

        assertThat(info.path()).isEqualTo("/s/object");
        assertThat(info.size()).isEqualTo(5);
        assertThat(info.directory()).isFalse();
        assertThat(info.modified()).isBetween(before, Instant.now().plusSeconds(5));
    }

    @Test
    void stat_directory_reportsDirectoryWithSizeZero() throws IOException {
        put("/s/dir/object", "12345");

        FileInfo info = driver.stat("/s/dir").orElseThrow();

        assertThat(info.path()).isEqualTo("/s/dir");
        assertThat(info.directory()).isTrue();
        assertThat(info.size()).isZero();
        assertThat(info.modified()).isNotNull();
    }

    @Test
    void stat_root_isDirectory() throws IOException {
        assertThat(driver.stat("/")).hasValueSatisfying(info -> assertThat(info.directory()).isTrue());
    }

    @Test
    void stat_missing_isEmpty() throws IOException {
        put("/s/object", "x");

        assertThat(driver.stat("/missing")).isEmpty();
        assertThat(driver.stat("/s/missing")).isEmpty();
        assertThat(driver.stat("/s/obj")).isEmpty();
    }

    @Test
    void stat_belowAnObject_isEmpty() throws IOException {
        put("/s/object", "x");

        assertThat(driver.stat("/s/object/child")).isEmpty();
    }

    // --- list --------------------------------------------------------------------------------------------------

    @Test
    void list_returnsSortedChildren() throws IOException {
        for (String name : List.of("b", "a", "b.x", "B", "b-x", "a0", "_z")) {
            put("/l/" + name + "/data", name);
        }
        put("/l/b/more/data", "nested");
        put("/l/c", "object");

        assertThat(driver.list("/l")).containsExactly(
                "/l/B", "/l/_z", "/l/a", "/l/a0", "/l/b", "/l/b-x", "/l/b.x", "/l/c");
    }

    @Test
    void list_returnsDirectChildrenOnly() throws IOException {
        put("/l/x/y/z/data", "deep");
        put("/l/x/object", "shallow");

        assertThat(driver.list("/l/x")).containsExactly("/l/x/object", "/l/x/y");
    }

    @Test
    void list_root_returnsTopLevelChildren() throws IOException {
        put("/one/data", "1");
        put("/two", "2");

        assertThat(driver.list("/")).containsExactly("/one", "/two");
    }

    @Test
    void list_emptyStore_returnsEmpty() throws IOException {
        assertThat(driver.list("/")).isEmpty();
    }

    @Test
    void list_missingDirectory_returnsEmpty() throws IOException {
        put("/l/object", "x");

        assertThat(driver.list("/missing")).isEmpty();
        assertThat(driver.list("/l/missing/deeper")).isEmpty();
    }

    @Test
    void list_onObject_returnsEmpty() throws IOException {
        put("/l/object", "x");

        assertThat(driver.list("/l/object")).isEmpty();
    }

    @Test
    void list_doesNotMixInSiblingsWithCommonPrefix() throws IOException {
        put("/l/ab/one", "1");
        put("/l/abc/two", "2");
        put("/l/ab-x", "3");

        assertThat(driver.list("/l/ab")).containsExactly("/l/ab/one");
    }

    // --- move --------------------------------------------------------------------------------------------------

    @Test
    void move_toNewPath_movesContentAndRemovesSource() throws IOException {
        put("/uploads/u1/data", "blob");

        driver.move("/uploads/u1/data", "/blobs/ab/abcd/data");

        assertThat(content("/blobs/ab/abcd/data")).isEqualTo("blob");
        assertThat(driver.stat("/uploads/u1/data")).isEmpty();
    }

    @Test
    void move_replacesDestination() throws IOException {
        put("/src", "new");
        put("/dst", "old content");

        driver.move("/src", "/dst");

        assertThat(content("/dst")).isEqualTo("new");
        assertThat(driver.stat("/src")).isEmpty();
    }

    @Test
    void move_keepsSize() throws IOException {
        put("/src", "12345");

        driver.move("/src", "/d/dst");

        assertThat(driver.stat("/d/dst").orElseThrow().size()).isEqualTo(5);
    }

    @Test
    void move_missingSource_throwsNoSuchFileAndKeepsDestination() throws IOException {
        put("/dst", "kept");

        assertThatThrownBy(() -> driver.move("/missing", "/dst")).isInstanceOf(NoSuchFileException.class);
        assertThat(content("/dst")).isEqualTo("kept");
    }

    @Test
    void move_directorySource_throwsNoSuchFile() throws IOException {
        put("/dir/object", "x");

        assertThatThrownBy(() -> driver.move("/dir", "/elsewhere")).isInstanceOf(NoSuchFileException.class);
        assertThat(content("/dir/object")).isEqualTo("x");
        assertThat(driver.stat("/elsewhere")).isEmpty();
    }

    @Test
    void move_ontoItself_keepsObject() throws IOException {
        put("/same", "x");

        driver.move("/same", "/same");

        assertThat(content("/same")).isEqualTo("x");
    }

    @Test
    @Timeout(60)
    void move_concurrentSameDestination_bothSucceed() throws Exception {
        byte[] blob = filled(100_000, 'z');
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            for (int round = 0; round < 25; round++) {
                String destination = "/blobs/r" + round + "/data";
                driver.putContent("/uploads/a" + round + "/data", blob);
                driver.putContent("/uploads/b" + round + "/data", blob);
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<?>> moves = new ArrayList<>();
                for (String upload : List.of("a", "b")) {
                    String source = "/uploads/" + upload + round + "/data";
                    moves.add(pool.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        driver.move(source, destination);
                        return null;
                    }));
                }
                for (Future<?> move : moves) {
                    move.get(30, TimeUnit.SECONDS); // throws if either move failed
                }

                assertThat(driver.getContent(destination)).isEqualTo(blob);
                assertThat(driver.stat("/uploads/a" + round + "/data")).isEmpty();
                assertThat(driver.stat("/uploads/b" + round + "/data")).isEmpty();
            }
        }
    }

    // --- delete ------------------------------------------------------------------------------------------------

    @Test
    void delete_object_removesIt() throws IOException {
        put("/d/object", "x");
        put("/d/other", "y");

        driver.delete("/d/object");

        assertThat(driver.stat("/d/object")).isEmpty();
        assertThat(content("/d/other")).isEqualTo("y");
    }

    @Test
    void delete_directory_removesTree() throws IOException {
        put("/d/tree/a", "1");
        put("/d/tree/b/c", "2");
        put("/d/tree/b/d/e", "3");
        put("/d/kept", "4");

        driver.delete("/d/tree");

        assertThat(driver.stat("/d/tree")).isEmpty();
        assertThat(driver.stat("/d/tree/b/d/e")).isEmpty();
        assertThat(driver.list("/d")).containsExactly("/d/kept");
    }

    @Test
    void delete_keepsSiblingsWithCommonPrefix() throws IOException {
        put("/d/ab/one", "1");
        put("/d/abc/two", "2");
        put("/d/ab-x", "3");
        put("/d/ab.y/four", "4");

        driver.delete("/d/ab");

        assertThat(driver.list("/d")).containsExactly("/d/ab-x", "/d/ab.y", "/d/abc");
        assertThat(content("/d/abc/two")).isEqualTo("2");
    }

    @Test
    void delete_missing_isNotAnError() throws IOException {
        put("/d/object", "x");

        driver.delete("/missing");
        driver.delete("/d/missing/deeper");
        driver.delete("/d/object/below");

        assertThat(content("/d/object")).isEqualTo("x");
    }

    @Test
    void delete_thenPutContent_recreatesParents() throws IOException {
        put("/d/tree/object", "1");
        driver.delete("/d/tree");

        put("/d/tree/object", "2");

        assertThat(content("/d/tree/object")).isEqualTo("2");
    }

    // --- paths -------------------------------------------------------------------------------------------------

    @Test
    void root_isRefusedWhereAnObjectIsNeeded() throws IOException {
        put("/object", "x");

        assertThatThrownBy(() -> driver.putContent("/", bytes("x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> driver.writer("/", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> driver.move("/", "/elsewhere")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> driver.move("/object", "/")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> driver.delete("/")).isInstanceOf(IllegalArgumentException.class);
        assertThat(content("/object")).isEqualTo("x");
    }

    @TestFactory
    Stream<DynamicTest> invalidPath_isRefusedByEveryMethod() {
        return INVALID_PATHS.stream().flatMap(path -> operations().entrySet().stream().map(operation ->
                dynamicTest(operation.getKey() + " " + printable(path), () -> {
                    put("/valid/object", "x");

                    assertThatThrownBy(() -> operation.getValue().call(driver, path))
                            .isInstanceOf(IllegalArgumentException.class);
                    assertThat(content("/valid/object")).isEqualTo("x");
                })));
    }

    @Test
    void invalidPaths_leaveStorageUnchanged() throws IOException {
        put("/valid/object", "x");

        callWithEveryInvalidPath(driver);

        assertThat(driver.list("/")).containsExactly("/valid");
        assertThat(driver.list("/valid")).containsExactly("/valid/object");
        assertThat(content("/valid/object")).isEqualTo("x");
    }

    /**
     * Calls every method with every {@link #INVALID_PATHS invalid path}, asserting each call is refused with
     * {@link IllegalArgumentException}. Expects {@code /valid/object} to exist.
     */
    protected static void callWithEveryInvalidPath(StorageDriver driver) {
        for (String path : INVALID_PATHS) {
            for (Map.Entry<String, Operation> operation : operations().entrySet()) {
                assertThatThrownBy(() -> operation.getValue().call(driver, path))
                        .as(operation.getKey() + " " + printable(path))
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    /** One driver method applied to a path. */
    @FunctionalInterface
    protected interface Operation {
        void call(StorageDriver driver, String path) throws Exception;
    }

    private static Map<String, Operation> operations() {
        Map<String, Operation> operations = new LinkedHashMap<>();
        operations.put("getContent", StorageDriver::getContent);
        operations.put("putContent", (d, p) -> d.putContent(p, bytes("x")));
        operations.put("reader", (d, p) -> d.reader(p, 0).close());
        operations.put("writer", (d, p) -> {
            try (StorageWriter writer = d.writer(p, 0)) {
                writer.write(buffer("x"));
                writer.commit();
            }
        });
        operations.put("stat", StorageDriver::stat);
        operations.put("list", StorageDriver::list);
        operations.put("move from", (d, p) -> d.move(p, "/valid/moved"));
        operations.put("move to", (d, p) -> d.move("/valid/object", p));
        operations.put("delete", StorageDriver::delete);
        operations.put("localFile", StorageDriver::localFile);
        return operations;
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    protected final void put(String path, String content) throws IOException {
        driver.putContent(path, bytes(content));
    }

    protected final String content(String path) throws IOException {
        return new String(driver.getContent(path), UTF_8);
    }

    private String read(String path, long offset) throws IOException {
        try (InputStream in = driver.reader(path, offset)) {
            return new String(in.readAllBytes(), UTF_8);
        }
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    private static ByteBuffer buffer(String s) {
        return ByteBuffer.wrap(bytes(s));
    }

    private static byte[] filled(int size, char c) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) c);
        return b;
    }

    /** Piece {@code i} of the big object: the same pseudo-random bytes every time. */
    private static void fillPiece(byte[] piece, int i) {
        new SplittableRandom(i).nextBytes(piece);
    }

    private static String printable(String path) {
        if (path == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : path.toCharArray()) {
            out.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return out.append('"').toString();
    }
}
