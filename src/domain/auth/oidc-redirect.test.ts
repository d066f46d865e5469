import { expect, test } from "bun:test";
import { FieldError } from "../field-error.ts";
import { checkRedirectUri } from "./oidc-redirect.ts";

const DASHBOARD = "https://analytics.example.com";
const CORS = ["http://localhost:5173", "https://admin.example.com"];
const REFUSAL = "redirect_uri: must be the dashboard's /oauth/callback: https://analytics.example.com/oauth/callback or http://localhost:5173/oauth/callback or https://admin.example.com/oauth/callback";

test.each(["https://analytics.example.com/oauth/callback", "http://localhost:5173/oauth/callback", "https://admin.example.com/oauth/callback"])("%s is a callback of ours", (uri) => {
  expect(() => checkRedirectUri(uri, DASHBOARD, CORS)).not.toThrow();
});

test.each([
  "https://evil.example.com/oauth/callback",
  "https://analytics.example.com/oauth/callback/",
  "https://analytics.example.com/oauth/callback?next=/x",
  "https://analytics.example.com/magic-link",
  "http://analytics.example.com/oauth/callback",
  "https://analytics.example.com.evil.net/oauth/callback",
  "",
])("%p is refused, naming redirect_uri", (uri) => {
  expect(() => checkRedirectUri(uri, DASHBOARD, CORS)).toThrow(new FieldError("redirect_uri", REFUSAL.slice("redirect_uri: ".length)));
  expect(() => checkRedirectUri(uri, DASHBOARD, CORS)).toThrow(REFUSAL);
});

test("a dashboard URL with a trailing slash still gives one slash", () => {
  expect(() => checkRedirectUri("https://analytics.example.com/oauth/callback", `${DASHBOARD}/`, [])).not.toThrow();
});
