#include "scheduler/dashboard/auth.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace weft::scheduler::dashboard {
namespace {

constexpr char kHtml[] = "text/html; charset=utf-8";

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A path of our own to send the browser to: "//host/..." would send it elsewhere.
std::string OwnPath(const std::string& target) {
  return absl::StartsWith(target, "/") && !absl::StartsWith(target, "//") ? target : "/";
}

// The 401 page: why, how to get in, and a form that sends the token as ?token= (answered as
// the printed link is, so the token leaves the address bar at once).
HttpResponse Unauthorized(absl::string_view why, const std::string& path) {
  HttpResponse response;
  response.status = 401;
  response.content_type = kHtml;
  response.body = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>weft dashboard: token required</title></head>\n<body>\n"
      "<h1>This dashboard needs the cluster's token</h1>\n<p>",
      HtmlEscape(why),
      "</p>\n<p>Open the link the scheduler printed (<code>Dashboard at: "
      "http(s)://HOST:PORT/?token=...</code>), or send the header <code>Authorization: Bearer "
      "TOKEN</code>, or give it here:</p>\n<form method=\"get\" action=\"",
      HtmlEscape(OwnPath(path)),
      "\"><input type=\"password\" name=\"token\" placeholder=\"token\" autofocus "
      "required> <button type=\"submit\">Open</button></form>\n</body></html>\n");
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"weft dashboard\"");
  return response;
}

// The target split at '?': path, and the query's "name=value" pairs (raw).
struct Target {
  std::string path;
  std::vector<std::string> query;
};

Target SplitTarget(absl::string_view target) {
  Target out;
  const size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != absl::string_view::npos) {
    for (absl::string_view pair : absl::StrSplit(target.substr(q + 1), '&', absl::SkipEmpty())) {
      out.query.emplace_back(pair);
    }
  }
  return out;
}

// The token in the cookie `name` of a Cookie header "a=1; b=2", decoded; "" if none.
std::string CookieValue(absl::string_view header, absl::string_view name) {
  for (absl::string_view pair : absl::StrSplit(header, ';')) {
    pair = absl::StripAsciiWhitespace(pair);
    if (absl::ConsumePrefix(&pair, name) && absl::ConsumePrefix(&pair, "=")) {
      return PercentDecode(pair);
    }
  }
  return "";
}

bool BearerMatches(absl::string_view authorization, absl::string_view token) {
  authorization = absl::StripAsciiWhitespace(authorization);
  if (authorization.size() < 7 || !absl::EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) {
    return false;
  }
  return ConstantTimeEquals(absl::StripAsciiWhitespace(authorization.substr(7)), token);
}

// The answer to a request that carried the right ?token=: `inner`'s answer to the URL
// without it, except that a page becomes a small page that loads the clean URL. Not a 302:
// when the link was followed from another site (a terminal, a chat), a redirect is still a
// cross-site navigation and the browser would not send the SameSite=Strict cookie just set,
// while a navigation started by our own page is same-site.
HttpResponse Admit(const HttpRequest& request, const Target& target,
                   std::vector<std::string> rest_of_query, const std::string& token,
                   const HttpHandler& inner) {
  HttpRequest clean = request;
  clean.target = target.path;
  if (!rest_of_query.empty())
    absl::StrAppend(&clean.target, "?", absl::StrJoin(rest_of_query, "&"));
  HttpResponse response = inner(clean);
  if (response.status == 200 && absl::StartsWith(response.content_type, "text/html")) {
    const std::string next = OwnPath(clean.target);
    response.content_type = kHtml;
    response.body = absl::StrCat(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"refresh\" content=\"0; url=",
        HtmlEscape(next), "\"><title>weft dashboard</title></head>\n<body><p><a href=\"",
        HtmlEscape(next), "\">Continue to the dashboard</a></p></body></html>\n");
  }
  response.headers.emplace_back(
      "Set-Cookie",
      absl::StrCat(TokenCookieName(request.local_port), "=", PercentEncode(token),
                   "; Path=/; HttpOnly; SameSite=Strict", request.tls ? "; Secure" : ""));
  return response;
}

HttpResponse Check(const HttpRequest& request, const std::string& token, const HttpHandler& inner) {
  const Target target = SplitTarget(request.target);
  if (target.path == "/health") return inner(request);

  std::vector<std::string> rest_of_query;
  bool in_query = false;
  bool query_matches = true;
  for (const std::string& pair : target.query) {
    absl::string_view value = pair;
    if (absl::ConsumePrefix(&value, "token=")) {
      in_query = true;
      query_matches = query_matches && ConstantTimeEquals(PercentDecode(value), token);
    } else {
      rest_of_query.push_back(pair);
    }
  }
  if (in_query) {
    if (!query_matches)
      return Unauthorized("The token in the address is not this cluster's.", target.path);
    return Admit(request, target, std::move(rest_of_query), token, inner);
  }
  if (!request.Header("authorization").empty()) {
    if (BearerMatches(request.Header("authorization"), token)) return inner(request);
    return Unauthorized("The Authorization header does not carry this cluster's token.",
                        target.path);
  }
  const std::string cookie =
      CookieValue(request.Header("cookie"), TokenCookieName(request.local_port));
  if (!cookie.empty() && ConstantTimeEquals(cookie, token)) return inner(request);
  return Unauthorized(cookie.empty() ? "No token was given."
                                     : "The token this browser kept is not this cluster's "
                                       "(did the scheduler restart with another one?).",
                      target.path);
}

bool Unreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

HttpHandler RequireToken(std::string token, HttpHandler inner) {
  if (token.empty()) return inner;
  return [token = std::move(token), inner = std::move(inner)](const HttpRequest& request) {
    HttpResponse response = Check(request, token, inner);
    // The token may be in this page's URL: never hand it on to another site.
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
    return response;
  };
}

std::string TokenCookieName(int port) { return absl::StrCat("weft-token-", port); }

std::string DashboardLink(bool tls, const std::string& host_port, const std::string& token) {
  return absl::StrCat(tls ? "https://" : "http://", host_port, "/",
                      token.empty() ? "" : "?token=", PercentEncode(token));
}

bool ConstantTimeEquals(absl::string_view given, absl::string_view secret) {
  // Every byte of `given` is compared (against the secret repeated), whatever differs first.
  unsigned char diff = given.size() != secret.size() ? 1 : 0;
  for (size_t i = 0; i < given.size(); ++i) {
    const unsigned char s = secret.empty() ? 0 : secret[i % secret.size()];
    diff |= static_cast<unsigned char>(given[i]) ^ s;
  }
  // Read through a volatile so that the compiler cannot turn the loop into an early exit.
  volatile unsigned char result = diff;
  return result == 0;
}

std::string PercentEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (Unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string PercentDecode(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace weft::scheduler::dashboard
