package dev.berth.auth;

import static dev.berth.auth.Action.DELETE;
import static dev.berth.auth.Action.PULL;
import static dev.berth.auth.Action.PUSH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.auth.AccessRules.Rule;
import dev.berth.auth.AccessRules.Settings;
import dev.berth.oci.RepositoryName;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AccessRulesTest {

    static final Principal ALICE = Principal.user("alice");
    static final Principal BOB = Principal.user("bob");
    static final Principal ROOT = Principal.user("root");
    static final Principal ANON = Principal.ANONYMOUS;

    static RepositoryName repo(String name) {
        return RepositoryName.of(name);
    }

    static AccessRules rules(Rule... rules) {
        return new AccessRules(new Settings(List.of("user:root"), Map.of("devs", List.of("alice")),
                List.of(rules), List.of()));
    }

    @Test
    void firstMatchingRule_decidesAlone() {
        AccessRules r = rules(
                new Rule("team/**", List.of("group:devs"), Set.of(PULL, PUSH)),
                new Rule("team/**", List.of("authenticated"), Set.of(PULL, PUSH, DELETE)));

        assertThat(r.allowed(ALICE, repo("team/app"))).containsExactlyInAnyOrder(PULL, PUSH);
        assertThat(r.allowed(BOB, repo("team/app"))).containsExactlyInAnyOrder(PULL, PUSH, DELETE);
    }

    @Test
    void ruleOrder_changesTheOutcome() {
        AccessRules broadFirst = rules(
                new Rule("**", List.of("anyone"), Set.of(PULL)),
                new Rule("team/**", List.of("user:alice"), Set.of(PULL, PUSH)));
        AccessRules specificFirst = rules(
                new Rule("team/**", List.of("user:alice"), Set.of(PULL, PUSH)),
                new Rule("**", List.of("anyone"), Set.of(PULL)));

        assertThat(broadFirst.allowed(ALICE, repo("team/app"))).containsExactly(PULL);
        assertThat(specificFirst.allowed(ALICE, repo("team/app"))).containsExactlyInAnyOrder(PULL, PUSH);
        assertThat(specificFirst.allowed(BOB, repo("team/app"))).containsExactly(PULL);
    }

    @Test
    void ruleWithNoActions_deniesEvenWhenALaterRuleAllows() {
        AccessRules r = rules(
                new Rule("secret/**", List.of("anyone"), Set.of()),
                new Rule("**", List.of("authenticated"), Set.of(PULL, PUSH)));

        assertThat(r.allowed(ALICE, repo("secret/keys"))).isEmpty();
        assertThat(r.allowed(ALICE, repo("public/app"))).containsExactlyInAnyOrder(PULL, PUSH);
        assertThat(r.allowed(ROOT, repo("secret/keys"))).containsExactlyInAnyOrder(PULL, PUSH, DELETE);
    }

    @Test
    void noMatchingRule_allowsNothing() {
        AccessRules r = rules(new Rule("team/**", List.of("user:alice"), Set.of(PULL)));

        assertThat(r.allowed(BOB, repo("team/app"))).isEmpty();
        assertThat(r.allowed(ALICE, repo("other/app"))).isEmpty();
    }

    @Test
    void singleStar_matchesWithinOneComponent() {
        AccessRules r = rules(new Rule("team/app-*", List.of("anyone"), Set.of(PULL)),
                new Rule("*/base", List.of("anyone"), Set.of(PULL)));

        assertThat(r.allowed(ANON, repo("team/app-web"))).containsExactly(PULL);
        assertThat(r.allowed(ANON, repo("team/app-web/x"))).isEmpty();
        assertThat(r.allowed(ANON, repo("team/base"))).containsExactly(PULL);
        assertThat(r.allowed(ANON, repo("a/b/base"))).isEmpty();
    }

    @Test
    void doubleStar_matchesAcrossComponentsButNotTheParent() {
        AccessRules r = rules(new Rule("team/**", List.of("anyone"), Set.of(PULL)));

        assertThat(r.allowed(ANON, repo("team/a"))).containsExactly(PULL);
        assertThat(r.allowed(ANON, repo("team/a/b/c"))).containsExactly(PULL);
        assertThat(r.allowed(ANON, repo("team"))).isEmpty();
        assertThat(r.allowed(ANON, repo("teams/a"))).isEmpty();
    }

    @Test
    void exactName_matchesOnlyThatRepository() {
        AccessRules r = rules(new Rule("a/b", List.of("anyone"), Set.of(PULL)));

        assertThat(r.allowed(ANON, repo("a/b"))).containsExactly(PULL);
        assertThat(r.allowed(ANON, repo("a/b/c"))).isEmpty();
        assertThat(r.allowed(ANON, repo("a/bc"))).isEmpty();
        assertThat(r.allowed(ANON, repo("a"))).isEmpty();
    }

    @Test
    void dotInAPattern_isLiteral() {
        AccessRules r = rules(new Rule("a.b", List.of("anyone"), Set.of(PULL)));

        assertThat(r.allowed(ANON, repo("a.b"))).containsExactly(PULL);
        assertThat(r.allowed(ANON, repo("axb"))).isEmpty();
    }

    @Test
    void anonymousPull_perPattern() {
        AccessRules r = rules(
                new Rule("public/**", List.of("anyone"), Set.of(PULL)),
                new Rule("**", List.of("authenticated"), Set.of(PULL, PUSH)));

        assertThat(r.allowed(ANON, repo("public/app"))).containsExactly(PULL);
        assertThat(r.allowed(ANON, repo("private/app"))).isEmpty();
        assertThat(r.allowed(BOB, repo("private/app"))).containsExactlyInAnyOrder(PULL, PUSH);
    }

    @Test
    void subjects_anonymousAuthenticatedAnyoneUserGroup() {
        AccessRules r = rules(
                new Rule("anon", List.of("anonymous"), Set.of(PULL)),
                new Rule("auth", List.of("authenticated"), Set.of(PULL)),
                new Rule("all", List.of("anyone"), Set.of(PULL)),
                new Rule("bobs", List.of("user:bob"), Set.of(PULL)),
                new Rule("devs", List.of("group:devs"), Set.of(PULL)));

        assertThat(r.allowed(ANON, repo("anon"))).containsExactly(PULL);
        assertThat(r.allowed(BOB, repo("anon"))).isEmpty();
        assertThat(r.allowed(ANON, repo("auth"))).isEmpty();
        assertThat(r.allowed(BOB, repo("auth"))).containsExactly(PULL);
        assertThat(r.allowed(ANON, repo("all"))).containsExactly(PULL);
        assertThat(r.allowed(BOB, repo("bobs"))).containsExactly(PULL);
        assertThat(r.allowed(ALICE, repo("bobs"))).isEmpty();
        assertThat(r.allowed(ALICE, repo("devs"))).containsExactly(PULL);
        assertThat(r.allowed(BOB, repo("devs"))).isEmpty();
    }

    @Test
    void admin_mayDoEverythingAndListTheWholeCatalog() {
        AccessRules r = new AccessRules(new Settings(List.of("group:ops"), Map.of("ops", List.of("root")),
                List.of(new Rule("**", List.of("anyone"), Set.of())), List.of("user:alice")));

        assertThat(r.isAdmin(ROOT)).isTrue();
        assertThat(r.allowed(ROOT, repo("any/thing"))).containsExactlyInAnyOrder(PULL, PUSH, DELETE);
        assertThat(r.mayUseCatalog(ROOT)).isTrue();
        assertThat(r.mayList(ROOT, repo("any/thing"))).isTrue();
        assertThat(r.isAdmin(ALICE)).isFalse();
        assertThat(r.isAdmin(ANON)).isFalse();
    }

    @Test
    void actions_areIndependent_pushImpliesNoPull_deleteIsSeparate() {
        AccessRules r = rules(
                new Rule("dropbox", List.of("anyone"), Set.of(PUSH)),
                new Rule("cleanup", List.of("anyone"), Set.of(DELETE)));

        assertThat(r.allowed(BOB, repo("dropbox"))).containsExactly(PUSH);
        assertThat(r.allowed(BOB, repo("cleanup"))).containsExactly(DELETE);
        assertThat(r.grant(BOB).permits(repo("dropbox"), PULL)).isFalse();
        assertThat(r.grant(BOB).permits(repo("dropbox"), PUSH)).isTrue();
    }

    @Test
    void mayList_isMayPull() {
        AccessRules r = rules(
                new Rule("pushonly", List.of("anyone"), Set.of(PUSH)),
                new Rule("readable", List.of("anyone"), Set.of(PULL)));

        assertThat(r.mayList(BOB, repo("readable"))).isTrue();
        assertThat(r.mayList(BOB, repo("pushonly"))).isFalse();
        assertThat(r.mayList(BOB, repo("unlisted"))).isFalse();
        assertThat(r.grant(BOB).mayList(repo("readable"))).isTrue();
    }

    @Test
    void catalog_defaultsToAuthenticatedUsers_andCanBeConfigured() {
        AccessRules byDefault = rules();
        AccessRules open = new AccessRules(new Settings(List.of(), Map.of(), List.of(), List.of("anyone")));

        assertThat(byDefault.mayUseCatalog(BOB)).isTrue();
        assertThat(byDefault.mayUseCatalog(ANON)).isFalse();
        assertThat(open.mayUseCatalog(ANON)).isTrue();
    }

    @Test
    void distributionDefault_letsEveryUserDoEverything_andAnonymousNothing() {
        AccessRules r = new AccessRules(Settings.authenticatedMayDoEverything());

        assertThat(r.allowed(BOB, repo("any/thing"))).containsExactlyInAnyOrder(PULL, PUSH, DELETE);
        assertThat(r.allowed(ANON, repo("any/thing"))).isEmpty();
        assertThat(r.mayUseCatalog(BOB)).isTrue();
    }

    @Test
    void settings_unknownSubject_isRefused() {
        assertThatThrownBy(() -> rules(new Rule("**", List.of("bob"), Set.of(PULL))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rules[0].who: unknown subject \"bob\"; use user:NAME, group:NAME, authenticated, "
                        + "anonymous or anyone");
    }

    @Test
    void settings_undefinedGroup_isRefused() {
        assertThatThrownBy(() -> rules(new Rule("**", List.of("anyone"), Set.of(PULL)),
                new Rule("**", List.of("group:admins"), Set.of(PULL))))
                .hasMessage("rules[1].who: group \"admins\" is not defined under groups");
    }

    @Test
    void settings_badPattern_isRefused() {
        assertThatThrownBy(() -> rules(new Rule("Team/App", List.of("anyone"), Set.of(PULL))))
                .hasMessageStartingWith("rules[0].repository: \"Team/App\" is not a repository pattern");
        assertThatThrownBy(() -> rules(new Rule("a/***", List.of("anyone"), Set.of(PULL))))
                .hasMessageStartingWith("rules[0].repository");
        assertThatThrownBy(() -> rules(new Rule("a b", List.of("anyone"), Set.of(PULL))))
                .hasMessageStartingWith("rules[0].repository");
    }

    @Test
    void settings_ruleWithNobody_isRefused() {
        assertThatThrownBy(() -> rules(new Rule("**", List.of(), Set.of(PULL))))
                .hasMessage("rules[0].who: name at least one subject");
    }

    @Test
    void action_parse_acceptsConfiguredNames() {
        assertThat(Action.parse("Pull")).isEqualTo(PULL);
        assertThat(Action.parse(" delete ")).isEqualTo(DELETE);
        assertThatThrownBy(() -> Action.parse("write")).hasMessage("unknown action \"write\" (use pull, push, delete)");
    }
}
