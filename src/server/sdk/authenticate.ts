// Who is calling: the API key from the x-api-key header, or, for sendBeacon (which cannot set headers), from
// the api_key query parameter. A URL ends up in logs and histories, so only public keys may travel in one.

import type { HandlerContext } from "@connectrpc/connect";
import { apiKeyKind } from "../../domain/api-keys.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { ApiKeyOwner, ApiKeyStore } from "./api-key-store.ts";

export async function authenticate(ctx: HandlerContext, keys: ApiKeyStore): Promise<ApiKeyOwner> {
  let key = ctx.requestHeader.get("x-api-key")?.trim();
  if (!key) {
    const fromUrl = new URL(ctx.url).searchParams.get("api_key")?.trim();
    if (fromUrl && !fromUrl.startsWith("pub_")) {
      throw new ConnectError("api_key query parameter: only public keys (pub_…) may be sent in a URL; send private keys in the x-api-key header", Code.Unauthenticated);
    }
    key = fromUrl;
  }
  if (!key) throw new ConnectError("missing API key: send it in the x-api-key header", Code.Unauthenticated);
  if (!apiKeyKind(key)) throw new ConnectError("malformed API key: expected pub_ or prv_ followed by 32 hex digits", Code.Unauthenticated);
  let owner: ApiKeyOwner | undefined;
  try {
    owner = await keys.lookup(key);
  } catch (error) {
    throw new ConnectError("cannot check API keys right now (database unavailable); retry", Code.Unavailable, undefined, undefined, error);
  }
  if (!owner) throw new ConnectError("unknown or revoked API key", Code.Unauthenticated);
  return owner;
}
