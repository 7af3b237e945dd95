// SPDX-License-Identifier: Apache-2.0
/*
 * flamesamp http: ask a service for a CPU profile over HTTP(S) and hand it to
 * flamesamp's importers: a V8 .cpuprofile (a Node.js endpoint built on
 * node:inspector) or a Go pprof profile (net/http/pprof).  Built against
 * include/flamesamp/plugin.h and libcurl only.
 *
 * Secrets (--token, --api-key, credentials or query values in the URL) never
 * reach any output: URLs are shown with their user info removed and every
 * query value but seconds and duration replaced by "***", and libcurl's own
 * verbose mode, which prints request headers, is never turned on.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "flamesamp/plugin.h"

#define DEFAULT_DURATION	10.0
#define DEFAULT_CONNECT_TIMEOUT 10.0
#define TIMEOUT_MARGIN		30.0 /* seconds on top of the profile's duration */
#define DEFAULT_MAX_SIZE	(256UL << 20)
#define EXCERPT_LEN		80

enum profile_format {
	FORMAT_AUTO,
	FORMAT_V8,
	FORMAT_PPROF,
};

struct http_args {
	const char *url;
	double duration;
	bool duration_given;
	enum profile_format format;
	const char *token, *api_key, *api_key_header;
	bool insecure;
	double connect_timeout, timeout; /* timeout 0: profile duration + TIMEOUT_MARGIN */
	size_t max_size;
};

struct body {
	char *data;
	size_t len, cap, max;
	bool too_big;
};

struct request {
	const struct flamesamp_host *host;
	struct http_args args;
	char *url;	     /* what is fetched */
	char *display_url;   /* what is shown: no credentials, query values masked */
	double profile_secs; /* how long the endpoint profiles */
	bool pprof_style;    /* seconds=N rather than duration=MS */
	struct body body;
	char errbuf[CURL_ERROR_SIZE];
};

#define LOG(req, level, ...) (req)->host->log((req)->host, level, __VA_ARGS__)

/* ---- options ---- */

/* "--NAME=VALUE" -> VALUE, else NULL. */
static const char *value_of(const char *arg, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(arg, "--", 2) || strncmp(arg + 2, name, n) || arg[2 + n] != '=')
		return NULL;
	return arg + 3 + n;
}

static int parse_seconds(const struct flamesamp_host *host, const char *option, const char *v,
			 double max, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || !(d > 0) || d > max) {
		host->log(host, FLAMESAMP_LOG_ERROR,
			  "invalid value for --%s: '%s' (expected seconds above 0, at most %.0f)",
			  option, v, max);
		return -1;
	}
	*out = d;
	return 0;
}

/* SIZE with an optional K, M or G suffix. */
static int parse_size(const struct flamesamp_host *host, const char *v, size_t *out)
{
	char *end;
	unsigned long long n;
	unsigned shift = 0;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (errno || end == v || *end || !isdigit((unsigned char)v[0]) || !n ||
	    n > (1ULL << 40) >> shift) {
		host->log(host, FLAMESAMP_LOG_ERROR,
			  "invalid value for --max-size: '%s' (expected bytes, or a size with K, "
			  "M or G, at most 1T)",
			  v);
		return -1;
	}
	*out = (size_t)(n << shift);
	return 0;
}

/* Header values must not hold control characters (CR/LF would add headers). */
static bool clean_header_value(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool valid_header_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}

