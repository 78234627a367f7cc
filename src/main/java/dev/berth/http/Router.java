package dev.berth.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.ErrorCode;
import dev.berth.api.RegistryException;
import dev.berth.api.Route;
import dev.berth.api.telemetry.RequestScope;
import dev.berth.auth.Authenticator;
import dev.berth.auth.Grant;
import dev.berth.oci.RepositoryName;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Dispatches requests over the {@link Route} table and is the one place that turns errors into OCI error
 * envelopes ({@code {"errors":[{"code","message","detail"}]}}) with the status of their {@link ErrorCode}.
 */
public final class Router {

    private static final Logger LOG = Logger.getLogger(Router.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final String API_VERSION_HEADER = "Docker-Distribution-API-Version";
    public static final String API_VERSION = "registry/2.0";

    private final Map<Route, Map<Route.Method, Handler>> table = new EnumMap<>(Route.class);
    private ReadOnlySwitch readOnly = new ReadOnlySwitch(false);
    private HealthGate health = new HealthGate();
    private List<Map.Entry<String, String>> extraHeaders = List.of();
    private Authenticator auth;

    /**
     * Authenticate and authorize every request but the token endpoint's with {@code authenticator}: after the route
     * and method are known (so 404 and 405 come first) and the repository name is checked, before the handler
     * reads anything of the body (so a refused {@code Expect: 100-continue} push never sends its body).
     */
    public Router auth(Authenticator authenticator) {
        this.auth = java.util.Objects.requireNonNull(authenticator, "authenticator");
        return this;
    }

    /** Refuse writes while {@code s} is on (read-only mode). */
    public Router readOnly(ReadOnlySwitch s) {
        this.readOnly = java.util.Objects.requireNonNull(s, "read-only switch");
        return this;
    }

    /** Answer 503 UNAVAILABLE to everything while {@code gate} is failing (distribution's health checks). */
    public Router health(HealthGate gate) {
        this.health = java.util.Objects.requireNonNull(gate, "health gate");
        return this;
    }

    /** Headers added to every response, errors included (distribution's {@code http.headers}). */
    public Router extraHeaders(Map<String, List<String>> headers) {
        List<Map.Entry<String, String>> list = new ArrayList<>();
        headers.forEach((name, values) -> values.forEach(v -> list.add(Map.entry(name, v))));
        this.extraHeaders = List.copyOf(list);
        return this;
    }

    public Router on(Route route, Route.Method method, Handler handler) {
        if (!route.methods().contains(method)) {
            throw new IllegalArgumentException(route + " does not take " + method);
        }
        table.computeIfAbsent(route, r -> new EnumMap<>(Route.Method.class)).put(method, handler);
        return this;
    }

    /**
     * Answers a request. A {@link RegistryException} becomes its error envelope; an {@link IOException} (the
     * client went away mid-body, storage failed) propagates so the adapter can drop the connection; anything else
     * is logged and answered 500 UNKNOWN.
     */
    public Response dispatch(Request request) throws IOException {
        Response response = answer(request);
        for (int i = 0; i < extraHeaders.size(); i++) {
            Map.Entry<String, String> h = extraHeaders.get(i);
            response.header(h.getKey(), h.getValue());
        }
        return response;
    }

    private Response answer(Request request) throws IOException {
        try {
            Route.Match match = Route.resolve(request.path()).orElse(null);   // route and variables, one pass
            Route route = match == null ? null : match.route();
            RequestScope scope = RequestScope.current();
            if (scope != null) {
                scope.route(route);
            }
            if (health.failure() != null) {
                throw ErrorCode.UNAVAILABLE.exception("health check failed: please see /debug/health",
                        health.failure());
            }
            if (route == null) {
                throw ErrorCode.NOT_FOUND.exception(null);
            }
            Map<Route.Method, Handler> handlers = table.get(route);
            if (handlers == null) {
                throw ErrorCode.NOT_FOUND.exception(route.summary() + " is not served by this registry");
            }
            Handler handler = handlers.get(request.method());
            if (handler == null) {
                String allow = handlers.keySet().stream().map(Enum::name).collect(Collectors.joining(", "));
                throw ErrorCode.METHOD_NOT_ALLOWED.exception(request.method() + " is not allowed on "
                        + route.template()).withHeader("Allow", allow);
            }
            Map<String, String> vars = match.variables();
            if (auth != null && route != Route.TOKEN) {
                request = authorize(request, route, vars);
            }
            if (readOnly.enabled() && request.method() != Route.Method.GET && request.method() != Route.Method.HEAD
                    && route != Route.TOKEN) {    // a token request (POST too) writes nothing
                throw ErrorCode.UNSUPPORTED.exception("the registry is in read-only mode",
                        "writes are refused while read-only mode is on (storage.maintenance.readonly); "
                                + "reads keep working");
            }
            Response response = handler.handle(request, vars);
            return response.header(API_VERSION_HEADER, API_VERSION);
        } catch (RegistryException e) {
            return error(e);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            LOG.log(Level.SEVERE, "internal error on " + request.method() + " " + request.path(), e);
            return error(ErrorCode.UNKNOWN.exception("internal error; the server log has the details"));
        }
    }

    /** The request with its grant, or the 401/403 as a {@link RegistryException}; names are checked first. */
    private Request authorize(Request request, Route route, Map<String, String> vars) {
        RepositoryName name = vars.containsKey("name") ? Params.name(vars) : null;
        Grant grant = auth.authorize(request.method(), route, name, request.header("Authorization").orElse(null),
                request.remoteAddress());
        if (!grant.principal().isAnonymous()) {
            RequestScope.setUser(grant.principal().name());
        }
        return request.withGrant(grant);
    }

    /** The error envelope for {@code e}. */
    public static Response error(RegistryException e) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode errors = root.putArray("errors");
        ObjectNode entry = errors.addObject();
        entry.put("code", e.errorCode().code());
        entry.put("message", e.getMessage());
        if (e.detail() != null) {
            entry.put("detail", e.detail());
        } else {
            entry.putNull("detail");
        }
        Response response = Response.status(e.errorCode().status()).header(API_VERSION_HEADER, API_VERSION);
        e.headers().forEach(response::header);
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(root);
        } catch (IOException impossible) {
            body = ("{\"errors\":[{\"code\":\"" + e.errorCode().code() + "\"}]}").getBytes(StandardCharsets.UTF_8);
        }
        return response.bytes("application/json", body);
    }
}
