package dev.berth.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.oci.RepositoryName;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ScopeTest {

    @Test
    void parse_repositoryScope() {
        Scope s = Scope.parse("repository:samalba/my-app:pull,push");

        assertThat(s.type()).isEqualTo("repository");
        assertThat(s.name()).isEqualTo("samalba/my-app");
        assertThat(s.actions()).containsExactly("pull", "push");
        assertThat(s.knownActions()).containsExactly(Action.PULL, Action.PUSH);
        assertThat(s.toString()).isEqualTo("repository:samalba/my-app:pull,push");
    }

    @Test
    void parse_catalogScope() {
        Scope s = Scope.parse("registry:catalog:*");

        assertThat(s).isEqualTo(Scope.CATALOG);
        assertThat(s.isCatalog()).isTrue();
    }

    @Test
    void parse_resourceClass_isDropped() {
        assertThat(Scope.parse("repository(plugin):vieux/sshfs:pull"))
                .isEqualTo(new Scope("repository", "vieux/sshfs", List.of("pull")));
    }

    @Test
    void parse_nameWithAPort_isKeptForOtherTypes() {
        assertThat(Scope.parse("mirror:host:5000/a/b:pull").name()).isEqualTo("host:5000/a/b");
    }

    @Test
    void parse_wildcardAndUnknownActions_areKept_butOnlyKnownOnesCount() {
        assertThat(Scope.parse("repository:a:*").knownActions()).isEqualTo(EnumSet.allOf(Action.class));
        Scope odd = Scope.parse("repository:a:pull,metadata,pull");
        assertThat(odd.actions()).containsExactly("pull", "metadata");
        assertThat(odd.knownActions()).containsExactly(Action.PULL);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "repository", "repository:a/b", "repository::pull", "repository:a/b:", "repository:a/b:pull,",
        "repository:a/b:,pull", "repository:a/b:Pull", "Repository:a/b:pull", "repository:A/b:pull",
        "repository:a//b:pull", "repository:host:5000/a:pull", "repository:a b:pull", ":a/b:pull",
        "repository:a/b:pull push", "repo$:a:pull", "x:a:b:c:pull"})
    void parse_malformedScope_isRefused(String text) {
        assertThatThrownBy(() -> Scope.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("malformed scope");
    }

    @Test
    void parseAll_splitsSpaceSeparatedScopes_andSkipsBlankValues() {
        List<Scope> all = Scope.parseAll(List.of("repository:a:pull repository:b:push", "", "registry:catalog:*"));

        assertThat(all).extracting(Scope::toString)
                .containsExactly("repository:a:pull", "repository:b:push", "registry:catalog:*");
    }

    @Test
    void repository_writesActionsInPullPushDeleteOrder() {
        Scope s = Scope.repository(RepositoryName.of("a/b"), EnumSet.of(Action.DELETE, Action.PUSH, Action.PULL));

        assertThat(s.toString()).isEqualTo("repository:a/b:pull,push,delete");
    }
}
