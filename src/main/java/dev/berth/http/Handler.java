package dev.berth.http;

import java.util.Map;

/** Handles one route: parses the request, calls a service, writes headers. Throws RegistryException on errors. */
@FunctionalInterface
public interface Handler {
    Response handle(Request request, Map<String, String> pathVariables) throws Exception;
}
