# Masthead behind Varnish 7 (Debian: varnish and varnish-modules, for xkey).
# Install as /etc/varnish/masthead.vcl and point varnishd at it (README, "From an
# empty Debian server to serving"). TLS ends before Varnish (nginx or hitch), which
# must set X-Forwarded-Proto.
#
# What it does:
# - caches what the app marks public (Cache-Control: public, s-maxage) under the cache
#   tags the app sends (xkey), so the app purges by tag: `PURGE /` with
#   `xkey-purge: page-12 listing-3` (or xkey-softpurge), from the purgers ACL only;
# - grace: while the app's /healthz answers, a page past its TTL is served stale for
#   10 s while it is fetched again; while the app is sick or a fetch fails, stale pages
#   are served for up to a day;
# - requests with a session or free-reads cookie bypass the cache; every other request
#   reaches the app with only the CSRF cookie (the allowlist);
# - a page the cache does not hold gets deploy/errors/unavailable.html while the app is
#   down.
vcl 4.1;

import cookie;
import std;
import xkey;

probe masthead_healthz {
    # Host: add "localhost" to MASTHEAD_ALLOWED_HOSTS; the proto header keeps the
    # production HTTPS redirect from answering the probe.
    .request = "GET /healthz HTTP/1.1"
               "Host: localhost"
               "X-Forwarded-Proto: https"
               "Connection: close";
    .interval = 2s;
    .timeout = 2s;
    .window = 3;
    .threshold = 2;
}

backend masthead {
    .host = "127.0.0.1";
    .port = "8000";
    .probe = masthead_healthz;
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
}

# Who may purge: the app servers (add their addresses when they run elsewhere).
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge) {
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        } elsif (req.http.xkey-softpurge) {
            set req.http.n-gone = xkey.softpurge(req.http.xkey-softpurge);
        } else {
            return (purge);
        }
        return (synth(200, "Invalidated " + req.http.n-gone + " objects"));
    }
    # Never trust a client's claim to be the app's own restart (below).
    if (req.restarts == 0) {
        unset req.http.X-Masthead-Stale;
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Cookie ~ "(^|;)\s*(__Host-sessionid|sessionid|mh_free_reads)=") {
        # One reader's page: straight to the app, never stored (the app marks it private).
        return (pass);
    }
    if (req.http.Cookie) {
        cookie.parse(req.http.Cookie);
        cookie.keep("__Host-csrftoken,csrftoken");
        set req.http.Cookie = cookie.get_string();
        if (req.http.Cookie == "") {
            unset req.http.Cookie;
        }
    }
    if (req.http.Authorization) {
        return (pass);
    }
    if (req.http.X-Masthead-Stale) {
        # The app failed on this page: take the stale copy, however old.
        set req.grace = 24h;
    } elsif (std.healthy(req.backend_hint)) {
        set req.grace = 10s;
    }
    # Skip the built-in vcl_recv, which passes every request with a Cookie header.
    return (hash);
}

sub vcl_backend_response {
    # Keep every object for a day past its TTL, for when the app is sick; how much of
    # that a request may use is decided per request in vcl_recv (req.grace).
    set beresp.grace = 24h;
    if (!beresp.http.Cache-Control && !beresp.http.Expires) {
        # The app did not say (a 404, a redirect): keep it only briefly, as it carries
        # no tags a purge could find (say, a 404 for an article about to be published).
        set beresp.ttl = 10s;
    }
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        # A failed background refresh must not replace the stale page.
        return (abandon);
    }
}

sub vcl_backend_error {
    set beresp.http.Content-Type = "text/html; charset=utf-8";
    set beresp.http.Cache-Control = "no-store";
    set beresp.http.Retry-After = "30";
    set beresp.status = 503;
    set beresp.body = std.fileread("/srv/masthead/deploy/errors/unavailable.html");
    set beresp.uncacheable = true;
    set beresp.ttl = 0s;
    return (deliver);
}

sub vcl_deliver {
    if (resp.status >= 500 && req.restarts == 0 && req.method == "GET"
        && !req.http.X-Masthead-Stale && req.http.Cookie !~ "(^|;)\s*(__Host-sessionid|sessionid|mh_free_reads)=") {
        # The app is failing: look again for a stale copy before showing the error.
        set req.http.X-Masthead-Stale = "1";
        return (restart);
    }
    # The tags are for this cache, not for browsers.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}

sub vcl_synth {
    if (resp.status == 503) {
        set resp.http.Content-Type = "text/html; charset=utf-8";
        set resp.http.Retry-After = "30";
        synthetic(std.fileread("/srv/masthead/deploy/errors/unavailable.html"));
        return (deliver);
    }
}