static const char *env_secret(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int parse_args(const struct flamesamp_host *host, int argc, char **argv, struct http_args *a)
{
	const char *v;
	int i;

	memset(a, 0, sizeof(*a));
	a->duration = DEFAULT_DURATION;
	a->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
	a->api_key_header = "X-API-Key";
	a->max_size = DEFAULT_MAX_SIZE;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--")) {
			if (i + 1 < argc) {
				host->log(host, FLAMESAMP_LOG_ERROR,
					  "unexpected argument '%s' (the URL is given with --url)",
					  argv[i + 1]);
				return FLAMESAMP_PLUGIN_USAGE;
			}
			break;
		}
		if ((v = value_of(arg, "url"))) {
			a->url = v;
		} else if ((v = value_of(arg, "duration"))) {
			if (parse_seconds(host, "duration", v, 86400, &a->duration))
				return FLAMESAMP_PLUGIN_USAGE;
			a->duration_given = true;
		} else if ((v = value_of(arg, "format"))) {
			if (!strcmp(v, "v8")) {
				a->format = FORMAT_V8;
			} else if (!strcmp(v, "pprof")) {
				a->format = FORMAT_PPROF;
			} else if (!strcmp(v, "auto")) {
				a->format = FORMAT_AUTO;
			} else {
				host->log(host, FLAMESAMP_LOG_ERROR,
					  "unknown format '%s' for --format (expected v8, pprof or "
					  "auto)",
					  v);
				return FLAMESAMP_PLUGIN_USAGE;
			}
		} else if ((v = value_of(arg, "token"))) {
			a->token = v;
		} else if ((v = value_of(arg, "api-key"))) {
			a->api_key = v;
		} else if ((v = value_of(arg, "api-key-header"))) {
			if (!valid_header_name(v)) {
				host->log(host, FLAMESAMP_LOG_ERROR,
					  "invalid value for --api-key-header: '%s' (expected an "
					  "HTTP header name)",
					  v);
				return FLAMESAMP_PLUGIN_USAGE;
			}
			a->api_key_header = v;
		} else if (!strcmp(arg, "--insecure")) {
			a->insecure = true;
		} else if ((v = value_of(arg, "connect-timeout"))) {
			if (parse_seconds(host, "connect-timeout", v, 3600, &a->connect_timeout))
				return FLAMESAMP_PLUGIN_USAGE;
		} else if ((v = value_of(arg, "timeout"))) {
			if (parse_seconds(host, "timeout", v, 86400 + 3600, &a->timeout))
				return FLAMESAMP_PLUGIN_USAGE;
		} else if ((v = value_of(arg, "max-size"))) {
			if (parse_size(host, v, &a->max_size))
				return FLAMESAMP_PLUGIN_USAGE;
		} else {
			host->log(host, FLAMESAMP_LOG_ERROR, "unexpected argument '%s'", arg);
			return FLAMESAMP_PLUGIN_USAGE;
		}
	}
	if (!a->url) {
		host->log(host, FLAMESAMP_LOG_ERROR,
			  "no --url given (for example --url "
			  "http://127.0.0.1:6060/debug/pprof/profile)");
		return FLAMESAMP_PLUGIN_USAGE;
	}
	if (!a->token)
		a->token = env_secret("FLAMESAMP_TOKEN");
	if (!a->api_key)
		a->api_key = env_secret("FLAMESAMP_API_KEY");
	/* the values themselves are never printed, not even here */
	if (a->token && (!*a->token || !clean_header_value(a->token))) {
		host->log(host, FLAMESAMP_LOG_ERROR,
			  "the token (--token or FLAMESAMP_TOKEN) is empty or holds control "
			  "characters");
		return FLAMESAMP_PLUGIN_USAGE;
	}
	if (a->api_key && (!*a->api_key || !clean_header_value(a->api_key))) {
		host->log(host, FLAMESAMP_LOG_ERROR,
			  "the API key (--api-key or FLAMESAMP_API_KEY) is empty or holds control "
			  "characters");
		return FLAMESAMP_PLUGIN_USAGE;
	}
	return FLAMESAMP_PLUGIN_OK;
}

/* ---- the URL ---- */

/* The value of query parameter @name in @query ("a=1&b=2"), or NULL; *len its length. */
static const char *query_param(const char *query, const char *name, size_t *len)
{
	size_t n = strlen(name);
	const char *p = query;

	while (p && *p) {
		size_t plen = strcspn(p, "&");

		if (plen > n && !strncmp(p, name, n) && p[n] == '=') {
			*len = plen - n - 1;
			return p + n + 1;
		}
		p += plen;
		if (*p == '&')
			p++;
	}
	return NULL;
}

static bool shown_param(const char *p, size_t len)
{
	static const char *const names[] = {"seconds", "duration", "debug", "gc"};
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		if (len > n && !strncmp(p, names[i], n) && p[n] == '=')
			return true;
	}
	return false;
}

