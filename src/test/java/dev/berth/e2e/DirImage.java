package dev.berth.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * An image copied with {@code skopeo copy ... dir:<dir>}: unlike an OCI layout, the {@code dir:} transport keeps the
 * manifest byte for byte whatever its media type, so its digest can be compared with the registry's.
 * Files: {@code manifest.json}, and each blob named by the hex of its digest.
 */
record DirImage(Path dir) {

    /** {@code skopeo copy --src-tls-verify=false <docker ref> dir:<dir>}, with optional extra skopeo options. */
    static DirImage pull(String dockerRef, Path dir, String... options) {
        List<String> argv = new ArrayList<>(List.of("skopeo", "copy", "--quiet", "--src-tls-verify=false"));
        argv.addAll(List.of(options));
        argv.add(dockerRef);
        argv.add("dir:" + dir);
        Cmd.of(argv).ok();
        return new DirImage(dir);
    }

    byte[] manifestBytes() {
        try {
            return Files.readAllBytes(dir.resolve("manifest.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String manifestDigest() {
        return OciLayout.sha256(manifestBytes());
    }

    JsonNode manifest() {
        return OciLayout.parse(manifestBytes());
    }

    /** A blob's bytes, checked against its digest. */
    byte[] blob(String digest) {
        Path p = dir.resolve(digest.substring(digest.indexOf(':') + 1));
        assertThat(p).as("blob " + digest).isRegularFile();
        try {
            byte[] bytes = Files.readAllBytes(p);
            assertThat(OciLayout.sha256(bytes)).as("content of " + p).isEqualTo(digest);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The regular files of a gzip-compressed tar layer: path (without a leading {@code ./} or {@code /}) to bytes. */
    static Map<String, byte[]> untarGz(byte[] layer) {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(layer))) {
            return untar(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A minimal ustar/GNU reader: enough for the few small files the tests put in layers. */
    static Map<String, byte[]> untar(InputStream in) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        String longName = null;
        while (true) {
            byte[] header = in.readNBytes(512);
            if (header.length < 512 || isZero(header)) {
                return files;
            }
            String name = cString(header, 0, 100);
            String prefix = cString(header, 345, 155);
            String octalSize = cString(header, 124, 12).trim();
            long size = octalSize.isEmpty() ? 0 : Long.parseLong(octalSize, 8);
            char type = (char) header[156];
            byte[] data = in.readNBytes((int) size);
            in.skipNBytes((512 - size % 512) % 512);
            if (type == 'L') { // GNU long name: the next entry's name
                longName = new String(data, StandardCharsets.UTF_8).replace("\0", "");
                continue;
            }
            String path = longName != null ? longName : prefix.isEmpty() ? name : prefix + "/" + name;
            longName = null;
            if (type == '0' || type == '\0') {
                files.put(path.replaceFirst("^\\./", "").replaceFirst("^/", ""), data);
            }
        }
    }

    /** A plain ustar archive of regular files (mode 0644, owner root), e.g. for {@code podman import}. */
    static byte[] tar(Map<String, byte[]> files) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            byte[] header = new byte[512];
            put(header, 0, 100, f.getKey());
            put(header, 100, 8, "0000644");
            put(header, 108, 8, "0000000");
            put(header, 116, 8, "0000000");
            put(header, 124, 12, String.format("%011o", f.getValue().length));
            put(header, 136, 12, String.format("%011o", 1_700_000_000L));
            java.util.Arrays.fill(header, 148, 156, (byte) ' ');
            header[156] = '0';
            put(header, 257, 6, "ustar");
            put(header, 263, 2, "00");
            put(header, 265, 32, "root");
            put(header, 297, 32, "root");
            int sum = 0;
            for (byte b : header) {
                sum += b & 0xff;
            }
            put(header, 148, 8, String.format("%06o", sum));
            header[154] = 0;
            header[155] = ' ';
            out.writeBytes(header);
            out.writeBytes(f.getValue());
            out.writeBytes(new byte[(512 - f.getValue().length % 512) % 512]);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] header, int off, int len, String value) {
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        if (v.length > len) {
            throw new IllegalArgumentException("too long for a tar header field: " + value);
        }
        System.arraycopy(v, 0, header, off, v.length);
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }
}
