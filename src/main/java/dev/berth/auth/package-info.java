/**
 * Authentication and authorization, free of Netty and of the configuration tree: {@link dev.berth.auth.Htpasswd}
 * (bcrypt users), {@link dev.berth.auth.AccessRules} (who may pull, push, delete which repositories),
 * {@link dev.berth.auth.TokenVerifier} and {@link dev.berth.auth.TokenIssuer} (distribution's bearer tokens),
 * {@link dev.berth.auth.TokenEndpoint} (the built-in token server) and {@link dev.berth.auth.Authenticator}, the
 * per-request decision the HTTP layer asks for. Secrets (passwords, tokens, private keys) never appear in a log
 * line, an exception message or a {@code toString()}.
 */
package dev.berth.auth;