/* scheme://host[:port]/path[?query with values masked]; malloc'd. */
static char *display_url(CURLU *u)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *out;
	size_t size, off;
	const char *p;

	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	size = 16 + (scheme ? strlen(scheme) : 0) + (host ? strlen(host) : 0) +
	       (port ? strlen(port) : 0) + (path ? strlen(path) : 0) +
	       (query ? 4 * strlen(query) + 4 : 0);
	out = malloc(size);
	if (!out)
		goto done;
	off = (size_t)snprintf(out, size, "%s://%s%s%s%s", scheme ? scheme : "?", host ? host : "?",
			       port ? ":" : "", port ? port : "", path ? path : "/");
	for (p = query; p && *p;) {
		size_t len = strcspn(p, "&"), name = strcspn(p, "=&");

		off += (size_t)snprintf(out + off, size - off, "%c", p == query ? '?' : '&');
		if (shown_param(p, len) || name == len)
			off += (size_t)snprintf(out + off, size - off, "%.*s", (int)len, p);
		else
			off += (size_t)snprintf(out + off, size - off, "%.*s=***", (int)name, p);
		p += len;
		if (*p == '&')
			p++;
	}
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	return out;
}

/*
 * Parse --url, add the duration parameter unless the URL has one, and set
 * req->url, req->display_url and req->profile_secs.  The rule: a URL with
 * "seconds=" or "duration=" in its query is used as given; otherwise
 * "seconds=N" (whole seconds, rounded up) is added for --format pprof or a
 * path under /debug/pprof/, "duration=MS" for anything else.
 */
