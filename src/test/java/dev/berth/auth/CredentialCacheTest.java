package dev.berth.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CredentialCacheTest {

    final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));

    @Test
    void rememberedPassword_isRecognised_untilItsTimeIsUp() {
        CredentialCache cache = new CredentialCache(Duration.ofMinutes(5), clock);
        cache.remember("alice", "pw");

        assertThat(cache.recentlyVerified("alice", "pw")).isTrue();
        clock.advance(Duration.ofMinutes(5));
        assertThat(cache.recentlyVerified("alice", "pw")).isFalse();
    }

    @Test
    void anotherPasswordOrUser_isNeverRecognised() {
        CredentialCache cache = new CredentialCache(Duration.ofMinutes(5), clock);
        cache.remember("alice", "pw");

        assertThat(cache.recentlyVerified("alice", "pw2")).isFalse();
        assertThat(cache.recentlyVerified("alice", "")).isFalse();
        assertThat(cache.recentlyVerified("bob", "pw")).isFalse();
        assertThat(cache.recentlyVerified("alic", "e\0pw")).isFalse();
    }

    @Test
    void zeroDuration_remembersNothing() {
        CredentialCache cache = new CredentialCache(Duration.ZERO, clock);
        cache.remember("alice", "pw");

        assertThat(cache.recentlyVerified("alice", "pw")).isFalse();
    }
}
