package dev.berth.registry.gc;

import dev.berth.config.ConfigLoader;
import dev.berth.metadata.TagRecord;
import dev.berth.oci.Digest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetentionPolicyTest {

    static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
    static final Digest M = Digest.sha256("m".getBytes(StandardCharsets.UTF_8));

    static RetentionPolicy parse(String text) {
        return RetentionPolicy.parse(text, ConfigLoader::parseDuration);
    }

    /** Tags pushed one day apart, the first {@code names[0]} oldest. */
    static List<TagRecord> tags(String... names) {
        List<TagRecord> out = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            out.add(new TagRecord(names[i], M, NOW.minus(Duration.ofDays(names.length - i))));
        }
        return out;
    }

    static List<String> deleted(RetentionPolicy p, List<TagRecord> tags) {
        return p.tagsToDelete(tags, NOW).stream().map(TagRecord::name).toList();
    }

    @Test
    void keepNewest_keepsThatManyOfTheUnprotectedTags_newestFirst() {
        RetentionPolicy p = parse("**:keepnewest=2,keeptags=latest");

        assertThat(deleted(p, tags("v1", "v2", "latest", "v3", "v4"))).containsExactly("v2", "v1");
    }

    @Test
    void olderThan_aloneDeletesOnlyOldTags_andWithKeepNewestBothMustAllow() {
        assertThat(deleted(parse("**:olderthan=72h"), tags("a", "b", "c", "d", "e"))).containsExactly("b", "a");
        assertThat(deleted(parse("**:olderthan=72h,keepnewest=4"), tags("a", "b", "c", "d", "e")))
                .containsExactly("a");
    }

    @Test
    void noKeepNewestNorOlderThan_deletesNothing() {
        assertThat(deleted(parse("**:keeptags=v*"), tags("a", "b"))).isEmpty();
    }

    @Test
    void sameTime_tiesBrokenByNameGreaterFirst() {
        List<TagRecord> same = List.of(new TagRecord("a", M, NOW), new TagRecord("c", M, NOW),
                new TagRecord("b", M, NOW));

        assertThat(deleted(parse("**:keepnewest=1"), same)).containsExactly("b", "a");
    }

    @Test
    void repositoryGlobs_starStaysInASegment_doubleStarCrossesThem() {
        assertThat(parse("team/*:keepnewest=1").appliesTo("team/app")).isTrue();
        assertThat(parse("team/*:keepnewest=1").appliesTo("team/app/sub")).isFalse();
        assertThat(parse("team/**:keepnewest=1").appliesTo("team/app/sub")).isTrue();
        assertThat(parse("team/ap?:keepnewest=1").appliesTo("team/app")).isTrue();
        assertThat(parse("team/a.p:keepnewest=1").appliesTo("team/abp")).as("a dot is a dot").isFalse();
        List<RetentionPolicy> policies = List.of(parse("team/special:keepnewest=50"), parse("team/**:keepnewest=5"));
        assertThat(RetentionPolicy.first(policies, "team/special").orElseThrow().keepNewest()).contains(50);
        assertThat(RetentionPolicy.first(policies, "team/other").orElseThrow().keepNewest()).contains(5);
        assertThat(RetentionPolicy.first(policies, "other")).isEmpty();
    }

    @Test
    void parse_describe_roundTrip() {
        RetentionPolicy p = parse(" team/**:keepnewest=10, olderthan=720h ,keeptags=latest|v*");

        assertThat(p.keepNewest()).contains(10);
        assertThat(p.olderThan()).contains(Duration.ofHours(720));
        assertThat(p.keepTags()).extracting(Glob::pattern).containsExactly("latest", "v*");
        assertThat(p.describe(ConfigLoader::formatDuration)).isEqualTo("team/**:keepnewest=10,olderthan=720h,"
                + "keeptags=latest|v*");
        assertThat(parse(p.describe(ConfigLoader::formatDuration))).isEqualTo(p);
    }

    @Test
    void parse_badInput_saysWhatIsWrong() {
        assertThatThrownBy(() -> parse("keepnewest=3")).hasMessageContaining("expected <repositories>:<rules>");
        assertThatThrownBy(() -> parse("a:keepnewest=-1")).hasMessageContaining("keepnewest must be a whole number");
        assertThatThrownBy(() -> parse("a:olderthan=soon")).hasMessageContaining("expected a duration");
        assertThatThrownBy(() -> parse("a:keep")).hasMessageContaining("expected key=value");
        assertThatThrownBy(() -> parse("a:forever=1")).hasMessageContaining("unknown retention rule 'forever'");
    }

    @Test
    void linkConfirmationAge_isHalfTheGraceBetweenAMinuteAndAnHour() {
        GcSettings d = GcSettings.defaults();
        assertThat(d.linkConfirmationAge()).isEqualTo(Duration.ofHours(1));
        assertThat(d.withGracePeriod(Duration.ofMinutes(40)).linkConfirmationAge()).isEqualTo(Duration.ofMinutes(20));
        assertThat(d.withGracePeriod(Duration.ZERO).linkConfirmationAge()).isEqualTo(Duration.ofMinutes(1));
        assertThat(Optional.of(d.firstRunDelay())).contains(Duration.ofHours(1));
    }
}