static int build_url(struct request *req)
{
	const struct http_args *a = &req->args;
	CURLU *u = curl_url();
	char *scheme = NULL, *path = NULL, *query = NULL, *full = NULL, param[64];
	const char *v;
	size_t vlen;
	CURLUcode rc;
	int ret = FLAMESAMP_PLUGIN_USAGE;

	if (!u) {
		LOG(req, FLAMESAMP_LOG_ERROR, "out of memory");
		return FLAMESAMP_PLUGIN_FAILURE;
	}
	rc = curl_url_set(u, CURLUPART_URL, a->url, 0);
	if (rc) {
		/* the URL itself is not repeated: it may hold credentials */
		LOG(req, FLAMESAMP_LOG_ERROR,
		    "invalid --url: %s (expected http://HOST[:PORT]/PATH)", curl_url_strerror(rc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (!scheme || (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		LOG(req, FLAMESAMP_LOG_ERROR, "invalid --url: the scheme must be http or https");
		goto out;
	}
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0))
		query = NULL;
	req->pprof_style = a->format == FORMAT_PPROF || (path && strstr(path, "/debug/pprof/"));
	if ((v = query_param(query, "seconds", &vlen))) {
		req->profile_secs = strtod(v, NULL);
		if (a->duration_given)
			LOG(req, FLAMESAMP_LOG_WARN, "the URL's seconds= is used, not --duration");
	} else if ((v = query_param(query, "duration", &vlen))) {
		req->profile_secs = strtod(v, NULL) / 1000;
		if (a->duration_given)
			LOG(req, FLAMESAMP_LOG_WARN, "the URL's duration= is used, not --duration");
	} else {
		if (req->pprof_style) {
			snprintf(param, sizeof(param), "seconds=%.0f", ceil(a->duration));
			req->profile_secs = ceil(a->duration);
		} else {
			snprintf(param, sizeof(param), "duration=%.0f", a->duration * 1000);
			req->profile_secs = a->duration;
		}
		rc = curl_url_set(u, CURLUPART_QUERY, param, CURLU_APPENDQUERY);
		if (rc) {
			LOG(req, FLAMESAMP_LOG_ERROR, "cannot add %s to the URL: %s", param,
			    curl_url_strerror(rc));
			ret = FLAMESAMP_PLUGIN_FAILURE;
			goto out;
		}
	}
	if (!(req->profile_secs >= 0) || !isfinite(req->profile_secs))
		req->profile_secs = 0;
	if (curl_url_get(u, CURLUPART_URL, &full, 0) || !full) {
		LOG(req, FLAMESAMP_LOG_ERROR, "invalid --url");
		goto out;
	}
	req->url = strdup(full);
	req->display_url = display_url(u);
	if (!req->url || !req->display_url) {
		LOG(req, FLAMESAMP_LOG_ERROR, "out of memory");
		ret = FLAMESAMP_PLUGIN_FAILURE;
		goto out;
	}
	ret = FLAMESAMP_PLUGIN_OK;
out:
	curl_free(full);
	curl_free(query);
	curl_free(path);
	curl_free(scheme);
	curl_url_cleanup(u);
	return ret;
}

/* ---- the transfer ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct body *b = ctx;
	size_t n = size * nmemb;

	if (n > b->max - b->len) {
		b->too_big = true;
		return 0; /* CURLE_WRITE_ERROR */
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 64 * 1024;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return 0;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	return n;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	const struct request *req = ctx;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return req->host->should_stop(req->host) ? 1 : 0; /* non-zero aborts */
}

static const char *reason_phrase(long status)
{
	switch (status) {
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "";
	}
}

/* Up to EXCERPT_LEN bytes of @data as one printable line, quoted, into @out. */
static void excerpt(const char *data, size_t len, char *out, size_t size)
{
	size_t i, o = 0, n = len < EXCERPT_LEN ? len : EXCERPT_LEN;
	bool space = false;

	if (size < 8)
		return;
	out[o++] = '"';
	for (i = 0; i < n && o + 6 < size; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (!space && o > 1)
				out[o++] = ' ';
			space = true;
			continue;
		}
		space = false;
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (o > 1 && out[o - 1] == ' ')
		o--;
	if (n < len)
		o += (size_t)snprintf(out + o, size - o, "...");
	out[o++] = '"';
	out[o] = '\0';
}

static const char *credentials_given(const struct http_args *a)
{
	return a->token && a->api_key ? "the token and the API key"
	       : a->token	      ? "the token"
	       : a->api_key	      ? "the API key"
				      : NULL;
}

/* Say why the server's answer @status is not a profile. */
static void report_status(struct request *req, long status, const char *location)
{
	const char *given = credentials_given(&req->args), *hint;
	char body[EXCERPT_LEN * 2];
	char buf[256];

	body[0] = '\0';
	if (req->body.len)
		excerpt(req->body.data, req->body.len, body, sizeof(body));
	if (status >= 300 && status < 400) {
		snprintf(buf, sizeof(buf),
			 "redirected to %s: give that URL to --url (redirects are not followed, "
			 "so credentials only go where --url says)",
			 location ? location : "another URL");
		hint = buf;
	} else if (status == 401 || status == 403) {
		if (given) {
			snprintf(buf, sizeof(buf), "the server refused %s given", given);
			hint = buf;
		} else {
			hint = "give --token or set FLAMESAMP_TOKEN (Bearer), or --api-key or "
			       "FLAMESAMP_API_KEY";
		}
	} else if (status == 404) {
		hint = "no profiling endpoint at this path: Go serves /debug/pprof/profile when "
		       "the program imports net/http/pprof; check the service's route for V8 "
		       "profiles";
	} else if (status == 429 || status == 503 || status == 409) {
		hint = "the service is busy (another profile running?); try again later";
	} else if (status >= 500) {
		hint = "the service failed to make the profile; see its logs";
	} else {
		hint = "check the URL and its parameters";
	}
	LOG(req, FLAMESAMP_LOG_ERROR, "GET %s: %ld%s%s%s%s (hint: %s)", req->display_url, status,
	    *reason_phrase(status) ? " " : "", reason_phrase(status), body[0] ? ": " : "", body,
	    hint);
}

/* Location of a redirect, shown without credentials or query; malloc'd or NULL. */
static char *redirect_target(CURL *h)
{
	char *loc = NULL, *shown = NULL;
	CURLU *u;

	if (curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc) || !loc)
		return NULL;
	u = curl_url();
	if (u && !curl_url_set(u, CURLUPART_URL, loc, 0)) {
		curl_url_set(u, CURLUPART_QUERY, NULL, 0);
		shown = display_url(u);
	}
	curl_url_cleanup(u);
	return shown;
}

