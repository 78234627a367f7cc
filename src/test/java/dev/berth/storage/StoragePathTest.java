package dev.berth.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;

class StoragePathTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "/",
            "/a",
            "/a/b/c",
            "/docker/registry/v2/blobs/sha256/ab/abcdef/data",
            "/docker/registry/v2/repositories/library/ubuntu/_uploads/0a1b2c3d-0000-4000-8000-00000000000f/data",
            "/docker/registry/v2/repositories/a__b/c--d/_manifests/tags/v1.0_rc-1/current/link",
            "/AZaz09._:=-",
            "/...",
            "/a/....",
            "/.hidden",
            "/a..b",
            "/a/b.",
            "/sha256:abc/x=y",
    })
    void check_validPath_returnsItUnchanged(String path) {
        assertThat(StoragePath.check(path)).isSameAs(path);
    }

    @ParameterizedTest
    @FieldSource("dev.berth.storage.StorageDriverContract#INVALID_PATHS")
    void check_invalidPath_throwsIllegalArgument(String path) {
        assertThatThrownBy(() -> StoragePath.check(path)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void check_relativePath_saysItMustBeAbsolute() {
        assertThatThrownBy(() -> StoragePath.check("a/b")).hasMessageContaining("absolute");
    }

    @Test
    void check_traversal_namesTheSegmentRule() {
        assertThatThrownBy(() -> StoragePath.check("/a/../b")).hasMessageContaining("..");
    }

    @Test
    void check_forbiddenCharacter_saysSo() {
        assertThatThrownBy(() -> StoragePath.check("/a\\b")).hasMessageContaining("forbidden character");
    }

    @Test
    void check_everyAsciiCharacterOutsideTheAllowedSet_isRefused() {
        String allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:=-";
        for (char c = 0; c < 128; c++) {
            String path = "/x" + c + "y";
            if (allowed.indexOf(c) >= 0) {
                assertThat(StoragePath.check(path)).as("char %d", (int) c).isSameAs(path);
            } else if (c != '/') {
                char bad = c;
                assertThatThrownBy(() -> StoragePath.check(path)).as("char %d", (int) bad)
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }
}
