package dev.berth.auth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

final class Creds {

    private Creds() {
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
