package dev.berth.http;

import dev.berth.api.ErrorCode;
import dev.berth.api.Route;
import dev.berth.auth.IssuedToken;
import dev.berth.auth.TokenEndpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The built-in token server's route, {@code /auth/token} ({@link Route#TOKEN}): {@code GET} with the query and
 * optional Basic credentials (distribution's token specification), {@code POST} with an OAuth2 password-grant form
 * (what containerd sends first). The answer is {@code application/json} with {@code Cache-Control: no-store}; a
 * refusal is the usual error envelope (401 with a Basic challenge, 400). The {@link Router} does not authenticate
 * this route: {@link TokenEndpoint} checks the credentials itself.
 */
public final class TokenApi {

    /** Largest POST form read; a password grant is a few hundred bytes. */
    static final int MAX_FORM_BYTES = 64 * 1024;

    private final TokenEndpoint endpoint;

    public TokenApi(TokenEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    public void register(Router router) {
        router.on(Route.TOKEN, Route.Method.GET, this::get)
                .on(Route.TOKEN, Route.Method.POST, this::post);
    }

    private Response get(Request req, Map<String, String> vars) {
        IssuedToken token = endpoint.get(req.query(), req.header("Authorization").orElse(null), req.remoteAddress());
        return answer(token.json(false));
    }

    private Response post(Request req, Map<String, String> vars) throws IOException {
        String type = req.header("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        if (!type.startsWith("application/x-www-form-urlencoded")) {
            throw ErrorCode.BAD_REQUEST.exception("the token request must be a form "
                    + "(application/x-www-form-urlencoded)");
        }
        IssuedToken token = endpoint.post(parseForm(readForm(req)), req.remoteAddress());
        return answer(token.json(true));
    }

    private static Response answer(byte[] json) {
        return Response.status(200)
                .header("Cache-Control", "no-store")
                .header("Pragma", "no-cache")
                .bytes("application/json", json);
    }

    private static String readForm(Request req) throws IOException {
        if (req.contentLength() > MAX_FORM_BYTES) {
            throw ErrorCode.PAYLOAD_TOO_LARGE.exception("the token request form is too large");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        InputStream in = req.body();
        int n;
        while ((n = in.read(buf)) > 0) {
            if (out.size() + n > MAX_FORM_BYTES) {
                throw ErrorCode.PAYLOAD_TOO_LARGE.exception("the token request form is too large");
            }
            out.write(buf, 0, n);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** {@code a=1&b=x+y} as decoded lists of values by name; malformed escapes are a 400. */
    static Map<String, List<String>> parseForm(String form) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String pair : form.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                out.computeIfAbsent(URLDecoder.decode(name, StandardCharsets.UTF_8), k -> new ArrayList<>())
                        .add(URLDecoder.decode(value, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw ErrorCode.BAD_REQUEST.exception("malformed form encoding");
            }
        }
        return out;
    }
}