/* Say why the transfer failed with @rc. */
static void report_curl_error(struct request *req, CURLcode rc)
{
	const char *detail = req->errbuf[0] ? req->errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		LOG(req, FLAMESAMP_LOG_ERROR,
		    "GET %s: cannot connect: %s (hint: is the service listening there?)",
		    req->display_url, detail);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		LOG(req, FLAMESAMP_LOG_ERROR, "GET %s: unknown host: %s", req->display_url, detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		LOG(req, FLAMESAMP_LOG_ERROR,
		    "GET %s: timed out: %s (hint: the endpoint profiles for %g s before it "
		    "answers; raise --timeout (now %g s) or --connect-timeout (now %g s))",
		    req->display_url, detail, req->profile_secs,
		    req->args.timeout ? req->args.timeout : req->profile_secs + TIMEOUT_MARGIN,
		    req->args.connect_timeout);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
#if LIBCURL_VERSION_NUM < 0x073e00
	case CURLE_SSL_CACERT:
#endif
		LOG(req, FLAMESAMP_LOG_ERROR,
		    "GET %s: the server's TLS certificate is not trusted: %s (hint: install "
		    "its CA, or give --insecure to skip the check)",
		    req->display_url, detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		LOG(req, FLAMESAMP_LOG_ERROR, "GET %s: TLS handshake failed: %s", req->display_url,
		    detail);
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		LOG(req, FLAMESAMP_LOG_ERROR, "GET %s: interrupted before the profile arrived",
		    req->display_url);
		break;
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_WRITE_ERROR:
		if (rc == CURLE_FILESIZE_EXCEEDED || req->body.too_big) {
			LOG(req, FLAMESAMP_LOG_ERROR,
			    "GET %s: the answer is larger than --max-size (%zu bytes)",
			    req->display_url, req->args.max_size);
			break;
		}
		/* fall through */
	default:
		LOG(req, FLAMESAMP_LOG_ERROR, "GET %s: %s", req->display_url, detail);
		break;
	}
}

static CURLcode setup(struct request *req, CURL *h, struct curl_slist **headers)
{
	const struct http_args *a = &req->args;
	double total = a->timeout ? a->timeout : req->profile_secs + TIMEOUT_MARGIN;
	char line[512];
	CURLcode rc = CURLE_OK;
	struct curl_slist *l = NULL, *n;

	/* every header is built here, then the values are wiped from the stack */
	if (a->token) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", a->token);
		if (strlen(a->token) > sizeof(line) - 32 || !(n = curl_slist_append(l, line)))
			rc = CURLE_OUT_OF_MEMORY;
		else
			l = n;
	}
	if (!rc && a->api_key) {
		snprintf(line, sizeof(line), "%s: %s", a->api_key_header, a->api_key);
		if (strlen(a->api_key) + strlen(a->api_key_header) > sizeof(line) - 4 ||
		    !(n = curl_slist_append(l, line)))
			rc = CURLE_OUT_OF_MEMORY;
		else
			l = n;
	}
	memset(line, 0, sizeof(line));
	if (!rc && (n = curl_slist_append(l, "Accept: application/json, application/octet-stream, "
					     "application/x-protobuf, */*")))
		l = n;
	*headers = l;
	if (rc) {
		LOG(req, FLAMESAMP_LOG_ERROR, "the token or API key is too long");
		return rc;
	}

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (!rc)                                                                           \
			rc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_HTTPGET, 1L);
	SET(CURLOPT_HTTPHEADER, l);
	SET(CURLOPT_USERAGENT, "flamesamp-http/1");
	SET(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl can decode */
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, a->insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, a->insecure ? 0L : 2L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)(a->connect_timeout * 1000));
	SET(CURLOPT_TIMEOUT_MS, (long)(total * 1000));
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)a->max_size);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, &req->body);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, req);
	SET(CURLOPT_ERRORBUFFER, req->errbuf);
	SET(CURLOPT_VERBOSE, 0L); /* it would print the Authorization header */
