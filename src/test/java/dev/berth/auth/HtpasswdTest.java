package dev.berth.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtpasswdTest {

    @TempDir
    static Path dir;
    static Pki pki;
    static Htpasswd users;

    @BeforeAll
    static void files() throws IOException {
        pki = new Pki(dir);
        users = Htpasswd.load(pki.htpasswd("users", "alice", "correct horse", "bob", "battery staple"));
    }

    @Test
    void authenticate_rightPassword_succeeds() {
        assertThat(users.authenticate("alice", "correct horse")).isTrue();
        assertThat(users.authenticate("bob", "battery staple")).isTrue();
    }

    @Test
    void authenticate_wrongPassword_fails() {
        assertThat(users.authenticate("alice", "correct horsE")).isFalse();
        assertThat(users.authenticate("alice", "battery staple")).isFalse();
    }

    @Test
    void authenticate_unknownUser_fails() {
        assertThat(users.authenticate("mallory", "correct horse")).isFalse();
        assertThat(users.authenticate("", "correct horse")).isFalse();
        assertThat(users.authenticate(null, "correct horse")).isFalse();
    }

    @Test
    void authenticate_emptyPassword_failsEvenWhenTheFileHoldsAnEmptyPassword() throws IOException {
        Htpasswd empty = Htpasswd.load(pki.htpasswd("empty", "carol", ""));

        assertThat(empty.authenticate("carol", "")).isFalse();
        assertThat(empty.authenticate("carol", null)).isFalse();
        assertThat(users.authenticate("alice", "")).isFalse();
    }

    @Test
    void authenticate_theHashItselfAsPassword_fails() {
        String line = pki.read(dir.resolve("users")).lines().filter(l -> l.startsWith("alice:")).findFirst()
                .orElseThrow();

        assertThat(users.authenticate("alice", line.substring("alice:".length()))).isFalse();
    }

    @Test
    void authenticate_passwordLongerThan72Bytes_usesTheFirst72LikeApache() throws IOException {
        String long80 = "p".repeat(72) + "12345678";
        Htpasswd h = Htpasswd.load(pki.htpasswd("long", "dave", long80));

        assertThat(h.authenticate("dave", long80)).isTrue();
        assertThat(h.authenticate("dave", "p".repeat(72) + "different")).isTrue();
        assertThat(h.authenticate("dave", "p".repeat(71))).isFalse();
    }

    @Test
    void load_acceptsTheThreeBcryptPrefixes() {
        String line = pki.read(dir.resolve("users")).lines().filter(l -> l.startsWith("alice:")).findFirst()
                .orElseThrow();
        String hash = line.substring("alice:".length());
        assertThat(hash).startsWith("$2y$04$");

        for (String prefix : new String[] {"$2a$", "$2b$", "$2y$"}) {
            Htpasswd h = Htpasswd.parse("alice:" + prefix + hash.substring(4) + "\n", "test");
            assertThat(h.authenticate("alice", "correct horse")).as(prefix).isTrue();
            assertThat(h.authenticate("alice", "wrong")).as(prefix).isFalse();
        }
    }

    @Test
    void load_plainTextLine_isRefusedNamingTheLineButNotThePassword() {
        String content = pki.read(dir.resolve("users")) + pki.htpasswdLine("-p", "eve", "Sup3rSecretPlain") + "\n";

        assertThatThrownBy(() -> Htpasswd.parse(content, "/etc/berth/htpasswd"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/etc/berth/htpasswd line 3")
                .hasMessageContaining("user \"eve\"")
                .hasMessageContaining("only bcrypt")
                .hasMessageContaining("plain text")
                .hasMessageNotContaining("Sup3rSecretPlain");
    }

    @Test
    void load_otherHashSchemes_areRefusedByName() {
        assertThatThrownBy(() -> Htpasswd.parse(pki.htpasswdLine("-s", "u", "pw1"), "f"))
                .hasMessageContaining("line 1").hasMessageContaining("SHA-1 ({SHA})");
        assertThatThrownBy(() -> Htpasswd.parse(pki.htpasswdLine("-m", "u", "pw1"), "f"))
                .hasMessageContaining("Apache MD5 ($apr1$)");
        String crypt = pki.htpasswdLine("-d", "u", "pw1");
        assertThatThrownBy(() -> Htpasswd.parse(crypt, "f"))
                .hasMessageContaining("DES crypt")
                .hasMessageNotContaining(crypt.substring(2));
        assertThatThrownBy(() -> Htpasswd.parse("u:$6$salt$abcdef", "f")).hasMessageContaining("SHA-crypt ($6$)");
        assertThatThrownBy(() -> Htpasswd.parse("u:$2y$04$tooShort", "f")).hasMessageContaining("malformed bcrypt");
    }

    @Test
    void load_lineWithoutColon_isRefused() {
        assertThatThrownBy(() -> Htpasswd.parse("\n\njustaword\n", "f"))
                .hasMessageContaining("f line 3: not a user:hash entry");
    }

    @Test
    void load_duplicateUser_isRefused() {
        String alice = pki.read(dir.resolve("users")).lines().filter(l -> l.startsWith("alice:")).findFirst()
                .orElseThrow();

        assertThatThrownBy(() -> Htpasswd.parse(alice + "\n" + alice + "\n", "f"))
                .hasMessageContaining("line 2: user \"alice\" is already defined on line 1");
    }

    @Test
    void load_skipsBlankLinesAndComments() {
        String content = "# registry users\n\n" + pki.read(dir.resolve("users")) + "\n   \n# end\n";

        Htpasswd h = Htpasswd.parse(content, "f");

        assertThat(h.users()).containsExactly("alice", "bob");
        assertThat(h.authenticate("bob", "battery staple")).isTrue();
    }

    @Test
    void toString_showsNoHash() {
        assertThat(users.toString()).isEqualTo("Htpasswd[2 users]");
    }
}
