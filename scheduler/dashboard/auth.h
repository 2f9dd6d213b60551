// Token authentication for the dashboard, as Jupyter's: when the cluster has a token
// (SecurityOptions::token, WEFT_AUTH_TOKEN), every page and JSON endpoint asks for it.
//
//   ?token=TOKEN            given once in the URL (the link the scheduler prints): the answer
//                           sets it as a cookie (HttpOnly, SameSite=Strict, Secure over
//                           HTTPS) named per port, and a page is sent on to the same URL
//                           without the token, so it leaves the address bar and history.
//   Cookie                  what the browser sends from then on.
//   Authorization: Bearer   for scripts (curl -H, Prometheus' authorization setting).
//
// Anything else is a 401 with a short page saying how to get in. Tokens are compared in
// time that does not depend on where they differ. /health stays open (it says "ok" and
// nothing else) so that load balancers can probe it.
//
// Threading: free functions; the handler returned is as thread-safe as `inner`.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "scheduler/dashboard/http_server.h"

namespace weft::scheduler::dashboard {

// `inner` behind the token check above; `inner` itself when `token` is empty.
HttpHandler RequireToken(std::string token, HttpHandler inner);

// The name of the cookie that holds the token for the dashboard on `port`: browsers share
// cookies between the ports of a host, so two schedulers on one host must not share one.
std::string TokenCookieName(int port);

// The dashboard's address as the scheduler prints it: "https://HOST:PORT/" (http without
// TLS), with "?token=..." (percent-encoded) when there is a token.
std::string DashboardLink(bool tls, const std::string& host_port, const std::string& token);

// True when `given` equals `secret`; the time taken depends on their lengths only.
bool ConstantTimeEquals(absl::string_view given, absl::string_view secret);

// Percent-encoding of everything but unreserved characters (RFC 3986), and its inverse
// ("%zz" and a truncated escape are kept as they are).
std::string PercentEncode(absl::string_view text);
std::string PercentDecode(absl::string_view text);

}  // namespace weft::scheduler::dashboard
