package dev.berth.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.api.ErrorCode;
import dev.berth.api.RegistryException;
import dev.berth.api.Route;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
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
        try {
            Optional<Route> route = Route.find(request.path());
            if (route.isEmpty()) {
                throw ErrorCode.NOT_FOUND.exception(null);
            }
            Map<Route.Method, Handler> handlers = table.get(route.get());
            if (handlers == null) {
                throw ErrorCode.NOT_FOUND.exception(route.get().summary() + " is not served by this registry");
            }
            Handler handler = handlers.get(request.method());
            if (handler == null) {
                String allow = handlers.keySet().stream().map(Enum::name).collect(Collectors.joining(", "));
                throw ErrorCode.METHOD_NOT_ALLOWED.exception(request.method() + " is not allowed on "
                        + route.get().template()).withHeader("Allow", allow);
            }
            Response response = handler.handle(request, route.get().match(request.path()).orElseThrow());
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