#undef SET
	if (rc)
		LOG(req, FLAMESAMP_LOG_ERROR, "cannot set up the request: %s",
		    curl_easy_strerror(rc));
	return rc;
}

/* ---- the profile ---- */

static const char *format_title(const char *name)
{
	return !strcmp(name, "v8") ? "a V8 CPU profile" : "a pprof profile";
}

static int import(struct request *req, const char *content_type)
{
	const struct flamesamp_host *host = req->host;
	const char *fmt = req->args.format == FORMAT_V8	     ? "v8"
			  : req->args.format == FORMAT_PPROF ? "pprof"
							     : NULL;
	char err[512], start[EXCERPT_LEN * 2], subtitle[600];
	int ret;

	excerpt(req->body.data, req->body.len, start, sizeof(start));
	if (!req->body.len) {
		LOG(req, FLAMESAMP_LOG_ERROR,
		    "GET %s: 200 with an empty body, not a profile (hint: is this the profiling "
		    "endpoint?)",
		    req->display_url);
		return FLAMESAMP_PLUGIN_FAILURE;
	}
	if (!fmt) {
		const char *found = host->detect_format(host, req->body.data, req->body.len);

		if (!found || (strcmp(found, "v8") && strcmp(found, "pprof"))) {
			LOG(req, FLAMESAMP_LOG_ERROR,
			    "GET %s: 200 (%s, %zu bytes) is not a V8 or pprof profile: it starts "
			    "%s (hint: --url must be an endpoint that profiles and answers with a "
			    ".cpuprofile JSON or a pprof protobuf; a web page is often a login "
			    "or UI route)",
			    req->display_url, content_type ? content_type : "no content type",
			    req->body.len, start);
			return FLAMESAMP_PLUGIN_FAILURE;
		}
		fmt = found;
	}
	ret = host->import_profile(host, req->body.data, req->body.len, fmt, err, sizeof(err));
	if (ret) {
		LOG(req, FLAMESAMP_LOG_ERROR,
		    "GET %s: 200 (%s, %zu bytes) is not %s: %s; it starts %s (hint: check "
		    "--format and that --url is the profiling endpoint)",
		    req->display_url, content_type ? content_type : "no content type",
		    req->body.len, format_title(fmt), err[0] ? err : strerror(-ret), start);
		return FLAMESAMP_PLUGIN_FAILURE;
	}
	/* V8 weighs samples by their time deltas in microseconds; pprof counts samples */
	host->set_count_name(host, !strcmp(fmt, "v8") ? "us" : "samples");
	snprintf(subtitle, sizeof(subtitle), "%s, %s profile", req->display_url,
		 !strcmp(fmt, "v8") ? "V8 CPU" : "pprof");
	host->set_subtitle(host, subtitle);
	LOG(req, FLAMESAMP_LOG_INFO, "read %s", format_title(fmt));
	return FLAMESAMP_PLUGIN_OK;
}

static int run(const struct flamesamp_host *host, int argc, char **argv)
{
	struct request req;
	struct curl_slist *headers = NULL;
	CURL *h = NULL;
	CURLcode rc;
	long status = 0;
	char *content_type = NULL, *location = NULL;
	double secs = 0;
	bool global = false;
	int ret;

	memset(&req, 0, sizeof(req));
	req.host = host;
	ret = parse_args(host, argc, argv, &req.args);
	if (ret)
		goto out;
	req.body.max = req.args.max_size;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		LOG(&req, FLAMESAMP_LOG_ERROR, "cannot initialise libcurl");
		ret = FLAMESAMP_PLUGIN_FAILURE;
		goto out;
	}
	global = true;
	ret = build_url(&req);
	if (ret)
		goto out;
	ret = FLAMESAMP_PLUGIN_FAILURE;
	h = curl_easy_init();
	if (!h) {
		LOG(&req, FLAMESAMP_LOG_ERROR, "cannot initialise libcurl");
		goto out;
	}
	if (setup(&req, h, &headers))
		goto out;
	LOG(&req, FLAMESAMP_LOG_INFO, "GET %s: profiling for %g s%s%s%s%s%s", req.display_url,
	    req.profile_secs, req.args.token ? ", Bearer token" : "",
	    req.args.api_key ? ", API key in " : "",
	    req.args.api_key ? req.args.api_key_header : "",
	    req.args.insecure ? ", TLS not verified" : "",
	    strchr(req.args.url, '@') ? ", URL credentials" : "");
	rc = curl_easy_perform(h);
	if (rc) {
		report_curl_error(&req, rc);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &secs);
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &content_type))
		content_type = NULL;
	LOG(&req, FLAMESAMP_LOG_INFO, "HTTP %ld, %zu bytes (%s) in %.2f s", status, req.body.len,
	    content_type ? content_type : "no content type", secs);
	if (status < 200 || status >= 300) {
		location = redirect_target(h);
		report_status(&req, status, location);
		goto out;
	}
	ret = import(&req, content_type);
