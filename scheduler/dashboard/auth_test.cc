// RequireToken without sockets: which requests reach the dashboard's handler, what the
// others get, and the cookie a ?token= link sets.
#include "scheduler/dashboard/auth.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"

namespace weft::scheduler::dashboard {
namespace {

constexpr char kToken[] = "s3cret&x=1%+/";  // survives the query string only encoded

// The handler behind the check: records the targets it was asked for.
struct Inner {
  std::vector<std::string> targets;
  HttpHandler Handler() {
    return [this](const HttpRequest& request) {
      targets.push_back(request.target);
      if (!absl::StartsWith(request.target, "/api/")) {  // a page
        return HttpResponse{200, "text/html; charset=utf-8", "<html>the page</html>"};
      }
      return HttpResponse{200, "application/json", "{\"target\":\"" + request.target + "\"}"};
    };
  }
};

HttpRequest Get(const std::string& target,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest request{"GET", target, std::move(headers)};
  request.local_port = 8787;
  return request;
}

std::string HeaderOf(const HttpResponse& response, const std::string& name) {
  for (const auto& [field, value] : response.headers) {
    if (field == name) return value;
  }
  return "";
}

TEST_CASE("without a token every request goes through") {
  Inner inner;
  HttpHandler handler = RequireToken("", inner.Handler());
  CHECK(handler(Get("/api/workers")).status == 200);
  CHECK(inner.targets == std::vector<std::string>{"/api/workers"});
}

TEST_CASE("with a token, a request without it is refused with a page saying so") {
  Inner inner;
  HttpHandler handler = RequireToken(kToken, inner.Handler());
  for (const char* target : {"/", "/index.html", "/api/workers", "/metrics", "/graph.dot"}) {
    HttpResponse response = handler(Get(target));
    INFO(target);
    CHECK(response.status == 401);
    CHECK(absl::StartsWith(response.content_type, "text/html"));
    CHECK(absl::StrContains(response.body, "token"));
    CHECK(HeaderOf(response, "WWW-Authenticate") == "Bearer realm=\"weft dashboard\"");
    CHECK(HeaderOf(response, "Set-Cookie").empty());
  }
  CHECK(inner.targets.empty());
  // The page has a form that sends the token back as ?token= to the same path.
  CHECK(absl::StrContains(handler(Get("/api/workers?after=1")).body,
                          "<form method=\"get\" action=\"/api/workers\">"));
  CHECK(absl::StrContains(handler(Get("//elsewhere.example/")).body, "action=\"/\""));
  // /health says "ok" and nothing else: open to load balancers.
  CHECK(handler(Get("/health")).status == 200);
}

TEST_CASE("?token= sets an HttpOnly SameSite=Strict cookie and loads the clean URL") {
  Inner inner;
  HttpHandler handler = RequireToken(kToken, inner.Handler());
  const std::string encoded = PercentEncode(kToken);
  CHECK(encoded == "s3cret%26x%3D1%25%2B%2F");

  HttpResponse page = handler(Get("/?token=" + encoded));
  CHECK(page.status == 200);
  CHECK(absl::StrContains(page.body, "<meta http-equiv=\"refresh\" content=\"0; url=/\">"));
  CHECK_FALSE(absl::StrContains(page.body, "s3cret"));
  CHECK(HeaderOf(page, "Set-Cookie") ==
        "weft-token-8787=" + encoded + "; Path=/; HttpOnly; SameSite=Strict");
  CHECK(HeaderOf(page, "Referrer-Policy") == "no-referrer");

  // An API route answers at once (scripts follow no page), without the token in the target.
  HttpResponse api = handler(Get("/api/tasks/stream?after=3&token=" + encoded + "&limit=2"));
  CHECK(api.status == 200);
  CHECK(api.body == "{\"target\":\"/api/tasks/stream?after=3&limit=2\"}");
  CHECK_FALSE(HeaderOf(api, "Set-Cookie").empty());

  // Over HTTPS the cookie is Secure.
  HttpRequest tls = Get("/api/workers?token=" + encoded);
  tls.tls = true;
  CHECK(absl::EndsWith(HeaderOf(handler(tls), "Set-Cookie"), "; SameSite=Strict; Secure"));

  // Only a path of our own to go on to.
  HttpResponse odd = handler(Get("//elsewhere.example/?token=" + encoded));
  CHECK_FALSE(absl::StrContains(odd.body, "elsewhere"));
  CHECK(absl::StrContains(odd.body, "url=/\""));
}

TEST_CASE("a wrong token in the URL is refused and sets no cookie") {
  Inner inner;
  HttpHandler handler = RequireToken(kToken, inner.Handler());
  for (const char* target : {"/?token=nope", "/api/workers?token=", "/?token=s3cret",
                             "/?token=s3cret%26x%3D1%25%2B%2F&token=other"}) {
    INFO(target);
    HttpResponse response = handler(Get(target));
    CHECK(response.status == 401);
    CHECK(HeaderOf(response, "Set-Cookie").empty());
  }
  CHECK(inner.targets.empty());
}

TEST_CASE("the cookie of this port, or a Bearer header, lets requests through") {
  Inner inner;
  HttpHandler handler = RequireToken(kToken, inner.Handler());
  const std::string cookie = "weft-token-8787=" + PercentEncode(kToken);
  CHECK(handler(Get("/api/workers", {{"cookie", "theme=dark; " + cookie}})).status == 200);
  CHECK(handler(Get("/api/workers", {{"authorization", std::string("Bearer ") + kToken}})).status ==
        200);
  CHECK(
      handler(Get("/api/workers", {{"authorization", std::string("bearer  ") + kToken}})).status ==
      200);
  CHECK(inner.targets.size() == 3);

  // Another port's cookie (another scheduler on this host), a stale one, a wrong header.
  CHECK(handler(Get("/api/workers", {{"cookie", "weft-token-8788=" + PercentEncode(kToken)}}))
            .status == 401);
  CHECK(handler(Get("/api/workers", {{"cookie", "weft-token-8787=old"}})).status == 401);
  CHECK(handler(Get("/api/workers", {{"authorization", "Bearer old"}})).status == 401);
  CHECK(handler(Get("/api/workers", {{"authorization", kToken}})).status == 401);
  CHECK(inner.targets.size() == 3);
}

TEST_CASE("the link the scheduler prints, and the helpers") {
  CHECK(DashboardLink(false, "10.0.0.5:8787", "") == "http://10.0.0.5:8787/");
  CHECK(DashboardLink(true, "10.0.0.5:8787", "a b") == "https://10.0.0.5:8787/?token=a%20b");
  CHECK(PercentDecode(PercentEncode("~a-b_c.d/%&=?")) == "~a-b_c.d/%&=?");
  CHECK(PercentDecode("100%") == "100%");
  CHECK(PercentDecode("%zz%4") == "%zz%4");
  CHECK(TokenCookieName(8787) == "weft-token-8787");

  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abd", "abc"));
  CHECK_FALSE(ConstantTimeEquals("ab", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abcabc", "abc"));  // the secret repeated is not the secret
  CHECK_FALSE(ConstantTimeEquals("", "abc"));
  CHECK_FALSE(ConstantTimeEquals("a", ""));
}

}  // namespace
}  // namespace weft::scheduler::dashboard
