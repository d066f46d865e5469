import { expect, test } from "bun:test";
import { parseOidcProviders, publicProvider } from "./oidc-providers.ts";

const keycloak = { id: "keycloak", display_name: "Company SSO", issuer_url: "https://sso.example.com/realms/main", client_id: "pug", client_secret: "s3cret" };

test("empty means no provider; scopes default to openid email profile; the secret is optional", () => {
  expect(parseOidcProviders("")).toEqual({ providers: [] });
  expect(parseOidcProviders("  ")).toEqual({ providers: [] });
  const { id, display_name, issuer_url, client_id } = keycloak;
  expect(parseOidcProviders(JSON.stringify([keycloak, { id: "public-idp", display_name: "Public", issuer_url: "http://idp.lan:8080/", client_id: "spa", scopes: ["openid", "email"], trust_email: true }]))).toEqual({
    providers: [
      { id, displayName: display_name, issuerUrl: issuer_url, clientId: client_id, clientSecret: "s3cret", scopes: ["openid", "email", "profile"], trustEmail: false },
      { id: "public-idp", displayName: "Public", issuerUrl: "http://idp.lan:8080/", clientId: "spa", clientSecret: undefined, scopes: ["openid", "email"], trustEmail: true },
    ],
  });
});

test.each([
  ["not json", ["must be JSON: an array of {id, display_name, issuer_url, client_id, client_secret?, scopes?, trust_email?}"]],
  ["{}", ["must be a JSON array of providers"]],
  ["[1]", ["[0]: must be an object"]],
  ["[{}]", ["[0].id: required", "[0].display_name: required", "[0].issuer_url: required", "[0].client_id: required"]],
  [
    JSON.stringify([{ ...keycloak, id: "Key cloak", display_name: " ", issuer_url: "ftp://sso", scopes: ["email"], secret: "x", trust_email: "yes" }]),
    [
      "[0].id: must be url-safe: lower-case letters, digits, '_' or '-' (up to 63), like keycloak",
      "[0].display_name: required",
      "[0].issuer_url: must be an http(s) URL without query or fragment, like https://sso.example.com/realms/main",
      "[0].scopes: must include openid",
      "[0].trust_email: must be true or false",
      "[0].secret: is not a known field (id, display_name, issuer_url, client_id, client_secret, scopes, trust_email)",
    ],
  ],
  [JSON.stringify([keycloak, { ...keycloak, display_name: "Again" }]), ["ids must be unique: 'keycloak' appears more than once"]],
  [JSON.stringify([{ ...keycloak, issuer_url: "https://sso.example.com/?realm=main" }]), ["[0].issuer_url: must be an http(s) URL without query or fragment, like https://sso.example.com/realms/main"]],
])("%s is refused, each problem naming its place", (json, problems) => {
  expect(parseOidcProviders(json)).toEqual({ problems });
});

test("problems never quote the secret", () => {
  const result = parseOidcProviders(JSON.stringify([{ ...keycloak, client_secret: 42 }]));
  expect(result).toEqual({ problems: ["[0].client_secret: must be a string"] });
});

test("what the dashboard sees has no secret", () => {
  const parsed = parseOidcProviders(JSON.stringify([keycloak]));
  if (!("providers" in parsed)) throw new Error("expected providers");
  expect(publicProvider(parsed.providers[0]!)).toEqual({ id: "keycloak", displayName: "Company SSO", clientId: "pug", issuerUrl: "https://sso.example.com/realms/main", scopes: ["openid", "email", "profile"] });
});