out:
	free(location);
	curl_slist_free_all(headers);
	if (h)
		curl_easy_cleanup(h);
	if (global)
		curl_global_cleanup();
	free(req.body.data);
	free(req.url);
	free(req.display_url);
	return ret;
}

static const struct flamesamp_plugin_option options[] = {
	{"url", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "URL",
	 "the profiling endpoint, http:// or https:// (required)"},
	{"duration", 'd', FLAMESAMP_OPTION_REQUIRED_ARG, "SECS",
	 "how long the service profiles (default 10)"},
	{"format", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "FMT",
	 "what the endpoint answers: v8, pprof or auto (default)"},
	{"token", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "TOKEN",
	 "Authorization: Bearer TOKEN (default: $FLAMESAMP_TOKEN)"},
	{"api-key", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "KEY",
	 "KEY in the API key header (default: $FLAMESAMP_API_KEY)"},
	{"api-key-header", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "NAME",
	 "the API key header (default X-API-Key)"},
	{"insecure", 'k', FLAMESAMP_OPTION_NO_ARG, NULL,
	 "do not verify the server's TLS certificate and name"},
	{"connect-timeout", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "SECS",
	 "give up connecting after SECS (default 10)"},
	{"timeout", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "SECS",
	 "give up after SECS in all (default: the duration + 30)"},
	{"max-size", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "SIZE",
	 "refuse larger answers: bytes, or K, M, G (default 256M)"},
	{NULL, 0, 0, NULL, NULL},
};

static const struct flamesamp_plugin plugin = {
	.abi_version = FLAMESAMP_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct flamesamp_plugin),
	.name = "http",
	.summary = "profile a service through its HTTP profiling endpoint (V8 .cpuprofile, Go "
		   "pprof)",
	.usage = "--url URL [--duration SECS] [--format v8|pprof|auto]",
	.options = options,
	.help = "The service profiles itself for the duration and answers with the profile:\n"
		"  Go (net/http/pprof):  --url http://HOST:PORT/debug/pprof/profile\n"
		"  Node.js (an endpoint built on node:inspector that answers with a .cpuprofile\n"
		"  JSON), for example --url http://HOST:PORT/admin/cpu-profile\n"
		"Unless the URL already has \"seconds=\" or \"duration=\" in its query, the\n"
		"duration is added to it: \"seconds=N\" (whole seconds, rounded up) for --format\n"
		"pprof or a path under /debug/pprof/, \"duration=MS\" (milliseconds) otherwise.\n"
		"V8 weights are microseconds (--countname us), pprof weights are the profile's\n"
		"first sample type (samples for Go CPU profiles).\n"
		"\n"
		"Secrets are never printed, even with -v: URLs are shown without user info and\n"
		"with query values other than seconds and duration masked.  Prefer the\n"
		"environment variables to --token and --api-key, which other users can see in\n"
		"the process list.  TLS certificates are verified unless --insecure; redirects\n"
		"are not followed.  Proxies come from the usual environment variables\n"
		"(https_proxy, no_proxy...).\n",
	.run = run,
};

FLAMESAMP_PLUGIN_DEFINE(plugin)
